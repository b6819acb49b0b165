"""The compiled engine backend: numba kernels generated from the IR, cached on disk.

:class:`NumbaProgram` mirrors :class:`~aigap.engine.codegen_numpy.NumpyProgram`:
``function(ts_params, outputs, method)`` returns a callable with the numpy
``run`` signature, so :func:`aigap.engine.simulate.simulate` drives both
backends the same way. The generated module is written to
``<cache>/numba/`` under a name keyed by the model hash, the backend version
and a digest of the source (which encodes the signature); numba's own
``cache=True`` stores the machine code beside it, so a new process loads the
kernel instead of compiling it.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from .codegen_numba import CODEGEN_VERSION, generate, info_columns, static_order, what
from .errors import EngineError, ParameterError

BACKEND_VERSION = f"{CODEGEN_VERSION}.2"
ENGINES = ("auto", "numpy", "compiled")
AUTO_MIN_RUNS = 10_000        # "auto": compiled when the kernel is cached and runs >= this
AUTO_COMPILE_RUNS = 250_000   # "auto": compiled even when the kernel must first be compiled
COMPILED_BLOCK = 32_768       # runs per kernel call (inputs packed per block)


def numba_status():
    """``(True, version)`` when numba imports, else ``(False, reason)``."""
    try:
        import numba
    except Exception as exc:  # ImportError, or a broken install (llvmlite mismatch)
        return False, f"{type(exc).__name__}: {exc}"
    return True, numba.__version__


def auto_engine(numba_ok: bool, cached: bool, n_runs: int) -> str:
    """The backend ``engine="auto"`` picks: a pure function of its three inputs.

    Compiling a kernel for a new signature (outputs, time-series constants,
    method) takes 5-20 s, while the numpy backend simulates 10,000 runs of the
    project model in under a second. So ``"auto"`` picks ``"compiled"`` only when
    numba imports and either the kernel for this signature is already compiled
    (in this process or in the on-disk cache) and ``n_runs >= AUTO_MIN_RUNS``,
    or the ensemble is large enough to amortise the compilation
    (``n_runs >= AUTO_COMPILE_RUNS``); otherwise ``"numpy"``.

    Parameters
    ----------
    numba_ok : bool
        numba imports.
    cached : bool
        The kernel of this signature needs no compilation.
    n_runs : int
        Size of the ensemble.

    Returns
    -------
    str
        ``"compiled"`` or ``"numpy"``.
    """
    if numba_ok and n_runs >= (AUTO_MIN_RUNS if cached else AUTO_COMPILE_RUNS):
        return "compiled"
    return "numpy"


def choose_engine(engine, n_runs, cached=None) -> str:
    """Resolve ``engine`` to ``"numpy"`` or ``"compiled"`` for an ensemble of ``n_runs``.

    ``"compiled"`` without numba falls back to numpy with a RuntimeWarning that
    says why; ``"auto"`` follows :func:`auto_engine`. ``cached`` is a callable
    (no arguments) telling whether the kernel is already compiled; it is called
    only when the answer matters.
    """
    if engine not in ENGINES:
        raise ParameterError(f"unknown engine '{engine}'; use one of {ENGINES}")
    if engine == "numpy":
        return "numpy"
    ok, detail = numba_status()
    if engine == "compiled" and not ok:
        warnings.warn(f"compiled engine unavailable: numba cannot be imported ({detail}); "
                      "using the numpy engine", RuntimeWarning, stacklevel=3)
        return "numpy"
    if engine == "auto":
        if not ok or n_runs < AUTO_MIN_RUNS:
            return "numpy"
        is_cached = n_runs < AUTO_COMPILE_RUNS and cached is not None and bool(cached())
        return auto_engine(ok, is_cached, n_runs)
    return "compiled"


def require_numba():
    """numba's version; an EngineError saying how to install it when it cannot be imported."""
    ok, detail = numba_status()
    if not ok:
        raise EngineError(f"the compiled engine needs numba, which cannot be imported ({detail}); "
                          "install it with `pip install numba` or use engine='numpy'")
    return detail


