"""Measured dominance of the named loops per period: the model/README.md loop table.

Per scenario and region, the loops that run through that region's variables only (US and
CN are separate partitions of the causal graph, apart from the few loops crossing through
the knowledge spillover) are renormalised among themselves; each named loop (R1...B5 of
``model/<model>.loops.yaml``) gets its mean relative loop score per period and its rank
among the region's loops, and the period's strongest loop is named.
"""

from __future__ import annotations

import numpy as np

from .loops_job import named_loops, period_of, region_of

PERIODS = ((2024, 2025), (2026, 2027), (2028, 2030))


def period_scores(times, rel, periods=PERIODS) -> np.ndarray:
    """Mean relative score of each loop over the steps of each period: ``(loop, period)``."""
    per = period_of(times)
    return np.stack([rel[:, (per >= a) & (per <= b)].mean(axis=1) for a, b in periods], axis=1)


def region_dominance(times, loops, rel, region, periods=PERIODS):
    """``(indices of the region's loops, their period scores renormalised among them)``."""
    idx = [i for i, lp in enumerate(loops) if region_of(lp.name) == region]
    sub = rel[idx]
    total = np.abs(sub).sum(axis=0)
    sub = np.where(total > 0, sub / np.where(total > 0, total, 1.0), 0.0)
    return idx, period_scores(times, sub, periods)


def _label(name: str) -> str:
    return name.split(": ")[0].split(" ")[0] if ": " in name else name


def _short(name: str, n=6) -> str:
    """A loop's variables without region suffixes (first ``n``)."""
    parts = [p.split("[")[0] for p in name.split(": ")[-1].split(" -> ")]
    return " -> ".join(parts[:n]) + (" -> ..." if len(parts) > n else "")


def _pct(v: float) -> str:
    return f"{v:+.0%}" if abs(v) >= 0.005 else "0%"


def verdict(name: str, scores, ranks, heads) -> str:
    """What the measured scores say about a named loop (generated, never hand-written)."""
    scores, ranks = np.asarray(scores), np.asarray(ranks)
    top = np.abs(scores).max()
    if top < 0.005:
        return "inactive: under 0.5% in every period"
    if (ranks == 1).any():
        text = "dominant in " + ", ".join(h for h, r in zip(heads, ranks) if r == 1)
    elif (ranks <= SHOWN_RANKS).any() and top >= 0.02:
        text = f"secondary (best rank #{ranks.min()})"
    else:
        text = f"minor (at most {top:.0%})"
    sign = scores[np.argmax(np.abs(scores))]
    if name[0] in "RB" and (sign > 0) != (name[0] == "R"):
        text += (
            "; measured "
            + ("reinforcing" if sign > 0 else "balancing")
            + f", named {'reinforcing' if name[0] == 'R' else 'balancing'}"
        )
    return text


RANK_RESOLUTION = 1e-4  # scores closer than 0.01% of the total tie (libm noise, not signal)


def score_ranks(scores, resolution: float = RANK_RESOLUTION) -> np.ndarray:
    """Rank (1 = largest |score|) of each loop per period (axis 0 = loops).

    |scores| are rounded to ``resolution`` first and ties share the best rank ("1224"
    ranking), so loops whose scores are all but zero (differences of 1e-15 that depend
    on the CPU's maths library) get one rank on every machine instead of an arbitrary order.
    """
    from scipy.stats import rankdata

    key = np.round(np.abs(np.asarray(scores, float)) / resolution)
    return rankdata(-key, method="min", axis=0).astype(int)


SHOWN_RANKS = 10  # the verdicts read ranks 1-10 only; beyond them a rank is printed as "#>10"


def _rank(r: int) -> str:
    """A loop's rank as printed: ``#3``, or ``#>10`` past :data:`SHOWN_RANKS`. Ranks among
    the hundreds of loops with scores under 1% move with the CPU's maths (numpy's AVX2 and
    AVX-512 ``exp`` move some late-period scores by up to 7e-4, see the CHANGELOG)."""
    return f"#{r}" if r <= SHOWN_RANKS else f"#>{SHOWN_RANKS}"


def dominance_markdown(cm, scenarios: dict, named: dict, periods=PERIODS) -> str:
    """Markdown table: named loop x (scenario, region) x period (score, rank, verdict).

    ``scenarios`` maps a label to ``(engine params, regions)``; ``named`` is
    ``load_loop_names`` output.
    """
    heads = [f"{a}-{b}" if a != b else f"{a}" for a, b in periods]
    lines = [
        "| scenario | region | loop | " + " | ".join(heads) + " | measured |",
        "|---|---|---|" + "---|" * len(heads) + "---|",
    ]
    for label, (params, regions) in scenarios.items():
        times, loops, rel = named_loops(cm, params, named)
        for region in regions:
            idx, ps = region_dominance(times, loops, rel, region, periods)
            rank = score_ranks(ps)
            rows = [
                (k, _label(loops[i].name))
                for k, i in enumerate(idx)
                if _label(loops[i].name) in named
            ]
            for k, name in sorted(rows, key=lambda r: r[1]):
                cells = [f"{_pct(ps[k, j])} ({_rank(rank[k, j])})" for j in range(len(periods))]
                lines.append(
                    f"| {label} | {region} | **{name}** {named[name][0]} | "
                    + " | ".join(cells)
                    + f" | {verdict(name, ps[k], rank[k], heads)} |"
                )
            top = [int(np.argmax(np.abs(ps[:, j]))) for j in range(len(periods))]
            cells = [
                f"{_pct(ps[k, j])} "
                + (
                    _label(loops[idx[k]].name)
                    if _label(loops[idx[k]].name) in named
                    else _short(loops[idx[k]].name)
                )
                for j, k in enumerate(top)
            ]
            lines.append(
                f"| {label} | {region} | *strongest of {len(idx)} loops* | "
                + " | ".join(cells)
                + " | |"
            )
    return "\n".join(lines)


def loop_title(name: str, named: dict) -> str:
    """``B4 capability catch-up`` for a named loop, else its (shortened) variables."""
    lab = _label(name)
    return f"{lab} {named[lab][0]}" if lab in named else _short(name)


def yearly_dominance(cm, params, named: dict, regions=("US", "CN"), top=3) -> dict:
    """``{"years": [...], region: [[(score, loop title), ...] per year]}`` for one scenario.

    The region's loops renormalised among themselves, mean relative score per calendar year
    (the explorer's loop panel and anything else that wants a compact dominance table).
    """
    times, loops, rel = named_loops(cm, params, named)
    years = sorted(set(period_of(times).tolist()))
    out = {"years": years}
    for region in regions:
        idx, ys = region_dominance(times, loops, rel, region, [(y, y) for y in years])
        out[region] = [
            [
                (round(float(ys[k, j]), 4), loop_title(loops[idx[k]].name, named))
                for k in np.argsort(-np.abs(ys[:, j]))[:top]
                if abs(ys[k, j]) >= 0.005
            ]
            for j in range(len(years))
        ]
    return out
