"""Calibration on arrays: log-error payoff, global search + local polish, uncertainty set.

Observations are points, lower bounds ("more than $200M"), upper bounds and ranges; their
log errors come from :func:`aigap.observations.residuals` (0 when a bound is met). Each
error is scaled by its tolerance ``tau`` (default 0.25) and weight ``w`` into a residual
``r = sqrt(w) e / tau`` and the payoff is ``sum r^2``. If each log error were normal with
sd ``tau`` the payoff would be a chi-square, so the parameter vectors with payoff within
``chi2.ppf(0.95, d)`` of the best form an approximate 95% confidence region: that is the
*uncertainty set* (likelihood-ratio region) reported and exported as a sweep distribution.

:func:`fit` runs :func:`scipy.optimize.differential_evolution` with ``vectorized=True`` so a
whole population is one call of ``residuals`` (one engine call), then L-BFGS-B whose
finite-difference gradient is also one batched call of ``d + 1`` runs. Search happens in
``z``-space (each input scaled to [0, 1], logarithmically where ``log_scale``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy import optimize, stats
from scipy.stats import qmc

from ..observations import residuals as obs_residuals

__all__ = ["scaled_residuals", "fit", "FitResult", "uncertainty_set", "identifiability"]

_PENALTY = 1e3  # residual for a non-finite simulated value


def scaled_residuals(items, sim: np.ndarray) -> np.ndarray:
    """Residuals ``sqrt(w) e / tau`` ``(runs, m)`` of simulated values ``sim (runs, m)``.

    ``e`` is the log error of :func:`aigap.observations.residuals` (0 inside a bound);
    a non-finite or non-positive simulated value gets a large residual.

    Parameters
    ----------
    items : sequence of Observation
        The ``m`` fitted observations (their ``weight`` and ``tolerance`` scale the errors).
    sim : array_like (runs, m)
        Simulated values compared with them (``share * variable[region]`` at ``time``).

    Returns
    -------
    ndarray (runs, m)
        Scaled residuals; the payoff of a run is the sum of their squares.
    """
    sim = np.asarray(sim, dtype=float)
    ok = np.isfinite(sim) & (sim > 0)
    e = obs_residuals(items, np.where(ok, sim, 1.0))
    w = np.array([o.weight for o in items], dtype=float)
    tau = np.array([o.tolerance for o in items], dtype=float)
    return np.where(ok, np.sqrt(w) * e / tau, _PENALTY)


@dataclass
class FitResult:
    """Outcome of :func:`fit` (parameters in parameter space, ``d`` inputs).

    Attributes
    ----------
    x : ndarray (d,)
        Best parameter vector.
    payoff : float
        Its payoff ``sum(residuals ** 2)``.
    residuals : ndarray (m,)
        Its scaled residuals.
    history_x, history_payoff : ndarray (n, d), (n,)
        Every vector the optimizer evaluated and its payoff (used by
        :func:`uncertainty_set`).
    n_evals, n_calls : int
        Parameter vectors evaluated; calls of ``residuals`` (engine calls).
    message : str
        What the global search and the polish reported.
    converged : bool
        Whether differential evolution met its tolerance.
    extra : dict
        ``{"space": _Space}``: the parameter <-> z mapping of the search.
    """

    x: np.ndarray
    payoff: float
    residuals: np.ndarray
    history_x: np.ndarray  # every evaluated parameter vector (n, d)
    history_payoff: np.ndarray  # (n,)
    n_evals: int
    n_calls: int
    message: str
    converged: bool
    extra: dict = field(default_factory=dict)


class _Space:
    """Map between parameter space and z in [0, 1]^d (log scale where asked)."""

    def __init__(self, bounds, log_scale):
        self.bounds = np.asarray(bounds, dtype=float)
        d = self.bounds.shape[0]
        self.log = np.zeros(d, bool) if log_scale is None else np.asarray(log_scale, bool)
        if np.any(self.log & (self.bounds[:, 0] <= 0)):
            raise ValueError("log_scale needs positive lower bounds")
        if np.any(self.bounds[:, 1] <= self.bounds[:, 0]):
            raise ValueError("every bound needs low < high")
        lo, hi = self.bounds[:, 0].copy(), self.bounds[:, 1].copy()
        lo[self.log], hi[self.log] = np.log(lo[self.log]), np.log(hi[self.log])
        self.lo, self.span = lo, hi - lo

    def to_x(self, z):
        """Parameter vectors from z in [0, 1]^d (clipped), ``(..., d)``."""
        y = self.lo + np.clip(z, 0.0, 1.0) * self.span
        return np.where(self.log, np.exp(np.where(self.log, y, 0.0)), y)

    def to_z(self, x):
        """z in [0, 1]^d from parameter vectors ``(..., d)`` (inverse of :meth:`to_x`)."""
        x = np.asarray(x, dtype=float)
        y = np.where(self.log, np.log(np.where(self.log, x, 1.0)), x)
        return (y - self.lo) / self.span


def fit(
    residuals: Callable[[np.ndarray], np.ndarray],
    bounds,
    seed: int,
    log_scale=None,
    popsize: int = 15,
    maxiter: int = 100,
    tol: float = 1e-7,
    polish: bool = True,
    x0=None,
    atol: float = 1e-6,
    progress=None,
) -> FitResult:
    """Minimise ``sum(residuals(X)**2)`` over a box.

    Parameters
    ----------
    residuals : callable
        ``X (n, d)`` parameter vectors -> residuals ``(n, m)``; called once per DE generation.
    bounds : array_like (d, 2)
    seed : int
        Seed of the optimizer (the only randomness).
    log_scale : array_like of bool, optional
        Search these inputs on a log scale.
    popsize, maxiter, tol, atol : optional
        Differential evolution settings (population = ``popsize * d``, at least 5).
    polish : bool
        Refine the best vector with L-BFGS-B (batched finite-difference gradient).
    x0 : array_like, optional
        A starting vector placed in the initial population (e.g. the scenario's values).
    progress : file-like, optional
        Where to print the best payoff every 10 generations.

    Returns
    -------
    FitResult
        Best vector, payoff, residuals and the optimizer's history.

    Examples
    --------
    >>> fit(lambda X: X - 0.3, [[0, 1], [0, 1]], seed=0).x.round(3)
    array([0.3, 0.3])
    """
    space = _Space(bounds, log_scale)
    d = space.bounds.shape[0]
    hx, hf = [], []
    calls = [0]

    def batch(Z):  # Z (n, d) -> residuals (n, m)
        X = space.to_x(Z)
        R = np.asarray(residuals(X), dtype=float)
        calls[0] += 1
        hx.append(X)
        hf.append(np.sum(R**2, axis=1))
        return R

    def de_obj(zT):  # DE passes (d, S)
        return np.sum(batch(np.atleast_2d(zT.T)) ** 2, axis=1)

    gen = [0]

    def report(intermediate_result):
        gen[0] += 1
        if progress is not None and gen[0] % 10 == 0:
            print(
                f"  generation {gen[0]}: best payoff {intermediate_result.fun:.4g} "
                f"({calls[0]} engine calls)",
                file=progress,
                flush=True,
            )

    rng = np.random.default_rng(seed)
    init = qmc.LatinHypercube(d=d, rng=rng).random(max(5, popsize * d))
    if x0 is not None:
        init[0] = np.clip(space.to_z(np.asarray(x0, float)), 0.0, 1.0)
    de = optimize.differential_evolution(
        de_obj,
        [(0.0, 1.0)] * d,
        init=init,
        maxiter=maxiter,
        tol=tol,
        atol=atol,
        rng=rng,
        polish=False,
        vectorized=True,
        updating="deferred",
        mutation=(0.5, 1.0),
        recombination=0.7,
        callback=report,
    )
    z, f = de.x, float(de.fun)
    msg = f"differential evolution: {de.message} ({de.nit} generations)"
    if polish:
        h = 1e-5

        def fg(zz):
            step = np.where(zz + h <= 1.0, h, -h)
            Z = np.vstack([zz, zz + np.diag(step)])
            pay = np.sum(batch(Z) ** 2, axis=1)
            return pay[0], (pay[1:] - pay[0]) / step

        loc = optimize.minimize(
            fg, z, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * d, options={"maxiter": 200}
        )
        if loc.fun < f:
            z, f = loc.x, float(loc.fun)
        msg += f"; L-BFGS-B polish: {loc.message}"
    X = space.to_x(z[None])[0]
    r = np.asarray(residuals(X[None]), dtype=float)[0]
    calls[0] += 1
    HX, HF = np.vstack(hx), np.concatenate(hf)
    return FitResult(
        X,
        float(np.sum(r**2)),
        r,
        HX,
        HF,
        HX.shape[0] + 1,
        calls[0],
        msg,
        bool(de.success),
        {"space": space},
    )


def uncertainty_set(
    result: FitResult,
    residuals: Callable,
    seed: int,
    n_extra: int = 2000,
    level: float = 0.95,
    threshold: float | None = None,
):
    """An honest sample of the likelihood-ratio region: fresh draws, no optimizer history.

    The default threshold is ``chi2.ppf(level, d)`` (likelihood-ratio region, see module
    docs). ``n_extra`` Latin-hypercube points are drawn (one batched call) uniformly in the
    box spanned by the optimizer's evaluations within three thresholds of the best, widened
    by half its size; those within the threshold are kept. The result is a rejection sample
    of a uniform prior over that box restricted to the region: the optimizer's own
    evaluations (which crowd around the best fit) only set the box and are never part of
    the set, so percentiles drawn from it are not artificially narrow. For a posterior
    under stated priors use ``aigap posterior``.

    Returns
    -------
    X : ndarray (k, d)
        Accepted vectors (may be empty when no draw falls inside the region).
    payoff : ndarray (k,)
    threshold : float
    """
    space: _Space = result.extra["space"]
    d = result.x.size
    thr = float(stats.chi2.ppf(level, d)) if threshold is None else float(threshold)
    HX, HF = result.history_x, result.history_payoff
    near = HF <= result.payoff + 3 * thr
    Zn = space.to_z(HX[near]) if near.any() else space.to_z(result.x[None])
    zlo, zhi = Zn.min(axis=0), Zn.max(axis=0)
    pad = 0.5 * (zhi - zlo) + 0.02
    zlo, zhi = np.clip(zlo - pad, 0, 1), np.clip(zhi + pad, 0, 1)
    if n_extra <= 0:
        return np.empty((0, d)), np.empty(0), thr
    U = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n_extra)
    Xe = space.to_x(zlo + U * (zhi - zlo))
    Fe = np.sum(np.asarray(residuals(Xe), float) ** 2, axis=1)
    keep = Fe <= result.payoff + thr
    return Xe[keep], Fe[keep], thr


def identifiability(
    result: FitResult,
    residuals: Callable,
    accepted: np.ndarray,
    n_obs_used: int,
    span_weak: float = 0.25,
    span_none: float = 0.6,
):
    """Judge, per input, whether the data pin it down.

    Uses the finite-difference Jacobian of the residuals at the best fit (in z units) and the
    spread of the accepted set relative to the search range. Returns ``(rows, summary)``:
    one dict per input (``sensitivity``, ``span``, ``status``) and a dict with the Jacobian
    rank and a plain-language verdict.
    """
    space: _Space = result.extra["space"]
    d = result.x.size
    z0 = space.to_z(result.x)
    h = 1e-4
    step = np.where(z0 + h <= 1.0, h, -h)
    Z = np.vstack([z0, z0 + np.diag(step)])
    R = np.asarray(residuals(space.to_x(Z)), dtype=float)
    J = (R[1:] - R[0]).T / step  # (m, d)
    sv = np.linalg.svd(J, compute_uv=False) if J.size else np.zeros(0)
    rank = int(np.sum(sv > 1e-6 * max(sv.max(initial=0.0), 1e-300))) if sv.size else 0
    Za = space.to_z(accepted)
    lo, hi = np.percentile(Za, [2.5, 97.5], axis=0)
    span = hi - lo
    colnorm = np.linalg.norm(J, axis=0)
    rows = []
    for j in range(d):
        if colnorm[j] < 1e-8 or span[j] >= span_none:
            status = "not identified"
        elif span[j] >= span_weak:
            status = "weakly identified"
        else:
            status = "identified"
        rows.append(
            {
                "sensitivity": float(colnorm[j]),
                "span": float(span[j]),
                "low": float(space.to_x(np.where(np.arange(d) == j, lo, z0))[j]),
                "high": float(space.to_x(np.where(np.arange(d) == j, hi, z0))[j]),
                "status": status,
            }
        )
    bad = [j for j, r in enumerate(rows) if r["status"] == "not identified"]
    if n_obs_used < d:
        verdict = (
            f"under-determined: {n_obs_used} observations for {d} parameters; the data "
            "cannot identify them all"
        )
    elif rank < d or bad:
        verdict = (
            f"not identifiable: Jacobian rank {rank} of {d}; "
            f"{len(bad)} parameter(s) not pinned down by the data"
        )
    elif any(r["status"] == "weakly identified" for r in rows):
        weak = sum(r["status"] == "weakly identified" for r in rows)
        verdict = (
            f"identified, but {weak} parameter(s) only weakly: their 95% range spans "
            f"{span_weak:.0%} or more of the search range"
        )
    else:
        verdict = "identified: every parameter is constrained by the data"
    return rows, {
        "rank": rank,
        "n_params": d,
        "n_obs": n_obs_used,
        "singular_values": sv.tolist(),
        "verdict": verdict,
        "identified": not bad and rank == d and n_obs_used >= d,
    }
