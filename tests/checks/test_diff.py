"""``aigap diff``: structural diff, behavioural buckets, git revisions, the report files."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from aigap.checks.compare import bucket, pct_of_range
from aigap.checks.diffjob import diff_models
from aigap.checks.structure import equations, structural_diff
from aigap.scenarios import InputError

TANK = Path(__file__).parent / "fixtures" / "tank.mdl"
# Downstream of Drain Fraction in the tank model (itself included); the rest is upstream.
DOWNSTREAM = {"Drain Fraction", "Drain", "Level", "Cumulative Drain", "Full Share", "Total Level"}
UPSTREAM = {"Fill Rate", "Fill", "Fixed Drain", "Initial Level", "Capacity", "Cumulative Fill"}


def changed_copy(tmp_path, old="\t0.2\n", new="\t0.25\n", name="tank2.mdl") -> Path:
    text = TANK.read_text()
    assert text.count(old) == 1
    p = tmp_path / name
    p.write_text(text.replace(old, new))
    return p


def test_pct_of_range_and_buckets():
    old = np.array([0.0, 5.0, 10.0])
    assert pct_of_range(old, old) == (0.0, 0.0, 0)
    pct, mx, k = pct_of_range(old, np.array([0.0, 5.5, 10.0]))
    assert pct == pytest.approx(5.0) and mx == pytest.approx(0.5) and k == 1
    flat = np.full(3, 4.0)
    assert pct_of_range(flat, flat * 1.1)[0] == pytest.approx(100 * 0.4 / 4.4)  # magnitude
    noise = np.full(3, 0.43)
    assert pct_of_range(noise, noise + 1e-16)[0] < 1e-3  # rounding stays tiny
    assert np.isnan(pct_of_range(old, np.array([0.0, np.nan, 10.0]))[0])
    assert [bucket(p, False) for p in (0.5, 3, 7, 40)] == ["<1%", "<5%", "<10%", ">=10%"]
    assert bucket(0.0, True) == "identical"


def test_equations_by_variable():
    eqs = equations(TANK.read_text())
    assert {"Level", "Drain", "Fill Rate", "TIME STEP"} <= set(eqs)
    assert eqs["Drain Fraction"].units == "1/Year [0,1]"
    assert TANK.read_text().splitlines()[eqs["Level"].line - 1].startswith("Level[Region]")


def test_structural_diff_kinds(tmp_path):
    text = TANK.read_text()
    assert structural_diff(text, text) == []
    new = (
        text.replace("\t0.2\n", "\t0.25\n")
        .replace("~\tFractional outflow.", "~\tOutflow share per year.")
        .replace("Capacity=\n\t100\n\t~\tWidget [0,1000]", "Capacity=\n\t100\n\t~\tWidget [0,2000]")
    )
    new += "\nSpare=\n\t1\n\t~\tDmnl\n\t~\tNew.\n\t|\n"
    kinds = {c.name: c.kind for c in structural_diff(text, new)}
    assert kinds == {"Drain Fraction": "equation", "Capacity": "units", "Spare": "added"}
    kinds = {c.name: c.kind for c in structural_diff(new, text)}
    assert kinds["Spare"] == "removed"
    doc_only = text.replace("~\tThe tank.", "~\tThe water tank.")
    assert [(c.name, c.kind) for c in structural_diff(text, doc_only)] == [("Level", "doc")]


def test_diff_against_itself_is_identical(tmp_path):
    out = diff_models(str(TANK), str(TANK), scenarios=[], runs_dir=tmp_path / "runs")
    assert out.changes == []
    assert out.diffs and {d.bucket for d in out.diffs} == {"identical"}
    assert "Every compared series is identical." in out.summary
    assert not (out.run_dir / "biggest_changes.png").exists()


def test_one_changed_constant_moves_exactly_its_downstream(tmp_path):
    new = changed_copy(tmp_path)
    out = diff_models(str(TANK), str(new), scenarios=[], runs_dir=tmp_path / "runs")
    assert [(c.name, c.kind) for c in out.changes] == [("Drain Fraction", "equation")]
    moved = {d.variable for d in out.diffs if d.bucket != "identical"}
    same = {d.variable for d in out.diffs if d.bucket == "identical"}
    assert moved == DOWNSTREAM and same == UPSTREAM
    lvl = next(d for d in out.diffs if d.label == "Level[A]")
    assert lvl.bucket == ">=10%" and lvl.time == 10.0
    files = {p.name for p in out.run_dir.iterdir()}
    assert {
        "report.html",
        "summary.txt",
        "differences.csv",
        "equations.diff",
        "manifest.json",
        "biggest_changes.png",
        "models",
    } <= files
    html = (out.run_dir / "report.html").read_text()
    assert "Drain Fraction" in html and "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html  # offline page
    assert "-Drain Fraction= 0.2" in (out.run_dir / "equations.diff").read_text()


def test_scenarios_run_under_both_models(tmp_path):
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "low.yaml").write_text("description: low fill\nconstants: {Fill Rate: 1}\n")
    (scen / "odd.yaml").write_text("description: x\nconstants: {Drain Fraction: 0.5}\n")
    new = tmp_path / "renamed.mdl"
    new.write_text(TANK.read_text().replace("Drain Fraction", "Outflow Fraction"))
    out = diff_models(
        str(TANK),
        str(new),
        scenarios=[scen / "low.yaml", scen / "odd.yaml"],
        runs_dir=tmp_path / "runs",
    )
    assert {d.scenario for d in out.diffs} == {"low"}
    assert any("scenario odd does not run under the new model" in n for n in out.notes)
    kinds = {c.name: c.kind for c in out.changes}
    assert kinds == {"Drain Fraction": "removed", "Outflow Fraction": "added", "Drain": "equation"}
    assert {d.bucket for d in out.diffs} == {"identical"}  # a pure rename


def test_git_revision(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "model").mkdir(parents=True)
    model = repo / "model" / "ai_gap.mdl"
    model.write_bytes(TANK.read_bytes())

    def git(*a):
        subprocess.run(
            ["git", "-c", "user.email=t@t", "-c", "user.name=t", *a],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "one")
    model.write_text(TANK.read_text().replace("\t0.2\n", "\t0.3\n"))
    monkeypatch.chdir(repo)
    out = diff_models("HEAD", None, scenarios=[], runs_dir=tmp_path / "runs", plots=False)
    assert out.old == "HEAD:model/ai_gap.mdl" and out.new.endswith("ai_gap.mdl")
    assert [c.name for c in out.changes] == ["Drain Fraction"]
    out = diff_models(
        "HEAD:model/ai_gap.mdl", str(model), scenarios=[], runs_dir=tmp_path / "runs", plots=False
    )
    assert [c.name for c in out.changes] == ["Drain Fraction"]
    with pytest.raises(InputError, match="neither a model file nor a git revision"):
        diff_models("nosuchrev", None, scenarios=[], runs_dir=tmp_path / "runs")
    assert {
        p.name for p in (tmp_path / "runs").iterdir() if p.name.startswith(".tmp")
    } == set()  # nothing half-written


def test_checks_under_both_models(tmp_path):
    checks = tmp_path / "checks.yaml"
    checks.write_text(
        "description: x\nchecks:\n  - name: tank A fills above 40\n    expect:\n"
        "      - {variable: Level, element: A, at: 10, '>=': 40}\n"
    )
    out = diff_models(
        str(TANK),
        str(changed_copy(tmp_path)),
        scenarios=[],
        plots=False,
        runs_dir=tmp_path / "runs",
        checks=str(checks),
    )
    assert out.checks == [("tank A fills above 40", "ok 1/1", "FAIL 0/1")]
    assert "tank A fills above 40" in out.summary and "CHANGED" in out.summary
    assert "Reality checks" in (out.run_dir / "report.html").read_text()
