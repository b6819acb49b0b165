"""Sweep files (``scenarios/sweeps/*.yaml``): schema-first loading with file:line errors.

::

    description: How sure is the China embedding route?      # required
    scenario: china_embedding     # base scenario: a name (looked up beside the sweep file,
                                  # then in its parent folder) or a path
    sampler: lhs                  # grid | mc | lhs | sobol            (default lhs)
    runs: 2000                    # not for grid; a power of two for sobol
    levels: 3                     # grid only: points per continuous constant
    seed: 20260601                # required: the only source of randomness
    chunk_size: 1000              # runs per resumable chunk (default 2500)
    saveper: 0.25                 # saved-time step of the stored outputs (default 0.25 year)
    outputs: [Total AI ARR, ARR Gap Ratio]    # default: the key variables
    observations: ../data/observations.yaml   # overlay on fan charts (default: the usual file)
    uncertain:                    # constant -> distribution, or element -> distribution
                                  # (or instead: parameter_sets: FILE.csv, sampler resample:
                                  #  whole rows drawn with replacement, correlations kept)
      Price War Intensity:
        CN: {dist: uniform, low: 0.4, high: 1.0}
      Embedding Push: {dist: triangular, low: 0, mode: 0.3, high: 0.8}   # one draw, all elements
    conditions:                   # structured, never evaluated (see aigap.analysis.conditions)
      - {name: gap_below_50, variable: ARR Gap Ratio, year: 2030, op: "<", value: 50}
    groups:                       # aigap sensitivity: inputs analysed as one factor
      price war: [Price War Intensity, Price War Subsidy Depth]     # (see analysis.groups_file)

Every problem is reported as ``file:line: key: message`` (all of them at once) through the
scenario loader's :class:`~aigap.core.errors.IssueList`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import InputError, IssueList, closest
from ..scenarios.loader import find_parent
from ..scenarios.schema import (
    Override,
    check_constant_name,
    check_elements,
    constant_limits,
    format_range,
)
from ..scenarios.yamlnodes import (
    compose_file,
    construct,
    describe,
    is_mapping,
    is_sequence,
    line_of,
    mapping_items,
    number,
    string,
)
from ..core.keys import KEY_OUTPUTS
from .conditions import Condition, ConditionError, check_condition, condition_from_mapping
from .distributions import Distribution, DistributionError, from_spec
from .groups_file import parse_groups
from .problem import Problem, make_label, split_label
from .samplers import SAMPLERS, SamplerError, check_sampler

TOP_LEVEL_KEYS = (
    "description",
    "name",
    "scenario",
    "sampler",
    "runs",
    "levels",
    "seed",
    "chunk_size",
    "saveper",
    "outputs",
    "observations",
    "uncertain",
    "parameter_sets",
    "conditions",
    "method",
    "from",
    "groups",
)
METHODS = ("euler", "rk4")  # integration methods
RESAMPLE = "resample"  # sampler of a parameter_sets sweep: rows drawn with replacement
DEFAULT_CHUNK = 2500
DEFAULT_SAVEPER = 0.25


#: columns of a parameter-set file that are not constants (fit payoff, run index, log
#: posterior, a sweep run's flags)
DRAW_META_COLUMNS = ("payoff", "run", "log_post", "flags")


class SweepError(InputError):
    """A sweep file is invalid; ``.issues`` lists every problem."""


@dataclass(frozen=True)
class Uncertain:
    """One column of the design: a constant (or one element of it) and its distribution."""

    label: str
    constant: str
    element: str | None
    dist: Distribution
    line: int | None = None


@dataclass
class SweepSpec:
    """A validated sweep file."""

    path: Path
    name: str
    description: str
    scenario_path: Path
    sampler: str
    runs: int | None
    levels: int
    seed: int
    chunk_size: int
    saveper: float
    method: str
    outputs: tuple
    observations: Path | None
    uncertain: tuple
    conditions: tuple
    sha256: str = ""
    extra: dict = field(default_factory=dict)
    sets: object = None  # (rows, d) joint parameter sets of a ``parameter_sets`` sweep
    from_time: object = None  # None: last observation; "start": from the initial time; float
    groups: tuple | None = None  # group name per uncertain input (aigap sensitivity), or None

    @property
    def problem(self) -> Problem:
        """The uncertain inputs as a :class:`Problem` (labels and distributions)."""
        return Problem(
            tuple(u.label for u in self.uncertain), tuple(u.dist for u in self.uncertain)
        )


def find_scenario(ref: str, sweep_path: Path) -> Path:
    """A scenario name beside the sweep file, else in its parent folder; or a path."""
    first = find_parent(ref, sweep_path)
    if first.exists() or Path(ref).suffix or len(Path(ref).parts) > 1:
        return first
    return find_parent(ref, sweep_path.parent)


def _int(node, key, issues, minimum=1):
    v = construct(node) if node is not None else None
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        issues.add(line_of(node), key, f"expected an integer >= {minimum}, got {describe(node)}")
        return None
    return v


def load_sweep(path, model) -> SweepSpec:
    """Load and validate a sweep file against a compiled model.

    Raises
    ------
    SweepError
        Listing every problem as ``file:line: key: message``.
    """
    path = Path(path)
    issues = IssueList(str(path))
    root = compose_file(path, issues)
    if root is not None and not is_mapping(root):
        issues.add(line_of(root), "", "a sweep file must be a mapping (see docs)")
    if issues:
        raise SweepError(issues)
    found = {}
    for key, knode, vnode in mapping_items(root, issues, ""):
        if key not in TOP_LEVEL_KEYS:
            issues.add(
                line_of(knode),
                key,
                f"unknown top-level key (allowed: {', '.join(TOP_LEVEL_KEYS)})",
                closest(key, TOP_LEVEL_KEYS),
            )
        else:
            found[key] = vnode
    for req in ("description", "scenario", "seed"):
        if req not in found:
            issues.add(1, req, "missing required key")
    if ("uncertain" in found) == ("parameter_sets" in found):
        issues.add(
            1,
            "uncertain",
            "give exactly one of 'uncertain' (distributions) or "
            "'parameter_sets' (a CSV of joint parameter vectors)",
        )
    text = {
        k: string(found[k])
        for k in ("description", "name", "scenario", "sampler", "observations", "method")
        if k in found
    }
    for k, v in text.items():
        if v is None:
            issues.add(line_of(found[k]), k, f"expected a string, got {describe(found[k])}")
    joint = "parameter_sets" in found
    sampler = text.get("sampler") or (RESAMPLE if joint else "lhs")
    allowed = (RESAMPLE,) if joint else SAMPLERS
    if sampler not in allowed:
        issues.add(
            line_of(found["sampler"]),
            "sampler",
            f"unknown sampler '{sampler}' "
            f"(allowed{' with parameter_sets' if joint else ''}: {', '.join(allowed)})",
            closest(sampler, allowed),
        )
    method = text.get("method") or "euler"
    if method not in METHODS:
        issues.add(line_of(found["method"]), "method", f"expected {' or '.join(METHODS)}")
    runs = _int(found["runs"], "runs", issues) if "runs" in found else None
    if sampler not in ("grid", RESAMPLE) and runs is None and "runs" not in found:
        issues.add(1, "runs", f"missing required key for sampler {sampler}")
    if sampler in SAMPLERS and runs is not None:
        try:
            check_sampler(sampler, runs)
        except SamplerError as exc:
            issues.add(line_of(found["runs"]), "runs", str(exc))
    levels = _int(found["levels"], "levels", issues) if "levels" in found else 3
    seed = _int(found["seed"], "seed", issues, minimum=0) if "seed" in found else None
    chunk = (
        _int(found["chunk_size"], "chunk_size", issues) if "chunk_size" in found else DEFAULT_CHUNK
    )
    saveper = DEFAULT_SAVEPER
    if "saveper" in found:
        saveper = number(found["saveper"])
        if saveper is None or saveper <= 0:
            issues.add(
                line_of(found["saveper"]),
                "saveper",
                f"expected a positive number of years, got {describe(found['saveper'])}",
            )
        elif model is not None:
            from ..workflow.budget import time_grid_problem

            bad = time_grid_problem(model, None, saveper, saveper_key="saveper")
            if bad:
                issues.add(line_of(found["saveper"]), "saveper", bad.split(": ", 1)[1])
    from_time = None
    if "from" in found:
        node = found["from"]
        from_time = "start" if string(node) == "start" else number(node)
        if from_time is None:
            issues.add(
                line_of(node),
                "from",
                "expected a time (e.g. 2026.4) or 'start' "
                f"(rewrite history from the initial time), got {describe(node)}",
            )
    scen_path = None
    if text.get("scenario"):
        scen_path = find_scenario(text["scenario"], path)
        if not scen_path.exists():
            issues.add(
                line_of(found["scenario"]),
                "scenario",
                f"base scenario '{text['scenario']}' not found (looked for {scen_path})",
            )
    obs_path = None
    if text.get("observations"):
        obs_path = (path.parent / text["observations"]).resolve()
        if not obs_path.exists():
            issues.add(
                line_of(found["observations"]),
                "observations",
                f"observation file not found: {obs_path}",
            )
    uncertain = parse_uncertain(found.get("uncertain"), model, issues)
    sets, sets_record = None, None
    if joint:
        uncertain, sets, sets_record = parse_parameter_sets(
            found["parameter_sets"], path, model, issues
        )
        runs = runs or (len(sets) if sets is not None else None)
    outputs = parse_outputs(found.get("outputs"), model, issues)
    conditions = parse_conditions(found.get("conditions"), model, issues)
    groups = parse_groups(found.get("groups"), [u.label for u in uncertain], issues)
    if sampler == "grid" and uncertain and levels:
        size = 1
        for u in uncertain:
            size *= len(u.dist.params["levels"]) if u.dist.is_discrete else levels
        runs = size
    if issues:
        raise SweepError(issues)
    return SweepSpec(
        path=path,
        name=text.get("name") or path.stem,
        description=text["description"],
        scenario_path=scen_path,
        sampler=sampler,
        runs=runs,
        levels=levels,
        seed=seed,
        chunk_size=chunk,
        saveper=saveper,
        method=method,
        outputs=outputs,
        observations=obs_path,
        uncertain=tuple(uncertain),
        conditions=tuple(conditions),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        sets=sets,
        from_time=from_time,
        groups=groups,
        extra={
            **({"parameter_sets": sets_record} if sets_record else {}),
            "size_line": _size_line(found),
        },
    )


def _size_line(found) -> int:
    """The line that sets the sweep's size (``runs``, else ``levels``, else ``uncertain``)."""
    node = found.get("runs") or found.get("levels") or found.get("uncertain")
    return line_of(node) if node is not None else 1


