"""From a design matrix to one engine call: parameter arrays for every run.

A design column is a constant (one draw for all of its elements) or one element of a
subscripted constant (see :class:`aigap.analysis.sweepfile.Uncertain`). The base scenario's
resolved parameters (:func:`aigap.scenarios.resolve_params`) fill everything else; a sampled
value replaces a time-varying base value for the elements it covers.
"""

from __future__ import annotations

import numpy as np

from ..engine import TimeSeries

__all__ = ["design_params", "simulate_design", "column_targets"]


def column_targets(cm, uncertain) -> list:
    """Per design column: ``(constant, index)``; index selects elements (``...`` for all)."""
    out = []
    for u in uncertain:
        info = cm.constants[u.constant]
        if u.element is None or not info.dims:
            out.append((u.constant, Ellipsis))
            continue
        idx = []
        for d in info.dims:
            elems = cm.dims[d]
            idx.append(elems.index(u.element) if u.element in elems else slice(None))
        out.append((u.constant, tuple(idx)))
    return out


def design_params(cm, base: dict, uncertain, X: np.ndarray) -> dict:
    """Engine parameters for the ``n`` runs of design ``X (n, d)``.

    Parameters
    ----------
    cm : CompiledModel
    base : dict
        Resolved parameters of the base scenario (constant name -> array or TimeSeries).
    uncertain : sequence of Uncertain
        The design columns.
    X : ndarray (n, d)
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    n = X.shape[0]
    params = {k: _broadcast_runs(cm, k, v, n) for k, v in base.items()}
    targets = column_targets(cm, uncertain)
    for name in dict.fromkeys(c for c, _ in targets):
        info = cm.constants[name]
        shape = tuple(len(cm.dims[d]) for d in info.dims)
        b = base.get(name, np.asarray(info.default, dtype=float))
        if isinstance(b, TimeSeries):
            vals = np.broadcast_to(b.values.reshape((-1,) + shape + (b.times.size,)),
                                   (n,) + shape + (b.times.size,)).copy()
            for j, (c, idx) in enumerate(targets):
                if c == name:
                    sel = (slice(None),) + (idx if idx is not Ellipsis else (Ellipsis,))
                    vals[sel] = X[:, j].reshape((n,) + (1,) * (vals[sel].ndim - 1))
            params[name] = TimeSeries(times=b.times, values=vals)
        else:
            arr = np.broadcast_to(np.asarray(b, dtype=float), (n,) + shape).copy()
            for j, (c, idx) in enumerate(targets):
                if c == name:
                    sel = (slice(None),) + (idx if idx is not Ellipsis else (Ellipsis,))
                    arr[sel] = X[:, j].reshape((n,) + (1,) * (arr[sel].ndim - 1))
            params[name] = arr
    return params


def _broadcast_runs(cm, name, value, n):
    """A base time series with a single-run axis, repeated over the ``n`` runs."""
    if not isinstance(value, TimeSeries):
        return value
    dims = cm.constants[name].dims
    v = value.values
    if v.ndim == len(dims) + 2 and v.shape[0] == 1 and n != 1:
        return TimeSeries(times=value.times, values=np.broadcast_to(v, (n,) + v.shape[1:]))
    if v.ndim == 1 and dims == () and n != 1:
        return TimeSeries(times=value.times, values=np.broadcast_to(v, (n,) + v.shape))
    return value


def simulate_design(cm, base: dict, uncertain, X: np.ndarray, outputs, method: str = "euler",
                    saveper: float | None = None, final_time: float | None = None,
                    engine: str = "auto"):
    """Simulate every row of ``X`` in one engine call.

    ``engine`` (``"auto"``, ``"numpy"``, ``"compiled"``) is passed to
    ``CompiledModel.simulate``; the backend that ran is ``res.meta["engine"]``.
    Returns a SimulationResult.
    """
    params = design_params(cm, base, uncertain, X)
    return cm.simulate(params=params, n_runs=X.shape[0], method=method, saveper=saveper,
                       final_time=final_time, outputs=list(outputs), engine=engine)
