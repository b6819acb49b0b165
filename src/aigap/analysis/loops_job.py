"""``aigap loops`` job: simulate scenarios, score their loops, write loops.csv and plots."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..scenarios import InputError
from ..core.errors import closest
from .ltm import simulate_loops

TOP = 3


@dataclass
class LoopsOutput:
    """Per scenario: ``(times, loops, relative scores)``; and the run folder."""

    results: dict
    run_dir: Path


def _select(cm, loops, rel, variable):
    """Loops through ``variable`` (``NAME`` or ``NAME[ELEM]``), renormalised among them."""
    if not variable:
        return loops, rel
    m = re.fullmatch(r"\s*([^\[\]]+?)\s*(?:\[([^\]]*)\])?\s*", variable)
    name, elem = (m.group(1), m.group(2)) if m else (variable, None)
    if name not in cm.variables:
        hint = closest(name, list(cm.variables))
        raise InputError(
            [
                f"--variable: unknown variable '{name}'"
                + (f"; did you mean '{hint}'?" if hint else "")
            ]
        )
    keep = [
        i
        for i, lp in enumerate(loops)
        if any(
            p == name or p.startswith(name + "[") and (elem is None or p == f"{name}[{elem}]")
            for p in lp.name.split(" -> ")
        )
    ]
    if not keep:
        raise InputError([f"--variable: '{variable}' is on no feedback loop"])
    sub = rel[keep]
    total = np.abs(sub).sum(axis=0)
    return [loops[i] for i in keep], np.where(total > 0, sub / np.where(total > 0, total, 1), 0)


def region_of(name: str) -> str:
    """The subscript elements a loop runs through (``all`` for unsubscripted loops)."""
    els = sorted(set(re.findall(r"\[([^\]]+)\]", name)))
    return ",".join(els) or "all"


def period_of(times) -> np.ndarray:
    """Calendar period of each step: the whole year its start falls in (``floor(t - dt)``).

    ``times`` are step ends, so the step ending at 2031.0 (year-end 2030) belongs to 2030.
    """
    times = np.asarray(times, dtype=float)
    dt = times[1] - times[0] if len(times) > 1 else 0.0
    return np.floor(times - dt + 1e-9 * max(1.0, abs(dt))).astype(int)


def periods(times) -> list:
    """The calendar years the steps of ``times`` cover (2024-2030 for a 2024-2031 run)."""
    return sorted(set(period_of(times).tolist()))


def yearly(times, rel, years):
    """Mean relative score of each loop over the steps of each year: ``(loop, year)``."""
    per = period_of(times)
    return np.stack(
        [rel[:, per == y].mean(axis=1) if (per == y).any() else np.zeros(len(rel)) for y in years],
        axis=1,
    )


INACTIVE = (
    "no loop is active (every loop score is 0: on each loop some variable does not "
    "change in this period, e.g. a constant, a lever before its start time or a MIN/MAX "
    "at its limit)"
)


def format_table(label, times, loops, rel, years=None, top=TOP) -> str:
    """Per year: the ``top`` loops by |mean relative score|, with polarity and score."""
    years = periods(times) if years is None else years
    lines = [
        (
            f"Scenario '{label}': dominant loops (mean relative loop score over the year; "
            "+ reinforcing, - balancing)"
        )
    ]
    ys = yearly(times, rel, years)
    for j, y in enumerate(years):
        if not np.abs(ys[:, j]).sum() > 0:
            lines.append(f"  {y:g}: {INACTIVE}")
            continue
        order = [i for i in np.argsort(-np.abs(ys[:, j]))[:top] if ys[i, j] != 0]
        lines.append(f"  {y:g}: " + "; ".join(f"{ys[i, j]:+.0%} {loops[i].name}" for i in order))
    if loops and loops[0].found_by != "enumeration":
        lines.append(
            f"  ({len(loops)} loops found by the strongest-path search: too many "
            "to enumerate; scores are relative to these loops)"
        )
    return "\n".join(lines)


def plot_regions(path_stem: Path, label, times, loops, rel, top=8) -> list:
    """One stacked relative-loop-score PNG per region (Stella's dominance view)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    regions = {}
    for i, lp in enumerate(loops):
        regions.setdefault(region_of(lp.name), []).append(i)
    for region, idx in sorted(regions.items()):
        order = sorted(idx, key=lambda i: -np.abs(rel[i]).mean())[:top]
        fig, ax = plt.subplots(figsize=(10, 5))
        pos = [np.clip(rel[i], 0, None) for i in order]
        neg = [np.clip(rel[i], None, 0) for i in order]
        colors = plt.cm.tab10(np.arange(len(order)) % 10)
        labels = [f"L{i} {loops[i].name[:64]}" for i in order]
        ax.stackplot(times, pos, colors=colors, labels=labels, alpha=0.85)
        ax.stackplot(times, neg, colors=colors, alpha=0.85)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_ylim(-1, 1)
        ax.set_ylabel("relative loop score")
        ax.set_title(f"{label}: loop dominance, {region} (top {len(order)} of {len(idx)})")
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        out = path_stem.parent / f"{path_stem.name}-{re.sub(r'[^A-Za-z0-9]+', '_', region)}.png"
        fig.savefig(out, dpi=110)
        plt.close(fig)
        written.append(out)
    return written


def write_csv(path: Path, results: dict) -> None:
    """Long table: scenario, time, loop, polarity, relative score."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["scenario", "loop_id", "loop", "region", "time", "relative_score"])
        for label, (times, loops, rel) in results.items():
            for i, lp in enumerate(loops):
                for t, v in zip(times, rel[i]):
                    w.writerow([label, i, lp.name, region_of(lp.name), f"{t:.6g}", f"{v:.6g}"])


def dominance_rows(results: dict, top=TOP) -> list:
    """Per scenario and year, the ``top`` loops by |mean relative score| (the printed table)."""
    rows = []
    for label, (times, loops, rel) in results.items():
        years = periods(times)
        ys = yearly(times, rel, years)
        for j, y in enumerate(years):
            order = [i for i in np.argsort(-np.abs(ys[:, j]))[:top] if ys[i, j] != 0]
            if not order:
                rows.append(
                    {
                        "scenario": label,
                        "year": y,
                        "rank": "",
                        "loop": INACTIVE,
                        "relative_score": 0.0,
                    }
                )
            for r, i in enumerate(order, start=1):
                rows.append(
                    {
                        "scenario": label,
                        "year": y,
                        "rank": r,
                        "loop": loops[i].name,
                        "relative_score": round(float(ys[i, j]), 4),
                    }
                )
    return rows


def write_dominance(path: Path, results: dict, top=TOP) -> None:
    """``dominance.csv``: the dominant loops per scenario and year."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, ["scenario", "year", "rank", "loop", "relative_score"])
        w.writeheader()
        w.writerows(dominance_rows(results, top))


def report_html(folder) -> str:
    """HTML section of a ``loops`` run folder for ``aigap report`` (dominance per year).

    Self-contained: reads ``dominance.csv``; the report embeds the folder's PNGs itself.
    """
    import html

    path = Path(folder) / "dominance.csv"
    if not path.is_file():
        return ""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    body = "".join(
        f"<tr><td>{html.escape(r['scenario'])}</td><td>{html.escape(r['year'])}</td>"
        f"<td>{html.escape(r['rank'])}</td><td>{float(r['relative_score']):+.0%}</td>"
        f"<td style='text-align:left'>{html.escape(r['loop'])}</td></tr>"
        for r in rows
    )
    return (
        "<h3>Loop dominance (Loops That Matter)</h3><p class='note'>Mean relative loop "
        "score over each year: a loop's share of the change of all feedback loops "
        "(+ reinforcing, - balancing; absolute values sum to 100% per step).</p>"
        "<table><tr><th>scenario</th><th>year</th><th>rank</th><th>score</th>"
        f"<th>loop</th></tr>{body}</table>"
    )


def run_loops(
    paths,
    model=None,
    variable=None,
    time_step=None,
    runs_dir=None,
    plots=True,
    top=TOP,
    command=None,
):
    """Score the loops of each scenario file in ``paths``; write a ``loops`` run folder."""
    from datetime import datetime

    from ..engine import compile_model
    from ..workflow.manifest import build_manifest, scenario_record, write_manifest
    from ..workflow.rundir import new_run_dir
    from ..workflow.runner import find_model, load_inputs
    from .loops_file import load_loop_names, loops_file

    started = datetime.now().astimezone()
    cm = compile_model(find_model(model))
    named_file = loops_file(cm.path)
    named = load_loop_names(named_file, cm.variables) if named_file.is_file() else {}
    scenarios, params, _ = load_inputs(paths, cm, observations=None)
    results = {}
    for sc in scenarios:
        times, loops, rel = named_loops(cm, params[sc.name], named, time_step)
        results[sc.name] = (times, *_select(cm, loops, rel, variable))
    with new_run_dir("loops", "loops-" + "-vs-".join(results), runs_dir=runs_dir) as rd:
        write_csv(rd.path / "loops.csv", results)
        write_dominance(rd.path / "dominance.csv", results, top)
        if plots:
            for label, res in results.items():
                plot_regions(rd.path / f"loops-{label}", label, *res)
        write_manifest(
            rd.path,
            build_manifest(
                "loops",
                "-vs-".join(results),
                started,
                model=cm,
                engine="numpy",
                time_step=time_step or cm.time_step,
                command=command,
                scenarios=[scenario_record(sc) for sc in scenarios],
                extra={
                    "loops": {
                        "variable": variable,
                        "n_loops": {k: len(v[1]) for k, v in results.items()},
                        "found_by": {
                            k: v[1][0].found_by if v[1] else None for k, v in results.items()
                        },
                    }
                },
            ),
        )
    return LoopsOutput(results, rd.final_path)


def named_loops(cm, params, named: dict, time_step=None):
    """``simulate_loops`` with the loops that ``named`` names labelled ``R1 title: ...``."""
    from .loops_file import name_loops

    times, loops, rel = simulate_loops(cm, params, time_step=time_step)
    for i, name in name_loops(loops, named).items():
        loops[i].name = f"{name} {named[name][0]}: {loops[i].name}"
    return times, loops, rel
