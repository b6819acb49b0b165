"""``aigap docs``: regenerate or check every documented table of the project.

The profile's ``docs:`` list names the generator scripts (beside the profile, run in that
order: later tables may read what earlier ones wrote). Each takes one of ``--check`` (exit 1
when a table is stale, nothing written), ``--tables`` (rewrite the tables from stored
results) and ``--write`` (recompute the stored results too, e.g. refit a posterior, then
rewrite). CI runs ``aigap docs --check`` through the test suite.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import InputError

if TYPE_CHECKING:
    from ..core.profile import Profile

__all__ = ["MODES", "DocsRun", "doc_scripts", "run_docs"]

MODES = {"check": "--check", "tables": "--tables", "refit": "--write"}


@dataclass
class DocsRun:
    """One generator's run: its script, exit code, seconds and what it printed."""

    script: Path
    returncode: int
    seconds: float
    output: str

    @property
    def status(self) -> str:
        """``ok``, ``stale`` (exit 1 with a message) or ``failed`` (a crash)."""
        if self.returncode == 0:
            return "ok"
        return "failed" if self.returncode != 1 or "Traceback" in self.output else "stale"


def doc_scripts(profile: Profile) -> list[Path]:
    """The generator scripts of ``profile`` (paths), checked to exist."""
    if not profile.docs:
        raise InputError(
            [
                f"{profile.path or 'the model'}: the profile lists no docs "
                "generators ('docs:'), so there is nothing to regenerate"
            ]
        )
    folder = Path(profile.path).resolve().parent
    return [folder / name for name in profile.docs]


def run_docs(
    profile: Profile,
    mode: str = "tables",
    progress: Callable[[int, int, Path], object] | None = None,
    python: str = sys.executable,
) -> list[DocsRun]:
    """Run every generator of ``profile`` in ``mode`` (``check``, ``tables``, ``refit``).

    ``progress(k, n, script)`` is called before each. Returns a list of :class:`DocsRun`;
    a check run continues after a stale table so every stale one is reported.
    """
    if mode not in MODES:
        raise InputError([f"unknown docs mode '{mode}' (choose {', '.join(MODES)})"])
    scripts = doc_scripts(profile)
    out = []
    for k, script in enumerate(scripts):
        if progress is not None:
            progress(k, len(scripts), script)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [python, str(script), MODES[mode]], cwd=script.parent, capture_output=True, text=True
        )
        out.append(
            DocsRun(
                script,
                proc.returncode,
                time.perf_counter() - t0,
                (proc.stdout + proc.stderr).strip(),
            )
        )
        if proc.returncode != 0 and mode != "check":
            break  # a failed write: later tables would read stale data
    return out
