"""Run folders: ``runs/<YYYYmmdd-HHMMSS>-<name>/``, written atomically, never overwritten.

>>> with new_run_dir("compare", "baseline-vs-truce") as rd:
...     (rd.path / "results.csv").write_text(...)      # rd.path is a temporary folder
>>> rd.final_path                                       # renamed into place on success

The folder is built as ``runs/.tmp-<name>-XXXX`` and renamed when the ``with`` block
ends without error; on error the temporary folder is removed (or kept with
``keep_partial=True``, e.g. for a resumable sweep). A name collision gets a suffix
(``-2``, ``-3``, ...); an existing folder is never replaced.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from ..scenarios import safe_name

RUNS_ENV = "AIGAP_RUNS_DIR"
_T = TypeVar("_T")


def runs_root(runs_dir: Path | str | None = None) -> Path:
    """The runs folder: ``runs_dir``, else ``$AIGAP_RUNS_DIR``, else ``./runs``."""
    return Path(runs_dir or os.environ.get(RUNS_ENV) or "runs")


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class RunDir:
    """A run folder being written; see :func:`new_run_dir`."""

    def __init__(
        self,
        kind: str,
        name: str,
        runs_dir: Path | str | None = None,
        keep_partial: bool = False,
        now: datetime | None = None,
    ) -> None:
        self.kind = kind
        self.name = safe_name(name)
        self.root = runs_root(runs_dir)
        self.started = now or datetime.now().astimezone()
        self.keep_partial = keep_partial
        self.final_path: Path | None = None
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".tmp-{self.name}-", dir=self.root))
        os.chmod(self.path, 0o777 & ~current_umask())  # mkdtemp's 0700 would hide results

    @property
    def stem(self) -> str:
        """Final folder name without collision suffix: ``<YYYYmmdd-HHMMSS>-<name>``."""
        return f"{self.started:%Y%m%d-%H%M%S}-{self.name}"

    def commit(self) -> Path:
        """Rename the temporary folder to its final, unused name; returns that path."""
        for n in range(1, 10_000):
            target = self.root / (self.stem if n == 1 else f"{self.stem}-{n}")
            if target.exists():
                continue
            try:
                os.rename(self.path, target)
            except OSError as exc:  # lost a race: someone created it meanwhile
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    continue
                raise
            self.final_path = target
            return target
        raise OSError(f"no free run folder name for {self.stem} in {self.root}")

    def discard(self) -> None:
        """Remove the temporary folder (nothing is committed)."""
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> RunDir:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None:
            self.commit()
        elif not self.keep_partial:
            self.discard()
        return False


def new_run_dir(
    kind: str, name: str, runs_dir: Path | str | None = None, keep_partial: bool = False
) -> RunDir:
    """Start a run folder (a context manager); see the module docstring."""
    return RunDir(kind, name, runs_dir=runs_dir, keep_partial=keep_partial)


def check_output_path(path: Path | str, option: str, may_exist: bool = False) -> None:
    """Refuse an explicit output path before any work: its folder must exist, and the
    path must not exist (unless ``may_exist``: the caller then picks a free name) nor be
    a symlink, dangling or not (so nothing is ever written through one)."""
    from ..scenarios import InputError

    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError([f"{option}: {p}: folder {parent} does not exist; create it first"])
    if p.is_symlink():
        raise InputError([f"{option}: {p}: is a symlink; name a new file"])
    if os.path.lexists(p) and not may_exist:
        raise InputError([f"{option}: {p}: exists; it is never overwritten"])


def read_run_file(path: Path | str, reader: Callable[[Path], _T]) -> _T:
    """``reader(path)`` for a file of a finished run folder; a garbled or truncated file
    (bad JSON, CSV or npz) raises InputError naming it, instead of an internal error."""
    from ..scenarios import InputError

    try:
        return reader(Path(path))
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a damaged folder
        raise InputError(
            [
                f"{path}: unreadable ({exc.__class__.__name__}: "
                f"{str(exc)[:120]}); the run folder is damaged, rerun the job "
                "that wrote it"
            ]
        ) from None
