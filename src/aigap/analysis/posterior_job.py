"""``aigap posterior``: Bayesian calibration job (read files, sample, write a run folder).

The methods are in :mod:`aigap.analysis.mcmc`; this module wires the priors file, the
observation file and the engine to emcee. ``chains`` independent ensembles of ``walkers``
walkers (seeds from one ``numpy.random.Generator(seed)``) run ``steps`` steps in resumable
chunks of ``chunk`` steps: each chunk's chain and the sampler's random state are saved in
the (temporary) run folder, and the same command resumes an interrupted run. The first ``burn_frac``
(default 20%) of each chain is burn-in.

Run folder ``runs/<ts>-posterior-<scenario>/``: ``draws.csv`` (one row per posterior draw,
columns ``Name`` / ``Name[ELEM]`` plus ``log_post``: usable as a sweep's
``parameter_sets:``), ``chains.npz``, ``diagnostics.json``, ``fit.csv`` (posterior median
and 50/90% intervals per observation, in/out of sample), ``parameters.csv`` (prior and
posterior summaries, contraction), ``hindcast.json`` (with ``--until``), ``marginals.png``,
``pairs.png``, ``bands.png``, ``manifest.json``.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..observations import default_observations_path, load_observations, simulated_matrix
from ..scenarios import InputError, load_scenario, resolve_params
from ..core.keys import GAPS, KEY_VARIABLES
from ..workflow.summary import YEARS
from ..workflow.manifest import (
    build_manifest,
    scenario_record,
    engine_record,
    file_record,
    write_manifest,
)
from ..workflow.partial import FolderLock, chunk_runner, load_npz
from ..workflow.rundir import new_run_dir, runs_root
from . import mcmc as pm
from .calibration_job import _prior as scenario_values
from .calibration_job import parse_until
from .ensemble import simulate_design
from .priors_file import load_priors
from .sweep_job import STATE, _save_npz, find_partial, report_progress

MAX_DRAWS = 2000
INIT_ROWS = 2000  # prior draws per engine call (or Dask task) at the start


class LikelihoodTask:
    """What every likelihood batch shares (scattered once to each Dask worker)."""

    def __init__(self, cm, base, targets, outputs, train):
        self.cm, self.base, self.targets, self.outputs = cm, base, targets, outputs
        self.train = list(train)
        self._like = None

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_like"}

    def __setstate__(self, state):
        self.__dict__.update(state, _like=None)

    def like(self):
        """The :class:`aigap.analysis.mcmc.FastLikelihood` of the training observations."""
        if self._like is None:
            self._like = pm.FastLikelihood(self.train)
        return self._like


def log_likelihood_batch(task: LikelihoodTask, item):
    """``(log L per row, engine)`` of parameter values ``X`` (``item = (X, engine)``)."""
    X, engine = item
    res = simulate_design(task.cm, task.base, task.targets, X, task.outputs, engine=engine)
    return task.like()(res), res.meta["engine"]


@dataclass
class PosteriorOutput:
    """What :func:`run_posterior` computed (tables are pandas DataFrames)."""

    labels: tuple
    draws: np.ndarray
    diagnostics: dict
    fit: object
    params: object
    hindcast: dict | None
    fit_scores: dict
    run_dir: Path | None = None
    elapsed: float = 0.0
    extra: dict = field(default_factory=dict)


def _rs_arrays(rs) -> dict:
    return {
        "rs_keys": rs[1],
        "rs_pos": np.array(rs[2]),
        "rs_gauss": np.array(rs[3]),
        "rs_cached": np.array(rs[4]),
    }


def _rs_tuple(z) -> tuple:
    return ("MT19937", z["rs_keys"], int(z["rs_pos"]), int(z["rs_gauss"]), float(z["rs_cached"]))


CHUNK_KEYS = (
    "chain",
    "log_prob",
    "accepted",
    "coords",
    "last_lp",
    "rs_keys",
    "rs_pos",
    "rs_gauss",
    "rs_cached",
)


def read_chain_chunk(path: Path, steps: int, walkers: int, d: int):
    """``(run, None)`` for a valid saved chain chunk (``steps`` steps of ``walkers`` x ``d``),
    else ``(None, reason)``: a truncated, garbled or wrong-shape file is recomputed."""
    z, why = load_npz(path, CHUNK_KEYS)
    if z is None:
        return None, why
    shapes = {
        "chain": (steps, walkers, d),
        "log_prob": (steps, walkers),
        "coords": (walkers, d),
        "last_lp": (walkers,),
    }
    for k, shape in shapes.items():
        if z[k].shape != shape or (k in ("chain", "coords") and not np.isfinite(z[k]).all()):
            return None, f"{k} has shape {z[k].shape}, expected {shape}"
    return {
        "chain": z["chain"],
        "log_prob": z["log_prob"],
        "accepted": z["accepted"],
        "state": {"coords": z["coords"], "log_prob": z["last_lp"], "random_state": _rs_tuple(z)},
    }, None


def run_posterior(
    scenario_path,
    priors_path,
    observations=None,
    walkers: int | None = None,
    steps: int = 10000,
    chains: int = 2,
    seed: int = 0,
    until=None,
    chunk: int = 250,
    model=None,
    runs_dir=None,
    plots: bool = True,
    command=None,
    progress=True,
    engine: str = "compiled",
    fresh: bool = False,
    n_predictive: int = 500,
    burn_frac: float = 0.2,
    n_init: int = 10000,
    dask: str | None = None,
) -> PosteriorOutput:
    """Sample the posterior of the priors file's constants given an observation file.

    ``walkers=None`` uses ``2 x parameters + 4``. The walkers start from ``n_init`` prior
    draws resampled by likelihood (:func:`aigap.analysis.mcmc.importance_start`;
    ``n_init=0``: a ball around the scenario's values); the first ``burn_frac`` of each
    chain is discarded as burn-in. ``dask`` (a scheduler address or ``local[:N]``): the
    batches of parameter sets are Dask tasks (:mod:`.batches`); same results.
    """
    from ..engine import CompiledModel, compile_model
    from ..workflow.runner import find_model

    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    problems = []
    if not 0 <= burn_frac < 0.9:
        problems.append(f"--burn {burn_frac}: must be in [0, 0.9)")
    if n_init < 0:
        problems.append(f"--init-draws {n_init}: must be >= 0")
    if walkers is not None and (walkers < 4 or walkers % 2):
        problems.append(f"--walkers {walkers}: must be an even number >= 4")
    if steps < 4:
        problems.append(f"--steps {steps}: must be >= 4")
    if chains < 2:
        problems.append(f"--chains {chains}: must be >= 2 (R-hat needs independent chains)")
    if problems:
        raise InputError(problems)
    cm = model if isinstance(model, CompiledModel) else compile_model(find_model(model))
    scenario_path = Path(scenario_path)
    scenario = load_scenario(scenario_path, model=cm)
    base = resolve_params(cm, scenario)
    spec = load_priors(priors_path, cm)
    targets = list(spec.uncertain)
    d = len(targets)
    if walkers is None:
        walkers = 2 * d + 4
    if walkers < 2 * d:
        raise InputError([f"--walkers {walkers}: needs at least 2 x {d} parameters = {2 * d}"])
    obs_path = observations or default_observations_path(scenario_path)
    if obs_path is None:
        raise InputError(["no observation file: give --observations FILE"])
    obs = load_observations(obs_path, model=cm)
    until_t = parse_until(until)
    items = list(obs.fitted)
    train = [o for o in items if until_t is None or o.time < until_t]
    test = [o for o in items if until_t is not None and o.time >= until_t]
    if not train:
        raise InputError(
            [
                f"--until {until}: no observation of {obs_path} is dated before it"
                if until_t is not None
                else f"{obs_path}: no fitted observations"
            ]
        )
    if until_t is not None and not test:
        raise InputError(
            [
                f"--until {until}: no observation of {obs_path} is dated on or "
                "after it (nothing to predict)"
            ]
        )
    T = pm.PriorTransform([u.dist for u in targets])
    # one output set for the likelihood and the predictive runs: one compiled kernel
    outputs = sorted({o.variable for o in items} | set(KEY_VARIABLES + GAPS) & set(cm.variables))
    ran = set()
    from .batches import BatchEvaluator

    evaluate = BatchEvaluator(
        log_likelihood_batch, LikelihoodTask(cm, base, targets, outputs, train), engine=engine
    )

    def log_prob(Y, rows=None):
        Y = np.atleast_2d(Y)
        return evaluate(T.to_x(Y), rows) + T.log_jacobian(Y)

    state = {
        "kind": "posterior",
        "model_sha256": cm.model_hash,
        "priors_sha256": spec.sha256,
        "observations": file_record(obs.path)["sha256"],
        "scenario_files": [file_record(f)["sha256"] for f in scenario.files],
        "walkers": walkers,
        "steps": steps,
        "chains": chains,
        "seed": seed,
        "until": until_t,
        "chunk": chunk,
        "engine": engine,
        "n_init": n_init,
    }
    name = f"posterior-{scenario.name}"
    partial = (
        None if fresh else find_partial(SimpleNamespace(name=name), state, runs_root(runs_dir))
    )
    rng = np.random.default_rng(seed)
    chain_seeds = rng.integers(0, 2**31 - 1, size=chains)
    x0 = np.array(
        [
            min(max(v, u.dist.low), u.dist.high)
            for v, u in zip(scenario_values(cm, base, targets), targets)
        ]
    )
    report_progress(
        f"posterior of {d} constants given {len(train)} observations"
        + (f" before {until_t:g} ({len(test)} held out)" if test else "")
        + f": {chains} chains x {walkers} walkers x {steps} steps = "
        f"{chains * walkers * steps:,} model evaluations",
        progress,
    )
    t_sample = time.perf_counter()
    with (
        chunk_runner(dask, lambda m: report_progress(m, progress)) as run_batches,
        new_run_dir("posterior", name, runs_dir=runs_dir, keep_partial=True) as rd,
        FolderLock(partial if partial is not None else rd.path),
    ):
        evaluate.run = None if dask is None else run_batches
        if partial is not None:
            rd.discard()
            rd.path = partial
        else:
            (rd.path / "chunks").mkdir()
            (rd.path / STATE).write_text(json.dumps(state, indent=1))
        runs = [None] * chains
        y0 = None
        for a in range(0, steps, chunk):
            todo = []
            for c in range(chains):
                f = rd.path / "chunks" / f"chain{c}_{a:07d}.npz"
                run, why = read_chain_chunk(f, min(a + chunk, steps), walkers, d)
                if run is not None:
                    runs[c] = run
                    continue
                if f.exists():
                    report_progress(f"  {f.name}: {why}; recomputed", progress)
                todo.append(c)
            if not todo:
                continue
            if a == 0 and y0 is None:
                y0 = _start(log_prob, T, x0, walkers, chains, n_init, seed, progress)
            n = min(chunk, steps - a)
            tk = time.perf_counter()
            lock = pm.Lockstep(log_prob, len(todo))

            def job(k, c, n=n, lock=lock):
                r = runs[c]
                return lambda: pm.run_ensemble(
                    lock.party(k),
                    y0[c] if r is None else None,
                    n,
                    int(chain_seeds[c]),
                    state=None if r is None else r["state"],
                    chain=None if r is None else r["chain"],
                    lnp=None if r is None else r["log_prob"],
                    accepted=None if r is None else r["accepted"],
                )

            for c, run in zip(todo, lock.run([job(k, c) for k, c in enumerate(todo)])):
                runs[c] = run
                _save_npz(
                    rd.path / "chunks" / f"chain{c}_{a:07d}.npz",
                    {
                        "chain": run["chain"],
                        "log_prob": run["log_prob"],
                        "accepted": run["accepted"],
                        "coords": run["state"]["coords"],
                        "last_lp": run["state"]["log_prob"],
                        **_rs_arrays(run["state"]["random_state"]),
                    },
                )
            report_progress(
                f"  step {a + n}/{steps} of {chains} chains ({time.perf_counter() - tk:.1f} s)",
                progress,
            )
        out_chains = [r["chain"] for r in runs]
        out_acc = [r["accepted"] for r in runs]
        t_sample = time.perf_counter() - t_sample
        burn = int(steps * burn_frac)
        diag = pm.diagnostics(out_chains, out_acc, steps, burn, spec.labels)
        pooled = np.concatenate([c[burn:].reshape(-1, d) for c in out_chains])
        lp = np.concatenate(
            [
                np.asarray(lpc)[burn:].reshape(-1)
                for lpc in _log_probs(rd.path, chains, steps, chunk)
            ]
        )
        pick = np.sort(rng.choice(pooled.shape[0], min(MAX_DRAWS, pooled.shape[0]), replace=False))
        Yd, lpd = pooled[pick], lp[pick]
        Xd = T.to_x(Yd)
        out = _summaries(
            cm,
            base,
            targets,
            T,
            Xd,
            lpd,
            outputs,
            items,
            test,
            until_t,
            rng,
            engine,
            n_predictive,
            ran,
        )
        ran |= evaluate.engines
        out.diagnostics = diag
        _write(rd.path, out, spec, out_chains, plots, scenario.name, cm, obs, until_t)
        shutil.rmtree(rd.path / "chunks")  # chains.npz holds them; the folder is done
        out.elapsed = time.perf_counter() - t0
        ran_engine, engine_extra = engine_record(ran, engine)
        diag["timing_s"] = {"sampling": t_sample, "total": out.elapsed}
        diag["model_evaluations"] = int(chains * walkers * steps + n_init)
        (rd.path / "diagnostics.json").write_text(json.dumps(diag, indent=1))
        write_manifest(
            rd.path,
            build_manifest(
                "posterior",
                name,
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
                    "posterior": {
                        "priors": file_record(spec.path),
                        "parameters": list(spec.labels),
                        "walkers": walkers,
                        "steps": steps,
                        "chains": chains,
                        "burn_in": burn,
                        "init": (
                            f"{n_init} prior draws resampled by likelihood"
                            if n_init
                            else "ball around the scenario's values"
                        ),
                        "chain_seeds": [int(s) for s in chain_seeds],
                        "until": until_t,
                        "n_train": len(train),
                        "n_test": len(test),
                        "draws": int(len(Xd)),
                        "converged": diag["converged"],
                        "resumed": partial is not None,
                        "likelihood": "Gaussian on log error, sd = tolerance/2; bounds/ranges: "
                        "half-Gaussian penalty outside, same sd",
                        "dask": None
                        if dask is None
                        else {**run_batches.info, "tasks": evaluate.tasks},
                    },
                    **engine_extra,
                },
            ),
        )
    out.run_dir = rd.final_path
    return out


def _start(log_prob, T, x0, walkers, chains, n_init, seed, progress):
    """Initial walkers ``(chains, walkers, d)``: disjoint likelihood-resampled prior draws
    (``n_init`` > 0), else a ball of sd 0.3 (in logit-CDF space) around ``x0``."""
    g = np.random.default_rng([seed, 1])
    d = T.d
    if not n_init:
        return T.to_y(x0)[None, None] + 0.3 * g.standard_normal((chains, walkers, d))
    report_progress(f"  start: {n_init:,} prior draws resampled by likelihood", progress)
    Y = T.to_y(T.prior_sample(n_init, g))
    ll = log_prob(Y, rows=INIT_ROWS)  # engine calls (or Dask tasks) of 2000 draws
    ll = ll - T.log_jacobian(Y)
    start = pm.importance_start(ll, Y, walkers * chains, g)
    return start.reshape(chains, walkers, d)


def _log_probs(folder, chains, steps, chunk):
    last = ((steps - 1) // chunk) * chunk
    for c in range(chains):
        with np.load(folder / "chunks" / f"chain{c}_{last:07d}.npz") as z:
            yield z["log_prob"]


def _summaries(
    cm, base, targets, T, Xd, lpd, outputs, items, test, until_t, rng, engine, n_predictive, ran
):
    import pandas as pd

    labels = tuple(u.label for u in targets)
    sub = Xd[np.sort(rng.choice(len(Xd), min(n_predictive, len(Xd)), replace=False))]
    res = simulate_design(cm, base, targets, sub, outputs, engine=engine)
    ran.add(res.meta["engine"])
    sim = simulated_matrix(items, res)
    rows = pm.predictive_scores(items, sim)
    fit = pd.DataFrame(rows)
    fit["sample"] = ["out" if o in test else "in" for o in items]
    prior = T.prior_sample(20000, rng)
    pdf = pd.DataFrame(
        {
            "parameter": labels,
            "prior_mean": prior.mean(0),
            "prior_sd": prior.std(0),
            "post_median": np.median(Xd, 0),
            "post_p5": np.percentile(Xd, 5, 0),
            "post_p95": np.percentile(Xd, 95, 0),
            "post_mean": Xd.mean(0),
            "post_sd": Xd.std(0),
        }
    )
    pdf["contraction"] = pdf.post_sd / pdf.prior_sd
    pdf["verdict"] = np.where(
        pdf.contraction < 0.5,
        "identified",
        np.where(pdf.contraction < 0.9, "weakly identified", "not identified (posterior ~ prior)"),
    )
    scores = fit_scores(fit[fit["sample"] == "in"])
    hind = None
    if test:
        part = fit[fit["sample"] == "out"]
        pts = part[part.kind == "point"]
        hind = {
            "until": until_t,
            "n": int(len(part)),
            "n_points": int(len(pts)),
            "coverage50": float(part.inside50.mean()),
            "coverage90": float(part.inside90.mean()),
            "crps_log_mean": float(pts.crps_log.mean()) if len(pts) else None,
            "median_abs_pct_error": float(pts.median_pct_error.abs().mean()) if len(pts) else None,
            "observations": part.replace({np.nan: None}).to_dict("records"),
        }
    out = PosteriorOutput(labels, Xd, {}, fit, pdf, hind, scores)
    out.extra = {"log_post": lpd, "predictive": res, "predictive_X": sub, "gaps": gap_table(res)}
    return out


def gap_table(res):
    """Posterior-predictive gap ratios at each year end 2026-2030: median and 5/25/75/95%."""
    import pandas as pd

    from .conditions import year_to_time

    t = np.asarray(res.time)
    rows = []
    for name in GAPS:
        if name not in res.dims:
            continue
        y = np.asarray(res[name]).reshape(res.n_runs, t.size)
        for year in YEARS:
            v = np.array([np.interp(year_to_time(year), t, yi) for yi in y])
            q = np.nanpercentile(v, [5, 25, 50, 75, 95])
            rows.append(
                {
                    "variable": name,
                    "year": year,
                    "p5": q[0],
                    "p25": q[1],
                    "median": q[2],
                    "p75": q[3],
                    "p95": q[4],
                }
            )
    return pd.DataFrame(rows)


def fit_scores(fit) -> dict:
    """MAPE of the posterior median over point observations and Theil's decomposition per
    series (variable, region) with at least two points."""
    pts = fit[fit.kind == "point"]
    out = {
        "mape": float(np.mean(np.abs(pts["median"] / pts.observed - 1)) * 100)
        if len(pts)
        else None,
        "theil": [],
    }
    for (var, reg), g in pts.groupby(["variable", pts.region.fillna("")], sort=True):
        if len(g) >= 2:
            out["theil"].append(
                {
                    "variable": var,
                    "region": reg or None,
                    "n": int(len(g)),
                    **pm.theil(g["median"].to_numpy(), g.observed.to_numpy()),
                }
            )
    return out


def _write(folder, out, spec, chains, plots, name, cm, obs, until_t):
    import pandas as pd

    df = pd.DataFrame(out.draws, columns=list(out.labels))
    df["log_post"] = out.extra["log_post"]
    df.to_csv(folder / "draws.csv", index=False, float_format="%.10g")
    np.savez_compressed(folder / "chains.npz", **{f"chain{c}": ch for c, ch in enumerate(chains)})
    out.fit.to_csv(folder / "fit.csv", index=False, float_format="%.6g")
    out.extra["gaps"].to_csv(folder / "gaps.csv", index=False, float_format="%.6g")
    out.params.to_csv(folder / "parameters.csv", index=False, float_format="%.6g")
    (folder / "fit_scores.json").write_text(json.dumps(out.fit_scores, indent=1))
    if out.hindcast is not None:
        (folder / "hindcast.json").write_text(json.dumps(out.hindcast, indent=1, default=float))
    if plots:
        from .posterior_plots import plot_bands, plot_marginals, plot_pairs

        plot_marginals(folder / "marginals.png", spec, out.draws)
        order = np.argsort(out.params.contraction.to_numpy())  # most informed first
        plot_pairs(folder / "pairs.png", [out.labels[k] for k in order], out.draws[:, order])
        plot_bands(
            folder / "bands.png",
            out.extra["predictive"],
            out.fit,
            cm,
            f"Posterior predictive of '{name}'"
            + (f" (fitted before {until_t:g})" if until_t else ""),
        )
