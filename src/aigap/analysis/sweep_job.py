"""``aigap sweep``: sample a sweep file, simulate in resumable chunks, summarise and plot.

The whole design is drawn up front from the sweep's seed and saved; chunks of
``chunk_size`` runs are simulated one engine call each and saved atomically under the
(temporary) run folder. If the job is interrupted, the partial folder is kept, and running
the same sweep file again (same file, model and scenario hashes) resumes from the last
finished chunk. When every chunk is done the outputs are combined into ``outputs.npz`` and
the folder is renamed into place.

Run folder: ``sweep.yaml`` (copy), ``samples.csv``, ``outputs.npz``, ``percentiles.csv``
(per variable, region, year 2026-2030), ``conditions.csv``, ``fan_*.png``, ``manifest.json``.

Conditioning on the data (filtering): when the sweep has observations (its ``observations:``
file or the scenario folder's ``data/observations.yaml``), every run is checked against every
fitted observation with :func:`aigap.observations.passes` (points within their tolerance,
bounds and ranges satisfied). A run is *consistent* when all pass. Percentiles and condition
probabilities are reported over the consistent runs (columns ``*_consistent``) beside the
unconditioned figures over all runs (the unsuffixed columns); the mask is ``consistent`` in
``outputs.npz``. Filtering, not importance weights: every consistent run counts once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..observations import (
    default_observations_path,
    load_observations,
    passes,
    residuals,
    simulated_matrix,
)
from ..scenarios import load_scenario, resolve_params
from ..scenarios import InputError
from ..workflow.budget import check_job_size, job_size
from ..workflow.manifest import (
    build_manifest,
    scenario_record,
    engine_record,
    file_record,
    write_manifest,
)
from ..workflow.partial import FolderLock, chunk_runner, read_chunk
from ..workflow.rundir import new_run_dir, runs_root
from ..workflow.summary import YEARS
from . import samplers
from .conditions import evaluate, year_to_time
from .ensemble import simulate_design
from .sweep_file import SweepSpec, load_sweep

__all__ = [
    "run_sweep",
    "SweepOutput",
    "load_sweep_folder",
    "percentile_frame",
    "condition_frame",
    "consistent_runs",
    "PERCENTILES",
    "FEW_CONSISTENT",
    "SweepTask",
    "sweep_chunk",
]

PERCENTILES = (5, 25, 50, 75, 95)
FEW_CONSISTENT = 100  # fewer consistent runs than this -> the printout warns
STATE = "sweep_state.json"
DIGEST = "design.sha256"  # aggregates-only: the design's hash instead of samples.npy


@dataclass
class SweepOutput:
    """A finished sweep (arrays in memory, files in ``run_dir``)."""

    spec: SweepSpec
    X: np.ndarray | None  # the design; None for an aggregates-only sweep
    time: np.ndarray
    outputs: dict
    coords: dict
    dims: dict
    percentiles: object = None
    conditions: object = None
    run_dir: Path | None = None
    resumed_from: int = 0
    elapsed: float = 0.0
    timings: dict = field(default_factory=dict)
    non_finite: int = 0
    consistent: np.ndarray | None = None  # (runs,) bool; None without observations
    negative_stock: np.ndarray | None = None  # (runs,) bool: a money stock went below 0

    @property
    def n_runs(self) -> int:
        """Runs of the sweep."""
        return self.X.shape[0] if self.X is not None else int(self.negative_stock.size)

    @property
    def n_negative(self) -> int:
        """Runs in which a money stock (a stock in USD) went negative."""
        return 0 if self.negative_stock is None else int(self.negative_stock.sum())

    @property
    def n_consistent(self) -> int | None:
        """Runs consistent with every fitted observation (None without observations)."""
        return None if self.consistent is None else int(self.consistent.sum())


def consistent_runs(items, result) -> np.ndarray:
    """``(runs,)`` bool: the run passes every fitted observation (``items``)."""
    if not items:
        return np.ones(result.n_runs, dtype=bool)
    ok = passes(items, residuals(items, simulated_matrix(items, result)))
    return ok.all(axis=1)


def money_stocks(cm) -> list:
    """The model's stocks measured in money (units starting with ``USD``): a negative
    value is impossible, so a run producing one is flagged and left out of aggregates."""
    return [
        n
        for n, v in cm.variables.items()
        if v.kind == "stock" and (v.units or "").replace(" ", "").startswith("USD")
    ]


def negative_runs(result, names) -> np.ndarray:
    """``(runs,)`` bool: any of ``names`` is below zero at any saved time or element."""
    bad = np.zeros(result.n_runs, dtype=bool)
    for name in names:
        v = np.asarray(result[name])
        bad |= (v.reshape(v.shape[0], -1) < 0).any(axis=1)
    return bad


def lever_start(spec: SweepSpec, items) -> float | None:
    """When sampled values start acting: the file's ``from:`` (``start`` -> the initial
    time, i.e. None), else the time of the last fitted observation (None without any)."""
    if spec.from_time == "start":
        return None
    if spec.from_time is not None:
        return float(spec.from_time)
    return max((o.time for o in items), default=None)


def report_progress(msg, stream):
    """Print a progress line to ``stream`` (True: the current ``sys.stderr``; None: nothing)."""
    stream = sys.stderr if stream is True else stream
    if stream is not None:
        print(msg, file=stream, flush=True)


def design(spec: SweepSpec) -> np.ndarray:
    """The sweep's full design ``(runs, d)`` (deterministic in the seed)."""
    if spec.sets is not None:  # joint parameter sets: draw whole rows
        rows = np.random.default_rng(spec.seed).integers(0, len(spec.sets), spec.runs)
        return spec.sets[rows]
    return samplers.sample(spec.problem, spec.runs, spec.seed, spec.sampler, spec.levels)