def _check_target(name, element, key, line, model, issues: IssueList):
    """The ConstantInfo of ``name`` (element checked) or None after recording an issue."""
    ov = Override(
        constant=name,
        value=None,
        file=issues.file,
        key=key,
        line=line,
        name_line=line,
        name_key=key,
    )
    if not check_constant_name(ov, model, issues):
        return None
    info = model.constants[name]
    if element is not None:
        elem_ov = Override(
            constant=name,
            value=None,
            file=issues.file,
            key=key,
            line=line,
            elements=((element, line),),
        )
        if check_elements(elem_ov, info, model.dims, issues) is None:
            return None
    return info


def parse_parameter_sets(node, path: Path, model, issues: IssueList):
    """``parameter_sets: FILE.csv`` or a posterior run folder (columns ``Name`` /
    ``Name[ELEM]``; ``payoff``, ``run`` and ``log_post`` ignored) -> ``(uncertain, sets (rows, d),
    file record)``; each column becomes an
    empirical marginal, and the sweep draws whole rows so correlations are kept."""
    import pandas as pd

    fname = string(node)
    line = line_of(node)
    if fname is None:
        issues.add(line, "parameter_sets", f"expected a CSV file name, got {describe(node)}")
        return [], None, None
    csv = (path.parent / fname).resolve()
    if csv.is_dir():  # an ``aigap posterior`` run folder
        csv = csv / "draws.csv"
    try:
        df = pd.read_csv(csv)
    except (OSError, ValueError) as exc:
        issues.add(line, "parameter_sets", f"cannot read {csv}: {exc.__class__.__name__}")
        return [], None, None
    cols = [c for c in df.columns if c not in DRAW_META_COLUMNS]
    if not cols or len(df) < 2:
        issues.add(line, "parameter_sets", f"{csv}: needs parameter columns and >= 2 rows")
        return [], None, None
    out = []
    for c in cols:
        try:
            name, elem = split_label(str(c))
        except ValueError as exc:
            issues.add(line, f"parameter_sets.{c}", str(exc))
            continue
        info = _check_target(name, elem, f"parameter_sets.{c}", line, model, issues)
        if info is None:
            continue
        vals = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        lo, hi = constant_limits(info)
        if not np.isfinite(vals).all():
            issues.add(line, f"parameter_sets.{c}", f"{csv}: non-numeric or missing values")
            continue
        if (lo is not None and vals.min() < lo) or (hi is not None and vals.max() > hi):
            issues.add(
                line,
                f"parameter_sets.{c}",
                f"{csv}: values [{vals.min():g}, "
                f"{vals.max():g}] outside the allowed range {format_range(info)}",
            )
            continue
        dist = Distribution("empirical", {"values": tuple(np.sort(vals))})
        out.append(Uncertain(str(c), name, elem, dist, line))
    if len(out) != len(cols):
        return out, None, None
    record = {
        "path": str(csv),
        "sha256": hashlib.sha256(csv.read_bytes()).hexdigest(),
        "rows": int(len(df)),
    }
    return out, df[cols].to_numpy(dtype=float), record


