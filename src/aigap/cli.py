"""``aigap`` command line: a thin argparse layer over the library API.

Exit codes: 0 success, 1 internal error, 2 bad input (one line per problem on stderr).
Set ``AIGAP_DEBUG=1`` to see the traceback of an internal error.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path

from . import __version__
from .scenarios import InputError

EXIT_BAD_INPUT = 2


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of years, got '{text}'")
    return value


def _run_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("simulation")
    g.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a model constant on top of the scenario, e.g. "
        '--set "Price War Intensity[CN]=0.5" (repeatable; highest precedence)',
    )
    g.add_argument(
        "--engine",
        choices=("auto", "numpy", "compiled", "pysd"),
        default="auto",
        help="auto (default; numpy for single runs), numpy: vectorized engine, "
        "compiled: numba kernels, pysd: the slow reference",
    )
    g.add_argument(
        "--method",
        choices=("euler", "rk4"),
        default="euler",
        help="integration method (default euler, as Vensim/PySD)",
    )
    g.add_argument(
        "--time-step",
        type=_positive_float,
        metavar="DT",
        help="integration step in years (default: the model's TIME STEP, e.g. "
        "0.03125); halve it to check that results do not depend on it",
    )
    g.add_argument(
        "--observations",
        metavar="FILE",
        help="observation file for the fit report (default: "
        "<scenario folder>/data/observations.yaml when it exists)",
    )
    g.add_argument("--no-observations", action="store_true", help="skip the fit report")
    g.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    g.add_argument(
        "--runs-dir",
        metavar="DIR",
        help="parent folder of run folders (default $AIGAP_RUNS_DIR or ./runs)",
    )
    g.add_argument(
        "--name",
        metavar="NAME",
        help="run folder name after the timestamp (default: the scenario plus what "
        "differs: --set values, engine, method, time step)",
    )
    g.add_argument(
        "--allow-large",
        action="store_true",
        help="run even when the size/time estimate exceeds the available memory, disk or an hour",
    )
    return p


def _model_option() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--model", metavar="MDL", help="Vensim model (default $AIGAP_MODEL or model/ai_gap.mdl)"
    )
    return p


def build_parser():
    """``(parser, subparsers)``; analysis commands register into ``subparsers``."""
    parser = argparse.ArgumentParser(
        prog="aigap",
        description="Project AI revenue in the US and China (2024-2030) with a "
        "system-dynamics model; compare scenarios and the US/China gaps.",
    )
    parser.add_argument("--version", action="version", version=f"aigap {__version__}")
    parser.add_argument(
        "--project",
        metavar="DIR",
        help="project folder with model/ai_gap.mdl and scenarios/ for the "
        "defaults (default $AIGAP_PROJECT, else the current directory, "
        "the source checkout, the copy installed with aigap)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run_opts, model_opt = _run_options(), _model_option()

    p = sub.add_parser(
        "run",
        parents=[run_opts, model_opt],
        help="simulate one scenario",
        description="Simulate one scenario: print the 2026-2030 summary (and the "
        "fit to observations for the baseline) and write a run folder.",
    )
    p.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="a scenario file or name (baseline = scenarios/baseline.yaml)",
    )
    p.add_argument(
        "--fit",
        action="store_true",
        help="print the fit report even when the scenario is not the baseline",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        parents=[run_opts, model_opt],
        help="compare scenarios",
        description="Simulate several scenarios and compare the US/China gaps. "
        "Without files: the six named scenarios in scenarios/.",
    )
    p.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="scenario files or names (default: the six named scenarios)",
    )
    p.set_defaults(func=cmd_compare)
    for q in (sub.choices["run"], p):  # issue 11: gaps over posterior draws
        q.add_argument(
            "--posterior",
            metavar="RUN",
            help="an `aigap posterior` run folder: every gap as median [5%%-95%%] "
            "over its draws (the same draw in every scenario) and, for "
            "compare, the paired probabilities that a scenario's 2030 gap "
            "is below the baseline's and the narrowest",
        )

    p = sub.add_parser("list", help="list scenarios with their descriptions")
    p.add_argument("--dir", metavar="DIR", help="scenario folder (default scenarios/)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "params",
        parents=[model_opt],
        help="tunable model constants: unit, baseline value, range, source",
    )
    p.add_argument("filter", nargs="?", help="show only constants whose name contains this")
    p.add_argument(
        "--scenario",
        metavar="FILE",
        help="show values under this scenario (default scenarios/baseline.yaml)",
    )
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser(
        "check", parents=[model_opt], help="validate scenario / observation files without running"
    )
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument(
        "--units",
        nargs="?",
        const="",
        metavar="MODEL",
        default=None,
        help="check dimensional consistency of MODEL (default the project model)",
    )
    p.add_argument(
        "--model-checks",
        nargs="?",
        const="",
        metavar="FILE",
        default=None,
        help="run the declarative reality checks of FILE (default "
        "model/checks.yaml) on the engine; exit 1 when one fails",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "schema",
        parents=[model_opt],
        help="print the JSON Schema of scenario, sweep, observation, priors or "
        "profile or policy files (for editor completion and checks)",
        description="Print a draft 2020-12 JSON Schema generated from the file "
        "checker and the model (constant and variable names, elements, ranges). "
        "The shipped YAML files reference the copies in schemas/ by a "
        "'# yaml-language-server: $schema=...' first line.",
    )
    from .analysis.file_schemas import SCHEMA_KINDS

    p.add_argument("kind", choices=SCHEMA_KINDS)
    p.add_argument("-o", "--output", metavar="FILE", help="write FILE instead of printing")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser(
        "docs",
        parents=[model_opt],
        help="regenerate (or --check) every documented table of the project",
        description="Run the generator scripts the model's profile lists under "
        "'docs:' (model/ai_gap.profile.yaml), in order. Default: rewrite the "
        "tables from stored results (posterior draws, hindcast fits). --check: "
        "change nothing, exit 1 naming each stale table (CI runs this). "
        "--refit: recompute the stored results first (minutes: the posterior "
        "and hindcast samplers), then rewrite.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    mode.add_argument(
        "--refit",
        action="store_true",
        help="recompute stored results (slow), then rewrite the tables",
    )
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser(
        "diagram",
        parents=[model_opt],
        help="draw the model's stock-and-flow diagram (PNG)",
        description="Draw the stock-and-flow diagram of the model from its parsed "
        "IR: stocks, flows, key stock-to-stock links with +/- polarity (the sign "
        "of the mean Loops-That-Matter link score over one baseline run) and "
        "their loop, the levers the scenarios set and the US/China gap outputs.",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="model/ai_gap_diagram.png",
        help="PNG to write (default model/ai_gap_diagram.png)",
    )
    p.set_defaults(func=cmd_diagram)

    p = sub.add_parser(
        "explore",
        parents=[model_opt],
        help="write the live scenario explorer (one offline HTML page)",
        description="Write one self-contained HTML page: sliders for every "
        "constant, scenario picker and comparison, gap charts and table, the "
        "model running in the browser (JavaScript generated from the IR).",
    )
    p.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO.yaml",
        help="extra scenarios (the first one is shown first)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE.html",
        help="output file (default explorer.html; never overwritten)",
    )
    p.add_argument(
        "--posterior",
        metavar="RUN",
        help="posterior folder with draws.csv (columns Name / Name[ELEM]), or a "
        "sweep folder (its runs consistent with the data): live 5-95%% / "
        "25-75%% bands from up to 300 draws",
    )
    p.add_argument(
        "--max-draws",
        type=int,
        default=300,
        metavar="N",
        help="posterior draws kept in the page (seeded subsample; default 300)",
    )
    p.set_defaults(func=cmd_explore)

    p = sub.add_parser(
        "diff",
        parents=[model_opt],
        help="compare two model versions",
        description="Comparison report of a model change: run every named "
        "scenario under OLD and NEW and write one offline HTML page, a text "
        "summary, the changed equations and the change in fit. OLD/NEW: "
        ".mdl files or git revisions (HEAD~1, main, REV:path).",
    )
    p.add_argument("old", metavar="OLD", help="old model: a .mdl file or a git revision")
    p.add_argument(
        "new",
        nargs="?",
        metavar="NEW",
        help="new model (default: the working model, --model or model/ai_gap.mdl)",
    )
    p.add_argument(
        "--scenarios",
        nargs="+",
        metavar="FILE",
        help="scenario files (default: the six named scenarios)",
    )
    p.add_argument(
        "--fail-above",
        type=float,
        metavar="PCT",
        help="exit 1 when a series changes by more than PCT%% of its range",
    )
    p.add_argument(
        "--checks",
        nargs="?",
        const="",
        metavar="FILE",
        default=None,
        help="also run the reality checks (default model/checks.yaml) under both",
    )
    p.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    p.add_argument(
        "--runs-dir",
        metavar="DIR",
        help="parent folder of run folders (default $AIGAP_RUNS_DIR or ./runs)",
    )
    p.set_defaults(func=cmd_diff)
    return parser, sub


def cmd_diff(args) -> int:
    """`aigap diff OLD [NEW]`: the comparison report of a model change."""
    from .checks.diffjob import cmd_diff as run

    return run(args)


def cmd_explore(args) -> int:
    """`aigap explore`: write the explorer page."""
    from .explorer.build import explore

    if args.max_draws < 1:
        from .scenarios import InputError

        raise InputError([f"--max-draws: expected a positive integer, got {args.max_draws}"])
    out = explore(args.scenarios, args.output, args.model, args.posterior, max_draws=args.max_draws)
    print(f"Explorer written: {out} ({out.stat().st_size / 1e6:.2f} MB); open it in a browser")
    return 0


def register_analysis(sub) -> None:
    """Add the analysis commands (``aigap.analysis.cli.register``) to ``sub``."""
    from .analysis import cli as analysis_cli

    analysis_cli.register(sub)


def main(argv=None) -> int:
    """Entry point of the ``aigap`` console script."""
    parser, sub = build_parser()
    register_analysis(sub)
    args = parser.parse_args(argv)
    from .core.errors import PrintableStream

    if not isinstance(sys.stdout, PrintableStream):  # file text is echoed, never run
        sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    from .core.log import configure_cli

    configure_cli(stream=sys.stderr)  # library warnings: one line each
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        if args.project:
            if not Path(args.project).is_dir():
                raise InputError([f"{args.project}: --project folder not found"])
            os.environ["AIGAP_PROJECT"] = str(Path(args.project).resolve())
        return int(args.func(args) or 0)
    except InputError as exc:
        for issue in exc.issues:
            print(str(issue), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("aigap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - people get one line, not a traceback
        from .engine import EngineError

        if os.environ.get("AIGAP_DEBUG"):
            raise
        if isinstance(exc, EngineError):
            print(f"aigap: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if isinstance(exc, OSError) and (
            exc.errno in (errno.ENOSPC, errno.EDQUOT)
            or (exc.errno is None and "requested and" in str(exc))
        ):  # numpy's short write
            print(
                f"aigap: no space left on the device{_where(exc)}; nothing was kept "
                "half-written (a sweep keeps its finished chunks and resumes); free some "
                "space and run the same command again",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        if isinstance(exc, OSError) and getattr(exc, "filename", None):
            print(f"aigap: {exc.filename}: {exc.strerror}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(
            f"aigap: internal error: {exc.__class__.__name__}: {exc} "
            f"(set AIGAP_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


def _where(exc: OSError) -> str:
    """`` (writing PATH)`` when the error names a file, else the runs folder."""
    if exc.filename:
        return f" (writing {exc.filename})"
    from .workflow.rundir import runs_root

    return f" (writing under {runs_root()})"


# --------------------------------------------------------------------------- commands


def _observations_arg(args):
    if args.no_observations:
        return None
    return args.observations or "auto"


def _progress(k, n, name):
    print(
        f"[{k + 1}/{n}] simulating '{name}' with PySD (the slow reference)...",
        file=sys.stderr,
        flush=True,
    )


def _simulate(args, paths, kind):
    from .workflow import run_scenarios
    from .workflow.names import resolve_scenario, run_name

    paths = [resolve_scenario(p) for p in paths]
    base = Path(paths[0]).stem if kind == "run" else "compare"
    name = args.name or run_name(base, args.sets, args.engine, args.method, args.time_step)
    name = None if name == base and kind == "run" else name  # the scenario's own name
    return run_scenarios(
        paths,
        engine=args.engine,
        method=args.method,
        sets=args.sets,
        model=args.model,
        runs_dir=args.runs_dir,
        name=name,
        observations=_observations_arg(args),
        kind=kind,
        plots=not args.no_plots,
        command=["aigap", *sys.argv[1:]],
        time_step=args.time_step,
        allow_large=args.allow_large,
        progress=_progress if args.engine == "pysd" else None,
    )


def _footer(out) -> str:
    files = sorted(p.name + ("/" if p.is_dir() else "") for p in out.run_dir.iterdir())
    pngs = [f for f in files if f.endswith(".png")]
    data = [f for f in files if not f.endswith(".png")]
    return (
        f"Run folder: {out.run_dir}\n  {', '.join(data)}"
        + (f"\n  plots: {', '.join(pngs)}" if pngs else "")
        + f"\n  ({out.manifest.get('engine')} engine, {out.manifest.get('method')}, "
        f"{out.elapsed:.1f} s)"
    )


def cmd_run(args) -> int:
    """`aigap run`: simulate one scenario, print its summary (and fit), write a run folder."""
    from .workflow import format_fit, format_summary

    if args.posterior:
        from .analysis.posterior_compare_cli import cmd_posterior_gaps

        return cmd_posterior_gaps(args, [args.scenario], "run")
    out = _simulate(args, [args.scenario], "run")
    import textwrap

    sc = out.scenarios[0]
    print(
        textwrap.fill(
            f"Scenario '{sc.name}': {' '.join(sc.description.split())}", 100, subsequent_indent="  "
        )
    )
    print(f"  files: {' -> '.join(sc.files)}")
    changed = dict.fromkeys(
        o.constant + (f"[{','.join(e for e, _ in o.elements)}]" if o.elements else "")
        for o in sc.overrides
    )
    if changed:
        print(_wrap_items("  overrides: ", list(changed), 100))
    if args.sets:
        print(f"  --set: {', '.join(args.sets)}")
    print()
    print(format_summary(out.summary, sc.name, profile=out.profile))
    if out.fit is not None and (sc.name == "baseline" or args.fit or args.observations):
        print(f"\nFit to observations ({out.observations.path}):")
        print(format_fit(out.fit[out.fit.scenario == sc.name]))
    print()
    print(_footer(out))
    return 0


def _wrap_items(head: str, items: list, width: int) -> str:
    """``head`` + comma-separated items, wrapped between items (never inside a name)."""
    lines, line = [], head
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else "")
        if len(line) + len(piece) + 1 > width and line.strip() != head.strip():
            lines.append(line.rstrip())
            line = " " * 4
        line += piece + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def _model_profile(args):
    """The profile of the model ``compare`` runs (``--model``, ``$AIGAP_MODEL`` or the
    project's; see :func:`aigap.scenarios.profile_file.profile_for`)."""
    from .engine import compile_model
    from .scenarios.profile_file import profile_for
    from .workflow import find_model

    return profile_for(compile_model(find_model(args.model)))


def cmd_compare(args) -> int:
    """`aigap compare`: several scenarios (default: the six named ones), gap tables."""
    from .workflow import default_scenario_paths, format_gap_table
    from .workflow.names import resolve_scenario

    paths = args.scenarios or default_scenario_paths(profile=_model_profile(args))
    problems = []
    for p in paths:
        try:
            resolve_scenario(p)
        except InputError as exc:
            problems += exc.issues
    if problems:
        raise InputError(problems)
    if args.posterior:
        from .analysis.posterior_compare_cli import cmd_posterior_gaps

        return cmd_posterior_gaps(args, [resolve_scenario(p) for p in paths], "compare")
    out = _simulate(args, paths, "compare")
    print(f"Comparing {len(out.scenarios)} scenarios: {', '.join(out.results)}\n")
    print(format_gap_table(out.summary, profile=out.profile))
    if out.fit is not None:
        n_ok = out.fit.groupby("scenario", sort=False).passed.agg(["sum", "size"])
        fits = ", ".join(f"{s} {r['sum']}/{r['size']}" for s, r in n_ok.iterrows())
        print(f"\nObservations within tolerance: {fits}")
    print()
    print(_footer(out))
    return 0


def cmd_docs(args) -> int:
    """`aigap docs`: run the profile's table generators (rewrite, --check or --refit)."""
    from .engine import compile_model
    from .scenarios.profile_file import profile_for
    from .workflow import find_model
    from .workflow.docs import run_docs

    mode = "check" if args.check else "refit" if args.refit else "tables"
    profile = profile_for(compile_model(find_model(args.model)))

    def progress(k, n, script):
        print(f"[{k + 1}/{n}] {script.name} ({mode})", file=sys.stderr, flush=True)

    runs = run_docs(profile, mode, progress=progress)
    for r in runs:
        print(f"{r.script.name}: {r.status} ({r.seconds:.1f} s)")
        if r.returncode != 0 and r.output:
            print("  " + r.output.replace("\n", "\n  "))
    bad = [r for r in runs if r.returncode != 0]
    if len(runs) < len(profile.docs):
        print(f"stopped after {runs[-1].script.name} failed; later tables not rewritten")
    return 1 if bad else 0


def cmd_schema(args) -> int:
    """`aigap schema KIND`: the JSON Schema of a file kind, printed or written."""
    from .analysis.file_schemas import schema_text
    from .engine import compile_model
    from .workflow import find_model

    text = schema_text(args.kind, compile_model(find_model(args.model)))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_diagram(args) -> int:
    """`aigap diagram [-o FILE]`: the model's stock-and-flow diagram as a PNG."""
    from .analysis.ltm import mean_link_scores
    from .engine import compile_model
    from .plotting.diagram import plot_diagram
    from .workflow import find_model

    cm = compile_model(find_model(args.model))
    _, st = plot_diagram(cm, mean_link_scores(cm), args.output)
    signed = sum(1 for v in st["influences"].values() if v)
    print(
        f"{args.output}: {len(st['stocks'])} stocks, "
        f"{sum(len(f) for f in st['stocks'].values())} flow ends, {len(st['influences'])} "
        f"stock-to-stock influences ({signed} with a polarity), {len(st['levers'])} lever "
        f"links, {len(st['gaps'])} links into the gap outputs"
    )
    return 0


def cmd_list(args) -> int:
    """`aigap list`: the scenario files of a folder with their one-line descriptions."""
    from .scenarios import ScenarioError, list_scenarios, load_scenario
    from .workflow import scenarios_dir

    folder = Path(args.dir) if args.dir else scenarios_dir()
    if not folder.is_dir():
        raise InputError([f"{folder}: scenario folder not found"])
    rows = []
    for path in list_scenarios(folder):
        try:
            sc = load_scenario(path)
            rows.append((sc.name, sc.extends or "-", sc.description))
        except ScenarioError as exc:
            rows.append((path.stem, "?", f"INVALID: {exc.issues[0]}"))
    if not rows:
        print(f"no scenario files in {folder}")
        return 0
    import shutil
    import textwrap

    w0 = max(len(r[0]) for r in rows + [("scenario",)])
    w1 = max(len(r[1]) for r in rows + [("", "extends")])
    width = max(shutil.get_terminal_size((120, 20)).columns - w0 - w1 - 4, 40)
    print(f"{'scenario':<{w0}}  {'extends':<{w1}}  description")
    for name, parent, desc in rows:
        lines = textwrap.wrap(" ".join(desc.split()), width) or [""]
        print(f"{name:<{w0}}  {parent:<{w1}}  {lines[0]}")
        for more in lines[1:]:
            print(f"{'':<{w0}}  {'':<{w1}}  {more}")
    return 0


def cmd_params(args) -> int:
    """`aigap params`: every tunable constant with unit, value, range and source."""
    from .workflow.inspect import params_rows, print_params
    from .engine import compile_model
    from .workflow import find_model, scenarios_dir

    cm = compile_model(find_model(args.model))
    scen = args.scenario or (scenarios_dir() / "baseline.yaml")
    rows = params_rows(cm, scen if Path(scen).is_file() or args.scenario else None, args.filter)
    print_params(rows, args.format, cm, scen)
    return 0


def cmd_check(args) -> int:
    """`aigap check`: validate scenario, sweep and observation files without running."""
    if not args.files and args.units is None and args.model_checks is None:
        print(
            "aigap check: nothing to check; give FILE..., --units or --model-checks",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if args.model_checks is not None:
        from .checks.run import cmd_model_checks

        code = cmd_model_checks(args)
        if code or (args.units is None and not args.files):
            return code
    if args.units is not None:
        from .checks.units import check_units
        from .workflow.runner import find_model

        problems = check_units(find_model(args.units or args.model))
        for line in problems:
            print(line, file=sys.stderr)
        if not problems:
            print("units: no problems")
        if problems or not args.files:
            return 2 if problems else 0
    from .checks.files import check_files

    return check_files(args.files, args.model)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
