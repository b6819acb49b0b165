"""Calibration fit: each observation's relative error (simulated vs observed) and its
accepted zone, on a symmetric-log axis that is linear within +-``LINEAR_PCT`` percent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ..core.formatting import format_when
from .style import axes_grid, save

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

PASS, FAIL = "#2a7d2a", "#c8102e"
HELD_OUT = "#fff3d6"  # row background of observations held out of the fit
LINEAR_PCT = 100.0  # the x axis is linear in [-100%, +100%], logarithmic beyond
MARKERS = {"point": "o", "lower": "^", "upper": "v", "range": "s"}
CAP_PCT = 1000.0  # errors beyond +1,000% are drawn at the right edge (value written)


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


def _pct(value: float, _pos: object = None) -> str:
    if abs(value) < 1e-9:
        return "0"
    return f"{value:+,.0f}%"


def _ticks(hi: float) -> list:
    ticks = [-100, -50, -20, 0, 20, 50, 100]
    ticks += [t for t in (1000,) if t <= hi]
    return ticks


def plot_fit(
    path: Path | str | None, fit: pd.DataFrame | None, title: str = "Fit to observations"
) -> Figure | None:
    """One row per observation: relative error ``simulated / reference - 1`` in percent.

    The reference is the observed value (point), the bound (lower/upper) or the geometric
    centre of a range; the accepted zone is shaded. The axis is linear within +-100% (so
    errors of a few percent stay readable) and logarithmic beyond (bounds met by a wide
    margin; beyond +1,000% drawn at the right edge as ">" with the value written). Observations held out of a calibration (``sample == "out"``) are drawn open
    on a tinted row. ``fit`` is a table from :func:`aigap.observations.fit_table`.
    Writes a PNG when ``path`` is given; returns the Figure (None for an empty table).
    """
    if fit is None or fit.empty:
        return None
    n = len(fit)
    held = (fit["sample"] == "out").to_numpy() if "sample" in fit else np.zeros(n, bool)
    fig, (ax,) = axes_grid(1, size=(12.5, 0.9 + 0.36 * n))  # wide: long labels
    errors, labels = [], []
    for k, row in enumerate(fit.itertuples()):
        ref = np.sqrt(row.low * row.high) if row.kind == "range" else row.observed
        err = 100 * (max(row.simulated, 0.0) / ref - 1)
        lo, hi = accepted_zone(row)
        y = n - 1 - k
        if held[k]:
            ax.axhspan(y - 0.5, y + 0.5, color=HELD_OUT, zorder=0, lw=0)
        zlo, zhi = 100 * (lo - 1), 100 * (min(hi, 1e4) - 1)
        ax.barh(y, zhi - zlo, left=zlo, height=0.6, color="0.86", zorder=1)
        color = PASS if row.passed else FAIL
        clipped = err > CAP_PCT
        shown = min(err, CAP_PCT * 1.2)
        ax.plot(
            shown,
            y,
            ">" if clipped else MARKERS[row.kind],
            color=color,
            mfc="white" if held[k] else color,
            mew=1.6,
            ms=6.5,
            zorder=3,
        )
        text = f"{row.pct_error:+.0f}%" if row.kind == "point" or not row.passed else "ok"
        if clipped:
            text = f"{text} ({err:+,.0f}%)" if text == "ok" else f"{err:+,.0f}%"
        ax.annotate(
            text,
            (shown, y),
            xytext=(-6 if clipped else 6, -3),
            textcoords="offset points",
            ha="right" if clipped else "left",
            fontsize=7.5,
            color="0.25",
            zorder=4,
            bbox={"fc": "white", "ec": "none", "pad": 0.5, "alpha": 0.8} if clipped else None,
        )
        where = f"{row.variable}[{row.region}]" if row.region else row.variable
        labels.append(
            f"{row.id}  ({where}, {format_when(row.time)})" + ("  held out" if held[k] else "")
        )
        errors.append(err)
    top = max(200.0, min(2.5 * max(errors), CAP_PCT * 1.4))
    ax.set_xscale("symlog", linthresh=LINEAR_PCT, linscale=2.5)
    ax.set_xlim(-100, top)
    ax.xaxis.set_major_locator(FixedLocator(_ticks(top)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(_pct))
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_yticks(range(n))
    ax.set_yticklabels(labels[::-1], fontsize=7.5)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(
        f"simulated vs observed, % (linear within ±{LINEAR_PCT:.0f}%, log beyond; "
        "bounds: vs the bound, ranges: vs the geometric centre)"
    )
    ax.grid(axis="y", alpha=0)
    handles = [
        Patch(color="0.86", label="accepted"),
        Line2D([], [], marker="o", ls="", color=PASS, label="within tolerance"),
        Line2D([], [], marker="o", ls="", color=FAIL, label="outside"),
    ]
    if held.any():
        handles.append(Patch(color=HELD_OUT, label="held out (open marker)"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=7.5)
    ok = int(fit.passed.sum())
    if held.any():
        n_out = int(held.sum())
        ok_out = int(fit.passed[held].sum())
        ax.set_title(
            f"{title}: {ok - ok_out}/{n - n_out} fitted and {ok_out}/{n_out} held-out "
            "observations within tolerance"
        )
    else:
        ax.set_title(f"{title}: {ok}/{n} within tolerance")
    if path is not None:
        save(fig, path)
    return fig
