"""``aigap discover``: scenario discovery (PRIM) on a finished sweep.

"Under what assumptions does the China embedding route close the gap?" Given a sweep run
folder and one or more conditions (all must hold: the *cases of interest*), PRIM finds the
few ranges of the uncertain constants where the cases concentrate.

Run folder: ``trajectory.csv`` (coverage/density of every peeled box), ``boxes.csv``
(limits of the chosen boxes with the density lost when each limit is dropped),
``tradeoff.png``, ``box_<k>.png``, ``manifest.json``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..core.formatting import format_quantity
from ..scenarios import InputError
from ..workflow.manifest import build_manifest, write_manifest
from ..workflow.rundir import new_run_dir
from . import prim
from .conditions import ConditionError, check_condition, evaluate, parse_condition
from .sweep_job import load_sweep_folder

__all__ = ["run_discover", "DiscoverOutput", "format_boxes"]


@dataclass
class DiscoverOutput:
    """What :func:`run_discover` found and wrote.

    Attributes
    ----------
    conditions : tuple of Condition
        The conditions that define the cases of interest (all must hold).
    names : tuple of str
        Uncertain inputs of the sweep.
    base_rate : float
        Share of runs that are cases.
    n : int
        Runs in the sweep.
    boxes : list
        ``(trajectory, selected_step, box, restrictions)`` per box; ``box`` is the
        reported (pasted and pruned) box.
    full : ndarray (d, 2)
        Sampled range of every input.
    first : tuple or None
        ``(trajectory, selected_step)`` of the first peel (also when no box was kept).
    run_dir : Path
    elapsed : float
    """

    conditions: tuple
    names: tuple
    base_rate: float
    n: int
    boxes: list  # [(trajectory, chosen, box, restrictions)]
    full: np.ndarray
    first: tuple | None = None  # (trajectory, chosen) of the first peel (also with no box)
    run_dir: Path | None = None
    elapsed: float = 0.0
    units: dict = field(default_factory=dict)  # input -> the model's unit
    log_inputs: frozenset = frozenset()  # inputs sampled log-uniformly


def _input_info(manifest: dict, names) -> tuple:
    """``(units, log_inputs)`` of a sweep's inputs: units from the sweep's model (when the
    file is still there), log-uniform inputs from the recorded distributions."""
    uncertain = (manifest.get("sweep") or {}).get("uncertain") or {}
    logs = frozenset(
        n for n, d in uncertain.items() if isinstance(d, dict) and d.get("dist") == "loguniform"
    )
    units = {}
    path = (manifest.get("model") or {}).get("path")
    if path and Path(path).is_file():
        try:
            from ..engine import compile_model

            variables = compile_model(path).variables
        except Exception:  # a changed or broken model: plain numbers, no units
            variables = {}
        for n in names:
            v = variables.get(n.split("[")[0])
            if v is not None:
                units[n] = v.units or ""
    return units, logs


def cases_of_interest(sweep: dict, texts, named: dict | None = None) -> tuple:
    """Parse the condition strings (or names of the sweep file's conditions), check them
    against the stored outputs, AND them."""
    conds, problems = [], []
    variables = {k: v[2:] for k, v in sweep["dims"].items()}
    span = (float(sweep["time"][0]), float(sweep["time"][-1]))
    named = named or {}
    for text in texts:
        try:
            c = parse_condition(named.get(text.strip(), text))
            check_condition(c, variables, sweep["coords"], span)
            conds.append(c)
        except ConditionError as exc:
            stored = ", ".join(sorted(variables))
            problems.append(
                f"--condition {text!r}: {exc}"
                + (f" (stored outputs: {stored})" if "unknown variable" in str(exc) else "")
            )
    if problems:
        raise InputError(problems)
    if not conds:
        raise InputError(["give at least one --condition 'Variable[REGION]@YEAR OP VALUE'"])
    y = np.ones(sweep["X"].shape[0], dtype=bool)
    for c in conds:
        dims = sweep["dims"][c.variable]
        elems = sweep["coords"][dims[2]] if len(dims) > 2 else None
        y &= evaluate(c, sweep["outputs"][c.variable], sweep["time"], elems)
    return tuple(conds), y


def run_discover(
    folder,
    conditions,
    min_coverage: float = 0.5,
    max_boxes: int = 2,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    runs_dir=None,
    plots: bool = True,
    command=None,
    prune_tol: float = 0.02,
) -> DiscoverOutput:
    """PRIM boxes for the runs of a sweep folder where every condition holds."""
    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([f"{folder}: run folder not found"])
    checks = (
        ("--min-coverage", min_coverage, 0 < min_coverage < 1, "between 0 and 1"),
        ("--alpha", alpha, 0 < alpha < 0.5, "between 0 and 0.5"),
        ("--min-mass", min_mass, 0 < min_mass < 1, "between 0 and 1"),
        ("--prune-tol", prune_tol, 0 <= prune_tol < 1, "in [0, 1)"),
    )
    bad = [f"{name} {v}: must be {rule}" for name, v, ok, rule in checks if not ok]
    if bad:
        raise InputError(bad)
    sweep = load_sweep_folder(folder)
    conds, y = cases_of_interest(sweep, conditions, _named_conditions(folder))
    X, names = sweep["X"], sweep["names"]
    n, k = len(y), int(y.sum())
    full = np.column_stack([X.min(axis=0), X.max(axis=0)])
    boxes, first = [], None
    if 0 < k < n:
        remaining = np.ones(n, dtype=bool)  # box k's statistics are on the runs left
        for traj, chosen, box in prim.find_boxes(
            X, y, max_boxes, alpha, min_mass, min_coverage, prune_tol=prune_tol
        ):
            restr = prim.restrictions(X[remaining], y[remaining], box, full)
            boxes.append((traj, chosen, box, restr))
            remaining &= ~prim.inside(X, box)
        if boxes:
            first = boxes[0][:2]
        else:  # no convincing box: still show the trade-off
            traj = prim.peel(X, y, alpha, min_mass)
            first = (traj, prim.select(traj, min_coverage))
    units, logs = _input_info(sweep["manifest"], names)
    out = DiscoverOutput(conds, names, k / n, n, boxes, full, first, units=units, log_inputs=logs)
    sweep_name = sweep["manifest"].get("name", folder.name)
    with new_run_dir("discover", f"{sweep_name}-discover", runs_dir=runs_dir) as rd:
        _tables(rd.path, out)
        if plots and first is not None:
            from .plots import plot_box, plot_tradeoff

            label = " and ".join(c.label for c in conds)
            plot_tradeoff(
                rd.path / "tradeoff.png",
                first[0],
                first[1],
                f"PRIM peeling trajectory: {label}\n(base rate {k / n:.1%} of {n} runs)",
                final=boxes[0][2] if boxes else None,
            )
            for i, (_, _, box, _) in enumerate(boxes, start=1):
                plot_box(
                    rd.path / f"box_{i}.png",
                    names,
                    box,
                    full,
                    units=units,
                    log_inputs=logs,
                    title=f"Box {i}: coverage {box.coverage:.0%}, density {box.density:.0%} "
                    f"(base rate {k / n:.0%})\n{label}",
                )
        out.elapsed = time.perf_counter() - t0
        write_manifest(
            rd.path,
            build_manifest(
                "discover",
                f"{sweep_name}-discover",
                started,
                command=command if command is not None else sys.argv,
                extra={
                    "discover": {
                        "sweep_folder": str(folder.resolve()),
                        "conditions": [c.label for c in conds],
                        "runs": n,
                        "cases": k,
                        "min_coverage": min_coverage,
                        "alpha": alpha,
                        "min_mass": min_mass,
                        "max_boxes": max_boxes,
                        "prune_tol": prune_tol,
                        "boxes": len(boxes),
                    },
                    "sweep_manifest": {
                        k_: sweep["manifest"].get(k_)
                        for k_ in ("name", "seed", "model", "scenarios", "git")
                    },
                },
            ),
        )
    out.run_dir = rd.final_path
    return out


def _named_conditions(folder: Path) -> dict:
    """``{name: definition}`` of the conditions stated in the sweep file."""
    import pandas as pd

    path = folder / "conditions.csv"
    if not path.is_file():
        return {}
    df = pd.read_csv(path)
    return dict(zip(df["condition"].astype(str), df["definition"].astype(str)))


def _tables(folder: Path, out: DiscoverOutput) -> None:
    import pandas as pd

    rows, brows = [], []
    trajs = [(i, t, c, box) for i, (t, c, box, _) in enumerate(out.boxes, start=1)]
    if not trajs and out.first is not None:
        trajs = [(1, *out.first, None)]
    for i, traj, chosen, final in trajs:
        # peeling steps; "selected" is the step pasting and pruning started from, and
        # "chosen" the box reported (the final row, identical to boxes.csv and the print)
        for s, b in enumerate(traj):
            rows.append(
                {
                    "box": i,
                    "step": s,
                    "stage": "peel",
                    "coverage": b.coverage,
                    "density": b.density,
                    "mass": b.mass,
                    "restricted": len(b.restricted),
                    "selected": s == chosen,
                    "chosen": final is None and s == chosen,
                }
            )
        if final is not None:
            rows.append(
                {
                    "box": i,
                    "step": chosen,
                    "stage": "pasted+pruned",
                    "coverage": final.coverage,
                    "density": final.density,
                    "mass": final.mass,
                    "restricted": len(final.restricted),
                    "selected": False,
                    "chosen": True,
                }
            )
    for i, (traj, chosen, box, restr) in enumerate(out.boxes, start=1):
        for r in restr:
            brows.append(
                {
                    "box": i,
                    "coverage": box.coverage,
                    "density": box.density,
                    "mass": box.mass,
                    "input": out.names[r["index"]],
                    "low": r["low"],
                    "high": r["high"],
                    "sampled_low": out.full[r["index"], 0],
                    "sampled_high": out.full[r["index"], 1],
                    "density_without": r["density_without"],
                    "coverage_without": r["coverage_without"],
                }
            )
    pd.DataFrame(
        rows,
        columns=[
            "box",
            "step",
            "stage",
            "coverage",
            "density",
            "mass",
            "restricted",
            "selected",
            "chosen",
        ],
    ).to_csv(folder / "trajectory.csv", index=False, float_format="%.6g")
    pd.DataFrame(
        brows,
        columns=[
            "box",
            "coverage",
            "density",
            "mass",
            "input",
            "low",
            "high",
            "sampled_low",
            "sampled_high",
            "density_without",
            "coverage_without",
        ],
    ).to_csv(folder / "boxes.csv", index=False, float_format="%.6g")


def _tradeoff_line(traj, chosen: int, final=None, n: int = 7) -> str:
    """A few boxes of the trajectory, evenly spaced, always including the selected step;
    with ``final`` (the box after pasting and pruning) the reported box is that one."""
    picks = sorted(set(np.linspace(0, len(traj) - 1, n).round().astype(int)) | {chosen})
    mark = "^" if final is not None else "*"
    line = "  ".join(
        (mark if i == chosen else "") + f"{traj[i].coverage:.0%}->{traj[i].density:.0%}"
        for i in picks
    )
    if final is None:
        return line + "   (* chosen; all steps in trajectory.csv / tradeoff.png)"
    return (
        line + f"\n    ^ selected peeling step, then pasted and pruned to the box above: "
        f"*{final.coverage:.0%}->{final.density:.0%} (all steps in trajectory.csv / "
        "tradeoff.png)"
    )


def format_boxes(out: DiscoverOutput) -> str:
    """Plain-text answer: base rate, then each box's ranges and their importance."""
    label = " and ".join(c.label for c in out.conditions)
    k = int(round(out.base_rate * out.n))
    lines = [
        f"Cases of interest: {label}",
        f"  hold in {k} of {out.n} runs (base rate {out.base_rate:.1%})",
    ]
    if k == 0 or k == out.n:
        lines.append(
            "  the condition is "
            + ("never" if k == 0 else "always")
            + " met in this sweep: nothing to discover (widen the sweep or change the "
            "condition)"
        )
        return "\n".join(lines)
    if not out.boxes:
        lines.append(
            "  no box concentrates the cases clearly above the base rate: the "
            "condition does not depend on a few input ranges"
        )
        if out.first is not None:
            lines.append(
                "  best peeling trajectory (coverage -> density): " + _tradeoff_line(*out.first)
            )
        return "\n".join(lines)
    for i, (traj, chosen, box, restr) in enumerate(out.boxes, start=1):
        scope = "the cases" if i == 1 else "the cases outside earlier boxes"
        lines.append(
            f"\nBox {i}: coverage {box.coverage:.0%} (share of {scope} inside), "
            f"density {box.density:.0%} (share of runs inside that are cases), "
            f"{box.n} runs"
        )
        for r in sorted(restr, key=lambda r: r["density_without"]):
            name = out.names[r["index"]]
            lo_s, hi_s = out.full[r["index"]]
            unit = out.units.get(name, "")
            q = lambda v: format_quantity(v, unit)  # noqa: E731
            lim = []
            if r["low"] == r["high"]:
                lim.append(f"= {q(r['low'])}")
            elif r["low"] > lo_s:
                lim.append(f">= {q(r['low'])}")
            if r["high"] < hi_s and r["low"] != r["high"]:
                lim.append(f"<= {q(r['high'])}")
            lines.append(
                f"  {name:<44} {' and '.join(lim):<24} (sampled {q(lo_s)}..{q(hi_s)}"
                f"{', log-uniform' if name in out.log_inputs else ''};"
                f" density without this limit {r['density_without']:.0%})"
            )
        lines.append("  trade-off along the peeling trajectory (coverage -> density):")
        lines.append("    " + _tradeoff_line(traj, chosen, box))
    return "\n".join(lines)
