"""Parameter overrides: validation and normalisation to ``(runs, *dims)`` arrays."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches

import numpy as np

from .errors import ParameterError


@dataclass(frozen=True)
class TimeSeries:
    """A constant replaced by ``(time, value)`` points, linear over Time.

    Interpolated like a Vensim lookup over Time: linear between points and
    held constant beyond the first and last point (as PySD does for a
    ``pandas.Series`` parameter).

    Parameters
    ----------
    times : array_like, shape (P,)
        Strictly increasing times.
    values : array_like, shape (P,), (runs, P) or (runs, *dims, P)
        Values at those times; the last axis is over points.
    """

    times: np.ndarray
    values: np.ndarray

    def __post_init__(self):
        t = np.asarray(self.times, dtype=float)
        v = np.asarray(self.values, dtype=float)
        if t.ndim != 1 or t.size < 1:
            raise ParameterError("TimeSeries times must be a non-empty 1-D array")
        if np.any(np.diff(t) <= 0):
            raise ParameterError("TimeSeries times must be strictly increasing")
        if v.ndim < 1 or v.shape[-1] != t.size:
            raise ParameterError(
                f"TimeSeries values must end with an axis of {t.size} points, got shape {v.shape}"
            )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(v))):
            raise ParameterError("TimeSeries times and values must be finite")
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "values", v)


def suggest(name: str, candidates) -> str:
    """Return ``"; did you mean 'X'?"`` for the closest candidate, or ``""``."""
    candidates = list(candidates)
    lower = {c.lower(): c for c in candidates}
    if name.lower() in lower:
        return f"; did you mean '{lower[name.lower()]}'?"
    close = get_close_matches(name, candidates, n=1, cutoff=0.5)
    if not close:
        close = [lower[c] for c in get_close_matches(name.lower(), list(lower), n=1, cutoff=0.5)]
    return f"; did you mean '{close[0]}'?" if close else ""


def check_param_name(name, constants: dict) -> None:
    """Raise ParameterError when ``name`` is not an overridable constant."""
    if not isinstance(name, str):
        raise ParameterError(f"parameter names must be strings, got {name!r}")
    if name not in constants:
        raise ParameterError(f"unknown model constant '{name}'{suggest(name, constants)}")


def _leading_runs(shape, dims_shape):
    """Number of runs implied by an override's shape, or None if run-free."""
    nd = len(dims_shape)
    if shape == ():
        return None
    if nd and shape == dims_shape:
        return None
    if len(shape) == 1 + nd and shape[1:] == dims_shape:
        return shape[0]
    if len(shape) == 1 and nd:  # (runs,): one value per run for every element
        return shape[0]
    return -1


def infer_n_runs(params: dict, constants: dict) -> int:
    """Infer the ensemble size from the leading run axis of the overrides.

    Raises ParameterError on a wrong shape or inconsistent run counts.
    """
    n, first = None, None
    for name, value in params.items():
        check_param_name(name, constants)
        info = constants[name]
        dshape = tuple(info.default.shape)
        if isinstance(value, TimeSeries):
            shape = value.values.shape[:-1]
        else:
            shape = np.shape(value)
        runs = _leading_runs(tuple(shape), dshape)
        if runs == -1:
            kind = "TimeSeries values" if isinstance(value, TimeSeries) else "value"
            want = ["()", "(runs,)"]
            if dshape:
                want.append(f"(runs, {', '.join(map(str, dshape))})")
            if dshape:
                want.append(str(dshape))
            raise ParameterError(
                f"'{name}': {kind} has shape {tuple(shape)}; expected one of "
                f"{', '.join(want)} (dims {info.dims or 'scalar'})"
                + (" plus a last axis over time points" if isinstance(value, TimeSeries) else "")
            )
        if runs == 0:
            raise ParameterError(f"'{name}' has shape {tuple(shape)}: zero runs")
        if runs is not None and runs != 1:  # a run axis of 1 broadcasts (numpy rule)
            if n is not None and runs != n:
                raise ParameterError(
                    f"'{name}' has {runs} runs but '{first}' has {n} (give every "
                    "parameter the same number of runs, or 1 run / no run axis to share it)"
                )
            n, first = runs, name
    return 1 if n is None else n


def normalize_value(name, value, info, n_runs):
    """Return a float array of shape ``(n_runs, *dims)`` for a constant override."""
    dshape = tuple(info.default.shape)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"'{name}': value must be numeric, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"'{name}': values must be finite numbers")
    runs = _leading_runs(arr.shape, dshape)
    if runs == 1 and n_runs != 1:  # one run shared by every run
        arr = (
            arr.reshape((1,) + dshape)
            if arr.ndim == 1 + len(dshape)
            else np.broadcast_to(arr.reshape((1,) + (1,) * len(dshape)), (1,) + dshape)
        )
        arr = np.broadcast_to(arr, (n_runs,) + dshape)
    elif runs is None:
        arr = np.broadcast_to(arr, (n_runs,) + dshape)
    elif runs != n_runs:
        raise ParameterError(f"'{name}' has {runs} runs, expected {n_runs}")
    elif arr.ndim == 1 and dshape:
        arr = np.broadcast_to(arr.reshape((n_runs,) + (1,) * len(dshape)), (n_runs,) + dshape)
    return np.ascontiguousarray(arr, dtype=float)


def normalize_timeseries(name, ts: TimeSeries, info, n_runs):
    """Return ``(times (P,), values (n_runs, *dims, P))`` for a TimeSeries override."""
    dshape = tuple(info.default.shape)
    v = ts.values
    shape = v.shape[:-1]
    runs = _leading_runs(shape, dshape)
    if runs == 1 and n_runs != 1:  # one run shared by every run
        v = (
            v.reshape((1,) + dshape + v.shape[-1:])
            if v.ndim == 2 + len(dshape)
            else np.broadcast_to(
                v.reshape((1,) + (1,) * len(dshape) + v.shape[-1:]), (1,) + dshape + v.shape[-1:]
            )
        )
        v = np.broadcast_to(v, (n_runs,) + dshape + v.shape[-1:])
    elif runs is None:
        v = np.broadcast_to(
            v.reshape(shape + (1,) * (len(dshape) - len(shape)) + v.shape[-1:])
            if shape == ()
            else v,
            (n_runs,) + dshape + v.shape[-1:],
        )
    elif runs != n_runs:
        raise ParameterError(f"'{name}' has {runs} runs, expected {n_runs}")
    elif v.ndim == 2 and dshape:
        v = np.broadcast_to(
            v.reshape((n_runs,) + (1,) * len(dshape) + v.shape[-1:]),
            (n_runs,) + dshape + v.shape[-1:],
        )
    return ts.times, np.ascontiguousarray(v, dtype=float)
