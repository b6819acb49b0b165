"""Per-folder sections of the report: compact tables with readable headers, captioned figures
and provenance. Returns plain data for the template (nothing here writes HTML)."""

from __future__ import annotations

import base64
import json

import numpy as np

from ..core.keys import GAPS
from ..core.formatting import format_value
from ..workflow.summary import GAP_LABELS, YEARS
from .report_data import Folder
from .report_words import caption, format_percent, format_when

KIND_WORDS = {
    "run": "Scenario run",
    "compare": "Scenario comparison",
    "sweep": "Sweep",
    "sensitivity": "Sensitivity analysis",
    "calibrate": "Calibration",
    "discover": "Scenario discovery (PRIM)",
    "posterior": "Bayesian calibration",
    "loops": "Loop dominance",
    "report": "Report",
}
COLUMNS = {
    "ci_low": "95% interval low",
    "ci_high": "95% interval high",
    "runs_true": "runs where true",
    "mu_star": "mu* (importance)",
    "mu_star_conf": "mu* +-",
    "mu": "mu (direction)",
    "sigma": "sigma",
    "S1": "S1 (alone)",
    "ST": "ST (with interactions)",
    "S1_low": "S1 low",
    "S1_high": "S1 high",
    "ST_low": "ST low",
    "ST_high": "ST high",
    "density_without": "density without this limit",
    "coverage_without": "coverage without this limit",
    "sampled_low": "sampled low",
    "sampled_high": "sampled high",
    "post_median": "posterior median",
    "post_p5": "posterior 5%",
    "post_p95": "posterior 95%",
    "post_mean": "posterior mean",
    "post_sd": "posterior sd",
    "prior_mean": "prior mean",
    "prior_sd": "prior sd",
    "log_error": "log error",
    "pct_error": "error %",
    "median_pct_error": "median error %",
    "inside50": "inside 50%",
    "inside90": "inside 90%",
    "crps_log": "CRPS (log)",
}
PERCENT_COLUMNS = {
    "probability",
    "ci_low",
    "ci_high",
    "coverage",
    "density",
    "mass",
    "density_without",
    "coverage_without",
    "contraction",
    "relative_score",
}
COLLAPSE_ROWS = 12
TABLES = {
    "sweep": (),
    "sensitivity": ("ranking.csv",),
    "calibrate": ("parameters.csv", "fit.csv"),
    "discover": ("boxes.csv",),
    "posterior": ("parameters.csv", "fit.csv"),
    "loops": ("dominance.csv",),
}
TABLE_CAPTIONS = {
    "conditions.csv": "Probability of each condition (95% Wilson interval)",
    "ranking.csv": "Inputs ranked by their effect on each output",
    "parameters.csv": "Fitted constants and whether the data identify them",
    "fit.csv": "Fit to every published observation",
    "boxes.csv": "PRIM boxes: restricted input ranges",
    "dominance.csv": "Loop dominance (Loops That Matter): mean relative loop "
    "score per year (+ reinforcing, - balancing)",
}


def _cell(v, column: str = "") -> str:
    """One cell: percentages for shares, three significant figures, '-' for missing."""
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        if column in PERCENT_COLUMNS:
            return format_percent(v)
        if column == "time":
            return format_when(v)
        return format_value(float(v)) if abs(v) >= 1e4 else f"{v:.3g}"
    return str(v)


def table(df, caption_text: str, drop=()) -> dict:
    """A DataFrame as ``{"caption", "columns", "rows", "collapsed"}`` (every row kept)."""
    cols = [c for c in df.columns if c not in drop]
    rows = [[_cell(v, c) for v, c in zip(r, cols)] for r in df[cols].itertuples(index=False)]
    return {
        "caption": caption_text,
        "columns": [COLUMNS.get(c, c.replace("_", " ")) for c in cols],
        "rows": rows,
        "collapsed": len(rows) > COLLAPSE_ROWS,
    }


