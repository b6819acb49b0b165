"""Tables and ready scenario files of a finished policy search (``aigap optimize``).

Run folder: ``policy.yaml`` (copy), ``evaluations.csv`` (every policy evaluated),
``best.csv`` (one objective: the top policies) or ``pareto.csv`` (several: the feasible
Pareto front), ``worlds.csv`` (each objective in every world for the no-change policy and
the top policies), ``levers.csv`` (the levers' spread over the best / front policies),
``policies/policy_K.yaml`` (ready scenarios: they extend the base scenario and set the
levers; they run the policy in the base scenario's world), ``convergence.csv`` and plots.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from ..engine import TimeSeries
from . import policy as pm

__all__ = ["write_outputs", "scenario_text", "choose_top"]


def _archive(cache, has_ref: bool):
    """All evaluated policies except the no-change one: ``X (N, d)``, outcomes, stage."""
    Xs, outs, stage = [], {}, []
    for k, (X, o) in enumerate(cache.archive[1:], start=1):
        Xs.append(X)
        label = "reference" if (has_ref and k == 1) else f"generation {k - 1 - has_ref}"
        stage += [label] * X.shape[0]
        for name, v in o.items():
            outs.setdefault(name, []).append(v)
    return np.vstack(Xs), {k: np.concatenate(v) for k, v in outs.items()}, np.array(stage)


def choose_top(F: np.ndarray, cv: np.ndarray, k: int, multi: bool) -> np.ndarray:
    """Row indices of the top policies: one objective, the ``k`` best feasible; several,
    the feasible Pareto front sorted by the first objective, thinned to ``k`` evenly
    spaced members (both ends kept). Infeasible ones only when none is feasible."""
    feas = np.flatnonzero(cv <= 0)
    pool = feas if feas.size else np.argsort(cv, kind="stable")[: max(k, 1)]
    if not multi:
        return pool[np.argsort(F[pool, 0], kind="stable")][:k]
    front = pool[pm.pareto_mask(F[pool])]
    front = front[np.argsort(F[front, 0], kind="stable")]
    if front.size <= k:
        return front
    return front[np.unique(np.round(np.linspace(0, front.size - 1, k)).astype(int))]


def _unique_rows(D: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct decoded policy."""
    _, first = np.unique(np.round(D, 12), axis=0, return_index=True)
    return np.sort(first)


def write_outputs(
    folder: Path, spec, problem, cache, base_out, ref_X, history, cm, scenario, plots=True
):
    """Write every table, the scenarios and the plots; returns a PolicyOutput."""
    import pandas as pd

    from .policy_job import PolicyOutput, best_per_world, statistics, violation

    shutil.copyfile(spec.path, folder / "policy.yaml")
    X, outs, stage = _archive(cache, len(ref_X) > 0)
    vals, starts = problem.decode(X)
    D = np.column_stack([vals] + [starts[:, [j]] for j, lv in enumerate(spec.levers) if lv.timed])
    keep = _unique_rows(D)
    X, D, stage, vals, starts = X[keep], D[keep], stage[keep], vals[keep], starts[keep]
    outs = {k: v[keep] for k, v in outs.items()}
    ref = best_per_world(spec, [base_out, outs])
    st, base_st = statistics(spec, outs, ref), statistics(spec, base_out, ref)
    cv = violation(spec, st, outs["nonfinite"])
    F = np.column_stack([pm.to_loss(st[o.name], o.stat, o.sense) for o in spec.objectives])
    multi = len(spec.objectives) > 1
    cols = [lv.label for lv in spec.levers] + [f"{lv.label} from" for lv in spec.levers if lv.timed]
    ev = pd.DataFrame(D, columns=cols)
    ev.insert(0, "stage", stage)
    ev.insert(0, "policy", np.arange(len(ev)))
    for o in spec.objectives:
        ev[o.name] = st[o.name]
    for c in spec.constraints:
        ev[c.name] = st[c.name]
    ev["violation"] = cv
    ev["feasible"] = cv <= 0
    if multi:
        rank = np.full(len(ev), -1)
        feas = np.flatnonzero(cv <= 0)
        rank[feas] = pm.nondominated_sort(F[feas])
        ev["pareto_rank"] = rank
    ev.to_csv(folder / "evaluations.csv", index=False, float_format="%.8g")
    top = choose_top(F, cv, spec.top, multi)
    best = ev.iloc[top].copy()
    best.insert(1, "rank", np.arange(1, len(best) + 1))
    for o in spec.objectives:
        b = float(base_st[o.name][0])
        best[f"{o.name}_vs_no_change"] = best[o.name] - b
    if multi:
        front = np.flatnonzero(ev["pareto_rank"].to_numpy() == 0)
        front = front[np.argsort(F[front, 0], kind="stable")]
        ev.iloc[front].to_csv(folder / "pareto.csv", index=False, float_format="%.8g")
    best.to_csv(folder / "best.csv", index=False, float_format="%.8g")
    baseline = {name: float(v[0]) for name, v in base_st.items()}
    _worlds_table(folder, spec, base_out, outs, top)
    spread_idx = np.flatnonzero(ev["pareto_rank"].to_numpy() == 0) if multi else _best_decile(F, cv)
    lev = pd.DataFrame(
        {
            "decision": cols,
            "low": problem.bounds[:, 0],
            "high": problem.bounds[:, 1],
            "best": D[top[0]] if len(top) else np.nan,
            "spread_on_front" if multi else "spread_in_best_decile": pm.lever_spread(
                D[spread_idx], problem.bounds
            )
            if spread_idx.size
            else np.nan,
        }
    )
    lev.to_csv(folder / "levers.csv", index=False, float_format="%.6g")
    pd.DataFrame(history).to_csv(folder / "convergence.csv", index=False, float_format="%.8g")
    (folder / "policies").mkdir()
    for r, i in enumerate(top, start=1):
        text = scenario_text(
            spec,
            problem,
            cm,
            scenario,
            vals[i],
            starts[i],
            r,
            best.iloc[r - 1],
            folder / "policies",
        )
        (folder / "policies" / f"policy_{r}.yaml").write_text(text)
    if plots:
        from .policy_plots import policy_plots

        policy_plots(
            folder,
            spec,
            ev,
            F,
            cv,
            top,
            base_st,
            base_out,
            outs,
            D,
            cols,
            problem.bounds,
            history,
            spread_idx,
        )
    return PolicyOutput(spec=spec, evaluations=ev, best=best, baseline=baseline, n_worlds=problem.W)


