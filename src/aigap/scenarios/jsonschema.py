"""JSON Schema (draft 2020-12) of scenario files, generated from the checker's own schema.

The keys come from :data:`~.schema.TOP_LEVEL_KEYS` and :data:`~.schema.TIME_SPECS`; the
constants, their subscript elements, units and ``[min, max]`` from a compiled model, so an
editor completes real Vensim names and flags out-of-range values. The checker
(:func:`~.loader.load_scenario`) stays the authority: the schema is a guide for editors and
accepts nothing the checker would refuse for a reason it can express. The helpers here
(constant-keyed mappings, element mappings) are shared with the sweep and priors schemas.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..core.errors import IssueList
from .schema import TIME_SPECS, TIME_SPEC_VALUES, TOP_LEVEL_KEYS, constant_limits
from .yamlnodes import compose_file, construct, number

if TYPE_CHECKING:
    from ..engine import CompiledModel, ConstantInfo

META_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
_REGEX_SPECIAL = set("\\^$.|?*+()[]{}/")

__all__ = [
    "META_SCHEMA",
    "constant_description",
    "constants_object",
    "element_pattern",
    "bounded_number",
    "scenario_schema",
    "time_value_schema",
    "value_schema",
    "yaml_data",
]


def _regex_escape(text: str) -> str:
    """``text`` as an ECMA-262 regex literal (only metacharacters escaped)."""
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def bounded_number(info: ConstantInfo) -> dict:
    """``{"type": "number"}`` with the constant's declared ``[min, max]``."""
    lo, hi = constant_limits(info)
    out = {"type": "number"}
    if lo is not None and math.isfinite(lo):
        out["minimum"] = lo
    if hi is not None and math.isfinite(hi):
        out["maximum"] = hi
    return out


def constant_description(info: ConstantInfo) -> str:
    """Hover text of a constant: units, range, dimensions and its model documentation."""
    lo, hi = constant_limits(info)
    rng = f"[{'?' if lo is None else f'{lo:g}'}, {'?' if hi is None else f'{hi:g}'}]"
    dims = f"[{', '.join(info.dims)}] " if info.dims else ""
    head = f"{dims}{info.units or 'dimensionless'}, range {rng}"
    doc = " ".join((info.doc or "").split())
    return f"{head}. {doc}" if doc else head


def time_value_schema() -> dict:
    """A number or a time-varying spec (``points``/``step``/``ramp``), without bounds."""
    alts = [{"type": "number"}]
    for kind, keys in TIME_SPECS.items():
        if kind == "points":
            spec = {
                "type": "array",
                "minItems": 1,
                "description": "[time, value] pairs, "
                "times strictly increasing; linear between them, held beyond the ends",
                "items": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 2,
                    "items": False,
                    "prefixItems": [{"type": "number"}, {"type": "number"}],
                },
            }
        else:
            spec = {
                "type": "object",
                "additionalProperties": False,
                "required": list(keys),
                "properties": {k: {"type": "number"} for k in keys},
            }
        alts.append(
            {
                "type": "object",
                "additionalProperties": False,
                "required": [kind],
                "properties": {kind: spec},
            }
        )
    return {"anyOf": alts}


def _bounds(info) -> dict:
    return {k: v for k, v in bounded_number(info).items() if k != "type"}


def value_schema(info: ConstantInfo) -> dict:
    """One value of a constant: ``#/$defs/value`` with the constant's ``[min, max]`` on the
    number, the points' values and the step/ramp values."""
    b = _bounds(info)
    if not b:
        return {"$ref": "#/$defs/value"}
    spec = {
        kind: {"properties": {k: b for k in TIME_SPEC_VALUES[kind]}}
        for kind in TIME_SPECS
        if kind != "points"
    }
    spec["points"] = {"items": {"prefixItems": [{}, b]}}
    return {"allOf": [{"$ref": "#/$defs/value"}, b, {"properties": spec}]}


def element_pattern(elements: Iterable[str]) -> str:
    """Regex of a mapping key naming one element or several (``"US, Seg"``)."""
    one = "(" + "|".join(_regex_escape(e) for e in elements) + ")"
    return rf"^\s*{one}\s*(,\s*{one}\s*)*$"


def constants_object(
    model: CompiledModel,
    leaf: Callable[[ConstantInfo], dict],
    *,
    several: bool = True,
    what: str = "value",
) -> tuple[dict, dict]:
    """``(schema, defs)``: a mapping keyed by the model's constant names; ``leaf(info)`` is
    the schema of one value.

    A subscripted constant takes either one leaf (every element) or a mapping of subscript
    elements to leaves: nested and comma-separated (``"US, Seg"``) when ``several``,
    else one element per key (sweeps, priors).
    """
    props, defs = {}, {}
    for name, info in model.constants.items():
        elements = [e for d in info.dims for e in model.dims[d]]
        if not elements:
            props[name] = {"description": constant_description(info), **leaf(info)}
            continue
        defs[name] = leaf(info)
        one = {"$ref": f"#/$defs/{_pointer(name)}"}
        if several:
            ref = f"#/$defs/{_pointer(name + '[]')}"
            defs[name + "[]"] = {
                "anyOf": [
                    one,
                    {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": {"pattern": element_pattern(elements)},
                        "additionalProperties": {"$ref": ref},
                    },
                ]
            }
            schema = {"$ref": ref}
        else:
            schema = {
                "anyOf": [
                    one,
                    {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": False,
                        "properties": {e: one for e in elements},
                    },
                ]
            }
        props[name] = {
            "description": constant_description(info)
            + f" (one {what}, or one per element: {', '.join(elements)})",
            **schema,
        }
    return {"type": "object", "additionalProperties": False, "properties": props}, defs


def _pointer(name: str) -> str:
    """``name`` as a JSON-pointer segment."""
    return name.replace("~", "~0").replace("/", "~1")


def _text(description: str) -> dict:
    return {"type": "string", "minLength": 1, "pattern": r"\S", "description": description}


def scenario_schema(model: CompiledModel) -> dict:
    """The JSON Schema of a scenario file for ``model`` (a CompiledModel)."""
    constants, defs = constants_object(model, value_schema)
    constants["description"] = (
        "Model constants to override by their Vensim name: a number, "
        "a mapping of subscript elements, or points/step/ramp"
    )
    props = {
        "name": _text("Scenario name (default: the file name)"),
        "description": _text("One-line description (required)"),
        "extends": _text("Parent scenario: a name in the same folder or a path"),
        "constants": {"anyOf": [constants, {"type": "null"}]},
    }
    return {
        "$schema": META_SCHEMA,
        "title": "aigap scenario file",
        "description": "Generated by `aigap schema scenario` from the scenario checker "
        f"and the model {Path(model.path).name}; do not edit.",
        "type": "object",
        "additionalProperties": False,
        "required": ["description"],
        "properties": {k: props[k] for k in TOP_LEVEL_KEYS},
        "$defs": {"value": time_value_schema(), **defs},
    }


def yaml_data(path: Path | str) -> Any:
    """A YAML file as plain data the way the checkers read it (``4.7e10`` is a number, as
    in YAML 1.2 and in editors). Raises the checker's InputError on unreadable YAML."""
    from .loader import ScenarioError

    issues = IssueList(str(path))
    root = compose_file(path, issues)
    if issues:
        raise ScenarioError(issues)
    return _plain(root)


def _plain(node):
    if isinstance(node, yaml.MappingNode):
        return {construct(k): _plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v) for v in node.value]
    value = construct(node)
    if isinstance(value, str) and number(node) is not None:
        return number(node)
    return value
