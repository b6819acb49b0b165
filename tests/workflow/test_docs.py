"""`aigap docs`: the profile's table generators, run in order (rewrite, --check, --refit)."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIR = ROOT / ".." / "shared" / "sd-conformance" / "samples" / "SIR" / "SIR.mdl"
GENERATOR = """import sys
from pathlib import Path
here = Path(__file__).parent
mode = sys.argv[1]
with open(here / "calls.log", "a") as fh:
    fh.write(f"{Path(__file__).name} {mode}\\n")
table = here / "{name}.table"
if mode == "--check":
    if not table.exists():
        print("{name}.table is out of date", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
if "{name}" == "broken":
    raise RuntimeError("boom")
table.write_text("fresh")
"""


def _project(tmp_path, names):
    folder = tmp_path / "proj"
    folder.mkdir()
    shutil.copyfile(SIR, folder / "SIR.mdl")
    for name in names:
        (folder / f"{name}.py").write_text(GENERATOR.replace("{name}", name))
    (folder / "SIR.profile.yaml").write_text(
        "key_variables: [Infectious]\ndocs:\n" + "".join(f"  - {n}.py\n" for n in names)
    )
    return folder


def test_check_reports_every_stale_table_and_writes_nothing(aigap, tmp_path):
    folder = _project(tmp_path, ["first", "second"])
    p = aigap("docs", "--check", model=folder / "SIR.mdl")
    assert p.returncode == 1
    assert "first.py: stale" in p.stdout and "second.py: stale" in p.stdout
    assert "first.table is out of date" in p.stdout
    assert not list(folder.glob("*.table"))
    assert (folder / "calls.log").read_text().split("\n")[:2] == [
        "first.py --check",
        "second.py --check",
    ]


def test_rewrite_runs_in_order_then_check_passes(aigap, tmp_path):
    folder = _project(tmp_path, ["first", "second"])
    p = aigap("docs", model=folder / "SIR.mdl")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "[1/2] first.py (tables)" in p.stderr and "[2/2] second.py (tables)" in p.stderr
    assert aigap("docs", "--check", model=folder / "SIR.mdl").returncode == 0
    p = aigap("docs", "--refit", model=folder / "SIR.mdl")
    assert p.returncode == 0
    assert (folder / "calls.log").read_text().splitlines()[-2:] == [
        "first.py --write",
        "second.py --write",
    ]


def test_a_crashing_generator_stops_the_rewrite(aigap, tmp_path):
    folder = _project(tmp_path, ["broken", "later"])
    p = aigap("docs", model=folder / "SIR.mdl")
    assert p.returncode == 1
    assert "broken.py: failed" in p.stdout and "RuntimeError: boom" in p.stdout
    assert "later tables not rewritten" in p.stdout and not (folder / "later.table").exists()


def test_unknown_generator_in_profile_is_refused(aigap, tmp_path):
    folder = _project(tmp_path, ["first"])
    (folder / "SIR.profile.yaml").write_text("key_variables: [Infectious]\ndocs: [frist.py]\n")
    p = aigap("docs", model=folder / "SIR.mdl")
    assert p.returncode == 2
    assert f"{folder / 'SIR.profile.yaml'}:2: docs[0]: 'frist.py' not found" in p.stderr
    assert "did you mean 'first.py'?" in p.stderr


def test_profile_without_docs_says_so(aigap, tmp_path):
    folder = _project(tmp_path, [])
    (folder / "SIR.profile.yaml").write_text("key_variables: [Infectious]\n")
    p = aigap("docs", "--check", model=folder / "SIR.mdl")
    assert p.returncode == 2 and "lists no docs generators" in p.stderr


@pytest.mark.slow
def test_the_project_docs_are_current(aigap):
    """CI's check that every generated table in README.md and model/README.md is current."""
    p = aigap("docs", "--check", model=None)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count(": ok (") == 4
