"""Behavioural comparison of two runs: pure functions over saved series.

The difference of a series is its largest absolute change as a percentage of the
series' range (the larger of the old and new ranges, and at least ``ROUNDING`` times
the largest magnitude of the series or of any variable with the same units, so that
floating-point noise on a flat or near-zero series reads as noise, not as 100%), as in
SDEverywhere's comparison report, bucketed for reading at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROUNDING = 1e-9
BUCKETS = ("identical", "<1%", "<5%", "<10%", ">=10%")
BUCKET_COLORS = {
    "identical": "#e8f5e9",
    "<1%": "#c8e6c9",
    "<5%": "#fff59d",
    "<10%": "#ffcc80",
    ">=10%": "#ef9a9a",
    "not comparable": "#cfd8dc",
}


@dataclass(frozen=True)
class SeriesDiff:
    """One (scenario, variable, element) comparison."""

    scenario: str
    variable: str
    element: str
    pct: float  # max |new - old| as % of range (nan: not finite in one run)
    max_abs: float
    time: float  # where the largest difference is
    bucket: str

    @property
    def label(self) -> str:
        return self.variable + (f"[{self.element}]" if self.element else "")


def pct_of_range(old: np.ndarray, new: np.ndarray, scale: float = 0.0) -> tuple:
    """``(pct, max_abs, index)`` of the largest difference of two 1-D series;
    ``scale`` is the magnitude of the series' units (see the module docstring)."""
    old, new = np.asarray(old, float), np.asarray(new, float)
    if np.array_equal(old, new, equal_nan=True):
        return 0.0, 0.0, 0
    if not (np.isfinite(old).all() and np.isfinite(new).all()):
        bad = np.flatnonzero(np.isfinite(old) != np.isfinite(new))
        return float("nan"), float("nan"), int(bad[0]) if bad.size else 0
    d = np.abs(new - old)
    k = int(np.argmax(d))
    own = max(np.abs(old).max(), np.abs(new).max())
    span = max(np.ptp(old), np.ptp(new)) or own  # a flat series: its magnitude
    span = max(span, ROUNDING * max(own, scale))
    return (100.0 * d[k] / span if span > 0 else float("inf")), float(d[k]), k


def bucket(pct: float, identical: bool) -> str:
    """``identical`` (bit for bit), ``<1%``, ``<5%``, ``<10%``, ``>=10%`` (or NaN)."""
    if identical:
        return "identical"
    if not np.isfinite(pct) and np.isnan(pct):
        return "not comparable"
    for edge, name in ((1, "<1%"), (5, "<5%"), (10, "<10%")):
        if pct < edge:
            return name
    return ">=10%"


def compare_series(scenario, variable, elements, time, old, new, scale=0.0) -> list:
    """:class:`SeriesDiff` per element of ``old``/``new`` laid out ``(time, n_elements)``."""
    out = []
    for j, element in enumerate(elements):
        pct, mx, k = pct_of_range(old[:, j], new[:, j], scale)
        same = np.array_equal(old[:, j], new[:, j], equal_nan=True)
        out.append(
            SeriesDiff(scenario, variable, element, pct, mx, float(time[k]), bucket(pct, same))
        )
    return out


def on_times(t_new, y_new, t_old):
    """``y_new`` (time first) on the old time grid (linear; unchanged when grids agree)."""
    if t_new.shape == t_old.shape and np.allclose(t_new, t_old, rtol=0, atol=1e-9):
        return y_new
    flat = y_new.reshape(y_new.shape[0], -1)
    cols = [np.interp(t_old, t_new, flat[:, j]) for j in range(flat.shape[1])]
    return np.stack(cols, axis=1).reshape((t_old.size,) + y_new.shape[1:])


def bucket_counts(diffs) -> dict:
    """Number of series per bucket (every bucket present, in order)."""
    counts = dict.fromkeys((*BUCKETS, "not comparable"), 0)
    for d in diffs:
        counts[d.bucket] += 1
    return counts


def sort_key(d: SeriesDiff):
    """Largest change first (non-comparable before everything)."""
    return -(np.inf if np.isnan(d.pct) else d.pct)


def biggest(diffs, n: int) -> list:
    """The ``n`` largest changes, one per series label (its worst scenario), with the
    number of scenarios where that series changed: ``[(SeriesDiff, n_scenarios)]``."""
    changed = sorted((d for d in diffs if d.bucket != "identical"), key=sort_key)
    first, count = {}, {}
    for d in changed:
        first.setdefault(d.label, d)
        count[d.label] = count.get(d.label, 0) + 1
    return [(d, count[d.label]) for d in list(first.values())[:n]]
