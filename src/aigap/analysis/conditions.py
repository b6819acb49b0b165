"""Structured conditions on ensemble outputs, evaluated on arrays (never ``eval``).

A condition is data: a model variable, an optional subscript element (region), a year, a
comparison and a value. In a sweep file::

    conditions:
      - name: gap_ratio_2030_below_50
        variable: ARR Gap Ratio
        year: 2030
        op: "<"
        value: 50
      - {variable: Model ARR, region: CN, year: 2030, op: ">", value: 5.0e+9}

On the command line the same thing is written ``"Model ARR[CN]@2030 > 5e9"`` and parsed with
a regular expression by :func:`parse_condition`.

A *year* ``Y`` means the end of that year: model time ``Y + 1.0`` (time ``2025.0`` is
1 January 2025, i.e. the end of 2024). Use ``time:`` instead of ``year:`` for an exact
decimal time.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np

from ..core.errors import AigapError

__all__ = [
    "Condition",
    "ConditionError",
    "CONDITION_KEYS",
    "OPS",
    "YEAR_END_OFFSET",
    "year_to_time",
    "parse_condition",
    "condition_from_mapping",
    "check_condition",
    "evaluate",
    "series_at",
    "Target",
    "parse_target",
]

#: comparison operators allowed in a condition
OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
#: model time of the end of calendar year Y is Y + YEAR_END_OFFSET
YEAR_END_OFFSET = 1.0
_KEYS = ("name", "variable", "region", "year", "time", "op", "value")
CONDITION_KEYS = _KEYS  # public name (the JSON Schema of sweep files)
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_STRING_FORM = re.compile(
    r"^\s*(?P<var>[^\[\]@<>=]+?)\s*(?:\[\s*(?P<reg>[^\[\]]+?)\s*\])?\s*@\s*"
    r"(?P<year>\d{4}(?:\.\d+)?)\s*(?P<op><=|>=|<|>)\s*(?P<val>" + _NUMBER + r")\s*$"
)


_TARGET_FORM = re.compile(
    r"^\s*(?P<var>[^\[\]@<>=]+?)\s*(?:\[\s*(?P<reg>[^\[\]]+?)\s*\])?\s*@\s*"
    r"(?P<year>\d{4}(?:\.\d+)?)\s*$"
)


class ConditionError(AigapError, ValueError):
    """A condition is malformed or names something the model does not have."""


def year_to_time(year: float) -> float:
    """Model time of the end of calendar ``year``."""
    return float(year) + YEAR_END_OFFSET


def _where(variable: str, region: str | None, time: float) -> str:
    """``Var[REG]@2030`` (year end) or ``Var[REG]@2030.5`` (a model time)."""
    reg = f"[{region}]" if region else ""
    year = time - YEAR_END_OFFSET
    when = f"{year:g}" if float(year).is_integer() else f"{time:.6g}"
    if "." not in when and not float(year).is_integer():
        when += ".0"
    return f"{variable}{reg}@{when}"


def _time_of(year: str) -> float:
    """A four-digit year is its year end; a decimal is a model time."""
    return year_to_time(int(year)) if "." not in year else float(year)


@dataclass(frozen=True)
class Condition:
    """``variable[region]`` at ``time`` compared with ``value`` by ``op``."""

    variable: str
    region: str | None
    time: float
    op: str
    value: float
    name: str = ""

    @property
    def label(self) -> str:
        """Human-readable form (also the string form accepted by :func:`parse_condition`)."""
        return f"{_where(self.variable, self.region, self.time)} {self.op} {self.value:g}"

    @property
    def key(self) -> str:
        """The condition's name if given, else its label."""
        return self.name or self.label


def parse_condition(text: str) -> Condition:
    """Parse ``"Variable[REGION]@YEAR OP VALUE"`` (region optional) into a Condition.

    A four-digit year is the end of that year; a decimal like ``2030.5`` is taken as a
    model time.
    """
    m = _STRING_FORM.match(text or "")
    if not m:
        raise ConditionError(
            f"cannot parse condition {text!r}: expected 'Variable[REGION]@YEAR OP VALUE' "
            "with OP one of <, <=, >, >= (e.g. 'Model ARR Gap Ratio@2030 < 20')"
        )
    return Condition(
        m.group("var").strip(),
        m.group("reg"),
        _time_of(m.group("year")),
        m.group("op"),
        float(m.group("val")),
    )


