"""Variance-based (Sobol) sensitivity indices: our vectorised Saltelli design, SALib's estimators.

``sample(problem, N, seed, second_order=False, groups=None)`` returns the design in SALib's row
layout: per base row ``A, AB_1..AB_g, [BA_1..BA_g if second order], B`` (``AB_j`` is ``A`` with
the columns of input or group ``j`` taken from ``B``; ``BA_j`` the reverse), ``N (g + 2)`` or
``N (2 g + 2)`` rows. ``A`` and ``B`` are the two halves of one scrambled Sobol sequence of
dimension ``2d`` drawn from ``numpy.random.default_rng(seed)``: the points of
``SALib.sample.sobol.sample(..., seed=default_rng(seed))`` (a test checks it bit for bit) and of
our earlier designs (row order aside), but built with numpy in one step instead of SALib's
per-row Python loop. The caller evaluates all rows in one engine call and passes the outputs to
``analyze(problem, Y, ...)``, which computes per output what ``SALib.analyze.sobol.analyze``
returns, with SALib's estimator functions vectorised over factors (:func:`salib_indices`):

- first order ``S1_j = mean(f_B (f_AB_j - f_A)) / V``  (Saltelli et al. 2010),
- total ``ST_j = mean((f_A - f_AB_j)^2) / (2 V)``      (Jansen 1999),
- second order ``S2_jk`` (Saltelli 2002) when the design has the ``BA`` blocks,

on outputs centred and scaled by their mean and standard deviation over all rows (SALib's
normalisation). Confidence intervals are SALib's: ``S*_conf`` is the half-width
``z_(1+conf)/2 * sd`` of the indices over ``n_boot`` bootstrap resamples of the ``N`` base rows
(a normal approximation); ``S*_low`` / ``S*_high`` are ``S* -/+ S*_conf``.

Why SALib: it is the maintained reference implementation of these estimators, and adds
second-order indices and groups here (and FAST, delta and PAWN on the same kind of design).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from .problem import Problem
from .samplers import check_sampler

__all__ = ["sample", "analyze", "SobolIndices", "n_rows", "group_names", "salib_problem"]


def group_names(problem: Problem, groups=None) -> tuple[str, ...]:
    """Names of the analysed factors: the inputs, or the groups in order of first appearance."""
    if groups is None:
        return tuple(problem.names)
    if len(groups) != problem.d:
        raise ValueError(f"groups needs one group name per input ({problem.d}), got {len(groups)}")
    return tuple(dict.fromkeys(groups))


def salib_problem(problem: Problem, groups=None) -> dict:
    """SALib's problem dict (unit bounds: our :class:`Problem` maps the unit cube itself)."""
    out = {"num_vars": problem.d, "names": list(problem.names), "bounds": [[0.0, 1.0]] * problem.d}
    if groups is not None:
        group_names(problem, groups)
        out["groups"] = list(groups)
    return out


def n_rows(N: int, d: int, second_order: bool = False) -> int:
    """Model evaluations for base size ``N`` and ``d`` factors (inputs or groups)."""
    return N * (2 * d + 2 if second_order else d + 2)


def sample_unit(
    problem: Problem, N: int, seed: int, second_order: bool = False, groups=None
) -> np.ndarray:
    """The design of :func:`sample` in the unit cube."""
    check_sampler("sobol", N)
    d = problem.d
    names = group_names(problem, groups)
    g = len(names)
    member = np.array(
        [
            [(groups[i] if groups is not None else problem.names[i]) == name for i in range(d)]
            for name in names
        ]
    )  # (g, d)
    rng = np.random.default_rng(seed)
    base = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random_base2(int(N).bit_length() - 1)
    A, B = base[:, None, :d], base[:, None, d:]
    blocks = [A, np.where(member[None], B, A)]
    if second_order:
        blocks.append(np.where(member[None], A, B))
    blocks.append(B)
    out = np.concatenate(blocks, axis=1)  # (N, rows per base, d)
    assert out.shape[1] == n_rows(1, g, second_order)
    return out.reshape(-1, d)


