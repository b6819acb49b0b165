"""From a design matrix to one engine call: parameter arrays for every run.

A design column is a constant (one draw for all of its elements) or one element of a
subscripted constant (see :class:`aigap.analysis.sweep_file.Uncertain`). The base scenario's
resolved parameters (:func:`aigap.scenarios.resolve_params`) fill everything else; a sampled
value replaces a time-varying base value for the elements it covers.

Start time (``from_time``): a sampled value acts only from ``from_time`` on; before it the
base scenario's value (constant or time series) is kept, so the history up to the last
observation is not rewritten. The swept constant becomes a time series that steps from the
base value at ``from_time - STEP_EPS`` to the sampled value at ``from_time``. With
``from_time=None`` the sampled value applies from the initial time.
"""

from __future__ import annotations

import numpy as np

from ..engine import TimeSeries

__all__ = ["design_params", "simulate_design", "column_targets", "STEP_EPS", "resolve_engine"]

STEP_EPS = 1e-6  # width of the step from the base to the sampled value (years)


def resolve_engine(engine: str, n_runs: int) -> str:
    """``"numpy"`` or ``"compiled"`` for a job (or batch) of ``n_runs`` (the engine's
    ``choose_engine``): resolved once, so every chunk or piece of it runs the same engine."""
    from ..engine.backends import choose_engine

    return choose_engine(engine, n_runs)


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


def design_params(cm, base: dict, uncertain, X: np.ndarray, from_time=None) -> dict:
    """Engine parameters for the ``n`` runs of design ``X (n, d)``.

    Parameters
    ----------
    cm : CompiledModel
    base : dict
        Resolved parameters of the base scenario (constant name -> array or TimeSeries).
    uncertain : sequence of Uncertain
        The design columns.
    X : ndarray (n, d)
    from_time : float, optional
        The sampled values act from this time on (see the module docstring).
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
            vals = np.broadcast_to(
                b.values.reshape((-1,) + shape + (b.times.size,)), (n,) + shape + (b.times.size,)
            ).copy()
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
    if from_time is not None and from_time > cm.initial_time + STEP_EPS:
        for name in dict.fromkeys(c for c, _ in targets):
            info = cm.constants[name]
            shape = tuple(len(cm.dims[d]) for d in info.dims)
            b = base.get(name, np.asarray(info.default, dtype=float))
            params[name] = _from(b, params[name], n, shape, float(from_time))
    return params


def _at(b, times, n, shape):
    """Base value ``b`` (array or TimeSeries) at ``times``: ``(n, *shape, len(times))``."""
    if not isinstance(b, TimeSeries):
        v = np.broadcast_to(np.asarray(b, dtype=float), (n,) + shape)
        return np.repeat(v[..., None], len(times), axis=-1)
    vals = np.broadcast_to(
        b.values.reshape((-1,) + shape + (b.times.size,)), (n,) + shape + (b.times.size,)
    )
    flat = vals.reshape(-1, b.times.size)
    out = np.stack([np.interp(times, b.times, row) for row in flat])
    return out.reshape((n,) + shape + (len(times),))


def _from(b, swept, n, shape, t0):
    """The base value before ``t0`` and the swept value (array or TimeSeries) after it."""
    bt = b.times if isinstance(b, TimeSeries) else np.empty(0)
    st = swept.times if isinstance(swept, TimeSeries) else np.empty(0)
    times = np.union1d(np.concatenate([bt, st]), [t0 - STEP_EPS, t0])
    before = _at(b, times, n, shape)
    after = _at(swept, times, n, shape)
    vals = np.where(times >= t0, after, before)
    return TimeSeries(times=times, values=vals)


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


def simulate_design(
    cm,
    base: dict,
    uncertain,
    X: np.ndarray,
    outputs,
    method: str = "euler",
    saveper: float | None = None,
    final_time: float | None = None,
    engine: str = "auto",
    from_time=None,
):
    """Simulate every row of ``X`` in one engine call.

    ``engine`` (``"auto"``, ``"numpy"``, ``"compiled"``) is passed to
    ``CompiledModel.simulate``; the backend that ran is ``res.meta["engine"]``.
    Returns a SimulationResult.
    """
    params = design_params(cm, base, uncertain, X, from_time=from_time)
    return cm.simulate(
        params=params,
        n_runs=X.shape[0],
        method=method,
        saveper=saveper,
        final_time=final_time,
        outputs=list(outputs),
        engine=engine,
    )
