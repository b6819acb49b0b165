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
        raise InputError([f"--variable: unknown variable '{name}'"
                          + (f"; did you mean '{hint}'?" if hint else "")])
    keep = [i for i, lp in enumerate(loops)
            if any(p == name or p.startswith(name + "[") and (elem is None or
                   p == f"{name}[{elem}]") for p in lp.name.split(" -> "))]
    if not keep:
        raise InputError([f"--variable: '{variable}' is on no feedback loop"])
    sub = rel[keep]
    total = np.abs(sub).sum(axis=0)
    return [loops[i] for i in keep], np.where(total > 0, sub / np.where(total > 0, total, 1), 0)


def region_of(name: str) -> str:
    """The subscript elements a loop runs through (``all`` for unsubscripted loops)."""
    els = sorted(set(re.findall(r"\[([^\]]+)\]", name)))
    return ",".join(els) or "all"


def yearly(times, rel, years):
    """Relative scores at the step ending nearest each year: ``(loop, year)``."""
    idx = [int(np.argmin(np.abs(times - y))) for y in years]
    return rel[:, idx]


def format_table(label, times, loops, rel, years, top=TOP) -> str:
    """Per year: the ``top`` loops by |relative score|, with polarity and score."""
    lines = [f"Scenario '{label}': dominant loops (relative loop score; + reinforcing, "
             "- balancing)"]
    ys = yearly(times, rel, years)
    for j, y in enumerate(years):
        order = np.argsort(-np.abs(ys[:, j]))[:top]
        lines.append(f"  {y:g}: " + "; ".join(
            f"{ys[i, j]:+.0%} {loops[i].name}" for i in order))
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


def run_loops(paths, model=None, variable=None, time_step=None, runs_dir=None, plots=True):
    """Score the loops of each scenario file in ``paths``; write a ``loops`` run folder."""
    from ..engine import compile_model
    from ..workflow.rundir import new_run_dir
    from ..workflow.runner import find_model, load_inputs
    from .loops_file import load_loop_names, loops_file, name_loops
    cm = compile_model(find_model(model))
    named_file = loops_file(cm.path)
    named = load_loop_names(named_file, cm.variables) if named_file.is_file() else {}
    scenarios, params, _ = load_inputs(paths, cm, observations=None)
    results = {}
    for sc in scenarios:
        times, loops, rel = simulate_loops(cm, params[sc.name], time_step=time_step)
        for i, name in name_loops(loops, named).items():
            loops[i].name = f"{name} {named[name][0]}: {loops[i].name}"
        results[sc.name] = (times, *_select(cm, loops, rel, variable))
    with new_run_dir("loops", "loops-" + "-vs-".join(results), runs_dir=runs_dir) as rd:
        write_csv(rd.path / "loops.csv", results)
        if plots:
            for label, res in results.items():
                plot_regions(rd.path / f"loops-{label}", label, *res)
    return LoopsOutput(results, rd.final_path)