def _state(spec, cm, scenario) -> dict:
    return {
        "sweep_sha256": spec.sha256,
        "model_sha256": cm.model_hash,
        "scenario_files": [file_record(f)["sha256"] for f in scenario.files],
        "runs": spec.runs,
        "seed": spec.seed,
        "chunk_size": spec.chunk_size,
        "parameter_sets": (spec.extra.get("parameter_sets") or {}).get("sha256"),
    }


def apply_overrides(spec: SweepSpec, runs=None, seed=None, chunk_size=None) -> None:
    """Command-line ``--runs``/``--seed``/``--chunk-size`` on top of the sweep file."""
    from ..scenarios import InputError

    problems = []
    if runs is not None:
        if spec.sampler == "grid":
            problems.append("--runs: a grid sweep's size is set by its levels")
        elif spec.sets is not None:
            if runs < 1:
                problems.append(f"--runs {runs}: must be >= 1")
            else:
                spec.runs = runs
        else:
            try:
                samplers.check_sampler(spec.sampler, runs)
                spec.runs = runs
            except samplers.SamplerError as exc:
                problems.append(f"--runs: {exc}")
    for flag, v, attr, lo in (
        ("--seed", seed, "seed", 0),
        ("--chunk-size", chunk_size, "chunk_size", 1),
    ):
        if v is not None:
            if v < lo:
                problems.append(f"{flag} {v}: must be >= {lo}")
            else:
                setattr(spec, attr, v)
    if problems:
        raise InputError(problems)
    spec.extra["overrides"] = {
        k: v
        for k, v in (("runs", runs), ("seed", seed), ("chunk_size", chunk_size))
        if v is not None
    }


def find_partial(spec, state: dict, root: Path):
    """The newest kept partial folder of the same sweep, or None."""
    from ..scenarios import safe_name

    cands = []
    for p in root.glob(f".tmp-{safe_name(spec.name)}-*"):
        try:
            if json.loads((p / STATE).read_text()) == state:
                cands.append(p)
        except (OSError, ValueError):
            continue
    return max(cands, key=lambda p: p.stat().st_mtime) if cands else None


