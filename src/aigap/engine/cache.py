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
