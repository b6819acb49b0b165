"""The runner: scenarios in, results + summary + fit + a run folder out.

``run_scenarios`` is the library API behind ``aigap run`` and ``aigap compare``:
every input (model, scenarios, ``--set`` values, observations) is validated before
anything is simulated or written.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..observations import Observations, default_observations_path, fit_table, load_observations
from ..core.log import get_logger
from ..core.keys import DEFAULT_SCENARIOS, PROFILE as DEFAULT_PROFILE
from ..core.profile import Profile, profile_path
from ..scenarios import InputError, ScenarioError, load_scenario, resolve_params
from ..scenarios.profile_file import profile_for
from .manifest import build_manifest, scenario_record, engine_record, write_manifest
from .budget import check_job_size, check_time_grid, job_size
from .rundir import new_run_dir, runs_root
from .project import MODEL_FILE, checkout_dir, project_file
from .summary import summary_frame

if TYPE_CHECKING:
    import pandas as pd

    from ..engine import CompiledModel, SimulationResult
    from ..scenarios import Scenario

log = get_logger(__name__)
ENGINES = ("auto", "numpy", "compiled", "pysd")
METHODS = ("euler", "rk4")
MODEL_ENV = "AIGAP_MODEL"
DEFAULT_MODEL = MODEL_FILE


def project_root() -> Path:
    """The source checkout holding the package (see :mod:`aigap.workflow.project`)."""
    return checkout_dir()


def find_model(model: Path | str | None = None) -> Path:
    """``model``, else ``$AIGAP_MODEL``, else ``model/ai_gap.mdl`` of the project folder
    (``--project``/``$AIGAP_PROJECT``, else ``.``, the checkout, the installed copy)."""
    if model:
        if not Path(model).is_file():
            raise InputError([f"{model}: model file not found"])
        return Path(model)
    if os.environ.get(MODEL_ENV):
        return find_model(os.environ[MODEL_ENV])
    return project_file(MODEL_FILE, "model (or use --model PATH)")


def scenarios_dir() -> Path:
    """``scenarios/`` of the project folder (see :func:`aigap.workflow.project.project_file`)."""
    return project_file("scenarios", "scenario folder")


def default_scenario_paths(
    folder: Path | str | None = None, profile: Profile | None = None
) -> list[Path]:
    """The named scenarios of the headline comparison: the profile's ``default_scenarios``
    (default the shipped model's six), each ``<name>.yaml`` in ``folder``, else beside the
    profile file or in ``scenarios/`` next to its folder, else in the project's scenarios."""
    names = profile.default_scenarios if profile is not None else DEFAULT_SCENARIOS
    if not names:
        raise InputError(
            [
                f"{profile.path or 'the model'}: the profile lists no "
                "default_scenarios; name the scenario files to compare"
            ]
        )
    if folder is not None:
        return [Path(folder) / f"{name}.yaml" for name in names]
    here = Path(profile.path).parent if profile is not None and profile.path else None
    candidates = [here, here.parent / "scenarios"] if here is not None else []
    out = []
    for name in names:
        found = next(
            (c / f"{name}.yaml" for c in candidates if (c / f"{name}.yaml").is_file()), None
        )
        out.append(found or scenarios_dir() / f"{name}.yaml")
    return out


@dataclass
class RunOutput:
    """What a run/compare produced (results in memory, files in ``run_dir``)."""

    kind: str
    name: str
    model: CompiledModel
    scenarios: list[Scenario]
    params: dict
    results: dict[str, SimulationResult]
    summary: pd.DataFrame
    fit: pd.DataFrame | None = None
    observations: Observations | None = None
    profile: Profile | None = None
    run_dir: Path | None = None
    manifest: dict = field(default_factory=dict)
    elapsed: float = 0.0


def load_inputs(
    paths: Sequence[Path | str],
    model: CompiledModel,
    sets: Sequence[str] = (),
    observations: Path | str | None = "auto",
) -> tuple[list[Scenario], dict, Observations | None]:
    """Validate everything up front: ``(scenarios, params, observations)``.

    Raises one InputError listing the problems of every file.
    """
    scenarios, params, issues = [], {}, []
    for path in paths:
        try:
            sc = load_scenario(path, model=model)
        except ScenarioError as exc:
            issues.extend(i for i in exc.issues if i not in issues)
            continue
        scenarios.append(sc)
    names = [s.name for s in scenarios]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        issues.append(f"scenario name(s) used twice: {', '.join(dups)}")
    if issues:
        raise ScenarioError(issues)
    for sc in scenarios:
        params[sc.name] = resolve_params(model, sc, sets)
    if not scenarios:
        params[None] = resolve_params(model, None, sets)
    if observations == "auto":
        observations = default_observations_path(paths[0]) if paths else None
    obs = load_observations(observations, model=model) if observations else None
    return scenarios, params, obs


def simulate_one(
    model: CompiledModel,
    params: Mapping[str, Any] | None,
    engine: str = "auto",
    method: str = "euler",
    time_step: float | None = None,
) -> SimulationResult:
    """One deterministic run of ``model`` with ``params`` on the chosen engine."""
    if engine not in ENGINES:
        raise InputError([f"unknown engine '{engine}' (choose {', '.join(ENGINES)})"])
    if method not in METHODS:
        raise InputError([f"unknown method '{method}' (choose {' or '.join(METHODS)})"])
    if engine == "pysd":
        if method != "euler":
            raise InputError(["--engine pysd integrates with euler only; drop --method rk4"])
        from ..engine.backends.pysd import simulate_pysd

        return simulate_pysd(model.path, params=params, n_runs=1, time_step=time_step, model=model)
    return model.simulate(
        params=params, n_runs=1, method=method, time_step=time_step, engine=engine
    )


def run_scenarios(
    paths: Iterable[Path | str],
    engine: str = "auto",
    method: str = "euler",
    sets: Sequence[str] = (),
    model: CompiledModel | Path | str | None = None,
    runs_dir: Path | str | None = None,
    observations: Path | str | None = "auto",
    kind: str | None = None,
    name: str | None = None,
    write: bool = True,
    plots: bool = True,
    time_step: float | None = None,
    command: Sequence[str] | None = None,
    progress: Callable[[int, int, str], object] | None = None,
    allow_large: bool = False,
) -> RunOutput:
    """Simulate scenario files and write a run folder.

    Parameters
    ----------
    paths : list of str or Path
        Scenario files (one for ``run``, several for ``compare``).
    engine : {"auto", "numpy", "compiled", "pysd"}
        ``auto`` (default: the engine's choice, numpy for single runs), the vectorized
        numpy engine, the compiled (numba) kernels or PySD (the reference, slow). The
        manifest records the backend that ran (``res.meta["engine"]``).
    method : {"euler", "rk4"}
    sets : list of str
        ``"NAME=VALUE"`` / ``"NAME[CN]=VALUE"``, applied on top of every scenario.
    model : CompiledModel or path, optional
        Default: :func:`find_model`.
    runs_dir : path, optional
        Parent of the run folder (default ``$AIGAP_RUNS_DIR`` or ``runs``).
    observations : path, "auto" or None
        Observation file for the fit; "auto" uses ``<scenario folder>/data/observations.yaml``.
    kind, name : str, optional
        ``run`` for one scenario, ``compare`` for several; name defaults to the
        scenario name (``run``) or ``compare``.
    write, plots : bool
        Write the run folder / its PNGs.
    progress : callable, optional
        Called as ``progress(k, n, scenario_name)`` before each simulation.
    allow_large : bool
        Run even when the size/time estimate exceeds the available memory, disk or an hour.

    Returns
    -------
    RunOutput
    """
    from ..engine import CompiledModel, compile_model

    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    paths = [Path(p) for p in paths]
    cm = model if isinstance(model, CompiledModel) else compile_model(find_model(model))
    scenarios, params, obs = load_inputs(paths, cm, sets, observations)
    kind = kind or ("run" if len(scenarios) == 1 else "compare")
    name = name or (scenarios[0].name if kind == "run" else "compare")
    profile = profile_for(cm)
    check_contract(cm, profile)
    if time_step is not None:  # the model's own grid is the modeller's choice
        check_time_grid(cm, time_step)
    check_job_size(
        job_size(cm, max(len(scenarios), 1), None, time_step),
        allow_large,
        runs_root(runs_dir) if write else None,
    )
    results = {}
    for k, sc in enumerate(scenarios):
        if progress is not None:
            progress(k, len(scenarios), sc.name)
        results[sc.name] = simulate_one(cm, params[sc.name], engine, method, time_step)
    check_finite(results)
    units = {n: v.units for n, v in cm.variables.items()}
    summary = summary_frame(results, units=units, profile=profile)
    fit = None
    if obs is not None and obs.fitted:
        import pandas as pd

        fit = pd.concat(
            [fit_table(obs, res).assign(scenario=s) for s, res in results.items()],
            ignore_index=True,
        )
        fit = fit[["scenario", *[c for c in fit.columns if c != "scenario"]]]
    out = RunOutput(
        kind=kind,
        name=name,
        model=cm,
        scenarios=scenarios,
        params=params,
        results=results,
        summary=summary,
        fit=fit,
        observations=obs,
        profile=profile,
    )
    if write:
        with new_run_dir(kind, name, runs_dir=runs_dir) as rd:
            write_tables(rd.path, out)
            snapshot_inputs(rd.path / "inputs", cm.path, scenarios, obs)
            if plots:
                from ..plotting import plot_run_outputs

                plot_run_outputs(rd.path, out)
            out.elapsed = time.perf_counter() - t0
            ran_engine, engine_extra = engine_record(
                (r.meta.get("engine") for r in results.values()), engine
            )
            out.manifest = build_manifest(
                kind,
                name,
                started,
                model=cm,
                engine=ran_engine,
                method=method,
                time_step=time_step or cm.time_step,
                seed=None,
                observations=obs.path if obs else None,
                command=command if command is not None else sys.argv,
                scenarios=[scenario_record(s) for s in scenarios],
                extra={
                    "sets": list(sets),
                    **engine_extra,
                    "parameters": {s: params[s] for s in params},
                    "outputs": sorted(p.name for p in rd.path.iterdir()),
                },
            )
            write_manifest(rd.path, out.manifest)
        out.run_dir = rd.final_path
    out.elapsed = time.perf_counter() - t0
    return out


def check_contract(cm: CompiledModel, profile: Profile) -> None:
    """The summary tables need the model contract (the profile's summary variables and gap
    ratios, :mod:`aigap.core.profile`). A model with neither a profile file nor any of the
    shipped contract's variables is refused (one line naming the profile to write) instead
    of tables the user never asked for; so is a profile whose variables the model lacks."""
    wanted = profile.table_variables
    target = f"{Path(cm.path).stem}.profile.yaml"
    if profile.path is None:  # derived: the model brought no profile
        raise InputError(
            [
                f"{cm.path}: the model defines none of the contract variables "
                f"({', '.join(DEFAULT_PROFILE.table_variables)}) and has no profile; write "
                f"{target} beside it naming the variables to report (README: Project "
                "profile)"
            ]
        )
    if not wanted or not any(v in cm.variables for v in wanted):
        raise InputError(
            [
                f"{cm.path}: nothing to report: the model defines none of the "
                f"profile's variables ({', '.join(wanted) or 'none'}); fix {target}"
            ]
        )
    missing = [v for v in wanted if v not in cm.variables]
    if missing:
        log.warning(
            "%s lacks contract variable(s) %s; their rows are left out of the tables",
            cm.path,
            ", ".join(missing),
        )


def check_finite(results: dict) -> None:
    """Non-finite outputs mean a broken model or absurd inputs: say which, clearly."""
    for scen, res in results.items():
        bad = [n for n in res.names if not np.all(np.isfinite(res[n]))]
        if bad:
            raise InputError(
                [
                    f"scenario '{scen}': non-finite values in "
                    f"{', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}"
                ]
            )


def results_frame(
    results: Mapping[str, SimulationResult], region_dim: str | None = None
) -> pd.DataFrame:
    """Tidy results of every scenario: scenario, time, variable, region, [other ranges], value.

    ``region`` holds the element of the profile's region range (``region_dim``, default the
    shipped model's ``Region``; "" for variables without it); any other subscript range
    gets its own column.
    """
    import pandas as pd

    region_dim = region_dim or DEFAULT_PROFILE.region_dimension

    frames = []
    for scen, res in results.items():
        df = res.to_frame()
        subs = [c for c in df.columns if c not in ("run", "time", "variable", "value")]
        cols = {
            "scenario": scen,
            "time": df["time"],
            "variable": df["variable"],
            "region": df[region_dim].fillna("") if region_dim in subs else "",
        }
        cols.update({d: df[d].fillna("") for d in subs if d != region_dim})
        cols["value"] = df["value"]
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def snapshot_inputs(
    folder: Path, model_path: Path | str, scenarios: Sequence[Scenario], obs: Observations | None
) -> list[str]:
    """Copy the model, every scenario file of every chain and the observation file into
    ``folder`` so a run folder can be re-run even after the sources change.

    ``aigap run <folder>/<scenario file> --model <folder>/<model file>`` reproduces the
    run: scenario files keep their names where they can, every ``extends`` resolves to
    the copied parent (a copy whose parent had to be renamed, or was named by a path
    outside ``folder``, gets its ``extends`` value rewritten to the copy's file name),
    and the observation file goes to ``data/observations.yaml``, the default place.
    Returns the copied files relative to ``folder``.
    """
    import shutil

    folder.mkdir()
    copied: dict = {}  # source (resolved) -> name in folder

    def place(src: Path) -> str:
        if src not in copied:
            taken = set(copied.values())
            name, k = src.name, 2
            while name in taken:
                name, k = f"{src.stem}-{k}{src.suffix}", k + 1
            copied[src] = name
        return copied[src]

    place(Path(model_path).resolve())
    if profile_path(model_path).is_file():  # the contract the tables were made with
        place(profile_path(model_path).resolve())
    for sc in scenarios:
        for f in sc.files:
            place(Path(f).resolve())
    for src, name in copied.items():
        shutil.copyfile(src, folder / name)
    for sc in scenarios:
        chain = [Path(f).resolve() for f in sc.files]
        for parent, child in zip(chain, chain[1:]):
            _point_extends(folder / copied[child], folder / copied[parent])
    out = list(copied.values())
    if obs is not None:
        (folder / "data").mkdir()
        shutil.copyfile(obs.path, folder / "data" / "observations.yaml")
        out.append("data/observations.yaml")
    return out


def _point_extends(child: Path, parent: Path) -> None:
    """Rewrite ``extends:`` in the copy ``child`` unless it already resolves to ``parent``
    (only the value's characters change: line numbers stay those of the source)."""
    import yaml

    from ..scenarios.loader import find_parent

    text = child.read_text(encoding="utf-8")
    root = yaml.compose(text)
    node = next(v for k, v in root.value if k.value == "extends")
    if find_parent(node.value, child).resolve() == parent.resolve():
        return
    a, b = node.start_mark.index, node.end_mark.index
    child.write_text(text[:a] + parent.name + text[b:], encoding="utf-8")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as spreadsheet formulas: a cell
    starting with ``= + - @``, tab or CR (e.g. a scenario named ``=HYPERLINK(...)``) gets a
    leading ``'`` (the OWASP CSV-injection rule); numbers are untouched."""
    import pandas as pd

    frame = frame.copy()
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = [
                f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v
                for v in frame[col]
            ]
    return frame


def write_tables(folder: Path, out: RunOutput) -> None:
    """results.csv, summary.csv and fit.csv (when observations exist)."""
    res = results_frame(out.results, out.profile.region_dimension if out.profile else None)
    if out.kind == "run":
        res = res.drop(columns="scenario")
    csv_safe(res).to_csv(folder / "results.csv", index=False, float_format="%.10g")
    csv_safe(out.summary).to_csv(folder / "summary.csv", index=False, float_format="%.10g")
    if out.fit is not None:
        csv_safe(out.fit).to_csv(folder / "fit.csv", index=False, float_format="%.10g")
