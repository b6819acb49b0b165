"""``aigap optimize``: search lever settings over a set of worlds; resumable, seeded.

Every generation of the optimiser is ONE engine call: ``P`` candidate policies times ``W``
worlds (posterior draws) as ``P * W`` runs. Run ``r = p * W + w`` has world ``w``'s
parameters (from the initial time: the worlds reproduce the history) and policy ``p``'s
levers (from their start time).

Stages (each batch is saved as ``chunks/batch_KKKKK.npz`` with the policies it scored):

0. the base scenario unchanged (the "no change" policy) in every world;
1. ``reference_policies`` lever settings (a Latin hypercube): a world's best outcome over
   them is the reference of ``regret`` objectives during the search;
2. the optimiser (one objective: scipy differential evolution; several: pymoo's NSGA-II).

Resume: the optimisers are deterministic in the seed, so a rerun of the same command
replays the search and takes every saved batch from disk (its policies are checked
equal) instead of simulating it; the result is identical to an uninterrupted run.

In the final tables, regret is against the best policy per world among ALL the policies
evaluated (so it is >= 0).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..engine import TimeSeries
from ..observations import default_observations_path, load_observations
from ..scenarios import InputError, load_scenario, resolve_params
from ..workflow.manifest import (
    build_manifest,
    scenario_record,
    engine_record,
    file_record,
    write_manifest,
)
from ..workflow.rundir import new_run_dir, runs_root
from . import policy as pm
from .conditions import Target
from .ensemble import column_targets, design_params
from .policy_file import PolicySpec, load_policy, set_worlds
from .sweep_job import STATE, _save_npz, find_partial, report_progress

__all__ = ["run_policy", "PolicyOutput", "PolicyProblem"]

STEP_EPS = 1e-6  # a step lever leaves its base value this long before its start (years)


@dataclass
class PolicyOutput:
    """A finished policy search (tables in memory, files in ``run_dir``)."""

    spec: PolicySpec
    evaluations: object  # DataFrame: every policy evaluated
    best: object  # DataFrame: the top policies (or the Pareto front)
    baseline: dict  # objective/constraint statistics of the no-change policy
    n_worlds: int
    run_dir: Path | None = None
    elapsed: float = 0.0
    n_runs: int = 0
    resumed_batches: int = 0
    timings: dict = field(default_factory=dict)


class PolicyProblem:
    """Decision vector <-> engine parameters, and outcome matrices per policy and world."""

    def __init__(
        self,
        cm,
        spec: PolicySpec,
        base: dict,
        default_start: float | None,
        engine: str = "compiled",
    ):
        self.cm, self.spec, self.base, self.engine = cm, spec, base, engine
        self.W = 1 if spec.world_sets is None else len(spec.world_sets)
        self.columns, bounds = [], []
        for lv in spec.levers:
            self.columns.append(lv.label)
            bounds.append((lv.low, lv.high))
            if lv.timed:
                self.columns.append(f"{lv.label} from")
                bounds.append(lv.start[:2])
        self.bounds = np.asarray(bounds, dtype=float)
        t0 = cm.initial_time
        self.starts = [
            t0 if lv.start == "start" else (default_start if lv.start is None else lv.start)
            for lv in spec.levers
        ]
        self.starts = [t0 if s is None else s for s in self.starts]
        self.outputs = list(
            dict.fromkeys(o.variable for o in (*spec.objectives, *spec.constraints))
        )
        self.ran = set()

    def no_change_row(self):
        """The decision row that keeps every lever at its base value (any start), or None
        when a base value is time-varying, differs by element, or lies outside its range."""
        row = []
        for lv in self.spec.levers:
            info = self.cm.constants[lv.constant]
            b = self.base.get(lv.constant, np.asarray(info.default, dtype=float))
            if isinstance(b, TimeSeries):
                return None
            b = np.asarray(b, dtype=float).reshape(-1)
            if lv.element is not None and info.dims:
                b = b[list(self.cm.dims[info.dims[0]]).index(lv.element)].reshape(1)
            if np.ptp(b) > 0 or not lv.low <= b[0] <= lv.high:
                return None
            row.append(float(b[0]))
            if lv.timed:
                row.append(float(lv.start[0]))
        return np.asarray(row)

    def decode(self, X):
        """``(values (P, L), starts (P, L))`` of decision rows (start times on their grid)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        vals, starts, j = [], [], 0
        for lv, s in zip(self.spec.levers, self.starts):
            vals.append(X[:, j])
            j += 1
            if lv.timed:
                lo, hi, step = lv.start
                starts.append(np.clip(lo + np.round((X[:, j] - lo) / step) * step, lo, hi))
                j += 1
            else:
                starts.append(np.full(X.shape[0], float(s)))
        return np.column_stack(vals), np.column_stack(starts)

    def knots(self, lv, s):
        """``(a, e)``: where the lever leaves its base path and where it reaches its value."""
        return (s - STEP_EPS, s) if lv.ramp <= 0 else (s, s + lv.ramp)

    def params(self, X=None) -> tuple:
        """Engine parameters of ``P`` policies (``X``; None: no change) in every world."""
        P = 1 if X is None else np.atleast_2d(X).shape[0]
        n = P * self.W
        if self.spec.world_sets is None:
            params = design_params(self.cm, self.base, (), np.zeros((n, 0)))
        else:
            params = design_params(
                self.cm, self.base, self.spec.world_uncertain, np.tile(self.spec.world_sets, (P, 1))
            )
        if X is None:
            return params, n
        vals, starts = self.decode(X)
        levers = self.spec.levers
        targets = column_targets(self.cm, levers)
        for name in dict.fromkeys(lv.constant for lv in levers):
            info = self.cm.constants[name]
            shape = tuple(len(self.cm.dims[d]) for d in info.dims)
            b = self.base.get(name, np.asarray(info.default, dtype=float))
            knots = set()
            if isinstance(b, TimeSeries):
                knots.update(b.times.tolist())
            for j, lv in enumerate(levers):
                if lv.constant == name:
                    for s in self._candidate_starts(lv, j):
                        knots.update(self.knots(lv, s))
            grid = np.array(sorted(knots))
            bgrid = _base_on(b, grid, shape)  # (*shape, T)
            out = np.broadcast_to(bgrid, (P,) + bgrid.shape).copy()
            for j, (lv, (c, idx)) in enumerate(zip(levers, targets)):
                if c != name:
                    continue
                a, e = self.knots(lv, starts[:, j])
                for kk in np.ndindex(*shape):
                    if idx is not Ellipsis and any(
                        isinstance(i, int) and i != k for i, k in zip(idx, kk)
                    ):
                        continue
                    out[(slice(None),) + kk] = pm.lever_path(grid, bgrid[kk], a, e, vals[:, j])
            full = np.repeat(out, self.W, axis=0)  # run = p * W + w
            params[name] = TimeSeries(times=grid, values=full)
        return params, n

    def _candidate_starts(self, lv, j):
        if lv.timed:
            lo, hi, step = lv.start
            return list(np.arange(lo, hi + step / 2, step).clip(lo, hi))
        return [self.starts[j]]

    def outcomes(self, X=None) -> dict:
        """``{name: (P, W)}`` of every objective and constraint, and ``nonfinite (P,)``."""
        params, n = self.params(X)
        res = self.cm.simulate(
            params=params,
            n_runs=n,
            method=self.spec.method,
            saveper=self.spec.saveper,
            outputs=self.outputs,
            engine=self.engine,
        )
        self.ran.add(res.meta.get("engine", "unknown"))
        P = n // self.W
        out, bad = {}, np.zeros(P, dtype=bool)
        for item in (*self.spec.objectives, *self.spec.constraints):
            v = res[item.variable]
            dims = res.dims[item.variable]
            if v.ndim == 3:
                v = v[:, :, list(res.coords[dims[2]]).index(item.region)]
            if len(item.times) == 1:
                x = Target(item.variable, None, item.times[0]).values(v, res.time)
            else:
                x = pm.integral(v, res.time, *item.times)
            x = x.reshape(P, self.W)
            bad |= ~np.isfinite(x).all(axis=1)
            out[item.name] = x
        out["nonfinite"] = bad.astype(float)
        return out