def parse_uncertain(node, model, issues: IssueList) -> list:
    """``uncertain:`` -> list of :class:`Uncertain`, checked against the model's constants."""
    if node is None:
        return []
    if not is_mapping(node) or not node.value:
        issues.add(
            line_of(node),
            "uncertain",
            f"expected a mapping of constant names to distributions, got {describe(node)}",
        )
        return []
    out = []
    for name, knode, vnode in mapping_items(node, issues, "uncertain"):
        key = f"uncertain.{name}"
        info = _check_target(name, None, key, line_of(knode), model, issues)
        if info is None:
            continue
        if not is_mapping(vnode):
            issues.add(
                line_of(vnode),
                key,
                f"expected a distribution mapping (with 'dist') "
                f"or a mapping of subscript elements, got {describe(vnode)}",
            )
            continue
        items = mapping_items(vnode, issues, key)
        if any(k == "dist" for k, _, _ in items):
            specs = [(None, vnode, key)]
        else:
            specs = [(k, v, f"{key}.{k}") for k, _, v in items]
        for element, snode, skey in specs:
            if (
                element is not None
                and _check_target(name, element, skey, line_of(snode), model, issues) is None
            ):
                continue
            dist = _dist(snode, skey, info, issues)
            if dist is not None:
                out.append(
                    Uncertain(make_label(name, element), name, element, dist, line_of(snode))
                )
    labels = [u.label for u in out]
    for u in out:
        if u.element is not None and make_label(u.constant, None) in labels:
            issues.add(
                u.line,
                f"uncertain.{u.constant}",
                "give one distribution for the whole constant or one per element, not both",
            )
    if len(set(labels)) != len(labels):
        issues.add(line_of(node), "uncertain", "a constant or element is listed twice")
    return out


