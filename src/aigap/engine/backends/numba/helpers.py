"""The helper import every generated numba kernel module starts with (source text).

The helpers themselves are :mod:`aigap.engine.backends.numba.shared` (compiled once per
machine); the import line carries a digest of that module's source, so a kernel
module, and numba's cached machine code of it (which has the helpers inlined),
changes whenever a helper does. Reading the digest does not import numba.

numba's cache files of the helpers are verified by content like the kernels'
(:func:`verify_shared` before a kernel is imported, :func:`seal_shared` after a
compile): an edited or garbled entry is deleted and recompiled, never unpickled.
"""
import hashlib
import os
import re
from pathlib import Path

_SHARED = (Path(__file__).with_name("shared.py")).read_text()
NAMES = tuple(re.findall(r"^def (\w+)", _SHARED, re.M))
DIGEST = hashlib.sha256(_SHARED.encode()).hexdigest()[:16]
HELPERS = (f"# helpers: aigap.engine.backends.numba.shared, source {DIGEST}\n"
           f"from aigap.engine.backends.numba.shared import {', '.join(NAMES)}  # noqa: F401\n")
#: digest of every module a kernel imports (helpers, libmvec intrinsics): part of its cache key
IMPORTED_DIGEST = hashlib.sha256(
    (_SHARED + Path(__file__).with_name("vecmath.py").read_text()).encode()).hexdigest()[:16]


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
    where = hashlib.sha1(str(_cache_folder()).encode()).hexdigest()[:12]
    return cache_dir() / "numba" / f"shared-{DIGEST}-{where}.sha256"


def verify_shared() -> None:
    """Delete the helpers' cache files unless they match their seal (no seal, no trust);
    numba then compiles the helpers again with the next kernel."""
    from ..cache import sealed_ok
    files = shared_cache_files()
    if files and not sealed_ok(_seal_record(), files):
        for f in files:
            f.unlink(missing_ok=True)


def seal_shared() -> None:
    """Record the content hash of the helpers' cache files (after a kernel compile)."""
    from ..cache import seal
    files = shared_cache_files()
    if files:
        record = _seal_record()
        record.parent.mkdir(parents=True, exist_ok=True)
        seal(record, files)
