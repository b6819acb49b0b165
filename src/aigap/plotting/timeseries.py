"""Time-series plots of one or several scenarios, with observations overlaid."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D

from ..core.keys import YEARS
from .style import (
    GAP_VARIABLES,
    KEY_VARIABLES,
    REGION_STYLES,
    axes_grid,
    format_axis,
    region_color,
    save,
    scenario_colors,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import ColorType

    from ..engine import SimulationResult
    from ..observations import Observations

YEAR_ENDS = tuple(float(y + 1) for y in YEARS)  # the shipped profile's report year-ends
OBS_MARKERS = {"point": "o", "lower": "^", "upper": "v", "range": "s"}


def _series(res, name):
    """``[(region or "", (T,) array)]`` of run 0."""
    arr = np.asarray(res[name][0], dtype=float)
    dims = res.dims[name][2:]
    if not dims:
        return [("", arr)]
    regions = res.coords[dims[0]]
    return [
        (r, arr[:, i] if arr.ndim == 2 else arr[:, i].reshape(arr.shape[0], -1)[:, 0])
        for i, r in enumerate(regions)
    ]


def overlay_observations(
    ax: Axes, observations: Observations | None, name: str, color_of: Callable[[str], ColorType]
) -> list[float]:
    """Observations of variable ``name``, drawn as implied variable values (value / share).

    Points get an error bar of their tolerance; bounds a triangle; ranges a bar.
    Returns the plotted values (for axis scaling).
    """
    plotted = []
    for o in observations.fitted if observations is not None else ():
        if o.variable != name:
            continue
        c = color_of(o.region or "")
        if o.kind == "range":
            lo, hi = o.low / o.share, o.high / o.share
            ax.vlines(o.time, lo, hi, color=c, lw=2.2, alpha=0.8, zorder=4)
            ax.plot([o.time] * 2, [lo, hi], "_", color=c, ms=8, zorder=4)
            plotted += [lo, hi]
            continue
        v = o.value / o.share
        if o.kind == "point":
            err = [[v - v * np.exp(-o.tolerance)], [v * np.exp(o.tolerance) - v]]
            ax.errorbar(
                o.time,
                v,
                yerr=err,
                fmt="o",
                color=c,
                mfc="white",
                mew=1.5,
                ms=5,
                capsize=2.5,
                zorder=5,
            )
        else:
            ax.plot(o.time, v, OBS_MARKERS[o.kind], color=c, mfc="white", mew=1.5, ms=6, zorder=5)
        plotted.append(v)
    return plotted


def obs_legend_handles() -> list[Line2D]:
    """Legend entries for the observation markers (point, lower, upper bound, range)."""
    return [
        Line2D([], [], marker="o", ls="", mfc="white", color="0.3", label="observed (±tol.)"),
        Line2D([], [], marker="^", ls="", mfc="white", color="0.3", label="lower bound"),
        Line2D([], [], marker="v", ls="", mfc="white", color="0.3", label="upper bound"),
        Line2D([], [], marker="_", ls="", color="0.3", ms=8, label="range"),
    ]


def data_end(observations: Observations | None) -> float | None:
    """Time of the last fitted observation (None without observations)."""
    times = [o.time for o in (observations.fitted if observations is not None else ())]
    return max(times) if times else None


def _mark_data_end(ax, t_end, first: bool) -> None:
    ax.axvline(t_end, color="0.45", lw=0.9, ls="--", zorder=1)
    ax.text(
        t_end,
        0.98,
        " data end" if first else "",
        transform=ax.get_xaxis_transform(),
        fontsize=7.5,
        color="0.35",
        va="top",
        ha="left",
    )


def observed_gaps(observations: Observations | None, max_apart: float = 0.25) -> dict:
    """``{gap: (time, ratio, low, high)}``: the latest US / CN ratio implied by point
    observations of the gap's regional variable in both regions at most ``max_apart`` years
    apart (value / share each; the band combines both tolerances in quadrature)."""
    from ..core.keys import GAP_OF

    out = {}
    points = [
        o for o in (observations.fitted if observations is not None else ()) if o.kind == "point"
    ]
    for gap, var in GAP_OF.items():
        us = [o for o in points if o.variable == var and o.region == "US"]
        cn = [o for o in points if o.variable == var and o.region == "CN"]
        pairs = [
            (max(a.time, b.time), a, b) for a in us for b in cn if abs(a.time - b.time) <= max_apart
        ]
        if not pairs:
            continue
        _, a, b = max(pairs, key=lambda p: p[0])
        ratio = (a.value / a.share) / (b.value / b.share)
        tol = float(np.hypot(a.tolerance, b.tolerance))
        out[gap] = ((a.time + b.time) / 2, ratio, ratio * np.exp(-tol), ratio * np.exp(tol))
    return out


def _mark_observed_gap(ax, name, observed, res, t_end) -> None:
    """The observed gap (diamond, +-tolerance) where observations imply one, else the model's
    value where the data end; both labelled with their month."""
    from ..core.formatting import format_value, format_when

    if name in observed:
        t, v, lo, hi = observed[name]
        ax.errorbar(
            t,
            v,
            yerr=[[v - lo], [hi - v]],
            fmt="D",
            color="0.15",
            mfc="#f2c14e",
            ms=6.5,
            capsize=3,
            zorder=7,
            label="observed gap (±tol.)",
        )
        text = f"observed {format_when(t)}: {format_value(v, ratio=True)}"
    elif t_end is not None and res is not None and name in res:
        y = _series(res, name)[0][1]
        t, v = t_end, float(np.interp(t_end, res.time, y))
        ax.plot(t, v, "D", color="0.15", mfc="white", ms=5.5, zorder=7)
        text = f"model {format_when(t)}: {format_value(v, ratio=True)}"
    else:
        return
    ax.annotate(
        text,
        (t, v),
        textcoords="offset points",
        xytext=(-6, 8),
        ha="right",
        fontsize=7.5,
        color="0.15",
        zorder=8,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7", "lw": 0.5},
    )


def _label_year_ends(ax, res, name, color, first: bool) -> None:
    """Year-end 2026-2030 markers; the first scenario's values written beside them."""
    from ..core.formatting import format_value

    y = _series(res, name)[0][1]
    pts = [
        (t, float(np.interp(t, res.time, y)))
        for t in YEAR_ENDS
        if res.time[0] - 1e-9 <= t <= res.time[-1] + 1e-9
    ]
    if not pts:
        return
    ax.plot(*zip(*pts), "o", color=color, ms=3.5, zorder=4)
    if first:
        for t, v in pts:
            ax.annotate(
                format_value(v, ratio=True),
                (t, v),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=7.5,
                color=color,
                zorder=6,
            )


