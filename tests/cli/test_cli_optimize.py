"""``aigap optimize`` end to end on the real model and the shipped policy files (small
budget, numpy engine): worlds from the newest posterior folder, tables, plots, ready
scenarios that ``aigap check`` accepts, the seed in the manifest."""

import json
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "scenarios" / "policies"


def _fake_posterior(runs: Path, name="20260101-000000-posterior-baseline") -> Path:
    """A posterior-shaped folder: draws.csv (two constants, 6 rows) and a manifest."""
    d = runs / name
    d.mkdir(parents=True)
    pd.DataFrame(
        {
            "Base Usage Growth": [0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
            "Capital per ARR": [2.0, 2.2, 2.4, 2.6, 2.8, 3.0],
            "log_post": [-1.0] * 6,
        }
    ).to_csv(d / "draws.csv", index=False)
    (d / "manifest.json").write_text(json.dumps({"kind": "posterior"}))
    return d


@pytest.mark.parametrize("policy", ["china_levers.yaml", "china_levers_pareto.yaml"])
def test_shipped_policy_small_budget(aigap, runs, policy):
    post = _fake_posterior(runs)
    r = aigap(
        "optimize",
        POLICIES / policy,
        "--count",
        "4",
        "--generations",
        "1",
        "--population",
        "8",
        "--engine",
        "numpy",
        model=None,
    )
    assert r.returncode == 0, r.stderr
    assert "generation 1/1" in r.stderr and "at most" in r.stderr  # size first, progress
    assert "no change" in r.stdout and "policy 1" in r.stdout
    folder = Path(r.stdout.split("Run folder: ")[1].split()[0])
    assert folder.parent == runs
    for f in (
        "best.csv",
        "evaluations.csv",
        "worlds.csv",
        "levers.csv",
        "levers.png",
        "worlds.png",
        "manifest.json",
        "policies/policy_1.yaml",
    ):
        assert (folder / f).is_file(), f
    multi = "pareto" in policy
    assert (folder / ("pareto.png" if multi else "convergence.png")).is_file()
    man = json.loads((folder / "manifest.json").read_text())
    assert (
        man["seed"] == {"china_levers.yaml": 20260718, "china_levers_pareto.yaml": 20260719}[policy]
    )
    assert man["worlds"]["path"] == str((post / "draws.csv").resolve())
    assert man["worlds"]["count"] == 4 and len(man["worlds"]["rows_used"]) == 4
    assert man["policy"]["command_line_overrides"] == {
        "population": 8,
        "generations": 1,
        "count": 4,
    }
    ev = pd.read_csv(folder / "evaluations.csv")
    assert {"Embedding Push[CN]", "Price War Intensity[CN] from", "arr_gap_2030"} <= set(ev)
    starts = ev["Price War Intensity[CN] from"]
    assert starts.between(2026.5, 2029).all() and ((starts * 4) % 1 == 0).all()  # grid 0.25
    chk = aigap("check", *sorted((folder / "policies").glob("*.yaml")), model=None)
    assert chk.returncode == 0, chk.stdout + chk.stderr


def test_worlds_override_and_bad_count(aigap, runs, tmp_path):
    post = _fake_posterior(tmp_path / "elsewhere")
    r = aigap(
        "optimize", POLICIES / "china_levers.yaml", "--worlds", post, "--count", "0", model=None
    )
    assert r.returncode == 2 and "--count" in r.stderr
    assert not runs.exists() or not any(runs.iterdir())
    r = aigap("optimize", POLICIES / "china_levers.yaml", "--worlds", tmp_path / "nope", model=None)
    assert r.returncode == 2 and "not found (--worlds)" in r.stderr
