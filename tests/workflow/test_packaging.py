"""One version source, a licence file and a changelog that names the version; the wheel
ships the model and scenarios, found outside the checkout."""

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import aigap
from aigap.workflow import DEFAULT_SCENARIOS

ROOT = Path(__file__).resolve().parents[2]


def test_installed_version_is_the_package_version():
    assert version("aigap") == aigap.__version__


def test_cli_version_flag():
    out = subprocess.run(
        [sys.executable, "-m", "aigap.cli", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == f"aigap {aigap.__version__}"


def test_licence_and_changelog():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    log = (ROOT / "CHANGELOG.md").read_text()
    assert f"## {aigap.__version__}" in log
    assert 'version = "' not in (ROOT / "pyproject.toml").read_text()  # no second source


def _ignore_for_build(folder, names):
    skip = {
        ".venv",
        ".git",
        "runs",
        "build",
        "dist",
        "tests",
        "benchmarks",
        "docs",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".aigap_cache",
    }
    return [n for n in names if n in skip or n.endswith(".egg-info")]


@pytest.mark.slow
def test_wheel_finds_model_and_scenarios_outside_the_checkout(tmp_path):
    """A wheel carries model/, scenarios/ and schemas/ (aigap/_project); installed outside a
    checkout, `python -m aigap list` lists the six named scenarios from there."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=_ignore_for_build)  # build never writes the checkout
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    build = subprocess.run(
        [*pip, "wheel", str(tree), "--no-deps", "-q", "-w", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp_path / "w").glob("aigap-*.whl"))
    site = tmp_path / "site"
    inst = subprocess.run(
        [*pip, "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    shipped = site / "aigap" / "_project"
    assert (shipped / "model" / "ai_gap.mdl").read_bytes() == (
        ROOT / "model" / "ai_gap.mdl"
    ).read_bytes()
    assert (shipped / "schemas" / "scenario.schema.json").is_file()
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("AIGAP_MODEL", "AIGAP_PROJECT")}
    env["PYTHONPATH"] = str(site)
    p = subprocess.run(
        [sys.executable, "-m", "aigap", "list"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    names = {line.split()[0] for line in p.stdout.splitlines()[1:] if line[:1] != " "}
    assert set(DEFAULT_SCENARIOS) <= names, p.stdout
    code = "import aigap.workflow as w; print(w.find_model()); print(w.scenarios_dir())"
    p = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr
    assert [Path(x) for x in p.stdout.split()] == [
        shipped / "model" / "ai_gap.mdl",
        shipped / "scenarios",
    ]


def _project(folder: Path, scenario="only_here") -> Path:
    (folder / "model").mkdir(parents=True)
    shutil.copy(ROOT / "model" / "ai_gap.mdl", folder / "model" / "ai_gap.mdl")
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / f"{scenario}.yaml").write_text("description: a project of its own\n")
    return folder


def test_lookup_order_explicit_project_then_cwd_then_checkout(tmp_path, monkeypatch):
    from aigap.core.errors import InputError
    from aigap.workflow import find_model, scenarios_dir
    from aigap.workflow.project import PROJECT_ENV

    monkeypatch.delenv("AIGAP_MODEL", raising=False)
    monkeypatch.delenv(PROJECT_ENV, raising=False)
    here = _project(tmp_path / "here")
    monkeypatch.chdir(here)
    assert find_model().resolve() == here / "model" / "ai_gap.mdl"  # cwd before checkout
    assert scenarios_dir().resolve() == here / "scenarios"
    monkeypatch.chdir(tmp_path)  # nothing here: checkout
    assert find_model().resolve() == ROOT / "model" / "ai_gap.mdl"
    other = _project(tmp_path / "other")
    monkeypatch.setenv(PROJECT_ENV, str(other))
    monkeypatch.chdir(here)  # explicit beats cwd
    assert find_model() == other / "model" / "ai_gap.mdl"
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(PROJECT_ENV, str(empty))
    with pytest.raises(InputError) as exc:
        find_model()
    msg = str(exc.value)
    assert str(empty / "model" / "ai_gap.mdl") in msg and "--project DIR" in msg, msg


def test_cli_project_option(aigap, tmp_path):
    proj = _project(tmp_path / "proj")
    p = aigap("--project", proj, "list", model=None)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[3] == "only_here" and "baseline" not in p.stdout, p.stdout
    p = aigap("--project", tmp_path / "missing", "list", model=None)
    assert p.returncode == 2 and "--project folder not found" in p.stderr
    p = aigap("--project", tmp_path, "list", model=None)  # a folder without scenarios/
    assert p.returncode == 2 and f"tried {tmp_path / 'scenarios'}" in p.stderr, p.stderr
