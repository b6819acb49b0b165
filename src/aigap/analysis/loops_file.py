"""Named loops (``model/<model>.loops.yaml``): names for discovered feedback loops.

Schema::

    loops:
      R1:
        title: developer flywheel
        variables: [Paying Developers, Developer Adoption]

A discovered loop (per region) gets the name whose ``variables`` are all on it; the
shortest such loop wins, so a named loop is the tightest cycle through its variables.
"""

from __future__ import annotations

from pathlib import Path

from ..scenarios import InputError
from ..core.errors import IssueList, closest
from ..scenarios.yamlnodes import compose_file, is_mapping, is_sequence, line_of
from .loops_job import region_of

KEYS = ("title", "variables")


def loops_file(model_path) -> Path:
    """``model/ai_gap.mdl`` -> ``model/ai_gap.loops.yaml``."""
    p = Path(model_path)
    return p.with_name(p.stem + ".loops.yaml")


def load_loop_names(path, variables) -> dict:
    """``{name: (title, tuple of variables)}``; InputError with ``file:line`` issues."""
    issues = IssueList(str(path))
    root = compose_file(path, issues)
    out = {}
    if root is not None and not (
        is_mapping(root)
        and [k.value for k, _ in root.value] == ["loops"]
        and is_mapping(root.value[0][1])
    ):
        issues.add(line_of(root), "loops", "expected one top-level key 'loops' (a mapping)")
        root = None
    for knode, vnode in root.value[0][1].value if root is not None else ():
        name = knode.value
        if not is_mapping(vnode):
            issues.add(line_of(vnode), name, "expected a mapping with 'title' and 'variables'")
            continue
        entry = {k.value: v for k, v in vnode.value}
        for k, v in vnode.value:
            if k.value not in KEYS:
                issues.add(line_of(k), f"{name}.{k.value}", "unknown key", closest(k.value, KEYS))
        var = entry.get("variables")
        if var is None or not is_sequence(var) or not var.value:
            issues.add(line_of(vnode), f"{name}.variables", "expected a non-empty list")
            continue
        names = []
        for item in var.value:
            if not isinstance(item.value, str) or item.value not in variables:
                issues.add(
                    line_of(item),
                    f"{name}.variables",
                    f"unknown variable '{item.value}'",
                    closest(str(item.value), variables),
                )
            names.append(str(item.value))
        title = entry.get("title")
        out[name] = (str(title.value) if title is not None else "", tuple(names))
    if issues:
        raise InputError(list(issues))
    return out


def name_loops(loops, named: dict) -> dict:
    """``{loop index: name}``: per region, the shortest loop through each name's variables."""
    best = {}
    for i, lp in enumerate(loops):
        on = {p.split("[")[0] for p in lp.name.split(": ")[-1].split(" -> ")}
        for name, (_, needed) in named.items():
            key = (name, region_of(lp.name))
            if set(needed) <= on and (
                key not in best or len(lp.nodes) < len(loops[best[key]].nodes)
            ):
                best[key] = i
    return {i: name for (name, _), i in best.items()}