def _check_saved_design(folder: Path, X: np.ndarray) -> None:
    """The kept design must equal this one; a missing or unreadable copy (a crash while
    finishing) is rewritten, since the design is deterministic in the seed."""
    try:
        saved = np.load(folder / "samples.npy", allow_pickle=False)
    except Exception:  # noqa: BLE001 - missing/truncated: this run's design is the same one
        _save_npz(folder / "samples.npy", {"arr": X}, lambda fh, arr: np.save(fh, arr))
        return
    if saved.shape != X.shape or not np.array_equal(saved, X):
        raise InputError(
            [
                f"{folder}: the interrupted sweep's design differs from "
                "this one (another numpy/scipy?); rerun with --fresh"
            ]
        )


def _check_design_digest(folder: Path, digest: str, resumed: bool) -> None:
    """Aggregates-only sweeps keep the design's sha256 (``design.sha256``), not the design:
    a resumed folder's must equal this one's; a missing copy is rewritten."""
    path = folder / DIGEST
    try:
        saved = path.read_text().strip() if resumed else None
    except OSError:
        saved = None
    if saved and saved != digest:
        raise InputError(
            [
                f"{folder}: the interrupted sweep's design differs from "
                "this one (another numpy/scipy?); rerun with --fresh"
            ]
        )
    if saved != digest:
        path.write_text(digest + "\n")


def _valid_chunks(folder: Path, chunks, keys, progress) -> list:
    """Indices of the saved chunks that load and have the right shape; a bad one
    (truncated, garbled) is removed, reported and recomputed."""
    done = []
    for p in sorted(folder.glob("chunk_*.npz")):
        try:
            k = int(p.stem.split("_")[1])
            a, b = chunks[k]
        except (ValueError, IndexError):
            continue
        arrays, why = read_chunk(p, keys, b - a)
        if arrays is None:
            report_progress(f"  chunk {k + 1}: {why}; recomputing it", progress)
            p.unlink(missing_ok=True)
        else:
            done.append(k)
    return done


