"""``aigap params``: look at the model's constants (``aigap check`` lives in :mod:`aigap.checks.files`)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from ..scenarios import format_range, load_scenario, resolve_params

if TYPE_CHECKING:
    from ..engine import CompiledModel


def params_rows(
    cm: CompiledModel, scenario: Path | str | None = None, name_filter: str | None = None
) -> list[dict]:
    """One dict per (constant, element): name, dims, element, unit, value, default,
    min, max, source. ``value`` is under ``scenario`` (a file) when given."""
    params = resolve_params(cm, load_scenario(scenario, model=cm)) if scenario else {}
    rows = []
    for name, info in sorted(cm.constants.items(), key=lambda kv: kv[0].lower()):
        if name_filter and name_filter.lower() not in name.lower():
            continue
        default = np.asarray(info.default, dtype=float)
        value = params.get(name, default)
        lo, hi = (tuple(info.limits or ()) + (None, None))[:2]
        labels = _element_labels(info.dims, cm.dims)
        for idx, label in zip(np.ndindex(default.shape), labels):
            rows.append(
                {
                    "name": name,
                    "dims": ",".join(info.dims),
                    "element": label,
                    "unit": info.units or "",
                    "value": _value_text(value, idx),
                    "default": float(default[idx]),
                    "min": lo,
                    "max": hi,
                    "range": format_range(info),
                    "source": " ".join((info.doc or "").split()),
                }
            )
    return rows


def _element_labels(dims, all_dims) -> list:
    if not dims:
        return [""]
    grids = [all_dims[d] for d in dims]
    return [",".join(g[i] for g, i in zip(grids, idx)) for idx in np.ndindex(*map(len, grids))]


def _value_text(value, idx) -> str:
    if hasattr(value, "times"):
        vals = np.asarray(value.values)
        series = vals.reshape(-1, vals.shape[-1]) if vals.ndim > 1 else vals[None]
        flat = int(np.ravel_multi_index(idx, vals.shape[1:-1])) if vals.ndim > 1 else 0
        pts = series[flat]
        return f"{pts[0]:g}..{pts[-1]:g} over {value.times[0]:g}-{value.times[-1]:g}"
    return f"{float(np.asarray(value)[idx]):g}"


def print_params(
    rows: Sequence[Mapping[str, Any]],
    fmt: str,
    cm: CompiledModel,
    scenario: Path | str | None,
    out: TextIO | None = None,
) -> None:
    """Table (one block per constant) or CSV (to ``out``, default the current stdout)."""
    out = sys.stdout if out is None else out
    if fmt == "csv":
        w = csv.DictWriter(
            out,
            fieldnames=[
                "name",
                "dims",
                "element",
                "unit",
                "value",
                "default",
                "min",
                "max",
                "source",
            ],
            extrasaction="ignore",
        )
        w.writeheader()
        w.writerows(rows)
        return
    print(
        f"{len(dict.fromkeys(r['name'] for r in rows))} tunable constants of {cm.path}"
        + (f" (values under {scenario})" if scenario and Path(scenario).is_file() else ""),
        file=out,
    )
    by_name = {}
    for r in rows:
        by_name.setdefault(r["name"], []).append(r)
    for name, rs in by_name.items():
        r0 = rs[0]
        if r0["dims"]:
            vals = "  ".join(f"{r['element']}={r['value']}" for r in rs)
            head = f"{name}[{r0['dims']}]"
        else:
            vals, head = r0["value"], name
        changed = any(r["value"] != f"{r['default']:g}" for r in rs)
        print(
            f"\n{head}  ({r0['unit'] or 'no unit'})  {vals}  range {r0['range']}"
            + ("  [scenario overrides the model default]" if changed else ""),
            file=out,
        )
        if r0["source"]:
            print(f"    {r0['source']}", file=out)
