"""`aigap check`: validate scenario, observation, sweep, priors and policy files against the
model.

It sits above the analysis layer because sweep, priors and policy files are validated by it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from ..core.errors import InputError
from ..scenarios import load_scenario


def file_kind(path) -> str:
    """``observations`` (top-level ``observations``), ``sweep`` (``uncertain``/``sampler``),
    ``priors`` (``priors``), ``policy`` (``levers``/``objectives``) or ``scenario``, from
    the top-level keys of a YAML mapping."""
    try:
        node = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "scenario"  # the scenario loader reports the problem with its line
    keys = (
        {getattr(k, "value", None) for k, _ in node.value}
        if isinstance(node, yaml.MappingNode)
        else set()
    )
    if "observations" in keys:
        return "observations"
    if keys & {"uncertain", "sampler"}:
        return "sweep"
    if "priors" in keys:
        return "priors"
    if keys & {"levers", "objectives"}:
        return "policy"
    return "scenario"


def _check_one(path, cm) -> str:
    """Validate one file; returns the 'ok (...)' text or raises InputError."""
    from ..observations import load_observations

    kind = file_kind(path)
    if kind == "observations":
        obs = load_observations(path, model=cm)
        return (
            f"ok (observations: {len(obs.fitted)} fitted, "
            f"{len(obs) - len(obs.fitted)} context only)"
        )
    if kind == "sweep":
        from ..analysis.sweep_file import load_sweep

        load_sweep(path, cm)
        return "ok (sweep)"
    if kind == "priors":
        from ..analysis.priors_file import load_priors

        return f"ok (priors: {len(load_priors(path, cm).uncertain)} constants/elements)"
    if kind == "policy":
        return _check_policy(path, cm)
    sc = load_scenario(path, model=cm)
    parent = f"extends {sc.extends}; " if sc.extends else ""
    return f"ok ({parent}{len(sc.own_overrides)} overrides)"


def _check_policy(path, cm) -> str:
    """A policy file, its base scenario and (when named by path) its worlds' parameter sets.
    ``parameter_sets: latest`` depends on the runs folder at run time: not read here."""
    from ..analysis.policy_file import load_policy
    from ..workflow.rundir import runs_root

    spec = load_policy(path, cm, runs_root=runs_root(), read_worlds=False)
    load_scenario(spec.scenario_path, model=cm)
    if spec.worlds_ref is None:
        worlds = "the baseline world"
    elif spec.worlds_ref == "latest":
        worlds = "worlds from the newest posterior run"
    else:
        spec = load_policy(path, cm, runs_root=runs_root())
        worlds = f"{len(spec.world_sets)} worlds"
    counts = ", ".join(
        f"{len(items)} {name}{'s' * (len(items) != 1)}"
        for name, items in (
            ("lever", spec.levers),
            ("objective", spec.objectives),
            ("constraint", spec.constraints),
        )
    )
    return f"ok (policy: {counts}, {worlds})"


def check_files(files, model=None, out=None, err=None) -> int:
    """Validate scenario, observation, sweep, priors and policy files against the model;
    0 if all valid, else 2 (every problem of every file printed to ``err``, one line each)."""
    out = sys.stdout if out is None else out  # looked up per call, not bound at import
    err = sys.stderr if err is None else err
    from ..engine import compile_model
    from ..workflow.runner import find_model

    cm = compile_model(find_model(model))
    bad = 0
    for f in files:
        try:
            print(f"{f}: {_check_one(f, cm)}", file=out)
        except InputError as exc:
            bad += 1
            for issue in exc.issues:
                print(str(issue), file=err)
    return 2 if bad else 0
