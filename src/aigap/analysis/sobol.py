"""Variance-based (Sobol) sensitivity indices: Saltelli design, Saltelli/Jansen estimators.

``sample(problem, N, seed)`` returns the ``N * (d + 2)`` rows ``[A; B; AB_1; ...; AB_d]``
(``AB_i`` is ``A`` with column ``i`` taken from ``B``), built from one scrambled Sobol sequence
of dimension ``2d`` so the two matrices are independent and balanced. The caller evaluates
all rows at once (one engine call) and passes the outputs to ``analyze(problem, Y)``:

- first order ``S1_i = mean(f_B (f_AB_i - f_A)) / V``  (Saltelli et al. 2010, eq. (b)),
- total ``ST_i = mean((f_A - f_AB_i)^2) / (2 V)``      (Jansen 1999),

with ``V`` the variance of ``[f_A, f_B]`` and percentile bootstrap confidence intervals
(resampling the ``N`` base rows). We implement the estimators rather than call
``scipy.stats.sobol_indices`` because the SALib-style split lets the whole design run as one
vectorised engine call, be stored in a run folder and be analysed later for many outputs at
once; the test suite cross-checks both against the analytic Ishigami indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from .problem import Problem
from .samplers import check_sampler

__all__ = ["sample", "analyze", "SobolIndices", "n_rows"]


def n_rows(N: int, d: int) -> int:
    """Model evaluations needed for base size ``N`` and ``d`` inputs."""
    return N * (d + 2)


def sample(problem: Problem, N: int, seed: int) -> np.ndarray:
    """Saltelli design ``(N * (d + 2), d)`` in parameter space; ``N`` a power of two."""
    check_sampler("sobol", N)
    d = problem.d
    rng = np.random.default_rng(seed)
    base = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random_base2(int(N).bit_length() - 1)
    A, B = base[:, :d], base[:, d:]
    blocks = [A, B]
    for i in range(d):
        AB = A.copy()
        AB[:, i] = B[:, i]
        blocks.append(AB)
    return problem.transform(np.vstack(blocks))


@dataclass
class SobolIndices:
    """Indices for ``d`` inputs and ``k`` outputs; arrays are ``(d, k)``."""

    names: tuple[str, ...]
    S1: np.ndarray
    S1_low: np.ndarray
    S1_high: np.ndarray
    ST: np.ndarray
    ST_low: np.ndarray
    ST_high: np.ndarray
    variance: np.ndarray  # (k,)
    conf: float
    N: int

    def ranking(self, output: int = 0) -> list[int]:
        """Input indices ordered by total index (largest first) for one output."""
        return list(np.argsort(-self.ST[:, output], kind="stable"))


def _split(Y: np.ndarray, N: int, d: int):
    fA = Y[:N]
    fB = Y[N:2 * N]
    fAB = Y[2 * N:].reshape(d, N, -1)
    return fA, fB, fAB


def _estimate(fA, fB, fAB):
    """S1, ST and V for arrays fA, fB (N, k) and fAB (d, N, k) -> (d, k), (d, k), (k,)."""
    V = np.var(np.concatenate([fA, fB], axis=0), axis=0)
    num1 = np.mean(fB[None] * (fAB - fA[None]), axis=1)
    numT = 0.5 * np.mean((fA[None] - fAB) ** 2, axis=1)
    safe = np.where(V > 0, V, 1.0)
    S1 = np.where(V > 0, num1 / safe, 0.0)
    ST = np.where(V > 0, numT / safe, 0.0)
    return S1, ST, V


def analyze(problem: Problem, Y: np.ndarray, n_boot: int = 500, conf: float = 0.95,
            seed: int = 0) -> SobolIndices:
    """First-order and total Sobol indices with bootstrap confidence intervals.

    Parameters
    ----------
    problem : Problem
    Y : ndarray
        ``(N * (d + 2),)`` or ``(N * (d + 2), k)`` outputs in the row order of :func:`sample`.
    n_boot : int
        Bootstrap resamples of the ``N`` base rows.
    conf : float
        Confidence level of the percentile intervals.
    seed : int
        Seed of the bootstrap resampling.
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    d = problem.d
    if Y.shape[0] % (d + 2):
        raise ValueError(f"Y has {Y.shape[0]} rows; expected a multiple of d + 2 = {d + 2}")
    bad = ~np.isfinite(Y)
    if bad.any():
        raise ValueError(f"{int(bad.any(axis=1).sum())} of {Y.shape[0]} model outputs are not "
                         "finite; Sobol indices need every run")
    N = Y.shape[0] // (d + 2)
    # centre and scale (as SALib does): the estimators are shift-invariant in expectation,
    # but a large mean relative to the spread inflates their sampling variance enormously
    mu = Y[:2 * N].mean(axis=0)
    sd = Y[:2 * N].std(axis=0)
    Y = (Y - mu) / np.where(sd > 0, sd, 1.0)
    fA, fB, fAB = _split(Y, N, d)
    S1, ST, V = _estimate(fA, fB, fAB)
    rng = np.random.default_rng(seed)
    boot1 = np.empty((n_boot,) + S1.shape)
    bootT = np.empty((n_boot,) + ST.shape)
    for b in range(n_boot):
        r = rng.integers(0, N, N)
        boot1[b], bootT[b], _ = _estimate(fA[r], fB[r], fAB[:, r])
    q = [(1 - conf) / 2 * 100, (1 + conf) / 2 * 100]
    lo1, hi1 = np.percentile(boot1, q, axis=0)
    loT, hiT = np.percentile(bootT, q, axis=0)
    return SobolIndices(tuple(problem.names), S1, lo1, hi1, ST, loT, hiT, V * sd ** 2, conf, N)
