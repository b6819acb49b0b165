"""Morris elementary effects: cheap screening of many inputs (statistics by SALib).

``sample(problem, N, seed, levels=4, groups=None)`` builds ``N`` one-at-a-time trajectories of
``g + 1`` points (``g`` inputs, or groups whose inputs move together) on a ``levels``-point grid
of the unit cube (step ``levels / (2 (levels - 1))``) and returns them in parameter space,
``(N * (g + 1), d)``. ``analyze(problem, X, Y)`` runs ``SALib.analyze.morris.analyze`` per output
on the design's unit-cube (quantile) coordinates, so effects are per unit of the input's
quantile scale and inputs with different units are comparable: ``mu``, ``mu_star`` (mean
absolute effect: the screening measure), ``sigma`` (interactions and non-linearity; NaN for a
group of several inputs) and ``mu_star_conf``, SALib's half-width ``z * sd`` of ``mu_star`` over
bootstrap resamples of the trajectories (a normal approximation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import Problem
from .sobol import group_names, salib_problem

__all__ = ["sample", "analyze", "MorrisIndices"]


def _delta(levels: int) -> float:
    return levels / (2.0 * (levels - 1))


def sample_unit(d: int, N: int, seed: int, levels: int = 4, groups=None) -> np.ndarray:
    """Trajectories in the unit cube, ``(N * (g + 1), d)``.

    A group's inputs step together, in one direction (each starts on the half of the grid
    that allows it), so the group's elementary effect is that of the joint move."""
    if levels < 2 or levels % 2:
        raise ValueError(f"Morris levels must be an even integer >= 2, got {levels}")
    if N < 2:
        raise ValueError(f"Morris needs at least 2 trajectories, got {N}")
    names = list(dict.fromkeys(groups)) if groups is not None else list(range(d))
    member = [
        np.flatnonzero([(groups[i] if groups is not None else i) == n for i in range(d)])
        for n in names
    ]
    g = len(names)
    rng = np.random.default_rng(seed)
    delta = _delta(levels)
    grid = np.arange(levels) / (levels - 1)
    out = np.empty((N, g + 1, d))
    col_group = np.empty(d, dtype=int)
    for j, cols in enumerate(member):
        col_group[cols] = j
    up, down = grid[grid + delta <= 1 + 1e-12], grid[grid - delta >= -1e-12]
    for t in range(N):
        if groups is None:
            x = rng.choice(grid, size=d)
            step = np.where(x + delta <= 1.0 + 1e-12, delta, -delta)
        else:  # one direction per group, so its inputs move together the same way
            sign = rng.choice([-1.0, 1.0], size=g)[col_group]
            x = np.where(sign > 0, rng.choice(up, size=d), rng.choice(down, size=d))
            step = sign * delta
        out[t, 0] = x
        for k, j in enumerate(rng.permutation(g), start=1):
            x = x.copy()
            x[member[j]] += step[member[j]]
            out[t, k] = x
    return np.clip(out.reshape(N * (g + 1), d), 0.0, 1.0)


def sample(problem: Problem, N: int, seed: int, levels: int = 4, groups=None) -> np.ndarray:
    """``N`` Morris trajectories in parameter space, ``(N * (g + 1), d)``."""
    group_names(problem, groups)
    return problem.transform(sample_unit(problem.d, N, seed, levels, groups))


@dataclass
class MorrisIndices:
    """Screening measures for ``g`` factors (inputs or groups) and ``k`` outputs: ``(g, k)``."""

    names: tuple[str, ...]
    mu: np.ndarray
    mu_star: np.ndarray
    sigma: np.ndarray
    mu_star_conf: np.ndarray
    N: int
    groups: tuple[str, ...] | None = None

    def ranking(self, output: int = 0) -> list[int]:
        """Factor indices ordered by ``mu_star`` (largest first)."""
        return list(np.argsort(-self.mu_star[:, output], kind="stable"))


def analyze(
    problem: Problem,
    X: np.ndarray,
    Y: np.ndarray,
    levels: int = 4,
    n_boot: int = 500,
    conf: float = 0.95,
    seed: int = 0,
    groups=None,
) -> MorrisIndices:
    """Elementary-effect statistics from a design made by :func:`sample` (same ``groups``)."""
    from SALib.analyze import morris as salib_morris

    names = group_names(problem, groups)
    g = len(names)
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if X.shape[0] != Y.shape[0] or X.shape[0] % (g + 1) or X.shape[0] == 0:
        raise ValueError(
            f"X and Y need N * (g + 1) = N * {g + 1} matching rows; "
            f"got {X.shape[0]} and {Y.shape[0]}"
        )
    if not np.isfinite(Y).all():
        raise ValueError("Morris analysis needs finite outputs for every run")
    U = problem.to_unit(X)
    sp = salib_problem(problem, groups)
    stats = {key: np.empty((g, Y.shape[1])) for key in ("mu", "mu_star", "sigma", "mu_star_conf")}
    for j in range(Y.shape[1]):
        res = salib_morris.analyze(
            sp,
            U,
            np.ascontiguousarray(Y[:, j]),
            num_resamples=n_boot,
            conf_level=conf,
            num_levels=levels,
            seed=seed,
        )
        for key, arr in stats.items():
            arr[:, j] = np.ma.filled(np.ma.asarray(res[key], dtype=float), np.nan)
    return MorrisIndices(
        names,
        stats["mu"],
        stats["mu_star"],
        stats["sigma"],
        stats["mu_star_conf"],
        X.shape[0] // (g + 1),
        groups=tuple(groups) if groups is not None else None,
    )
