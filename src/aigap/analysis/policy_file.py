"""Policy files (``scenarios/policies/*.yaml``): schema-first loading with file:line errors.

::

    description: Which China moves narrow the 2030 gaps most?   # required
    scenario: baseline            # base scenario: a name (beside the file, then its parent
                                  # folder) or a path
    seed: 20260701                # required: the only source of randomness
    worlds:                       # where the policies are judged (default: baseline alone)
      parameter_sets: latest      # an ``aigap posterior`` folder, a draws / samples CSV, or
                                  # ``latest`` (the newest posterior folder in the runs folder)
      count: 200                  # at most this many rows, drawn without replacement by seed
    levers:                       # constant (or element) -> allowed range and start time
      Embedding Push:
        CN: {low: 0.3, high: 1.0, from: 2026.5, ramp: 1.5}
      Price War Intensity:
        CN: {low: 0.3, high: 0.85, from: {low: 2026.5, high: 2029, step: 0.5}}
    objectives:                   # one -> differential evolution; two or more -> NSGA-II
      - {name: arr_gap, variable: ARR Gap Ratio, year: 2030, sense: min, statistic: mean}
      - {name: cn_arr, variable: Total AI ARR, region: CN, over: [2026, 2030], sense: max,
         statistic: {percentile: 10}}
    constraints:
      - {variable: AI Capex, region: CN, year: 2030, op: "<=", value: 3.0e+11,
         statistic: {percentile: 90}}
    optimizer: {population: 40, generations: 30, reference_policies: 32, top: 5}

A lever's value acts from its ``from:`` time (default: the last fitted observation, so the
observed history is not rewritten; ``start`` = the initial time), reached by a linear ramp of
``ramp`` years (default 0: a step). ``from: {low, high, step}`` makes the start time a
decision too, chosen on a grid of ``step`` years (default 0.25).

``statistic`` (over the worlds): ``mean``, ``median``, ``worst``, ``{percentile: Q}``,
``{regret: max | mean | Q}`` (against the best policy per world) or
``{satisfice: {op: "<", value: X}}`` (share of worlds meeting ``X``; maximised).
``year: Y`` is the end of year Y; ``over: [Y0, Y1]`` integrates over years Y0..Y1 (for ARR,
the revenue earned).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import InputError, IssueList, closest
from ..scenarios.yamlnodes import (
    compose_file,
    describe,
    is_mapping,
    line_of,
    mapping_items,
    number,
    string,
)
from .policy_items import Constraint, Objective, keys_of, parse_items
from .problem import make_label
from .sweep_file import _check_target, _int, find_scenario, parse_parameter_sets

__all__ = [
    "PolicyError",
    "PolicySpec",
    "Lever",
    "Objective",
    "Constraint",
    "load_policy",
    "TOP_LEVEL_KEYS",
]

TOP_LEVEL_KEYS = (
    "description",
    "name",
    "scenario",
    "seed",
    "worlds",
    "levers",
    "objectives",
    "constraints",
    "optimizer",
    "method",
    "saveper",
)
LEVER_KEYS = ("low", "high", "from", "ramp")
FROM_KEYS = ("low", "high", "step")
WORLD_KEYS = ("parameter_sets", "count")
OPTIMIZER_KEYS = ("population", "generations", "reference_policies", "top", "tolerance")
LATEST = "latest"


class PolicyError(InputError):
    """A policy file is invalid; ``.issues`` lists every problem."""


@dataclass(frozen=True)
class Lever:
    """One decision: a constant (or one element) set within ``[low, high]`` from a time."""

    label: str
    constant: str
    element: str | None
    low: float
    high: float
    start: object = None  # None: last observation; "start"; float; or (lo, hi, step)
    ramp: float = 0.0

    @property
    def timed(self) -> bool:
        """True when the start time is itself a decision."""
        return isinstance(self.start, tuple)


@dataclass
class PolicySpec:
    """A validated policy file."""

    path: Path
    name: str
    description: str
    scenario_path: Path
    seed: int
    levers: tuple
    objectives: tuple
    constraints: tuple
    worlds_ref: str | None = None  # as written: a path, "latest", or None (baseline)
    worlds_count: int | None = None
    world_uncertain: tuple = ()
    world_sets: object = None  # (rows, d) parameter sets of the worlds
    world_record: dict | None = None
    population: int = 40
    generations: int = 30
    reference_policies: int = 32
    top: int = 5
    tolerance: float = 1e-6
    method: str = "euler"
    saveper: float = 0.0625
    sha256: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def optimizer(self) -> str:
        """``de`` for one objective, ``nsga2`` for several."""
        return "de" if len(self.objectives) == 1 else "nsga2"


def load_policy(path, model, runs_root=None, read_worlds: bool = True) -> PolicySpec:
    """Load and validate a policy file against a compiled model.

    ``runs_root`` is where ``parameter_sets: latest`` looks for posterior folders;
    ``read_worlds=False`` checks the ``worlds:`` keys without reading the parameter sets
    (the command line names other worlds).

    Raises
    ------
    PolicyError
        Listing every problem as ``file:line: key: message``.
    """
    path = Path(path)
    issues = IssueList(str(path))
    root = compose_file(path, issues)
    if root is not None and not is_mapping(root):
        issues.add(line_of(root), "", "a policy file must be a mapping (see docs)")
    if issues:
        raise PolicyError(issues)
    found = keys_of(root, "", TOP_LEVEL_KEYS, issues)
    for req in ("description", "scenario", "seed", "levers", "objectives"):
        if req not in found:
            issues.add(1, req, "missing required key")
    text = {}
    for k in ("description", "name", "scenario", "method"):
        if k in found:
            text[k] = string(found[k])
            if text[k] is None:
                issues.add(line_of(found[k]), k, f"expected a string, got {describe(found[k])}")
    method = text.get("method") or "euler"
    if method not in ("euler", "rk4"):
        issues.add(
            line_of(found["method"]),
            "method",
            "expected euler or rk4",
            closest(method, ("euler", "rk4")),
        )
    seed = _int(found["seed"], "seed", issues, minimum=0) if "seed" in found else None
    saveper = model.saveper
    if "saveper" in found:
        saveper = number(found["saveper"])
        if saveper is None or saveper <= 0:
            issues.add(
                line_of(found["saveper"]),
                "saveper",
                f"expected a positive number of years, got {describe(found['saveper'])}",
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
    levers = parse_levers(found.get("levers"), model, issues) if "levers" in found else []
    span = (model.initial_time, model.final_time)
    objectives = [
        o
        for o in parse_items(
            found.get("objectives"), "objectives", model, issues, span, constraint=False
        )
        if o is not None
    ]
    constraints = [
        c
        for c in parse_items(
            found.get("constraints"), "constraints", model, issues, span, constraint=True
        )
        if c is not None
    ]
    names = [o.name for o in objectives] + [c.name for c in constraints]
    if len(set(names)) != len(names):
        issues.add(
            line_of(found["objectives"]),
            "objectives",
            "two objectives or constraints have the same name",
        )
    spec = PolicySpec(
        path=path,
        name=text.get("name") or path.stem,
        description=text.get("description") or "",
        scenario_path=scen_path,
        seed=seed,
        levers=tuple(levers),
        objectives=tuple(objectives),
        constraints=tuple(constraints),
        method=method,
        saveper=saveper,
    )
    if "optimizer" in found:
        parse_optimizer(found["optimizer"], spec, issues)
    if "worlds" in found:
        parse_worlds(found["worlds"], spec, model, issues, runs_root, read_worlds)
    clash = {u.constant for u in spec.world_uncertain} & {lv.constant for lv in levers}
    for name in sorted(clash):
        issues.add(
            line_of(found["levers"]),
            f"levers.{name}",
            "is also a parameter of the "
            "worlds; a constant is either a decision or an uncertainty, not both",
        )
    if issues:
        raise PolicyError(issues)
    spec.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return spec


def parse_levers(node, model, issues: IssueList) -> list:
    """``levers:`` -> list of :class:`Lever` (names, elements and ranges checked)."""
    from ..scenarios.schema import constant_limits, format_range

    if not is_mapping(node) or not node.value:
        issues.add(
            line_of(node),
            "levers",
            f"expected a mapping of constant names to {{low, high}} ranges, got {describe(node)}",
        )
        return []
    out = []
    for name, knode, vnode in mapping_items(node, issues, "levers"):
        key = f"levers.{name}"
        info = _check_target(name, None, key, line_of(knode), model, issues)
        if info is None:
            continue
        if not is_mapping(vnode):
            issues.add(
                line_of(vnode),
                key,
                "expected {low, high[, from, ramp]} or a mapping "
                f"of subscript elements, got {describe(vnode)}",
            )
            continue
        items = mapping_items(vnode, issues, key)
        if any(k in LEVER_KEYS for k, _, _ in items):
            specs = [(None, vnode, key)]
        else:
            specs = [(k, v, f"{key}.{k}") for k, _, v in items]
        lo_lim, hi_lim = constant_limits(info)
        for element, snode, skey in specs:
            if (
                element is not None
                and _check_target(name, element, skey, line_of(snode), model, issues) is None
            ):
                continue
            lever = _lever(name, element, snode, skey, model, issues)
            if lever is None:
                continue
            if (lo_lim is not None and lever.low < lo_lim) or (
                hi_lim is not None and lever.high > hi_lim
            ):
                issues.add(
                    line_of(snode),
                    skey,
                    f"range [{lever.low:g}, {lever.high:g}] is "
                    f"outside the constant's allowed range {format_range(info)}",
                )
                continue
            out.append(lever)
    labels = [lv.label for lv in out]
    if len(set(labels)) != len(labels):
        issues.add(line_of(node), "levers", "a constant or element is listed twice")
    for lv in out:
        if lv.element is not None and make_label(lv.constant, None) in labels:
            issues.add(
                line_of(node),
                f"levers.{lv.constant}",
                "give one range for the whole constant or one per element, not both",
            )
    return out


def _lever(name, element, node, key, model, issues):
    if not is_mapping(node):
        issues.add(
            line_of(node), key, f"expected {{low, high[, from, ramp]}}, got {describe(node)}"
        )
        return None
    f = keys_of(node, key, LEVER_KEYS, issues)
    vals = {}
    for k in ("low", "high", "ramp"):
        if k in f:
            vals[k] = number(f[k])
            if vals[k] is None:
                issues.add(line_of(f[k]), f"{key}.{k}", f"expected a number, got {describe(f[k])}")
                return None
    for k in ("low", "high"):
        if k not in vals:
            issues.add(line_of(node), key, f"missing {k}")
            return None
    if vals["high"] < vals["low"]:
        issues.add(line_of(f["high"]), f"{key}.high", "must not be below low")
        return None
    ramp = vals.get("ramp", 0.0)
    if ramp < 0:
        issues.add(line_of(f["ramp"]), f"{key}.ramp", "expected years >= 0 (0: a step)")
        return None
    start = _start(f.get("from"), f"{key}.from", model, issues) if "from" in f else None
    if start is False:
        return None
    return Lever(make_label(name, element), name, element, vals["low"], vals["high"], start, ramp)


def _start(node, key, model, issues):
    """``from:`` -> None/``"start"``/time/``(low, high, step)``; False after an issue."""
    t0, t1 = model.initial_time, model.final_time
    if string(node) == "start":
        return "start"
    t = number(node)
    if t is not None:
        if not t0 <= t <= t1:
            issues.add(
                line_of(node), key, f"time {t:g} is outside the simulated span {t0:g}-{t1:g}"
            )
            return False
        return t
    if not is_mapping(node):
        issues.add(
            line_of(node),
            key,
            "expected a time (e.g. 2026.5), 'start', or "
            f"{{low, high, step}} (a start-time decision), got {describe(node)}",
        )
        return False
    f = keys_of(node, key, FROM_KEYS, issues)
    v = {k: number(n) for k, n in f.items()}
    for k, n in f.items():
        if v[k] is None:
            issues.add(line_of(n), f"{key}.{k}", f"expected a number, got {describe(n)}")
            return False
    if "low" not in v or "high" not in v:
        issues.add(line_of(node), key, "missing low or high")
        return False
    step = v.get("step", 0.25)
    if step <= 0 or v["high"] < v["low"] or not (t0 <= v["low"] and v["high"] <= t1):
        issues.add(line_of(node), key, f"expected {t0:g} <= low <= high <= {t1:g} and step > 0")
        return False
    return (v["low"], v["high"], step)


def parse_optimizer(node, spec: PolicySpec, issues: IssueList) -> None:
    """``optimizer:`` population, generations, reference_policies, top, tolerance."""
    if not is_mapping(node):
        issues.add(line_of(node), "optimizer", f"expected a mapping, got {describe(node)}")
        return
    f = keys_of(node, "optimizer", OPTIMIZER_KEYS, issues)
    mins = {"population": 4, "generations": 0, "reference_policies": 0, "top": 1}
    for k, lo in mins.items():
        if k in f:
            v = _int(f[k], f"optimizer.{k}", issues, minimum=lo)
            if v is not None:
                setattr(spec, k, v)
    if "tolerance" in f:
        t = number(f["tolerance"])
        if t is None or t < 0:
            issues.add(line_of(f["tolerance"]), "optimizer.tolerance", "expected a number >= 0")
        else:
            spec.tolerance = t


def latest_posterior(root: Path):
    """The newest finished ``aigap posterior`` folder under ``root`` (None if none)."""
    import json

    cands = []
    for p in Path(root).glob("*"):
        if p.name.startswith(".") or not (p / "draws.csv").is_file():
            continue
        try:
            if json.loads((p / "manifest.json").read_text()).get("kind") == "posterior":
                cands.append(p)
        except (OSError, ValueError):
            continue
    return max(cands, key=lambda p: p.name) if cands else None


def parse_worlds(
    node, spec: PolicySpec, model, issues: IssueList, runs_root=None, read: bool = True
) -> None:
    """``worlds:`` -> the world parameter sets (``baseline`` or omitted: one world)."""
    if string(node) == "baseline":
        return
    if not is_mapping(node):
        issues.add(
            line_of(node),
            "worlds",
            "expected 'baseline' or {parameter_sets: FOLDER "
            f"| FILE.csv | latest, count: N}}, got {describe(node)}",
        )
        return
    f = keys_of(node, "worlds", WORLD_KEYS, issues)
    if "count" in f:
        spec.worlds_count = _int(f["count"], "worlds.count", issues, minimum=1)
    if "parameter_sets" not in f:
        issues.add(
            line_of(node), "worlds.parameter_sets", "missing (a posterior folder, a CSV, or latest)"
        )
        return
    ref = string(f["parameter_sets"])
    spec.worlds_ref = ref
    pnode = f["parameter_sets"]
    if not read:
        return
    if ref == LATEST:
        from ..workflow.rundir import runs_root as default_root

        root = Path(runs_root) if runs_root is not None else default_root()
        found = latest_posterior(root)
        if found is None:
            issues.add(
                line_of(pnode),
                "worlds.parameter_sets",
                f"no posterior run folder in "
                f"{root}; run 'aigap posterior SCENARIO --priors FILE' first",
            )
            return
        pnode = type(pnode)(pnode.tag, str(found.resolve()), pnode.start_mark, pnode.end_mark)
    set_worlds(spec, pnode, model, issues)


def set_worlds(spec: PolicySpec, pnode, model, issues: IssueList) -> None:
    """Read the parameter sets named by ``pnode`` into ``spec`` (rows drawn by seed)."""
    uncertain, sets, record = parse_parameter_sets(pnode, spec.path, model, issues)
    if sets is None:
        return
    if spec.worlds_count is not None and spec.worlds_count < len(sets):
        rows = np.sort(
            np.random.default_rng(spec.seed).choice(len(sets), spec.worlds_count, replace=False)
        )
        sets = sets[rows]
        record = {**record, "rows_used": [int(r) for r in rows]}
    spec.world_uncertain, spec.world_sets, spec.world_record = tuple(uncertain), sets, record