def _dist(node, key, info, issues: IssueList):
    if not is_mapping(node):
        issues.add(
            line_of(node),
            key,
            f"expected a distribution mapping like "
            f"{{dist: uniform, low: 0, high: 1}}, got {describe(node)}",
        )
        return None
    spec = {}
    for k, _, v in mapping_items(node, issues, key):
        if k == "dist":
            spec[k] = string(v)
        elif k in ("levels", "weights") and is_sequence(v):
            spec[k] = [number(x) if number(x) is not None else construct(x) for x in v.value]
        else:
            spec[k] = number(v) if number(v) is not None else construct(v)
    try:
        dist = from_spec(spec)
    except DistributionError as exc:
        issues.add(line_of(node), key, str(exc))
        return None
    lo, hi = constant_limits(info)
    if (lo is not None and dist.low < lo) or (hi is not None and dist.high > hi):
        issues.add(
            line_of(node),
            key,
            f"distribution support [{dist.low:g}, {dist.high:g}] "
            f"is outside the constant's allowed range {format_range(info)}",
        )
        return None
    return dist


def parse_outputs(node, model, issues: IssueList) -> tuple:
    """``outputs:`` list of model variable names (default: the key variables)."""
    if node is None:
        return tuple(n for n in KEY_OUTPUTS if n in model.variables)
    if not is_sequence(node) or not node.value:
        issues.add(
            line_of(node),
            "outputs",
            f"expected a list of model variable names, got {describe(node)}",
        )
        return ()
    out = []
    for i, n in enumerate(node.value):
        name = string(n)
        if name not in model.variables:
            issues.add(
                line_of(n),
                f"outputs[{i}]",
                f"unknown model variable '{name}'",
                closest(str(name), model.variables),
            )
        elif name not in out:
            out.append(name)
    return tuple(out)


def parse_conditions(node, model, issues: IssueList) -> list:
    """``conditions:`` list of structured conditions, checked against the model."""
    if node is None:
        return []
    if not is_sequence(node):
        issues.add(line_of(node), "conditions", f"expected a list, got {describe(node)}")
        return []
    variables = {n: tuple(v.dims) for n, v in model.variables.items()}
    span = (model.initial_time, model.final_time)
    out: list[Condition] = []
    for i, cnode in enumerate(node.value):
        try:
            spec = construct(cnode)
            if isinstance(spec, dict) and isinstance(spec.get("value"), str):
                # "4.7e10" (YAML 1.1 reads it as a string) is a number; "abc" stays as
                # written so the error shows the offending value
                as_number = number(dict((construct(k), v) for k, v in cnode.value)["value"])
                if as_number is not None:
                    spec["value"] = as_number
            cond = condition_from_mapping(spec)
            check_condition(cond, variables, model.dims, span)
        except ConditionError as exc:
            issues.add(line_of(cnode), f"conditions[{i}]", str(exc))
            continue
        out.append(cond)
    keys = [c.key for c in out]
    if len(set(keys)) != len(keys):
        issues.add(line_of(node), "conditions", "two conditions have the same name")
    return out
