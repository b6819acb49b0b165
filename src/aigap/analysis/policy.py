"""Policy search methods: robustness over worlds, Pareto fronts, NSGA-II, differential evolution.

Pure functions over arrays (no files, no engine), so each is tested on closed-form cases:

* an outcome matrix ``values (P, W)`` holds one objective of ``P`` policies in ``W`` worlds
  (posterior draws, a sweep's runs, or the baseline alone);
* :func:`robust_statistic` reduces it over worlds -- mean, median, a percentile, the worst
  case, regret against the best policy per world, or the share of worlds meeting a
  threshold (satisficing) -- the robustness metrics of EMA Workbench / RDM;
* :func:`to_loss` turns a statistic into a quantity to minimise;
* :func:`nondominated_sort` and :func:`pareto_mask` rank policies (with constraint
  domination); :func:`nsga2` drives pymoo's NSGA-II (Deb et al. 2002) for several
  objectives;
* :func:`differential_evolution` wraps scipy's vectorized DE (one call per generation:
  the whole population times every world in one engine call) for one objective.

Both optimisers call ``evaluate(X (P, d)) -> (F (P, m), CV (P,))`` once per generation;
``CV`` is the total constraint violation (0 = feasible).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Statistic",
    "robust_statistic",
    "regret",
    "to_loss",
    "satisficing",
    "nondominated_sort",
    "pareto_mask",
    "nsga2",
    "differential_evolution",
    "penalised",
    "lever_spread",
    "lever_path",
    "integral",
    "STAT_KINDS",
    "INFEASIBLE",
]

STAT_KINDS = ("mean", "median", "percentile", "worst", "regret", "satisfice")
INFEASIBLE = 1e6  # penalised loss of an infeasible policy (losses are scaled to ~1)


@dataclass(frozen=True)
class Statistic:
    """How one objective is reduced over the worlds.

    ``kind`` is one of :data:`STAT_KINDS`. ``q`` is the percentile (``percentile``) or the
    percentile of the regret (``regret`` with ``of="percentile"``); ``of`` is ``max``,
    ``mean`` or ``percentile`` for regret; ``op``/``threshold`` define a satisficing test
    (``"<"``, ``"<="``, ``">"``, ``">="``).
    """

    kind: str = "mean"
    q: float | None = None
    of: str = "max"
    op: str | None = None
    threshold: float | None = None

    @property
    def label(self) -> str:
        """Short text: ``mean``, ``p90``, ``worst``, ``regret max``, ``share < 20``."""
        if self.kind == "percentile":
            return f"p{self.q:g}"
        if self.kind == "regret":
            return "regret " + (f"p{self.q:g}" if self.of == "percentile" else self.of)
        if self.kind == "satisfice":
            return f"share {self.op} {self.threshold:g}"
        return self.kind


_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def regret(values: np.ndarray, sense: str = "min", reference=None) -> np.ndarray:
    """Regret ``(P, W)``: how much worse each policy is than the best one in each world.

    ``reference`` (``(W,)``, optional) is the best outcome per world; default: the best
    of the ``P`` policies given. Regret is in the objective's units; 0 for the best.
    """
    v = np.asarray(values, dtype=float)
    if reference is None:
        reference = np.nanmin(v, axis=0) if sense == "min" else np.nanmax(v, axis=0)
    return v - reference if sense == "min" else reference - v


def satisficing(values: np.ndarray, op: str, threshold: float) -> np.ndarray:
    """Share of worlds (per policy, ``(P,)``) where ``value op threshold`` holds."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return (_OPS[op](v, threshold) & np.isfinite(v)).mean(axis=1)


def _worst(v, sense):
    return np.nanmax(v, axis=1) if sense == "min" else np.nanmin(v, axis=1)


def robust_statistic(
    values: np.ndarray, stat: Statistic, sense: str = "min", reference=None
) -> np.ndarray:
    """The statistic of each policy over the worlds, ``(P,)``, in the objective's units.

    Non-finite outcomes are left out of means and percentiles (the caller counts them as
    constraint violations); a policy without a finite outcome gets NaN.
    """
    v = np.asarray(values, dtype=float)
    v = np.where(np.isfinite(v), v, np.nan)
    if stat.kind == "satisfice":
        return satisficing(v, stat.op, stat.threshold)
    if not np.isfinite(v).any(axis=1).all():
        out = np.full(v.shape[0], np.nan)
        ok = np.isfinite(v).any(axis=1)
        if ok.any():
            out[ok] = robust_statistic(v[ok], stat, sense, reference)
        return out
    if stat.kind == "mean":
        return np.nanmean(v, axis=1)
    if stat.kind == "median":
        return np.nanmedian(v, axis=1)
    if stat.kind == "percentile":
        return np.nanpercentile(v, stat.q, axis=1)
    if stat.kind == "worst":
        return _worst(v, sense)
    if stat.kind == "regret":
        r = regret(v, sense, reference)
        if stat.of == "max":
            return np.nanmax(r, axis=1)
        if stat.of == "mean":
            return np.nanmean(r, axis=1)
        return np.nanpercentile(r, stat.q, axis=1)
    raise ValueError(f"unknown statistic {stat.kind!r}")


