"""Analysis plots (Agg PNGs): fan charts, sensitivity bars, PRIM trade-off and box limits.

Uses the shared style of :mod:`aigap.plotting` (axes, colours, observation overlay).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plotting.style import GAP_VARIABLES, axes_grid, format_axis, region_color, save
from ..plotting.timeseries import obs_legend_handles, overlay_observations

__all__ = [
    "effect_sizes",
    "fan_charts",
    "plot_fan_panels",
    "plot_indices",
    "plot_tradeoff",
    "plot_box",
    "plot_second_order",
]

FAN_BANDS = ((0, 4, 0.18), (1, 3, 0.35))  # rows of [p5, p25, p50, p75, p95], alpha
PLOT_END = 2031.0  # end of 2030


def _regional(values, dims, coords):
    if len(dims) <= 2:
        return [("", values)]
    return [(e, values[:, :, i]) for i, e in enumerate(coords[dims[2]])]


def plot_fan_panels(
    path,
    t,
    outputs: dict,
    dims: dict,
    coords: dict,
    names,
    units: dict,
    observations=None,
    title: str = "",
    gap: bool = False,
    consistent=None,
    base=None,
    base_label: str = "scenario as written",
):
    """Percentile fans (5-95 light, 25-75 dark, median line) per variable and region.

    With ``consistent`` (a ``(runs,)`` bool mask with at least one True), the fans are over
    the data-consistent runs and the all-run 5/50/95% lines are drawn dashed beside them.
    ``base`` (a one-run result of the sweep's scenario at its own values) is drawn as a
    dash-dotted black line per region, so the fan is read against the scenario. Writes a
    PNG when ``path`` is given; returns the Figure (None when no variable is in outputs).
    """
    names = [n for n in names if n in outputs]
    if not names:
        return None
    keep = t <= PLOT_END + 1e-9
    fig, axes = axes_grid(len(names), ncols=3 if len(names) > 4 else len(names))
    for ax, name in zip(axes, names):
        shown = []
        for k, (region, v) in enumerate(_regional(outputs[name], dims[name], coords)):
            v = v[:, keep]
            c = region_color(region, k) if region else "0.25"
            if consistent is not None:
                qa = np.nanpercentile(v, [5, 50, 95], axis=0)
                for i, row in enumerate(qa):
                    ax.plot(
                        t[keep],
                        row,
                        color=c,
                        lw=0.9,
                        ls="--",
                        alpha=0.8,
                        label=(f"{region} " if region else "") + "all runs 5/50/95%"
                        if i == 1
                        else None,
                    )
                shown.append(qa.ravel())
                v = v[consistent]
            q = np.nanpercentile(v, [5, 25, 50, 75, 95], axis=0)
            for lo, hi, alpha in FAN_BANDS:
                ax.fill_between(t[keep], q[lo], q[hi], color=c, alpha=alpha, lw=0)
            ax.plot(
                t[keep],
                q[2],
                color=c,
                lw=1.8,
                label=(f"{region} " if region else "")
                + "median"
                + (" (data-consistent runs)" if consistent is not None else ""),
            )
            shown.append(q.ravel())
            if base is not None and name in base:
                b = np.asarray(base[name][0], dtype=float).reshape(len(base.time), -1)[:, k]
                b = np.interp(t[keep], base.time, b)
                ax.plot(
                    t[keep],
                    b,
                    color="black",
                    lw=1.3,
                    ls="-.",
                    zorder=5,
                    label=base_label if k == 0 else None,
                )
                shown.append(b)
        shown += [np.atleast_1d(overlay_observations(ax, observations, name, region_color))]
        format_axis(ax, units.get(name), np.concatenate([np.ravel(s) for s in shown]))
        if gap:
            ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
            ax.set_ylabel("US / CN ratio")
        ax.set_title(f"{name}  (US / CN)" if gap else name)
        ax.set_xlim(t[0], t[keep][-1])
    handles, labels = axes[0].get_legend_handles_labels()
    from matplotlib.patches import Patch

    handles += [
        Patch(color="0.5", alpha=0.35, label="25-75%"),
        Patch(color="0.5", alpha=0.18, label="5-95%"),
    ]
    if observations is not None and observations.fitted and not gap:
        handles += obs_legend_handles()
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
    if title:
        fig.suptitle(title, fontsize=12)
    if path is not None:
        save(fig, path)
    return fig


def fan_charts(folder, out, observations, cm, base=None) -> list:
    """``fan_key_variables.png`` and ``fan_gap_ratios.png`` of a sweep; ``base``: the
    sweep's scenario at its own values (one run), drawn over the fans."""
    folder = Path(folder)
    units = {n: v.units for n, v in cm.variables.items()}
    n = out.X.shape[0]
    mask = getattr(out, "consistent", None)
    mask = mask if mask is not None and mask.any() else None
    runs = f"{n} runs" if mask is None else f"{int(mask.sum())} of {n} runs consistent with data"
    regional = [v for v in out.outputs if v not in GAP_VARIABLES]
    gaps = [v for v in GAP_VARIABLES if v in out.outputs]
    paths = []
    if plot_fan_panels(
        folder / "fan_key_variables.png",
        out.time,
        out.outputs,
        out.dims,
        out.coords,
        regional,
        units,
        observations,
        consistent=mask,
        base=base,
        base_label=f"'{Path(out.spec.scenario_path).stem}' as written",
        title=f"Sweep '{out.spec.name}': {runs}, 5/25/50/75/95 percentiles",
    ):
        paths.append(folder / "fan_key_variables.png")
    if plot_fan_panels(
        folder / "fan_gap_ratios.png",
        out.time,
        out.outputs,
        out.dims,
        out.coords,
        gaps,
        units,
        None,
        gap=True,
        consistent=mask,
        base=base,
        base_label=f"'{Path(out.spec.scenario_path).stem}' as written",
        title=f"Sweep '{out.spec.name}': US / China gap ratios ({runs})",
    ):
        paths.append(folder / "fan_gap_ratios.png")
    return paths


RAISES, LOWERS = "#c8102e", "#1f5fa8"  # bar colours: a higher input raises / lowers


def effect_sizes(X, Y, share: float = 0.2):
    """Signed size of each input's effect on each output, in the output's units, ``(d, k)``:
    the mean output of the runs whose input lies in its top ``share`` of the sample minus
    the mean of those in its bottom ``share`` (positive: a higher input raises the output)."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    out = np.zeros((X.shape[1], Y.shape[1]))
    for i in range(X.shape[1]):
        lo, hi = np.quantile(X[:, i], [share, 1 - share])
        top, bottom = X[:, i] >= hi, X[:, i] <= lo
        if top.any() and bottom.any() and hi > lo:
            out[i] = Y[top].mean(axis=0) - Y[bottom].mean(axis=0)
    return out


def format_effect(value: float, label: str, unit: str = "") -> str:
    """A change of an output with its unit: ``+12.3`` (gap ratio points), ``-$1.20B``,
    ``+3.09 pp/yr`` (a rate), ``+0.312 log10``; exactly 0 is "no effect"."""
    from ..core.formatting import format_value, sig3

    if value == 0 or not np.isfinite(value):
        return "no effect" if value == 0 else "n/a"
    sign = "+" if value >= 0 else "-"
    if label.startswith("log10 "):
        return f"{sign}{sig3(abs(value))} log10"
    if (unit or "").replace(" ", "") == "1/Year":
        return f"{sign}{sig3(100 * abs(value))} pp/yr"
    if "Ratio" in label:
        return sign + sig3(abs(value))
    return sign + format_value(abs(value), unit)


def plot_indices(
    path,
    names,
    outputs_labels,
    first,
    first_err,
    total,
    total_err,
    title: str,
    first_label="first order S1",
    total_label="total ST",
    effects=None,
    units=None,
    effect_label="top vs bottom fifth of the input",
):
    """Horizontal bars per input (sorted by the first output's total index), one panel
    per output; error bars are the confidence intervals ``(2, d)``.

    With ``effects`` (``(d, k)``, signed, in output units), bars are red where a higher input
    raises the output and blue where it lowers it, and each bar is labelled with the size
    of the effect (``units``: the outputs' units, for the label). Writes a PNG when ``path``
    is given; returns the Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    k = len(outputs_labels)
    d = len(names)
    ncols = min(k, 2)
    nrows = int(np.ceil(k / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(6.8 * ncols, (0.42 * d + 1.5) * nrows), squeeze=False
    )
    flat = axes.ravel()
    for ax in flat[k:]:
        ax.remove()
    order = np.argsort(total[:, 0])
    y = np.arange(d)
    units = list(units) if units is not None else [""] * k
    for j, ax in enumerate(flat[:k]):
        if effects is None:
            dark, light = ["#1f5fa8"] * d, ["#7aa6d6"] * d
        else:
            up = effects[order, j] >= 0
            dark = np.where(up, RAISES, LOWERS)
            light = np.where(up, "#eb9aa6", "#9dbbe0")
        if first is not None:
            ax.barh(
                y + 0.2,
                first[order, j],
                0.4,
                xerr=first_err[:, order, j],
                color=light,
                label=first_label,
                capsize=2,
            )
        ax.barh(
            y - 0.2 if first is not None else y,
            total[order, j],
            0.4 if first is not None else 0.6,
            xerr=total_err[:, order, j],
            color=dark,
            label=total_label,
            capsize=2,
        )
        if effects is not None:
            right = total[order, j] + total_err[1, order, j]
            weak = total[order, j] < 0.01 * max(float(np.nanmax(total[:, j])), 1e-300)
            for row, i in enumerate(order):
                ax.annotate(
                    format_effect(effects[i, j], outputs_labels[j], units[j]).replace(
                        "$", r"\$"
                    ),  # not mathtext
                    (right[row], y[row] - (0.2 if first is not None else 0.0)),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7.5,
                    color="0.6" if weak[row] else dark[row],
                    style="italic" if weak[row] else "normal",
                )
            ax.set_xlim(0, ax.get_xlim()[1] * 1.22)  # room for the labels
        ax.set_yticks(y)
        ax.set_yticklabels([names[i] for i in order] if j % ncols == 0 else [""] * d, fontsize=8)
        ax.set_title(outputs_labels[j], fontsize=10)
        ax.axvline(0, color="0.3", lw=0.6)
        ax.grid(axis="y", alpha=0)
    handles, _ = flat[0].get_legend_handles_labels()
    if effects is None:
        flat[0].legend(handles=handles, loc="lower right")
    else:
        handles = [
            Patch(color=c, label=h.get_label())
            for h, c in zip(handles, ("0.7", "0.35") if first is not None else ("0.35",))
        ]
        handles += [
            Patch(color=RAISES, label="a higher input raises the output"),
            Patch(color=LOWERS, label="a higher input lowers it"),
        ]
        fig.legend(
            handles=handles,
            loc="upper center",
            ncol=len(handles),
            fontsize=8.5,
            bbox_to_anchor=(0.5, 0.0),
        )
        fig.text(
            0.5,
            -0.035,
            f"numbers: change of the output ({effect_label}), in its units; "
            "gap ratios in ratio points, rates in percentage points; grey italics: index "
            "under 1% of the largest (the change is noise)",
            ha="center",
            fontsize=8.5,
            color="0.3",
        )
    fig.suptitle(title, fontsize=12)
    if path is not None:
        save(fig, path)
    return fig


def plot_tradeoff(path, traj, chosen: int, title: str, final=None) -> None:
    """Coverage vs density of the PRIM peeling trajectory, coloured by restricted inputs.

    ``chosen`` is the selected peeling step; ``final`` (optional) the reported box after
    pasting and pruning, marked with a star and joined to the step it came from.
    """
    import matplotlib.pyplot as plt

    cov = [b.coverage for b in traj]
    den = [b.density for b in traj]
    nres = [len(b.restricted) for b in traj]
    fig, ax = plt.subplots(figsize=(6.2, 4.6))
    ax.plot(cov, den, "-", color="0.6", lw=1)
    sc = ax.scatter(cov, den, c=nres, cmap="viridis", s=28, zorder=3)
    if final is None:
        ax.scatter(
            [cov[chosen]],
            [den[chosen]],
            s=160,
            facecolors="none",
            edgecolors="#c8102e",
            lw=2,
            zorder=4,
            label=f"chosen box (step {chosen})",
        )
    else:
        ax.scatter(
            [cov[chosen]],
            [den[chosen]],
            s=160,
            facecolors="none",
            edgecolors="0.3",
            lw=1.5,
            zorder=4,
            label=f"selected peeling step {chosen}: {cov[chosen]:.0%} / {den[chosen]:.0%}",
        )
        ax.annotate(
            "",
            xy=(final.coverage, final.density),
            xytext=(cov[chosen], den[chosen]),
            arrowprops={"arrowstyle": "->", "color": "#c8102e", "lw": 1.2},
            zorder=4,
        )
        ax.scatter(
            [final.coverage],
            [final.density],
            marker="*",
            s=260,
            color="#c8102e",
            edgecolors="white",
            lw=0.8,
            zorder=5,
            label=f"reported box (pasted, pruned): {final.coverage:.0%} / {final.density:.0%}",
        )
    fig.colorbar(sc, ax=ax, label="restricted inputs")
    ax.set_xlabel("coverage (share of all cases of interest inside the box)")
    ax.set_ylabel("density (share of runs in the box that are cases)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="lower left")
    ax.set_title(title, fontsize=10)
    save(fig, path)


def plot_box(path, names, box, full: np.ndarray, title: str, units=None, log_inputs=()):
    """Restricted ranges of a box, each drawn within the input's sampled range.

    Inputs in ``log_inputs`` (sampled log-uniformly) are placed on a log scale, the others
    linearly; each row is labelled with its limits and sampled range in the input's unit
    (``units``: input -> unit; ``$99.8B``, not ``9.978e+10``). Writes a PNG when ``path``
    is given; returns the Figure (None when the box restricts nothing)."""
    import matplotlib.pyplot as plt

    from ..core.formatting import format_quantity

    idx = list(box.restricted)
    if not idx:
        return None
    units = units or {}
    fig, ax = plt.subplots(figsize=(8.2, 0.62 * len(idx) + 1.5))
    for row, j in enumerate(idx):
        lo, hi = full[j]
        a, b = box.limits[j]
        log = names[j] in log_inputs and lo > 0

        def pos(v, lo=lo, hi=hi, log=log):
            if log:
                return (np.log(v) - np.log(lo)) / ((np.log(hi) - np.log(lo)) or 1.0)
            return (v - lo) / ((hi - lo) or 1.0)

        ax.barh(row, 1.0, left=0.0, color="0.9", height=0.6)
        ax.barh(row, pos(b) - pos(a), left=pos(a), color="#c8102e", height=0.6)
        if pos(b) - pos(a) < 0.01:  # a single discrete level
            ax.plot([pos(a)], [row], "D", color="#c8102e", ms=9)
        if log:  # decade ticks inside the row
            for d in 10.0 ** np.arange(np.ceil(np.log10(lo)), np.floor(np.log10(hi)) + 1):
                ax.plot([pos(d)] * 2, [row - 0.3, row + 0.3], color="0.55", lw=0.6)
        q = lambda v: format_quantity(v, units.get(names[j], "")).replace("$", r"\$")  # noqa: E731
        ax.text(
            1.02,
            row,
            f"{q(a)} .. {q(b)}  (of {q(lo)} .. {q(hi)}" + (", log scale)" if log else ")"),
            va="center",
            fontsize=8,
        )
    ax.set_yticks(range(len(idx)))
    ax.set_yticklabels([names[j] for j in idx], fontsize=8)
    ax.set_xlim(0, 1.75)
    ax.set_xticks([0, 0.5, 1], ["low end", "middle", "high end"])
    ax.set_xlabel("position within the sampled range (log-uniform inputs on a log scale)")
    ax.grid(axis="y", alpha=0)
    ax.set_title(title, fontsize=10)
    if path is not None:
        save(fig, path)
    return fig


def plot_second_order(path, names, outputs_labels, S2, S2_conf, title: str) -> None:
    """Heatmap of second-order Sobol indices ``S2 (g, g, k)`` (pairs ``j < l``), one panel per
    output; cells show the index and, below it, its CI half-width. Cells whose interval
    contains zero are hatched: that interaction is not distinguishable from none."""
    import matplotlib.pyplot as plt

    k, g = len(outputs_labels), len(names)
    ncols = min(k, 2)
    nrows = int(np.ceil(k / ncols))
    side = 0.6 * max(g - 1, 1) + 2.6
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(side * ncols + 1.2, side * nrows),
        squeeze=False,
        layout="constrained",
    )
    flat = axes.ravel()
    for ax in flat[k:]:
        ax.remove()
    finite = S2[np.isfinite(S2)]
    vmax = max(float(np.abs(finite).max()) if finite.size else 0.0, 0.05)
    iu = np.triu_indices(g, 1)
    image = None
    for j, ax in enumerate(flat[:k]):
        M = np.full((g, g), np.nan)
        M[iu] = S2[iu + (j,)]
        # rows: first factor of the pair (all but the last), columns: second (all but the first)
        image = ax.imshow(M[:-1, 1:], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        for a, b in zip(*iu):
            v, c = S2[a, b, j], S2_conf[a, b, j]
            if c >= abs(v):
                ax.add_patch(
                    plt.Rectangle(
                        (b - 1.5, a - 0.5), 1, 1, fill=False, hatch="///", edgecolor="0.7", lw=0
                    )
                )
            ax.text(
                b - 1,
                a,
                f"{v:.2f}\n±{c:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if abs(v) > 0.6 * vmax else "0.1",
            )
        ax.set_xticks(range(g - 1))
        ax.set_yticks(range(g - 1))
        ax.set_xticklabels(names[1:], rotation=40, ha="right", fontsize=7)
        ax.set_yticklabels(names[:-1] if j % ncols == 0 else [""] * (g - 1), fontsize=7)
        ax.set_title(outputs_labels[j], fontsize=10)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.colorbar(
        image,
        ax=flat[:k].tolist(),
        shrink=0.7,
        label="second-order index S2 (hatched: CI contains 0)",
    )
    fig.suptitle(title, fontsize=12)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
