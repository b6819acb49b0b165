"""Summary and gap tables: year-end values per scenario, region and year."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..core.errors import InputError
from ..core.formatting import format_value, format_when, scale_suffix  # noqa: F401  (re-exported)
from ..core.keys import GAP_LABELS, PROFILE, YEARS  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    import pandas as pd

    from ..core.profile import Profile
    from ..engine import SimulationResult

SUMMARY_VARIABLES = PROFILE.table_variables


def year_end(result: SimulationResult, name: str, year: int, run: int = 0) -> np.ndarray:
    """Value of ``name`` at the end of ``year`` (time ``year + 1``), over subscripts."""
    t = np.asarray(result.time, dtype=float)
    x = np.asarray(result[name][run], dtype=float)
    target = year + 1.0
    if not (t[0] - 1e-9 <= target <= t[-1] + 1e-9):
        raise InputError(
            [
                f"year-end {year} (time {target:g}) is outside the simulated "
                f"period [{t[0]:g}, {t[-1]:g}]; the model must run to {target:g}"
            ]
        )
    flat = x.reshape(t.size, -1)
    return np.array([np.interp(target, t, flat[:, k]) for k in range(flat.shape[1])]).reshape(
        x.shape[1:]
    )


def _undefined_ratio(result, name: str, year: int, profile=PROFILE) -> bool:
    """A gap ratio whose denominator (the second region's value) is zero at that year end:
    the model's ZIDZ returns 0, which would print as "0x"; the ratio is undefined."""
    base, den = profile.gap_of.get(name), profile.denominator
    if base is None or den is None or base not in result:
        return False
    dims = result.dims[base][2:]
    elems = list(result.coords.get(dims[0], ())) if dims else []
    if den not in elems:
        return False
    return float(np.atleast_1d(year_end(result, base, year))[elems.index(den)]) == 0.0


def summary_frame(
    results: Mapping[str, SimulationResult],
    years: Sequence[int] | None = None,
    variables: Sequence[str] | None = None,
    units: Mapping[str, str | None] | None = None,
    profile: Profile = PROFILE,
) -> pd.DataFrame:
    """Tidy table of year-end values.

    Parameters
    ----------
    results : dict
        Scenario name -> SimulationResult (run 0 is used).
    years, variables : sequence, optional
        Default: the profile's report years and summary variables + gap ratios.
    units : dict, optional
        Vensim name -> unit string.
    profile : Profile
        The model contract (:mod:`aigap.core.profile`); default the shipped model's.

    Returns
    -------
    pandas.DataFrame
        Columns scenario, variable, region ("" for scalar variables), year, value, unit.
    """
    import pandas as pd

    years = profile.report_years if years is None else years
    variables = profile.table_variables if variables is None else variables
    rows = []
    for scen, res in results.items():
        for name in variables:
            if name not in res:
                continue
            dims = res.dims[name][2:]
            regions = res.coords[dims[0]] if dims else ("",)
            for year in years:
                vals = np.atleast_1d(year_end(res, name, year))
                if _undefined_ratio(res, name, year, profile):
                    vals = np.full(vals.shape, np.nan)  # 0/0 (ZIDZ gives 0): "n/a"
                for region, v in zip(regions, vals):
                    rows.append(
                        {
                            "scenario": scen,
                            "variable": name,
                            "region": region,
                            "year": year,
                            "value": float(v),
                            "unit": (units or {}).get(name) or "",
                        }
                    )
    return pd.DataFrame(rows, columns=["scenario", "variable", "region", "year", "value", "unit"])


def _grid(header, rows) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(r, widths))
        )
        for r in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_summary(
    frame: pd.DataFrame,
    scenario: str,
    years: Sequence[int] | None = None,
    profile: Profile = PROFILE,
) -> str:
    """Table of one scenario: rows variable x region, columns years."""
    years = profile.report_years if years is None else years
    sub = frame[frame.scenario == scenario]
    rows = []
    for name in dict.fromkeys(sub.variable):
        part = sub[sub.variable == name]
        for region in dict.fromkeys(part.region):
            cells = part[part.region == region].set_index("year")
            label = profile.gap_labels.get(name, f"{name} [{region}]" if region else name)
            rows.append(
                [
                    label,
                    *(
                        format_value(
                            cells.value.get(y, np.nan),
                            cells.unit.iloc[0],
                            ratio=name in profile.gaps,
                        )
                        for y in years
                    ),
                ]
            )
    return _grid(["year-end", *map(str, years)], rows)


def format_gap_table(
    frame: pd.DataFrame, years: Sequence[int] | None = None, profile: Profile = PROFILE
) -> str:
    """Compare table: for each gap ratio (and the first summary variable per region, e.g.
    Total AI ARR), scenarios x years."""
    years = profile.report_years if years is None else years
    blocks = []
    for name in dict.fromkeys([*profile.gaps, *profile.summary_variables[:1]]):
        sub = frame[frame.variable == name]
        if sub.empty:
            continue
        for region in dict.fromkeys(sub.region):
            part = sub[sub.region == region]
            title = profile.gap_labels.get(name) or (f"{name} [{region}]" if region else name)
            rows = []
            for scen in dict.fromkeys(part.scenario):
                cells = part[part.scenario == scen].set_index("year")
                rows.append(
                    [
                        scen,
                        *(
                            format_value(
                                cells.value.get(y, np.nan),
                                cells.unit.iloc[0],
                                ratio=name in profile.gaps,
                            )
                            for y in years
                        ),
                    ]
                )
            blocks.append(f"{title} (year-end)\n" + _grid(["scenario", *map(str, years)], rows))
    return "\n\n".join(blocks)


def format_fit(fit: pd.DataFrame) -> str:
    """Observed vs simulated, % error and pass/fail, one line per observation."""
    rows = []
    for r in fit.itertuples():
        unit = r.unit
        if r.kind == "range":
            observed = f"{format_value(r.low, unit)}..{format_value(r.high, unit)}"
        else:
            observed = {"point": "", "lower": ">= ", "upper": "<= "}[r.kind] + format_value(
                r.observed, unit
            )
        where = f"{r.variable}[{r.region}]" if r.region else r.variable
        if r.share != 1:
            where = f"{r.share:g} x {where}"
        rows.append(
            [
                r.id,
                where,
                format_when(r.time),
                observed,
                format_value(r.simulated, unit),
                "within" if r.kind != "point" and r.passed else f"{r.pct_error:+.1f}%",
                "pass" if r.passed else "FAIL",
            ]
        )
    n_ok = int(fit.passed.sum())
    table = _grid(
        ["observation", "model variable", "when", "observed", "simulated", "error", "fit"], rows
    )
    return f"{table}\n{n_ok}/{len(fit)} observations within tolerance"
