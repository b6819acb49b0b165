"""Observation files (published numbers the model is held to) and the fit of a simulation.

Works for any file in the format of ``scenarios/data/observations.yaml`` (see
``docs/architecture.md``). The simulated value compared with an observation is
``share * variable[region]`` at ``time`` (linear interpolation between saved times).

Residuals (log errors) are defined so that a satisfied bound costs nothing:

=========  ==========================================================
kind       residual r (and pass rule)
=========  ==========================================================
point      ln(sim / value); passes when |r| <= tolerance (default 0.25)
lower      min(0, ln(sim / value)); passes when sim >= value
upper      max(0, ln(sim / value)); passes when sim <= value
range      ln(sim / low) below, ln(sim / high) above, else 0; passes inside
=========  ==========================================================

``pct_error = 100 * (exp(r) - 1)``. The pure functions :func:`simulated_matrix`
and :func:`residuals` work on whole ensembles, ``(runs, observations)``, for calibration.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .core.errors import InputError, IssueList, closest
from .scenarios.yamlnodes import (
    compose_file,
    construct,
    describe,
    is_mapping,
    is_null,
    is_sequence,
    line_of,
    mapping_items,
    number,
    string,
)

if TYPE_CHECKING:
    import pandas as pd
    from yaml import Node

    from .engine import CompiledModel, SimulationResult, VariableInfo

KINDS = ("point", "lower", "upper", "range")
TOP_LEVEL_KEYS = ("currency", "observations", "description", "notes")
ITEM_KEYS = (
    "id",
    "description",
    "variable",
    "region",
    "share",
    "time",
    "kind",
    "value",
    "low",
    "high",
    "unit",
    "weight",
    "tolerance",
    "source",
    "notes",
)
DEFAULT_TOLERANCE = 0.25
_TINY = 1e-300


class ObservationError(InputError):
    """An observation file is invalid; ``.issues`` lists every problem."""


@dataclass(frozen=True)
class Observation:
    """One published number. ``value`` is the point/bound; ``low``/``high`` a range."""

    id: str
    variable: str | None
    region: str | None
    time: float
    kind: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    share: float = 1.0
    weight: float = 1.0
    tolerance: float = DEFAULT_TOLERANCE
    unit: str | None = None
    description: str = ""
    source: dict | None = None
    line: int | None = None
    key_lines: dict = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, key: str) -> int | None:
        """Line of ``key`` in the file (the entry's line when the key is absent)."""
        return self.key_lines.get(key, self.line)

    @property
    def reference(self) -> float:
        """Geometric centre of a range, else the value (used for plotting)."""
        return float(np.sqrt(self.low * self.high)) if self.kind == "range" else self.value


@dataclass(frozen=True)
class Observations:
    """A validated observation file; ``items`` keeps the file order."""

    path: str
    items: tuple
    currency: dict | None = None

    @property
    def fitted(self) -> tuple:
        """Observations mapped to a model variable (the others are context only)."""
        return tuple(o for o in self.items if o.variable is not None)

    def __len__(self) -> int:
        return len(self.items)


# --------------------------------------------------------------------------- loading


def load_observations(path: Path | str, model: CompiledModel | None = None) -> Observations:
    """Load and validate an observation file.

    Parameters
    ----------
    path : str or Path
    model : CompiledModel, optional
        When given, variable names and regions are checked against it.

    Raises
    ------
    ObservationError
        Listing every problem (file:line: key: message).
    """
    issues = IssueList(str(path))
    root = compose_file(path, issues)
    items, currency = [], None
    if root is not None and not is_mapping(root):
        issues.add(line_of(root), "", "an observation file must be a mapping with 'observations'")
    elif root is not None:
        found = {}
        for key, knode, vnode in mapping_items(root, issues, ""):
            if key not in TOP_LEVEL_KEYS:
                issues.add(
                    line_of(knode),
                    key,
                    f"unknown top-level key (allowed: {', '.join(TOP_LEVEL_KEYS)})",
                    closest(key, TOP_LEVEL_KEYS),
                )
            found[key] = vnode
        currency = check_currency(found.get("currency"), issues)
        partial = []
        items = check_items(found.get("observations"), issues, partial)
        if model is not None:
            for obs in sorted([*items, *partial], key=lambda o: o.line):
                check_against_model(obs, model, issues)
    if issues:
        raise ObservationError(issues)
    return Observations(path=str(path), items=tuple(items), currency=currency)


def check_currency(node: Node | None, issues: IssueList) -> dict | None:
    """``currency: {usd_per_rmb: number > 0, source: ...}`` (optional)."""
    if node is None:
        return None
    if not is_mapping(node):
        issues.add(line_of(node), "currency", f"expected a mapping, got {describe(node)}")
        return None
    out = {}
    for key, knode, vnode in mapping_items(node, issues, "currency"):
        if key.startswith("usd_per_"):
            value = number(vnode)
            if value is None or value <= 0:
                issues.add(
                    line_of(vnode),
                    f"currency.{key}",
                    f"expected a positive number, got {describe(vnode)}",
                )
            out[key] = value
        elif key in ("source", "note", "notes"):
            out[key] = construct(vnode)
        else:
            issues.add(
                line_of(knode),
                f"currency.{key}",
                "unknown key (allowed: usd_per_<currency>, source, note)",
            )
    return out


def check_items(
    node: Node | None, issues: IssueList, partial: list | None = None
) -> list[Observation]:
    """The ``observations`` list: each item checked by :func:`check_item`; ids unique.
    Items with errors go to ``partial`` (when given) so the model checks still run on
    them: one error in an item never hides its others."""
    if node is None:
        issues.add(1, "observations", "missing required key (a list of observations)")
        return []
    if not is_sequence(node):
        issues.add(line_of(node), "observations", f"expected a list, got {describe(node)}")
        return []
    out, ids = [], {}
    for i, inode in enumerate(node.value):
        obs = check_item(inode, i, issues, partial)
        if obs is None:
            continue
        if obs.id in ids:
            issues.add(
                obs.line_of("id"),
                f"observations[{i}].id",
                f"duplicate id '{obs.id}' (first on line {ids[obs.id]})",
            )
            continue
        ids[obs.id] = obs.line
        out.append(obs)
    return out


def check_item(
    node: Node, i: int, issues: IssueList, partial: list | None = None
) -> Observation | None:
    """One observation: known keys, types, kind-specific values."""
    where = f"observations[{i}]"
    if not is_mapping(node):
        issues.add(line_of(node), where, f"expected a mapping, got {describe(node)}")
        return None
    n_before = len(issues.items)
    items = mapping_items(node, issues, where)
    fields = {key: vnode for key, _, vnode in items if key in ITEM_KEYS}
    ident = string(fields["id"]) if "id" in fields else None
    where = f"observations[{ident}]" if ident else where
    if ident is None:
        issues.add(line_of(node), f"{where}.id", "missing or empty id")
    for key, knode, _ in items:
        if key not in ITEM_KEYS:
            issues.add(line_of(knode), f"{where}.{key}", "unknown key", closest(key, ITEM_KEYS))

    def num(key, default=None, positive=False, required=False):
        vnode = fields.get(key)
        if vnode is None or is_null(vnode):
            if required:
                issues.add(line_of(node), f"{where}.{key}", "missing required number")
            return default
        value = number(vnode)
        if value is None or (positive and value <= 0) or value < 0:
            need = "a positive" if positive else "a non-negative"
            issues.add(
                line_of(vnode), f"{where}.{key}", f"expected {need} number, got {describe(vnode)}"
            )
            return default
        return value

    def text(key):
        vnode = fields.get(key)
        if vnode is None or is_null(vnode):
            return None
        value = string(vnode)
        if value is None:
            issues.add(
                line_of(vnode),
                f"{where}.{key}",
                f"expected a string or null, got {describe(vnode)}",
            )
        return value

    kind = text("kind") or "point"
    if kind not in KINDS:
        issues.add(
            line_of(fields["kind"]),
            f"{where}.kind",
            f"unknown kind '{kind}' (allowed: {', '.join(KINDS)})",
            closest(kind, KINDS),
        )
    time = fields.get("time")
    t = number(time) if time is not None else None
    if t is None:
        issues.add(
            line_of(time or node),
            f"{where}.time",
            "expected a decimal year (e.g. 2026.4)"
            if time is not None
            else "missing required decimal year",
        )
    variable = text("variable")
    need = ("low", "high") if kind == "range" else ("value",)
    vals = {k: num(k, positive=True, required=variable is not None) for k in need}
    for k in {"value", "low", "high"} - set(need):
        if k in fields and not is_null(fields[k]):
            issues.add(
                line_of(fields[k]),
                f"{where}.{k}",
                f"not used by kind '{kind}' (a {kind} takes {' and '.join(need)})",
            )
    if kind == "range" and None not in vals.values() and vals["low"] > vals["high"]:
        issues.add(line_of(fields["low"]), f"{where}.low", "low is greater than high")
    source = fields.get("source")
    check_source(source, node, f"{where}.source", issues)
    failed = len(issues.items) > n_before
    if failed and (partial is None or variable is None):
        return None
    obs = Observation(
        id=ident or str(i),
        variable=variable,
        region=text("region"),
        time=t,
        kind=kind,
        value=vals.get("value"),
        low=vals.get("low"),
        high=vals.get("high"),
        share=num("share", 1.0, positive=True),
        weight=num("weight", 1.0),
        tolerance=num("tolerance", DEFAULT_TOLERANCE, positive=True),
        unit=text("unit"),
        description=text("description") or "",
        line=line_of(node),
        key_lines={key: line_of(knode) for key, knode, _ in items},
        source=construct(source) if source is not None else None,
    )
    if failed:
        partial.append(obs)
        return None
    return obs


SOURCE_KEYS = ("file", "quote", "page", "url", "note")


def check_source(snode: Node | None, item_node: Node, where: str, issues: IssueList) -> None:
    """``source``: required; a citation string or ``{file, quote}`` (page, url, note optional).

    Every number the model is held to must say where it comes from (README, observations).
    """
    if snode is None or is_null(snode):
        issues.add(
            line_of(item_node),
            where,
            'missing required source (e.g. {file: article.txt, quote: "..."})',
        )
        return
    if not is_mapping(snode):
        text = string(snode)
        if text is None or not text.strip():
            issues.add(
                line_of(snode),
                where,
                f"expected a citation string or a mapping {{file, quote}}, got {describe(snode)}",
            )
        return
    found = {}
    for key, knode, vnode in mapping_items(snode, issues, where):
        if key not in SOURCE_KEYS:
            issues.add(line_of(knode), f"{where}.{key}", "unknown key", closest(key, SOURCE_KEYS))
            continue
        value = string(vnode)
        if value is None or not value.strip():
            issues.add(
                line_of(vnode),
                f"{where}.{key}",
                f"expected a non-empty string, got {describe(vnode)}",
            )
        found[key] = value
    for key in ("file", "quote"):
        if key not in found:
            issues.add(line_of(snode), f"{where}.{key}", "missing required string")


def check_against_model(obs: Observation, model: CompiledModel, issues: IssueList) -> None:
    """The variable exists and the region fits its subscripts."""
    if obs.variable is None:
        return
    key = f"observations[{obs.id}]"
    info = model.variables.get(obs.variable)
    if info is None:
        issues.add(
            obs.line_of("variable"),
            f"{key}.variable",
            f"unknown model variable '{obs.variable}'",
            closest(obs.variable, model.variables),
        )
        return
    elements = [e for d in info.dims for e in model.dims[d]]
    if not info.dims:  # unit and time are checked for scalar variables too
        if obs.region is not None:
            issues.add(
                obs.line_of("region"),
                f"{key}.region",
                f"'{obs.variable}' is not subscripted; region must be null",
            )
    elif len(info.dims) > 1:
        issues.add(
            obs.line_of("variable"),
            f"{key}.variable",
            f"'{obs.variable}' has several subscript "
            f"ranges {info.dims}; only one range is supported",
        )
    elif obs.region not in elements:
        issues.add(
            obs.line_of("region"),
            f"{key}.region",
            f"region must be one of {', '.join(elements)} for '{obs.variable}', got {obs.region!r}",
            closest(obs.region or "", elements) if obs.region else None,
        )
    check_unit(obs, info, issues)
    if obs.time is not None and not (model.initial_time <= obs.time <= model.final_time):
        issues.add(
            obs.line_of("time"),
            f"{key}.time",
            f"{obs.time:g} is outside the simulated period "
            f"[{model.initial_time:g}, {model.final_time:g}]",
        )


def _norm_unit(unit: str) -> str:
    u = re.sub(r"\s+", "", unit or "").lower()
    u = re.sub(r"\b(years|yr|yrs)\b", "year", u)
    return "dmnl" if u in ("", "1", "dimensionless", "dmnl") else u


def check_unit(obs: Observation, info: VariableInfo, issues: IssueList) -> None:
    """An observation's unit, when given, is the model variable's unit (values must be
    converted first, e.g. RMB to USD at the file's ``currency`` rate)."""
    if obs.unit is None or info.units is None:
        return
    if _norm_unit(obs.unit) != _norm_unit(info.units):
        issues.add(
            obs.line_of("unit"),
            f"observations[{obs.id}].unit",
            f"'{obs.unit}' differs from the "
            f"unit of '{obs.variable}' ({info.units}); convert the value",
        )


# --------------------------------------------------------------------------- fit


def simulated_matrix(
    observations: Observations | Sequence[Observation], result: SimulationResult
) -> np.ndarray:
    """``share * variable[region]`` at each observation's time: array ``(runs, n_obs)``.

    Only observations with a variable (``observations.fitted``) are columns.
    """
    items = observations.fitted if isinstance(observations, Observations) else observations
    t = np.asarray(result.time, dtype=float)
    out = np.empty((result.n_runs, len(items)))
    for j, obs in enumerate(items):
        if obs.region is None:
            series = result[obs.variable]
        else:
            dim = result.dims[obs.variable][2]
            series = result.sel(obs.variable, **{dim: obs.region})
        series = series.reshape(result.n_runs, t.size)
        if not (t[0] - 1e-9 <= obs.time <= t[-1] + 1e-9):
            raise InputError(
                [
                    f"observation '{obs.id}' at {obs.time:g} is outside the "
                    f"simulated period [{t[0]:g}, {t[-1]:g}]"
                ]
            )
        i = int(np.clip(np.searchsorted(t, obs.time, side="right") - 1, 0, max(t.size - 2, 0)))
        if t.size == 1:
            out[:, j] = series[:, 0]
            continue
        w = (obs.time - t[i]) / (t[i + 1] - t[i])
        out[:, j] = obs.share * ((1 - w) * series[:, i] + w * series[:, i + 1])
    return out


def residuals(items: Sequence[Observation], sim: np.ndarray) -> np.ndarray:
    """Log-error residuals ``(runs, n_obs)`` (0 when a bound or range is satisfied)."""
    sim = np.maximum(np.asarray(sim, dtype=float), _TINY)
    out = np.zeros_like(sim)
    for j, obs in enumerate(items):
        if obs.kind == "range":
            low, high = np.log(sim[:, j] / obs.low), np.log(sim[:, j] / obs.high)
            out[:, j] = np.minimum(low, 0) + np.maximum(high, 0)
            continue
        r = np.log(sim[:, j] / obs.value)
        out[:, j] = {"point": r, "lower": np.minimum(r, 0), "upper": np.maximum(r, 0)}[obs.kind]
    return out


def passes(items: Sequence[Observation], res: np.ndarray) -> np.ndarray:
    """Boolean ``(runs, n_obs)``: points within tolerance, bounds and ranges satisfied."""
    tol = np.array([o.tolerance if o.kind == "point" else 1e-12 for o in items])
    return np.abs(res) <= tol


def loss(items: Sequence[Observation], res: np.ndarray) -> np.ndarray:
    """Weighted sum of squared residuals per run, ``(runs,)``."""
    w = np.array([o.weight for o in items])
    return (w * res**2).sum(axis=1)


def fit_table(observations: Observations, result: SimulationResult, run: int = 0) -> pd.DataFrame:
    """Observed vs simulated for one run: a pandas DataFrame, one row per fitted observation.

    Columns: id, variable, region, time, kind, observed, low, high, unit, simulated,
    log_error, pct_error, tolerance, weight, passed, description.
    """
    import pandas as pd

    items = observations.fitted
    sim = simulated_matrix(items, result)
    res = residuals(items, sim)
    ok = passes(items, res)
    rows = []
    for j, o in enumerate(items):
        rows.append(
            {
                "id": o.id,
                "variable": o.variable,
                "region": o.region or "",
                "time": o.time,
                "kind": o.kind,
                "observed": o.value if o.kind != "range" else np.nan,
                "low": o.low if o.kind == "range" else np.nan,
                "high": o.high if o.kind == "range" else np.nan,
                "unit": o.unit or "",
                "share": o.share,
                "simulated": sim[run, j],
                "log_error": res[run, j],
                "pct_error": 100 * np.expm1(res[run, j]),
                "tolerance": o.tolerance,
                "weight": o.weight,
                "passed": bool(ok[run, j]),
                "description": o.description,
            }
        )
    return pd.DataFrame(rows)


def default_observations_path(scenario_path: Path | str) -> Path | None:
    """``<scenario folder>/data/observations.yaml`` when it exists."""
    cand = Path(scenario_path).parent / "data" / "observations.yaml"
    return cand if cand.is_file() else None
