"""``aigap compare --posterior RUN`` / ``aigap run --posterior RUN``: the printout."""

from __future__ import annotations

import sys

from ..scenarios import InputError
from ..workflow.summary import GAP_LABELS

__all__ = ["cmd_posterior_gaps", "format_posterior_compare"]


def cmd_posterior_gaps(args, paths, kind: str) -> int:
    """Run :func:`compare_posterior` for the ``run``/``compare`` options ``args``."""
    from .posterior_compare import compare_posterior

    if args.engine == "pysd" or args.method != "euler" or args.time_step is not None:
        raise InputError(
            [
                "--posterior: runs the fast engine with the model's Euler step "
                "(drop --engine pysd / --method / --time-step)"
            ]
        )
    out = compare_posterior(
        paths,
        args.posterior,
        model=args.model,
        sets=args.sets,
        runs_dir=args.runs_dir,
        engine=args.engine,
        plots=not args.no_plots,
        command=["aigap", *sys.argv[1:]],
        kind=kind,
    )
    print(format_posterior_compare(out))
    names = ", ".join(sorted(p.name for p in out.run_dir.iterdir()))
    print(f"\nRun folder: {out.run_dir}\n  {names}\n  ({out.elapsed:.1f} s)")
    return 0


def _cell(r) -> str:
    return f"{r.median:.3g} [{r.p5:.3g}-{r.p95:.3g}]"


def format_posterior_compare(out) -> str:
    """Gap tables (median [5%-95%] per scenario and year) and the paired probabilities."""
    post = out.posterior
    n = int(out.gaps.n.max()) if len(out.gaps) else 0
    lines = [
        f"US/China gaps over {n} posterior draws of {post.path} "
        f"({len(post.labels)} constants; the same draw in every scenario): "
        "median [5%-95%] at year end"
    ]
    if post.converged is False:
        lines.append(
            "  WARNING: that posterior run did NOT converge (see its "
            "diagnostics.json); the intervals are provisional"
        )
    years = sorted(set(out.gaps.year))
    width = max(len(s.name) for s in out.scenarios) + 2
    for name, part in out.gaps.groupby("variable", sort=False):
        lines += [
            "",
            f"{GAP_LABELS.get(name, name)}",
            f"  {'scenario':<{width}}" + "".join(f"{y:>20}" for y in years),
        ]
        for s, rows in part.groupby("scenario", sort=False):
            lines.append(f"  {s:<{width}}" + "".join(f"{_cell(r):>20}" for r in rows.itertuples()))
    if len(out.scenarios) > 1:
        pr = out.probabilities
        lines += [
            "",
            f"Paired probabilities, {int(pr.year.iloc[0])} (share of posterior "
            f"draws; baseline '{out.baseline}'):",
            f"  {'scenario':<{width}} {'gap':<34} {'P(below baseline)':>18} "
            f"{'P(narrowest)':>13} {'median ratio':>13}",
        ]
        for r in pr.itertuples():
            lines.append(
                f"  {r.scenario:<{width}} {GAP_LABELS.get(r.variable, r.variable):<34}"
                f" {r.p_below_baseline:>18.0%} {r.p_narrowest:>13.0%} "
                f"{r.median_ratio:>13.3g}"
            )
    dr = out.extra.get("drivers")
    if dr is not None and len(dr):
        part = dr[dr.scenario == out.baseline]
        lines += [
            "",
            f"What drives the 2030 gaps among the posterior draws ('{out.baseline}'; "
            "partial rank correlation, top 5; all in drivers.csv):",
        ]
        for name, g in part.groupby("variable", sort=False):
            top = g.reindex(g.prcc.abs().sort_values(ascending=False).index).head(5)
            lines.append(
                f"  {GAP_LABELS.get(name, name)}: "
                + ", ".join(f"{r.parameter} {r.prcc:+.2f}" for r in top.itertuples())
            )
    return "\n".join(lines)
