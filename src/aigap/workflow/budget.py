"""Time grids and job sizes, checked before anything is allocated, simulated or written.

Two kinds of check, both raising :class:`aigap.scenarios.InputError` (one line, exit 2):

- :func:`check_time_grid`: the integration step and the saved-time step must fit the
  simulated period and the year-end tables (``--time-step 100`` past a 7-year horizon, or a
  ``saveper`` that does not divide a year, would otherwise print interpolated nonsense).
- :func:`check_job_size`: a size and time estimate (runs x stored values x 8 bytes against
  the memory actually available and the free disk; integration steps x runs against a time
  budget), refused with the estimate and the option that overrides it.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.simulate import available_memory
from ..scenarios import InputError

if TYPE_CHECKING:
    from ..engine import CompiledModel

__all__ = [
    "check_time_grid",
    "time_grid_problem",
    "effective_saveper",
    "JobSize",
    "job_size",
    "check_job_size",
    "values_per_time",
    "available_memory",
    "OVERRIDE",
    "MAX_SECONDS",
]

OVERRIDE = "--allow-large"
MAX_SECONDS = 3600.0  # an estimate above one hour is refused without the override
STEP_SECONDS = 1e-4  # per integration step and engine call (fast side, measured)
RUN_STEP_SECONDS = 2e-7  # per run and step (compiled engine; fast side)
_TOL = 1e-9


def _multiple(a: float, b: float) -> bool:
    """``a`` is a whole multiple of ``b`` (to rounding)."""
    k = round(a / b)
    return k >= 1 and abs(a - k * b) <= _TOL * max(1.0, abs(a))


def effective_saveper(
    cm: CompiledModel, time_step: float | None = None, saveper: float | None = None
) -> float:
    """The saved-time step the engine will use (see :func:`aigap.engine.simulate.simulate`:
    a model saving every step keeps saving every step when ``--time-step`` changes it)."""
    if saveper is not None:
        return float(saveper)
    if time_step is not None and cm.saveper == cm.time_step:
        return float(time_step)
    return float(cm.saveper)


def check_time_grid(
    cm: CompiledModel,
    time_step: float | None = None,
    saveper: float | None = None,
    dt_key: str = "--time-step",
    saveper_key: str = "SAVEPER",
) -> None:
    """Raise InputError with :func:`time_grid_problem`'s message, if any."""
    problem = time_grid_problem(cm, time_step, saveper, dt_key, saveper_key)
    if problem:
        raise InputError([problem])


def time_grid_problem(
    cm: CompiledModel,
    time_step: float | None = None,
    saveper: float | None = None,
    dt_key: str = "--time-step",
    saveper_key: str = "SAVEPER",
) -> str | None:
    """Why a time step or saved-time step does not fit the model's period (or None).

    Rules: the step is at most the simulated period and divides the saved-time step;
    the saved-time step divides one year (the tables are year ends) and is at most the
    period; the step divides the period.
    """
    t0, t1 = float(cm.initial_time), float(cm.final_time)
    period = t1 - t0
    dt = float(cm.time_step if time_step is None else time_step)
    sp = effective_saveper(cm, time_step, saveper)
    span = f"the simulated period {t0:g}-{t1:g} ({period:g} years)"
    dt_txt = f"{dt_key} {dt:g}" if time_step is not None else f"TIME STEP {dt:g}"
    if period <= 0:
        return None
    if dt > period:
        return (
            f"{dt_txt}: longer than {span}; the model's TIME STEP is {cm.time_step:g} "
            "(halve it to check that results do not depend on it)"
        )
    if sp > period:
        return f"{saveper_key} {sp:g}: longer than {span}; use at most 1 (tables are year ends)"
    if not _multiple(1.0, sp):
        return (
            f"{saveper_key} {sp:g}: does not divide one year, so year ends are not "
            "saved; use 1, 0.5, 0.25, 0.125, 0.0625..."
        )
    if not _multiple(sp, dt):
        return (
            f"{dt_txt}: does not divide {saveper_key} {sp:g}, so the saved times are "
            f"not simulated times; use {sp:g}/2^k, e.g. {sp / 2:g} or {sp / 4:g}"
        )
    if not _multiple(period, dt):
        return f"{dt_txt}: does not divide {span}"
    return None


