"""Plots of a posterior run: prior-vs-posterior marginals, pairs, predictive bands."""

from __future__ import annotations

import numpy as np

from ..plotting.style import axes_grid, format_axis, plt, save
from ..core.formatting import format_when
from ..core.keys import GAPS

__all__ = ["plot_marginals", "plot_pairs", "plot_bands", "plot_gap_fans"]


def plot_marginals(path, spec, draws) -> None:
    """One panel per constant: prior density (grey) and posterior histogram (blue)."""
    labels = spec.labels
    fig, axes = axes_grid(len(labels), ncols=4, size=(3.6, 2.6))
    rng = np.random.default_rng(0)
    for k, (ax, u) in enumerate(zip(axes, spec.uncertain)):
        prior = u.dist.ppf(rng.random(20000))
        bins = np.linspace(u.dist.low, u.dist.high, 41)
        ax.hist(prior, bins=bins, density=True, color="0.75", label="prior")
        ax.hist(draws[:, k], bins=bins, density=True, alpha=0.7, color="C0", label="posterior")
        ax.set_title(labels[k], fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    axes[0].legend(fontsize=7)
    fig.suptitle("Prior (grey) vs posterior (blue) marginals", fontsize=10, y=1.01)
    save(fig, path)


def plot_pairs(path, labels, draws, max_params: int = 14) -> None:
    """Pairwise scatter of the posterior draws (the first ``max_params`` columns: the caller
    orders them, most informed first)."""
    d = min(len(labels), max_params)
    fig, axes = plt.subplots(d, d, figsize=(1.3 * d + 1, 1.3 * d + 1), squeeze=False)
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j > i:
                ax.axis("off")
            elif i == j:
                ax.hist(draws[:, i], bins=30, color="C0")
            else:
                ax.plot(draws[:, j], draws[:, i], ",", alpha=0.4, color="C0")
            if i == d - 1:
                ax.set_xlabel(labels[j], fontsize=5, rotation=30, ha="right")
            if j == 0:
                ax.set_ylabel(labels[i], fontsize=5, rotation=0, ha="right")
    fig.suptitle(
        "Posterior pairs" + (f" (the {d} most contracted constants)" if d < len(labels) else ""),
        fontsize=9,
    )
    fig.subplots_adjust(wspace=0.05, hspace=0.05, top=0.97)
    fig.savefig(path, bbox_inches="tight", dpi=110)
    plt.close(fig)


def plot_bands(path, res, fit, cm, title="") -> None:
    """Posterior-predictive 50%/90% bands of each observed series and of the gap ratios,
    observations on top (filled: fitted; open red: held out), divided by their ``share`` so
    they are in the variable's units (one firm's ARR is observed as ``share * Model ARR``)."""
    series = list(
        dict.fromkeys(
            (v, r if isinstance(r, str) else None) for v, r in zip(fit.variable, fit.region)
        )
    )
    series += [(g, None) for g in GAPS if g in res.dims and (g, None) not in series]
    fig, axes = axes_grid(len(series), ncols=4, size=(3.8, 2.8))
    t = np.asarray(res.time)
    for ax, (var, reg) in zip(axes, series):
        y = res[var] if reg is None else res.sel(var, **{res.dims[var][2]: reg})
        y = np.asarray(y).reshape(res.n_runs, t.size)
        q = np.nanpercentile(y, [5, 25, 50, 75, 95], axis=0)
        ax.fill_between(t, q[0], q[4], color="C0", alpha=0.2, label="90%")
        ax.fill_between(t, q[1], q[3], color="C0", alpha=0.4, label="50%")
        ax.plot(t, q[2], color="C0", lw=1)
        part = fit[(fit.variable == var) & ((fit.region == reg) if reg else fit.region.isna())]
        for r in part.itertuples():
            out = r.sample == "out"
            if r.kind == "range":
                ax.vlines(
                    r.time, r.low / r.share, r.high / r.share, color="C3" if out else "k", lw=2
                )
            else:
                marker = {"point": "o", "lower": "^", "upper": "v"}[r.kind]
                ax.plot(
                    r.time,
                    r.observed / r.share,
                    marker,
                    mfc="none" if out else "k",
                    color="C3" if out else "k",
                    ms=5,
                )
        ax.set_yscale("log")
        ax.set_title(var + (f"[{reg}]" if reg else ""), fontsize=8)
        format_axis(ax, cm.variables[var].units, y)
    axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(
            title + "  (black: fitted, red open: held out)", fontsize=10, y=1.01
        )  # above the first row (tight bbox keeps it)
    save(fig, path)


def plot_gap_fans(path, gaps, baseline, title, present=None, own=None):
    """One panel per gap ratio: per scenario the posterior median (line) and the 5-95%
    band (shaded) at each year end, on a log scale (``gaps``: the compare gaps table).

    ``present`` (rows ``scenario, variable, time, p5, median, p95``: the gaps at the last
    fitted observation) starts each fan where the data are, so the band is seen to widen
    from the present into the projection. ``own`` (``{gap: year-end values}``, years as in
    ``gaps``) is the base scenario as written (its own constants, no draws), drawn dashed.
    Writes a PNG when ``path`` is given; returns the Figure."""
    from matplotlib.ticker import FuncFormatter

    import pandas as pd

    from ..workflow.summary import GAP_LABELS

    names = [g for g in GAPS if g in set(gaps.variable)]
    fig, axes = axes_grid(len(names), ncols=len(names), size=(4.6, 3.6))
    scen = list(dict.fromkeys(gaps.scenario))
    for ax, name in zip(axes, names):
        for k, s in enumerate(scen):
            part = gaps[(gaps.variable == name) & (gaps.scenario == s)].sort_values("year")
            part = part[["year", "p5", "median", "p95"]]
            if present is not None:
                now = present[(present.variable == name) & (present.scenario == s)]
                if len(now):
                    # a year-end column `year` is time year + 1: the present sits at time - 1
                    row = now.iloc[0]
                    part = pd.concat(
                        [
                            pd.DataFrame(
                                [
                                    {
                                        "year": row.time - 1,
                                        "p5": row.p5,
                                        "median": row["median"],
                                        "p95": row.p95,
                                    }
                                ]
                            ),
                            part,
                        ]
                    )
            x = part.year.to_numpy() + 0.04 * (k - (len(scen) - 1) / 2)
            color = "0.2" if s == baseline else f"C{k % 10}"
            ax.fill_between(x, part.p5, part.p95, color=color, alpha=0.12, lw=0)
            ax.errorbar(
                x,
                part["median"],
                yerr=[part["median"] - part.p5, part.p95 - part["median"]],
                color=color,
                lw=2 if s == baseline else 1.3,
                capsize=2,
                marker="o",
                ms=3,
                label=s + (" (baseline)" if s == baseline and s != "baseline" else ""),
            )
        if own is not None and name in own:
            years = sorted(set(gaps.year))
            ax.plot(
                years,
                own[name],
                "--",
                color="black",
                lw=1.4,
                marker="D",
                ms=4,
                mfc="white",
                zorder=6,
                label=f"{baseline} as written (no posterior)",
            )
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
        # minor ticks labelled at 2, 3 and 5 per decade only (1-9 crowd the axis)
        ax.yaxis.set_minor_formatter(
            FuncFormatter(
                lambda v, _: (
                    f"{v:g}x" if round(v / 10 ** np.floor(np.log10(v)), 6) in (2, 3, 5) else ""
                )
            )
        )
        ax.set_title(GAP_LABELS.get(name, name), fontsize=9)
        ax.set_ylabel("US / China (x): median, 5%-95%", fontsize=8)
        ticks = sorted(set(gaps.year))
        labels = [f"end\n{t}" for t in ticks]
        if present is not None and len(present):
            t_now = float(present.time.iloc[0])
            ax.axvline(t_now - 1, color="0.5", lw=0.8, ls=":")
            ax.text(
                t_now - 1,
                1.0,
                " last data",
                transform=ax.get_xaxis_transform(),
                fontsize=7,
                color="0.35",
                va="top",
                ha="left",
            )
            ticks, labels = [t_now - 1] + ticks, [format_when(t_now).replace(" ", "\n")] + labels
        ax.set_xticks(ticks, labels, fontsize=7)
    handles, names_ = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        names_,
        fontsize=8,
        loc="lower center",
        ncol=min(len(names_), 6),
        bbox_to_anchor=(0.5, -0.08),
        frameon=False,
    )
    fig.suptitle(title, fontsize=10, y=1.02)
    if path is not None:
        save(fig, path)
    return fig
