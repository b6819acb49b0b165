"""Small helpers for the model tests (importable: tests/model is on sys.path)."""
import numpy as np


def at(result, name, time, element=None):
    """Value of ``name`` (run 0) at the saved time nearest ``time``; one element or all."""
    i = int(np.argmin(np.abs(result.time - time)))
    value = result[name][0, i]
    if element is None:
        return value
    return value[list(result.coords["Region"]).index(element)]


def with_constant(cm, name, value, element=None, params=None):
    """A copy of ``params`` with one constant (or one element of it) replaced."""
    params = dict(params or {})
    info = cm.constants[name]
    arr = np.array(params.get(name, info.default), dtype=float, copy=True)
    if element is None:
        arr = np.full_like(arr, value)
    else:
        arr[..., list(cm.dims[info.dims[0]]).index(element)] = value
    params[name] = arr
    return params