def _best_decile(F, cv):
    feas = np.flatnonzero(cv <= 0)
    if not feas.size:
        return feas
    n = max(3, int(np.ceil(0.1 * feas.size)))
    return feas[np.argsort(F[feas, 0], kind="stable")][:n]


def _worlds_table(folder, spec, base_out, outs, top):
    import pandas as pd

    rows = []
    for label, src, i in [("no change", base_out, 0)] + [
        (f"policy_{r}", outs, j) for r, j in enumerate(top, start=1)
    ]:
        frame = {"policy": label, "world": np.arange(src[spec.objectives[0].name].shape[1])}
        for item in (*spec.objectives, *spec.constraints):
            frame[item.name] = src[item.name][i]
        rows.append(pd.DataFrame(frame))
    pd.concat(rows).to_csv(folder / "worlds.csv", index=False, float_format="%.8g")


def _fmt(x: float) -> str:
    return repr(float(x))


def _element_spec(b_el, lv, s, v, t0):
    """The scenario value of one element: a number, a step, a ramp, or points."""
    from .policy_job import STEP_EPS

    if s <= t0 and lv.ramp <= 0:
        return _fmt(v)
    if not isinstance(b_el, tuple):
        if lv.ramp <= 0:
            return f"{{step: {{time: {_fmt(s)}, before: {_fmt(b_el)}, after: {_fmt(v)}}}}}"
        return (
            f"{{ramp: {{start: {_fmt(s)}, end: {_fmt(s + lv.ramp)}, from: {_fmt(b_el)}, "
            f"to: {_fmt(v)}}}}}"
        )
    times, values = b_el
    a, e = (s - STEP_EPS, s) if lv.ramp <= 0 else (s, s + lv.ramp)
    pts = [(t, y) for t, y in zip(times, values) if t < a]
    pts += [(a, float(np.interp(a, times, values))), (e, v)]
    return "{points: [" + ", ".join(f"[{_fmt(t)}, {_fmt(y)}]" for t, y in pts) + "]}"


def scenario_text(spec, problem, cm, scenario, vals, starts, rank, row, where: Path) -> str:
    """A ready scenario: extends the base scenario and sets each lever of one policy."""
    extends = os.path.relpath(Path(spec.scenario_path).resolve(), where.resolve())
    obj = "; ".join(
        f"{o.sense} {o.stat.label} of {o.label} = {row[o.name]:.4g}" for o in spec.objectives
    )
    lines = [
        f"# Policy {rank} of the search '{spec.name}' ({spec.path.name}, seed {spec.seed}).",
        f"# Over {problem.W} world(s): {obj}.",
        "# This scenario runs the policy in the base scenario's world (aigap run FILE).",
        f"description: >-\n  {spec.description.strip()} Policy {rank}: "
        + ", ".join(
            f"{lv.label} {vals[j]:.3g} from {starts[j]:g}"
            + (f" (ramp {lv.ramp:g} y)" if lv.ramp > 0 else "")
            for j, lv in enumerate(spec.levers)
        )
        + ".",
        f"extends: {extends}",
        "constants:",
    ]
    by_const = {}
    for j, lv in enumerate(spec.levers):
        by_const.setdefault(lv.constant, []).append(j)
    for name, js in by_const.items():
        info = cm.constants[name]
        b = problem.base.get(name, np.asarray(info.default, dtype=float))
        elems = list(cm.dims[info.dims[0]]) if info.dims else [None]
        per = {}
        for j in js:
            lv = spec.levers[j]
            for k, el in enumerate(elems):
                if lv.element is not None and el != lv.element:
                    continue
                per[el] = _element_spec(
                    _base_el(b, k, info), lv, float(starts[j]), float(vals[j]), cm.initial_time
                )
        if list(per) == [None]:
            lines.append(f"  {name}: {per[None]}")
        else:
            lines.append(f"  {name}:")
            lines += [f"    {el}: {txt}" for el, txt in per.items()]
    return "\n".join(lines) + "\n"


def _base_el(b, k, info):
    """Element ``k`` of a base value: a float, or ``(times, values)`` when time-varying."""
    if isinstance(b, TimeSeries):
        v = np.asarray(b.values).reshape(-1, b.times.size)
        return (tuple(b.times), tuple(v[k if info.dims else 0]))
    a = np.asarray(b, dtype=float).reshape(-1)
    return float(a[k if a.size > 1 else 0])
