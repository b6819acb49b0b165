"""Plots of a policy search: convergence, Pareto front, outcomes across worlds, levers."""

from __future__ import annotations

import numpy as np

from ..plotting.style import axes_grid, plt, save

__all__ = ["policy_plots"]


def policy_plots(
    folder, spec, ev, F, cv, top, base_st, base_out, outs, D, cols, bounds, history, spread_idx
) -> None:
    """convergence.png (one objective), pareto.png (several), worlds.png, levers.png."""
    objs = spec.objectives
    if len(objs) == 1 and history:
        g = [h["generation"] for h in history]
        b = [
            h["best_scaled_loss"] if h["best_scaled_loss"] is not None else np.nan for h in history
        ]
        fig, ax = plt.subplots(figsize=(6, 3.4))
        best_so_far = np.fmin.accumulate(np.asarray(b, dtype=float))
        o = objs[0]
        sign = (
            -1
            if (o.stat.kind == "satisfice" or (o.sense == "max" and o.stat.kind != "regret"))
            else 1
        )
        ax.plot(g, sign * best_so_far, marker="o", ms=3)
        ax.axhline(sign * 1.0, color="0.5", ls="--", lw=1, label="no change = 1")
        ax.set_xlabel("generation")
        ax.set_ylabel(f"best {o.stat.label} (x no change)")
        ax.set_title(f"{o.sense} {o.stat.label} of {o.label}", fontsize=9)
        ax.legend(fontsize=8)
        save(fig, folder / "convergence.png")
    if len(objs) >= 2:
        _pareto(folder, objs, ev, cv, top, base_st)
    _worlds(folder, objs, base_out, outs, top)
    _levers(folder, cols, D, bounds, top, spread_idx, ev, objs[0])


def _pareto(folder, objs, ev, cv, top, base_st):
    pairs = [(i, j) for i in range(min(3, len(objs))) for j in range(i + 1, min(3, len(objs)))]
    fig, axes = axes_grid(len(pairs), ncols=3, size=(5.2, 4.0))
    feas = cv <= 0
    front = ev["pareto_rank"].to_numpy() == 0
    for ax, (i, j) in zip(axes, pairs):
        a, b = objs[i], objs[j]
        x, y = ev[a.name].to_numpy(), ev[b.name].to_numpy()
        ax.scatter(x[~feas], y[~feas], s=6, color="0.85", label="infeasible")
        ax.scatter(x[feas & ~front], y[feas & ~front], s=6, color="0.6", label="evaluated")
        order = np.argsort(x[front])
        ax.plot(
            x[front][order], y[front][order], "-o", ms=3, color="C3", lw=1, label="Pareto front"
        )
        ax.scatter(
            [base_st[a.name][0]],
            [base_st[b.name][0]],
            marker="*",
            s=140,
            color="k",
            label="no change",
            zorder=5,
        )
        for r, k in enumerate(top, start=1):
            ax.annotate(
                str(r),
                (x[k], y[k]),
                fontsize=8,
                xytext=(3, 3),
                textcoords="offset points",
                color="C3",
            )
        ax.set_xlabel(f"{a.stat.label} {a.label} ({a.sense})", fontsize=8)
        ax.set_ylabel(f"{b.stat.label} {b.label} ({b.sense})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    fig.suptitle(
        "Policies evaluated and the feasible Pareto front (numbers: policy_K.yaml)", fontsize=10
    )
    save(fig, folder / "pareto.png")


def _worlds(folder, objs, base_out, outs, top):
    fig, axes = axes_grid(len(objs), ncols=3, size=(4.8, 3.4))
    labels = ["no change"] + [f"policy {r}" for r in range(1, len(top) + 1)]
    for ax, o in zip(axes, objs):
        data = [base_out[o.name][0]] + [outs[o.name][k] for k in top]
        data = [d[np.isfinite(d)] for d in data]
        ax.boxplot(data, whis=(5, 95), showfliers=False)
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, fontsize=7)
        ax.set_title(f"{o.label} ({o.sense})", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Outcomes across the worlds (box 25-75%, whiskers 5-95%)", fontsize=10)
    save(fig, folder / "worlds.png")


def _levers(folder, cols, D, bounds, top, spread_idx, ev, first):
    lo, hi = bounds[:, 0], bounds[:, 1]
    span = np.where(hi > lo, hi - lo, 1.0)
    fig, ax = plt.subplots(figsize=(7, 0.55 * len(cols) + 1.6))
    y = np.arange(len(cols))
    if spread_idx.size:
        z = (D[spread_idx] - lo) / span
        c = ev[first.name].to_numpy()[spread_idx]
        for k in range(z.shape[0]):
            sc = ax.scatter(
                z[k],
                y,
                c=np.full(len(cols), c[k]),
                cmap="viridis",
                vmin=np.nanmin(c),
                vmax=np.nanmax(c),
                s=14,
                alpha=0.7,
            )
        fig.colorbar(sc, ax=ax, label=f"{first.name} ({first.sense})")
    if len(top):
        ax.scatter(
            (D[top[0]] - lo) / span,
            y,
            marker="D",
            s=50,
            facecolor="none",
            edgecolor="C3",
            label="policy 1",
        )
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.22))
    ax.set_yticks(y, [f"{c}  [{a:g}, {b:g}]" for c, a, b in zip(cols, lo, hi)], fontsize=8)
    ax.set_xlim(-0.05, 1.05)
    ax.set_xlabel("position in the allowed range (0 = low, 1 = high)")
    ax.set_title("Levers of the best policies (narrow = agreed, wide = traded off)", fontsize=9)
    save(fig, folder / "levers.png")
