"""Analysis commands for the ``aigap`` CLI: sweep, sensitivity, calibrate, discover, report.

:func:`register` is called by :mod:`aigap.cli` with its sub-parser collection; each
command is a thin layer over the library functions of this package. Bad input raises
:class:`aigap.scenarios.InputError` (one line per problem, exit code 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..scenarios import InputError


def _positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (so 0 or -5 is refused naming the option)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got '{text}'")
    return value


__all__ = ["register"]


ENGINE_HELP = (
    "auto (default): the compiled numba kernels for ensembles of 10,000 runs or "
    "more, else numpy; numpy: the portable reference; compiled: always numba "
    "(numpy with a warning when numba is missing)"
)


def _common(p) -> None:
    p.add_argument(
        "--engine", choices=("auto", "numpy", "compiled"), default="auto", help=ENGINE_HELP
    )
    p.add_argument(
        "--model", metavar="MDL", help="Vensim model (default $AIGAP_MODEL or model/ai_gap.mdl)"
    )
    p.add_argument(
        "--runs-dir",
        metavar="DIR",
        help="parent folder of run folders (default $AIGAP_RUNS_DIR or ./runs)",
    )
    p.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="run even when the size/time estimate exceeds the available memory, disk or an hour",
    )


def _dask_option(p, what: str = "the chunks") -> None:
    p.add_argument(
        "--dask",
        metavar="ADDRESS|local[:N]",
        help=f"run {what} on a Dask cluster: a scheduler address "
        "(tcp://HOST:8786) or local[:N] (N worker processes on this machine, "
        "started and stopped by the command); same results as without it. "
        "Needs pip install aigap[dask]",
    )


def register(sub) -> None:
    """Add the analysis commands to an argparse sub-parser collection."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "sweep",
        help="sample uncertain constants and run the ensemble",
        formatter_class=fmt,
        description=(
            "Run a sweep file (scenarios/sweeps/*.yaml): sample the uncertain "
            "constants, simulate every run with the engine in resumable "
            "chunks, print gap percentiles 2026-2030 and condition "
            "probabilities, write fan charts and a run folder.\n"
            "An interrupted sweep resumes when the same command is run again."
        ),
    )
    p.add_argument("sweep", metavar="SWEEP.yaml")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="ignore an interrupted run of the same sweep and start over",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--runs", type=_positive_int, help="override the sweep file's number of runs")
    p.add_argument("--seed", type=int, help="override the sweep file's seed")
    p.add_argument("--chunk-size", type=int, help="override the runs per resumable chunk")
    p.add_argument(
        "--aggregates-only",
        action="store_true",
        help="keep only year-end values, condition outcomes and flags per run "
        "(chunk by chunk): the same percentiles and probabilities, exactly, "
        "for sweeps too large to keep; no outputs.npz, samples.csv or plots",
    )
    _dask_option(p)
    _common(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "sensitivity",
        help="Sobol / Morris: what drives the 2030 gap",
        formatter_class=fmt,
        description=(
            "Global sensitivity of 2030 outputs to the uncertain constants of a "
            "sweep file: Sobol first-order and total indices with bootstrap "
            "95% CIs (default) or Morris elementary effects (screening)."
        ),
    )
    p.add_argument(
        "sweep",
        metavar="SWEEP.yaml",
        help="sweep file giving the base scenario and the uncertain constants",
    )
    p.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    p.add_argument(
        "--N",
        type=_positive_int,
        default=None,
        help="Sobol base sample, a power of two (runs = N*(d+2); default 512) or "
        "Morris trajectories (runs = N*(d+1); default 50)",
    )
    p.add_argument(
        "--output",
        dest="outputs",
        action="append",
        metavar="VAR[REG]@YEAR",
        help="output to analyse, e.g. 'Model ARR[CN]@2030' (repeatable; default: "
        "the three gap ratios and US return on capital, 2030)",
    )
    p.add_argument("--seed", type=int, default=None, help="default: the sweep file's seed")
    p.add_argument("--log", action="store_true", help="analyse log10 of the outputs")
    p.add_argument(
        "--n-boot", type=_positive_int, default=300, help="bootstrap resamples for the CIs"
    )
    p.add_argument(
        "--second-order",
        action="store_true",
        help="Sobol: also second-order (pair) indices S2 with CIs; runs = N*(2g+2)",
    )
    p.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=None,
        help="with --dask: runs per task (default 4096)",
    )
    _dask_option(p)
    _common(p)
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser(
        "calibrate",
        help="fit constants to observations (DE + polish)",
        formatter_class=fmt,
        description=(
            "Fit constants of a scenario to an observation file (points, "
            "bounds, ranges; weighted log errors) with differential evolution "
            "(one engine call per generation) and an L-BFGS-B polish. Writes a "
            "NEW calibrated scenario file, a fit table, plots, and the "
            "parameter uncertainty set as a ready sweep file."
        ),
    )
    p.add_argument(
        "scenario",
        metavar="SCENARIO.yaml",
        nargs="?",
        default=None,
        help="base scenario (default scenarios/baseline.yaml)",
    )
    p.add_argument(
        "--param",
        dest="params",
        action="append",
        metavar="NAME[ELEM]",
        required=True,
        help="constant to fit, e.g. 'Price War Intensity[CN]' "
        "(repeatable; bounds are the model's declared range)",
    )
    p.add_argument(
        "--observations",
        metavar="FILE",
        help="observation file (default <scenario folder>/data/observations.yaml)",
    )
    p.add_argument(
        "--until",
        metavar="DATE",
        help="fit only observations up to DATE (2026.0 or 2025-12-31) and report "
        "the out-of-sample error on the later ones (hindcast)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--popsize", type=_positive_int, default=12, help="DE population per parameter")
    p.add_argument("--maxiter", type=int, default=60, help="DE generations at most")
    p.add_argument(
        "--output-scenario",
        metavar="FILE",
        help="also write the calibrated scenario to FILE (a new file: -2, -3... "
        "if taken). Default: only <run folder>/<scenario>_calibrated.yaml; "
        "the command prints how to promote it beside the base scenario",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="print the promote command even when the fit is not identified",
    )
    _dask_option(p, "batches of 512 parameter sets or more (the uncertainty draws)")
    _common(p)
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "discover",
        help="PRIM: which assumptions make a condition likely",
        formatter_class=fmt,
        description=(
            "Scenario discovery on a sweep folder: PRIM boxes (ranges of the "
            "uncertain constants) where the condition(s) hold, with their "
            "coverage/density trade-off.\nExample: aigap discover runs/<sweep> "
            "--condition 'Model ARR Gap Ratio@2030 < 20'"
        ),
    )
    p.add_argument(
        "folder",
        metavar="SWEEP_FOLDER",
        nargs="?",
        help="a sweep folder: path, folder name or latest (default: the newest sweep folder)",
    )
    p.add_argument(
        "--condition",
        dest="conditions",
        action="append",
        required=True,
        metavar="'VAR[REG]@YEAR OP VALUE'",
        help="case of interest (repeatable: all must hold), or the name of a "
        "condition of the sweep file",
    )
    p.add_argument(
        "--min-coverage",
        type=float,
        default=0.5,
        help="choose the densest box covering at least this share of the cases",
    )
    p.add_argument("--max-boxes", type=_positive_int, default=2)
    p.add_argument("--alpha", type=float, default=0.05, help="peeling fraction per step")
    p.add_argument(
        "--min-mass", type=float, default=0.05, help="smallest box, as a share of the runs"
    )
    p.add_argument(
        "--prune-tol",
        type=float,
        default=0.02,
        help="drop a restriction when freeing it costs less density than this "
        "(0 keeps every restriction PRIM found)",
    )
    p.add_argument("--runs-dir", metavar="DIR")
    p.add_argument("--no-plots", action="store_true")
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser(
        "report",
        help="one offline HTML page from run folders",
        description="A briefing as one self-contained HTML page from run,\n"
        "compare, sweep, sensitivity, calibration, discover and posterior folders:"
        "\nsummary (findings, 2026-2030 gap tables with 5-95% ranges, drivers),\n"
        "a section per folder, assumptions in words, glossary, provenance.",
    )
    p.add_argument(
        "folders",
        nargs="*",
        metavar="RUN_FOLDER",
        help="run folders: paths, folder names under the runs folder, the end of "
        "one (compare = the newest ...-compare), latest or latest:KIND",
    )
    p.add_argument(
        "--latest",
        action="append",
        default=[],
        metavar="KIND",
        help="add the newest folder of KIND (run, compare, sweep, sensitivity, "
        "calibrate, discover, posterior; repeatable)",
    )
    p.add_argument(
        "--output",
        metavar="FILE.html",
        help="write here (never overwrites) instead of a new run folder",
    )
    p.add_argument("--title", default="aigap report")
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also a PDF (report.pdf, or --output with .pdf), printed by a headless "
        "Chromium with every long table opened (needs the pdf extra)",
    )
    p.add_argument("--runs-dir", metavar="DIR")
    p.set_defaults(func=cmd_report)

    # ---- export (issue 15): a run folder as xlsx / tidy csv / netCDF
    p = sub.add_parser(
        "export",
        help="a run folder's results as xlsx, tidy csv or netCDF",
        description="Write a run folder's results in an analyst's format: xlsx "
        "(every table as a sheet, units, a README sheet), csv (one tidy long "
        "table: scenario or run, time, variable, region, value, unit) or "
        "netcdf (xarray Dataset over scenario/run x time x Region, units as "
        "attributes). Never overwrites a file.",
    )
    p.add_argument(
        "folder",
        metavar="RUN_FOLDER",
        help="path, folder name under the runs folder, or latest[:KIND]",
    )
    p.add_argument("--format", choices=("xlsx", "csv", "netcdf"), default="xlsx")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="output file (default <folder name>.xlsx/.csv/.nc here)",
    )
    p.add_argument("--runs-dir", metavar="DIR")
    p.set_defaults(func=cmd_export)

    _explain_terms(sub)  # issue 15: terms of art in --help
    from .posterior_cli import register_posterior  # issue 11: Bayesian calibration

    register_posterior(sub, _common)
    from .policy_cli import register_optimize  # issue 18: policy search

    register_optimize(sub, _common)
    # ---- loops (Loops That Matter loop dominance; analysis/loops.py)
    p = sub.add_parser(
        "loops",
        help="which feedback loops dominate, per year (Loops That Matter)",
        description="Score every feedback loop of the model over "
        "time (link scores, loop scores, relative loop scores; Schoenberg et "
        "al. 2020); print the dominant loops per year, write loops.csv and one "
        "stacked relative-loop-score plot per region.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument("--compare", metavar="SCENARIO.yaml", help="also score this scenario")
    p.add_argument(
        "--variable",
        metavar="NAME[ELEM]",
        help="only loops through this variable, renormalised among them",
    )
    p.add_argument(
        "--model", metavar="MDL", help="Vensim model (default $AIGAP_MODEL or model/ai_gap.mdl)"
    )
    p.add_argument("--time-step", type=float, metavar="DT", help="integration step (years)")
    p.add_argument("--top", type=int, default=3, help="loops shown per year (default 3)")
    p.add_argument(
        "--runs-dir",
        metavar="DIR",
        help="parent folder of run folders (default $AIGAP_RUNS_DIR or ./runs)",
    )
    p.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    p.set_defaults(func=cmd_loops)
    # ---- oat (one-at-a-time screen; analysis/oat.py)
    p = sub.add_parser(
        "oat",
        help="one-at-a-time sensitivity: each constant +-20%% alone",
        description="Move every constant by +-SPREAD on its own (clipped to its "
        "declared range) around a scenario, in one engine ensemble, and print "
        "the constants with the largest |log change| of the first gap ratio and "
        "of the first summary variable per region at a year-end. A quick "
        "screen without interactions; `aigap sensitivity` does global (Sobol, "
        "Morris) analysis over distributions.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help="scenario file or name (default: the model's defaults)",
    )
    p.add_argument(
        "--spread",
        type=float,
        default=0.2,
        help="relative change of each constant, 0 < SPREAD < 1 (default 0.2)",
    )
    p.add_argument("--top", type=_positive_int, default=15, help="constants shown (default 15)")
    p.add_argument(
        "--year",
        type=int,
        metavar="YEAR",
        help="year-end to read (default the profile's last report year, 2030)",
    )
    p.add_argument(
        "--model", metavar="MDL", help="Vensim model (default $AIGAP_MODEL or model/ai_gap.mdl)"
    )
    p.set_defaults(func=cmd_oat)


def cmd_oat(args) -> int:
    """`aigap oat`: one-at-a-time sensitivity table of a scenario (prints; writes nothing)."""
    from ..engine import compile_model
    from ..scenarios import load_scenario, resolve_params
    from ..scenarios.profile_file import profile_for
    from ..workflow import find_model
    from ..workflow.names import resolve_scenario
    from .oat import format_oat, run_oat

    if not 0 < args.spread < 1:
        raise InputError([f"--spread: expected a number in (0, 1), got {args.spread:g}"])
    cm = compile_model(find_model(args.model))
    profile = profile_for(cm)
    params, label = None, "model defaults"
    if args.scenario:
        sc = load_scenario(resolve_scenario(args.scenario), model=cm)
        params, label = resolve_params(cm, sc), f"scenario '{sc.name}'"
    if args.year is not None and not (cm.initial_time < args.year + 1 <= cm.final_time + 1e-9):
        raise InputError(
            [
                f"--year: year-end {args.year} is outside the model's run "
                f"{cm.initial_time:g}-{cm.final_time:g}"
            ]
        )
    result = run_oat(cm, profile, params, spread=args.spread, year=args.year)
    print(
        f"One-at-a-time sensitivity around {label} ({len(result.effects)} constants, "
        f"{2 * len(result.effects) + 1} runs)"
    )
    print(format_oat(result, args.top))
    return 0


def _command():
    return ["aigap", *sys.argv[1:]]


def _files(folder: Path) -> str:
    names = sorted(p.name for p in folder.iterdir())
    return ", ".join(names)


def cmd_sweep(args) -> int:
    """`aigap sweep`: run a sweep file, print gap percentiles and condition probabilities."""
    from ..core.keys import GAPS
    from ..core.formatting import format_value
    from .sweep_job import run_sweep

    path = Path(args.sweep)
    if not path.is_file():
        raise InputError([f"{path}: file not found"])
    try:
        out = run_sweep(
            path,
            model=args.model,
            runs_dir=args.runs_dir,
            fresh=args.fresh,
            progress=None if args.quiet else sys.stderr,
            plots=not args.no_plots,
            command=_command(),
            runs=args.runs,
            seed=args.seed,
            chunk_size=args.chunk_size,
            engine=args.engine,
            allow_large=args.allow_large,
            dask=args.dask,
            aggregates_only=args.aggregates_only,
        )
    except KeyboardInterrupt:
        print(
            "aigap sweep: interrupted; finished chunks are kept. Run the same command "
            "again to resume (or add --fresh to start over).",
            file=sys.stderr,
        )
        return 130
    spec = out.spec
    print(f"Sweep '{spec.name}': {spec.description}")
    print(
        f"  base scenario {spec.scenario_path}, {out.n_runs} runs ({spec.sampler}, "
        f"seed {spec.seed}), {spec.problem.d} uncertain inputs"
        + (f"; resumed after {out.resumed_from} chunks" if out.resumed_from else "")
    )
    if out.non_finite:
        print(
            f"  WARNING: {out.non_finite} runs have non-finite outputs; "
            "they are left out of the percentiles and count as 'condition not met'"
        )
    if out.n_negative:
        print(
            f"  WARNING: {out.n_negative} runs have a negative money stock (flag "
            "'negative_stock' in samples.csv); they are left out of the percentiles and "
            "condition probabilities"
        )
    cond = _print_consistency(out)
    pct = out.percentiles
    qs = (5, 25, 50, 75, 95)
    for name in GAPS:
        part = pct[(pct.variable == name)]
        if part.empty:
            continue
        label = "data-consistent runs" if cond else "all runs"
        print(
            f"\n{name} (US / CN, year end): percentiles over {label}"
            + ("  |  all runs (unconditioned)" if cond else "")
        )
        print(
            f"  {'year':>4} "
            + " ".join(f"{'p' + str(q):>8}" for q in qs)
            + ("  | " + " ".join(f"{'p' + str(q):>8}" for q in (5, 50, 95)) if cond else "")
        )
        for r in part.itertuples():
            sfx = "_consistent" if cond else ""
            line = f"  {r.year:>4} " + " ".join(
                f"{format_value(getattr(r, f'p{q}{sfx}'), 'Dmnl'):>8}" for q in qs
            )
            if cond:
                line += "  | " + " ".join(
                    f"{format_value(getattr(r, f'p{q}'), 'Dmnl'):>8}" for q in (5, 50, 95)
                )
            print(line)
    if len(out.conditions):
        print(
            "\nConditions (share of "
            + ("data-consistent runs" if cond else "runs")
            + ", 95% interval"
            + ("; all runs beside" if cond else "")
            + "):"
        )
        for r in out.conditions.itertuples():
            if cond:
                print(
                    f"  {r.condition:<34} {r.probability_consistent:6.1%}  "
                    f"[{r.ci_low_consistent:.1%}, {r.ci_high_consistent:.1%}]   all runs "
                    f"{r.probability:6.1%}   {r.definition}"
                )
            else:
                print(
                    f"  {r.condition:<34} {r.probability:6.1%}  [{r.ci_low:.1%}, "
                    f"{r.ci_high:.1%}]   {r.definition}"
                )
    print(f"\nRun folder: {out.run_dir}\n  {_files(out.run_dir)}\n  ({out.elapsed:.1f} s)")
    return 0


def _print_consistency(out) -> bool:
    """Print the share of data-consistent runs (and a warning when few); True when the
    figures are to be conditioned on them."""
    from .sweep_job import FEW_CONSISTENT

    k, n = out.n_consistent, out.n_runs
    if k is None:
        print("  no observations: figures are over all runs (not conditioned on data)")
        return False
    print(
        f"  {k} of {n} runs ({k / n:.1%}) are consistent with the observations "
        "(every fitted observation within its tolerance)"
    )
    if k == 0:
        print(
            "  WARNING: no run is consistent with the observations; the figures below "
            "are over all runs and are NOT conditioned on the data"
        )
        return False
    if k < FEW_CONSISTENT:
        print(
            f"  WARNING: only {k} consistent runs; the conditioned percentiles and "
            "probabilities are rough (run more, or sweep over a posterior)"
        )
    return True


def cmd_sensitivity(args) -> int:
    """`aigap sensitivity`: Sobol or Morris indices of 2030 outputs; prints the ranking."""
    from .sensitivity_job import format_ranking, run_sensitivity

    if not Path(args.sweep).is_file():
        raise InputError([f"{args.sweep}: file not found"])
    out = run_sensitivity(
        args.sweep,
        method=args.method,
        N=args.N,
        targets=args.outputs,
        seed=args.seed,
        n_boot=args.n_boot,
        log=args.log,
        model=args.model,
        runs_dir=args.runs_dir,
        plots=not args.no_plots,
        command=_command(),
        engine=args.engine,
        second_order=args.second_order,
        dask=args.dask,
        chunk_size=args.chunk_size,
    )
    print(format_ranking(out))
    print(
        f"\nRun folder: {out.run_dir}\n  {_files(out.run_dir)}\n  ({out.n_runs} runs, "
        f"simulation {out.sim_seconds:.1f} s, total {out.elapsed:.1f} s)"
    )
    return 0


def cmd_calibrate(args) -> int:
    """`aigap calibrate`: fit constants to observations; print the fit and how to promote."""
    from ..workflow.runner import scenarios_dir
    from ..workflow.summary import format_fit
    from .calibration_job import run_calibration

    scen = Path(args.scenario) if args.scenario else scenarios_dir() / "baseline.yaml"
    if not scen.is_file():
        raise InputError([f"{scen}: file not found"])
    if args.observations and not Path(args.observations).is_file():
        raise InputError([f"{args.observations}: file not found"])
    out = run_calibration(
        scen,
        args.params,
        observations=args.observations,
        until=args.until,
        seed=args.seed,
        popsize=args.popsize,
        maxiter=args.maxiter,
        model=args.model,
        runs_dir=args.runs_dir,
        output=args.output_scenario,
        plots=not args.no_plots,
        command=_command(),
        engine=args.engine,
        dask=args.dask,
    )
    print(f"\nOptimizer: {out.fit.message}")
    print(
        f"  payoff {out.fit.payoff:.4g} (sum of squared weighted log errors in tolerance "
        f"units), {out.fit.n_calls} engine calls, {out.extra['n_simulated_runs']} runs"
    )
    print(
        "\nParameters (uncertainty: accepted set within "
        f"{out.threshold:.3g} of the best payoff, {len(out.accepted)} vectors):"
    )
    print(f"  {'parameter':<40} {'prior':>10} {'best':>10} {'95% range':>23}  status")
    for r in out.params_frame.itertuples():
        print(
            f"  {r.parameter:<40} {r.prior:>10.4g} {r.best:>10.4g} "
            f"{r.ci_low:>10.4g}..{r.ci_high:<10.4g}  {r.status}"
        )
    print(f"\nIdentifiability: {out.ident['verdict']}")
    fr = out.fit_frame
    fitted = fr[fr["sample"] == "in"]
    print(f"\nFit after calibration ({len(fitted)} fitted observations):")
    print(format_fit(fitted))
    failed = fitted[~fitted.passed]
    if len(failed):
        print(
            f"NOTE: {len(failed)} fitted observation(s) still outside tolerance "
            f"({', '.join(failed.id[:6])}{' ...' if len(failed) > 6 else ''}): these "
            "constants cannot reproduce them; free others or revisit the model/data."
        )
    if out.out_of_sample:
        o = out.out_of_sample
        print(f"\nHindcast: observations after {out.extra['until']:g}, not used in the fit:")
        print(format_fit(fr[fr["sample"] == "out"]))
        print(
            f"RMS log error of the held-out observations {o['rms_log_error']:.3f} "
            f"(before calibration {o['rms_log_error_before']:.3f})"
        )
    print(f"\nCalibrated scenario (new file): {out.written}")
    if not out.ident.get("identified", True) and not args.force:
        print(
            "Not promoting: the fitted parameters are not identified by the data (see "
            "Identifiability above); fit fewer parameters, or add --force to print the "
            "promote command anyway"
        )
    elif not args.output_scenario:
        from .calibration_job import promote_command

        print(
            "To promote it beside the base scenario (a new file, extends re-pointed):\n  "
            + promote_command(out.written, scen)
        )
    print(f"Run folder: {out.run_dir}\n  {_files(out.run_dir)}\n  ({out.elapsed:.1f} s)")
    return 0


def cmd_discover(args) -> int:
    """`aigap discover`: PRIM boxes where the conditions hold in a sweep folder."""
    from ..workflow.names import resolve_run_folder
    from .discovery_job import format_boxes, run_discover

    folder = resolve_run_folder(args.folder or "latest:sweep", args.runs_dir)
    if not args.folder:
        print(f"Sweep folder: {folder} (the newest)", file=sys.stderr)
    out = run_discover(
        folder,
        args.conditions,
        min_coverage=args.min_coverage,
        max_boxes=args.max_boxes,
        alpha=args.alpha,
        min_mass=args.min_mass,
        prune_tol=args.prune_tol,
        runs_dir=args.runs_dir,
        plots=not args.no_plots,
        command=_command(),
    )
    print(format_boxes(out))
    print(f"\nRun folder: {out.run_dir}\n  {_files(out.run_dir)}")
    return 0


def cmd_report(args) -> int:
    """`aigap report`: one self-contained HTML page from run folders."""
    from ..workflow.names import resolve_run_folder
    from .report import build_report

    texts = list(args.folders) + [f"latest:{k}" for k in args.latest]
    if not texts:
        raise InputError(["give at least one run folder (or --latest KIND)"])
    folders, problems = [], []
    for t in texts:
        try:
            folders.append(resolve_run_folder(t, args.runs_dir))
        except InputError as exc:
            problems += exc.issues
    if problems:
        raise InputError(problems)
    path = build_report(
        folders,
        output=args.output,
        title=args.title,
        runs_dir=args.runs_dir,
        command=_command(),
        pdf=args.pdf,
    )
    print(f"Report: {path}" + (f"\n  and {Path(path).with_suffix('.pdf')}" if args.pdf else ""))
    return 0


HELP_TERMS = {
    "sweep": ("Data-consistent run", "5-95%", "Gap ratio"),
    "sensitivity": ("Sobol S1 / ST", "Morris mu* / sigma"),
    "calibrate": ("Payoff", "Log error / tolerance", "Identified", "Jacobian rank"),
    "discover": ("PRIM box",),
    "report": ("Gap ratio", "Data-consistent run", "5-95%", "Year-end 2030"),
}


def _explain_terms(sub) -> None:
    """Append the glossary's explanation of each command's terms of art to its --help."""
    from .report_words import terms_epilog

    for name, terms in HELP_TERMS.items():
        if name in sub.choices:
            sub.choices[name].epilog = terms_epilog(*terms)
            sub.choices[name].formatter_class = argparse.RawDescriptionHelpFormatter


def cmd_export(args) -> int:
    """`aigap export`: a run folder's results as xlsx, tidy csv or netCDF."""
    from ..workflow.names import resolve_run_folder
    from .export import export_folder

    out = export_folder(resolve_run_folder(args.folder, args.runs_dir), args.format, args.output)
    print(f"Exported: {out} ({out.stat().st_size / 1e6:.2f} MB, {args.format})")
    return 0


def cmd_loops(args) -> int:
    """`aigap loops`: dominant loops per year of one scenario (and a compared one)."""
    from .loops_job import format_table, run_loops

    paths = [args.scenario] + ([args.compare] if args.compare else [])
    for path in paths:
        if not Path(path).is_file():
            raise InputError([f"{path}: file not found"])
    if args.time_step is not None and not args.time_step > 0:
        raise InputError([f"--time-step: expected a positive number, got {args.time_step}"])
    out = run_loops(
        paths,
        model=args.model,
        variable=args.variable,
        time_step=args.time_step,
        runs_dir=args.runs_dir,
        plots=not args.no_plots,
        top=args.top,
        command=_command(),
    )
    for label, (times, loops, rel) in out.results.items():
        print(format_table(label, times, loops, rel, top=args.top))
        print()
    print(f"Run folder: {out.run_dir}\n  {_files(out.run_dir)}")
    return 0