def _base_on(b, grid, shape):
    """The base value (array or TimeSeries) on ``grid``: ``(*shape, T)``."""
    if not isinstance(b, TimeSeries):
        v = np.broadcast_to(np.asarray(b, dtype=float), shape)
        return np.repeat(v[..., None], grid.size, axis=-1)
    vals = (
        b.values.reshape(shape + (b.times.size,))
        if b.values.ndim == len(shape) + 1
        else b.values.reshape((-1,) + shape + (b.times.size,))[0]
    )
    flat = vals.reshape(-1, b.times.size)
    return np.stack([np.interp(grid, b.times, row) for row in flat]).reshape(shape + (grid.size,))


def statistics(spec, outs: dict, reference: dict | None) -> dict:
    """``{name: (P,)}`` statistic of every objective and constraint (objective units)."""
    stats = {}
    for o in spec.objectives:
        ref = None if reference is None else reference.get(o.name)
        stats[o.name] = pm.robust_statistic(outs[o.name], o.stat, o.sense, ref)
    for c in spec.constraints:
        stats[c.name] = pm.robust_statistic(outs[c.name], c.stat, "min")
    return stats


def violation(spec, stats: dict, nonfinite) -> np.ndarray:
    """Total relative constraint violation per policy (+1 per policy with a non-finite run)."""
    cv = np.asarray(nonfinite, dtype=float).copy()
    for c in spec.constraints:
        s = stats[c.name]
        gap = s - c.value if c.op in ("<", "<=") else c.value - s
        cv += np.where(np.isfinite(s), np.maximum(gap, 0.0), 1.0) / max(abs(c.value), 1e-12)
    return cv


