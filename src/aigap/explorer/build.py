"""``aigap explore``: validate the inputs, build the page, write it once (never overwrite)."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import numpy as np

from ..engine import compile_model
from ..observations import load_observations
from ..scenarios import InputError, load_scenario, resolve_params
from ..workflow.runner import DEFAULT_SCENARIOS, find_model, scenarios_dir
from .page import build_page

DEFAULT_OUTPUT = Path("explorer.html")
MAX_DRAWS = 300


def read_draws(run, cm, n_max=MAX_DRAWS, seed=0) -> list:
    """Drawn values from ``RUN/draws.csv`` (columns ``Name`` / ``Name[ELEM]``).

    Returns one ``{(constant, element labels): value}`` per draw (``()`` for a column
    naming the whole constant): only what was drawn, so the page applies each draw on top
    of the selected scenario's values. At most ``n_max`` rows, chosen with
    ``numpy.random.default_rng(seed)`` when there are more; a column that is not a model
    constant (or names an unknown element) is an error naming the closest one.
    """
    from ..analysis.sweep_file import DRAW_META_COLUMNS
    from ..core.errors import closest

    path, keep = _draws_file(Path(run))
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise InputError([f"{path}:1: {path.name} has no rows"])
    header, body = rows[0], rows[1:]
    if keep is not None:  # a sweep: its run column out, consistent runs only
        body = [r[1:] for r, ok in zip(body, keep) if ok]
        header = header[1:]
    cols = []
    for j, col in enumerate(header):
        if col.strip() in DRAW_META_COLUMNS:  # a posterior's log_post, a fit's payoff
            continue
        name, _, elem = col.partition("[")
        name, elem = name.strip(), elem.rstrip("]").strip()
        if name not in cm.constants:
            near = closest(name, cm.constants)
            raise InputError(
                [
                    f"{path}:1: {col}: not a model constant"
                    + (f" (did you mean '{near}'?)" if near else "")
                ]
            )
        labels = tuple(e.strip() for e in elem.split(",")) if elem else ()
        dims = cm.constants[name].dims
        if labels and (
            len(labels) != len(dims) or any(e not in cm.dims[d] for d, e in zip(dims, labels))
        ):
            raise InputError(
                [
                    f"{path}:1: {col}: unknown element of {name} "
                    f"({', '.join(d + ': ' + '/'.join(cm.dims[d]) for d in dims)})"
                ]
            )
        cols.append((j, name, labels))
    if len(body) > n_max:
        pick = np.sort(np.random.default_rng(seed).choice(len(body), n_max, replace=False))
        body = [body[i] for i in pick]
    draws = []
    for line, row in enumerate(body, start=2):
        draw = {}
        for j, name, labels in cols:
            try:
                draw[(name, labels)] = float(row[j])
            except (ValueError, IndexError):
                raise InputError([f"{path}:{line}: {header[j]}: not a number"]) from None
        draws.append(draw)
    return draws


def _draws_file(run: Path):
    """``(csv path, consistent mask or None)``: a posterior's draws.csv, or a sweep's
    samples.csv restricted to its runs consistent with the data (``outputs.npz``)."""
    if (run / "draws.csv").is_file():
        return run / "draws.csv", None
    samples = run / "samples.csv"
    if not samples.is_file():
        raise InputError([f"{run}: neither draws.csv (posterior) nor samples.csv (sweep)"])
    keep = None
    if (run / "outputs.npz").is_file():
        with np.load(run / "outputs.npz") as npz:
            if "consistent" in npz.files:
                keep = np.asarray(npz["consistent"], dtype=bool)
    with samples.open(newline="") as fh:
        n = sum(1 for _ in fh) - 1
    keep = np.ones(max(n, 0), dtype=bool) if keep is None else keep
    if not keep.any():
        raise InputError([f"{run}: no run of the sweep is consistent with the observations"])
    return samples, keep


def draws_from(run) -> float | None:
    """When a sweep's sampled values start acting (its manifest's ``swept_values_from``);
    None for a posterior or a sweep whose values act from the start."""
    m = Path(run) / "manifest.json"
    if (Path(run) / "draws.csv").is_file() or not m.is_file():
        return None
    import json

    value = json.loads(m.read_text()).get("sweep", {}).get("swept_values_from")
    return None if value is None else float(value)


def explore(
    scenarios=(), output=None, model=None, posterior=None, observations="auto", max_draws=MAX_DRAWS
):
    """Write the explorer page; returns its path. Nothing is written on bad input."""
    out = Path(output or DEFAULT_OUTPUT)
    if out.exists():
        raise InputError([f"{out}: already exists; choose another -o path (never overwritten)"])
    cm = compile_model(find_model(model))
    paths = [scenarios_dir() / f"{n}.yaml" for n in DEFAULT_SCENARIOS]
    paths = [p for p in paths if p.is_file()] + [Path(p) for p in scenarios]
    named = {}
    for p in paths:
        sc = load_scenario(p, cm)
        named[sc.name] = (" ".join(sc.description.split()), resolve_params(cm, sc))
    if scenarios:  # the ones given on the command line come first
        first = load_scenario(scenarios[0], cm).name
        named = {first: named[first], **{k: v for k, v in named.items() if k != first}}
    obs = None
    if observations == "auto":
        cand = scenarios_dir() / "data" / "observations.yaml"
        obs = load_observations(cand, cm) if cand.is_file() else None
    elif observations:
        obs = load_observations(observations, cm)
    draws = read_draws(posterior, cm, n_max=max_draws) if posterior else None
    html = build_page(
        cm, named, obs, draws, draws_from=draws_from(posterior) if posterior else None
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".explorer-", suffix=".tmp", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(html)
    try:
        os.link(tmp, out)  # atomic, and fails if ``out`` appeared meanwhile
    except FileExistsError:
        raise InputError(
            [f"{out}: already exists; choose another -o path (never overwritten)"]
        ) from None
    finally:
        os.unlink(tmp)
    return out
