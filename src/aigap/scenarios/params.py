"""The one precedence function: scenario + command line -> engine parameters."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..core.errors import IssueList
from .loader import ScenarioError
from .schema import Override, Points, check_elements, check_overrides

if TYPE_CHECKING:
    from ..engine import CompiledModel, ConstantInfo, TimeSeries
    from .loader import Scenario

_SET = re.compile(r"^\s*(?P<name>[^\[\]=]+?)\s*(?:\[(?P<elems>[^\]]*)\])?\s*=\s*(?P<value>.*?)\s*$")


def parse_sets(cli_sets: Iterable[str] | None, issues: IssueList | None = None) -> list[Override]:
    """Parse ``--set "NAME=VALUE"`` / ``"NAME[CN]=VALUE"`` strings into overrides.

    Malformed text is recorded in ``issues`` (or raised as ScenarioError when no list is
    given); names, elements and ranges are checked by :func:`resolve_params`.
    """
    own = issues is None
    issues = IssueList("--set") if own else issues
    out = []
    for text in cli_sets or ():
        m = _SET.match(text)
        if not m or not m["name"]:
            issues.add(None, text, "expected NAME=VALUE or NAME[ELEMENT]=VALUE")
            continue
        try:
            value = float(m["value"])
        except ValueError:
            value = None
        if value is None or not np.isfinite(value):
            issues.add(None, text, f"value '{m['value']}' is not a finite number")
            continue
        elems = tuple((e.strip(), None) for e in (m["elems"] or "").split(",") if e.strip())
        out.append(
            Override(
                constant=m["name"],
                value=value,
                file="--set",
                key=text,
                name_key=text,
                elements=elems,
            )
        )
    if own and issues:
        raise ScenarioError(issues)
    return out


def resolve_params(
    cm: CompiledModel, scenario: Scenario | None = None, cli_sets: Iterable[str] | None = ()
) -> dict[str, np.ndarray | TimeSeries]:
    """Engine parameters of a scenario: THE precedence rule of aigap.

    Precedence, lowest to highest:

    1. model defaults (the ``.mdl`` constants: the baseline calibration),
    2. the ``extends`` chain, root scenario first,
    3. the scenario file itself,
    4. command-line ``--set NAME=VALUE`` / ``--set NAME[ELEM]=VALUE``, in the order given.

    Each level replaces only what it names: a whole constant, or single subscript
    elements (``Price War Intensity: {CN: 0.5}`` leaves US at the lower level's value).
    A time-varying value (points/step/ramp) replaces a constant one for those elements
    and vice versa.

    Parameters
    ----------
    cm : CompiledModel
    scenario : Scenario, optional
    cli_sets : sequence of str
        ``"NAME=VALUE"`` or ``"NAME[CN]=VALUE"``.

    Returns
    -------
    dict
        ``{Vensim name: value}`` for every overridden constant only: an ``np.ndarray``
        of the constant's shape ``(*dims,)``, or an :class:`aigap.engine.TimeSeries`
        (values ``(P,)`` for a scalar constant, ``(1, *dims, P)`` for a subscripted one).

    Raises
    ------
    ScenarioError
        For an unknown name, element, or out-of-range ``--set`` value.
    """
    issues = IssueList("--set")
    sets = check_overrides(parse_sets(cli_sets, issues), cm, issues)
    overrides = list(scenario.overrides if scenario is not None else ())
    if scenario is not None:
        scen_issues = IssueList(str(scenario.path))
        overrides = check_overrides(overrides, cm, scen_issues)
        issues.extend(scen_issues)
    if issues:
        raise ScenarioError(issues)
    state = {}
    for ov in [*overrides, *sets]:
        info = cm.constants[ov.constant]
        const, series = state.setdefault(ov.constant, (np.array(info.default, dtype=float), {}))
        mask = element_mask(ov, info, cm.dims)
        for idx in zip(*np.nonzero(mask)) if mask.ndim else [()]:
            if isinstance(ov.value, Points):
                series[idx] = ov.value
            else:
                series.pop(idx, None)
                const[idx] = ov.value
    span = (cm.initial_time, cm.final_time)
    return {
        name: _to_param(cm.constants[name], const, series, span)
        for name, (const, series) in state.items()
    }


def element_mask(ov: Override, info: ConstantInfo, dims: dict) -> np.ndarray:
    """Boolean array of the constant's shape: the elements an override selects."""
    chosen = check_elements(ov, info, dims, IssueList("")) or {}
    mask = np.ones(tuple(len(dims[d]) for d in info.dims), dtype=bool)
    for axis, d in enumerate(info.dims):
        if d in chosen:
            keep = np.asarray(dims[d]) == chosen[d]
            mask &= keep.reshape([-1 if a == axis else 1 for a in range(len(info.dims))])
    return mask


def _to_param(info, const: np.ndarray, series: dict, span):
    """Constant array, or a TimeSeries whose points cover the whole simulated ``span``
    (end values held, exactly what interpolation beyond the ends would give)."""
    from aigap.engine import TimeSeries

    if not series:
        return const
    times = np.unique(
        np.concatenate(
            [np.asarray(p.times) for p in series.values()] + [np.asarray(span, dtype=float)]
        )
    )
    values = np.repeat(const[..., None], times.size, axis=-1)
    for idx, pts in series.items():
        values[idx] = np.interp(times, pts.times, pts.values)
    if not info.dims:
        return TimeSeries(times=times, values=values)
    return TimeSeries(times=times, values=values[None, ...])