@dataclass(frozen=True)
class Target:
    """A scalar output of a run: ``variable[region]`` at ``time`` (e.g. for sensitivity)."""

    variable: str
    region: str | None
    time: float

    @property
    def label(self) -> str:
        """``Variable[REGION]@YEAR`` as written on the command line."""
        return _where(self.variable, self.region, self.time)

    def as_condition(self) -> Condition:
        """A (dummy) condition with the same variable, region and time, for checking."""
        return Condition(self.variable, self.region, self.time, ">", 0.0)

    def values(self, values: np.ndarray, times: np.ndarray, elements=None) -> np.ndarray:
        """The target's value per run from a ``(run, time[, element])`` array."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 3:
            values = values[:, :, list(elements).index(self.region)]
        return series_at(values, times, self.time)


def parse_target(text: str) -> Target:
    """Parse ``"Variable[REGION]@YEAR"`` (year end; a decimal is a model time)."""
    m = _TARGET_FORM.match(text or "")
    if not m:
        raise ConditionError(
            f"cannot parse output {text!r}: expected 'Variable[REGION]@YEAR' "
            "(e.g. 'Model ARR[CN]@2030' or 'ARR Gap Ratio@2030')"
        )
    return Target(m.group("var").strip(), m.group("reg"), _time_of(m.group("year")))


def _number(key: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
        raise ConditionError(f"'{key}' must be a finite number, got {v!r}")
    return float(v)


def condition_from_mapping(spec) -> Condition:
    """Build a Condition from a sweep-file mapping (see module docstring)."""
    if isinstance(spec, str):
        return parse_condition(spec)
    if not isinstance(spec, dict):
        raise ConditionError(f"a condition must be a mapping or a string, got {spec!r}")
    for k in spec:
        if k not in _KEYS:
            hint = difflib.get_close_matches(str(k), _KEYS, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConditionError(f"unknown condition key '{k}'{extra}")
    for k in ("variable", "op", "value"):
        if k not in spec:
            raise ConditionError(f"condition needs '{k}'")
    if ("year" in spec) == ("time" in spec):
        raise ConditionError("condition needs exactly one of 'year' or 'time'")
    var = spec["variable"]
    if not isinstance(var, str) or not var.strip():
        raise ConditionError(f"'variable' must be a model variable name, got {var!r}")
    region = spec.get("region")
    if region is not None and not isinstance(region, str):
        raise ConditionError(f"'region' must be a subscript element name, got {region!r}")
    op = spec["op"]
    if op not in OPS:
        raise ConditionError(f"'op' must be one of {', '.join(OPS)}, got {op!r}")
    if "year" in spec:
        year = spec["year"]
        if isinstance(year, bool) or not isinstance(year, int):
            raise ConditionError(f"'year' must be an integer year, got {year!r}")
        time = year_to_time(year)
    else:
        time = _number("time", spec["time"])
    name = spec.get("name", "")
    if not isinstance(name, str):
        raise ConditionError(f"'name' must be a string, got {name!r}")
    return Condition(var.strip(), region, time, op, _number("value", spec["value"]), name)


def check_condition(
    cond: Condition,
    variables: dict[str, tuple[str, ...]],
    coords: dict[str, tuple[str, ...]],
    time_range: tuple[float, float] | None = None,
) -> None:
    """Check a condition against the model.

    Parameters
    ----------
    variables : dict
        Vensim name -> subscript range names (``()`` for a scalar).
    coords : dict
        Range name -> elements.
    time_range : (float, float), optional
        Simulated time span.
    """
    if cond.variable not in variables:
        hint = difflib.get_close_matches(cond.variable, list(variables), n=1)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise ConditionError(f"unknown variable '{cond.variable}'{extra}")
    dims = tuple(variables[cond.variable])
    if len(dims) > 1:
        raise ConditionError(f"'{cond.variable}' has {len(dims)} subscripts; only one supported")
    if dims and cond.region is None:
        elems = coords[dims[0]]
        raise ConditionError(
            f"'{cond.variable}' is subscripted by {dims[0]}: give a region ({', '.join(elems)})"
        )
    if not dims and cond.region is not None:
        raise ConditionError(f"'{cond.variable}' is not subscripted; drop region '{cond.region}'")
    if dims and cond.region not in coords[dims[0]]:
        elems = coords[dims[0]]
        raise ConditionError(
            f"unknown region '{cond.region}' for '{cond.variable}' (one of {', '.join(elems)})"
        )
    if time_range is not None and not time_range[0] <= cond.time <= time_range[1]:
        year = cond.time - YEAR_END_OFFSET
        what = (
            f"year {year:g} (its end is time {cond.time:g})"
            if float(year).is_integer()
            else f"time {cond.time:g}"
        )
        raise ConditionError(
            f"{what} is outside the simulated span {time_range[0]:g}-{time_range[1]:g}"
        )


def series_at(values: np.ndarray, times: np.ndarray, t: float) -> np.ndarray:
    """Linear interpolation of ``values`` (run, time) at time ``t`` -> (run,)."""
    times = np.asarray(times, dtype=float)
    if not times[0] - 1e-9 <= t <= times[-1] + 1e-9:
        raise ConditionError(f"time {t:g} outside {times[0]:g}-{times[-1]:g}")
    k = int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2))
    w = (t - times[k]) / (times[k + 1] - times[k])
    w = float(np.clip(w, 0.0, 1.0))
    return values[:, k] * (1.0 - w) + values[:, k + 1] * w


def evaluate(
    cond: Condition, values: np.ndarray, times: np.ndarray, elements: tuple[str, ...] | None = None
) -> np.ndarray:
    """Evaluate ``cond`` on one output array -> boolean ``(run,)``.

    Parameters
    ----------
    values : ndarray
        ``(run, time)`` for a scalar variable or ``(run, time, element)`` for a subscripted one.
    times : ndarray
        ``(time,)`` saved times.
    elements : tuple of str, optional
        Element names of the last axis (required when ``values`` is 3-D).
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 3:
        if elements is None or cond.region not in elements:
            raise ConditionError(f"region '{cond.region}' not among {elements}")
        values = values[:, :, list(elements).index(cond.region)]
    elif values.ndim != 2:
        raise ConditionError(f"expected (run, time[, element]) values, got shape {values.shape}")
    x = series_at(values, times, cond.time)
    with np.errstate(invalid="ignore"):
        return OPS[cond.op](x, cond.value) & np.isfinite(x)
