"""``manifest.json``: everything needed to know how a run folder was produced."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import aigap

if TYPE_CHECKING:
    from ..engine import CompiledModel


def sha256_file(path: Path | str) -> str:
    """sha256 hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_record(path: Path | str) -> dict:
    """``{"path": ..., "sha256": ...}`` for a file."""
    return {"path": str(path), "sha256": sha256_file(path)}


def git_commit(start: Path | str | None = None) -> dict:
    """``{"commit": sha or None, "dirty": bool or None}`` of the repository holding ``start``
    (default: the aigap package source)."""
    folder = Path(start or Path(aigap.__file__).resolve().parent)
    folder = folder if folder.is_dir() else folder.parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if sha.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(folder),
                "--no-optional-locks",
                "status",
                "--porcelain",
                "--untracked-files=no",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {
            "commit": sha.stdout.strip(),
            "dirty": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None,
        }
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def to_jsonable(value: Any) -> Any:
    """Numpy arrays/scalars, paths and TimeSeries -> plain JSON types."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "times") and hasattr(value, "values"):
        return {"times": to_jsonable(value.times), "values": to_jsonable(value.values)}
    return value


def scenario_record(scenario: Any) -> dict:
    """A scenario as the manifest records it: name, description and its ``extends`` files."""
    return {
        "name": scenario.name,
        "description": scenario.description,
        "files": list(scenario.files),
    }


def engine_record(ran: Iterable[str], requested: str | None = None) -> tuple[str | None, dict]:
    """The manifest's ``engine`` value and version fields for the engine(s) that ran.

    Parameters
    ----------
    ran : iterable of str
        ``res.meta["engine"]`` of every simulation of the job (``"numpy"``,
        ``"compiled"``, ``"pysd"``); several distinct values are joined with ``+``.
    requested : str, optional
        The engine asked for (``"auto"``, ``"numpy"``, ``"compiled"``, ``"pysd"``).

    Returns
    -------
    engine : str or None
    extra : dict
        ``engine_requested``, ``engine_version`` and, per backend that ran, its
        version (the compiled backend's code-generator version and numba's, and the
        libmvec variant its lock-step kernel can call on this machine, ``"avx2"``
        (on AVX-512 CPUs too), ``None`` where only the one-run kernel runs, llvmlite's
        version and who compiles the lock-step kernel, ``"native"`` or ``"numba"``; PySD's).
    """
    from ..engine.version import ENGINE_VERSION

    used = sorted(set(ran))
    versions = {}
    if "compiled" in used:
        import llvmlite

        from ..engine.backends.numba import BACKEND_VERSION, native_enabled, numba_status

        from ..engine.backends.numba.vecmath import isa

        versions["compiled"] = {
            "backend_version": BACKEND_VERSION,
            "numba": numba_status()[1],
            "libmvec": isa(),
            "llvmlite": llvmlite.__version__,
            # who compiles the lock-step kernel: aigap's LLVM code generator, or numba
            "lock_step_compiler": "native" if native_enabled() else "numba",
        }
    if "pysd" in used:
        import pysd

        versions["pysd"] = {"pysd": pysd.__version__}
    extra = {
        "engine_requested": requested,
        "engine_version": ENGINE_VERSION,
        "engine_backends": versions,
    }
    return ("+".join(used) or None), extra


def build_manifest(
    kind: str,
    name: str,
    started: datetime,
    *,
    scenarios: Iterable[Mapping[str, Any]] = (),
    model: CompiledModel | Path | str | None = None,
    engine: str | None = None,
    method: str | None = None,
    time_step: float | None = None,
    seed: int | None = None,
    observations: Path | str | None = None,
    command: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict:
    """The manifest of a run folder.

    Parameters
    ----------
    kind, name : str
        Job kind (``run``, ``compare``, ``sweep``, ...) and run name.
    started : datetime
        Start time (timezone-aware); ``finished`` and ``duration_s`` are taken now.
    scenarios : list of dict
        ``{"name", "files": [scenario chain paths], ...}``; each file gets its sha256.
    model : CompiledModel or path, optional
    observations : path, optional
    seed : int, optional
        The seed of the ``numpy.random.Generator`` (None when nothing is random).
    extra : dict, optional
        Job-specific fields (parameters, sets, ...), merged in.
    """
    finished = datetime.now().astimezone()
    scen = []
    for s in scenarios:
        rec = dict(s)
        rec["files"] = [file_record(f) for f in s.get("files", ())]
        scen.append(rec)
    model_rec = None
    if model is not None:
        mpath = getattr(model, "path", model)
        model_rec = {
            "path": str(mpath),
            "sha256": getattr(model, "model_hash", None) or sha256_file(mpath),
        }
    out = {
        "kind": kind,
        "name": name,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 3),
        "command": list(command) if command is not None else sys.argv,
        "cwd": str(Path.cwd()),
        "scenarios": scen,
        "model": model_rec,
        "observations": file_record(observations) if observations else None,
        "engine": engine,
        "method": method,
        "time_step": time_step,
        "seed": seed,
        "package": {"name": "aigap", "version": aigap.__version__},
        "git": git_commit(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    if extra:
        out.update(extra)
    return to_jsonable(out)


def write_manifest(folder: Path | str, manifest: dict) -> Path:
    """Write ``manifest.json`` into ``folder``; returns its path."""
    path = Path(folder) / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
