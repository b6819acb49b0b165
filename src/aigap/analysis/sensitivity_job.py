"""``aigap sensitivity``: Sobol (or Morris) indices of chosen 2030 outputs over a sweep's
uncertain constants, in one engine call.

The sweep file gives the base scenario and the uncertain constants with their
distributions; outputs are scalar targets ``"Variable[REGION]@YEAR"`` (year end).
Run folder: ``indices.csv``, ``ranking.csv`` (inputs ordered by total effect on the first
output), ``sensitivity.png``, ``design.npz`` (design and outputs, SALib's row layout),
``manifest.json``; with ``second_order``: ``second_order.csv`` and ``second_order.png``.

The estimators are SALib's (:mod:`.sobol`, :mod:`.morris`). A ``groups:`` mapping in the sweep
file makes each group one factor (its inputs move together in the design): indices per group.
``indices.csv`` keeps its columns (``S1_low``/``S1_high`` are now ``S1 -/+ S1_conf``, SALib's
normal-approximation half-width over bootstrap resamples) and adds ``S1_conf``, ``ST_conf``
(and ``members`` with groups).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ..scenarios import InputError, load_scenario, resolve_params
from ..workflow.manifest import (
    build_manifest,
    scenario_record,
    engine_record,
    file_record,
    write_manifest,
)
from ..workflow.partial import chunk_runner
from ..workflow.rundir import new_run_dir
from . import morris, sobol
from .conditions import ConditionError, check_condition, parse_target
from .ensemble import simulate_design
from .sweep_job import report_progress
from .sweep_file import load_sweep

__all__ = ["run_sensitivity", "DEFAULT_TARGETS", "SensitivityOutput", "format_ranking"]

#: the three US/China gap ratios and US return on capital at year-end 2030 (as documented)
DEFAULT_TARGETS = (
    "ARR Gap Ratio@2030",
    "Model ARR Gap Ratio@2030",
    "Return Gap Ratio@2030",
    "Return on AI Capital[US]@2030",
)

METHODS = ("sobol", "morris")
DASK_CHUNK = 4096  # runs per task with --dask (see benchmarks/bench_dask.py)


@dataclass
class SensitivityTask:
    """What every chunk of the design shares (shipped once to each Dask worker)."""

    cm: object
    base: dict
    uncertain: tuple
    targets: tuple
    method: str
    engine: str


def sensitivity_chunk(task: SensitivityTask, X: np.ndarray):
    """``(Y, engine)``: the targets ``(runs, outputs)`` of the design rows ``X``."""
    variables = list(dict.fromkeys(t.variable for t in task.targets))
    res = simulate_design(
        task.cm,
        task.base,
        task.uncertain,
        X,
        variables,
        task.method,
        saveper=0.25,
        engine=task.engine,
    )
    Y = np.column_stack(
        [
            t.values(
                res[t.variable],
                res.time,
                res.coords[res.dims[t.variable][2]] if len(res.dims[t.variable]) > 2 else None,
            )
            for t in task.targets
        ]
    )
    return Y, res.meta["engine"]


@dataclass
class SensitivityOutput:
    """What :func:`run_sensitivity` computed and wrote.

    Attributes
    ----------
    method : {"sobol", "morris"}
    names, targets : tuple of str
        Uncertain inputs and analysed outputs (labels).
    indices : dict
        The indices of :func:`sobol.analyze` / :func:`morris.analyze`.
    table, ranking : DataFrame
        ``indices.csv`` and ``ranking.csv``.
    n_runs : int
    run_dir : Path
    elapsed, sim_seconds : float
        Seconds end to end and in the engine.
    second_order : DataFrame or None
        ``second_order.csv`` (pairs of factors) when asked for.
    """

    method: str
    names: tuple
    targets: tuple
    indices: object
    table: object
    ranking: object
    n_runs: int
    run_dir: Path | None = None
    elapsed: float = 0.0
    sim_seconds: float = 0.0
    second_order: object = None
    units: tuple = ()  # the outputs' units (for printed numbers)


def check_targets(texts, cm) -> list:
    """Parse and check ``Variable[REGION]@YEAR`` targets; InputError on any problem."""
    targets, problems = [], []
    variables = {n: tuple(v.dims) for n, v in cm.variables.items()}
    for text in texts:
        try:
            t = parse_target(text)
            check_condition(t.as_condition(), variables, cm.dims, (cm.initial_time, cm.final_time))
            targets.append(t)
        except ConditionError as exc:
            problems.append(f"--output {text!r}: {exc}")
    if problems:
        raise InputError(problems)
    return targets


def run_sensitivity(
    sweep_path,
    method: str = "sobol",
    N: int | None = None,
    targets=None,
    seed: int | None = None,
    n_boot: int = 300,
    log: bool = False,
    model=None,
    runs_dir=None,
    plots: bool = True,
    command=None,
    progress=True,
    engine: str = "auto",
    second_order: bool = False,
    dask: str | None = None,
    chunk_size: int | None = None,
) -> SensitivityOutput:
    """Global sensitivity of ``targets`` to the uncertain constants of a sweep file.

    Parameters
    ----------
    method : {"sobol", "morris"}
    N : int, optional
        Sobol base sample (a power of two; runs = N (d + 2); default 512) or Morris
        trajectories (runs = N (d + 1); default 50).
    seed : int, optional
        Default: the sweep file's seed.
    log : bool
        Analyse ``log10`` of the outputs (gap ratios span decades).
    engine : {"auto", "numpy", "compiled"}
        Engine backend; the manifest records the one that ran.
    second_order : bool
        Sobol only: also the second-order indices ``S2`` of every pair of factors (the design
        grows from ``N (g + 2)`` to ``N (2 g + 2)`` runs).
    dask : str, optional
        Simulate the design in chunks of ``chunk_size`` runs (default 4096) as
        dask.distributed tasks (a scheduler address or ``local[:N]``); the design is drawn
        here and the indices are the same bits as without it.
    """
    from ..engine import CompiledModel, compile_model
    from ..workflow.runner import find_model

    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    if method not in METHODS:
        raise InputError([f"unknown method '{method}' (choose sobol or morris)"])
    cm = model if isinstance(model, CompiledModel) else compile_model(find_model(model))
    spec = load_sweep(sweep_path, cm)
    targets = check_targets(targets or DEFAULT_TARGETS, cm)
    scenario = load_scenario(spec.scenario_path, model=cm)
    base = resolve_params(cm, scenario)
    problem = spec.problem
    groups = spec.groups
    seed = spec.seed if seed is None else seed
    if method == "sobol":
        N = N or 512
        if N < 2 or N & (N - 1):
            raise InputError([f"--N {N}: Sobol needs a power of two (e.g. 256, 512, 1024)"])
        X = sobol.sample(problem, N, seed, second_order=second_order, groups=groups)
    else:
        if second_order:
            raise InputError(["--second-order: only with --method sobol"])
        N = N or 50
        if N < 2:
            raise InputError([f"--N {N}: Morris needs at least 2 trajectories"])
        X = morris.sample(problem, N, seed, groups=groups)
    factors = sobol.group_names(problem, groups)
    report_progress(
        f"{method}: {problem.d} uncertain inputs"
        f"{f' in {len(factors)} groups' if groups else ''}, {X.shape[0]} runs "
        f"({'N' if method == 'sobol' else 'trajectories'} = {N})",
        progress,
    )
    from .ensemble import resolve_engine

    task = SensitivityTask(
        cm, base, spec.uncertain, tuple(targets), spec.method, resolve_engine(engine, X.shape[0])
    )  # once: every chunk the same
    step = X.shape[0] if dask is None else (chunk_size or DASK_CHUNK)
    items = {a: X[a : a + step] for a in range(0, X.shape[0], step)}
    ts = time.perf_counter()
    parts, ran = {}, set()
    with chunk_runner(dask, lambda m: report_progress(m, progress)) as run_chunks:
        for a, (y, eng) in run_chunks(sensitivity_chunk, task, items):
            parts[a] = y
            ran.add(eng)
        dask_info = run_chunks.info
    Y = np.concatenate([parts[a] for a in sorted(parts)], axis=0)
    sim_seconds = time.perf_counter() - ts
    bad = ~np.isfinite(Y).all(axis=1)
    if bad.any():
        raise InputError(
            [
                f"{int(bad.sum())} of {len(Y)} runs gave non-finite outputs; "
                "narrow the distributions in the sweep file"
            ]
        )
    if log:
        if np.any(Y <= 0):
            raise InputError(["--log needs positive outputs"])
        Y = np.log10(Y)
    labels = [("log10 " if log else "") + t.label for t in targets]
    if method == "sobol":
        ind = sobol.analyze(
            problem, Y, n_boot=n_boot, seed=seed, second_order=second_order, groups=groups
        )
    else:
        ind = morris.analyze(problem, X, Y, seed=seed, n_boot=n_boot, groups=groups)
    members = _members(problem, groups)
    table, ranking = _tables(method, factors, labels, ind, members)
    pairs = _pairs(factors, labels, ind) if second_order else None
    out_units = tuple(
        cm.variables[t.variable].units if t.variable in cm.variables else "" for t in targets
    )
    out = SensitivityOutput(
        method,
        tuple(factors),
        tuple(labels),
        ind,
        table,
        ranking,
        X.shape[0],
        sim_seconds=sim_seconds,
        second_order=pairs,
        units=out_units,
    )
    with new_run_dir("sensitivity", f"{spec.name}-{method}", runs_dir=runs_dir) as rd:
        table.to_csv(rd.path / "indices.csv", index=False, float_format="%.6g")
        ranking.to_csv(rd.path / "ranking.csv", index=False, float_format="%.6g")
        if pairs is not None:
            pairs.to_csv(rd.path / "second_order.csv", index=False, float_format="%.6g")
        np.savez(
            rd.path / "design.npz",
            X=X,
            Y=Y,
            names=np.array(problem.names),
            outputs=np.array(labels),
            layout=np.array(_layout(method, second_order)),
            groups=np.array(groups if groups else problem.names),
        )
        if plots:
            from .plots import effect_sizes

            units = list(out_units)
            sobol_effects = effect_sizes(X, Y) if method == "sobol" and not groups else None
            _plot(
                rd.path / "sensitivity.png",
                method,
                factors,
                labels,
                ind,
                spec.name,
                X.shape[0],
                effects=sobol_effects,
                units=units,
            )
            if second_order:
                from .plots import plot_second_order

                plot_second_order(
                    rd.path / "second_order.png",
                    factors,
                    labels,
                    ind.S2,
                    ind.S2_conf,
                    f"Second-order Sobol indices ± {ind.conf:.0%} "
                    f"CI half-width ({spec.name}, {X.shape[0]} runs)",
                )
        out.elapsed = time.perf_counter() - t0
        ran_engine, engine_extra = engine_record(sorted(ran), engine)
        write_manifest(
            rd.path,
            build_manifest(
                "sensitivity",
                f"{spec.name}-{method}",
                started,
                model=cm,
                engine=ran_engine,
                method=spec.method,
                time_step=cm.time_step,
                seed=seed,
                command=command if command is not None else sys.argv,
                scenarios=[scenario_record(scenario)],
                extra={
                    "sensitivity": {
                        "method": method,
                        "N": N,
                        "runs": int(X.shape[0]),
                        "n_boot": n_boot,
                        "log": log,
                        "outputs": labels,
                        "second_order": bool(second_order),
                        "dask": None if dask_info is None else {**dask_info, "chunk_size": step},
                        "groups": members if groups else None,
                        "ci": "SALib: z * sd over bootstrap resamples",
                        "sweep": file_record(spec.path),
                        "uncertain": {u.label: u.dist.to_spec() for u in spec.uncertain},
                    },
                    **engine_extra,
                    "timings_s": {"simulation": round(sim_seconds, 3)},
                },
            ),
        )
    out.run_dir = rd.final_path
    return out


def _layout(method, second_order) -> str:
    if method == "morris":
        return "morris trajectories of g + 1 rows"
    return (
        "per base row: A, AB_1..AB_g, BA_1..BA_g, B"
        if second_order
        else "per base row: A, AB_1..AB_g, B"
    )


def _members(problem, groups) -> dict:
    """Factor name -> its input labels (one each without groups)."""
    out: dict = {}
    for i, lab in enumerate(problem.names):
        out.setdefault(groups[i] if groups else lab, []).append(lab)
    return out


def _tables(method, names, labels, ind, members=None):
    import pandas as pd

    rows = []
    grouped = members is not None and any(len(v) > 1 for v in members.values())
    for k, lab in enumerate(labels):
        for i, name in enumerate(names):
            if method == "sobol":
                row = {
                    "output": lab,
                    "input": name,
                    "S1": ind.S1[i, k],
                    "S1_low": ind.S1_low[i, k],
                    "S1_high": ind.S1_high[i, k],
                    "ST": ind.ST[i, k],
                    "ST_low": ind.ST_low[i, k],
                    "ST_high": ind.ST_high[i, k],
                    "S1_conf": ind.S1_conf[i, k],
                    "ST_conf": ind.ST_conf[i, k],
                }
            else:
                row = {
                    "output": lab,
                    "input": name,
                    "mu_star": ind.mu_star[i, k],
                    "mu_star_conf": ind.mu_star_conf[i, k],
                    "mu": ind.mu[i, k],
                    "sigma": ind.sigma[i, k],
                }
            if grouped:
                row["members"] = "; ".join(members[name])
            rows.append(row)
    table = pd.DataFrame(rows)
    key = "ST" if method == "sobol" else "mu_star"
    ranking = []
    for k, lab in enumerate(labels):
        sub = table[table.output == lab].sort_values(key, ascending=False, kind="stable")
        sub = sub.assign(rank=np.arange(1, len(sub) + 1))
        ranking.append(sub)
    return table, pd.concat(ranking, ignore_index=True)


def _pairs(names, labels, ind):
    """``second_order.csv``: one row per output and pair of factors, largest ``|S2|`` first."""
    import pandas as pd

    rows = []
    iu = np.triu_indices(len(names), 1)
    for k, lab in enumerate(labels):
        v, c = ind.S2[iu + (k,)], ind.S2_conf[iu + (k,)]
        for n in np.argsort(-np.abs(v), kind="stable"):
            rows.append(
                {
                    "output": lab,
                    "input_1": names[iu[0][n]],
                    "input_2": names[iu[1][n]],
                    "S2": v[n],
                    "S2_conf": c[n],
                    "S2_low": v[n] - c[n],
                    "S2_high": v[n] + c[n],
                }
            )
    return pd.DataFrame(rows)


def format_ranking(out: SensitivityOutput, top: int = 12) -> str:
    """Text table: per output, inputs by total effect (Sobol) or mu* (Morris)."""
    blocks = []
    units = dict(zip(out.targets, out.units))
    for lab in out.targets:
        sub = out.ranking[out.ranking.output == lab].head(top)
        q = lambda v, lab=lab: output_quantity(v, lab, units.get(lab, ""))  # noqa: E731
        if out.method == "sobol":
            head = f"{'rank':>4}  {'input':<44} {'ST [95% CI]':>22} {'S1 [95% CI]':>22}"
            lines = [
                f"{r.rank:>4}  {r.input:<44} "
                f"{r.ST:>6.3f} [{r.ST_low:6.3f},{r.ST_high:6.3f}] "
                f"{r.S1:>6.3f} [{r.S1_low:6.3f},{r.S1_high:6.3f}]"
                for r in sub.itertuples()
            ]
        else:
            head = (
                f"{'rank':>4}  {'input':<44} {'mu*':>12} {'+/-':>12} {'mu (sign)':>12} "
                f"{'sigma':>12}"
            )
            lines = [
                f"{r.rank:>4}  {r.input:<44} {q(r.mu_star):>12} {q(r.mu_star_conf):>12} "
                f"{q(r.mu):>12} {q(r.sigma):>12}"
                for r in sub.itertuples()
            ]
        if out.method == "morris":
            head += (
                "\n      (change of the output across each input's range, in its units"
                + ("; gap ratios in ratio points" if "Ratio" in lab else "")
                + ")"
            )
        blocks.append(f"What drives {lab}:\n{head}\n" + "\n".join(lines))
        if out.second_order is not None:
            pairs = out.second_order[out.second_order.output == lab].head(3)
            blocks.append(
                "Strongest pair interactions (S2 +/- CI half-width):\n"
                + "\n".join(
                    f"      {r.input_1 + ' x ' + r.input_2:<60} {r.S2:>6.3f} +/- {r.S2_conf:.3f}"
                    for r in pairs.itertuples()
                )
            )
    if out.method == "sobol":
        width = float((out.ranking.ST_high - out.ranking.ST_low).max())
        if width > 0.2:
            blocks.append(
                f"note: some total-index intervals are {width:.2f} wide; a larger "
                "--N (a power of two) narrows them"
            )
    return "\n\n".join(blocks)


def output_quantity(value: float, label: str, unit: str) -> str:
    """A Morris statistic in its output's unit: gap ratios in ratio points (``17.8``),
    rates in percentage points (``3.09 pp/yr``), money ``$1.20B/yr``, log outputs
    ``0.312 log10``; three significant figures (``4.90e-15``, never ``4.903e-15``)."""
    from ..core.formatting import format_quantity, sig3

    if not np.isfinite(value):
        return "n/a"
    if abs(value) < 1e-12:  # round-off of an input that does not reach the output
        return "0"
    if label.startswith("log10 "):
        return f"{sig3(value)} log10" if abs(value) >= 1e-3 else f"{value:.2e} log10"
    if (unit or "").replace(" ", "") == "1/Year":
        return f"{sig3(100 * value)} pp/yr" if abs(value) >= 1e-5 else f"{100 * value:.2e} pp/yr"
    if "Ratio" in label:
        return format_quantity(value)
    return format_quantity(value, unit)


def _plot(path, method, names, labels, ind, sweep_name, runs, effects=None, units=None):
    """sensitivity.png; bars coloured by the direction of ``effects`` and labelled with
    their size (Sobol: top vs bottom fifth of each input; Morris: the signed mean
    elementary effect mu over the input's whole range, which needs no extra estimate)."""
    from .plots import plot_indices

    if method == "sobol":
        e1 = np.stack([ind.S1 - ind.S1_low, ind.S1_high - ind.S1])
        eT = np.stack([ind.ST - ind.ST_low, ind.ST_high - ind.ST])
        plot_indices(
            path,
            names,
            labels,
            ind.S1,
            np.clip(e1, 0, None),
            ind.ST,
            np.clip(eT, 0, None),
            f"Sobol indices with 95% CIs ({sweep_name}, {runs} runs)",
            effects=effects,
            units=units,
        )
    else:
        err = np.stack([ind.mu_star_conf, ind.mu_star_conf])
        plot_indices(
            path,
            names,
            labels,
            None,
            None,
            ind.mu_star,
            err,
            f"Morris screening mu* ({sweep_name}, {runs} runs)",
            total_label="mu* (mean |effect| over the input's range)",
            effects=ind.mu,
            units=units,
            effect_label="mu, mean signed effect over the input's range",
        )
