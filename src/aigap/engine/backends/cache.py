"""On-disk cache location (never inside the source tree)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$AIGAP_CACHE_DIR`` if set, else ``~/.cache/aigap``; created on demand."""
    env = os.environ.get("AIGAP_CACHE_DIR")
    path = Path(env).expanduser() if env else Path.home() / ".cache" / "aigap"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def write_verified(path: Path, data: bytes) -> None:
    """Write ``data`` atomically to ``path`` with a ``<path>.sha256`` content hash beside it.

    Why: a cache entry is only used after :func:`read_verified` checked it against its hash,
    so an edited, truncated or appended entry is rebuilt instead of trusted.
    """
    import uuid

    path.parent.mkdir(parents=True, exist_ok=True)
    for target, payload in ((path, data), (_hash_path(path), _digest(data).encode())):
        tmp = target.with_name(f".{target.name}.{os.getpid()}_{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, target)


def read_verified(path: Path) -> bytes | None:
    """Bytes of a cache entry written by :func:`write_verified`, or None when the entry or
    its hash is missing or they do not match (the caller then rebuilds it)."""
    try:
        data = path.read_bytes()
        expected = _hash_path(path).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return data if _digest(data) == expected else None


def _hash_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def seal(record: Path, files) -> None:
    """Write ``record``: the sha256 of each of ``files`` (numba's machine-code cache), so
    :func:`sealed_ok` can verify them by content before numba unpickles them."""
    lines = [f"{_digest(Path(f).read_bytes())}  {Path(f).name}" for f in sorted(files)]
    tmp = record.with_name(f".{record.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, record)


def sealed_ok(record: Path, files) -> bool:
    """True when ``files`` are exactly those recorded by :func:`seal`, unchanged."""
    try:
        want = dict(
            reversed(line.split("  ", 1)) for line in record.read_text().splitlines() if line
        )
        have = {Path(f).name: _digest(Path(f).read_bytes()) for f in files}
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return want == have
