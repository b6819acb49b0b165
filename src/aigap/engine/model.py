"""``compile_model`` and the :class:`CompiledModel` users work with."""

from __future__ import annotations

import pickle
from pathlib import Path

from .ir import Program
from .metadata import build_metadata, control_values
from .parse import parse_model


class CompiledModel:
    """A Vensim model compiled for ensemble simulation.

    Attributes
    ----------
    path : str
    model_hash : str
        sha256 hex digest of the ``.mdl`` bytes.
    dims : dict
        Subscript range -> tuple of elements.
    constants : dict
        Vensim name -> :class:`~aigap.engine.metadata.ConstantInfo`.
    variables : dict
        Vensim name -> :class:`~aigap.engine.metadata.VariableInfo`.
    initial_time, final_time, time_step, saveper : float
    ir : aigap.engine.ir.Program
        The compiled IR (the only thing the compiler produces).
    plans : dict
        Backend name -> that backend's plan of the IR (:meth:`plan`).
    """

    def __init__(self, parsed, ir=None):
        self._parsed = parsed
        self.path = parsed.path
        self.model_hash = parsed.model_hash
        self.dims = dict(parsed.dims)
        self.constants, self.variables = build_metadata(parsed)
        ctrl = control_values(parsed)
        self.initial_time = ctrl["initial_time"]
        self.final_time = ctrl["final_time"]
        self.time_step = ctrl["time_step"]
        self.saveper = ctrl["saveper"]
        self._ir = ir
        self.plans = {}  # backend name -> its plan of the IR, built on first use

    def __repr__(self):
        return (
            f"CompiledModel({Path(self.path).name!r}, {len(self.variables)} variables, "
            f"{len(self.constants)} constants)"
        )

    @property
    def ir(self):
        """The model's :class:`~aigap.engine.ir.Program`, compiled on first use."""
        if self._ir is None:
            from .compiler import build_ir

            self._ir = build_ir(self._parsed)
        return self._ir

    def plan(self, backend):
        """The plan of ``backend`` (a :class:`~aigap.engine.backends.Backend` or its name)
        for this model's IR, built once per model object."""
        if isinstance(backend, str):
            from .backends import get_backend

            backend = get_backend(backend)
        if backend.name not in self.plans:
            self.plans[backend.name] = backend.compile(self.ir)
        return self.plans[backend.name]

    def check(self):
        """Compile now (raises UnsupportedFeatureError for unsupported features)."""
        self.ir  # noqa: B018
        return self

    def simulate(
        self,
        params=None,
        n_runs=None,
        method="euler",
        time_step=None,
        saveper=None,
        initial_time=None,
        final_time=None,
        outputs=None,
        block_size=None,
        engine="auto",
    ):
        """Simulate an ensemble; see :func:`aigap.engine.simulate.simulate`."""
        from .simulate import simulate

        return simulate(
            self,
            params=params,
            n_runs=n_runs,
            method=method,
            time_step=time_step,
            saveper=saveper,
            initial_time=initial_time,
            final_time=final_time,
            outputs=outputs,
            block_size=block_size,
            engine=engine,
        )


def _cache_file(model_hash):
    from pysd import __version__ as pysd_version

    from .backends.cache import cache_dir
    from .version import IR_VERSION

    return cache_dir() / "ir" / f"{model_hash[:40]}-{IR_VERSION}-pysd{pysd_version}.pkl"


def _load_cached(path):
    """(ParsedModel, IR) from the on-disk cache, or None."""
    from .parse import file_hash

    digest = file_hash(path)
    cache = _cache_file(digest)
    from .backends.cache import read_verified

    data = read_verified(cache)  # never unpickle an entry that fails its content hash
    if data is None:
        return None
    try:
        pm, prog = pickle.loads(data)
    except Exception:  # a stale entry from an older layout: rebuild it
        return None
    if not isinstance(prog, Program):
        return None
    pm.path = str(path)
    return pm, prog


def _store_cached(pm, prog):
    from .backends.cache import write_verified

    write_verified(_cache_file(pm.model_hash), pickle.dumps((pm, prog)))


def compile_model(path, check=True) -> CompiledModel:
    """Parse a Vensim model and compile it for ensemble simulation.

    Raises :class:`~aigap.engine.errors.UnsupportedFeatureError` (naming the
    variable, file and line) here, at compile time, for anything the engine
    cannot compile. The IR is loaded from the on-disk cache (keyed by the model
    file's hash, a digest of the engine's sources that build it and PySD's
    version: :data:`~aigap.engine.version.IR_VERSION`) or built now; backends
    compile their plans from it (:meth:`CompiledModel.plan`).

    Parameters
    ----------
    path : str or Path
        The ``.mdl`` file.
    check : bool
        ``False`` returns the metadata (dims, constants, variables, control
        values) of a model the engine may not support, without compiling it
        (the PySD reference backend uses this); ``simulate`` then raises.
    """
    from .compiler import build_ir
    from .errors import UnsupportedFeatureError

    cached = _load_cached(path) if Path(path).is_file() else None
    if cached is not None:
        pm, prog = cached
        return CompiledModel(pm, prog)
    pm = parse_model(path)
    try:
        prog = build_ir(pm)
    except UnsupportedFeatureError:
        if check:
            raise
        return CompiledModel(pm)  # metadata only; simulate() raises the error
    _store_cached(pm, prog)
    return CompiledModel(pm, prog)
