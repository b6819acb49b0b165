"""``aigap posterior``: the command (argument parsing and printout over the job)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..scenarios import InputError

__all__ = ["register_posterior", "STEPS"]

STEPS = 10000


def register_posterior(sub, common) -> None:
    """Add ``posterior`` to an argparse sub-parser collection (``common`` adds --engine...)."""
    import argparse

    p = sub.add_parser(
        "posterior",
        help="Bayesian calibration: posterior draws given the observations",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Sample the posterior of the priors file's constants given an observation file "
            "(emcee ensembles, one engine call per half ensemble). Writes draws.csv (usable "
            "as a sweep's parameter_sets:), diagnostics (autocorrelation time, ESS, "
            "acceptance, R-hat), the fit table with posterior intervals, contraction per "
            "constant, and plots. With --until DATE: a hindcast that fits only observations "
            "dated before DATE and scores the predictions of the later ones. An interrupted "
            "run resumes when the same command is run again."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument(
        "--priors",
        required=True,
        metavar="FILE",
        help="priors file (e.g. scenarios/priors/ai_gap_priors.yaml)",
    )
    p.add_argument(
        "--observations",
        metavar="FILE",
        help="observation file (default <scenario folder>/data/observations.yaml)",
    )
    p.add_argument(
        "--walkers",
        type=int,
        default=None,
        help="walkers per chain (even; default 2 x parameters + 4)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=STEPS,
        help=f"steps per chain (default {STEPS}"
        ": about 50 autocorrelation times of the shipped priors after burn-in)",
    )
    p.add_argument(
        "--burn",
        type=float,
        default=0.2,
        metavar="FRACTION",
        help="share of each chain discarded as burn-in (default 0.2)",
    )
    p.add_argument(
        "--init-draws",
        type=int,
        default=10000,
        metavar="N",
        help="prior draws resampled by likelihood to start the walkers "
        "(default 10000; 0: a ball around the scenario's values)",
    )
    p.add_argument("--chains", type=int, default=2, help="independent ensembles (>= 2)")
    p.add_argument("--chunk", type=int, default=250, help="steps per saved (resumable) chunk")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--until",
        metavar="DATE",
        help="hindcast: fit only observations dated "
        "before DATE (2026.0 or 2025-12-31), predict the later ones",
    )
    p.add_argument("--fresh", action="store_true", help="ignore an interrupted run")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    from .cli import _dask_option

    _dask_option(
        p,
        "batches of 512 parameter sets or more (the prior draws that start the "
        "walkers; each step's walkers when chains x walkers >= 512)",
    )
    common(p)
    p.set_defaults(func=cmd_posterior, engine="compiled")


def cmd_posterior(args) -> int:
    """`aigap posterior`: run the job and print diagnostics, contraction, fit, hindcast."""
    from .posterior_job import run_posterior

    for flag, f in (
        ("scenario", args.scenario),
        ("--priors", args.priors),
        ("--observations", args.observations),
    ):
        if f is not None and not Path(f).is_file():
            raise InputError([f"{f}: file not found ({flag})"])
    try:
        out = run_posterior(
            args.scenario,
            args.priors,
            observations=args.observations,
            walkers=args.walkers,
            steps=args.steps,
            chains=args.chains,
            seed=args.seed,
            until=args.until,
            chunk=args.chunk,
            model=args.model,
            runs_dir=args.runs_dir,
            plots=not args.no_plots,
            command=["aigap", *sys.argv[1:]],
            progress=None if args.quiet else sys.stderr,
            engine=args.engine,
            fresh=args.fresh,
            burn_frac=args.burn,
            n_init=args.init_draws,
            dask=args.dask,
        )
    except KeyboardInterrupt:
        print(
            "aigap posterior: interrupted; finished chunks are kept. Run the same command "
            "again to resume (or add --fresh).",
            file=sys.stderr,
        )
        return 130
    print(format_posterior(out))
    names = ", ".join(sorted(p.name for p in out.run_dir.iterdir()))
    print(f"\nRun folder: {out.run_dir}\n  {names}\n  ({out.elapsed:.1f} s)")
    return 0


def format_posterior(out) -> str:
    """The printout: convergence, parameters with contraction, fit scores, hindcast."""
    dg = out.diagnostics
    lines = [
        f"Convergence ({dg['chains']} chains x {dg['walkers']} walkers x "
        f"{dg['n_steps']} steps, burn-in {dg['burn_in']}): "
        + (
            "CONVERGED"
            if dg["converged"]
            else f"NOT CONVERGED: about {dg['more_steps']} more steps per chain estimated "
            "(rerun with a larger --steps)"
        ),
        "  acceptance "
        + ", ".join(f"{a:.2f}" for a in dg["acceptance_fraction"])
        + f"; max autocorrelation time {dg['tau_max']:.1f} steps "
        f"(kept length = {dg['length_over_tau']:.1f} tau)",
        "  " + "; ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in dg["checks"].items()),
        "",
        f"  {'parameter':<38} {'median':>10} {'90% interval':>23} {'contr.':>6} "
        f"{'R-hat':>6} {'ESS':>7}  verdict",
    ]
    for r, p in zip(out.params.itertuples(), dg["parameters"]):
        lines.append(
            f"  {r.parameter:<38} {r.post_median:>10.4g} {r.post_p5:>10.4g}.."
            f"{r.post_p95:<11.4g} {r.contraction:>6.2f} {p['rhat']:>6.3f} "
            f"{p['ess']:>7.0f}  {r.verdict}"
        )
    fit = out.fit
    lines += [
        "",
        "Fit (posterior median and 90% interval per observation):",
        f"  {'id':<34} {'observed':>10} {'median':>10} {'90% interval':>23} in90",
    ]
    for r in fit.itertuples():
        obs = (
            f"{r.low:.3g}-{r.high:.3g}"
            if r.kind == "range"
            else ({"lower": ">", "upper": "<"}.get(r.kind, "") + f"{r.observed:.3g}")
        )
        lines.append(
            f"  {r.id[:34]:<34} {obs:>10} {r.median:>10.3g} {r.p5:>10.3g}.."
            f"{r.p95:<11.3g} {'yes' if r.inside90 else 'NO'}"
            + ("  (held out)" if r.sample == "out" else "")
        )
    sc = out.fit_scores
    if sc["mape"] is not None:
        lines.append(f"  MAPE of the median over fitted points: {sc['mape']:.1f}%")
    for t in sc["theil"]:
        lines.append(
            f"  Theil {t['variable']}[{t['region'] or '-'}] ({t['n']} points): "
            f"U_M {t['U_M']:.2f}  U_S {t['U_S']:.2f}  U_C {t['U_C']:.2f}"
        )
    g = out.extra.get("gaps")
    if g is not None and len(g):
        lines += [
            "",
            "Posterior-predictive US/China gaps at year end: median [5%-95%]",
            f"  {'':<22}" + "".join(f"{y:>20}" for y in sorted(set(g.year))),
        ]
        for name, part in g.groupby("variable", sort=False):
            lines.append(
                f"  {name:<22}"
                + "".join(
                    f"{f'{r.median:.3g} [{r.p5:.3g}-{r.p95:.3g}]':>20}" for r in part.itertuples()
                )
            )
    h = out.hindcast
    if h:
        lines += [
            "",
            f"Hindcast: {h['n']} observations dated on/after {h['until']:g} "
            "predicted from the earlier ones:",
            f"  coverage of the 50% intervals {h['coverage50']:.0%}, of the 90% "
            f"intervals {h['coverage90']:.0%}"
            + (
                f"; mean CRPS {h['crps_log_mean']:.3f} (log units); mean |error| of "
                f"the median {h['median_abs_pct_error']:.0f}%"
                if h["n_points"]
                else ""
            ),
        ]
    return "\n".join(lines)