def sample(
    problem: Problem, N: int, seed: int, second_order: bool = False, groups=None
) -> np.ndarray:
    """Saltelli design in parameter space, SALib's row layout; ``N`` a power of two."""
    return problem.transform(sample_unit(problem, N, seed, second_order, groups))


@dataclass
class SobolIndices:
    """Indices for ``g`` factors (inputs or groups) and ``k`` outputs; arrays are ``(g, k)``.

    ``S2`` and ``S2_conf`` are ``(g, g, k)`` with the pair ``(j, l)``, ``j < l``, filled and
    NaN elsewhere (SALib's layout), or None without second-order indices. ``*_conf`` are
    half-widths of the ``conf`` intervals (normal approximation over bootstrap resamples).
    """

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
    S1_conf: np.ndarray | None = None
    ST_conf: np.ndarray | None = None
    S2: np.ndarray | None = None
    S2_conf: np.ndarray | None = None
    groups: tuple[str, ...] | None = None

    def ranking(self, output: int = 0) -> list[int]:
        """Factor indices ordered by total index (largest first) for one output."""
        return list(np.argsort(-self.ST[:, output], kind="stable"))


def _salib_seed(seed: int) -> int:
    """A non-zero integer seed from ours (SALib treats seed 0 as 'use the global RNG')."""
    return int(np.random.SeedSequence(seed).generate_state(1)[0]) or 1


