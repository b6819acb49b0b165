"""One-at-a-time (OAT) sensitivity: every constant moved by +-``spread`` (clipped to its
declared range) on its own, in one engine ensemble; the effect of a constant is the largest
|log change| of each output at a year-end. A quick screen (no interactions; for global
sensitivity over distributions use ``aigap sensitivity``).

Methods (:func:`oat_design`, :func:`oat_effects`) are pure functions over arrays;
:func:`run_oat` calls the engine and :func:`format_oat` renders the table ``aigap oat``
prints (and model/README.md shows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["OatResult", "format_oat", "oat_design", "oat_effects", "run_oat"]


def oat_design(defaults: dict, limits: dict, spread: float = 0.2):
    """Parameter arrays for the base run plus one run per (constant, -spread / +spread).

    Parameters
    ----------
    defaults : dict
        Constant name -> default value (array over its subscripts).
    limits : dict
        Constant name -> ``(low, high)``; values are clipped into it.
    spread : float
        Relative change, 0 < spread < 1.

    Returns
    -------
    params : dict
        Name -> array ``(1 + 2 * len(defaults), *dims)``; row 0 is the base.
    cases : list of (name, factor)
        The constant and factor of rows 1, 2, ...
    """
    if not 0 < spread < 1:
        raise ValueError(f"spread must be in (0, 1), got {spread}")
    cases = [(n, f) for n in defaults for f in (1 - spread, 1 + spread)]
    params = {
        n: np.repeat(np.asarray(v, float)[None, ...], len(cases) + 1, axis=0)
        for n, v in defaults.items()
    }
    for i, (n, f) in enumerate(cases, start=1):
        lo, hi = limits[n]
        params[n][i] = np.clip(np.asarray(defaults[n], float) * f, lo, hi)
    return params, cases


def oat_effects(values: np.ndarray, cases) -> dict:
    """Largest |log change| from the base per constant.

    ``values`` is ``(1 + len(cases), n_outputs)`` (row 0 the base run); returns name ->
    array ``(n_outputs,)``. An output that is 0 or changes sign gives ``inf``.
    """
    values = np.asarray(values, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.abs(np.log(values[1:] / values[0]))
    change = np.where(np.isnan(change), np.inf, change)
    out: dict = {}
    for row, (name, _) in zip(change, cases):
        out[name] = np.maximum(out.get(name, 0.0), row)
    return out


@dataclass
class OatResult:
    """Base values and effects of :func:`run_oat` (labels name the output columns)."""

    labels: list
    units: list
    ratio: list
    base: np.ndarray
    effects: dict
    spread: float
    year: int


def _outputs(cm, profile):
    """(variable, element index or None, label) of the first gap ratio and of the first
    summary variable per region (else the first key variables)."""
    out = []
    for g in profile.gaps[:1]:
        out.append((g, None, g))
    for name in profile.summary_variables[:1] or profile.key_variables[:3]:
        info = cm.variables[name]
        if info.dims:
            out += [(name, k, f"{name}[{e}]") for k, e in enumerate(cm.dims[info.dims[0]])]
        else:
            out.append((name, None, name))
    return out


def _bounds(limits) -> tuple:
    """``(low, high)`` of a constant's declared range, open ends as -inf / inf."""
    lo, hi = limits if limits is not None else (None, None)
    return (-np.inf if lo is None else float(lo), np.inf if hi is None else float(hi))


def run_oat(cm, profile, params=None, spread: float = 0.2, year: int | None = None):
    """OAT at year-end ``year`` (default the profile's last report year) around ``params``
    (a scenario's overrides, from ``resolve_params``; default the model's defaults).

    Every constant whose declared range is not a single value is moved; a constant a
    scenario sets as a time series stays at that series (it is not one number to move).
    """
    from ..workflow.summary import year_end

    if year is None:
        year = (profile.report_years or (int(cm.final_time) - 1,))[-1]
    series = {k: v for k, v in (params or {}).items() if hasattr(v, "times")}
    values = {k: v for k, v in (params or {}).items() if k not in series}
    limits = {n: _bounds(c.limits) for n, c in cm.constants.items()}
    names = [n for n in cm.constants if n not in series and limits[n][0] != limits[n][1]]
    defaults = {
        n: np.asarray(values.get(n, cm.constants[n].default), float).reshape(
            np.shape(cm.constants[n].default)
        )
        for n in names
    }
    design, cases = oat_design(defaults, {n: limits[n] for n in names}, spread)
    outs = _outputs(cm, profile)
    n = len(cases) + 1
    res = cm.simulate(
        params={**values, **series, **design},
        n_runs=n,
        outputs=list(dict.fromkeys(o[0] for o in outs)),
    )
    table = np.empty((n, len(outs)))
    for j, (name, k, _) in enumerate(outs):
        for r in range(n):
            table[r, j] = np.atleast_1d(year_end(res, name, year, run=r))[k or 0]
    units = [cm.variables[o[0]].units or "" for o in outs]
    return OatResult(
        [o[2] for o in outs],
        units,
        [o[0] in profile.gaps for o in outs],
        table[0],
        oat_effects(table, cases),
        spread,
        year,
    )


def format_oat(result: OatResult, top: int = 15) -> str:
    """The base values and the ``top`` constants by effect on the first output."""
    from ..core.formatting import format_value

    base = ", ".join(
        f"{lab} {format_value(v, u, ratio=r)}"
        for lab, v, u, r in zip(result.labels, result.base, result.units, result.ratio)
    )
    width = max([len("constant"), *(len(n) for n in result.effects)]) + 2
    cols = [max(len(lab), 7) for lab in result.labels]
    lines = [
        f"year-end {result.year}: {base}",
        f"largest |log change| for a +-{100 * result.spread:g}% change of one constant "
        f"(clipped to its range):",
        f"{'constant':{width}s}" + "  ".join(f"{lab:>{w}s}" for lab, w in zip(result.labels, cols)),
    ]
    for name, e in sorted(result.effects.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append(
            f"{name:{width}s}" + "  ".join(f"{100 * x:{w - 1}.1f}%" for x, w in zip(e, cols))
        )
    return "\n".join(lines)
