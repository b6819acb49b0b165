"""``aigap compare --posterior RUN`` / ``aigap run --posterior RUN``: gaps over posterior draws.

Every scenario is simulated once per posterior draw (``RUN/draws.csv`` of an ``aigap
posterior`` folder), the SAME draws in every scenario, so that the scenarios are compared
world by world (:mod:`aigap.analysis.paired`). A draw sets the posterior's constants; each
scenario's own levers are applied on top of it:

* a posterior constant the scenario does not override takes the draw's value throughout;
* a posterior constant the scenario (or ``--set``) overrides keeps the draw's value up to
  the lever's start time and the scenario's value from then on. The start time of a
  time-varying lever (points / step / ramp) is its first point; a constant override acts
  from the last observation the posterior was fitted to (the data-conditioned history is
  not rewritten).

The posterior folder must come from the same model (``manifest.json`` ``model.sha256``);
otherwise it is refused before anything runs.

Run folder ``runs/<ts>-compare-posterior/`` (``run-posterior-<scenario>`` for ``run``):
``gaps.csv`` (scenario, gap, year, median and 5/25/75/95% over the draws),
``probabilities.csv`` (per scenario and gap, 2030: paired P(gap below the baseline's),
P(narrowest of all scenarios), median paired ratio to the baseline), ``gap_draws.npz``
(every draw's year-end gaps, per scenario), ``drivers.csv`` (sensitivity over the
posterior: per scenario, gap and constant, Spearman and partial rank correlation of the 2030
gap with the constant across the data-consistent draws; see
:func:`aigap.analysis.paired.rank_drivers` for why not Sobol), ``fan_gaps.png`` and
``manifest.json`` (with the posterior folder's draws.csv sha256).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..scenarios import InputError, load_scenario, resolve_params
from ..core.errors import closest
from ..core.keys import GAPS
from ..workflow.manifest import (
    build_manifest,
    scenario_record,
    engine_record,
    file_record,
    write_manifest,
)
from ..workflow.rundir import new_run_dir
from ..workflow.summary import YEARS
from .conditions import year_to_time
from .ensemble import design_params
from .paired import paired_probabilities, quantile_rows, rank_drivers
from .problem import split_label
from .sweep_file import Uncertain

__all__ = [
    "PosteriorDraws",
    "load_posterior_folder",
    "compare_posterior",
    "PosteriorCompare",
    "lever_columns",
    "year_end_matrix",
    "GAP_YEAR",
]

GAP_YEAR = 2030  # the year of the paired probabilities
NON_PARAMETER = ("log_post", "payoff", "run")


@dataclass
class PosteriorDraws:
    """The draws of an ``aigap posterior`` folder, checked against a model."""

    path: Path
    targets: list  # Uncertain per column (constant, element)
    X: np.ndarray  # (draws, columns)
    manifest: dict
    lever_start: float | None
    converged: bool | None
    draws_sha256: str

    @property
    def labels(self) -> tuple:
        """Column labels ``Name`` / ``Name[ELEM]``."""
        return tuple(u.label for u in self.targets)


def load_posterior_folder(path, cm, option: str = "--posterior") -> PosteriorDraws:
    """Read and check a posterior run folder; every problem -> InputError (exit 2).

    The folder needs ``manifest.json`` of kind ``posterior`` whose ``model.sha256`` is
    the model's, and ``draws.csv`` whose columns are model constants (``log_post`` is
    ignored).
    """
    import pandas as pd

    p = Path(path)
    if not p.is_dir():
        raise InputError([f"{option} {p}: not a folder (give an `aigap posterior` run folder)"])
    mpath, dpath = p / "manifest.json", p / "draws.csv"
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, ValueError):
        raise InputError(
            [
                f"{mpath}:1: manifest: missing or unreadable ({option} needs an "
                "`aigap posterior` run folder)"
            ]
        ) from None
    if manifest.get("kind") != "posterior":
        raise InputError(
            [
                f"{mpath}:1: kind: expected 'posterior', got "
                f"'{manifest.get('kind')}' ({option} needs an `aigap posterior` "
                "run folder)"
            ]
        )
    sha = (manifest.get("model") or {}).get("sha256")
    if sha != cm.model_hash:
        raise InputError(
            [
                f"{mpath}:1: model.sha256: the posterior was sampled on another "
                f"model ({str(sha)[:12]} != {cm.model_hash[:12]} of {cm.path}); "
                "run `aigap posterior` again on this model"
            ]
        )
    try:
        df = pd.read_csv(dpath)
    except (OSError, ValueError) as exc:
        raise InputError([f"{dpath}:1: draws: cannot read ({exc.__class__.__name__})"]) from None
    cols = [c for c in df.columns if c not in NON_PARAMETER]
    if not cols or len(df) < 2:
        raise InputError([f"{dpath}:1: draws: needs parameter columns and >= 2 rows"])
    targets = []
    for c in cols:
        try:
            name, elem = split_label(str(c))
        except ValueError as exc:
            raise InputError([f"{dpath}:1: {c}: {exc}"]) from None
        info = cm.constants.get(name)
        if info is None:
            near = closest(name, cm.constants)
            raise InputError(
                [
                    f"{dpath}:1: {c}: not a model constant"
                    + (f" (did you mean '{near}'?)" if near else "")
                ]
            )
        if elem is not None and not any(elem in cm.dims[d] for d in info.dims):
            raise InputError([f"{dpath}:1: {c}: '{elem}' is not an element of {name}"])
        targets.append(Uncertain(str(c), name, elem, None, 1))
    X = df[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    bad = np.where(~np.isfinite(X).all(axis=1))[0]
    if bad.size:
        raise InputError([f"{dpath}:{bad[0] + 2}: draws: non-numeric or missing value"])
    post = manifest.get("posterior") or {}
    return PosteriorDraws(
        p,
        targets,
        X,
        manifest,
        _last_fitted_time(p),
        post.get("converged"),
        hashlib.sha256(dpath.read_bytes()).hexdigest(),
    )


def _last_fitted_time(folder: Path):
    """Time of the last observation the posterior was fitted to (``fit.csv``, in-sample)."""
    import pandas as pd

    try:
        fit = pd.read_csv(folder / "fit.csv")
    except (OSError, ValueError):
        return None
    if "sample" in fit:
        fit = fit[fit["sample"] == "in"]
    return float(fit["time"].max()) if len(fit) else None


def lever_columns(overrides, targets, lever_start) -> dict:
    """``{column: start time}`` of the posterior columns a scenario's overrides replace.

    A time-varying override starts at its first point; a constant one at ``lever_start``
    (None: from the initial time). The last override of a column wins (precedence order).
    """
    out = {}
    for o in overrides:
        elems = {e for e, _ in o.elements}
        for j, u in enumerate(targets):
            if u.constant != o.constant:
                continue
            if elems and u.element is not None and u.element not in elems:
                continue
            times = getattr(o.value, "times", None)
            out[j] = float(times[0]) if times else lever_start
    return out


def paired_params(cm, scenario, sets, post: PosteriorDraws, X) -> dict:
    """Engine parameters of ``scenario`` for the draws ``X``: module docstring rule."""
    from ..scenarios.params import parse_sets
    from .ensemble import _from

    base = resolve_params(cm, scenario, sets)
    levers = lever_columns(
        tuple(scenario.overrides) + tuple(parse_sets(sets)), post.targets, post.lever_start
    )
    keep = [j for j in range(len(post.targets)) if j not in levers]
    free = [j for j in levers if levers[j] is None or levers[j] <= cm.initial_time]
    keep_all = sorted(set(keep))
    params = design_params(cm, base, [post.targets[j] for j in keep_all], X[:, keep_all])
    timed = {j: t for j, t in levers.items() if j not in free}
    if not timed:
        return params
    # the draw up to the lever's start, the scenario's value after it (per constant)
    drawn = design_params(cm, base, post.targets, X)
    n = X.shape[0]
    for name in dict.fromkeys(post.targets[j].constant for j in timed):
        info = cm.constants[name]
        shape = tuple(len(cm.dims[d]) for d in info.dims)
        t0 = min(t for j, t in timed.items() if post.targets[j].constant == name)
        params[name] = _from(drawn[name], params[name], n, shape, t0)
    return params


def year_end_matrix(time_axis, y, years=YEARS) -> np.ndarray:
    """Year-end values ``(runs, len(years))`` of ``y (runs, T)`` (linear interpolation)."""
    t = np.asarray(time_axis, float)
    tt = np.array([year_to_time(yr) for yr in years])
    i = np.clip(np.searchsorted(t, tt), 1, t.size - 1)
    w = (tt - t[i - 1]) / (t[i] - t[i - 1])
    y = np.asarray(y, float).reshape(y.shape[0], t.size)
    return y[:, i - 1] * (1 - w) + y[:, i] * w


@dataclass
class PosteriorCompare:
    """Result of :func:`compare_posterior` (tables are pandas DataFrames)."""

    scenarios: list
    baseline: str
    gaps: object
    probabilities: object
    draws: dict  # {scenario: {gap: (draws, years)}}
    posterior: PosteriorDraws
    run_dir: Path | None = None
    elapsed: float = 0.0
    extra: dict = field(default_factory=dict)


def compare_posterior(
    scenario_paths,
    posterior,
    model=None,
    sets=(),
    runs_dir=None,
    engine: str = "auto",
    plots: bool = True,
    command=None,
    kind: str = "compare",
    max_draws: int | None = None,
    seed: int = 0,
) -> PosteriorCompare:
    """Simulate every scenario over the same posterior draws; write a run folder.

    ``max_draws`` limits the draws (chosen with ``numpy.random.default_rng(seed)``);
    default all of ``draws.csv``. The baseline of the paired probabilities is the scenario
    named ``baseline`` when it is compared, else the first one.
    """
    from ..engine import CompiledModel, compile_model
    from ..workflow.runner import find_model

    import pandas as pd

    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    cm = model if isinstance(model, CompiledModel) else compile_model(find_model(model))
    post = load_posterior_folder(posterior, cm)
    scenarios = [load_scenario(Path(p), model=cm) for p in scenario_paths]
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError([f"{', '.join(dup)}: scenario named twice"])
    if max_draws is not None and max_draws < 2:
        raise InputError([f"--draws {max_draws}: must be >= 2"])
    X = post.X
    if max_draws is not None and max_draws < len(X):
        X = X[np.sort(np.random.default_rng(seed).choice(len(X), max_draws, replace=False))]
    gaps = [g for g in GAPS if g in cm.variables]
    ran, draws, now = set(), {}, []
    present = post.lever_start
    for sc in scenarios:
        params = paired_params(cm, sc, sets, post, X)
        res = cm.simulate(params=params, n_runs=X.shape[0], outputs=gaps, engine=engine)
        ran.add(getattr(res, "meta", {}).get("engine", engine))
        draws[sc.name] = {g: year_end_matrix(res.time, np.asarray(res[g])) for g in gaps}
        if present is not None:
            for g in gaps:
                y = np.asarray(res[g], float).reshape(X.shape[0], res.time.size)
                at = np.array([np.interp(present, res.time, row) for row in y])
                now.append(
                    {"scenario": sc.name, "variable": g, "time": present, **quantile_rows(at)}
                )
    baseline = "baseline" if "baseline" in names else names[0]
    rows, prows = [], []
    for s in names:
        for g in gaps:
            for k, yr in enumerate(YEARS):
                rows.append(
                    {"scenario": s, "variable": g, "year": yr, **quantile_rows(draws[s][g][:, k])}
                )
    k30 = YEARS.index(GAP_YEAR)
    for g in gaps:
        probs = paired_probabilities({s: draws[s][g][:, k30] for s in names}, baseline)
        for s in names:
            prows.append(
                {"scenario": s, "variable": g, "year": GAP_YEAR, "baseline": baseline, **probs[s]}
            )
    drows = []
    for s in names:
        for g in gaps:
            for u, r in zip(post.targets, rank_drivers(X, np.log(draws[s][g][:, k30]))):
                drows.append(
                    {"scenario": s, "variable": g, "year": GAP_YEAR, "parameter": u.label, **r}
                )
    out = PosteriorCompare(
        scenarios, baseline, pd.DataFrame(rows), pd.DataFrame(prows), draws, post
    )
    out.extra["drivers"] = pd.DataFrame(drows)
    out.extra["present"] = pd.DataFrame(now)
    name = "compare-posterior" if kind == "compare" else f"run-posterior-{names[0]}"
    with new_run_dir(kind, name, runs_dir=runs_dir) as rd:
        out.gaps.to_csv(rd.path / "gaps.csv", index=False, float_format="%.6g")
        if len(names) > 1:
            out.probabilities.to_csv(
                rd.path / "probabilities.csv", index=False, float_format="%.6g"
            )
        out.extra["drivers"].to_csv(rd.path / "drivers.csv", index=False, float_format="%.4g")
        if now:
            out.extra["present"].to_csv(rd.path / "present.csv", index=False, float_format="%.6g")
        np.savez_compressed(
            rd.path / "gap_draws.npz",
            years=np.array(YEARS),
            **{f"{s}|{g}": draws[s][g] for s in names for g in gaps},
        )
        if plots:
            from .posterior_plots import plot_gap_fans

            # the base scenario as written (its own constants, no posterior draws)
            sc0 = next(sc for sc in scenarios if sc.name == baseline)
            res0 = cm.simulate(
                params=resolve_params(cm, sc0, sets), n_runs=1, outputs=gaps, engine="numpy"
            )
            own = {g: year_end_matrix(res0.time, np.asarray(res0[g]))[0] for g in gaps}
            plot_gap_fans(
                rd.path / "fan_gaps.png",
                out.gaps,
                baseline,
                f"US/China gaps over {X.shape[0]} posterior draws",
                present=out.extra["present"] if now else None,
                own=own,
            )
        ran_engine, engine_extra = engine_record(ran, engine)
        write_manifest(
            rd.path,
            build_manifest(
                kind,
                name,
                started,
                model=cm,
                engine=ran_engine,
                method="euler",
                time_step=cm.time_step,
                seed=seed if max_draws else None,
                command=command if command is not None else sys.argv,
                scenarios=[scenario_record(s) for s in scenarios],
                extra={
                    "posterior": {
                        "folder": str(post.path),
                        "draws": file_record(post.path / "draws.csv"),
                        "n_draws": int(X.shape[0]),
                        "converged": post.converged,
                        "parameters": list(post.labels),
                        "lever_start": post.lever_start,
                        "baseline": baseline,
                        "sets": list(sets),
                        "rule": "same draw in every scenario; a scenario's override of a posterior "
                        "constant acts from its first point (constant: from the last "
                        "fitted observation)",
                    },
                    **engine_extra,
                },
            ),
        )
    out.run_dir = rd.final_path
    out.elapsed = time.perf_counter() - t0
    return out
