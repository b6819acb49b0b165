"""Morris elementary effects: cheap screening of many inputs.

``sample(problem, N, seed, levels=4)`` builds ``N`` one-at-a-time trajectories of ``d + 1``
points on a ``levels``-point grid of the unit cube (step ``levels / (2 (levels - 1))``) and
returns them in parameter space, ``(N * (d + 1), d)``. ``analyze(problem, X, Y)`` returns
``mu``, ``mu_star`` (mean absolute effect: the screening measure), ``sigma`` (interactions and
non-linearity) and a bootstrap confidence interval of ``mu_star``. Effects are per unit of the
input's *quantile* (unit-cube) scale so inputs with different units are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import Problem

__all__ = ["sample", "analyze", "MorrisIndices"]


def _delta(levels: int) -> float:
    return levels / (2.0 * (levels - 1))


def sample_unit(d: int, N: int, seed: int, levels: int = 4) -> np.ndarray:
    """Trajectories in the unit cube, ``(N * (d + 1), d)``."""
    if levels < 2 or levels % 2:
        raise ValueError(f"Morris levels must be an even integer >= 2, got {levels}")
    if N < 2:
        raise ValueError(f"Morris needs at least 2 trajectories, got {N}")
    rng = np.random.default_rng(seed)
    delta = _delta(levels)
    grid = np.arange(levels) / (levels - 1)
    out = np.empty((N, d + 1, d))
    for t in range(N):
        x = rng.choice(grid, size=d)
        step = np.where(x + delta <= 1.0 + 1e-12, delta, -delta)
        out[t, 0] = x
        for k, j in enumerate(rng.permutation(d), start=1):
            x = x.copy()
            x[j] += step[j]
            out[t, k] = x
    return np.clip(out.reshape(N * (d + 1), d), 0.0, 1.0)


def sample(problem: Problem, N: int, seed: int, levels: int = 4) -> np.ndarray:
    """``N`` Morris trajectories in parameter space, ``(N * (d + 1), d)``."""
    return problem.transform(sample_unit(problem.d, N, seed, levels))


@dataclass
class MorrisIndices:
    """Screening measures for ``d`` inputs and ``k`` outputs; arrays are ``(d, k)``."""

    names: tuple[str, ...]
    mu: np.ndarray
    mu_star: np.ndarray
    sigma: np.ndarray
    mu_star_conf: np.ndarray
    N: int

    def ranking(self, output: int = 0) -> list[int]:
        """Input indices ordered by ``mu_star`` (largest first)."""
        return list(np.argsort(-self.mu_star[:, output], kind="stable"))


def analyze(problem: Problem, X: np.ndarray, Y: np.ndarray, levels: int = 4,
            n_boot: int = 500, conf: float = 0.95, seed: int = 0) -> MorrisIndices:
    """Elementary-effect statistics from a design made by :func:`sample`."""
    d = problem.d
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if X.shape[0] != Y.shape[0] or X.shape[0] % (d + 1):
        raise ValueError(f"X and Y need N * (d + 1) = N * {d + 1} matching rows; "
                         f"got {X.shape[0]} and {Y.shape[0]}")
    if not np.isfinite(Y).all():
        raise ValueError("Morris analysis needs finite outputs for every run")
    N = X.shape[0] // (d + 1)
    U = problem.to_unit(X).reshape(N, d + 1, d)
    Yt = Y.reshape(N, d + 1, -1)
    delta = _delta(levels)
    ee = np.zeros((N, d, Y.shape[1]))
    for t in range(N):
        diffs = np.diff(U[t], axis=0)                 # (d, d): row k changed one column
        moved = np.abs(diffs).max(axis=1) > 1e-12
        cols = np.argmax(np.abs(diffs), axis=1)
        # steps that collapsed onto the same discrete level have zero effect on their column
        missing = iter(sorted(set(range(d)) - set(cols[moved].tolist())))
        for k in range(d):
            if moved[k]:
                j = cols[k]
                sign = np.sign(diffs[k, j])
                ee[t, j] = (Yt[t, k + 1] - Yt[t, k]) / (sign * delta)
            else:
                ee[t, next(missing)] = 0.0
    mu = ee.mean(axis=0)
    mu_star = np.abs(ee).mean(axis=0)
    sigma = ee.std(axis=0, ddof=1)
    rng = np.random.default_rng(seed)
    boots = np.empty((n_boot,) + mu_star.shape)
    for b in range(n_boot):
        boots[b] = np.abs(ee[rng.integers(0, N, N)]).mean(axis=0)
    lo, hi = np.percentile(boots, [(1 - conf) / 2 * 100, (1 + conf) / 2 * 100], axis=0)
    return MorrisIndices(tuple(problem.names), mu, mu_star, sigma, (hi - lo) / 2, N)
