"""Object code of the native lock-step kernels: built by LLVM, cached by content, run by ctypes.

:func:`native_kernel` turns the lanes module text into a callable with the numba
kernel's signature ``run_block(r0, r1, PR, TX, ...)``. The object file is keyed
by everything its machine code depends on (the module text, the compiler
:mod:`.native`, the helpers it compiles from :mod:`.shared`, llvmlite's version
and the CPU), written atomically beside a SHA-256 of its bytes, and used only if
the bytes match that digest (else rebuilt): a cache is never trusted blindly.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from .native import ARGS, ARRAYS, Compiler

OPT_LEVEL = 3  # LLVM's -O3 without its vectorizers: the code is vector code already
_LOCK = threading.Lock()
_ENGINES = []  # MCJIT engines holding loaded kernels (alive as long as the process)
_LOADED = {}  # cache key -> callable


@functools.lru_cache(maxsize=None)
def _target():
    import llvmlite.binding as llb

    llb.initialize_native_target()
    llb.initialize_native_asmprinter()
    cpu, features = llb.get_host_cpu_name(), llb.get_host_cpu_features().flatten()
    tm = llb.Target.from_default_triple().create_target_machine(
        cpu=cpu, features=features, opt=OPT_LEVEL, reloc="default", codemodel="jitdefault"
    )
    return tm, f"{llb.get_process_triple()}|{cpu}|{features}"


@functools.lru_cache(maxsize=None)
def _compiler_digest() -> bytes:
    """Digest of what turns a module into object code: the compiler's modules (every
    ``native*.py`` and this one), the helpers it compiles, llvmlite and the CPU (read once)."""
    import llvmlite

    here = Path(__file__).parent
    files = sorted(here.glob("native*.py")) + [
        here / n for n in ("objcode.py", "shared.py", "vecmath.py")
    ]
    parts = [p.read_bytes() for p in files]
    parts += [llvmlite.__version__.encode(), _target()[1].encode()]
    return hashlib.sha256(b"\0".join(parts)).digest()


def cache_key(src: str) -> str:
    """Content key of the object code of module text ``src`` on this machine."""
    return hashlib.sha256(_compiler_digest() + src.encode()).hexdigest()[:32]


def object_path(src: str, key: str | None = None) -> Path:
    from ..cache import cache_dir

    folder = cache_dir() / "native"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"k{key or cache_key(src)}.o"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cached_object(path: Path) -> bytes | None:
    """The object file's bytes when they match their recorded digest, else None."""
    try:
        data = path.read_bytes()
        want = path.with_suffix(".sha256").read_text().strip()
    except OSError:
        return None
    return data if _digest(data) == want else None


def is_built(src: str) -> bool:
    """True when verified object code of ``src`` is on disk (no compile needed)."""
    return cached_object(object_path(src)) is not None


def build_object(src: str, name: str) -> bytes:
    """LLVM IR of ``src`` (:class:`.native.Compiler`), optimised and compiled to an object file."""
    import llvmlite.binding as llb

    tm, _ = _target()
    mod = llb.parse_assembly(Compiler(src, name).compile())
    mod.triple = llb.get_process_triple()
    mod.data_layout = str(tm.target_data)
    mod.verify()
    pto = llb.create_pipeline_tuning_options(speed_level=OPT_LEVEL)
    pto.loop_vectorization = False
    pto.slp_vectorization = False
    pb = llb.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    return tm.emit_object(mod)


def _write(path: Path, data: bytes) -> None:
    """Object and digest written atomically (digest last: a torn write is never trusted)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    tmp.write_text(_digest(data) + "\n")
    os.replace(tmp, path.with_suffix(".sha256"))


def native_kernel(src: str):
    """The callable ``run_block(r0, r1, PR, ...)`` of module text ``src`` (built, or
    loaded from the verified disk cache, once per process)."""
    import llvmlite.binding as llb

    key = cache_key(src)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        name = f"aigap_native_{key}"
        path = object_path(src, key)
        data = cached_object(path)
        if data is None:
            data = build_object(src, name)
            _write(path, data)
        tm, _ = _target()
        ee = llb.create_mcjit_compiler(llb.parse_assembly(""), tm)
        ee.add_object_file(llb.ObjectFileRef.from_data(data))
        ee.finalize_object()
        addr = ee.get_function_address(name)
        if not addr:
            raise RuntimeError(f"object code {path} has no {name}")
        _ENGINES.append(ee)
        _LOADED[key] = NativeFunction(addr)
        return _LOADED[key]


class NativeFunction:
    """ctypes call of a native kernel with the numba kernel's arguments (the GIL is
    released while it runs, so blocks of runs run on threads)."""

    def __init__(self, addr):
        types = [ctypes.c_int64, ctypes.c_int64]
        for a in ARGS:
            types += [ctypes.c_void_p] + [ctypes.c_int64] * 3 if a in ARRAYS else [ctypes.c_double]
        self.fn = ctypes.CFUNCTYPE(None, *types)(addr)

    def __call__(self, r0, r1, *args):
        flat, keep = [int(r0), int(r1)], []
        for name, a in zip(ARGS, args):
            if name not in ARRAYS:
                flat.append(float(a))
                continue
            kind, ndim = ARRAYS[name]
            dtype = np.int64 if kind == "i" else np.float64
            if not (isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.c_contiguous):
                raise TypeError(f"{name}: a C-contiguous {np.dtype(dtype)} array is needed")
            if a.ndim != ndim:
                raise TypeError(f"{name}: {ndim} dimensions needed, got {a.ndim}")
            shape = list(a.shape) + [1] * (3 - ndim)
            keep.append(a)
            flat += [a.ctypes.data] + shape
        self.fn(*flat)
