"""``aigap calibrate``: fit chosen constants of a scenario to an observation file.

Bounds are the constants' declared ``[min, max]`` ranges in the model. The global search
evaluates a whole differential-evolution generation in one engine call (see
:mod:`aigap.analysis.fitting`). ``--until DATE`` fits only observations up to that time
and reports the out-of-sample error on the later ones (a hindcast).

Run folder: ``fit.csv`` (every observation, before/after, in/out of sample),
``parameters.csv`` (prior, best, uncertainty interval, identification status),
``uncertainty_set.csv``, ``uncertainty_sweep.yaml`` (a sweep file resampling the uncertainty
set jointly),
``<name>_calibrated.yaml`` (the calibrated scenario; it ``extends`` the base by a path
relative to the run folder), ``calibration_fit.png``, ``fit.png``, ``manifest.json``.
Nothing is written outside the run folder unless ``output`` names a file (a NEW file:
``-2``, ``-3``... if taken, never overwriting); :func:`promote_command` gives the shell
command that copies the scenario beside its base.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml

from ..observations import (
    Observations,
    default_observations_path,
    fit_table,
    load_observations,
    simulated_matrix,
)
from ..scenarios import InputError, load_scenario, resolve_params, safe_name
from ..core.errors import closest
from ..scenarios.schema import constant_limits
from ..workflow.manifest import build_manifest, scenario_record, engine_record, write_manifest
from ..workflow.partial import chunk_runner
from ..workflow.rundir import check_output_path, new_run_dir
from . import fitting as core
from .distributions import Distribution
from .ensemble import design_params, simulate_design
from .problem import split_label
from .sweep_job import report_progress
from .sweep_file import Uncertain

__all__ = ["run_calibration", "CalibrationOutput", "calibration_targets", "parse_until"]


@dataclass
class CalibrationOutput:
    """What :func:`run_calibration` found and wrote.

    Attributes
    ----------
    scenario_path : Path
        The base scenario.
    labels : tuple of str
        Fitted constants (``Name`` or ``Name[ELEM]``).
    prior, best : ndarray (d,)
        Values before calibration (the scenario's) and the best fit.
    fit : FitResult
        The optimizer's result (payoff, residuals, history).
    accepted : ndarray (k, d)
        The uncertainty set: vectors within ``threshold`` of the best payoff.
    threshold : float
    ident_rows, ident : list of dict, dict
        Per-parameter identification and the overall verdict.
    fit_frame, params_frame : DataFrame
        ``fit.csv`` and ``parameters.csv``.
    out_of_sample : dict or None
        Hindcast error on the held-out observations (``until``).
    written : Path
        The calibrated scenario file (in the run folder, or ``output``).
    run_dir : Path
    elapsed : float
        Seconds, end to end.
    extra : dict
        ``n_simulated_runs``, ``until``, ``payoffs``.
    """

    scenario_path: Path
    labels: tuple
    prior: np.ndarray
    best: np.ndarray
    fit: core.FitResult
    accepted: np.ndarray
    threshold: float
    ident_rows: list
    ident: dict
    fit_frame: object
    params_frame: object
    out_of_sample: dict | None
    written: Path | None = None
    run_dir: Path | None = None
    elapsed: float = 0.0
    extra: dict = field(default_factory=dict)


def parse_until(text) -> float | None:
    """``2026``, ``2026.5`` or ``2026-06-30`` -> decimal year (None passes through)."""
    if text is None:
        return None
    s = str(text).strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        d = datetime.strptime(s, "%Y-%m-%d")
    except ValueError:
        raise InputError(
            [f"--until {text!r}: expected a decimal year (2026.4) or a date (2026-05-31)"]
        ) from None
    start = datetime(d.year, 1, 1)
    days = (datetime(d.year + 1, 1, 1) - start).days
    return d.year + ((d - start).days + 1) / days


def calibration_targets(cm, labels) -> list:
    """``"Name"`` / ``"Name[CN]"`` -> Uncertain with a uniform distribution over the
    constant's declared range (InputError for unknown names or missing ranges)."""
    out, problems = [], []
    for label in labels:
        try:
            name, elem = split_label(label)
        except ValueError as exc:
            problems.append(f"--param: {exc}")
            continue
        info = cm.constants.get(name)
        if info is None:
            hint = closest(name, cm.constants)
            problems.append(
                f"--param {label!r}: unknown model constant"
                + (f"; did you mean '{hint}'?" if hint else "")
            )
            continue
        elems = [e for d in info.dims for e in cm.dims[d]]
        if elem is not None and elem not in elems:
            problems.append(
                f"--param {label!r}: unknown element '{elem}' "
                f"(valid: {', '.join(elems) or 'none, not subscripted'})"
            )
            continue
        lo, hi = constant_limits(info)
        if lo is None or hi is None or not lo < hi:
            problems.append(
                f"--param {label!r}: the model declares no [min, max] range for "
                f"'{name}', so it cannot be calibrated"
            )
            continue
        out.append(Uncertain(label, name, elem, Distribution("uniform", {"low": lo, "high": hi})))
    labels_ = [u.label for u in out]
    if len(set(labels_)) != len(labels_):
        problems.append("--param: a constant is listed twice")
    whole = {u.constant for u in out if u.element is None}
    for u in out:
        if u.element is not None and u.constant in whole:
            problems.append(
                f"--param {u.label!r}: '{u.constant}' is also fitted as a whole; "
                "give the whole constant or its elements, not both"
            )
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError(["give at least one --param NAME or NAME[ELEMENT] to calibrate"])
    return out


def _prior(cm, base, targets) -> np.ndarray:
    out = []
    for u in targets:
        info = cm.constants[u.constant]
        b = base.get(u.constant, np.asarray(info.default, dtype=float))
        arr = np.asarray(getattr(b, "values", b), dtype=float)
        if hasattr(b, "times"):  # time-varying: take the first point's value
            arr = arr[..., 0].reshape(np.shape(info.default)) if arr.ndim else arr
        if u.element is not None and info.dims:
            idx = [cm.dims[d].index(u.element) if u.element in cm.dims[d] else 0 for d in info.dims]
            out.append(float(np.asarray(arr)[tuple(idx)]))
        else:
            out.append(float(np.mean(arr)))
    return np.array(out)


MIN_UNCERTAINTY_SET = 20  # fewer accepted fresh draws: no uncertainty set is exported


def run_calibration(
    scenario_path,
    params,
    observations=None,
    until=None,
    seed: int = 0,
    popsize: int = 12,
    maxiter: int = 60,
    model=None,
    runs_dir=None,
    output=None,
    n_uncertainty: int = 2000,
    plots: bool = True,
    command=None,
    progress=True,
    engine: str = "auto",
    dask: str | None = None,
) -> CalibrationOutput:
    """Calibrate ``params`` (labels) of a scenario to an observation file; see module docs.

    ``engine`` (``"auto"``, ``"numpy"``, ``"compiled"``) is used for every ensemble
    call; the manifest records the backend(s) that actually ran. ``dask`` (a scheduler
    address or ``local[:N]``): batches of parameter sets large enough to split (the
    uncertainty draws) are Dask tasks (:mod:`.batches`); same results.
    """
    from ..engine import CompiledModel, compile_model
    from ..workflow.runner import find_model

    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    cm = model if isinstance(model, CompiledModel) else compile_model(find_model(model))
    scenario_path = Path(scenario_path)
    scenario = load_scenario(scenario_path, model=cm)
    base = resolve_params(cm, scenario)
    if output:
        check_output_path(output, "--output-scenario", may_exist=True)
    targets = calibration_targets(cm, params)
    for u in targets:
        if hasattr(base.get(u.constant), "times"):
            report_progress(
                f"note: '{u.constant}' is time-varying in {scenario_path.name}; "
                "calibration fits one constant value instead",
                progress,
            )
    obs_path = observations or default_observations_path(scenario_path)
    if obs_path is None:
        raise InputError(["no observation file: give --observations FILE"])
    obs = load_observations(obs_path, model=cm)
    until_t = parse_until(until)
    items = list(obs.fitted)
    train = [o for o in items if until_t is None or o.time <= until_t]
    test = [o for o in items if until_t is not None and o.time > until_t]
    if not train:
        raise InputError(
            [
                f"{obs_path}: no observations with a model variable"
                + (f" up to {until_t:g}" if until_t is not None else "")
            ]
        )
    variables = sorted({o.variable for o in items})
    bounds = np.array([[u.dist.low, u.dist.high] for u in targets])
    log_scale = (bounds[:, 0] > 0) & (bounds[:, 1] / np.maximum(bounds[:, 0], 1e-300) >= 100)
    prior = np.clip(_prior(cm, base, targets), bounds[:, 0], bounds[:, 1])
    n_sim = [0]
    from .batches import BatchEvaluator

    evaluate = BatchEvaluator(
        residual_batch, ResidualTask(cm, base, targets, variables, train), engine=engine
    )

    def residuals(X):
        n_sim[0] += X.shape[0]
        return evaluate(X)

    report_progress(
        f"calibrating {len(targets)} constants to {len(train)} observations"
        + (f" up to {until_t:g} ({len(test)} held out)" if until_t is not None else ""),
        progress,
    )
    with chunk_runner(dask, lambda m: report_progress(m, progress)) as run_batches:
        evaluate.run = None if dask is None else run_batches
        fit = core.fit(
            residuals,
            bounds,
            seed=seed,
            log_scale=log_scale,
            popsize=popsize,
            maxiter=maxiter,
            x0=prior,
            progress=sys.stderr if progress is True else progress,
        )
        accepted, payoffs, thr = core.uncertainty_set(
            fit, residuals, seed=seed + 1, n_extra=n_uncertainty
        )
        rows, ident = core.identifiability(
            fit,
            residuals,
            accepted if len(accepted) >= 2 else np.vstack([fit.x[None], accepted]),
            len(train),
        )
        dask_info = None if dask is None else {**run_batches.info, "tasks": evaluate.tasks}
    ran = set(evaluate.engines)
    best_res = cm.simulate(
        params=design_params(cm, base, targets, fit.x[None]), n_runs=1, engine=engine
    )
    prior_res = cm.simulate(
        params=design_params(cm, base, targets, prior[None]), n_runs=1, engine=engine
    )
    sel = Observations(obs.path, tuple(items), obs.currency)
    fr = fit_table(sel, best_res).assign(
        sample=["out" if until_t is not None and o.time > until_t else "in" for o in items]
    )
    prior_fr = fit_table(sel, prior_res)
    fr.insert(fr.columns.get_loc("simulated"), "simulated_before", prior_fr["simulated"])
    fr.insert(fr.columns.get_loc("pct_error"), "pct_error_before", prior_fr["pct_error"])
    oos = None
    if test:
        part = fr[fr["sample"] == "out"]
        oos = {
            "n": int(len(part)),
            "passed": int(part.passed.sum()),
            "rms_log_error": float(np.sqrt(np.mean(part.log_error**2))),
            "rms_log_error_before": float(
                np.sqrt(np.mean(np.log1p(part.pct_error_before / 100) ** 2))
            ),
        }
    pf = _params_frame(targets, prior, fit.x, rows, accepted)
    out = CalibrationOutput(
        scenario_path,
        tuple(u.label for u in targets),
        prior,
        fit.x,
        fit,
        accepted,
        thr,
        rows,
        ident,
        fr,
        pf,
        oos,
    )
    out.extra = {"n_simulated_runs": n_sim[0], "until": until_t, "payoffs": payoffs}
    target = _free_path(Path(output)) if output else None
    with new_run_dir("calibrate", f"{scenario.name}-calibration", runs_dir=runs_dir) as rd:
        # the run folder's copy extends the base by a path relative to the folder (the
        # temporary and the final folder are siblings, so it resolves from both)
        inside = rd.path / f"{safe_name(scenario.name)}_calibrated.yaml"
        inside.write_text(
            scenario_yaml(scenario, targets, fit.x, obs_path, fit.payoff, until_t, inside)
        )
        fr.to_csv(rd.path / "fit.csv", index=False, float_format="%.6g")
        pf.to_csv(rd.path / "parameters.csv", index=False, float_format="%.6g")
        if len(accepted) >= MIN_UNCERTAINTY_SET:
            _write_uncertainty(rd.path, targets, accepted, payoffs, inside.name, seed)
        else:
            report_progress(
                f"note: only {len(accepted)} of {n_uncertainty} fresh draws lie in "
                "the likelihood-ratio region: no uncertainty set is exported "
                "(use `aigap posterior` for the uncertainty)",
                progress,
            )
        if plots:
            _plots(rd.path, cm, obs, prior_res, best_res, fr, variables, scenario.name)
        out.elapsed = time.perf_counter() - t0
        ran_engine, engine_extra = engine_record(ran, engine)
        write_manifest(
            rd.path,
            build_manifest(
                "calibrate",
                f"{scenario.name}-calibration",
                started,
                model=cm,
                engine=ran_engine,
                method="euler",
                time_step=cm.time_step,
                seed=seed,
                observations=obs.path,
                command=command if command is not None else sys.argv,
                scenarios=[scenario_record(scenario)],
                extra={
                    "calibration": {
                        "parameters": list(out.labels),
                        "bounds": bounds,
                        "log_scale": log_scale,
                        "until": until_t,
                        "n_train": len(train),
                        "n_test": len(test),
                        "payoff": fit.payoff,
                        "threshold": thr,
                        "n_accepted": int(len(accepted)),
                        "optimizer": fit.message,
                        "engine_calls": fit.n_calls,
                        "simulated_runs": n_sim[0],
                        "identifiability": ident,
                        "out_of_sample": oos,
                        "calibrated_scenario": inside.name,
                        "output_scenario": str(target) if target else None,
                        "dask": dask_info,
                    },
                    **engine_extra,
                },
            ),
        )
    out.run_dir = rd.final_path
    out.written = rd.final_path / inside.name
    if target is not None:
        with open(target, "x", encoding="utf-8") as fh:  # "x": never overwrite
            fh.write(scenario_yaml(scenario, targets, fit.x, obs_path, fit.payoff, until_t, target))
        out.written = target
    return out


@dataclass
class ResidualTask:
    """What every residual batch shares (scattered once to each Dask worker)."""

    cm: object
    base: dict
    targets: list
    variables: list
    train: list


def residual_batch(task: ResidualTask, item):
    """``(scaled residuals (rows, observations), engine)`` of ``item = (X, engine)``."""
    X, engine = item
    res = simulate_design(task.cm, task.base, task.targets, X, task.variables, engine=engine)
    return (
        core.scaled_residuals(task.train, simulated_matrix(task.train, res)),
        res.meta["engine"],
    )


def promote_command(written: Path, scenario_path: Path) -> str:
    """Shell command that copies a calibrated scenario from its run folder beside the base
    scenario (a new file: ``set -C`` refuses to overwrite), re-pointing ``extends``."""
    import shlex

    base = Path(scenario_path)
    dest = _free_path(base.with_name(Path(written).name))
    extends = os.path.relpath(base.resolve(), dest.resolve().parent)
    return (
        f"(set -C; sed 's#^extends: .*#extends: {extends}#' {shlex.quote(str(written))} "
        f"> {shlex.quote(str(dest))})"
    )


def _free_path(path: Path) -> Path:
    """``path`` if unused, else ``stem-2``, ``stem-3``... (never overwrite)."""
    if not os.path.lexists(path):  # lexists: a dangling symlink is taken, not followed
        return path
    for n in range(2, 10_000):
        cand = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not os.path.lexists(cand):
            return cand
    raise OSError(f"no free file name for {path}")


def _params_frame(targets, prior, best, rows, accepted):
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "parameter": u.label,
                "low_bound": u.dist.low,
                "high_bound": u.dist.high,
                "prior": prior[j],
                "best": best[j],
                "set_min": float(accepted[:, j].min()),
                "set_max": float(accepted[:, j].max()),
                "ci_low": r["low"],
                "ci_high": r["high"],
                "span_of_range": r["span"],
                "sensitivity": r["sensitivity"],
                "status": r["status"],
            }
            for j, (u, r) in enumerate(zip(targets, rows))
        ]
    )


