"""Ensemble simulation: parameters -> blocks of runs -> the backend chosen for the job."""

from __future__ import annotations

import numpy as np

from .axes import RUN, TIME
from .errors import EngineError, ParameterError
from .params import (
    TimeSeries,
    check_param_name,
    infer_n_runs,
    normalize_timeseries,
    normalize_value,
    suggest,
)
from .results import SimulationResult

MAX_OUTPUT_BYTES = 16 * 2**30  # refuse to allocate more than this for stored outputs
METHODS = ("euler", "rk4")


def available_memory() -> float:
    """Bytes of memory available now (``MemAvailable``; free pages as a fallback)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import os

        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def time_grid(initial_time, final_time, time_step, saveper):
    """Simulated times and, per time, the index of the saved row (or -1).

    Reproduces PySD's loop exactly: time advances by repeated addition of
    TIME STEP while ``t + 1e-5*dt < FINAL TIME``; a time is saved when
    ``(t - t0) % SAVEPER`` (or its negative) is below ``1e-5*dt``.
    """
    for label, v in (("TIME STEP", time_step), ("SAVEPER", saveper)):
        if not (np.isfinite(v) and v > 0):
            raise ParameterError(f"{label} must be a positive number, got {v}")
    if not (np.isfinite(initial_time) and np.isfinite(final_time)):
        raise ParameterError("INITIAL TIME and FINAL TIME must be finite")
    if final_time < initial_time:
        raise ParameterError(f"FINAL TIME {final_time} is before INITIAL TIME {initial_time}")
    n_est = (final_time - initial_time) / time_step
    if n_est > 5e7:
        raise ParameterError(f"too many time steps ({n_est:.3g})")
    prec = time_step * 1e-5
    times, save = [], []
    t = float(initial_time)
    j = 0

    def saved(t):
        delay = t - initial_time
        return delay % saveper < prec or -delay % saveper < prec

    while True:
        times.append(t)
        if saved(t):
            save.append(j)
            j += 1
        else:
            save.append(-1)
        if not (t + prec < final_time):
            break
        t = t + time_step
    times = np.array(times)
    save = np.array(save, dtype=np.int64)
    return times, save


def _check_outputs(cm, outputs):
    if outputs is None:
        return [n for n, v in cm.variables.items() if v.kind != "lookup"]
    if isinstance(outputs, str):
        outputs = [outputs]
    outputs = list(dict.fromkeys(outputs))
    for name in outputs:
        if name not in cm.variables:
            raise ParameterError(f"unknown output '{name}'{suggest(name, cm.variables)}")
        if cm.variables[name].kind == "lookup":
            raise ParameterError(f"'{name}' is a lookup table, not an output")
    return outputs


def simulate(
    cm,
    params=None,
    n_runs=None,
    method="euler",
    time_step=None,
    saveper=None,
    initial_time=None,
    final_time=None,
    outputs=None,
    block_size=None,
    engine="auto",
):
    """Simulate an ensemble of parameter sets.

    Parameters
    ----------
    cm : CompiledModel
    params : dict, optional
        Vensim constant name -> scalar, ``(runs,)``, ``(runs, *dims)`` or ``(*dims,)``
        array, or a :class:`TimeSeries`.
    n_runs : int, optional
        Number of runs; inferred from ``params`` when None (1 if nothing varies).
    method : {"euler", "rk4"}
    time_step, saveper, initial_time, final_time : float, optional
        Override the model's control values (SAVEPER defaults to the model's
        SAVEPER, or to the new TIME STEP if the model's SAVEPER was TIME STEP).
    outputs : list of str, optional
        Vensim names to store; None stores every variable (small ensembles only).
    block_size : int, optional
        Runs simulated at once (default: the backend's ``block_size``, 4096 for numpy,
        32768 for the compiled engine).
    engine : {"auto", "numpy", "compiled"}
        ``"numpy"``: the portable reference; ``"compiled"``: numba kernels generated
        from the same IR (falls back to numpy with a warning if numba is missing);
        ``"auto"``: compiled when numba imports and there are 1,000 runs or more
        (one kernel per model and method, compiled once and then loaded from the
        disk cache; see :func:`~aigap.engine.backends.auto_engine`); numpy
        otherwise. Jobs that simulate in chunks resolve it once for the whole
        job with :func:`~aigap.engine.backends.choose_engine`; the backend then
        comes from the registry (:func:`~aigap.engine.backends.get_backend`).

    Returns
    -------
    SimulationResult
    """
    if method not in METHODS:
        raise ParameterError(f"unknown method '{method}'; use one of {METHODS}")
    params = dict(params or {})
    for name in params:
        check_param_name(name, cm.constants)
    inferred = infer_n_runs(params, cm.constants)
    if n_runs is None:
        n = inferred
    else:
        if int(n_runs) != n_runs or n_runs < 1:
            raise ParameterError(f"n_runs must be a positive integer, got {n_runs}")
        n = int(n_runs)
        if inferred not in (1, n):
            raise ParameterError(f"params have {inferred} runs but n_runs={n}")
    outputs = _check_outputs(cm, outputs)
    dt = float(cm.time_step if time_step is None else time_step)
    if saveper is None:
        saveper = cm.saveper if (time_step is None or cm.saveper != cm.time_step) else dt
    t0 = float(cm.initial_time if initial_time is None else initial_time)
    t1 = float(cm.final_time if final_time is None else final_time)
    times, save = time_grid(t0, t1, dt, float(saveper))
    n_saved = int((save >= 0).sum())
    size = (
        n
        * n_saved
        * sum(int(np.prod([len(cm.dims[d]) for d in cm.variables[k].dims])) for k in outputs)
        * 8
    )
    limit = min(MAX_OUTPUT_BYTES, available_memory())  # the memory there is, not a constant
    if size > limit:
        raise ParameterError(
            f"the requested outputs would take {size / 2**30:.1f} GiB (limit "
            f"{limit / 2**30:.1f} GiB available; {n} runs x {n_saved} "
            f"times x {len(outputs)} variables); ask for fewer outputs, a larger SAVEPER or "
            "fewer runs per call"
        )

    ir = cm.ir
    # per-scalar inputs
    by_constant = {}
    for pname, p in ir.params.items():
        by_constant.setdefault(p.constant, []).append(p)
    values, series = {}, {}
    for name, value in params.items():
        info = cm.constants[name]
        if isinstance(value, TimeSeries):
            tx, tv = normalize_timeseries(name, value, info, n)
            for p in by_constant[name]:
                v = tv[(slice(None),) + p.index + (slice(None),)]
                series[p.name] = (tx, v[0] if _same_rows(v) else v)
        else:
            arr = normalize_value(name, value, info, n)
            for p in by_constant[name]:
                col = arr[(slice(None),) + p.index]
                values[p.name] = np.float64(col[0]) if _same_rows(col) else col
    from .backends import choose_engine, get_backend

    engine = choose_engine(engine, n)
    backend = get_backend(engine)
    fn = backend.runner(cm.plan(backend), frozenset(series), tuple(outputs), method)

    out = {}
    for name in outputs:
        shape = tuple(len(cm.dims[d]) for d in cm.variables[name].dims)
        out[name] = np.empty((n, n_saved) + shape)
    block = int(block_size or backend.block_size)
    if block < 1:
        raise ParameterError("block_size must be positive")
    with np.errstate(all="ignore"):
        for b0 in range(0, n, block):
            b1 = min(n, b0 + block)
            P, TS = {}, {}
            for pname, p in ir.params.items():
                one = b1 - b0 == 1  # a single run is simulated with numpy scalars
                if pname in series:
                    tx, tv = series[pname]
                    if tv.ndim > 1:
                        tv = tv[b0] if one else np.ascontiguousarray(tv[b0:b1])
                    TS[pname] = (tx, tv)
                elif pname in values:
                    v = values[pname]
                    if np.ndim(v):
                        v = np.float64(v[b0]) if one else np.ascontiguousarray(v[b0:b1])
                    P[pname] = v
                else:
                    P[pname] = np.float64(p.default)
            O = [out[name][b0:b1] for name in outputs]  # (runs of the block, time, *dims)
            try:
                fn(P, TS, b1 - b0, times, save, dt, t0, t1, float(saveper), O)
            except EngineError:
                raise
            except (ValueError, IndexError, TypeError, ZeroDivisionError) as exc:
                raise EngineError(f"simulation of {cm.path} failed: {exc}") from exc
    dims = {k: (RUN, TIME) + tuple(cm.variables[k].dims) for k in outputs}
    coords = {d: tuple(cm.dims[d]) for k in outputs for d in cm.variables[k].dims}
    return SimulationResult(
        time=times[save >= 0],
        data=out,
        dims=dims,
        coords=coords,
        n_runs=n,
        meta={
            "engine": engine,
            "method": method,
            "model_hash": cm.model_hash,
            "time_step": dt,
            "saveper": float(saveper),
        },
    )


def _same_rows(arr) -> bool:
    """True when every run has the same value (then one scalar/row is enough)."""
    return arr.shape[0] == 1 or bool(np.all(arr == arr[:1]))
