"""Schema-first loading of a project profile (``<model>.profile.yaml``, the model contract).

Every problem is one ``file:line: key: message`` line with the closest valid name; names
are checked against the model when one is given. :func:`profile_for` is what generic
jobs call: the profile beside the model, or one derived from the model (its stocks as key
variables, no regions or gaps) when the model has none.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import InputError, IssueList, closest
from ..core.profile import Profile, profile_from_data, profile_path, shipped_profile
from .yamlnodes import (
    compose_file,
    describe,
    is_mapping,
    is_sequence,
    line_of,
    mapping_items,
    number,
    string,
)

if TYPE_CHECKING:
    from ..engine import CompiledModel

__all__ = ["ProfileError", "default_profile", "load_profile", "profile_for", "profile_keys"]

TOP_KEYS = (
    "description",
    "regions",
    "key_variables",
    "summary_variables",
    "gap_ratios",
    "report_years",
    "default_scenarios",
    "docs",
)
REGION_KEYS = ("dimension", "elements", "colors")
GAP_KEYS = ("of", "label")
YEAR_KEYS = ("first", "last")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SCENARIO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ProfileError(InputError):
    """A profile file with problems (every one listed, one line each)."""


def profile_keys() -> dict:
    """Allowed keys per section (used by the JSON Schema and the docs)."""
    return {
        "": TOP_KEYS,
        "regions": REGION_KEYS,
        "gap_ratios.*": GAP_KEYS,
        "report_years": YEAR_KEYS,
    }


def _keys(node, allowed, where, issues) -> dict:
    """``{key: value node}`` of a mapping, flagging unknown keys with the closest name."""
    out = {}
    for key, knode, vnode in mapping_items(node, issues, where):
        path = f"{where}.{key}" if where else key
        if key not in allowed:
            issues.add(line_of(knode), path, "unknown key", closest(key, allowed))
            continue
        out[key] = vnode
    return out


def _names(node, where, issues, model, allow_empty=False) -> list | None:
    """A list of model variable names (checked against ``model`` when given)."""
    if not is_sequence(node) or (not node.value and not allow_empty):
        issues.add(line_of(node), where, f"expected a list of variable names, got {describe(node)}")
        return None
    out = []
    for i, item in enumerate(node.value):
        name = string(item)
        if name is None:
            issues.add(
                line_of(item), f"{where}[{i}]", f"expected a variable name, got {describe(item)}"
            )
        elif model is not None and name not in model.variables:
            issues.add(
                line_of(item),
                f"{where}[{i}]",
                f"'{name}' is not a variable of {Path(model.path).name}",
                closest(name, model.variables),
            )
        else:
            out.append(name)
    return out


def _regions(node, issues, model) -> dict:
    if not is_mapping(node):
        issues.add(
            line_of(node),
            "regions",
            f"expected a mapping with dimension and elements, got {describe(node)}",
        )
        return {}
    keys = _keys(node, REGION_KEYS, "regions", issues)
    out: dict = {}
    dim = string(keys["dimension"]) if "dimension" in keys else None
    if dim is None:
        issues.add(
            line_of(keys.get("dimension", node)),
            "regions.dimension",
            "required: the subscript range of the regions",
        )
    elif model is not None and dim not in model.dims:
        issues.add(
            line_of(keys["dimension"]),
            "regions.dimension",
            f"'{dim}' is not a subscript range of the model",
            closest(dim, model.dims),
        )
    else:
        out["dimension"] = dim
    valid = list(model.dims[dim]) if model is not None and "dimension" in out else None
    enode = keys.get("elements")
    if enode is None or not is_sequence(enode) or len(enode.value) != 2:
        issues.add(
            line_of(enode or node),
            "regions.elements",
            "expected the two elements a "
            f"gap ratio compares (first / second), got "
            f"{describe(enode) if enode is not None else 'nothing'}",
        )
    else:
        elems = [string(e) for e in enode.value]
        for i, (e, n) in enumerate(zip(elems, enode.value)):
            if e is None or (valid is not None and e not in valid):
                issues.add(
                    line_of(n),
                    f"regions.elements[{i}]",
                    f"'{e or describe(n)}' is not an element of {dim}",
                    closest(str(e), valid or []),
                )
        if elems[0] is not None and elems[0] == elems[1]:
            issues.add(line_of(enode), "regions.elements", "the two elements must differ")
        out["elements"] = elems
    cnode = keys.get("colors")
    if cnode is not None:
        if not is_mapping(cnode):
            issues.add(
                line_of(cnode),
                "regions.colors",
                f"expected a mapping element -> '#rrggbb', got {describe(cnode)}",
            )
        else:
            colors = {}
            for el, knode, vnode in mapping_items(cnode, issues, "regions.colors"):
                color = string(vnode)
                if valid is not None and el not in valid:
                    issues.add(
                        line_of(knode),
                        f"regions.colors.{el}",
                        f"'{el}' is not an element of {dim}",
                        closest(el, valid),
                    )
                elif color is None or not _COLOR.match(color):
                    issues.add(
                        line_of(vnode),
                        f"regions.colors.{el}",
                        f"expected a colour '#rrggbb', got {describe(vnode)}",
                    )
                else:
                    colors[el] = color
            out["colors"] = colors
    return out


def _gaps(node, issues, model, dim) -> dict:
    if not is_mapping(node):
        issues.add(
            line_of(node),
            "gap_ratios",
            "expected a mapping of ratio variable -> "
            f"{{of: VARIABLE, label: TEXT}}, got {describe(node)}",
        )
        return {}
    out = {}
    for name, knode, vnode in mapping_items(node, issues, "gap_ratios"):
        where = f"gap_ratios.{name}"
        if model is not None and name not in model.variables:
            issues.add(
                line_of(knode),
                where,
                f"'{name}' is not a variable of {Path(model.path).name}",
                closest(name, model.variables),
            )
            continue
        if not is_mapping(vnode):
            issues.add(
                line_of(vnode),
                where,
                f"expected {{of: VARIABLE, label: TEXT}}, got {describe(vnode)}",
            )
            continue
        keys = _keys(vnode, GAP_KEYS, where, issues)
        of = string(keys["of"]) if "of" in keys else None
        if of is None:
            issues.add(
                line_of(keys.get("of", vnode)),
                f"{where}.of",
                "required: the regional variable the ratio divides",
            )
            continue
        if model is not None:
            if of not in model.variables:
                issues.add(
                    line_of(keys["of"]),
                    f"{where}.of",
                    f"'{of}' is not a variable of {Path(model.path).name}",
                    closest(of, model.variables),
                )
                continue
            if dim is not None and dim not in model.variables[of].dims:
                issues.add(
                    line_of(keys["of"]),
                    f"{where}.of",
                    f"'{of}' is not subscripted by {dim} (the regions' range)",
                )
                continue
        label = string(keys["label"]) if "label" in keys else None
        if "label" in keys and label is None:
            issues.add(
                line_of(keys["label"]),
                f"{where}.label",
                f"expected a text, got {describe(keys['label'])}",
            )
        out[name] = {"of": of, "label": label or name}
    return out


def _years(node, issues, model) -> dict:
    if not is_mapping(node):
        issues.add(
            line_of(node),
            "report_years",
            f"expected {{first: YEAR, last: YEAR}}, got {describe(node)}",
        )
        return {}
    keys = _keys(node, YEAR_KEYS, "report_years", issues)
    out = {}
    for k in YEAR_KEYS:
        v = number(keys[k]) if k in keys else None
        if k not in keys:
            issues.add(line_of(node), f"report_years.{k}", "required")
        elif v is None or v != int(v):
            issues.add(
                line_of(keys[k]),
                f"report_years.{k}",
                f"expected a whole year, got {describe(keys[k])}",
            )
        else:
            out[k] = int(v)
    if len(out) == 2:
        if out["first"] > out["last"]:
            issues.add(
                line_of(node),
                "report_years",
                f"first ({out['first']}) is after last ({out['last']})",
            )
        elif model is not None and not (
            model.initial_time < out["first"] + 1 and out["last"] + 1 <= model.final_time + 1e-9
        ):
            issues.add(
                line_of(node),
                "report_years",
                f"year-ends {out['first']}-"
                f"{out['last']} (times {out['first'] + 1}-{out['last'] + 1}) are "
                f"outside the model's run {model.initial_time:g}-"
                f"{model.final_time:g}",
            )
    return out


def _scenarios(node, issues) -> list:
    if not is_sequence(node):
        issues.add(
            line_of(node),
            "default_scenarios",
            f"expected a list of scenario names, got {describe(node)}",
        )
        return []
    out = []
    for i, item in enumerate(node.value):
        name = string(item)
        if name is None or not _SCENARIO.match(name):
            issues.add(
                line_of(item),
                f"default_scenarios[{i}]",
                f"expected a scenario name (letters, digits, _ . -), got {describe(item)}",
            )
        elif name in out:
            issues.add(line_of(item), f"default_scenarios[{i}]", f"'{name}' is listed twice")
        else:
            out.append(name)
    return out


def _docs(node, issues, folder: Path) -> list:
    if not is_sequence(node):
        issues.add(
            line_of(node),
            "docs",
            "expected a list of generator scripts (paths "
            f"relative to the profile's folder), got {describe(node)}",
        )
        return []
    present = sorted(p.name for p in folder.glob("*.py"))
    out = []
    for i, item in enumerate(node.value):
        name = string(item)
        where = f"docs[{i}]"
        if (
            name is None
            or not name.endswith(".py")
            or Path(name).is_absolute()
            or ".." in Path(name).parts
        ):
            issues.add(
                line_of(item),
                where,
                f"expected a .py script inside the profile's folder, got {describe(item)}",
            )
        elif not (folder / name).is_file():
            issues.add(
                line_of(item), where, f"'{name}' not found in {folder}", closest(name, present)
            )
        else:
            out.append(name)
    return out


def load_profile(path: Path | str, model: CompiledModel | None = None) -> Profile:
    """Read and validate a profile file; names are checked against ``model`` if given.

    Raises
    ------
    ProfileError
        Listing every problem, one ``file:line: key: message`` line each.
    """
    issues = IssueList(str(path))
    root = compose_file(path, issues)
    if root is not None and not is_mapping(root):
        issues.add(
            line_of(root),
            "",
            "a profile must be a mapping with key_variables, "
            f"regions, gap_ratios, ...; got {describe(root)}",
        )
        root = None
    data: dict = {}
    if root is not None:
        keys = _keys(root, TOP_KEYS, "", issues)
        if "description" in keys:
            data["description"] = string(keys["description"]) or ""
        if "regions" in keys:
            data["regions"] = _regions(keys["regions"], issues, model)
        if "key_variables" not in keys:
            issues.add(
                line_of(root), "key_variables", "required: the variables plots and sweeps show"
            )
        else:
            data["key_variables"] = _names(keys["key_variables"], "key_variables", issues, model)
        if "summary_variables" in keys:
            data["summary_variables"] = _names(
                keys["summary_variables"], "summary_variables", issues, model, allow_empty=True
            )
        if "gap_ratios" in keys:
            if "regions" not in keys:
                issues.add(
                    line_of(keys["gap_ratios"]),
                    "gap_ratios",
                    "gap ratios need regions (dimension and the two elements they compare)",
                )
            dim = (data.get("regions") or {}).get("dimension")
            data["gap_ratios"] = _gaps(keys["gap_ratios"], issues, model, dim)
        if "report_years" in keys:
            data["report_years"] = _years(keys["report_years"], issues, model)
        if "default_scenarios" in keys:
            data["default_scenarios"] = _scenarios(keys["default_scenarios"], issues)
        if "docs" in keys:
            data["docs"] = _docs(keys["docs"], issues, Path(path).parent)
    if issues:
        raise ProfileError(issues)
    return profile_from_data(data, path)


def default_profile(model: CompiledModel) -> Profile:
    """A profile for a model without a profile file: its stocks (else every variable) as
    key and summary variables, no regions or gap ratios, every whole year-end in the run."""
    names = [n for n, v in model.variables.items() if v.kind == "stock"] or [
        n for n, v in model.variables.items() if v.kind in ("aux", "flow")
    ]
    names = names[:9]
    first = (
        int(model.initial_time)
        if float(model.initial_time).is_integer()
        else int(model.initial_time) + 1
    )
    last = int(model.final_time) - 1
    years = tuple(range(first, last + 1))
    if len(years) > 5:  # five columns, evenly spread
        years = tuple(sorted({years[round(k * (len(years) - 1) / 4)] for k in range(5)}))
    return Profile(key_variables=tuple(names), summary_variables=tuple(names), report_years=years)


def profile_for(model: CompiledModel) -> Profile:
    """The profile of ``model`` (a CompiledModel): ``<model>.profile.yaml`` beside it,
    validated against the model; else the shipped model's profile when ``model`` defines
    any of its summary variables or gap ratios (a variant or copy of the project model);
    else :func:`default_profile`."""
    path = profile_path(model.path)
    if path.is_file():
        return load_profile(path, model)
    shipped = shipped_profile()
    if any(v in model.variables for v in shipped.table_variables):
        return shipped
    return default_profile(model)
