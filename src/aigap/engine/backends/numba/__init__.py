"""The ``compiled`` backend: kernels generated from the IR (numba, or LLVM IR written by aigap), cached on disk.

- :mod:`.backend`: the :class:`~aigap.engine.backends.Backend` (kernel cache, threads, host side);
- :mod:`.codegen`: the plan and the one-run-at-a-time kernel template;
- :mod:`.lanes`: its lock-step variant (eight runs with SIMD and libmvec);
- :mod:`.native` (with :mod:`.native_types`, :mod:`.native_function`, :mod:`.native_expr`):
  the lock-step module compiled to LLVM IR by aigap (no numba frontend); :mod:`.objcode`: its
  object code, cached by content and run through ctypes;
- :mod:`.printer`: IR expression -> scalar source; :mod:`.opcount`: operations per step;
- :mod:`.helpers` / :mod:`.shared`: the helper functions every kernel imports
  (compiled once per machine) and intrinsics; :mod:`.vecmath`: libmvec ``exp``/``log``/``pow`` lane calls (AVX2).

Importing this package does not import numba (only running a kernel does).
"""

from .backend import (
    BACKEND_VERSION,
    COMPILED_BLOCK,
    NumbaBackend,
    NumbaProgram,
    n_threads,
    native_enabled,
    numba_status,
    require_numba,
)

BACKEND = NumbaBackend()

__all__ = [
    "BACKEND",
    "BACKEND_VERSION",
    "COMPILED_BLOCK",
    "NumbaBackend",
    "NumbaProgram",
    "n_threads",
    "native_enabled",
    "numba_status",
    "require_numba",
]
