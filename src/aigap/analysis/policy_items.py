"""Objectives, constraints and robustness statistics of policy files (``policy_file``).

Each item names a model variable (and region) at a year end (``year: Y``) or summed over
years (``over: [Y0, Y1]``), with a statistic over the worlds; see :mod:`.policy_file`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import IssueList, closest
from ..scenarios.yamlnodes import (
    describe,
    is_mapping,
    is_sequence,
    line_of,
    mapping_items,
    number,
    string,
)
from .conditions import OPS, YEAR_END_OFFSET, Condition, ConditionError, check_condition
from .policy import Statistic

__all__ = ["Objective", "Constraint", "parse_stat", "parse_items", "keys_of"]

OBJECTIVE_KEYS = ("name", "variable", "region", "year", "over", "sense", "statistic")
CONSTRAINT_KEYS = ("name", "variable", "region", "year", "over", "statistic", "op", "value")
STAT_NAMES = ("mean", "median", "worst", "percentile", "regret", "satisfice")


@dataclass(frozen=True)
class Objective:
    """An output reduced over worlds by a statistic; ``times`` = (t,) or (t0, t1)."""

    name: str
    variable: str
    region: str | None
    times: tuple
    sense: str
    stat: Statistic

    @property
    def label(self) -> str:
        """``ARR Gap Ratio@2030`` or ``Total AI ARR[CN]@2026-2030 (sum)``."""
        reg = f"[{self.region}]" if self.region else ""
        ys = [t - YEAR_END_OFFSET for t in self.times]
        when = f"{ys[0]:g}" if len(ys) == 1 else f"{ys[0] + 1:g}-{ys[1]:g} (sum)"
        return f"{self.variable}{reg}@{when}"


@dataclass(frozen=True)
class Constraint:
    """``statistic(output) op value`` must hold."""

    name: str
    variable: str
    region: str | None
    times: tuple
    stat: Statistic
    op: str
    value: float

    @property
    def label(self) -> str:
        """``AI Capex[CN]@2030 p90 <= 3e+11``."""
        o = Objective(self.name, self.variable, self.region, self.times, "min", self.stat)
        return f"{o.label} {self.stat.label} {self.op} {self.value:g}"


def keys_of(node, key, allowed, issues):
    """``{name: value_node}`` of a mapping, unknown keys reported with the closest name."""
    out = {}
    for k, knode, v in mapping_items(node, issues, key):
        if k not in allowed:
            issues.add(
                line_of(knode),
                f"{key}.{k}" if key else k,
                f"unknown key (allowed: {', '.join(allowed)})",
                closest(k, allowed),
            )
        else:
            out[k] = v
    return out


def parse_stat(node, key, issues: IssueList):
    """``statistic:`` -> :class:`Statistic` or None after an issue."""
    name = string(node)
    if name is not None:
        if name in ("mean", "median", "worst"):
            return Statistic(name)
        issues.add(
            line_of(node),
            key,
            f"unknown statistic '{name}' (allowed: mean, median, "
            "worst, {percentile: Q}, {regret: max|mean|Q}, {satisfice: {op, value}})",
            closest(name, STAT_NAMES),
        )
        return None
    if not is_mapping(node) or len(node.value) != 1:
        issues.add(
            line_of(node),
            key,
            f"expected a statistic name or a one-key mapping, got {describe(node)}",
        )
        return None
    ((k, knode, v),) = mapping_items(node, issues, key)
    if k == "percentile":
        q = number(v)
        if q is None or not 0 <= q <= 100:
            issues.add(line_of(v), f"{key}.percentile", "expected a number in [0, 100]")
            return None
        return Statistic("percentile", q=q)
    if k == "regret":
        of = string(v)
        q = number(v)
        if q is not None and 0 <= q <= 100:
            return Statistic("regret", q=q, of="percentile")
        if of in ("max", "mean"):
            return Statistic("regret", of=of)
        issues.add(line_of(v), f"{key}.regret", "expected max, mean or a percentile in [0, 100]")
        return None
    if k == "satisfice":
        f = keys_of(v, f"{key}.satisfice", ("op", "value"), issues) if is_mapping(v) else None
        op = string(f.get("op")) if f and "op" in f else None
        val = number(f.get("value")) if f and "value" in f else None
        if op not in OPS or val is None:
            issues.add(line_of(v), f"{key}.satisfice", "expected {op: <|<=|>|>=, value: X}")
            return None
        return Statistic("satisfice", op=op, threshold=val)
    issues.add(line_of(knode), f"{key}.{k}", "unknown statistic", closest(k, STAT_NAMES))
    return None


def _times(f, key, issues):
    if ("year" in f) == ("over" in f):
        issues.add(None, key, "give exactly one of 'year' (a year end) or 'over: [Y0, Y1]'")
        return None
    if "year" in f:
        y = number(f["year"])
        if y is None or not float(y).is_integer():
            issues.add(
                line_of(f["year"]), f"{key}.year", f"expected a year, got {describe(f['year'])}"
            )
            return None
        return (y + YEAR_END_OFFSET,)
    node = f["over"]
    ys = [number(n) for n in node.value] if is_sequence(node) else []
    if len(ys) != 2 or None in ys or ys[1] < ys[0]:
        issues.add(line_of(node), f"{key}.over", "expected [first year, last year]")
        return None
    return (ys[0], ys[1] + YEAR_END_OFFSET)


def parse_items(node, key, model, issues: IssueList, span, constraint: bool):
    """The ``objectives`` (or, with ``constraint``, ``constraints``) list of a policy file;
    every problem goes to ``issues`` with its line."""
    if node is None:
        return []
    if not is_sequence(node) or (not node.value and not constraint):
        issues.add(line_of(node), key, f"expected a list of mappings, got {describe(node)}")
        return []
    variables = {n: tuple(v.dims) for n, v in model.variables.items()}
    out = []
    for i, item in enumerate(node.value):
        k = f"{key}[{i}]"
        if not is_mapping(item):
            issues.add(line_of(item), k, f"expected a mapping, got {describe(item)}")
            continue
        f = keys_of(item, k, CONSTRAINT_KEYS if constraint else OBJECTIVE_KEYS, issues)
        out.append(_parse_one(f, item, k, variables, model, issues, span, constraint))
    return out


def _parse_one(f, item, k, variables, model, issues, span, constraint):
    line = line_of(item)
    var = string(f.get("variable")) if "variable" in f else None
    if var is None:
        issues.add(line, f"{k}.variable", "missing or not a model variable name")
        return None
    region = string(f["region"]) if "region" in f else None
    times = _times(f, k, issues)
    if times is None:
        return None
    try:
        for t in times:
            check_condition(Condition(var, region, t, "<", 0.0), variables, model.dims, span)
    except ConditionError as exc:
        hint = closest(var, model.variables) if var not in model.variables else None
        issues.add(line_of(f["variable"]), f"{k}.variable", str(exc).split(" (did you")[0], hint)
        return None
    stat = (
        parse_stat(f["statistic"], f"{k}.statistic", issues)
        if "statistic" in f
        else Statistic("mean")
    )
    if stat is None:
        return None
    name = string(f["name"]) if "name" in f else None
    if constraint:
        op = string(f.get("op")) if "op" in f else None
        val = number(f["value"]) if "value" in f else None
        if op not in OPS:
            issues.add(line, f"{k}.op", f"expected one of {', '.join(OPS)}")
            return None
        if val is None:
            issues.add(line, f"{k}.value", "missing or not a number")
            return None
        if stat.kind == "regret":
            issues.add(line, f"{k}.statistic", "a constraint cannot use regret")
            return None
        return Constraint(name or f"constraint_{k}", var, region, times, stat, op, val)
    sense = string(f.get("sense")) if "sense" in f else None
    if sense not in ("min", "max"):
        issues.add(
            line_of(f["sense"]) if "sense" in f else line,
            f"{k}.sense",
            "expected min or max",
            closest(str(sense), ("min", "max")) if sense else None,
        )
        return None
    return Objective(name or k, var, region, times, sense, stat)
