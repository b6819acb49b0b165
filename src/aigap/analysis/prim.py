"""PRIM scenario discovery (Friedman & Fisher 1999; as used in the EMA workbench).

Given sampled inputs ``X (n, d)`` and a boolean outcome ``y (n,)`` ("the case of interest",
e.g. the China model-layer ARR is within 20x of the US in 2030), PRIM *peels* a box: at each
step it removes the ``alpha`` fraction of the remaining points from one side of one input,
choosing the peel that raises the density (share of cases of interest inside the box) most,
until the box holds fewer than ``min_mass`` of the points. Each box on this peeling trajectory
trades coverage (share of all cases of interest that fall inside) against density.
:func:`paste` then widens the chosen box where that raises density again, and
:func:`find_boxes` repeats the search on the points outside earlier boxes (covering).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Box", "peel", "paste", "prune", "select", "find_boxes", "restrictions", "inside"]


@dataclass
class Box:
    """Axis-aligned box ``limits (d, 2)`` with its statistics on the data it was found on."""

    limits: np.ndarray
    coverage: float
    density: float
    mass: float
    n: int
    restricted: tuple[int, ...] = field(default=())


def _inside(X: np.ndarray, limits: np.ndarray) -> np.ndarray:
    return np.all((X >= limits[:, 0]) & (X <= limits[:, 1]), axis=1)


def inside(X: np.ndarray, box: Box) -> np.ndarray:
    """Boolean mask of the rows of ``X`` inside ``box``."""
    return _inside(np.asarray(X, dtype=float), box.limits)


def _stats(X, y, limits, total_pos, n_total, full) -> Box:
    m = _inside(X, limits)
    n = int(m.sum())
    pos = int(y[m].sum())
    restricted = tuple(
        int(j) for j in np.flatnonzero((limits[:, 0] > full[:, 0]) | (limits[:, 1] < full[:, 1]))
    )
    return Box(
        limits.copy(),
        pos / total_pos if total_pos else 0.0,
        pos / n if n else 0.0,
        n / n_total,
        n,
        restricted,
    )


def _check(X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=bool)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"PRIM needs X (n, d) and y (n,); got {X.shape} and {y.shape}")
    if not np.isfinite(X).all():
        raise ValueError("PRIM inputs must be finite")
    return X, y


def _candidates(Xb: np.ndarray, limits: np.ndarray, alpha: float):
    """Peel candidates ``(j, side, new_limit)`` for the points ``Xb`` inside the box."""
    out = []
    for j in range(Xb.shape[1]):
        col = Xb[:, j]
        levels = np.unique(col)
        if levels.size < 2:
            continue
        if levels.size <= 10:  # discrete-like: peel one whole level
            lo_new, hi_new = levels[1], levels[-2]
        else:
            lo_new = np.quantile(col, alpha)
            hi_new = np.quantile(col, 1 - alpha)
            # make sure a peel removes something even with ties
            if lo_new <= levels[0]:
                lo_new = levels[1]
            if hi_new >= levels[-1]:
                hi_new = levels[-2]
        out.append((j, 0, lo_new))
        out.append((j, 1, hi_new))
    return out


def peel(
    X,
    y,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    limits: np.ndarray | None = None,
    objective: str = "lenient",
) -> list[Box]:
    """Peeling trajectory: list of boxes from the full box to the smallest one.

    ``objective="lenient"`` (default, the EMA workbench's ``lenient1``) picks the peel with
    the largest density gain per point removed, so a coarse peel (a whole discrete level)
    must earn its size; ``"original"`` picks the largest density after the peel.
    """
    if objective not in ("lenient", "original"):
        raise ValueError(f"objective must be 'lenient' or 'original', got {objective!r}")
    X, y = _check(X, y)
    full = np.column_stack([X.min(axis=0), X.max(axis=0)])
    limits = full.copy() if limits is None else np.array(limits, dtype=float)
    n_total, total_pos = X.shape[0], int(y.sum())
    traj = [_stats(X, y, limits, total_pos, n_total, full)]
    while True:
        m = _inside(X, limits)
        Xb, yb = X[m], y[m]
        best = None
        for j, side, new in _candidates(Xb, limits, alpha):
            keep = Xb[:, j] >= new if side == 0 else Xb[:, j] <= new
            n_keep = int(keep.sum())
            if n_keep < min_mass * n_total or n_keep == 0:
                continue
            dens = yb[keep].mean()
            gain = dens - traj[-1].density
            if objective == "lenient":
                gain /= len(yb) - n_keep
            # tie-break: prefer the peel that removes fewer points
            score = (gain, n_keep)
            if best is None or score > best[0]:
                best = (score, j, side, new)
        if best is None or best[0][0] < -1e-12:
            break
        _, j, side, new = best
        limits = limits.copy()
        limits[j, side] = new
        traj.append(_stats(X, y, limits, total_pos, n_total, full))
    return traj


def paste(X, y, box: Box, alpha: float = 0.05, full: np.ndarray | None = None) -> Box:
    """Widen ``box`` one side at a time while that raises density (never lowers coverage)."""
    X, y = _check(X, y)
    full = np.column_stack([X.min(axis=0), X.max(axis=0)]) if full is None else full
    n_total, total_pos = X.shape[0], int(y.sum())
    limits = box.limits.copy()
    current = _stats(X, y, limits, total_pos, n_total, full)
    improved = True
    while improved:
        improved = False
        n_add = max(1, int(alpha * current.n))
        best = None
        for j in range(X.shape[1]):
            others = np.delete(np.arange(X.shape[1]), j)
            in_others = np.all(
                (X[:, others] >= limits[others, 0]) & (X[:, others] <= limits[others, 1]), axis=1
            )
            below = np.sort(X[in_others & (X[:, j] < limits[j, 0]), j])[::-1]
            above = np.sort(X[in_others & (X[:, j] > limits[j, 1]), j])
            for side, cand in ((0, below), (1, above)):
                if cand.size == 0:
                    continue
                trial = limits.copy()
                trial[j, side] = cand[min(n_add, cand.size) - 1]
                b = _stats(X, y, trial, total_pos, n_total, full)
                better = b.density > current.density + 1e-12
                if better and (best is None or b.density > best.density):
                    best = b
        if best is not None:
            limits, current, improved = best.limits, best, True
    return current


def prune(X, y, box: Box, tol: float = 0.02, full: np.ndarray | None = None) -> Box:
    """Drop restrictions that barely matter: repeatedly free the input whose limit costs the
    least density, while that costs less than ``tol`` (absolute density). Fewer, stronger
    restrictions make the box easier to read; coverage can only grow."""
    X, y = _check(X, y)
    full = np.column_stack([X.min(axis=0), X.max(axis=0)]) if full is None else full
    n_total, total_pos = X.shape[0], int(y.sum())
    current = box
    while len(current.restricted) > 1:
        trials = []
        for j in current.restricted:
            lim = current.limits.copy()
            lim[j] = full[j]
            trials.append(_stats(X, y, lim, total_pos, n_total, full))
        best = max(trials, key=lambda b: b.density)
        if best.density < current.density - tol:
            break
        current = best
    return current


def select(traj: list[Box], min_coverage: float = 0.5) -> int:
    """Index of the densest box whose coverage is at least ``min_coverage``."""
    ok = [i for i, b in enumerate(traj) if b.coverage >= min_coverage - 1e-12]
    if not ok:
        return 0
    return max(ok, key=lambda i: (round(traj[i].density, 12), -len(traj[i].restricted)))


def find_boxes(
    X,
    y,
    max_boxes: int = 2,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    min_density_gain: float = 0.05,
    objective: str = "lenient",
    prune_tol: float = 0.02,
):
    """Covering PRIM: up to ``max_boxes`` boxes, each found on the points outside earlier ones.

    Returns a list of ``(trajectory, chosen_index, box)`` (the chosen box pasted, then
    pruned of restrictions costing less than ``prune_tol`` density); a box is kept only when
    its density beats the base rate of the remaining data by ``min_density_gain``. Statistics
    of every box are relative to the data it was found on.
    """
    X, y = _check(X, y)
    full = np.column_stack([X.min(axis=0), X.max(axis=0)])
    remaining = np.ones(X.shape[0], dtype=bool)
    results = []
    for _ in range(max_boxes):
        Xr, yr = X[remaining], y[remaining]
        if yr.sum() == 0 or yr.all():
            break
        traj = peel(Xr, yr, alpha, min_mass, limits=full, objective=objective)
        k = select(traj, min_coverage)
        box = paste(Xr, yr, traj[k], alpha, full=full)
        if prune_tol > 0:
            box = prune(Xr, yr, box, prune_tol, full=full)
        if box.density < traj[0].density + min_density_gain:
            break
        results.append((traj, k, box))
        remaining &= ~_inside(X, box.limits)
    return results


def restrictions(X, y, box: Box, full: np.ndarray | None = None) -> list[dict]:
    """Per restricted input: its limits and the density/coverage if that limit were dropped.

    The drop in density when one restriction is removed shows how much that input matters.
    """
    X, y = _check(X, y)
    full = np.column_stack([X.min(axis=0), X.max(axis=0)]) if full is None else full
    n_total, total_pos = X.shape[0], int(y.sum())
    out = []
    for j in box.restricted:
        lim = box.limits.copy()
        lim[j] = full[j]
        b = _stats(X, y, lim, total_pos, n_total, full)
        out.append(
            {
                "index": j,
                "low": float(box.limits[j, 0]),
                "high": float(box.limits[j, 1]),
                "density_without": b.density,
                "coverage_without": b.coverage,
            }
        )
    return out