def module_path(model_hash: str, src: str):
    """Cache file of a generated module: keyed by model, backend version and source."""
    from .cache import cache_dir
    from .version import ENGINE_VERSION
    version = require_numba()
    digest = hashlib.sha256("\0".join([ENGINE_VERSION, BACKEND_VERSION, version, src])
                            .encode()).hexdigest()
    folder = cache_dir() / "numba"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"k{model_hash[:16]}_{digest[:24]}.py"


def is_compiled(model_hash: str, src: str) -> bool:
    """True when numba's on-disk cache holds machine code for this generated module."""
    path = module_path(model_hash, src)
    if not path.is_file():
        return False
    pattern = f"{path.stem}.run_block-*.nbc"
    if any((path.parent / "__pycache__").glob(pattern)):
        return True
    env = os.environ.get("NUMBA_CACHE_DIR")
    return bool(env) and any(Path(env).expanduser().rglob(pattern))


def _machine_code(path: Path) -> list:
    """numba's cache files of a generated module (index ``.nbi`` and code ``.nbc``)."""
    return sorted((path.parent / "__pycache__").glob(f"{path.stem}.*.nb[ic]"))


def _verified(path: Path, src: str) -> bool:
    """The module file holds exactly ``src`` and numba's cache files match their seal
    (written after the first compile by :func:`seal_machine_code`); no seal, no trust."""
    from .cache import sealed_ok
    try:
        if path.read_text() != src:
            return False
    except (OSError, UnicodeDecodeError):
        return False
    code = _machine_code(path)
    return not code or sealed_ok(path.with_suffix(".sha256"), code)


def seal_machine_code(path: Path) -> None:
    """Record the content hash of numba's cache files of ``path`` (after a compile)."""
    from .cache import seal
    code = _machine_code(path)
    if code:
        seal(path.with_suffix(".sha256"), code)