@dataclass
class JobSize:
    """What a job will take: stored bytes, integration steps and a time estimate."""

    runs: int
    values: int  # stored values per run and saved time
    n_saved: int
    steps: int

    @property
    def bytes(self) -> float:
        """Bytes of the stored outputs."""
        return float(self.runs) * self.values * self.n_saved * 8

    @property
    def seconds(self) -> float:
        """Estimated run time (fast side: refusals are never premature)."""
        return self.steps * (STEP_SECONDS + float(self.runs) * RUN_STEP_SECONDS)

    def describe(self) -> str:
        """One line: runs x values x saved times = bytes; steps, time."""
        return (
            f"{self.runs:,} runs x {self.values} values x {self.n_saved} saved times = "
            f"{_bytes(self.bytes)}; {self.steps:,} steps, about {_duration(self.seconds)}"
        )


def _bytes(n: float) -> str:
    for unit, div in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= div:
            return f"{n / div:.3g} {unit}"
    return f"{n:.0f} B"


def _duration(s: float) -> str:
    if s >= 86400:
        return f"{s / 86400:.3g} days"
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    if s >= 60:
        return f"{s / 60:.3g} min"
    return f"{s:.2g} s"


def values_per_time(cm: CompiledModel, outputs: Iterable[str]) -> int:
    """Stored values of ``outputs`` at one saved time (elements summed over variables)."""
    return sum(math.prod(len(cm.dims[d]) for d in cm.variables[name].dims) or 1 for name in outputs)


def job_size(
    cm: CompiledModel,
    runs: int,
    outputs: Iterable[str] | None = None,
    time_step: float | None = None,
    saveper: float | None = None,
) -> JobSize:
    """The size of ``runs`` simulations of ``cm`` storing ``outputs`` (default: all)."""
    outputs = list(cm.variables) if outputs is None else list(outputs)
    period = float(cm.final_time) - float(cm.initial_time)
    dt = float(cm.time_step if time_step is None else time_step)
    sp = effective_saveper(cm, time_step, saveper)
    return JobSize(
        runs=int(runs),
        values=values_per_time(cm, outputs),
        n_saved=int(round(period / sp)) + 1,
        steps=int(math.ceil(period / dt)),
    )


def free_disk(folder: Path | str) -> float:
    """Free bytes on the file system holding ``folder`` (or its nearest existing parent)."""
    p = Path(folder).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return float(shutil.disk_usage(p).free)
    except OSError:
        return float("inf")


def check_job_size(
    size: JobSize,
    allow: bool = False,
    disk_folder: Path | str | None = None,
    where: str = "",
    copies: float = 2.0,
) -> None:
    """Refuse a job whose stored outputs do not fit the available memory (``copies`` of
    them are held at once) or the free disk, or that would run more than an hour;
    ``allow`` (the ``--allow-large`` option) lifts the refusal."""
    if allow:
        return
    problems = []
    mem = available_memory()
    if size.bytes * copies > mem:
        problems.append(
            f"needs about {_bytes(size.bytes * copies)} of memory, {_bytes(mem)} available"
        )
    if disk_folder is not None and size.bytes > free_disk(disk_folder):
        problems.append(
            f"needs about {_bytes(size.bytes)} of disk, "
            f"{_bytes(free_disk(disk_folder))} free in {disk_folder}"
        )
    if size.seconds > MAX_SECONDS:
        problems.append(f"would run for about {_duration(size.seconds)}")
    if problems:
        raise InputError(
            [
                f"{where}job too large ({size.describe()}): {'; '.join(problems)}; "
                f"reduce it or pass {OVERRIDE}"
            ]
        )