COINCIDE = 0.005  # scenarios within 0.5% of the reference line at every time are not drawn


def _coincides(ref, t, y) -> bool:
    """True when ``y`` stays within ``COINCIDE`` (relative) of the reference series."""
    if ref is None or len(ref[0]) != len(t) or not np.allclose(ref[0], t):
        return False
    r = ref[1]
    scale = np.maximum(np.abs(r), 1e-12)
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(y - r) <= COINCIDE * scale))


def plot_panels(
    path: Path | str | None,
    results: Mapping[str, SimulationResult],
    names: Iterable[str],
    units: Mapping[str, str | None],
    observations: Observations | None = None,
    title: str = "",
    gap: bool = False,
    data_end_time: float | None = None,
) -> Figure | None:
    """One panel per variable; every scenario (colour) and region (line style).

    With one scenario, regions get their own colours (US blue, CN red). A scenario that
    stays within 0.5% of the first one (per region) is not drawn over it; the panel says how
    many lie on the first scenario's line. A dashed line marks
    where the data end (the last fitted observation, or ``data_end_time``); gap panels mark
    year-ends 2026-2030 and label the first scenario's values. Writes a PNG when ``path``
    is given; returns the matplotlib Figure (None when no variable is in the results).
    """
    names = [n for n in names if any(n in r for r in results.values())]
    if not names:
        return None
    t_end = data_end_time if data_end_time is not None else data_end(observations)
    observed = observed_gaps(observations) if gap else {}
    single = len(results) == 1
    colors = scenario_colors(results)
    fig, axes = axes_grid(len(names), ncols=3 if len(names) > 4 else len(names))
    for ax, name in zip(axes, names):
        values, ref, same = [], {}, {}
        for scen, res in results.items():
            if name not in res:
                continue
            for k, (region, y) in enumerate(_series(res, name)):
                color = region_color(region, k) if single else colors[scen]
                ls = "-" if single else REGION_STYLES.get(region, "-")
                label = (region or name) if single else scen
                first = scen == next(iter(results))
                if first:
                    ref[region] = (res.time, y)
                elif _coincides(ref.get(region), res.time, y):
                    same.setdefault(region, []).append(scen)
                    continue  # hidden under the reference line: said in the panel
                ax.plot(
                    res.time,
                    y,
                    ls,
                    color=color,
                    lw=2.4 if first and not single else 1.7,
                    label=label,
                    zorder=3 if first else 2,
                    alpha=1 if single else 0.9,
                )
                values.append(y)
        values = [np.concatenate(values)]
        if not gap:
            values += overlay_observations(
                ax, observations, name, lambda r: region_color(r) if single else "0.2"
            )
        elif name in observed:
            values.append(np.array(observed[name][1:]))
        format_axis(ax, units.get(name), np.concatenate([np.ravel(v) for v in values]))
        if gap:
            _mark_observed_gap(ax, name, observed, next(iter(results.values())), t_end)
            for j, (scen, res) in enumerate(results.items()):
                if name in res:
                    _label_year_ends(
                        ax, res, name, region_color("", 0) if single else colors[scen], j == 0
                    )
            lo, hi = ax.get_ylim()
            if lo <= 1.0 <= hi:
                ax.axhline(1.0, color="0.4", lw=0.8, ls=":", label="_parity")
            ax.set_title(f"{name}  (US / CN)")
            ax.set_ylabel("US / CN ratio")
        else:
            ax.set_title(name)
        ax.set_xlim(
            min(r.time[0] for r in results.values()), max(r.time[-1] for r in results.values())
        )
        if t_end is not None:
            _mark_data_end(ax, t_end, ax is axes[0])
        if same:
            ref_name = next(iter(results))
            note = "; ".join(
                f"{r + ': ' if r else ''}{len(v)} of {len(results) - 1}"
                for r, v in ((r, same[r]) for r in ref if r in same)
            )
            ax.text(
                0.99,
                0.02,
                f"on the {ref_name} line ({note})",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
                color="0.35",
                zorder=8,
            )
    _legend(fig, axes[0], results, single, observations, gap)
    if title:
        fig.suptitle(title, fontsize=12)
    if path is not None:
        save(fig, path)
    return fig