def load_module(model_hash: str, src: str):
    """Write the source once (atomically; numba's cache is keyed by its mtime) and import it."""
    path = module_path(model_hash, src)
    if not _verified(path, src):     # content-checked: an edited module or cache is rebuilt
        for f in _machine_code(path):
            f.unlink(missing_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
        tmp.write_text(src)
        os.replace(tmp, path)
    name = f"aigap_kernel_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def n_threads() -> int:
    """Threads of the compiled engine: numba's setting (NUMBA_NUM_THREADS, set_num_threads)."""
    import numba
    return max(1, int(numba.get_num_threads()))


_POOL = {}


def run_parallel(fn, n_runs, args, min_chunk=64):
    """Run ``fn(r0, r1, *args)`` over contiguous slices of the runs, one per thread.

    The kernel is compiled with ``nogil=True``, so plain threads run it in
    parallel; this replaces numba's ``parallel=True``/``prange``, whose parfor
    pass roughly doubles compile time for a large straight-line body.
    """
    k = min(n_threads(), max(1, n_runs // min_chunk))
    if k == 1:
        fn(0, n_runs, *args)
        return
    from concurrent.futures import ThreadPoolExecutor
    pool = _POOL.get(k)
    if pool is None:
        pool = _POOL[k] = ThreadPoolExecutor(k, thread_name_prefix="aigap-kernel")
    bounds = (np.linspace(0, n_runs, k + 1) // 8 * 8).astype(int)   # whole groups of 8 runs
    bounds[-1] = n_runs
    futures = [pool.submit(fn, int(a), int(b), *args) for a, b in zip(bounds[:-1], bounds[1:])]
    for f in futures:
        f.result()


class NumbaProgram:
    """IR plus a cache of compiled kernels, one per signature."""

    def __init__(self, prog):
        self.ir = prog
        self._fns = {}

    def __getstate__(self):
        return {"ir": self.ir, "_fns": {}}

    @property
    def lanes(self) -> bool:
        """True when the lock-step (SIMD + libmvec) kernel is used for this model;
        ``AIGAP_NUMBA_LANES=0`` forces the one-run-at-a-time kernel."""
        from .codegen_numba_lanes import lanes_supported
        return os.environ.get("AIGAP_NUMBA_LANES", "1") != "0" and lanes_supported(self.ir)

    def source(self, ts_params, outputs, method):
        """Python source of the kernel module for one signature."""
        if method == "euler" and self.lanes:    # RK4's 4 evaluations: compile time 4x, kept scalar
            from .codegen_numba_lanes import generate_lanes
            return generate_lanes(self.ir, frozenset(ts_params), tuple(outputs), method)
        return generate(self.ir, frozenset(ts_params), tuple(outputs), method)

    def is_cached(self, ts_params, outputs, method) -> bool:
        """True when the kernel of this signature needs no compilation (loaded or on disk)."""
        key = (frozenset(ts_params), tuple(outputs), method)
        return key in self._fns or is_compiled(self.ir.model_hash, self.source(*key))

    def function(self, ts_params, outputs, method):
        """The kernel of one signature (compiled, or loaded from the disk cache, once)."""
        key = (frozenset(ts_params), tuple(outputs), method)
        if key not in self._fns:
            mod = load_module(self.ir.model_hash, self.source(*key))
            self._fns[key] = Kernel(self.ir, mod.run_block, sorted(key[0]),
                                    module_path(self.ir.model_hash, self.source(*key)))
        return self._fns[key]


class Kernel:
    """Host side of one kernel: packs the inputs, runs it, checks the per-run orders."""

    def __init__(self, prog, fn, ts, path=None):
        self.ir = prog
        self.fn = fn
        self.ts = ts
        self.path = path          # the module file; numba's cache beside it is sealed once
        self.params = list(prog.params)
        self.info = info_columns(prog)

    def __call__(self, P, TS, R, times, save, dt, initial_time, final_time, saveper, O):
        """Pack the inputs of one block of runs, run the kernel, check per-run values."""
        PR = np.zeros((R, len(self.params)))
        for j, pname in enumerate(self.params):
            if pname in P:
                PR[:, j] = P[pname]
        xs = [np.asarray(TS[p][0], dtype=float) for p in self.ts]
        TO = np.cumsum([0] + [len(x) for x in xs]).astype(np.int64)
        TX = np.concatenate(xs) if xs else np.zeros(0)
        TV = np.empty((R, int(TO[-1])))
        for q, p in enumerate(self.ts):
            TV[:, TO[q]:TO[q + 1]] = TS[p][1]
        INFO = np.zeros((R, len(self.info)))
        outs = [o if o.flags.c_contiguous else np.ascontiguousarray(o) for o in O]
        args = (PR, TX, TO, TV, np.ascontiguousarray(times, dtype=float),
                np.ascontiguousarray(save, dtype=np.int64), float(dt), float(initial_time),
                float(final_time), float(saveper), *outs, INFO)
        run_parallel(self.fn, R, args)
        if self.path is not None:          # compiled (and cached) now: seal the cache files
            seal_machine_code(self.path)
            self.path = None
        for o, res in zip(O, outs):
            if o is not res:
                o[...] = res
        self.check(INFO, dt)

    def check(self, INFO, dt):
        """Raise the numpy backend's error for orders/delay times it would reject."""
        from .runtime import delay_order, uniform_int
        col = {key: INFO[:, c] for c, key in enumerate(self.info)}
        states = {s.sid: s for s in self.ir.states}
        for kind, sid in self.ir.init_order:
            if kind != "state" or (sid, "order") not in col and (sid, "time") not in col:
                continue
            s = states[sid]
            if s.kind == "smooth" and static_order(s) is None:
                if int(uniform_int(col[(sid, "order")], "order of " + what(s))) < 1:
                    raise IndexError("index -1 is out of bounds for axis 0 with size 0")
            elif s.kind in ("delay", "delayn"):
                delay_order(col[(sid, "order")], col[(sid, "time")], dt, what(s))
