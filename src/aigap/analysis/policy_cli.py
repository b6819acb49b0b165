"""``aigap optimize``: the command (argument parsing and printout over the job)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..scenarios import InputError

__all__ = ["register_optimize", "format_policy"]


def _whole(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = -1
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{text}'")
    return v


def register_optimize(sub, common) -> None:
    """Add ``optimize`` to an argparse sub-parser collection (``common`` adds --engine...)."""
    p = sub.add_parser(
        "optimize",
        help="policy search: lever settings that narrow the gaps, robustly",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Search the lever settings of a policy file (scenarios/policies/*.yaml) for the "
            "best robust objective(s) over a set of worlds (posterior draws): one objective "
            "by differential evolution, several by NSGA-II (a Pareto front). Each generation "
            "is one engine call (policies x worlds). Writes the best policies as ready "
            "scenario files, the evaluations, the front, outcomes across worlds and plots. "
            "An interrupted search resumes when the same command is run again."
        ),
    )
    p.add_argument("policy", metavar="POLICY.yaml")
    p.add_argument(
        "--worlds",
        metavar="FOLDER|CSV",
        help="posterior folder or parameter-set CSV (overrides the file's worlds)",
    )
    p.add_argument("--count", type=_whole, help="use at most this many worlds")
    p.add_argument("--generations", type=_whole, help="override optimizer.generations")
    p.add_argument("--population", type=_whole, help="override optimizer.population")
    p.add_argument("--seed", type=_whole, help="override the file's seed")
    p.add_argument("--fresh", action="store_true", help="ignore an interrupted run")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    common(p)
    p.set_defaults(func=cmd_optimize, engine="compiled")


def cmd_optimize(args) -> int:
    """`aigap optimize`: run the search, print the best policies against no change."""
    from .policy_job import run_policy

    for flag, f in (("policy", args.policy),):
        if not Path(f).is_file():
            raise InputError([f"{f}: file not found ({flag})"])
    if args.worlds is not None and not Path(args.worlds).exists():
        raise InputError([f"{args.worlds}: not found (--worlds)"])
    for flag, v, lo in (("--count", args.count, 1), ("--population", args.population, 4)):
        if v is not None and v < lo:
            raise InputError([f"{flag} {v}: must be >= {lo}"])
    try:
        out = run_policy(
            args.policy,
            model=args.model,
            runs_dir=args.runs_dir,
            fresh=args.fresh,
            progress=None if args.quiet else sys.stderr,
            plots=not args.no_plots,
            command=["aigap", *sys.argv[1:]],
            engine=args.engine,
            seed=args.seed,
            population=args.population,
            generations=args.generations,
            worlds=args.worlds,
            count=args.count,
        )
    except KeyboardInterrupt:
        print(
            "aigap optimize: interrupted; finished generations are kept. Run the same "
            "command again to resume (or add --fresh).",
            file=sys.stderr,
        )
        return 130
    print(format_policy(out))
    names = ", ".join(sorted(p.name for p in out.run_dir.iterdir()))
    print(f"\nRun folder: {out.run_dir}\n  {names}\n  ({out.n_runs:,} runs, {out.elapsed:.1f} s)")
    return 0


def format_policy(out) -> str:
    """The printout: objectives, the no-change policy and the best ones, lever values."""
    spec = out.spec
    lines = [
        f"Policy search '{spec.name}': {spec.description.strip()}",
        f"  {out.n_worlds} world(s) ({spec.worlds_ref or 'baseline'}); "
        f"{len(out.evaluations)} policies evaluated ({spec.optimizer}, seed {spec.seed})"
        + (f"; resumed, {out.resumed_batches} batches replayed" if out.resumed_batches else ""),
    ]
    for o in spec.objectives:
        lines.append(f"  objective {o.name}: {o.sense} {o.stat.label} of {o.label}")
    for c in spec.constraints:
        lines.append(f"  constraint {c.name}: {c.label}")
    feas = int(out.evaluations.feasible.sum())
    lines.append(f"  {feas} of {len(out.evaluations)} policies feasible")
    names = [o.name for o in spec.objectives] + [c.name for c in spec.constraints]
    levers = [
        c
        for c in out.best.columns
        if c not in names
        and c not in ("policy", "rank", "stage", "violation", "feasible", "pareto_rank")
        and not c.endswith("_vs_no_change")
    ]
    head = "Pareto front (thinned)" if len(spec.objectives) > 1 else "Best policies"
    w = [max(10, min(len(n), 30)) + 2 for n in names + levers]
    lines += [
        "",
        f"{head} (policies/policy_K.yaml) and no change:",
        "  " + f"{'':<10}" + "".join(f"{n[: k - 2]:>{k}}" for n, k in zip(names + levers, w)),
    ]
    lines.append(
        "  "
        + f"{'no change':<10}"
        + "".join(f"{out.baseline[n]:>{k}.4g}" for n, k in zip(names, w))
        + "".join(f"{'-':>{k}}" for k in w[len(names) :])
    )
    for _, vals in out.best.iterrows():
        lines.append(
            "  "
            + f"{'policy ' + str(vals['rank']):<10}"
            + "".join(f"{vals[n]:>{k}.4g}" for n, k in zip(names + levers, w))
        )
    return "\n".join(lines)