def scenario_yaml(scenario, targets, x, obs_path, payoff, until_t, target: Path) -> str:
    """Text of the calibrated scenario: extends the base, overrides the fitted constants."""
    consts: dict = {}
    for u, v in zip(targets, x):
        v = float(f"{v:.6g}")
        if u.element is None:
            consts[u.constant] = v
        else:
            entry = consts.setdefault(u.constant, {})
            if isinstance(entry, dict):
                entry[u.element] = v
    when = f" up to {until_t:g}" if until_t is not None else ""
    doc = {
        "description": f"{scenario.name} calibrated to {Path(obs_path).name}{when} "
        f"({len(targets)} constants, payoff {payoff:.3g})",
        "extends": os.path.relpath(Path(scenario.path).resolve(), target.resolve().parent),
        "constants": consts,
    }
    head = (
        "# Written by `aigap calibrate` (a new file; re-running never overwrites it).\n"
        "# Values are the best fit; see the calibration run folder for the fit table and\n"
        "# the parameter uncertainty set.\n"
    )
    # wide lines: a long ``extends`` path stays on one line (promote_command edits it)
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=4096)


def _write_uncertainty(folder, targets, accepted, payoffs, scenario_file, seed) -> None:
    """``uncertainty_set.csv`` and a ready sweep file that resamples its rows jointly.

    ``scenario_file`` is written as given: a name in ``folder`` resolves from the sweep
    file wherever the folder goes.
    """
    import pandas as pd

    df = pd.DataFrame(accepted, columns=[u.label for u in targets])
    df.insert(0, "payoff", payoffs)
    df.to_csv(folder / "uncertainty_set.csv", index=False, float_format="%.10g")
    doc = {
        "description": "Parameter uncertainty from calibration: fresh uniform (Latin "
        "hypercube) draws within the payoff threshold of the best fit (no "
        "optimizer history), resampled jointly (correlations kept)",
        "scenario": str(scenario_file),
        "parameter_sets": "uncertainty_set.csv",
        "sampler": "resample",
        "runs": 1000,
        "seed": int(seed),
    }
    (folder / "uncertainty_sweep.yaml").write_text(
        "# Written by `aigap calibrate`: `aigap sweep <this file>` runs the calibrated scenario\n"
        "# over its parameter uncertainty set.\n" + yaml.safe_dump(doc, sort_keys=False, width=100)
    )


def _plots(folder, cm, obs, prior_res, best_res, fr, variables, name):
    """calibration_fit.png and fit.png; returns the calibration_fit Figure."""
    from ..plotting import plot_fit
    from ..plotting.timeseries import plot_panels

    units = {n: v.units for n, v in cm.variables.items()}
    # (no suptitle beyond 9 panels: the shared layout would let it overlap the first row)
    title = f"Calibration of '{name}': observed vs fitted" if len(variables) <= 9 else ""
    # the calibrated run first: drawn on top (thick, black); "before" thinner beneath it,
    # and not drawn where it lies on the calibrated line (the panel says so)
    runs = {"calibrated": best_res, "before": prior_res}
    fig = plot_panels(folder / "calibration_fit.png", runs, variables, units, obs, title=title)
    plot_fit(folder / "fit.png", fr, title=f"Calibrated '{name}': fit to observations")
    return fig
