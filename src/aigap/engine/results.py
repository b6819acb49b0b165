"""Ensemble simulation results with named axes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .axes import RUN, TIME
from .errors import ParameterError


@dataclass
class SimulationResult:
    """Outputs of an ensemble simulation.

    Attributes
    ----------
    time : np.ndarray, shape (T,)
        Saved times.
    data : dict
        Vensim name -> array laid out ``(run, time, *subscript_dims)``.
    dims : dict
        Vensim name -> axis names, e.g. ``("run", "time", "Region")``.
    coords : dict
        Subscript range -> tuple of element names.
    n_runs : int
    meta : dict
        Engine, method and model information.
    """

    time: np.ndarray
    data: dict
    dims: dict
    coords: dict
    n_runs: int
    meta: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.data[name]
        except KeyError:
            from difflib import get_close_matches

            close = get_close_matches(name, list(self.data), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ParameterError(f"no output named '{name}' in this result{hint}") from None

    def __contains__(self, name) -> bool:
        return name in self.data

    def __iter__(self):
        return iter(self.data)

    @property
    def names(self) -> list:
        """Names of the stored outputs."""
        return list(self.data)

    def sel(self, name: str, **elements) -> np.ndarray:
        """Select subscript elements by name, e.g. ``res.sel("ARR", Region="US")``.

        Returns an array over the remaining axes (run, time, ...).
        """
        arr = self[name]
        index = [slice(None)] * arr.ndim
        axes = self.dims[name]
        for dim, elem in elements.items():
            if dim not in axes:
                raise ParameterError(f"'{name}' has no dimension '{dim}' (has {axes[2:]})")
            values = self.coords[dim]
            if elem not in values:
                raise ParameterError(f"'{elem}' is not an element of '{dim}' {values}")
            index[axes.index(dim)] = values.index(elem)
        return arr[tuple(index)]

    def to_frame(self, names=None):
        """Tidy table: run, time, variable, one column per subscript range, value.

        Parameters
        ----------
        names : list of str, optional
            Outputs to include (default: all stored outputs).
        """
        import pandas as pd

        names = list(self.data) if names is None else list(names)
        sub_dims = []
        for name in names:
            for d in self.dims[name][2:]:
                if d not in sub_dims:
                    sub_dims.append(d)
        frames = []
        for name in names:
            arr = self[name]
            axes = self.dims[name]
            grids = np.meshgrid(*[np.arange(n) for n in arr.shape], indexing="ij")
            cols = {
                RUN: grids[0].ravel(),
                TIME: self.time[grids[1].ravel()],
                "variable": np.full(arr.size, name, dtype=object),
            }
            for d in sub_dims:
                if d in axes:
                    i = axes.index(d)
                    cols[d] = np.asarray(self.coords[d], dtype=object)[grids[i].ravel()]
                else:
                    cols[d] = np.full(arr.size, None, dtype=object)
            cols["value"] = arr.ravel()
            frames.append(pd.DataFrame(cols))
        if not frames:
            return pd.DataFrame(columns=[RUN, TIME, "variable", *sub_dims, "value"])
        return pd.concat(frames, ignore_index=True)

    def to_xarray(self, names=None, units=None):
        """The outputs as an :class:`xarray.Dataset` over the named axes.

        Parameters
        ----------
        names : list of str, optional
            Outputs to include (default: all stored outputs).
        units : dict, optional
            Vensim name -> unit, stored as each variable's ``units`` attribute.

        Returns
        -------
        xarray.Dataset
            One variable per output with dims ``(run, time, *subscripts)``; coords ``run``,
            ``time`` (model years; 2031.0 = year-end 2030) and every subscript range.
        """
        import xarray as xr

        names = list(self.data) if names is None else list(names)
        coords = {RUN: np.arange(self.n_runs), TIME: np.asarray(self.time, dtype=float)}
        data = {}
        for name in names:
            dims = tuple(self.dims[name])
            for d in dims[2:]:
                coords[d] = list(self.coords[d])
            arr = np.asarray(self[name])
            if arr.shape[0] != self.n_runs:  # a run axis of 1 broadcast over the runs
                arr = np.broadcast_to(arr, (self.n_runs, *arr.shape[1:]))
            data[name] = xr.Variable(dims, arr, attrs={"units": (units or {}).get(name, "")})
        return xr.Dataset(
            data,
            coords=coords,
            attrs=dict({k: v for k, v in self.meta.items() if isinstance(v, (str, int, float))}),
        )
