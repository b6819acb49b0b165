"""Overlay plots of the biggest changes of a model comparison (old dashed, new solid)."""

from __future__ import annotations

from ..plotting.style import axes_grid, format_axis, save
from .compare import BUCKET_COLORS

OLD_COLOR, NEW_COLOR = "0.45", "#1f5fa8"


def plot_biggest_changes(path, diffs, series, units, old_label, new_label):
    """One panel per changed series (scenario, variable, element), largest first."""
    import numpy as np
    from matplotlib.lines import Line2D

    fig, axes = axes_grid(len(diffs), ncols=3 if len(diffs) > 4 else len(diffs))
    for ax, d in zip(axes, diffs):
        t, old, new, elems = series[(d.scenario, d.variable)]
        j = elems.index(d.element)
        ax.plot(t, old[:, j], "--", color=OLD_COLOR, lw=2.0)
        ax.plot(t, new[:, j], "-", color=NEW_COLOR, lw=1.8)
        ax.axvline(d.time, color="0.7", lw=0.8, ls=":")
        format_axis(ax, units.get(d.variable), np.concatenate([old[:, j], new[:, j]]))
        pct = "n/a" if np.isnan(d.pct) else f"{d.pct:.3g}%"
        ax.set_title(f"{d.label}\n{d.scenario}: max change {pct} of range", fontsize=9.5)
        ax.title.set_backgroundcolor(BUCKET_COLORS.get(d.bucket, "white"))
    handles = [
        Line2D([], [], color=OLD_COLOR, ls="--", lw=2),
        Line2D([], [], color=NEW_COLOR, lw=2),
    ]
    fig.legend(
        handles,
        [f"old: {old_label}", f"new: {new_label}"],
        loc="upper center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=2,
        fontsize=9,
    )
    fig.suptitle("Biggest changes", y=1.04, fontsize=12)
    save(fig, path)
    return path