def _legend(fig, ax, results, single, observations, gap) -> None:
    """One legend for the figure, outside the panels (right-hand side)."""
    if single and gap:
        return
    if single:
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels, handles))
    else:
        colors = scenario_colors(results)
        uniq = {s: Line2D([], [], color=colors[s], lw=2) for s in results}
        if not gap:
            uniq.update(
                {
                    f"{r} ({'solid' if s == '-' else 'dashed'})": Line2D([], [], color="0.3", ls=s)
                    for r, s in REGION_STYLES.items()
                }
            )
    if observations is not None and observations.fitted and not gap:
        uniq.update({h.get_label(): h for h in obs_legend_handles()})
    fig.legend(
        list(uniq.values()), list(uniq), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9
    )


def plot_key_variables(
    path: Path | str | None,
    results: Mapping[str, SimulationResult],
    units: Mapping[str, str | None],
    observations: Observations | None = None,
    title: str = "",
    variables: Sequence[str] | None = None,
) -> Figure | None:
    """Key variables (both regions) of every scenario, observations overlaid; returns the
    Figure (``path=None``: not written, e.g. for a notebook). ``variables``: default the
    shipped profile's key variables."""
    return plot_panels(
        path, results, KEY_VARIABLES if variables is None else variables, units, observations, title
    )


def plot_gap_ratios(
    path: Path | str | None,
    results: Mapping[str, SimulationResult],
    units: Mapping[str, str | None],
    title: str = "",
    data_end_time: float | None = None,
    observations: Observations | None = None,
    variables: Sequence[str] | None = None,
) -> Figure | None:
    """US/China gap ratios of every scenario, year-ends marked, the gap the observations
    imply (or the model's value) where the data end; returns the Figure (None when the
    results hold no gap ratio). ``variables``: default the shipped profile's."""
    return plot_panels(
        path,
        results,
        GAP_VARIABLES if variables is None else variables,
        units,
        observations,
        title,
        gap=True,
        data_end_time=data_end_time,
    )
