"""``aigap sweep --aggregates-only``: per-chunk run-level scalars instead of whole outputs,
and the sweep's tables computed from them one chunk at a time.

Each chunk (in process or on a Dask worker) keeps, per run: every output's value at each
year end of the tables (``e<i>``: ``(runs, years[, elements])``), each condition's outcome
(``h<j>``), and the flags (``negative_stock``, ``non_finite``, ``consistent``). Nothing
of the time series is kept, so a chunk is ``values x years`` floats per run instead of
``values x saved times``, and ``outputs.npz``, ``samples.csv`` and the fan charts are not
written.

Exact, not approximate: condition probabilities and run counts are sums over chunks; the
percentiles of one (output, element, year) are :func:`numpy.percentile` of that column of
every run, gathered from the chunks one year at a time. The tables are therefore equal,
value for value, to those of the same sweep kept in memory. Memory: the design is drawn
chunk by chunk (:mod:`.design_stream`) and only a few chunks are in flight; the tables
hold the flags and masks and one byte per condition per run, and one column (``runs x
elements x 8`` bytes) with :func:`numpy.percentile`'s copies of one element of it at a
time: about 60 bytes a run measured for ``gap_drivers.yaml`` (peak RSS 371 MiB at 2M
runs, 488 MiB at 4M, 704 MiB at 10M; see README "Running on a cluster"), nothing per
output, saved time or chunk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..workflow.budget import JobSize
from ..workflow.partial import read_chunk
from ..workflow.summary import YEARS
from .conditions import evaluate, series_at, year_to_time

__all__ = ["chunk_aggregates", "chunk_keys", "stream_tables", "aggregate_size", "memory_share"]


def _elements(dims, coords):
    return tuple(coords[dims[2]]) if len(dims) > 2 else None


def chunk_aggregates(res, outputs, conditions, money_negative, consistent) -> dict:
    """The arrays of one aggregates-only chunk from a SimulationResult ``res``."""
    t = res.time
    ends = np.array([year_to_time(y) for y in YEARS])
    arrays = {"time": ends, "negative_stock": money_negative}
    bad = np.zeros(res.n_runs, dtype=bool)
    for i, name in enumerate(outputs):
        v = np.asarray(res[name])
        bad |= ~np.isfinite(v.reshape(v.shape[0], -1)).all(axis=1)
        if v.ndim > 2:
            arrays[f"e{i}"] = np.stack(
                [
                    np.stack([series_at(v[:, :, r], t, e) for e in ends], axis=1)
                    for r in range(v.shape[2])
                ],
                axis=2,
            )
        else:
            arrays[f"e{i}"] = np.stack([series_at(v, t, e) for e in ends], axis=1)
    for j, c in enumerate(conditions):
        arrays[f"h{j}"] = evaluate(
            c, res[c.variable], t, _elements(res.dims[c.variable], res.coords)
        )
    arrays["non_finite"] = bad
    if consistent is not None:
        arrays["consistent"] = consistent
    return arrays


def chunk_keys(n_outputs: int, n_conditions: int, observed: bool) -> list:
    """Names every aggregates-only chunk holds."""
    return [
        *(f"e{i}" for i in range(n_outputs)),
        *(f"h{j}" for j in range(n_conditions)),
        "time",
        "negative_stock",
        "non_finite",
        *(["consistent"] if observed else []),
    ]


def aggregate_size(cm, runs: int, d: int, outputs, n_conditions: int, steps: int) -> JobSize:
    """Size of an aggregates-only sweep: per run, the design row, the year-end values,
    the condition outcomes and the flags (``values`` of one 'saved time')."""
    from ..workflow.budget import values_per_time

    per_run = d + values_per_time(cm, outputs) * len(YEARS) + n_conditions + 3
    return JobSize(runs=int(runs), values=int(per_run), n_saved=1, steps=int(steps))


def memory_share(cm, size: JobSize, d: int, outputs, n_conditions: int) -> float:
    """Memory held at once per byte of ``size`` (the chunk files on disk): per run, the
    flags and masks (16 bytes), the condition outcomes (one byte each), one output column
    and three copies of one of its elements (:func:`aigap.analysis.sweep_job.stats_row`:
    the valid runs, their finite values, :func:`numpy.percentile`'s work copy); the design
    is drawn chunk by chunk (``d`` is not held). The ``copies`` of
    :func:`aigap.workflow.budget.check_job_size`."""
    widest = (
        max((len(cm.dims[cm.variables[n].dims[0]]) if cm.variables[n].dims else 1) for n in outputs)
        if outputs
        else 1
    )
    return (16 + n_conditions + 8 * widest + 3 * 8) / (8 * size.values)


def _chunk(folder: Path, k, rows, keys):
    z, why = read_chunk(folder / f"chunk_{k:05d}.npz", keys, rows)
    if z is None:
        from ..scenarios import InputError

        raise InputError(
            [
                f"{folder}: chunk {k + 1} became unreadable ({why}) while "
                "finishing; run the same command again"
            ]
        )
    return z


def _member(folder: Path, k, key):
    """One array of chunk ``k`` (only that member of the file is read)."""
    with open(folder / f"chunk_{k:05d}.npz", "rb") as fh, np.load(fh) as z:
        return z[key]


def stream_tables(folder: Path, chunks, keys, outputs, dims, coords, conditions, observed: bool):
    """``(percentiles, conditions, masks)`` from the chunk files in ``folder``.

    ``masks``: ``{"negative_stock", "non_finite", "consistent"}`` (runs,) bool arrays
    (``consistent`` None without observations) and ``"engines"`` (set); the tables have the columns and values of
    :func:`aigap.analysis.sweep_job.percentile_frame` / ``condition_frame``.
    """
    import pandas as pd

    from .sweep_job import condition_row, stats_row

    neg, bad, cons, engines = [], [], [], set()
    hits = [[] for _ in conditions]
    for k, (a, b) in enumerate(chunks):  # pass 1: flags and condition outcomes
        z = _chunk(folder, k, b - a, keys)
        neg.append(z["negative_stock"])
        bad.append(z["non_finite"])
        engines.add(str(z["engine"]) if "engine" in z else "unknown")
        if observed:
            cons.append(z["consistent"])
        for j in range(len(conditions)):
            hits[j].append(z[f"h{j}"])
    negative, non_finite = np.concatenate(neg), np.concatenate(bad)
    valid = ~(negative | non_finite)
    consistent = np.concatenate(cons) if observed else None
    crow = [
        condition_row(c, np.concatenate(h), ~negative, consistent) for c, h in zip(conditions, hits)
    ]
    del hits
    rows = []
    n = chunks[-1][1] if chunks else 0
    for i, name in enumerate(outputs):
        elems = _elements(dims[name], coords)
        col = np.empty((n, len(elems)) if elems else n)
        for y, year in enumerate(YEARS):  # one column of every run at a time
            for k, (a, b) in enumerate(chunks):  # (read checked every chunk in pass 1)
                col[a:b] = _member(folder, k, f"e{i}")[:, y]
            for r, region in enumerate(elems or ("",)):
                x = col[:, r] if elems else col
                if not np.isfinite(x).any():
                    continue
                rows.append(stats_row(name, region, year, x, valid, consistent))
    rows.sort(
        key=lambda row: (
            outputs.index(row["variable"]),
            (elems_index(dims, coords, row)),
            row["year"],
        )
    )
    cols = ["condition", "definition", "probability", "ci_low", "ci_high", "runs_true", "runs"]
    if observed:
        cols += [f"{c}_consistent" for c in cols[2:]]
    masks = {
        "negative_stock": negative,
        "non_finite": non_finite,
        "consistent": consistent,
        "engines": engines,
    }
    return pd.DataFrame(rows), pd.DataFrame(crow, columns=cols), masks


def elems_index(dims, coords, row) -> int:
    """Position of a table row's region among its variable's elements (0 when scalar)."""
    elems = _elements(dims[row["variable"]], coords)
    return elems.index(row["region"]) if elems else 0
