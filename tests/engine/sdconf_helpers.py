"""Helpers for the SD conformance suite (../shared/sd-conformance beside the repo)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from aigap.engine import parse

SUITE = Path(__file__).resolve().parents[2] / "../shared/sd-conformance"
CONTROL_COLUMNS = {"FINAL TIME", "INITIAL TIME", "SAVEPER", "TIME STEP"}
STRICT = (1e-5, 1e-8)
RELAXED = (1e-3, 1e-5)


def manifest():
    """Entries of manifest.json, or [] when the suite is absent."""
    path = SUITE / "manifest.json"
    if not path.is_file():
        return []
    return json.loads(path.read_text())


def entry_id(entry) -> str:
    return f"{entry['path']}/{entry['model']}"


def tolerance(entry):
    """(rtol, atol) from the manifest entry."""
    return RELAXED if "relaxed" in entry["pysd_3_14_3"] else STRICT


def decode_text(raw: bytes) -> str:
    """Decode a suite file: UTF-8 when valid, else Windows-1252 (Vensim's encoding)."""
    return parse.decode_text(raw)[0]


def read_expected(path: Path):
    """Read a canonical output file: returns (times, {column: values}).

    Handles tab/comma separation, quoted headers, CR/CRLF/LF line endings and
    empty cells (a constant printed only in the first row).
    """
    raw = decode_text(path.read_bytes())
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    delim = "\t" if path.suffix == ".tab" else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if any(c.strip() for c in r)]
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    cols = {}
    for j, name in enumerate(header):
        vals = []
        for r in body:
            cell = r[j].strip() if j < len(r) else ""
            vals.append(float(cell) if cell else np.nan)
        arr = np.array(vals)
        if np.isnan(arr).any() and not np.isnan(arr[0]):
            arr = np.where(np.isnan(arr), arr[0], arr)
        cols[name] = arr
    time_key = next(h for h in header if h.lower() == "time")
    times = cols.pop(time_key)
    return times, cols


def column_map(cm, res):
    """Map 'Name' / 'Name[a,b]' columns to (output name, element index)."""
    out = {}
    for name in res.names:
        dims = res.dims[name][2:]
        if not dims:
            out[name] = (name, ())
            continue
        shape = [len(res.coords[d]) for d in dims]
        for idx in np.ndindex(*shape):
            elems = [res.coords[d][i] for d, i in zip(dims, idx)]
            out[f"{name}[{','.join(elems)}]"] = (name, idx)
    return out


def compare(cm, res, expected_path, rtol, atol):
    """Compare a result with the canonical output; return (n_compared, failures)."""
    times, cols = read_expected(expected_path)
    cmap = column_map(cm, res)
    lower = {k.lower(): k for k in cmap}
    failures, n = [], 0
    rows = []
    spacing = float(np.min(np.diff(res.time))) if len(res.time) > 1 else np.inf
    for t in times:  # every expected time must be a saved time (never the nearest);
        i = int(np.argmin(np.abs(res.time - t)))  # files print ~6 significant digits
        if abs(res.time[i] - t) > min(1e-5 * max(1.0, abs(t)), 0.25 * spacing):
            failures.append(f"time {t!r} is not a saved time of the result")
        rows.append(i)
    rows = np.array(rows)
    for col, expected in cols.items():
        if col in CONTROL_COLUMNS:
            continue
        key = None
        for cand in (col, col.strip(), col.strip().strip('"').replace('""', '"')):
            if cand in cmap:
                key = cand
                break
            if cand.lower() in lower:
                key = lower[cand.lower()]
                break
        if key is None:  # a column the result cannot match fails, never skips
            failures.append(f"{col}: no such output in the result")
            continue
        name, idx = cmap[key]
        actual = res[name][0][(rows,) + tuple(idx)] if idx else res[name][0][rows]
        both_nan = np.isnan(actual) & np.isnan(expected)
        ok = both_nan | (np.abs(actual - expected) <= atol + rtol * np.abs(expected))
        n += 1
        if not ok.all():
            i = int(np.argmin(ok))
            failures.append(f"{col} at t={times[i]}: got {actual[i]!r}, expected {expected[i]!r}")
    return n, failures


CONTROL = """
********************************************************
	.Control
********************************************************~
		Simulation Control Parameters
	|

FINAL TIME  = {final}
	~	Month
	~	The final time for the simulation.
	|

INITIAL TIME  = {initial}
	~	Month
	~	The initial time for the simulation.
	|

SAVEPER  = {saveper}
	~	Month [0,?]
	~	The frequency with which output is stored.
	|

TIME STEP  = {dt}
	~	Month [0,?]
	~	The time step for the simulation.
	|
"""


def write_mdl(folder, name, equations, final=1, initial=0, dt=0.125, saveper="TIME STEP"):
    """Write a small Vensim model: ``equations`` is the text of the model equations."""
    path = Path(folder) / name
    text = (
        "{UTF-8}\n"
        + equations.strip()
        + "\n\n"
        + CONTROL.format(final=final, initial=initial, dt=dt, saveper=saveper)
    )
    path.write_text(text)
    return path