def best_per_world(spec, outs_list) -> dict:
    """Per objective, the best outcome in each world over several outcome dicts."""
    ref = {}
    for o in spec.objectives:
        stack = np.vstack([d[o.name] for d in outs_list])
        stack = np.where(np.isfinite(stack), stack, np.nan)
        ref[o.name] = np.nanmin(stack, axis=0) if o.sense == "min" else np.nanmax(stack, axis=0)
    return ref


class BatchCache:
    """Batches of outcomes saved under ``folder``; replayed when the policies match."""

    def __init__(self, folder: Path, problem: PolicyProblem, progress):
        self.folder, self.problem, self.progress = folder, problem, progress
        self.k, self.replayed, self.simulated_runs = 0, 0, 0
        self.archive = []  # (X, outcomes) of every batch, in order

    def __call__(self, X):
        path = self.folder / f"batch_{self.k:05d}.npz"
        key = np.zeros((1, 0)) if X is None else np.atleast_2d(X)
        outs = None
        if path.exists():
            with np.load(path) as z:
                if np.array_equal(z["X"], key):
                    outs = {k[4:]: z[k] for k in z.files if k.startswith("out:")}
                    self.replayed += 1
            if outs is None:
                raise InputError(
                    [
                        f"{path}: the interrupted search differs from this one "
                        "(another numpy/scipy/pymoo?); rerun with --fresh"
                    ]
                )
        if outs is None:
            outs = self.problem.outcomes(X)
            self.simulated_runs += key.shape[0] * self.problem.W
            _save_npz(path, {"X": key, **{f"out:{k}": v for k, v in outs.items()}})
        self.k += 1
        self.archive.append((key, outs))
        return outs


def _state(spec, cm, scenario, overrides) -> dict:
    return {
        "policy_sha256": spec.sha256,
        "model_sha256": cm.model_hash,
        "scenario_files": [file_record(f)["sha256"] for f in scenario.files],
        "worlds": (spec.world_record or {}).get("sha256"),
        "seed": spec.seed,
        "overrides": overrides,
    }


