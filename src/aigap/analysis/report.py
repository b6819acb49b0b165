"""``aigap report``: one self-contained HTML page from run folders (readable offline).

Every folder's ``manifest.json`` says what it is (run, compare, sweep, sensitivity,
calibrate, discover); the page shows its provenance, its key tables (CSV files rendered as
HTML) and every PNG embedded as base64. No external CSS, scripts or fonts.
"""

from __future__ import annotations

import base64
import html
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from ..scenarios import InputError
from ..workflow.manifest import build_manifest, write_manifest
from ..workflow.keys import GAPS
from ..workflow.rundir import check_output_path, new_run_dir

__all__ = ["build_report", "render_html"]

# per kind: (csv file, caption, optional row filter column -> allowed values, max rows)
TABLES = {
    "run": [("summary.csv", "Year-end summary", None), ("fit.csv", "Fit to observations", None)],
    "compare": [("summary.csv", "Year-end summary", None),
                ("fit.csv", "Fit to observations", None)],
    "sweep": [("conditions.csv", "Condition probabilities (95% Wilson interval)", None),
              ("percentiles.csv", "Percentiles of the gap ratios at year end",
               ("variable", GAPS))],
    "sensitivity": [("ranking.csv", "Ranking of inputs per output", None)],
    "calibrate": [("parameters.csv", "Calibrated parameters and identification", None),
                  ("fit.csv", "Fit table (before / after, in / out of sample)", None)],
    "discover": [("boxes.csv", "PRIM boxes", None)],
}
FIT_COLUMNS = ("id", "variable", "region", "time", "kind", "observed", "low", "high",
               "simulated_before", "simulated", "pct_error_before", "pct_error", "passed",
               "sample", "scenario")
