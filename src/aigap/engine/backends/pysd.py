"""Reference backend: run PySD once per parameter set.

Slow (PySD evaluates one run at a time through xarray) but independent of
our compiler, so it is the reference for parity tests and ``--engine pysd``.
PySD's translated ``.py`` is written next to a copy of the model in the
cache directory, never beside the source model.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np

from ..axes import RUN, TIME
from ..errors import EngineError, ParameterError
from ..params import (
    TimeSeries,
    check_param_name,
    infer_n_runs,
    normalize_timeseries,
    normalize_value,
)
from ..results import SimulationResult
from .cache import cache_dir

_LOADED = {}


def load_pysd_model(path):
    """Translate (or reuse the cached translation of) a model with PySD."""
    import pysd
    from ..parse import file_hash

    path = Path(path)
    digest = file_hash(path)
    key = (digest, str(path))
    if key in _LOADED:
        return _LOADED[key]
    folder = cache_dir() / "pysd" / digest[:24]
    folder.mkdir(parents=True, exist_ok=True)
    mdl = folder / path.name
    py = mdl.with_suffix(".py")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if py.is_file():
            model = pysd.load(str(py))
        else:
            shutil.copyfile(path, mdl)
            model = pysd.read_vensim(str(mdl))
    _LOADED[key] = model
    return model


def _to_pysd_value(value, info, coords, dims):
    """Convert one run's override into what ``model.run(params=...)`` accepts."""
    import pandas as pd
    import xarray as xr

    def da(arr):
        return xr.DataArray(np.asarray(arr, dtype=float), coords=coords, dims=list(dims))

    if isinstance(value, tuple):  # (times, values (*dims, P), (t_lo, t_hi))
        times, vals, (t_lo, t_hi) = value
        # hold the end values beyond the points (PySD's xarray interpolation of a
        # subscripted series would give NaN there; np.interp holds): add flat ends
        if t_lo < times[0]:
            times = np.concatenate([[t_lo], times])
            vals = np.concatenate([vals[..., :1], vals], axis=-1)
        if t_hi > times[-1]:
            times = np.concatenate([times, [t_hi]])
            vals = np.concatenate([vals, vals[..., -1:]], axis=-1)
        if dims:
            return pd.Series([da(vals[..., k]) for k in range(len(times))], index=times)
        return pd.Series(vals, index=times)
    if dims:
        return da(value)
    return float(value)


def simulate_pysd(
    path,
    params=None,
    n_runs=None,
    outputs=None,
    time_step=None,
    saveper=None,
    initial_time=None,
    final_time=None,
    model=None,
):
    """Simulate with PySD, one run per parameter set.

    Parameters
    ----------
    path : str or Path
        The ``.mdl`` file.
    params : dict, optional
        Vensim constant name -> scalar, ``(runs,)``, ``(runs, *dims)``,
        ``(*dims,)`` array or :class:`TimeSeries` (same rules as the engine).
    n_runs : int, optional
        Inferred from ``params`` when None.
    outputs : list of str, optional
        Vensim names to return (default: every model variable).
    time_step, saveper, initial_time, final_time : float, optional
        Override the model's control values.
    model : CompiledModel, optional
        Metadata of the same model (compiled if not given).

    Returns
    -------
    SimulationResult
    """
    from ..model import compile_model

    cm = model if model is not None else compile_model(path, check=False)
    params = dict(params or {})
    n = infer_n_runs(params, cm.constants) if n_runs is None else int(n_runs)
    if n_runs is not None and params:
        inferred = infer_n_runs(params, cm.constants)
        if inferred not in (1, n):
            raise ParameterError(f"params have {inferred} runs but n_runs={n}")
    if outputs is None:
        outputs = [v for v, info in cm.variables.items() if info.kind != "lookup"]
    for name in outputs:
        if name not in cm.variables:
            from ..params import suggest

            raise ParameterError(f"unknown output '{name}'{suggest(name, cm.variables)}")
    norm = {}
    for name, value in params.items():
        check_param_name(name, cm.constants)
        info = cm.constants[name]
        if isinstance(value, TimeSeries):
            norm[name] = normalize_timeseries(name, value, info, n)
        else:
            norm[name] = normalize_value(name, value, info, n)
    pysd_model = load_pysd_model(cm.path)
    kwargs = {}
    if time_step is not None:
        kwargs["time_step"] = float(time_step)
    if final_time is not None:
        kwargs["final_time"] = float(final_time)
    if saveper is not None:
        kwargs["saveper"] = float(saveper)
    if initial_time is not None:
        kwargs["initial_condition"] = (float(initial_time), {})
    t_start = cm.initial_time if initial_time is None else float(initial_time)
    t_end = cm.final_time if final_time is None else float(final_time)
    span = (min(t_start, t_end) - 1.0, max(t_start, t_end) + 1.0)
    data = {name: [] for name in outputs}
    time = None
    for r in range(n):
        run_params = {}
        for name, value in norm.items():
            info = cm.constants[name]
            coords = {d: list(cm.dims[d]) for d in info.dims}
            if isinstance(value, tuple):
                v = (value[0], value[1][r], span)
            else:
                v = value[r]
            run_params[name] = _to_pysd_value(v, info, coords, info.dims)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                df = pysd_model.run(
                    params=run_params,
                    return_columns=list(outputs),
                    flatten_output=False,
                    progress=False,
                    **kwargs,
                )
            except Exception as exc:
                raise EngineError(f"PySD failed on run {r}: {exc}") from exc
            pysd_model.reload()
        time = np.asarray(df.index, dtype=float)
        for name in outputs:
            dims = cm.variables[name].dims
            col = df[name]
            if dims:
                vals = np.stack(
                    [
                        np.asarray(c.transpose(*dims).values, dtype=float)
                        if hasattr(c, "transpose")
                        else np.full([len(cm.dims[d]) for d in dims], float(c))
                        for c in col
                    ]
                )
            else:
                vals = np.asarray([float(np.asarray(c)) for c in col])
            data[name].append(vals)
    data = {k: np.stack(v) for k, v in data.items()}
    dims = {k: (RUN, TIME) + tuple(cm.variables[k].dims) for k in data}
    coords = {d: tuple(cm.dims[d]) for k in data for d in cm.variables[k].dims}
    return SimulationResult(
        time=time,
        data=data,
        dims=dims,
        coords=coords,
        n_runs=n,
        meta={"engine": "pysd", "method": "euler", "model_hash": cm.model_hash},
    )