def apply_overrides(
    spec, cm, seed=None, population=None, generations=None, worlds=None, count=None
) -> dict:
    """Command-line values on top of the policy file (recorded in the manifest)."""
    from ..core.errors import IssueList

    done = {}
    for k, v in (("seed", seed), ("population", population), ("generations", generations)):
        if v is not None:
            setattr(spec, k, v)
            done[k] = v
    if count is not None:
        spec.worlds_count = done["count"] = count
    if worlds is not None or (count is not None and spec.world_record):
        import yaml

        ref = worlds if worlds is not None else spec.world_record["path"]
        issues = IssueList("--worlds")
        node = yaml.ScalarNode("tag:yaml.org,2002:str", str(Path(ref).resolve()))
        node.start_mark = node.end_mark = yaml.Mark("--worlds", 0, 0, 0, None, None)
        set_worlds(spec, node, cm, issues)
        if issues:
            raise InputError([f"--worlds {ref}: {i.message}" for i in issues])
        if worlds is not None:
            done["worlds"] = str(worlds)
            spec.worlds_ref = str(worlds)
    return done


def run_policy(
    path,
    model=None,
    runs_dir=None,
    fresh=False,
    progress=True,
    plots=True,
    command=None,
    engine="compiled",
    seed=None,
    population=None,
    generations=None,
    worlds=None,
    count=None,
    on_batch=None,
) -> PolicyOutput:
    """Run a policy file end to end (see the module docstring).

    ``on_batch(k)`` is called after batch ``k`` is saved (tests use it to interrupt).
    """
    from ..engine import CompiledModel, compile_model
    from ..workflow.runner import find_model
    from .policy_out import write_outputs

    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    cm = model if isinstance(model, CompiledModel) else compile_model(find_model(model))
    spec = load_policy(path, cm, runs_root=runs_root(runs_dir), read_worlds=worlds is None)
    overrides = apply_overrides(spec, cm, seed, population, generations, worlds, count)
    scenario = load_scenario(spec.scenario_path, model=cm)
    base = resolve_params(cm, scenario)
    obs_path = default_observations_path(spec.scenario_path)
    obs = load_observations(obs_path, model=cm) if obs_path else None
    last_obs = max((o.time for o in obs.fitted), default=None) if obs is not None else None
    problem = PolicyProblem(cm, spec, base, last_obs, engine=engine)
    d = len(problem.columns)
    pop = (
        spec.population + spec.population % 2
        if spec.optimizer == "nsga2"
        else int(np.ceil(spec.population / d)) * d
    )
    gens = spec.generations
    runs_est = (1 + spec.reference_policies + pop * (gens + 1)) * problem.W
    report_progress(
        f"policy search '{spec.name}': {d} decision variables, "
        f"{len(spec.objectives)} objective(s) ({spec.optimizer}), "
        f"{problem.W} world(s); {pop} policies x {problem.W} worlds per "
        f"generation, up to {gens} generations: at most {runs_est:,} runs",
        progress,
    )
    early = [
        lv.label
        for lv, s0 in zip(spec.levers, problem.starts)
        if last_obs is not None and (lv.start[0] if lv.timed else s0) < last_obs - 1e-9
    ]
    if early:
        report_progress(
            f"  note: {', '.join(early)} may act before the last fitted observation "
            f"({last_obs:g}): the policy rewrites observed history",
            progress,
        )
    state = _state(spec, cm, scenario, overrides)
    partial = None if fresh else find_partial(spec, state, runs_root(runs_dir))
    with new_run_dir("optimize", spec.name, runs_dir=runs_dir, keep_partial=True) as rd:
        if partial is not None:
            rd.discard()
            rd.path = partial
            report_progress(
                f"resuming {partial.name}: replaying "
                f"{len(list((partial / 'chunks').glob('*.npz')))} saved batches",
                progress,
            )
        else:
            (rd.path / "chunks").mkdir()
            (rd.path / STATE).write_text(json.dumps(state, indent=1))
        cache = BatchCache(rd.path / "chunks", problem, progress)
        t_sim = time.perf_counter()
        base_out = cache(None)
        ref_X = np.zeros((0, d))
        if spec.reference_policies:
            from scipy.stats import qmc

            u = qmc.LatinHypercube(d=d, rng=np.random.default_rng([spec.seed, 1])).random(
                spec.reference_policies
            )
            ref_X = problem.bounds[:, 0] + u * np.ptp(problem.bounds, axis=1)
            keep = problem.no_change_row()  # so a front can end at "no change"
            if keep is not None:
                ref_X = np.vstack([keep, ref_X])
            ref_out = cache(ref_X)
            reference = best_per_world(spec, [base_out, ref_out])
        else:
            reference = best_per_world(spec, [base_out])
        base_stats = statistics(spec, base_out, reference)
        scale = {o.name: _scale(base_stats[o.name][0], base_out[o.name]) for o in spec.objectives}
        history = []

        def evaluate(X):
            outs = cache(X)
            st = statistics(spec, outs, reference)
            F = np.column_stack(
                [pm.to_loss(st[o.name], o.stat, o.sense) / scale[o.name] for o in spec.objectives]
            )
            return F, violation(spec, st, outs["nonfinite"])

        def on_generation(g, X, F, CV):
            feas = CV <= 0
            best = (
                float(np.nanmin(F[feas, 0])) if feas.any() and len(spec.objectives) == 1 else None
            )
            prev = [h["best_scaled_loss"] for h in history if h["best_scaled_loss"] is not None]
            if best is not None and prev:
                best = min(best, min(prev))  # best so far
            history.append(
                {
                    "generation": g,
                    "feasible": int(feas.sum()),
                    "policies": len(X),
                    "best_scaled_loss": best,
                }
            )
            el = time.perf_counter() - t_sim
            left = el / (g + 1) * max(gens - g, 0)
            report_progress(
                f"  generation {g}/{gens}: {int(feas.sum())}/{len(X)} feasible"
                + (f", best {best:.4g} (x baseline)" if best is not None else "")
                + f" ({el:.1f} s, about {left:.0f} s left)",
                progress,
            )
            if on_batch is not None:
                on_batch(cache.k - 1)

        rng = np.random.default_rng(spec.seed)
        if spec.optimizer == "de":
            pm.differential_evolution(
                evaluate,
                problem.bounds.tolist(),
                pop,
                gens,
                rng,
                tol=spec.tolerance,
                on_generation=on_generation,
            )
        else:
            pm.nsga2(evaluate, problem.bounds.tolist(), pop, gens, rng, on_generation=on_generation)
        timings = {"search": time.perf_counter() - t_sim}
        tw = time.perf_counter()
        out = write_outputs(
            rd.path, spec, problem, cache, base_out, ref_X, history, cm, scenario, plots=plots
        )
        timings["tables_and_plots"] = time.perf_counter() - tw
        shutil.rmtree(rd.path / "chunks")
        (rd.path / STATE).unlink()
        n_runs = sum(x.shape[0] if x.shape[1] else 1 for x, _ in cache.archive) * problem.W
        out.n_runs, out.resumed_batches, out.timings = n_runs, cache.replayed, timings
        out.elapsed = time.perf_counter() - t0
        ran_engine, engine_extra = engine_record(problem.ran or {"replayed"}, engine)
        manifest = build_manifest(
            "optimize",
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
                "policy": {
                    **file_record(spec.path),
                    "description": spec.description,
                    "optimizer": spec.optimizer,
                    "population": pop,
                    "generations": gens,
                    "reference_policies": spec.reference_policies,
                    "decision_variables": problem.columns,
                    "lever_default_start": last_obs,
                    "objectives": [
                        f"{o.sense} {o.stat.label} of {o.label}" for o in spec.objectives
                    ],
                    "constraints": [c.label for c in spec.constraints],
                    "command_line_overrides": overrides,
                },
                "worlds": {
                    "count": problem.W,
                    "source": spec.worlds_ref or "baseline",
                    **(spec.world_record or {}),
                },
                **engine_extra,
                "runs": n_runs,
                "batches_replayed_on_resume": cache.replayed,
                "timings_s": {k: round(v, 3) for k, v in timings.items()},
            },
        )
        write_manifest(rd.path, manifest)
    out.run_dir = rd.final_path
    return out


def _scale(stat, values) -> float:
    """Size of an objective, to scale losses near 1: the no-change statistic, else the
    no-change mean outcome, else 1."""
    for s in (
        stat,
        np.nanmean(np.where(np.isfinite(values), values, np.nan))
        if np.isfinite(values).any()
        else np.nan,
    ):
        if np.isfinite(s) and abs(s) > 0:
            return float(abs(s))
    return 1.0
