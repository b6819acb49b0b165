"""The offline HTML page of a model comparison (plots embedded, no network)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np

from ..core.keys import KEY_OUTPUTS
from .compare import BUCKET_COLORS, BUCKETS, bucket_counts, sort_key
from .structure import format_changes

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:12.5px}td,th{border:1px solid #ddd;padding:3px 7px}
th{background:#f4f4f4;position:sticky;top:0}td.n{text-align:right;font-variant:tabular-nums}
.chip{display:inline-block;padding:2px 9px;margin:2px;border-radius:10px;font-size:12.5px}
pre{background:#fafafa;border:1px solid #eee;padding:8px;overflow-x:auto;font-size:12px}
.add{color:#1b7d2b}.del{color:#b71c1c}.hunk{color:#666}img{max-width:100%}
"""


def _e(text) -> str:
    return html.escape(str(text))


def _cell(d) -> str:
    if d is None:
        return "<td></td>"
    text = "=" if d.bucket == "identical" else ("n/a" if np.isnan(d.pct) else f"{d.pct:.2g}%")
    return (
        f'<td class="n" style="background:{BUCKET_COLORS[d.bucket]}" '
        f'title="{_e(d.bucket)}; max |diff| {d.max_abs:.4g} at t={d.time:g}">{text}</td>'
    )


def _grid(diffs) -> str:
    """Series x scenario table of differences, changed series first."""
    scen = list(dict.fromkeys(d.scenario for d in diffs))
    by = {(d.label, d.scenario): d for d in diffs}
    labels = sorted(
        dict.fromkeys(d.label for d in diffs),
        key=lambda lab: min(sort_key(by[(lab, s)]) for s in scen if (lab, s) in by),
    )
    rows = [f"<tr><th>variable</th>{''.join(f'<th>{_e(s)}</th>' for s in scen)}</tr>"]
    for lab in labels:
        rows.append(
            f"<tr><td>{_e(lab)}</td>" + "".join(_cell(by.get((lab, s))) for s in scen) + "</tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _diff_html(changes) -> str:
    out = []
    for line in format_changes(changes).splitlines():
        cls = (
            "hunk"
            if line.startswith(("@@", "=="))
            else "add"
            if line.startswith("+")
            else "del"
            if line.startswith("-")
            else ""
        )
        out.append(f'<span class="{cls}">{_e(line)}</span>' if cls else _e(line))
    return "<pre>" + "\n".join(out) + "</pre>"


def _fit_html(fit) -> str:
    if fit is None:
        return "<p>No observations compared.</p>"
    rows = [
        (
            "<tr><th>id</th><th>variable</th><th>time</th><th>old simulated</th>"
            "<th>new simulated</th><th>old log error</th><th>new log error</th>"
            "<th>old</th><th>new</th></tr>"
        )
    ]
    for r in fit.itertuples():
        flip = bool(r.passed_old) != bool(r.passed_new)
        style = ' style="background:#fff59d"' if flip else ""
        rows.append(
            f"<tr{style}><td>{_e(r.id)}</td><td>{_e(r.variable)}"
            f"{'[' + _e(r.region) + ']' if r.region else ''}</td><td class=n>{r.time:g}</td>"
            f"<td class=n>{r.simulated_old:.4g}</td><td class=n>{r.simulated_new:.4g}</td>"
            f"<td class=n>{r.log_error_old:+.3f}</td><td class=n>{r.log_error_new:+.3f}</td>"
            f"<td>{'pass' if r.passed_old else 'FAIL'}</td>"
            f"<td>{'pass' if r.passed_new else 'FAIL'}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _checks_html(checks) -> str:
    if not checks:
        return ""
    rows = ["<tr><th>check</th><th>old</th><th>new</th></tr>"]
    for n, a, b in checks:
        style = ' style="background:#fff59d"' if a != b else ""
        rows.append(f"<tr{style}><td>{_e(n)}</td><td>{_e(a)}</td><td>{_e(b)}</td></tr>")
    return "<h2>Reality checks (passed / runs)</h2><table>" + "".join(rows) + "</table>"


def write_report(path: Path, out, pngs) -> None:
    """Write the page: summary, bucket legend, difference grid, plots, equations, fit."""
    counts = bucket_counts(out.diffs)
    chips = "".join(
        f'<span class="chip" style="background:{BUCKET_COLORS[b]}">{_e(b)}: {counts[b]}</span>'
        for b in (*BUCKETS, "not comparable")
        if counts[b] or b != "not comparable"
    )
    imgs = "".join(
        f'<img alt="{_e(Path(p).stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(Path(p).read_bytes()).decode()}">'
        for p in pngs
    )
    key = [d for d in out.diffs if d.variable in KEY_OUTPUTS]
    notes = "".join(f"<li>{_e(n)}</li>" for n in out.notes)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>aigap diff: {_e(out.old)} -> {_e(out.new)}</title><style>{CSS}</style></head><body>
<h1>Model comparison</h1>
<p><b>old</b> {_e(out.old)} &rarr; <b>new</b> {_e(out.new)}</p>
<pre>{_e(out.summary)}</pre>
<h2>Behaviour: largest difference per series, % of the series' range</h2>
<p>{chips}</p>
<h3>Key outputs</h3>{_grid(key) if key else "<p>No key output compared.</p>"}
<details><summary>All {len(out.diffs)} series</summary>{_grid(out.diffs) if out.diffs else ""}
</details>
<h2>Biggest changes</h2>{imgs or "<p>No series changed.</p>"}
<h2>Changed equations</h2>{_diff_html(out.changes)}
<h2>Fit to observations (baseline)</h2>{_fit_html(out.fit)}
{_checks_html(out.checks)}
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
