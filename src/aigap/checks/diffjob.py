"""``aigap diff OLD [NEW]``: what a model change did, scenario by scenario.

OLD and NEW are ``.mdl`` files or git revisions (``HEAD~1``, ``main``, ``REV:path``) of
the project model; NEW defaults to the working model. Every named scenario runs under
both models; the run folder holds ``report.html`` (one offline page), ``summary.txt``,
``differences.csv``, ``equations.diff``, ``fit.csv``, the two models and the plots.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import numpy as np

from ..scenarios import InputError
from .compare import biggest, bucket_counts, compare_series, on_times
from .structure import format_changes, structural_diff


@dataclass
class DiffOutput:
    """Everything the diff found; files are in ``run_dir``."""

    old: str
    new: str
    changes: list
    diffs: list
    notes: list = field(default_factory=list)
    fit: object = None
    run_dir: Path | None = None
    summary: str = ""
    series: dict = field(default_factory=dict)  # (scenario, variable) -> (t, old, new, elems)
    checks: list = field(default_factory=list)  # (name, old "passed/runs", new ...)


def _git(args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=60, check=False)


def read_model(ref: str, default_model) -> tuple:
    """``(bytes, label)`` of a model file or of ``REV`` / ``REV:path`` in git;
    ``default_model()`` gives the model file whose revision ``REV`` means."""
    p = Path(ref)
    if p.is_file():
        return p.read_bytes(), str(p)
    rev, _, path = ref.partition(":")
    top = _git(["rev-parse", "--show-toplevel"], Path.cwd())
    if top.returncode != 0 or not rev:
        raise InputError(
            [(f"{ref}: neither a model file nor a git revision (not in a git checkout)")]
        )
    root = Path(top.stdout.decode().strip())
    if not path:
        try:
            path = Path(default_model()).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise InputError(
                [
                    (
                        f"{ref}: the model {default_model()} is not in the git checkout "
                        f"{root}; write REV:path"
                    )
                ]
            ) from None
    out = _git(["show", f"{rev}:{path}"], root)
    if out.returncode != 0:
        msg = out.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(
            [
                (
                    f"{ref}: neither a model file nor a git revision "
                    f"({msg[-1] if msg else 'git show failed'})"
                )
            ]
        )
    return out.stdout, f"{rev}:{path}"


def _scenario_params(cm, paths, which, notes):
    """``{name: params}`` of every scenario valid for ``cm``; problems go to ``notes``."""
    from ..scenarios import ScenarioError, load_scenario, resolve_params

    out = {}
    for p in paths:
        try:
            sc = load_scenario(p, model=cm)
            out[sc.name] = resolve_params(cm, sc)
        except ScenarioError as exc:
            notes.append(
                f"scenario {Path(p).stem} does not run under the {which} model: {exc.issues[0]}"
            )
    return out


def comparable(old_cm, new_cm) -> tuple:
    """``(common variables, notes)``: same name, not a lookup, same subscripts."""
    names, notes = [], []
    for n, v in old_cm.variables.items():
        w = new_cm.variables.get(n)
        if v.kind == "lookup" or w is None or w.kind == "lookup":
            continue
        if [old_cm.dims[d] for d in v.dims] != [new_cm.dims[d] for d in w.dims]:
            notes.append(
                f"{n}: subscripts changed ({', '.join(v.dims) or 'none'} -> "
                f"{', '.join(w.dims) or 'none'}); not compared"
            )
            continue
        names.append(n)
    return names, notes


def unit_scales(cm, res, names) -> dict:
    """Largest finite magnitude of any variable per unit string (the rounding floor)."""
    out = {}
    for n in names:
        vals = np.abs(res[n][np.isfinite(res[n])])
        u = cm.variables[n].units
        if vals.size:
            out[u] = max(out.get(u, 0.0), float(vals.max()))
    return out


def _elements(cm, name):
    dims = cm.variables[name].dims
    return [",".join(e) for e in product(*(cm.dims[d] for d in dims))] if dims else [""]


def fit_change(old_cm, new_cm, old_res, new_res, obs_path, notes):
    """Fit of the baseline to the observations under both models (a DataFrame) or None."""
    from ..observations import ObservationError, fit_table, load_observations

    if obs_path is None:
        return None
    tables = []
    for cm, res, which in ((old_cm, old_res, "old"), (new_cm, new_res, "new")):
        try:
            tables.append(fit_table(load_observations(obs_path, model=cm), res))
        except ObservationError as exc:
            notes.append(f"observations do not load under the {which} model: {exc.issues[0]}")
            return None
    old, new = tables
    cols = ["id", "variable", "region", "time", "simulated", "log_error", "passed"]
    merged = old[cols].merge(
        new[["id", "simulated", "log_error", "passed"]],
        on="id",
        how="outer",
        suffixes=("_old", "_new"),
    )
    return merged


def checks_change(old_cm, new_cm, path, scenario_dir, notes) -> list:
    """``[(check, old result, new result)]`` of a checks file run under both models."""
    from .run import run_checks
    from .spec import ChecksError

    res = {}
    for cm, which in ((old_cm, "old"), (new_cm, "new")):
        try:
            res[which] = {r.name: r for r in run_checks(path, model=cm, scenario_dir=scenario_dir)}
        except ChecksError as exc:
            notes.append(f"checks do not run under the {which} model: {exc.issues[0]}")
            res[which] = {}

    def text(r):
        return "-" if r is None else f"{'ok' if r.passed else 'FAIL'} {r.n_passed}/{r.n_runs}"

    names = list(dict.fromkeys([*res["old"], *res["new"]]))
    return [(n, text(res["old"].get(n)), text(res["new"].get(n))) for n in names]


def diff_models(
    old,
    new=None,
    scenarios=None,
    observations="auto",
    runs_dir=None,
    top=9,
    plots=True,
    command=None,
    model=None,
    checks=None,
) -> DiffOutput:
    """Compare two models (files or git revisions) on every scenario; write a run folder.

    ``new`` defaults to the working model (``model``, else the project model); a bare
    revision means that revision of the same file.
    """
    from ..engine import compile_model
    from ..workflow import (
        build_manifest,
        default_scenario_paths,
        find_model,
        new_run_dir,
        scenarios_dir,
        write_manifest,
    )

    def default():
        return find_model(model)

    new_bytes, new_label = (
        read_model(new, default) if new else (default().read_bytes(), str(default()))
    )
    old_bytes, old_label = read_model(old, default)
    paths = (
        [Path(p) for p in scenarios]
        if scenarios
        else [p for p in default_scenario_paths() if p.is_file()]
    )
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise InputError([f"{m}: file not found" for m in missing])
    if observations == "auto":
        cand = (paths[0].parent if paths else scenarios_dir()) / "data" / "observations.yaml"
        observations = cand if cand.is_file() else None
    with new_run_dir("diff", "diff", runs_dir=runs_dir) as rd:
        mdir = rd.path / "models"
        mdir.mkdir()
        (mdir / "old.mdl").write_bytes(old_bytes)
        (mdir / "new.mdl").write_bytes(new_bytes)
        old_cm, new_cm = compile_model(mdir / "old.mdl"), compile_model(mdir / "new.mdl")
        out = DiffOutput(
            old_label,
            new_label,
            structural_diff(
                old_bytes.decode("utf-8", "replace"), new_bytes.decode("utf-8", "replace")
            ),
            [],
        )
        names, out.notes = comparable(old_cm, new_cm)
        old_p = _scenario_params(old_cm, paths, "old", out.notes) if paths else {}
        new_p = _scenario_params(new_cm, paths, "new", out.notes) if paths else {}
        runs = [s for s in old_p if s in new_p]
        if not runs:
            runs = ["model defaults"]
            if paths:
                out.notes.append(
                    "no scenario runs under both models: compared the model defaults only"
                )
        results = {}
        for scen in runs:
            ro = old_cm.simulate(params=old_p.get(scen), n_runs=1, outputs=names)
            rn = new_cm.simulate(params=new_p.get(scen), n_runs=1, outputs=names)
            results[scen] = (ro, rn)
            scale = unit_scales(old_cm, ro, names)
            for n in names:
                a = ro[n][0].reshape(ro.time.size, -1)
                b = on_times(rn.time, rn[n][0].reshape(rn.time.size, -1), ro.time)
                elems = _elements(old_cm, n)
                out.diffs += compare_series(
                    scen, n, elems, ro.time, a, b, scale.get(old_cm.variables[n].units, 0.0)
                )
                out.series[(scen, n)] = (ro.time, a, b, elems)
        if checks is not None:
            from .run import default_checks_path

            out.checks = checks_change(
                old_cm,
                new_cm,
                checks or default_checks_path(),
                paths[0].parent if paths else scenarios_dir(),
                out.notes,
            )
        base = "baseline" if "baseline" in results else next(iter(results), None)
        if base is not None:
            out.fit = fit_change(old_cm, new_cm, *results[base], observations, out.notes)
        write_outputs(rd.path, out, {n: v.units for n, v in old_cm.variables.items()}, top, plots)
        write_manifest(
            rd.path,
            build_manifest(
                "diff",
                "diff",
                rd.started,
                model=mdir / "new.mdl",
                observations=observations,
                scenarios=[{"name": p.stem, "files": [str(p)]} for p in paths],
                command=command,
                extra={
                    "old_model": old_label,
                    "new_model": new_label,
                    "buckets": bucket_counts(out.diffs),
                },
            ),
        )
    out.run_dir = rd.final_path
    return out


def summary_text(out: DiffOutput, top: int = 12) -> str:
    """The text summary: structure, buckets, biggest changes, fit, notes."""
    kinds = {}
    for c in out.changes:
        kinds.setdefault(c.kind, []).append(c.name)
    lines = [
        f"Model comparison: {out.old} -> {out.new}",
        "",
        "Structure: "
        + (
            "identical equations, units and documentation"
            if not kinds
            else "; ".join(
                f"{k} {len(v)} ({', '.join(v[:6])}{', ...' if len(v) > 6 else ''})"
                for k, v in kinds.items()
            )
        ),
    ]
    scen = list(dict.fromkeys(d.scenario for d in out.diffs))
    counts = bucket_counts(out.diffs)
    lines += [
        "",
        f"Behaviour: {len(out.diffs)} series in {len(scen)} scenario(s): "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if v or k != "not comparable"),
    ]
    changed = biggest(out.diffs, top)
    n_labels = len({d.label for d in out.diffs if d.bucket != "identical"})
    if changed:
        lines += [
            "",
            (
                "Largest changes (max |new - old| as % of the series' range, in the "
                "scenario where it is largest):"
            ),
        ]
        w = max(len(d.label) for d, _ in changed)
        for d, k in changed:
            lines.append(
                f"  {d.label:<{w}}  {d.pct:8.3g}%  {d.bucket:<6} at t={d.time:<8g} "
                f"{d.scenario} (changed in {k}/{len(scen)} scenarios)"
            )
        if n_labels > top:
            lines.append(f"  ... and {n_labels - top} more series (differences.csv)")
    else:
        lines += ["", "Every compared series is identical."]
    if out.fit is not None:
        f = out.fit
        n_old, n_new = int(f.passed_old.fillna(False).sum()), int(f.passed_new.fillna(False).sum())
        flips = f[f.passed_old.fillna(False) != f.passed_new.fillna(False)]
        lines += [
            "",
            f"Fit to observations (baseline): {n_old}/{len(f)} -> {n_new}/{len(f)} "
            "within tolerance" + (f"; changed: {', '.join(flips.id)}" if len(flips) else ""),
        ]
    if out.checks:
        w = max(len(n) for n, _, _ in out.checks)
        lines += ["", "Reality checks (passed/runs):  old -> new"]
        lines += [
            f"  {n:<{w}}  {a:<14} -> {b}{'   CHANGED' if a != b else ''}" for n, a, b in out.checks
        ]
    if out.notes:
        lines += ["", "Notes:"] + [f"  {n}" for n in out.notes]
    return "\n".join(lines) + "\n"


def write_outputs(folder: Path, out: DiffOutput, units: dict, top: int, plots: bool):
    """summary.txt, differences.csv, equations.diff, fit.csv, plots and report.html."""
    import pandas as pd

    from .diffreport import write_report

    out.summary = summary_text(out)
    (folder / "summary.txt").write_text(out.summary, encoding="utf-8")
    (folder / "equations.diff").write_text(format_changes(out.changes), encoding="utf-8")
    pd.DataFrame(
        [d.__dict__ for d in out.diffs],
        columns=["scenario", "variable", "element", "pct", "max_abs", "time", "bucket"],
    ).to_csv(folder / "differences.csv", index=False)
    if out.fit is not None:
        out.fit.to_csv(folder / "fit.csv", index=False)
    pngs = []
    if plots:
        from .diffplots import plot_biggest_changes

        changed = [d for d, _ in biggest(out.diffs, top)]
        if changed:
            pngs.append(
                plot_biggest_changes(
                    folder / "biggest_changes.png", changed, out.series, units, out.old, out.new
                )
            )
    write_report(folder / "report.html", out, pngs)


def cmd_diff(args) -> int:
    """``aigap diff OLD [NEW]``: 0, or 1 with ``--fail-above PCT`` when a change exceeds it."""
    out = diff_models(
        args.old,
        args.new,
        args.scenarios or None,
        runs_dir=args.runs_dir,
        plots=not args.no_plots,
        command=["aigap", *sys.argv[1:]],
        model=args.model,
        checks=args.checks,
    )
    print(out.summary)
    print(
        f"Run folder: {out.run_dir}\n  report.html (open in a browser), summary.txt, "
        f"differences.csv, equations.diff"
    )
    if args.fail_above is not None:
        worst = [d for d in out.diffs if not d.pct <= args.fail_above]
        if worst:
            print(
                f"{len(worst)} series changed by more than {args.fail_above:g}% of their range",
                file=sys.stderr,
            )
            return 1
    return 0