def _block(N: int, g: int, n_boot: int) -> int:
    """Resamples per block so one block holds about 4 million numbers per array."""
    return int(np.clip(4_000_000 // max(N * max(g, 1), 1), 1, n_boot))


def salib_indices(
    y: np.ndarray, g: int, second_order: bool, n_boot: int, conf: float, seed: int
) -> dict:
    """What ``SALib.analyze.sobol.analyze(problem, y, ...)`` returns (S1, S1_conf, ST, ST_conf
    and S2, S2_conf), with SALib's estimator functions applied to all factors at once.

    SALib loops over factors and recomputes the bootstrap arrays for each (about 6x slower
    than our former estimators on the shipped sweeps); this keeps its normalisation, its
    resample indices ``default_rng(seed).integers(N, size=(N, n_boot))`` and its estimators
    (``first_order``, ``total_order``, ``second_order``) and vectorises over factors, in
    blocks of resamples. A test checks it against ``SALib.analyze.sobol.analyze``.
    """
    from scipy.stats import norm
    from SALib.analyze.sobol import (
        first_order,
        second_order as s2_estimator,
        separate_output_values,
        total_order,
    )

    step = n_rows(1, g, second_order)
    N = y.size // step
    y = (y - y.mean()) / y.std()
    A, B, AB, BA = separate_output_values(y, g, N, second_order)
    r = np.random.default_rng(seed).integers(N, size=(N, n_boot))
    Z = norm.ppf(0.5 + conf / 2)
    full = (N, g)
    out = {
        "S1": first_order(np.broadcast_to(A[:, None], full), AB, np.broadcast_to(B[:, None], full)),
        "ST": total_order(np.broadcast_to(A[:, None], full), AB, np.broadcast_to(B[:, None], full)),
    }
    iu = np.triu_indices(g, 1)
    if second_order:
        out["S2"] = np.full((g, g), np.nan)
        for j in range(g - 1):
            m = (N, g - j - 1)
            out["S2"][j, j + 1 :] = s2_estimator(
                np.broadcast_to(A[:, None], m),
                np.broadcast_to(AB[:, j : j + 1], m),
                AB[:, j + 1 :],
                np.broadcast_to(BA[:, j : j + 1], m),
                np.broadcast_to(B[:, None], m),
            )
    boot1, bootT = np.empty((n_boot, g)), np.empty((n_boot, g))
    boot2 = np.empty((n_boot, len(iu[0])))
    size = _block(N, g, n_boot)
    for lo in range(0, n_boot, size):
        rr = r[:, lo : lo + size]
        shape = rr.shape + (g,)
        Ar = np.broadcast_to(A[rr][..., None], shape)
        Br = np.broadcast_to(B[rr][..., None], shape)
        ABr = AB[rr]
        boot1[lo : lo + size] = first_order(Ar, ABr, Br)
        bootT[lo : lo + size] = total_order(Ar, ABr, Br)
        if second_order:
            BAr = BA[rr]
            col = 0
            for j in range(g - 1):
                m = rr.shape + (g - j - 1,)
                boot2[lo : lo + size, col : col + m[2]] = s2_estimator(
                    np.broadcast_to(Ar[..., :1], m),
                    np.broadcast_to(ABr[..., j : j + 1], m),
                    ABr[..., j + 1 :],
                    np.broadcast_to(BAr[..., j : j + 1], m),
                    np.broadcast_to(Br[..., :1], m),
                )
                col += m[2]
    out["S1_conf"] = Z * boot1.std(axis=0, ddof=1)
    out["ST_conf"] = Z * bootT.std(axis=0, ddof=1)
    if second_order:
        out["S2_conf"] = np.full((g, g), np.nan)
        out["S2_conf"][iu] = Z * boot2.std(axis=0, ddof=1)
    return out


def analyze(
    problem: Problem,
    Y: np.ndarray,
    n_boot: int = 500,
    conf: float = 0.95,
    seed: int = 0,
    second_order: bool = False,
    groups=None,
) -> SobolIndices:
    """First-order, total (and second-order) Sobol indices with confidence intervals.

    Parameters
    ----------
    problem : Problem
    Y : ndarray
        ``(n,)`` or ``(n, k)`` outputs in the row order of :func:`sample` (same
        ``second_order`` and ``groups``).
    n_boot : int
        Bootstrap resamples of the ``N`` base rows.
    conf : float
        Confidence level of the intervals.
    seed : int
        Seed of the bootstrap resampling.
    second_order : bool
        The design has the ``BA`` blocks; compute ``S2``.
    groups : sequence of str, optional
        Group name per input (SALib's ``groups``): indices are per group.
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    names = group_names(problem, groups)
    g = len(names)
    step = n_rows(1, g, second_order)
    if Y.shape[0] % step or Y.shape[0] == 0:
        raise ValueError(
            f"Y has {Y.shape[0]} rows; expected a multiple of "
            f"{'2 g + 2' if second_order else 'd + 2'} = {step}"
        )
    bad = ~np.isfinite(Y)
    if bad.any():
        raise ValueError(
            f"{int(bad.any(axis=1).sum())} of {Y.shape[0]} model outputs are not "
            "finite; Sobol indices need every run"
        )
    N = Y.shape[0] // step
    k = Y.shape[1]
    S1, S1c, ST, STc = (np.zeros((g, k)) for _ in range(4))
    S2 = np.full((g, g, k), np.nan) if second_order else None
    S2c = np.full((g, g, k), np.nan) if second_order else None
    rows = Y.reshape(N, step, k)
    variance = np.var(np.concatenate([rows[:, 0], rows[:, -1]]), axis=0)
    for j in range(k):
        y = Y[:, j]
        if np.ptp(y) == 0:  # constant output: every index is zero, no CI
            if second_order:
                iu = np.triu_indices(g, 1)
                S2[iu + (j,)] = 0.0
                S2c[iu + (j,)] = 0.0
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # constant resamples: SALib warns
            res = salib_indices(y, g, second_order, n_boot, conf, _salib_seed(seed))
        S1[:, j], S1c[:, j], ST[:, j], STc[:, j] = (
            res[key] for key in ("S1", "S1_conf", "ST", "ST_conf")
        )
        if second_order:
            S2[..., j], S2c[..., j] = res["S2"], res["S2_conf"]
    return SobolIndices(
        names,
        S1,
        S1 - S1c,
        S1 + S1c,
        ST,
        ST - STc,
        ST + STc,
        variance,
        conf,
        N,
        S1_conf=S1c,
        ST_conf=STc,
        S2=S2,
        S2_conf=S2c,
        groups=tuple(groups) if groups is not None else None,
    )