MAX_ROWS = 80
CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:2px solid #1f5fa8;padding-bottom:4px;
margin-top:36px}h3{font-size:14px;margin-bottom:4px}
table{border-collapse:collapse;font-size:12px;margin:6px 0 14px}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#eef3f9}
td:first-child,th:first-child{text-align:left}
.meta td{text-align:left}.note{color:#666;font-size:12px}
img{max-width:100%;border:1px solid #ddd;margin:6px 0}
"""


def _fmt(v) -> str:
    """Numbers with k/M/B/T suffixes above 10,000; NaN as an empty cell."""
    if not isinstance(v, float):
        return str(v)
    if v != v:
        return ""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= max(div, 1e4):
            return f"{v / div:.4g}{suffix}"
    return f"{v:.6g}" if abs(v) >= 1000 else f"{v:.4g}"     # years keep their decimals


def _table_html(df, caption: str) -> str:
    cols = list(df.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    more = ""
    return (f"<h3>{html.escape(caption)}</h3><table><tr>{head}</tr>{body}</table>{more}")


def _csv_section(folder: Path, fname: str, caption: str, filt) -> str:
    import pandas as pd

    path = folder / fname
    if not path.exists():
        return ""
    from ..workflow.rundir import read_run_file
    df = read_run_file(path, pd.read_csv)
    if filt is not None and filt[0] in df.columns:
        df = df[df[filt[0]].isin(filt[1])]
    if fname == "fit.csv":
        df = df[[c for c in FIT_COLUMNS if c in df.columns]]
    if fname == "summary.csv" and {"year", "value"} <= set(df.columns):
        from ..workflow.summary import format_value
        keys = [c for c in ("scenario", "variable", "region") if c in df.columns]
        df = df.fillna({"region": "", "unit": ""})
        df["value"] = [format_value(v, u) for v, u in zip(df["value"], df.get("unit", ""))]
        df = df.pivot_table(index=keys, columns="year", values="value", sort=False,
                            aggfunc="first").reset_index()
        df.columns = [str(c) for c in df.columns]
    if fname == "ranking.csv" and "rank" in df.columns:
        df = df[df["rank"] <= 8]
    note = ""
    if len(df) > MAX_ROWS:
        note = f"<p class='note'>first {MAX_ROWS} of {len(df)} rows; see {fname}</p>"
        df = df.head(MAX_ROWS)
    return _table_html(df, caption) + note


def _manifest_html(m: dict) -> str:
    scen = ", ".join(s.get("name", "?") for s in m.get("scenarios") or []) or "-"
    model = m.get("model") or {}
    git = m.get("git") or {}
    rows = [("kind", m.get("kind")), ("started", m.get("started")),
            ("duration", f"{m.get('duration_s', 0):.1f} s"), ("scenarios", scen),
            ("seed", m.get("seed")), ("engine / method", f"{m.get('engine')} / {m.get('method')}"),
            ("model", f"{model.get('path', '-')} ({(model.get('sha256') or '')[:12]})"),
            ("git commit", f"{(git.get('commit') or '-')[:12]}"
                           + (" (dirty)" if git.get("dirty") else "")),
            ("command", " ".join(m.get("command") or []))]
    for key in ("sweep", "sensitivity", "calibration", "discover"):
        if isinstance(m.get(key), dict):
            d = m[key]
            brief = {k: v for k, v in d.items() if isinstance(v, (str, int, float, bool))
                     and k not in ("sha256", "path")}
            rows.append((key, ", ".join(f"{k}={v}" for k, v in brief.items())))
    body = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<table class='meta'>{body}</table>"


def folder_section(folder: Path) -> str:
    """HTML of one run folder."""
    mpath = folder / "manifest.json"
    from ..workflow.rundir import read_run_file
    m = read_run_file(mpath, lambda p: json.loads(p.read_text()))
    kind = m.get("kind", "run")
    parts = [f"<h2>{html.escape(kind)}: {html.escape(str(m.get('name', folder.name)))}</h2>",
             f"<p class='note'>{html.escape(str(folder))}</p>", _manifest_html(m)]
    for fname, caption, filt in TABLES.get(kind, []):
        parts.append(_csv_section(folder, fname, caption, filt))
    for png in sorted(folder.glob("*.png")):
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<h3>{html.escape(png.name)}</h3>"
                     f"<img alt='{html.escape(png.stem)}' src='data:image/png;base64,{data}'>")
    return "\n".join(parts)


def render_html(folders, title: str = "aigap report") -> str:
    """The whole page for a list of run folders."""
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    toc = "".join(f"<li>{html.escape(f.name)}</li>" for f in folders)
    body = "\n".join(folder_section(f) for f in folders)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p class='note'>generated {now} from {len(folders)} run folder(s)</p>"
            f"<ul>{toc}</ul>{body}</body></html>\n")


def build_report(folders, output=None, title: str = "aigap report", runs_dir=None,
                 command=None) -> Path:
    """Write the report; returns the HTML path (a new run folder unless ``output``)."""
    started = datetime.now().astimezone()
    paths, problems = [], []
    for f in folders:
        p = Path(f)
        if not (p / "manifest.json").is_file():
            problems.append(f"{p}: not a run folder (no manifest.json)")
        else:
            paths.append(p)
    if problems:
        raise InputError(problems)
    if not paths:
        raise InputError(["give at least one run folder"])
    if output is not None:
        check_output_path(output, "--output")
    page = render_html(paths, title)
    if output is not None:
        out = Path(output)
        try:   # O_EXCL: never over an existing file, and never through a (dangling) symlink
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise InputError([f"--output: {out}: exists; the report never overwrites a file"])
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        return out
    with new_run_dir("report", "report", runs_dir=runs_dir) as rd:
        (rd.path / "report.html").write_text(page, encoding="utf-8")
        write_manifest(rd.path, build_manifest(
            "report", "report", started, command=command if command is not None else sys.argv,
            extra={"folders": [str(p.resolve()) for p in paths]}))
    return rd.final_path / "report.html"