def _summary_table(f: Folder):
    df = f.csv("summary.csv")
    if df is None or not {"variable", "year", "value"} <= set(df.columns):
        return None
    df = df.fillna({"region": "", "unit": ""})
    rows = []
    keys = [c for c in ("scenario", "variable", "region") if c in df.columns]
    for key, sub in df.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        by_year = sub.set_index("year")
        unit = str(sub.unit.iloc[0])
        label = dict(zip(keys, key))
        name = GAP_LABELS.get(label["variable"]) or (
            f"{label['variable']} [{label.get('region')}]"
            if label.get("region")
            else label["variable"]
        )
        rows.append(
            ([label["scenario"]] if "scenario" in label else [])
            + [name]
            + [
                format_value(by_year.value.get(y, np.nan), unit, ratio=label["variable"] in GAPS)
                for y in YEARS
            ]
        )
    cols = (
        (["scenario"] if "scenario" in keys else [])
        + ["variable (year-end)"]
        + [str(y) for y in YEARS]
    )
    return {
        "caption": "Year-end values 2026-2030",
        "columns": cols,
        "rows": rows,
        "collapsed": len(rows) > COLLAPSE_ROWS,
    }


def _fit_table(f: Folder):
    df = f.csv("fit.csv")
    if df is None or "passed" not in df.columns or "simulated" not in df.columns:
        return None
    rows = []
    for r in df.fillna({"region": "", "unit": ""}).itertuples():
        unit = str(r.unit)
        if r.kind == "range":
            obs = f"{format_value(r.low, unit)}..{format_value(r.high, unit)}"
        else:
            obs = {"point": "", "lower": ">= ", "upper": "<= "}.get(r.kind, "") + format_value(
                r.observed, unit
            )
        err = "within" if r.kind != "point" and r.passed else f"{r.pct_error:+.1f}%"
        rows.append(
            ([r.scenario] if "scenario" in df.columns else [])
            + [
                r.id,
                f"{r.variable}[{r.region}]" if r.region else r.variable,
                format_when(r.time),
                obs,
                format_value(r.simulated, unit),
                err,
                "pass" if r.passed else "FAIL",
            ]
        )
    n_ok = int(df.passed.sum())
    cols = (["scenario"] if "scenario" in df.columns else []) + [
        "observation",
        "model variable",
        "when",
        "observed",
        "simulated",
        "error",
        "fit",
    ]
    return {
        "caption": f"Fit to the published observations: {n_ok} of {len(df)} within tolerance",
        "columns": cols,
        "rows": rows,
        "collapsed": len(rows) > COLLAPSE_ROWS,
    }


def _percentile_table(f: Folder):
    df = f.csv("percentiles.csv")
    if df is None:
        return None
    sub = df[df.variable.isin(GAPS)]
    cons = "p50_consistent" in sub.columns and (sub.get("n_consistent", 0) > 0).all()
    sfx = "_consistent" if cons else ""
    rows = [
        [
            GAP_LABELS.get(r.variable, r.variable),
            f"year-end {r.year}",
            *(
                format_value(getattr(r, f"{k}{sfx}"), ratio=True)
                for k in ("p5", "p25", "p50", "p75", "p95")
            ),
        ]
        for r in sub.itertuples()
    ]
    who = "data-consistent runs" if cons else "all runs (none consistent with the data)"
    return {
        "caption": f"Gap ratios over the {who}: percentiles",
        "columns": ["gap", "when", "5%", "25%", "median", "75%", "95%"],
        "rows": rows,
        "collapsed": len(rows) > COLLAPSE_ROWS,
    }


def _conditions_table(f: Folder):
    from .report_data import condition_words

    df = f.csv("conditions.csv")
    if df is None or df.empty:
        return None
    cons = "probability_consistent" in df.columns and (df.runs_consistent > 0).all()
    sfx = "_consistent" if cons else ""
    rows = [
        [
            r["condition"],
            condition_words(r["definition"]),
            f"{format_percent(r['probability' + sfx])} ({format_percent(r['ci_low' + sfx])}"
            f"-{format_percent(r['ci_high' + sfx])})",
            f"{int(r['runs_true' + sfx]):,} of {int(r['runs' + sfx]):,}",
            format_percent(r["probability"]),
        ]
        for _, r in df.iterrows()
    ]
    who = "data-consistent runs" if cons else "all runs (none consistent with the data)"
    return {
        "caption": f"Probability of each condition over the {who} (95% Wilson interval)",
        "columns": [
            "condition",
            "in words",
            "probability (95% interval)",
            "runs",
            "all runs, unconditioned",
        ],
        "rows": rows,
        "collapsed": len(rows) > COLLAPSE_ROWS,
    }


