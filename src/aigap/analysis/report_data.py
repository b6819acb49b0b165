"""What the briefing says, computed from run folders' files (no simulation).

:func:`load_folder` reads a folder's manifest; :func:`headline` builds the 2026-2030 gap
tables per scenario (the cells are ``aigap compare``'s strings) with the sweeps' and
posteriors' medians and 5-95% ranges; :func:`findings` turns them into plain sentences;
:func:`drivers` ranks the inputs of sensitivity folders; :func:`assumptions` lists scenario
overrides, sweep distributions and priors in words and units.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from ..core.keys import GAPS
from ..core.formatting import format_value
from ..workflow.summary import GAP_LABELS, YEARS
from .report_words import describe_constant, describe_distribution, format_percent, format_when


@dataclass
class Folder:
    """A run folder with its manifest."""

    path: Path
    manifest: dict
    kind: str
    name: str
    cache: dict = field(default_factory=dict)

    def csv(self, fname: str):
        """The folder's CSV as a DataFrame (None when absent; a garbled file is an
        InputError naming it, never a silently missing table)."""
        import pandas as pd

        from ..workflow.rundir import read_run_file

        if fname not in self.cache:
            p = self.path / fname
            self.cache[fname] = read_run_file(p, pd.read_csv) if p.is_file() else None
        return self.cache[fname]


def load_folder(path) -> Folder:
    """Read ``path/manifest.json`` (InputError naming it when it is not JSON)."""
    p = Path(path)
    from ..workflow.rundir import read_run_file

    m = read_run_file(p / "manifest.json", lambda q: json.loads(q.read_text(encoding="utf-8")))
    if not isinstance(m, dict):
        raise ValueError("manifest.json is not a JSON object")
    return Folder(p, m, str(m.get("kind", "run")), str(m.get("name", p.name)))


def _ratio(v) -> str:
    return format_value(float(v), ratio=True)


def _scenario_rows(folders, gap: str) -> list:
    rows, seen = [], set()
    for f in folders:
        df = f.csv("summary.csv") if f.kind in ("run", "compare") else None
        if df is None or "scenario" not in df.columns:
            continue
        sub = df[df.variable == gap]
        for scen in dict.fromkeys(sub.scenario):
            if scen in seen:
                continue
            seen.add(scen)
            by_year = sub[sub.scenario == scen].set_index("year").value
            rows.append(
                {
                    "label": str(scen),
                    "detail": "",
                    "kind": "scenario",
                    "source": f.path.name,
                    "values": [float(by_year.get(y, np.nan)) for y in YEARS],
                    "cells": [
                        format_value(float(by_year.get(y, np.nan)), ratio=True) for y in YEARS
                    ],
                }
            )
    return rows


def _base_scenario(f: Folder) -> str:
    scen = f.manifest.get("scenarios")
    if isinstance(scen, list) and scen and isinstance(scen[0], dict):
        return str(scen[0].get("name", ""))
    return f.name.removeprefix("posterior-") if f.kind == "posterior" else ""


def _converged(f: Folder) -> bool:
    try:
        return bool(json.loads((f.path / "diagnostics.json").read_text()).get("converged"))
    except (OSError, ValueError, AttributeError):
        return False


def _band_rows(folders, gap: str) -> list:
    rows = []
    for f in folders:
        if f.kind == "sweep" and (df := f.csv("percentiles.csv")) is not None:
            sub = df[df.variable == gap].set_index("year")
            if sub.empty:
                continue
            cons = "p50_consistent" in sub.columns and (sub.get("n_consistent", 0) > 0).all()
            sfx = "_consistent" if cons else ""
            n = int(sub[f"n{sfx}"].iloc[0]) if f"n{sfx}" in sub.columns else 0
            q = {k: sub[f"{k}{sfx}"] for k in ("p5", "p50", "p95")}
            who = f"{n:,} data-consistent runs" if cons else f"{n:,} runs, not conditioned"
            base = _base_scenario(f)
            label = f"sweep {f.name}" + (f" (around {base})" if base else "")
            detail = f"median (5-95%) over {who}"
        elif f.kind == "posterior" and (df := f.csv("gaps.csv")) is not None:
            sub = df[df.variable == gap].set_index("year")
            if sub.empty:
                continue
            q = {"p5": sub.p5, "p50": sub["median"], "p95": sub.p95}
            base = _base_scenario(f)
            label = f"posterior of {base}" if base else f"posterior {f.name}"
            detail = "median (5-95%) of the predictive draws" + (
                "" if _converged(f) else "; chains NOT converged: provisional"
            )
        else:
            continue
        cells, values = [], []
        for y in YEARS:
            if y not in sub.index:
                cells.append("n/a")
                values.append(np.nan)
                continue
            cells.append(f"{_ratio(q['p50'][y])} ({_ratio(q['p5'][y])}-{_ratio(q['p95'][y])})")
            values.append(float(q["p50"][y]))
        rows.append(
            {
                "label": label,
                "detail": detail,
                "kind": f.kind,
                "source": f.path.name,
                "cells": cells,
                "values": values,
                "p5": float(q["p5"].get(2030, np.nan)),
                "p95": float(q["p95"].get(2030, np.nan)),
            }
        )
    return rows


def headline(folders) -> list:
    """Per gap ratio: ``{"variable", "title", "years", "rows"}``; rows are scenarios
    (year-end values as ``aigap compare`` prints them) then sweep/posterior bands."""
    tables = []
    for gap in GAPS:
        rows = _scenario_rows(folders, gap) + _band_rows(folders, gap)
        if rows:
            tables.append(
                {"variable": gap, "title": GAP_LABELS[gap], "years": list(YEARS), "rows": rows}
            )
    return tables


def _arr(folders, scenario: str, region: str, year: int):
    for f in folders:
        df = f.csv("summary.csv") if f.kind in ("run", "compare") else None
        if df is None:
            continue
        sub = df[
            (df.variable == "Total AI ARR")
            & (df.region == region)
            & (df.scenario == scenario)
            & (df.year == year)
        ]
        if not sub.empty:
            return float(sub.value.iloc[0])
    return None


def findings(folders, tables, drivers_list) -> list:
    """Three to five plain sentences generated from the results (most important first)."""
    out = []
    arr = next((t for t in tables if t["variable"] == "ARR Gap Ratio"), None)
    scen = [r for r in arr["rows"] if r["kind"] == "scenario"] if arr else []
    base = next((r for r in scen if r["label"] == "baseline"), scen[0] if scen else None)
    if base is not None:
        us, cn = (_arr(folders, base["label"], reg, 2030) for reg in ("US", "CN"))
        money = (
            (
                f" (US {format_value(us, 'USD/Year')} against China "
                f"{format_value(cn, 'USD/Year')} a year)"
            )
            if us and cn
            else ""
        )
        trend = "narrows" if base["values"][-1] < base["values"][0] else "widens"
        out.append(
            f"In '{base['label']}' the US/China total AI ARR gap {trend} from "
            f"{base['cells'][0]} at year-end 2026 to {base['cells'][-1]} at year-end "
            f"2030{money}."
        )
    if len(scen) > 1:
        lo = min(scen, key=lambda r: r["values"][-1])
        hi = max(scen, key=lambda r: r["values"][-1])
        out.append(
            f"Across {len(scen)} scenarios the 2030 total ARR gap ranges from "
            f"{lo['cells'][-1]} ('{lo['label']}', the narrowest) to {hi['cells'][-1]} "
            f"('{hi['label']}'); "
            + (
                "none brings it below 10x."
                if lo["values"][-1] >= 10
                else f"'{lo['label']}' brings it below 10x."
            )
        )
    bands = {t["variable"]: [r for r in t["rows"] if r["kind"] != "scenario"] for t in tables}
    for k, r in enumerate(bands.get("ARR Gap Ratio") or []):
        if k == 2:
            break
        other = next(
            (o for o in bands.get("Model ARR Gap Ratio", []) if o["label"] == r["label"]), None
        )
        more = f", the model ARR gap {other['cells'][-1]}" if other else ""
        out.append(
            f"How sure ({r['label']}, {r['detail']}): at year-end 2030 the total AI "
            f"ARR gap is {r['cells'][-1]}{more}."
        )
    if drivers_list:
        d = drivers_list[0]
        names = ", ".join(f"{x['input']}{x['direction_words']}" for x in d["rows"][:3])
        out.append(f"What drives the {d['output_words']} most ({d['method']}): {names}.")
    out.extend(_condition_findings(folders)[:1])
    out.extend(_discover_findings(folders)[:1])
    out.extend(_fit_findings(folders)[:1])
    return out[:5]


def condition_words(definition: str) -> str:
    """``"Model ARR Gap Ratio@2030 < 20"`` -> "model ARR gap below 20x at year-end 2030"."""
    from .conditions import ConditionError, parse_condition

    try:
        c = parse_condition(str(definition))
    except ConditionError:  # an unparsable stored text is shown as it is
        return str(definition)
    op = {"<": "below", "<=": "at most", ">": "above", ">=": "at least"}.get(c.op, c.op)
    if c.variable in GAPS:
        what = GAP_LABELS[c.variable].replace(", US/CN", "")
        value = format_value(c.value, ratio=True)
    else:
        what = c.variable + (f" [{c.region}]" if c.region else "")
        unit = "USD/Year" if "ARR" in c.variable else "1/Year" if "Return" in c.variable else ""
        value = format_value(c.value, unit)
    when = format_when(c.time)
    return f"{what} {op} {value} {'at' if when.startswith('year-end') else 'in'} {when}"


def _condition_findings(folders) -> list:
    out = []
    for f in folders:
        df = f.csv("conditions.csv") if f.kind == "sweep" else None
        if df is None or df.empty:
            continue
        cons = "probability_consistent" in df.columns and (df.runs_consistent > 0).all()
        sfx = "_consistent" if cons else ""
        parts = [
            f"{condition_words(r['definition'])}: {format_percent(r['probability' + sfx])}"
            f" (95% interval {format_percent(r['ci_low' + sfx])}-"
            f"{format_percent(r['ci_high' + sfx])})"
            for _, r in df.head(3).iterrows()
        ]
        out.append(
            f"Chances over the sweep '{f.name}'"
            + (" (data-consistent runs)" if cons else " (all runs)")
            + ": "
            + "; ".join(parts)
            + "."
        )
    return out


def _discover_findings(folders) -> list:
    out = []
    for f in folders:
        df = f.csv("boxes.csv") if f.kind == "discover" else None
        d = f.manifest.get("discover") if isinstance(f.manifest.get("discover"), dict) else {}
        if df is None or df.empty:
            continue
        box = df[df.box == df.box.min()]
        limits = []
        for r in box.itertuples():
            lo = r.low > r.sampled_low + 1e-12 * abs(r.sampled_low)
            hi = r.high < r.sampled_high - 1e-12 * abs(r.sampled_high)
            rng = (
                f"{r.low:.3g}-{r.high:.3g}"
                if lo and hi
                else f">= {r.low:.3g}"
                if lo
                else f"<= {r.high:.3g}"
            )
            limits.append(f"{r.input} {rng}")
        cond = " and ".join(condition_words(c) for c in d.get("conditions") or []) or "the cases"
        out.append(
            f"Where {cond} (PRIM, {f.name}): {format_percent(box.coverage.iloc[0])} "
            f"of those runs have {', '.join(limits[:4])} (density "
            f"{format_percent(box.density.iloc[0])})."
        )
    return out


def _fit_findings(folders) -> list:
    out = []
    for f in folders:
        df = f.csv("fit.csv") if f.kind in ("run", "compare") else None
        if df is None or "passed" not in df.columns:
            continue
        sub = (
            df[df.scenario == "baseline"]
            if "scenario" in df.columns and (df.scenario == "baseline").any()
            else df
        )
        who = "the baseline" if sub is not df else "the run"
        out.append(
            f"Fit: {who} reproduces {int(sub.passed.sum())} of {len(sub)} published "
            "observations within tolerance."
        )
    return out


def _output_words(label: str) -> str:
    name, _, year = label.partition("@")
    base = name.split("[")[0]
    words = GAP_LABELS.get(base, name).replace(", US/CN", "")
    words = words[0].lower() + words[1:] if base in GAPS else words
    return f"{words} at year-end {year}" if year else words


def _output_unit(label: str) -> str:
    base = label.split("@")[0].split("[")[0]
    return (
        "x"
        if base in GAPS
        else "USD/Year"
        if "ARR" in base
        else "1/Year"
        if base.startswith("Return")
        else ""
    )


def drivers(folders, top: int = 5) -> list:
    """Per sensitivity folder and output: the ``top`` inputs with their index and direction."""
    out = []
    for f in folders:
        df = f.csv("ranking.csv") if f.kind == "sensitivity" else None
        if df is None or "output" not in df.columns:
            continue
        method = (f.manifest.get("sensitivity") or {}).get("method") or (
            "sobol" if "ST" in df.columns else "morris"
        )
        for output in dict.fromkeys(df.output):
            sub = df[df.output == output].head(top)
            rows = []
            for _, r in sub.iterrows():
                if "ST" in r:
                    strength = f"ST {r.ST:.2f} [{r.ST_low:.2f}-{r.ST_high:.2f}], S1 {r.S1:.2f}"
                    direction = ""
                else:
                    unit = _output_unit(output)
                    strength = (
                        f"mu* {format_value(r.mu_star, unit, ratio=unit == 'x')} +- "
                        f"{format_value(r.mu_star_conf, unit, ratio=unit == 'x')}"
                    )
                    direction = (
                        "raises it"
                        if r.mu > 0.5 * r.mu_star
                        else "lowers it"
                        if r.mu < -0.5 * r.mu_star
                        else "either way"
                    )
                rows.append(
                    {
                        "input": r.input,
                        "strength": strength,
                        "direction": direction,
                        "direction_words": f" ({direction})" if direction else "",
                    }
                )
            out.append(
                {
                    "folder": f.path.name,
                    "method": "Sobol" if method == "sobol" else "Morris screening",
                    "output": output,
                    "output_words": _output_words(output),
                    "rows": rows,
                    "is_gap": output.split("@")[0] in GAPS,
                }
            )
    gaps_first = sorted(out, key=lambda d: d["output"].split("@")[0] not in GAPS)
    return gaps_first


def _units(folder: Folder) -> dict:
    """Constant name -> unit from the folder's copied model (empty when it cannot be read)."""
    mdl = sorted((folder.path / "inputs").glob("*.mdl"))
    if not mdl:
        return {}
    try:
        from ..engine import compile_model

        cm = compile_model(mdl[0])
    except Exception:  # noqa: BLE001 - units are a nicety; the report still renders
        return {}
    return {n: (c.units or "") for n, c in cm.constants.items()}


