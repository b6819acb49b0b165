"""Partial (resumable) run folders: one process at a time, and chunks checked before use.

- :class:`FolderLock`: a ``lock`` file (PID + host) created with ``O_EXCL`` in a partial
  folder. A second process resuming the same folder (or the same sweep started twice)
  is refused, naming the PID; a lock left by a dead process on this host is taken over.
- :func:`read_chunk`: a saved chunk loaded and validated (keys, rows, finite time axis);
  any problem (truncated or garbled file, wrong shape) gives ``None`` and the reason, so
  the caller recomputes that chunk instead of crashing.
- :func:`chunk_runner`: where a job's chunks run, in this process (default) or as
  dask.distributed tasks (``--dask``; :mod:`aigap.workflow.distributed`, imported only then).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from ..scenarios import InputError

__all__ = ["FolderLock", "read_chunk", "LOCK", "chunk_runner", "run_in_process", "chunk_items"]

LOCK = "lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class FolderLock:
    """``with FolderLock(folder):`` holds ``folder/lock`` for this process.

    Raises InputError when another live process holds it (or a process on another
    host: its liveness cannot be checked, so the message names the file to remove).
    """

    def __init__(self, folder: Path | str) -> None:
        self.path = Path(folder) / LOCK
        self.held = False

    def acquire(self) -> "FolderLock":
        """Take the lock (O_EXCL create), taking over a dead owner's; else InputError."""
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is None or (
                    owner.get("host") == me["host"] and not _alive(int(owner.get("pid", -1)))
                ):
                    self._remove_stale()
                    continue
                where = (
                    ""
                    if owner.get("host") == me["host"]
                    else f" on host {owner.get('host')} (remove {self.path} if it is not running)"
                )
                raise InputError(
                    [
                        f"{self.path.parent}: in use by PID {owner.get('pid')}"
                        f"{where}; wait for it to finish, or start over with "
                        "--fresh"
                    ]
                ) from None
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            self.held = True
            return self
        raise InputError([f"{self.path}: cannot take the lock (it keeps changing)"])

    def _owner(self):
        try:
            owner = json.loads(self.path.read_text())
            int(owner["pid"])
            return owner
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None  # garbled lock (crash while writing it): stale

    def _remove_stale(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def release(self) -> None:
        """Remove the lock file if this process holds it."""
        if self.held:
            self._remove_stale()
            self.held = False

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> bool:
        self.release()
        return False


def load_npz(path: Path, keys: Iterable[str]) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """``(arrays, None)`` for a readable ``.npz`` holding every name in ``keys`` (every
    member read, so its CRC is checked), else ``(None, reason)``."""
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            missing = [k for k in keys if k not in z.files]
            if missing:
                return None, f"missing {', '.join(missing)}"
            return {k: z[k] for k in z.files}, None
    except FileNotFoundError:
        return None, "missing"
    except Exception as exc:  # noqa: BLE001 - any unreadable file is recomputed
        return None, f"unreadable ({exc.__class__.__name__})"


def read_chunk(
    path: Path, keys: Iterable[str], rows: int, n_times: int | None = None
) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """``(arrays, None)`` for a valid chunk file, else ``(None, reason)``.

    Valid: a readable ``.npz`` holding every name in ``keys``; every array but ``time``
    and ``engine`` has ``rows`` rows; ``time`` is finite (and has ``n_times`` values when
    given) and every output has that many saved times.
    """
    arrays, why = load_npz(path, keys)
    if arrays is None:
        return None, why
    t = arrays.get("time")
    if (
        t is None
        or t.ndim != 1
        or not np.isfinite(t).all()
        or (n_times is not None and t.size != n_times)
    ):
        return None, "bad time axis"
    for k, v in arrays.items():
        if k in ("time", "engine"):
            continue
        if v.ndim < 1 or v.shape[0] != rows or (v.ndim >= 2 and v.shape[1] != t.size):
            return None, f"{k} has shape {v.shape}, expected {rows} runs"
    return arrays, None


def chunk_items(items: Any) -> Iterator[tuple[Any, Any]]:
    """``(key, item)`` pairs of a dict or of an iterable of pairs (drawn lazily)."""
    return iter(items.items()) if isinstance(items, dict) else iter(items)


def run_in_process(
    fn: Callable[[Any, Any], Any], context: Any, items: Any
) -> Iterator[tuple[Any, Any]]:
    """Yield ``(key, fn(context, item))`` for every ``key, item`` of ``items`` (a dict or
    an iterable of pairs, consumed one at a time), in order."""
    for key, item in chunk_items(items):
        yield key, fn(context, item)


run_in_process.info = None


def chunk_runner(
    dask: str | None = None, progress: Callable[[str], object] | None = None
) -> AbstractContextManager[Callable[..., Iterator[tuple[Any, Any]]]]:
    """A context manager giving ``run(fn, context, items)`` (see :func:`run_in_process`):
    in this process without ``dask``, else on a Dask cluster
    (:func:`aigap.workflow.distributed.dask_runner`; results in completion order)."""
    if dask is None:
        return contextlib.nullcontext(run_in_process)
    from .distributed import dask_runner

    return dask_runner(dask, progress)
