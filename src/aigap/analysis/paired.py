"""Paired comparison of scenarios over posterior draws (pure functions over arrays).

Every scenario is simulated with the same posterior draws (row ``i`` of every array is the
same data-consistent world), so a scenario's effect is read draw by draw: the probability
that scenario ``s`` gives a smaller gap than the baseline is the share of draws where
``gap_s[i] < gap_base[i]``, and the probability that it narrows the gap most is the share of
draws where it has the smallest gap of all scenarios compared (the baseline included, so
the shares over the scenarios sum to 1; a tie goes to the scenario listed first).
"""

from __future__ import annotations

import numpy as np

__all__ = ["QUANTILES", "quantile_rows", "paired_probabilities", "rank_drivers"]

QUANTILES = (5, 25, 50, 75, 95)


def quantile_rows(values) -> dict:
    """``values (draws,)`` -> ``{"p5", "p25", "median", "p75", "p95", "n"}`` (finite draws)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if not v.size:
        return dict.fromkeys(("p5", "p25", "median", "p75", "p95"), np.nan) | {"n": 0}
    q = np.percentile(v, QUANTILES)
    return {"p5": q[0], "p25": q[1], "median": q[2], "p75": q[3], "p95": q[4], "n": int(v.size)}


def paired_probabilities(gaps: dict, baseline: str) -> dict:
    """Paired probabilities per scenario from ``gaps`` ``{scenario: (draws,)}``.

    Returns ``{scenario: {"p_below_baseline", "p_narrowest", "median_ratio"}}`` where
    ``median_ratio`` is the median over draws of ``gap_s / gap_baseline`` (the paired
    effect size). Draws with a non-finite gap in any scenario are left out of all three.

    Raises
    ------
    ValueError
        When ``baseline`` is not a key or the arrays differ in length (not paired).
    """
    names = list(gaps)
    if baseline not in gaps:
        raise ValueError(f"baseline '{baseline}' is not one of {names}")
    G = np.stack([np.asarray(gaps[s], float) for s in names])  # (scenarios, draws)
    ok = np.all(np.isfinite(G), axis=0)
    G = G[:, ok]
    b = G[names.index(baseline)]
    best = np.argmin(G, axis=0) if G.shape[1] else np.empty(0, int)
    out = {}
    for k, s in enumerate(names):
        n = G.shape[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = G[k] / b
        out[s] = {
            "p_below_baseline": float(np.mean(G[k] < b)) if n else np.nan,
            "p_narrowest": float(np.mean(best == k)) if n else np.nan,
            "median_ratio": float(np.median(ratio)) if n else np.nan,
            "n": int(n),
        }
    return out


def rank_drivers(X, y) -> list:
    """Which columns of posterior draws ``X (n, d)`` drive an output ``y (n,)``.

    Per column: Spearman's rank correlation and the partial rank correlation coefficient
    (PRCC: the correlation of the ranks of ``x_j`` and ``y`` after a linear regression of
    both on the ranks of the other columns). Variance-based (Sobol) indices assume
    independent inputs; posterior draws are correlated by the data, and PRCC measures each
    constant's own monotone effect with the others held (linearly) fixed. Rows with a
    non-finite ``y`` are dropped. Returns one dict per column, in column order.
    """
    from scipy import stats

    X, y = np.asarray(X, float), np.asarray(y, float)
    ok = np.isfinite(y)
    X, y = X[ok], y[ok]
    n, d = X.shape
    R = np.column_stack([stats.rankdata(X[:, j]) for j in range(d)])
    ry = stats.rankdata(y)
    out = []
    for j in range(d):
        sp = float(np.corrcoef(R[:, j], ry)[0, 1]) if n > 2 else np.nan
        others = np.column_stack([np.ones(n), np.delete(R, j, axis=1)])
        bx = np.linalg.lstsq(others, R[:, j], rcond=None)[0]
        by = np.linalg.lstsq(others, ry, rcond=None)[0]
        ex, ey = R[:, j] - others @ bx, ry - others @ by
        den = np.sqrt(np.sum(ex**2) * np.sum(ey**2))
        out.append(
            {
                "spearman": sp,
                "prcc": float(np.sum(ex * ey) / den) if den > 0 else np.nan,
                "n": int(n),
            }
        )
    return out
