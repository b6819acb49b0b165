"""The compiled engine backend: numba kernels generated from the IR, cached on disk.

:class:`NumbaProgram` mirrors :class:`~aigap.engine.backends.numpy.NumpyProgram`:
``function(ts_params, outputs, method)`` returns a callable with the numpy
``run`` signature, so :func:`aigap.engine.simulate.simulate` drives both
backends the same way. Behind it there is one kernel per model and method:
outputs (``SEL``) and time-series constants (``TSJ`` and their points) are
arguments of the kernel, not part of its source. The generated module is
written to ``<cache>/numba/`` under a name keyed by the model hash, the
backend version and a digest of the source; numba's own ``cache=True`` stores
the machine code beside it, so a new process loads the kernel instead of
compiling it. Nothing numba cached is trusted unchecked: the kernels' cache
files and those of the shared helpers (:mod:`.shared`) are sealed with their
content hash after a compile and checked before they are loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from ...errors import EngineError
from .. import Backend
from .codegen import CODEGEN_VERSION, generate, info_columns, static_order, stored_scalars, what

BACKEND_VERSION = f"{CODEGEN_VERSION}.1"
COMPILED_BLOCK = 32_768  # runs per kernel call (inputs packed per block)


def native_enabled() -> bool:
    """False when ``AIGAP_NATIVE=0``: numba, not :mod:`.native`, builds the lock-step
    kernel (read at each call, so a job's manifest and its kernels agree)."""
    return os.environ.get("AIGAP_NATIVE", "1") != "0"


def numba_status():
    """``(True, version)`` when numba imports, else ``(False, reason)``."""
    try:
        import numba
    except Exception as exc:  # ImportError, or a broken install (llvmlite mismatch)
        return False, f"{type(exc).__name__}: {exc}"
    return True, numba.__version__


def require_numba():
    """numba's version; an EngineError saying how to install it when it cannot be imported."""
    ok, detail = numba_status()
    if not ok:
        raise EngineError(
            f"the compiled engine needs numba, which cannot be imported ({detail}); "
            "install it with `pip install numba` or use engine='numpy'"
        )
    return detail


def module_path(model_hash: str, src: str):
    """Cache file of a generated module: keyed by model, backend version, numba's version,
    the source of the modules a kernel imports (its machine code inlines them) and its own."""
    from ..cache import cache_dir

    version = require_numba()
    digest = hashlib.sha256(
        "\0".join([_imported_digest(), BACKEND_VERSION, version, src]).encode()
    ).hexdigest()
    folder = cache_dir() / "numba"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"k{model_hash[:16]}_{digest[:24]}.py"


def _imported_digest() -> str:
    """Digest of the modules every kernel imports (helpers, intrinsics, libmvec lane
    calls, the compiler pipeline), whose code numba's cache of a kernel holds inlined, and of the libmvec
    variant they call here (AVX2, or none: a cache shared between machines never mixes
    them): part of the kernel's cache key."""
    from .vecmath import isa

    here = Path(__file__).parent
    data = b"".join(
        (here / name).read_bytes() for name in ("shared.py", "vecmath.py", "pipeline.py")
    )
    return hashlib.sha256(data + f"\0libmvec={isa()}".encode()).hexdigest()[:16]


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
    from ..cache import sealed_ok

    try:
        if path.read_text() != src:
            return False
    except (OSError, UnicodeDecodeError):
        return False
    code = _machine_code(path)
    return not code or sealed_ok(path.with_suffix(".sha256"), code)


def seal_machine_code(path: Path) -> None:
    """Record the content hash of numba's cache files of ``path`` and of the shared
    helpers (after a compile)."""
    from ..cache import seal

    code = _machine_code(path)
    if code:
        seal(path.with_suffix(".sha256"), code)
    _seal_shared()


def _cache_folder() -> Path:
    """Where numba caches the shared helpers: its folder for this package in
    ``NUMBA_CACHE_DIR`` when set, else ``__pycache__`` beside them."""
    folder = os.path.dirname(os.path.abspath(Path(__file__).with_name("shared.py")))
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        sub = f"{os.path.basename(folder)}_{hashlib.sha1(folder.encode()).hexdigest()}"
        return Path(env).expanduser() / sub
    return Path(folder) / "__pycache__"


def shared_cache_files() -> list:
    """numba's cache files (``.nbi`` index, ``.nbc`` code) of the shared helpers."""
    return sorted(_cache_folder().glob("shared.*.nb[ic]"))


def _seal_record() -> Path:
    from ..cache import cache_dir
    from .helpers import DIGEST

    where = hashlib.sha1(str(_cache_folder()).encode()).hexdigest()[:12]
    return cache_dir() / "numba" / f"shared-{DIGEST}-{where}.sha256"


def _verify_shared() -> None:
    """Delete the shared helpers' cache files unless they match their seal (no seal, no
    trust): numba then compiles them again with the next kernel, never unpickles them."""
    from ..cache import sealed_ok

    files = shared_cache_files()
    if files and not sealed_ok(_seal_record(), files):
        for f in files:
            f.unlink(missing_ok=True)


def _seal_shared() -> None:
    """Record the content hash of the helpers' cache files (after a kernel compile)."""
    from ..cache import seal

    files = shared_cache_files()
    if files:
        record = _seal_record()
        record.parent.mkdir(parents=True, exist_ok=True)
        seal(record, files)


_SHARED_VERIFIED = []


def _verify_shared_once():
    """Check the shared helpers' cache files once per process, before the first kernel."""
    if not _SHARED_VERIFIED:
        _verify_shared()
        _SHARED_VERIFIED.append(True)


def load_module(model_hash: str, src: str):
    """Write the source once (atomically; numba's cache is keyed by its mtime) and import it."""
    path = module_path(model_hash, src)
    if not _verified(path, src):  # content-checked: an edited module or cache is rebuilt
        for f in _machine_code(path):
            f.unlink(missing_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
        tmp.write_text(src)
        os.replace(tmp, path)
    name = f"aigap_kernel_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    _verify_shared_once()
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
    bounds = (np.linspace(0, n_runs, k + 1) // 8 * 8).astype(int)  # whole groups of 8 runs
    bounds[-1] = n_runs
    futures = [pool.submit(fn, int(a), int(b), *args) for a, b in zip(bounds[:-1], bounds[1:])]
    for f in futures:
        f.result()


class NumbaProgram:
    """IR plus its compiled kernels: one per method, whatever the outputs and time series."""

    def __init__(self, prog):
        self.ir = prog
        self._fns = {}
        self._unsealed = {}  # kernels compiled in this process whose cache is not sealed yet
        self.compiles = 0  # kernels built (or loaded from disk) by this object

    def __getstate__(self):
        return {"ir": self.ir, "_fns": {}, "_unsealed": {}, "compiles": 0}

    @property
    def lanes(self) -> bool:
        """True when the lock-step (SIMD + libmvec) kernel is used for this model;
        ``AIGAP_NUMBA_LANES=0`` forces the one-run-at-a-time kernel."""
        from .lanes import lanes_supported

        return os.environ.get("AIGAP_NUMBA_LANES", "1") != "0" and lanes_supported(self.ir)

    def source(self, method):
        """Python source of the kernel module of ``method`` (Euler or RK4)."""
        if self.lanes:
            from .lanes import generate_lanes

            return generate_lanes(self.ir, method)
        return generate(self.ir, method)

    @property
    def native(self) -> bool:
        """True when the lock-step kernel is built by :mod:`.native` (LLVM, no numba
        frontend); ``AIGAP_NATIVE=0`` keeps numba's build of the same module."""
        return self.lanes and native_enabled()

    def _key(self, method):
        return (method, self.lanes, self.native)

    def _native(self, method):
        """The native kernel of ``method``, or None when its module uses Python the
        native compiler does not translate (then numba builds it)."""
        from .native import Unsupported
        from .objcode import native_kernel

        try:
            return native_kernel(self.source(method))
        except Unsupported:
            return None

    def is_cached(self, ts_params=(), outputs=(), method="euler") -> bool:
        """True when the kernel of ``method`` needs no compilation (loaded, or on disk).

        ``ts_params`` and ``outputs`` are accepted for the numpy backend's call
        shape; they do not change the kernel."""
        if self._key(method) in self._fns:
            return True
        if self.native:
            from .objcode import is_built

            if is_built(self.source(method)):
                return True
        return is_compiled(self.ir.model_hash, self.source(method))

    def kernel(self, method):
        """The compiled kernel of ``method`` (compiled, or loaded from the disk cache, once)."""
        key = self._key(method)
        if key not in self._fns and self.native:
            fn = self._native(method)
            if fn is not None:
                self._fns[key] = fn
                self.compiles += 1
        if key not in self._fns:
            mod = load_module(self.ir.model_hash, self.source(method))
            self._fns[key] = mod.run_block
            self._unsealed[key] = module_path(self.ir.model_hash, self.source(method))
            self.compiles += 1
        return self._fns[key]

    def function(self, ts_params, outputs, method):
        """A callable with the numpy backend's ``run`` signature for these outputs and
        time-series constants, running the one kernel of ``method``."""
        fn = self.kernel(method)
        # the first job after a compile seals numba's cache files (checked on every load)
        return Kernel(
            self.ir, fn, ts_params, outputs, path=self._unsealed.pop(self._key(method), None)
        )


class Kernel:
    """Host side of one job: packs the inputs, runs the kernel, checks the per-run orders."""

    def __init__(self, prog, fn, ts, outputs, path=None):
        self.ir = prog
        self.fn = fn
        self.path = path  # the module file; numba's cache beside it is sealed once
        self.params = list(prog.params)
        self.ts = sorted(ts)
        self.tsj = np.array([self.params.index(p) for p in self.ts], dtype=np.int64)
        _, spans = stored_scalars(prog)
        self.outputs = list(outputs)
        self.spans = [spans[name] for name in self.outputs]
        sel = [np.arange(a, b) for a, b in self.spans]
        self.sel = np.concatenate(sel).astype(np.int64) if sel else np.zeros(0, np.int64)
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
            TV[:, TO[q] : TO[q + 1]] = TS[p][1]
        INFO = np.zeros((R, len(self.info)))
        save = np.ascontiguousarray(save, dtype=np.int64)
        OUT = np.empty((R, int(save.max()) + 1 if save.size else 0, len(self.sel)))
        args = (
            PR,
            TX,
            TO,
            TV,
            self.tsj,
            self.sel,
            np.ascontiguousarray(times, dtype=float),
            save,
            float(dt),
            float(initial_time),
            float(final_time),
            float(saveper),
            OUT,
            INFO,
        )
        run_parallel(self.fn, R, args)
        if self.path is not None:  # compiled (and cached) now: seal the cache files
            seal_machine_code(self.path)
            self.path = None
        k = 0
        for o, (a, b) in zip(O, self.spans):
            o[...] = OUT[:, :, k : k + b - a].reshape(o.shape)
            k += b - a
        self.check(INFO, dt)

    def check(self, INFO, dt):
        """Raise the numpy backend's error for orders/delay times it would reject."""
        from ...runtime import delay_order, uniform_int

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


class NumbaBackend(Backend):
    """The ``compiled`` engine: numba kernels, blocks of runs on threads."""

    name = "compiled"
    block_size = COMPILED_BLOCK

    def status(self):
        """``(True, numba version)`` or ``(False, why numba cannot be imported)``."""
        return numba_status()

    def compile(self, ir):
        """A :class:`NumbaProgram` of ``ir`` (kernels compiled, or loaded, on first use)."""
        return NumbaProgram(ir)

    def runner(self, plan, ts_params, outputs, method):
        """The :class:`Kernel` of one job (it writes run-major rows directly)."""
        return plan.function(ts_params, outputs, method)