def _notes(f: Folder) -> list:
    m, notes = f.manifest, []
    if f.kind == "sweep" and m.get("consistent_runs") is not None:
        runs = (m.get("sweep") or {}).get("runs")
        notes.append(
            f"{m['consistent_runs']:,} of {runs:,} runs are consistent with every "
            "fitted observation; figures are over those runs."
            if runs
            else ""
        )
    if f.kind == "posterior":
        try:
            d = json.loads((f.path / "diagnostics.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            d = None
        if isinstance(d, dict):
            ok = d.get("converged")
            failed = [k for k, v in (d.get("checks") or {}).items() if not v]
            notes.append(
                "Chains CONVERGED."
                if ok
                else "Chains NOT CONVERGED (" + ", ".join(failed) + f"); about "
                f"{d.get('more_steps', '?')} more steps per chain are needed: treat "
                "the intervals as provisional."
            )
    return [n for n in notes if n]


def provenance(f: Folder) -> list:
    """``[(label, text)]`` describing how the folder was made ('-' when not recorded)."""
    m = f.manifest
    model = m.get("model") if isinstance(m.get("model"), dict) else {}
    git = m.get("git") if isinstance(m.get("git"), dict) else {}
    scen = (
        ", ".join(s.get("name", "?") for s in m.get("scenarios") or [] if isinstance(s, dict))
        or "-"
    )
    dash = lambda v: "-" if v in (None, "", [], {}) else str(v)  # noqa: E731
    rows = [
        ("folder", str(f.path)),
        ("kind", KIND_WORDS.get(f.kind, f.kind)),
        ("started", dash(m.get("started"))),
        (
            "duration",
            f"{m['duration_s']:.1f} s" if isinstance(m.get("duration_s"), (int, float)) else "-",
        ),
        ("scenarios", scen),
        ("random seed", dash(m.get("seed"))),
        ("engine / method", f"{dash(m.get('engine'))} / {dash(m.get('method'))}"),
        ("time step", dash(m.get("time_step"))),
        ("--set values", ", ".join(m.get("sets") or []) or "none"),
        ("model", f"{model.get('path', '-')} (sha256 {(model.get('sha256') or '-')[:12]})"),
        (
            "git commit",
            (git.get("commit") or "-")[:12]
            + (" (uncommitted changes)" if git.get("dirty") else ""),
        ),
        (
            "package",
            dash(
                (m.get("package") or {}).get("version")
                if isinstance(m.get("package"), dict)
                else None
            ),
        ),
        ("command", " ".join(m.get("command") or []) or "-"),
    ]
    return rows


def figures(f: Folder) -> list:
    """Every PNG of the folder, base64-embedded, with its caption."""
    return [
        {
            "name": p.name,
            "caption": caption(p.name),
            "data": base64.b64encode(p.read_bytes()).decode("ascii"),
        }
        for p in sorted(f.path.glob("*.png"))
    ]


def folder_section(f: Folder) -> dict:
    """Data of one folder's section of the report."""
    tables = []
    if f.kind in ("run", "compare"):
        tables += [t for t in (_summary_table(f), _fit_table(f)) if t]
    if f.kind == "sweep":
        tables += [t for t in (_conditions_table(f), _percentile_table(f)) if t]
    for fname in TABLES.get(f.kind, ()):
        if fname == "fit.csv" and f.kind == "calibrate":
            continue
        df = f.csv(fname)
        if df is not None:
            drop = ("rank",) if fname == "ranking.csv" else ()
            tables.append(table(df, TABLE_CAPTIONS.get(fname, fname), drop))
    if f.kind == "calibrate" and f.csv("fit.csv") is not None:
        tables.append(table(f.csv("fit.csv"), TABLE_CAPTIONS["fit.csv"], ("description",)))
    desc = ""
    for key in ("sweep", "sensitivity", "calibration", "posterior"):
        if isinstance(f.manifest.get(key), dict) and f.manifest[key].get("description"):
            desc = " ".join(str(f.manifest[key]["description"]).split())
    if f.kind == "discover" and isinstance(f.manifest.get("discover"), dict):
        d = f.manifest["discover"]
        desc = (
            "Where do the cases "
            + " and ".join(d.get("conditions") or [])
            + f" concentrate? {d.get('cases', '?')} of {d.get('runs', '?')} sweep runs "
            "are cases."
        )
    return {
        "id": "folder-" + f.path.name,
        "title": f"{KIND_WORDS.get(f.kind, f.kind)}: {f.name}",
        "description": desc,
        "notes": _notes(f),
        "tables": tables,
        "figures": figures(f),
        "provenance": provenance(f),
    }
