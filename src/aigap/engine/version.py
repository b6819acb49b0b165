"""Engine versions computed from the engine's own source files: nobody bumps them.

``IR_VERSION`` digests the modules that parse a model and build its IR (every
``engine/*.py``; the backends are not part of it), so the on-disk IR cache is
rebuilt whenever any of them changes. ``ENGINE_VERSION`` digests every engine
source file, backends included; run manifests record it. The generated numpy
and numba modules are cached under a digest of their own source text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_ROOT = Path(__file__).resolve().parent


def source_digest(files) -> str:
    """sha256 (16 hex digits) of the names and bytes of ``files`` (paths under engine/)."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda p: p.relative_to(_ROOT).as_posix()):
        h.update(f.relative_to(_ROOT).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


IR_VERSION = "ir-" + source_digest(_ROOT.glob("*.py"))
ENGINE_VERSION = source_digest(_ROOT.rglob("*.py"))
