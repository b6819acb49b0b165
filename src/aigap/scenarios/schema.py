"""Scenario file schema: small ``check_*``/``parse_*`` functions over the YAML node tree.

A scenario file is a mapping with ``description`` (required), ``name``, ``extends`` and
``constants``. Each entry of ``constants`` overrides a model constant by its Vensim name:

* a number (every element of a subscripted constant),
* a mapping ``{element: value}`` (``"US, Seg"`` or nested mappings for several ranges),
* a time-varying spec, linear over Time: ``{points: [[t, v], ...]}``,
  ``{step: {time, before, after}}`` or ``{ramp: {start, end, from, to}}``.

Structural checks need no model; :func:`check_overrides` then checks names, elements
and ranges against a compiled model. Every problem is an :class:`~.issues.Issue`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..core.errors import IssueList, closest
from .yamlnodes import describe, is_mapping, is_sequence, line_of, mapping_items, number, string

if TYPE_CHECKING:
    from yaml import Node

    from ..engine import CompiledModel, ConstantInfo

TOP_LEVEL_KEYS = ("name", "description", "extends", "constants")
TIME_SPECS = {
    "points": (),
    "step": ("time", "before", "after"),
    "ramp": ("start", "end", "from", "to"),
}
#: keys of a time spec that hold the constant's values (checked against its range)
TIME_SPEC_VALUES = {"points": (), "step": ("before", "after"), "ramp": ("from", "to")}
STEP_WIDTH = 1e-6  # a step is a ramp this short (years): far below any TIME STEP


@dataclass(frozen=True)
class Points:
    """A time-varying value: linear between ``(time, value)`` points, held beyond the ends."""

    times: tuple
    values: tuple
    lines: tuple = ()


@dataclass(frozen=True)
class Override:
    """One override of a model constant (or of some of its elements).

    ``elements`` is a tuple of ``(element, line)`` pairs selecting subscript elements
    (empty: every element); ``value`` is a float or :class:`Points`.
    """

    constant: str
    value: object
    file: str
    key: str
    line: int | None = None
    name_line: int | None = None
    elements: tuple = ()
    name_key: str = ""


def check_top_level(items: Iterable[tuple[str, Node, Node]], issues: IssueList) -> dict:
    """Unknown / missing top-level keys; returns ``{key: (key_node, value_node)}``."""
    found = {}
    for key, knode, vnode in items:
        if key not in TOP_LEVEL_KEYS:
            issues.add(
                line_of(knode),
                key,
                f"unknown top-level key (allowed: {', '.join(TOP_LEVEL_KEYS)})",
                closest(key, TOP_LEVEL_KEYS),
            )
            continue
        found[key] = (knode, vnode)
    if "description" not in found:
        issues.add(1, "description", "missing required key (a one-line description)")
    return found


def check_text(found: dict, key: str, issues: IssueList) -> str | None:
    """A top-level string value (``name``, ``description``, ``extends``), or None."""
    if key not in found:
        return None
    _, vnode = found[key]
    text = string(vnode)
    if text is None:
        issues.add(line_of(vnode), key, f"expected a non-empty string, got {describe(vnode)}")
    return text


def parse_constants(found: dict, issues: IssueList) -> list:
    """Structural parse of ``constants`` into :class:`Override` objects."""
    if "constants" not in found:
        return []
    knode, vnode = found["constants"]
    if not is_mapping(vnode):
        if vnode.tag != "tag:yaml.org,2002:null":
            issues.add(
                line_of(vnode),
                "constants",
                f"expected a mapping of constant names to values, got {describe(vnode)}",
            )
        return []
    out = []
    for name, nknode, nvnode in mapping_items(vnode, issues, "constants"):
        base = Override(
            constant=name,
            value=None,
            file=issues.file,
            key=f"constants.{name}",
            line=line_of(nknode),
            name_line=line_of(nknode),
            name_key=f"constants.{name}",
        )
        out.extend(parse_value(nvnode, base, issues))
    return out


def parse_value(node: Node, base: Override, issues: IssueList) -> list[Override]:
    """A number, an element mapping (recursing) or a time-varying spec."""
    if is_mapping(node):
        items = mapping_items(node, issues, base.key)
        spec_keys = [k for k, _, _ in items if k in TIME_SPECS]
        if spec_keys:
            if len(items) != 1:
                others = [k for k, _, _ in items if k != spec_keys[0]]
                issues.add(
                    line_of(node),
                    base.key,
                    f"a time-varying value has exactly one of points/step/ramp; "
                    f"unexpected {', '.join(others)}",
                )
                return []
            points = parse_time_spec(items[0][0], items[0][2], base, issues)
            return [] if points is None else [_with(base, value=points, line=line_of(node))]
        out = []
        for key, knode, vnode in items:
            elements = tuple((e.strip(), line_of(knode)) for e in key.split(","))
            if any(not e for e, _ in elements):
                issues.add(line_of(knode), f"{base.key}.{key}", "empty subscript element name")
                continue
            sub = _with(
                base,
                key=f"{base.key}.{key}",
                line=line_of(knode),
                elements=base.elements + elements,
            )
            out.extend(parse_value(vnode, sub, issues))
        return out
    value = number(node)
    if value is None:
        issues.add(
            line_of(node),
            base.key,
            f"expected a number, a mapping of subscript elements, or a time-varying "
            f"spec (points/step/ramp), got {describe(node)}",
        )
        return []
    return [_with(base, value=value, line=line_of(node))]


def parse_time_spec(kind: str, node: Node, base: Override, issues: IssueList) -> Points | None:
    """``points``/``step``/``ramp`` -> :class:`Points`, or None after recording issues."""
    key = f"{base.key}.{kind}"
    if kind == "points":
        return parse_points(node, key, issues)
    if not is_mapping(node):
        issues.add(
            line_of(node),
            key,
            f"expected a mapping with keys {', '.join(TIME_SPECS[kind])}, got {describe(node)}",
        )
        return None
    vals, lines, ok = {}, {}, True
    for k, knode, vnode in mapping_items(node, issues, key):
        if k not in TIME_SPECS[kind]:
            issues.add(
                line_of(knode),
                f"{key}.{k}",
                f"unknown key (allowed: {', '.join(TIME_SPECS[kind])})",
                closest(k, TIME_SPECS[kind]),
            )
            ok = False
            continue
        vals[k], lines[k] = number(vnode), line_of(vnode)
        if vals[k] is None:
            issues.add(line_of(vnode), f"{key}.{k}", f"expected a number, got {describe(vnode)}")
            ok = False
    missing = [k for k in TIME_SPECS[kind] if k not in vals]
    if missing:
        issues.add(line_of(node), key, f"missing {', '.join(missing)}")
        return None
    if not ok:
        return None
    if kind == "step":
        t = vals["time"]
        return Points(
            (t - STEP_WIDTH, t),
            tuple(vals[k] for k in TIME_SPEC_VALUES[kind]),
            tuple(lines[k] for k in TIME_SPEC_VALUES[kind]),
        )
    if vals["end"] <= vals["start"]:
        issues.add(lines["end"], f"{key}.end", "must be later than start")
        return None
    return Points(
        (vals["start"], vals["end"]),
        tuple(vals[k] for k in TIME_SPEC_VALUES[kind]),
        tuple(lines[k] for k in TIME_SPEC_VALUES[kind]),
    )


def parse_points(node: Node, key: str, issues: IssueList) -> Points | None:
    """``[[time, value], ...]`` with strictly increasing times."""
    if not is_sequence(node) or not node.value:
        issues.add(
            line_of(node),
            key,
            f"expected a non-empty list of [time, value] pairs, got {describe(node)}",
        )
        return None
    times, values, lines = [], [], []
    for i, pnode in enumerate(node.value):
        pair = pnode.value if is_sequence(pnode) else []
        nums = [number(n) for n in pair]
        if len(pair) != 2 or None in nums:
            issues.add(
                line_of(pnode),
                f"{key}[{i}]",
                f"expected a [time, value] pair of numbers, got {describe(pnode)}",
            )
            return None
        if times and nums[0] <= times[-1]:
            issues.add(
                line_of(pnode),
                f"{key}[{i}]",
                f"times must be strictly increasing ({nums[0]:g} after {times[-1]:g})",
            )
            return None
        times.append(nums[0])
        values.append(nums[1])
        lines.append(line_of(pnode))
    return Points(tuple(times), tuple(values), tuple(lines))


def _with(base: Override, **changes) -> Override:
    fields = dict(base.__dict__)
    fields.update(changes)
    return Override(**fields)


# --------------------------------------------------------------------------- model checks


def check_overrides(
    overrides: Iterable[Override], model: CompiledModel, issues: IssueList
) -> list[Override]:
    """Check names, subscript elements and ranges against a compiled model.

    Returns the overrides that passed (the others produced issues).
    """
    good = []
    for ov in overrides:
        if not check_constant_name(ov, model, issues):
            continue
        info = model.constants[ov.constant]
        if check_elements(ov, info, model.dims, issues) is None:
            continue
        if check_range(ov, info, issues):
            good.append(ov)
    return good


def check_constant_name(ov: Override, model: CompiledModel, issues: IssueList) -> bool:
    """The override names an overridable model constant."""
    if ov.constant in model.constants:
        return True
    var = getattr(model, "variables", {}).get(ov.constant)
    if var is not None:
        issues.add(
            ov.name_line,
            ov.name_key or ov.key,
            f"'{ov.constant}' is a model {var.kind}, not a constant; only constants "
            f"can be overridden",
            file=ov.file,
        )
        return False
    issues.add(
        ov.name_line,
        ov.name_key or ov.key,
        "unknown model constant",
        closest(ov.constant, model.constants),
        file=ov.file,
    )
    return False


def check_elements(
    ov: Override, info: ConstantInfo, dims: dict, issues: IssueList
) -> dict[str, str] | None:
    """Map each selected element to its subscript range: ``{range: element}`` or None."""
    chosen = {}
    for element, line in ov.elements:
        free = [d for d in info.dims if d not in chosen]
        where = [d for d in free if element in dims[d]]
        if where:
            chosen[where[0]] = element
            continue
        if not info.dims:
            msg = f"'{ov.constant}' is not subscripted; give one value"
            issues.add(line, ov.key, msg, file=ov.file)
        elif not free:
            issues.add(
                line,
                ov.key,
                f"too many subscript elements for '{ov.constant}[{', '.join(info.dims)}]'",
                file=ov.file,
            )
        else:
            valid = [e for d in free for e in dims[d]]
            issues.add(
                line,
                ov.key,
                f"unknown subscript element '{element}' of "
                f"{'/'.join(free)} (valid: {', '.join(valid)})",
                closest(element, valid),
                file=ov.file,
            )
        return None
    return chosen


def check_range(ov: Override, info: ConstantInfo, issues: IssueList) -> bool:
    """Every value lies within the constant's declared ``[min, max]``."""
    lo, hi = constant_limits(info)
    if isinstance(ov.value, Points):
        pairs = zip(ov.value.values, ov.value.lines or [ov.line] * len(ov.value.values))
    else:
        pairs = [(ov.value, ov.line)]
    ok = True
    for value, line in pairs:
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            issues.add(
                line,
                ov.key,
                f"{value:g} is outside the allowed range "
                f"{format_range(info)}" + (f" {info.units}" if info.units else ""),
                file=ov.file,
            )
            ok = False
    return ok


def constant_limits(info: ConstantInfo) -> tuple[float | None, float | None]:
    """``(lo, hi)`` declared range of a constant (None where open), as floats."""
    limits = info.limits or (None, None)
    lo, hi = (tuple(limits) + (None, None))[:2]
    lo = None if lo is None or (isinstance(lo, float) and np.isnan(lo)) else float(lo)
    hi = None if hi is None or (isinstance(hi, float) and np.isnan(hi)) else float(hi)
    return lo, hi


def format_range(info: ConstantInfo) -> str:
    """``[lo, hi]`` with ``?`` for an open end."""
    lo, hi = constant_limits(info)
    return f"[{'?' if lo is None else f'{lo:g}'}, {'?' if hi is None else f'{hi:g}'}]"
