"""Library code logs (never prints); the CLI shows warnings as one `warning: ...` line."""

import ast
import io
import logging
from pathlib import Path

import aigap
from aigap.core.log import configure_cli, get_logger

SRC = Path(aigap.__file__).resolve().parent
#: modules that are commands (they print their results) or print to a stream they are given
PRINTING = {
    "cli.py",
    "analysis/cli.py",
    "checks/diffjob.py",
    "checks/files.py",
    "checks/run.py",
    "workflow/inspect.py",
    "analysis/fitting.py",
    "analysis/sweep_job.py",
}


def test_library_modules_do_not_print_to_stdout():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel in PRINTING or rel.endswith("_cli.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "print"
                and not any(k.arg == "file" for k in node.keywords)
            ):
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_cli_handler_formats_warnings_on_one_line():
    buf = io.StringIO()
    handler = configure_cli(stream=buf)
    try:
        get_logger("aigap.workflow.runner").warning("model %s lacks %s", "m.mdl", "X")
        get_logger("workflow.runner").info("not shown at the default level")
        assert buf.getvalue() == "warning: model m.mdl lacks X\n"
    finally:
        logging.getLogger("aigap").removeHandler(handler)


def test_partial_contract_warning_reaches_the_cli(aigap, tmp_path):
    """A model with only some of the profile's variables: the run works, and the CLI
    prints the runner's logged warning as one line naming what is missing."""
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    src = (fixtures / "mini_gap.mdl").read_text()
    assert src.count("Return Gap Ratio=") == 1
    model = tmp_path / "partial.mdl"
    model.write_text(src.replace("Return Gap Ratio=", "Return Ratio Unused="))
    p = aigap("run", fixtures / "scenarios" / "baseline.yaml", "--no-plots", model=model)
    assert p.returncode == 0, p.stderr
    lines = [s for s in p.stderr.splitlines() if s.startswith("warning:")]
    assert lines == [
        f"warning: {model} lacks contract variable(s) Return Gap Ratio; "
        "their rows are left out of the tables"
    ]
    assert "Return on AI capital gap" not in p.stdout