def to_loss(statistic: np.ndarray, stat: Statistic, sense: str) -> np.ndarray:
    """A quantity to minimise: regret as is, a satisficing share negated, else by sense."""
    s = np.asarray(statistic, dtype=float)
    if stat.kind == "regret":
        return s
    if stat.kind == "satisfice":
        return -s
    return s if sense == "min" else -s


def penalised(loss: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Feasible policies keep their (scaled) loss; infeasible ones rank behind every
    feasible one, by violation (a static form of Deb's feasibility rules for DE)."""
    loss = np.asarray(loss, dtype=float)
    cv = np.asarray(violation, dtype=float)
    bad = (cv > 0) | ~np.isfinite(loss)
    return np.where(
        bad,
        INFEASIBLE * (1.0 + np.where(np.isfinite(cv), cv, 1e6)),
        np.where(np.isfinite(loss), loss, 0.0),
    )


def nondominated_sort(F: np.ndarray, cv=None) -> np.ndarray:
    """Pareto rank of each row of ``F (n, m)`` (0 = non-dominated), minimising every column.

    With ``cv`` (violations), Deb's constraint domination: a feasible point dominates an
    infeasible one, and of two infeasible points the smaller violation dominates.
    """
    F = np.asarray(F, dtype=float)
    n = F.shape[0]
    cv = np.zeros(n) if cv is None else np.asarray(cv, dtype=float)
    le = (F[:, None, :] <= F[None, :, :]).all(axis=2)
    lt = (F[:, None, :] < F[None, :, :]).any(axis=2)
    dom = le & lt  # dom[i, j]: i dominates j
    feas = cv <= 0
    dom = np.where(feas[:, None] & feas[None, :], dom, False)
    dom |= feas[:, None] & ~feas[None, :]
    both_bad = ~feas[:, None] & ~feas[None, :]
    dom |= both_bad & (cv[:, None] < cv[None, :])
    count = dom.sum(axis=0)  # how many dominate j
    rank = np.full(n, -1)
    front, r = np.flatnonzero(count == 0), 0
    while front.size:
        rank[front] = r
        count = count - dom[front].sum(axis=0)
        count[rank >= 0] = -1
        front, r = np.flatnonzero(count == 0), r + 1
    return rank


def pareto_mask(F: np.ndarray) -> np.ndarray:
    """``(n,)`` bool: the rows of ``F`` that no other row dominates (minimising)."""
    return nondominated_sort(F) == 0


def nsga2(evaluate, bounds, pop_size: int, generations: int, rng, on_generation=None):
    """NSGA-II (Deb et al. 2002) over the box ``bounds`` (``[(low, high), ...]``): pymoo's.

    pymoo's NSGA-II (Latin hypercube start, SBX crossover, polynomial mutation, rank and
    crowding survival, Deb's constraint domination) is driven generation by generation
    through its ask/tell interface, so ``evaluate(X (P, d)) -> (F (P, m), CV (P,))`` is
    called once per generation with the whole batch (one engine call for policies x
    worlds) and a rerun with the same ``rng`` state asks for the same batches (the job
    replays them from disk on resume). ``on_generation(g, X, F, CV)`` gets the surviving
    population after each generation (``g = 0``: the initial one). Returns ``(X, F, CV)``
    of the final population (every rank).
    """
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.termination import NoTermination
    from pymoo.operators.sampling.lhs import LHS

    lo, hi = np.asarray(bounds, dtype=float).T
    pop_size += pop_size % 2
    problem = _batch_problem(evaluate, lo, hi)
    algorithm = NSGA2(pop_size=pop_size, sampling=LHS())
    algorithm.setup(problem, termination=NoTermination(), seed=rng, verbose=False)
    evaluator = Evaluator()
    for g in range(generations + 1):
        infills = algorithm.ask()
        evaluator.eval(problem, infills)
        algorithm.tell(infills=infills)
        pop = algorithm.pop
        X, F, CV = pop.get("X"), pop.get("F_raw"), pop.get("CV")[:, 0]
        if on_generation is not None:
            on_generation(g, X, F, CV)
    return X, F, CV


def _batch_problem(evaluate, lo, hi):
    """A pymoo ``Problem`` whose vectorised ``_evaluate`` hands the whole population to
    ``evaluate``, with one inequality constraint ``G = CV`` (feasible when ``G <= 0``).
    Non-finite losses (only infeasible policies have them) are replaced for pymoo and
    kept as ``F_raw``. (pymoo is imported here: it takes most of a second to import.)"""
    from pymoo.core.problem import Problem

    class BatchProblem(Problem):
        def _evaluate(self, X, out, *args, **kwargs):
            F, CV = evaluate(X)
            F = np.asarray(F, dtype=float)
            self.n_obj = F.shape[1]  # known at the first batch
            out["F_raw"] = F
            out["F"] = np.where(np.isfinite(F), F, INFEASIBLE)
            out["G"] = np.asarray(CV, dtype=float).reshape(-1, 1)

    return BatchProblem(n_var=lo.size, n_obj=1, n_ieq_constr=1, xl=lo, xu=hi)


def differential_evolution(
    evaluate, bounds, population: int, generations: int, rng, tol: float = 1e-6, on_generation=None
):
    """scipy's differential evolution, vectorized: one ``evaluate`` call per generation.

    ``evaluate(X (P, d)) -> (F (P, 1), CV (P,))``; infeasible policies are ranked behind
    every feasible one (:func:`penalised`). No gradient polish (the loss over a finite
    set of worlds is not smooth). Returns scipy's ``OptimizeResult``.
    """
    from scipy import optimize

    d = len(bounds)
    gen = {"g": 0}

    def fun(xt):  # scipy passes (d, S)
        X = np.atleast_2d(np.asarray(xt, dtype=float).T)
        F, CV = evaluate(X)
        f = penalised(np.asarray(F, dtype=float)[:, 0], CV)
        if on_generation is not None:
            on_generation(gen["g"], X, F, CV)
        gen["g"] += 1
        return f

    kw = (
        {"rng": rng}
        if "rng" in inspect.signature(optimize.differential_evolution).parameters
        else {"seed": rng}
    )
    return optimize.differential_evolution(
        fun,
        bounds,
        popsize=max(1, int(np.ceil(population / d))),
        maxiter=generations,
        tol=tol,
        atol=0.0,
        polish=False,
        init="latinhypercube",
        vectorized=True,
        updating="deferred",
        **kw,
    )


def lever_spread(X: np.ndarray, bounds) -> np.ndarray:
    """Spread of each lever over a set of policies (e.g. the Pareto front), as a share of
    its allowed range: the 10-90% interdecile width. Near 0: the front agrees on the
    lever (it matters, or is irrelevant -- read it with the objectives' sensitivity);
    near 0.8: the trade-off is made along this lever."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    lo, hi = np.asarray(bounds, dtype=float).T
    width = np.percentile(X, 90, axis=0) - np.percentile(X, 10, axis=0)
    return np.where(hi > lo, width / np.where(hi > lo, hi - lo, 1.0), 0.0)


def lever_path(
    grid: np.ndarray, base: np.ndarray, a: np.ndarray, e: np.ndarray, value: np.ndarray
) -> np.ndarray:
    """A lever's time path on ``grid (T,)`` for ``n`` runs, ``(n, T)``.

    ``base`` (``(T,)``, the same in every run) before ``a``; a straight line from the base value at
    ``a`` to ``value`` at ``e``; ``value`` from ``e`` on. When ``grid`` holds every knot
    (the base's times, ``a`` and ``e``), the piecewise-linear path is exact.
    """
    grid = np.asarray(grid, dtype=float)
    n = np.asarray(value).size
    b = np.asarray(base, dtype=float).reshape(1, grid.size)
    a, e, value = (
        np.broadcast_to(np.asarray(x, dtype=float), (n,)).reshape(n, 1) for x in (a, e, value)
    )
    b_at_a = np.interp(a[:, 0], grid, b[0]).reshape(n, 1)
    w = np.clip((grid[None, :] - a) / np.maximum(e - a, 1e-300), 0.0, 1.0)
    ramp = b_at_a + (value - b_at_a) * w
    return np.where(grid[None, :] <= a, b, ramp)


def integral(values: np.ndarray, times: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Trapezoid integral of ``values (n, T)`` over ``[t0, t1]`` (ends interpolated)."""
    from .conditions import series_at

    times = np.asarray(times, dtype=float)
    inside = (times > t0) & (times < t1)
    pts = np.concatenate([[t0], times[inside], [t1]])
    v = np.column_stack(
        [series_at(values, times, t0), values[:, inside], series_at(values, times, t1)]
    )
    return (0.5 * (v[:, 1:] + v[:, :-1]) * np.diff(pts)).sum(axis=1)
