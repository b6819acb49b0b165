"""Designs over the unit hypercube and their transform to parameter values.

Samplers: ``grid`` (full factorial), ``mc`` (plain Monte Carlo), ``lhs`` (Latin hypercube,
:class:`scipy.stats.qmc.LatinHypercube`) and ``sobol`` (scrambled Sobol sequence,
:class:`scipy.stats.qmc.Sobol`; ``N`` must be a power of two so the sequence stays balanced).
All randomness comes from one integer seed through :func:`numpy.random.default_rng`.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.stats import qmc

from ..core.errors import AigapError
from .problem import Problem

__all__ = [
    "SAMPLERS",
    "SamplerError",
    "unit_sample",
    "grid_unit",
    "grid_axes",
    "sample",
    "check_sampler",
]

SAMPLERS = ("grid", "mc", "lhs", "sobol")


class SamplerError(AigapError, ValueError):
    """Bad sampler name or run count."""


def check_sampler(method: str, n: int | None) -> None:
    """Validate a sampler name and run count (``n`` may be None for ``grid``)."""
    if method not in SAMPLERS:
        raise SamplerError(f"sampler must be one of {', '.join(SAMPLERS)}, got {method!r}")
    if method == "grid":
        return
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SamplerError(f"runs must be a positive integer, got {n!r}")
    if method == "sobol" and n & (n - 1):
        lo = 1 << (int(n).bit_length() - 1)
        raise SamplerError(
            f"the sobol sampler needs runs to be a power of two (balance), got {n}; "
            f"use {lo} or {lo * 2}"
        )


def unit_sample(method: str, n: int, d: int, seed: int) -> np.ndarray:
    """``(n, d)`` points in ``[0, 1)^d`` from ``mc``, ``lhs`` or ``sobol``."""
    check_sampler(method, n)
    rng = np.random.default_rng(seed)
    if method == "mc":
        return rng.random((n, d))
    if method == "lhs":
        return qmc.LatinHypercube(d=d, rng=rng).random(n)
    if method == "sobol":
        return qmc.Sobol(d=d, scramble=True, rng=rng).random_base2(int(n).bit_length() - 1)
    raise SamplerError("use grid_unit() for the grid sampler")


def grid_axes(problem: Problem, levels: int) -> list:
    """The points of each input of the full factorial (see :func:`grid_unit`)."""
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 1:
        raise SamplerError(f"grid levels must be a positive integer, got {levels!r}")
    axes = []
    for dist in problem.dists:
        if dist.is_discrete:
            p = dist.probabilities
            axes.append(np.cumsum(p) - p / 2)
        else:
            axes.append((np.arange(levels) + 0.5) / levels)
    return axes


def grid_unit(problem: Problem, levels: int) -> np.ndarray:
    """Full-factorial design in the unit cube.

    A continuous input gets ``levels`` points at the quantile midpoints ``(k + 0.5) / levels``;
    a discrete input gets each of its levels (at the middle of its probability mass), so the
    transformed grid hits every declared level exactly.
    """
    return np.array(list(itertools.product(*grid_axes(problem, levels))), dtype=float)


def sample(
    problem: Problem, N: int | None, seed: int, method: str = "lhs", levels: int = 3
) -> np.ndarray:
    """Sample ``problem``: ``(N, d)`` parameter values.

    Parameters
    ----------
    problem : Problem
    N : int or None
        Number of runs (ignored for ``grid``, whose size is the product of the levels).
    seed : int
        The only source of randomness.
    method : {"grid", "mc", "lhs", "sobol"}
    levels : int
        Points per continuous input for ``grid``.
    """
    if method == "grid":
        return problem.transform(grid_unit(problem, levels))
    return problem.transform(unit_sample(method, N, problem.d, seed))
