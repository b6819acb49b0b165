"""Calibration fit: each observation's simulated/observed ratio against its accepted zone."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .style import axes_grid, save

if TYPE_CHECKING:
    import pandas as pd

PASS, FAIL = "#2a7d2a", "#c8102e"


def accepted_zone(row: Any) -> tuple[float, float]:
    """``(lo, hi)`` of simulated/reference that passes, reference as in :func:`plot_fit`."""
    if row.kind == "point":
        return np.exp(-row.tolerance), np.exp(row.tolerance)
    if row.kind == "lower":
        return 1.0, np.inf
    if row.kind == "upper":
        return 0.0, 1.0
    centre = np.sqrt(row.low * row.high)
    return row.low / centre, row.high / centre


def plot_fit(path: Path | str, fit: pd.DataFrame | None,
             title: str = "Fit to observations") -> None:
    """One row per observation: simulated / observed on a log axis, the accepted zone shaded.

    The reference is the observed value (point), the bound (lower/upper) or the geometric
    centre of a range. ``fit`` is a table from :func:`aigap.observations.fit_table`.
    """
    if fit is None or fit.empty:
        return
    n = len(fit)
    fig, (ax,) = axes_grid(1, size=(9.5, 0.9 + 0.36 * n))
    ratios, labels = [], []
    for k, row in enumerate(fit.itertuples()):
        ref = np.sqrt(row.low * row.high) if row.kind == "range" else row.observed
        ratio = max(row.simulated, 1e-300) / ref
        lo, hi = accepted_zone(row)
        y = n - 1 - k
        ax.barh(y, min(hi, 1e6) - lo, left=lo, height=0.6, color="0.88", zorder=1)
        ax.plot(ratio, y, "o" if row.kind == "point" else {"lower": "^", "upper": "v",
                                                             "range": "s"}[row.kind],
                color=PASS if row.passed else FAIL, ms=6, zorder=3)
        ax.annotate(f"{row.pct_error:+.0f}%" if row.kind == "point" or not row.passed else "ok",
                    (ratio, y), xytext=(6, -3), textcoords="offset points", fontsize=7.5,
                    color="0.25")
        where = f"{row.variable}[{row.region}]" if row.region else row.variable
        labels.append(f"{row.id}  ({where}, {row.time:.1f})")
        ratios.append(ratio)
    ratios = np.array(ratios)
    logs = np.abs(np.log10(ratios[ratios > 0]))
    span = min(4.0, max(1.0, 1.4 * float(logs.max() if logs.size else 0) + 0.2))
    ax.set_xscale("log")
    ax.set_xlim(10 ** -span, 10 ** span)
    ax.axvline(1.0, color="0.4", lw=0.8)
    ax.set_yticks(range(n))
    ax.set_yticklabels(labels[::-1], fontsize=7.5)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("simulated / observed  (shaded: accepted; bounds: the bound, "
                  "ranges: geometric centre)")
    ax.grid(axis="y", alpha=0)
    ok = int(fit.passed.sum())
    ax.set_title(f"{title}: {ok}/{n} within tolerance")
    save(fig, path)