def assumptions(folders) -> dict:
    """``{"scenarios": [...], "distributions": [...], "priors": [...]}`` in words."""
    scen, dists, priors = [], [], []
    seen = set()
    for f in folders:
        units = None
        for s in f.manifest.get("scenarios") or []:
            if not isinstance(s, dict) or s.get("name") in seen:
                continue
            seen.add(s.get("name"))
            if units is None:
                units = _units(f)
            items = []
            for rec in s.get("files") or []:
                path = f.path / "inputs" / Path(rec.get("path", "")).name
                try:
                    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                except (OSError, yaml.YAMLError):
                    continue
                for name, value in (doc.get("constants") or {}).items():
                    u = units.get(name, "")
                    items += [
                        {"name": lab, "value": words, "unit": u, "file": path.name}
                        for lab, words in describe_constant(name, value, u)
                    ]
            scen.append(
                {
                    "name": s.get("name"),
                    "description": s.get("description", ""),
                    "entries": items,
                    "folder": f.path.name,
                }
            )
        spec = (
            f.manifest.get("sweep")
            if f.kind == "sweep"
            else f.manifest.get("sensitivity")
            if f.kind == "sensitivity"
            else None
        )
        if isinstance(spec, dict) and spec.get("uncertain"):
            units = _units(f) if units is None else units
            start = spec.get("swept_values_from")
            dists.append(
                {
                    "folder": f.path.name,
                    "name": f.name,
                    "start": format_when(start) if start is not None else "",
                    "entries": [
                        {
                            "name": n,
                            "value": describe_distribution(d, units.get(n.split("[")[0], "")),
                            "unit": units.get(n.split("[")[0], ""),
                        }
                        for n, d in spec["uncertain"].items()
                    ],
                }
            )
        elif isinstance(spec, dict) and spec.get("parameter_sets"):
            dists.append(
                {
                    "folder": f.path.name,
                    "name": f.name,
                    "start": "",
                    "entries": [
                        {
                            "name": "joint parameter sets",
                            "value": f"rows resampled from {spec['parameter_sets']}",
                            "unit": "",
                        }
                    ],
                }
            )
        if f.kind == "posterior" and (df := f.csv("parameters.csv")) is not None:
            priors.append(
                {
                    "folder": f.path.name,
                    "name": f.name,
                    "rows": [
                        {
                            "name": r.parameter,
                            "prior": f"mean {r.prior_mean:.3g}, sd {r.prior_sd:.3g}",
                            "posterior": f"{r.post_median:.3g} ({r.post_p5:.3g}-{r.post_p95:.3g})",
                            "verdict": r.verdict,
                        }
                        for r in df.itertuples()
                    ],
                }
            )
    return {"scenarios": scen, "distributions": dists, "priors": priors}