def _save_npz(path: Path, arrays: dict, save=None) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as fh:
            (save or np.savez)(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:  # disk full, interrupt: no half-written file is left
        tmp.unlink(missing_ok=True)
        raise


@dataclass
class SweepTask:
    """What every chunk of a sweep shares (shipped once to each Dask worker)."""

    cm: object
    base: dict
    uncertain: tuple
    sim_outputs: list
    outputs: list
    method: str
    saveper: float | None
    engine: str
    from_time: float | None
    money: list
    items: tuple | None  # fitted observations; None without an observation file
    conditions: tuple = ()
    aggregates: bool = False  # keep run-level year-end scalars only (sweep_stream)


def sweep_chunk(task: SweepTask, X: np.ndarray) -> dict:
    """Simulate the rows ``X`` of the design: the arrays of one chunk file."""
    res = simulate_design(
        task.cm,
        task.base,
        task.uncertain,
        X,
        task.sim_outputs,
        task.method,
        task.saveper,
        engine=task.engine,
        from_time=task.from_time,
    )
    negative = negative_runs(res, task.money)
    consistent = consistent_runs(task.items, res) if task.items is not None else None
    if task.aggregates:
        from .sweep_stream import chunk_aggregates

        arrays = chunk_aggregates(res, task.outputs, task.conditions, negative, consistent)
        arrays["engine"] = np.array(res.meta["engine"])
        return arrays
    arrays = {f"v{i}": res[name] for i, name in enumerate(task.outputs)}
    arrays["time"] = res.time
    arrays["engine"] = np.array(res.meta["engine"])
    arrays["negative_stock"] = negative
    if consistent is not None:
        arrays["consistent"] = consistent
    return arrays


def run_sweep(
    path,
    model=None,
    runs_dir=None,
    fresh: bool = False,
    progress=True,
    plots: bool = True,
    on_chunk=None,
    command=None,
    runs: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    engine: str = "auto",
    allow_large: bool = False,
    dask: str | None = None,
    aggregates_only: bool = False,
) -> SweepOutput:
    """Run a sweep file end to end; see the module docstring.

    Parameters
    ----------
    path : str or Path
        The sweep file.
    model : CompiledModel or path, optional
    fresh : bool
        Ignore a partial folder of the same sweep and start over.
    progress : file-like, True or None
        Where progress lines go (True: the current ``sys.stderr``; None: nowhere).
    on_chunk : callable, optional
        Called as ``on_chunk(k, n_chunks)`` after chunk ``k`` is saved (tests use it to
        simulate an interruption).
    runs, seed, chunk_size : int, optional
        Override the sweep file's values (recorded in the manifest).
    engine : {"auto", "numpy", "compiled"}
        Engine backend; the manifest records the one(s) that ran each chunk.
    allow_large : bool
        Run even when the size/time estimate exceeds the memory, disk or an hour.
    dask : str, optional
        Run the chunks as dask.distributed tasks: a scheduler address or ``local[:N]``
        (see :mod:`aigap.workflow.distributed`); the results are the same bits.
    aggregates_only : bool
        Keep only run-level year-end values, condition outcomes and flags per chunk, and
        compute the tables from them one chunk at a time (:mod:`.sweep_stream`): the same
        percentiles and probabilities without ``outputs.npz``, ``samples.csv`` or plots.
    """
    progress = sys.stderr if progress is True else progress
    from ..engine import CompiledModel, compile_model
    from ..workflow.runner import find_model

    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    cm = model if isinstance(model, CompiledModel) else compile_model(find_model(model))
    spec = load_sweep(path, cm)
    apply_overrides(spec, runs, seed, chunk_size)
    scenario = load_scenario(spec.scenario_path, model=cm)
    base = resolve_params(cm, scenario)
    obs_path = spec.observations or default_observations_path(spec.scenario_path)
    obs = load_observations(obs_path, model=cm) if obs_path else None
    outputs = list(dict.fromkeys([*spec.outputs, *(c.variable for c in spec.conditions)]))
    items = obs.fitted if obs is not None else ()
    lever_from = lever_start(spec, items)
    money = money_stocks(cm)
    sim_outputs = list(dict.fromkeys([*outputs, *(o.variable for o in items), *money]))
    state = _state(spec, cm, scenario)
    if aggregates_only:
        state["aggregates_only"] = True  # other chunk files: never resumed across
    root = runs_root(runs_dir)
    size = job_size(cm, spec.runs, sim_outputs, None, spec.saveper)
    copies = 2.0  # the outputs: in the chunks, then combined
    if aggregates_only:
        from .sweep_stream import aggregate_size, memory_share

        size = aggregate_size(
            cm, spec.runs, spec.problem.d, outputs, len(spec.conditions), size.steps
        )
        copies = memory_share(cm, size, spec.problem.d, outputs, len(spec.conditions))
    where = (
        "--runs: "
        if "runs" in spec.extra.get("overrides", {})
        else f"{spec.path}:{spec.extra.get('size_line', 1)}: runs: "
    )
    check_job_size(
        size,
        allow_large,
        root,
        where=where,  # before the design is drawn
        copies=copies,
    )
    report_progress(f"sweep '{spec.name}': {size.describe()}", progress)
    stream = None
    if aggregates_only:  # drawn chunk by chunk: memory flat in runs
        from .design_stream import DesignStream

        stream, X = DesignStream(spec), None
        n = stream.n
    else:
        X = design(spec)
        n = X.shape[0]
    from .ensemble import resolve_engine

    job_engine = resolve_engine(engine, n)  # once for the job: every chunk runs the same
    chunks = [(a, min(a + spec.chunk_size, n)) for a in range(0, n, spec.chunk_size)]
    partial = None if fresh else find_partial(spec, state, root)
    timings = {"sampling": time.perf_counter() - t0}
    with (
        chunk_runner(dask, lambda m: report_progress(m, progress)) as run_chunks,
        new_run_dir("sweep", spec.name, runs_dir=runs_dir, keep_partial=True) as rd,
        FolderLock(partial if partial is not None else rd.path),
        stream or contextlib.nullcontext(),
    ):
        if partial is not None:
            rd.discard()
            rd.path = partial
        if stream is not None:
            stream.scratch = rd.path
            _check_design_digest(rd.path, stream.digest(), partial is not None)
        elif partial is not None:
            _check_saved_design(partial, X)
        else:
            _save_npz(rd.path / "samples.npy", {"arr": X}, lambda fh, arr: np.save(fh, arr))
        if partial is None:
            (rd.path / STATE).write_text(json.dumps(state, indent=1))
        (rd.path / "chunks").mkdir(exist_ok=True)  # a crash while finishing removed it
        keys = [
            *(f"v{i}" for i in range(len(outputs))),
            "time",
            "negative_stock",
            *(["consistent"] if obs is not None else []),
        ]
        if aggregates_only:
            from .sweep_stream import chunk_keys

            keys = chunk_keys(len(outputs), len(spec.conditions), obs is not None)
        done = _valid_chunks(rd.path / "chunks", chunks, keys, progress)
        resumed_from = len(done) if partial is not None else 0
        if partial is not None:
            report_progress(
                f"resuming {partial.name}: {len(done)}/{len(chunks)} chunks already done", progress
            )
        t_sim = time.perf_counter()
        task = SweepTask(
            cm,
            base,
            spec.uncertain,
            sim_outputs,
            outputs,
            spec.method,
            spec.saveper,
            job_engine,
            lever_from,
            money,
            tuple(items) if obs is not None else None,
            tuple(spec.conditions),
            aggregates_only,
        )
        n_todo = len(chunks) - len(set(done))
        todo = (
            stream.chunks(chunks, done)
            if stream is not None
            else ((k, X[a:b]) for k, (a, b) in enumerate(chunks) if k not in done)
        )
        with contextlib.closing(run_chunks(sweep_chunk, task, todo)) as results:
            ran_now = 0
            while True:
                tk = time.perf_counter()
                try:
                    k, arrays = next(results)
                except StopIteration:
                    break
                except Exception:
                    n_kept = len(list((rd.path / "chunks").glob("*.npz")))
                    report_progress(
                        f"a chunk failed; {n_kept} finished chunks are kept in "
                        f"{rd.path} and the same command resumes from there",
                        progress,
                    )
                    raise
                a, b = chunks[k]
                _save_npz(rd.path / "chunks" / f"chunk_{k:05d}.npz", arrays)
                ran_now += 1
                left = n_todo - ran_now
                eta = (time.perf_counter() - t_sim) / ran_now * left
                report_progress(
                    f"  chunk {k + 1}/{len(chunks)}: runs {a}-{b - 1} "
                    f"({len(done) + ran_now}/{len(chunks)} chunks done, "
                    f"{time.perf_counter() - tk:.1f} s"
                    + (f", about {eta:.0f} s left)" if left else ")"),
                    progress,
                )
                if on_chunk is not None:
                    on_chunk(k, len(chunks))
        timings["simulation"] = time.perf_counter() - t_sim
        meta = cm.simulate(
            params=base,
            n_runs=1,
            saveper=spec.saveper,
            outputs=outputs,
            method=spec.method,
            engine="numpy",
        )  # axes and coords only
        if aggregates_only:
            out, ran = _finish_aggregates(
                rd.path,
                spec,
                X,
                chunks,
                keys,
                outputs,
                meta,
                cm,
                obs is not None,
                resumed_from,
                timings,
            )
        else:
            data = {name: [] for name in outputs}
            ran, mask, negative = set(), [], []
            for k, (a, b) in enumerate(chunks):
                z, why = read_chunk(rd.path / "chunks" / f"chunk_{k:05d}.npz", keys, b - a)
                if z is None:
                    raise InputError(
                        [
                            f"{rd.path}: chunk {k + 1} became unreadable ({why}) "
                            "while finishing; run the same command again"
                        ]
                    )
                tt = z["time"]
                negative.append(z["negative_stock"])
                if "consistent" in z:
                    mask.append(z["consistent"])
                ran.add(str(z["engine"]) if "engine" in z else "unknown")
                for i, name in enumerate(outputs):
                    data[name].append(z[f"v{i}"])
            data = {name: np.concatenate(v, axis=0) for name, v in data.items()}
            out = SweepOutput(
                spec,
                X,
                tt,
                data,
                dict(meta.coords),
                {name: tuple(meta.dims[name]) for name in outputs},
                resumed_from=resumed_from,
                timings=timings,
                consistent=np.concatenate(mask)
                if obs is not None and len(mask) == len(chunks)
                else None,
                negative_stock=np.concatenate(negative),
            )
            t_post = time.perf_counter()
            write_sweep_tables(rd.path, out, cm)
            timings["tables"] = time.perf_counter() - t_post
            if plots:
                from .plots import fan_charts

                tp = time.perf_counter()
                fan_charts(rd.path, out, obs, cm, base=meta)  # meta: the scenario as written
                timings["plots"] = time.perf_counter() - tp
        out.elapsed = time.perf_counter() - t0
        ran_engine, engine_extra = engine_record(ran, engine)
        manifest = build_manifest(
            "sweep",
            spec.name,
            started,
            model=cm,
            engine=ran_engine,
            method=spec.method,
            time_step=cm.time_step,
            seed=spec.seed,
            observations=obs.path if obs else None,
            command=command if command is not None else sys.argv,
            scenarios=[scenario_record(scenario)],
            extra={
                "sweep": {
                    **file_record(spec.path),
                    "description": spec.description,
                    "sampler": spec.sampler,
                    "runs": n,
                    "levels": spec.levels,
                    "chunk_size": spec.chunk_size,
                    "saveper": spec.saveper,
                    "uncertain": {u.label: u.dist.to_spec() for u in spec.uncertain}
                    if spec.sets is None
                    else list(spec.problem.names),
                    "parameter_sets": spec.extra.get("parameter_sets"),
                    "outputs": outputs,
                    "swept_values_from": lever_from,
                    "conditions": [c.label for c in spec.conditions],
                    "resumed_after_chunks": resumed_from,
                    "dask": run_chunks.info,
                    "aggregates_only": aggregates_only,
                    "command_line_overrides": spec.extra.get("overrides", {}),
                },
                **engine_extra,
                "non_finite_runs": out.non_finite,
                "negative_stock_runs": out.n_negative,
                "flagged_runs": "left out of percentiles and condition probabilities "
                "(non-finite outputs or a negative money stock: " + ", ".join(money) + ")",
                "consistent_runs": out.n_consistent,
                "conditioning": None
                if obs is None
                else "filtering: runs passing every fitted observation",
                "timings_s": {k: round(v, 3) for k, v in timings.items()},
            },
        )
        write_manifest(rd.path, manifest)
        # the resume state goes last: a crash before this line leaves a folder that resumes
        # (missing chunks or samples are recomputed); after it, only the rename is left
        shutil.rmtree(rd.path / "chunks")
        for f in ("samples.npy", DIGEST):
            (rd.path / f).unlink(missing_ok=True)
        (rd.path / STATE).unlink()
    out.run_dir = rd.final_path
    return out


def _finish_aggregates(
    folder, spec, X, chunks, keys, outputs, meta, cm, observed, resumed_from, timings
):
    """The tables of an aggregates-only sweep (``--aggregates-only``), one chunk at a time."""
    from ..workflow.runner import csv_safe
    from .sweep_stream import stream_tables

    dims = {name: tuple(meta.dims[name]) for name in outputs}
    t_post = time.perf_counter()
    pct, cond, masks = stream_tables(
        folder / "chunks", chunks, keys, outputs, dims, dict(meta.coords), spec.conditions, observed
    )
    out = SweepOutput(
        spec,
        X,
        np.array([year_to_time(y) for y in YEARS]),
        {},
        dict(meta.coords),
        dims,
        percentiles=pct,
        conditions=cond,
        resumed_from=resumed_from,
        timings=timings,
        consistent=masks["consistent"],
        negative_stock=masks["negative_stock"],
    )
    out.non_finite = int(masks["non_finite"].sum())
    shutil.copyfile(spec.path, folder / "sweep.yaml")
    (folder / "coords.json").write_text(
        json.dumps(
            {
                "coords": {k: list(v) for k, v in out.coords.items()},
                "dims": {k: list(v) for k, v in dims.items()},
                "names": list(spec.problem.names),
            },
            indent=1,
        )
    )
    pct.to_csv(folder / "percentiles.csv", index=False, float_format="%.6g")
    csv_safe(cond).to_csv(folder / "conditions.csv", index=False, float_format="%.6g")
    timings["tables"] = time.perf_counter() - t_post
    return out, masks["engines"]


def write_sweep_tables(folder: Path, out: SweepOutput, cm=None) -> None:
    """samples.csv, outputs.npz, percentiles.csv, conditions.csv, sweep.yaml."""
    import pandas as pd

    spec = out.spec
    shutil.copyfile(spec.path, folder / "sweep.yaml")
    flagged = run_flags(out)
    samples = pd.DataFrame(out.X, columns=list(spec.problem.names))
    samples.insert(0, "run", np.arange(out.X.shape[0]))
    samples.insert(1, "flags", flagged)
    samples.to_csv(folder / "samples.csv", index=False, float_format="%.10g")
    arrays = {"time": out.time, "samples": out.X}
    arrays.update({f"out:{name}": v for name, v in out.outputs.items()})
    if out.consistent is not None:
        arrays["consistent"] = out.consistent
    arrays["flags"] = flagged
    _save_npz(folder / "outputs.npz", arrays)
    (folder / "coords.json").write_text(
        json.dumps(
            {
                "coords": {k: list(v) for k, v in out.coords.items()},
                "dims": {k: list(v) for k, v in out.dims.items()},
                "names": list(spec.problem.names),
            },
            indent=1,
        )
    )
    valid = flagged == ""
    out.percentiles = percentile_frame(
        out.time, out.outputs, out.dims, out.coords, consistent=out.consistent, valid=valid
    )
    out.percentiles.to_csv(folder / "percentiles.csv", index=False, float_format="%.6g")
    out.conditions = condition_frame(spec.conditions, out, consistent=out.consistent)
    from ..workflow.runner import csv_safe

    csv_safe(out.conditions).to_csv(
        folder / "conditions.csv", index=False, float_format="%.6g"
    )  # condition names come from a file
    out.non_finite = int((np.char.find(flagged, "non_finite") >= 0).sum())


def run_flags(out: SweepOutput) -> np.ndarray:
    """Per run: ``""`` (fine) or ``"non_finite"`` / ``"negative_stock"`` joined by ``;``."""
    n = out.X.shape[0]
    bad = np.zeros(n, dtype=bool)
    for v in out.outputs.values():
        bad |= ~np.isfinite(v.reshape(v.shape[0], -1)).all(axis=1)
    neg = out.negative_stock if out.negative_stock is not None else np.zeros(n, dtype=bool)
    flags = np.full(n, "", dtype="<U27")
    flags[bad] = "non_finite"
    flags[neg] = np.char.add(np.where(bad[neg], "non_finite;", ""), "negative_stock")
    return flags


def _series(values, dims, coords):
    """Yield ``(region, (run, time) array)`` for a (run, time[, Region]) output."""
    if len(dims) <= 2:
        yield "", values
        return
    for i, elem in enumerate(coords[dims[2]]):
        yield elem, values[:, :, i]


def _stats(x, suffix=""):
    """Percentiles, mean and count of the finite values of ``x`` (NaN when none)."""
    x = x[np.isfinite(x)]
    q = np.percentile(x, PERCENTILES) if x.size else np.full(len(PERCENTILES), np.nan)
    return {
        **{f"p{p}{suffix}": float(v_) for p, v_ in zip(PERCENTILES, q)},
        f"mean{suffix}": float(x.mean()) if x.size else np.nan,
        f"n{suffix}": int(x.size),
    }


def percentile_frame(
    t, outputs: dict, dims: dict, coords: dict, years=YEARS, consistent=None, valid=None
):
    """Percentiles (5/25/50/75/95) and mean of every output at each year end.

    With ``consistent`` (a ``(runs,)`` bool mask), the same figures over the consistent
    runs only are added as ``p5_consistent`` ... ``n_consistent``. Runs outside ``valid``
    (flagged: negative money stock) are left out of both.
    """
    import pandas as pd

    from .conditions import series_at

    rows = []
    for name, values in outputs.items():
        for region, v in _series(values, dims[name], coords):
            for year in years:
                x = series_at(v, t, year_to_time(year))
                if not np.isfinite(x).any():
                    continue
                rows.append(stats_row(name, region, year, x, valid, consistent))
    return pd.DataFrame(rows)


def stats_row(name, region, year, x, valid=None, consistent=None) -> dict:
    """One ``percentiles.csv`` row: :func:`_stats` of ``x`` over the ``valid`` runs, and
    over the consistent ones among them (``*_consistent``) when ``consistent`` is given."""
    ok = np.ones(x.shape[0], dtype=bool) if valid is None else valid
    row = {"variable": name, "region": region, "year": year, **_stats(x[ok])}
    if consistent is not None:
        row.update(_stats(x[consistent & ok], "_consistent"))
    return row


def wilson(k: int, n: int, z: float = 1.96):
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return (np.nan, np.nan)
    p = k / n
    den = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def _share(hit, suffix=""):
    k, n = int(hit.sum()), int(hit.size)
    lo, hi = wilson(k, n)
    return {
        f"probability{suffix}": k / n if n else np.nan,
        f"ci_low{suffix}": lo,
        f"ci_high{suffix}": hi,
        f"runs_true{suffix}": k,
        f"runs{suffix}": n,
    }


def condition_frame(conditions, out: SweepOutput, consistent=None):
    """Probability (share of runs) of each condition with a 95% Wilson interval; with
    ``consistent``, also over the consistent runs (``*_consistent`` columns). Runs with a
    negative money stock are left out (non-finite runs count as 'not met')."""
    import pandas as pd

    cols = ["condition", "definition", "probability", "ci_low", "ci_high", "runs_true", "runs"]
    if consistent is not None:
        cols += [f"{c}_consistent" for c in cols[2:]]
    rows = []
    for c in conditions:
        dims = out.dims[c.variable]
        elems = tuple(out.coords[dims[2]]) if len(dims) > 2 else None
        hit = evaluate(c, out.outputs[c.variable], out.time, elems)
        rows.append(condition_row(c, hit, ~_negative(out), consistent))
    return pd.DataFrame(rows, columns=cols)


def condition_row(c, hit, ok, consistent=None) -> dict:
    """One ``conditions.csv`` row: the share of ``hit`` over the ``ok`` runs (and over the
    consistent ones among them when ``consistent`` is given)."""
    row = {"condition": c.key, "definition": c.label, **_share(hit[ok])}
    if consistent is not None:
        row.update(_share(hit[consistent & ok], "_consistent"))
    return row


def _negative(out) -> np.ndarray:
    n = out.X.shape[0]
    return out.negative_stock if out.negative_stock is not None else np.zeros(n, dtype=bool)


def load_sweep_folder(folder) -> dict:
    """Read a finished sweep folder: ``{"X", "names", "time", "outputs", "dims", "coords",
    "manifest", "spec_text"}``."""
    folder = Path(folder)
    need = ["outputs.npz", "coords.json", "manifest.json"]
    missing = [f for f in need if not (folder / f).exists()]
    if missing:
        from ..scenarios import InputError

        raise InputError([f"{folder}: not a sweep run folder (missing {', '.join(missing)})"])
    from ..workflow.rundir import read_run_file

    def coords(p):
        meta = json.loads(p.read_text())
        return (
            tuple(meta["names"]),
            {k: tuple(v) for k, v in meta["dims"].items()},
            {k: tuple(v) for k, v in meta["coords"].items()},
        )

    def arrays(p):
        with open(p, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            return (
                {k[4:]: z[k] for k in z.files if k.startswith("out:")},
                z["samples"],
                z["time"],
                z["consistent"] if "consistent" in z.files else None,
            )

    names, dims, coord = read_run_file(folder / "coords.json", coords)
    outputs, X, t, consistent = read_run_file(folder / "outputs.npz", arrays)
    return {
        "X": X,
        "consistent": consistent,
        "names": names,
        "time": t,
        "outputs": outputs,
        "dims": dims,
        "coords": coord,
        "manifest": read_run_file(folder / "manifest.json", lambda p: json.loads(p.read_text())),
    }
