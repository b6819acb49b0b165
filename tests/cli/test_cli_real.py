"""The aigap commands end to end on the real model, scenarios and observations."""

import json
from pathlib import Path

import pandas as pd
import pytest

from aigap.workflow import DEFAULT_SCENARIOS

ROOT = Path(__file__).resolve().parents[2]

SCEN = ROOT / "scenarios"
OBS = SCEN / "data" / "observations.yaml"


@pytest.fixture(scope="module")
def real_model():
    from aigap.engine import compile_model

    return compile_model(ROOT / "model" / "ai_gap.mdl")


def test_the_named_scenarios_exist():
    assert all((SCEN / f"{n}.yaml").is_file() for n in DEFAULT_SCENARIOS)


def test_check_all_real_files(aigap):
    files = sorted(SCEN.glob("*.yaml"))
    sweeps = sorted((SCEN / "sweeps").glob("*.yaml"))
    p = aigap("check", *files, *sweeps, OBS, model=None)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(": ok (") == len(files) + len(sweeps) + 1
    assert p.stdout.count(": ok (sweep)") == len(sweeps)
    assert p.stdout.count(": ok (observations:") == 1


def test_list(aigap):
    p = aigap("list", model=None)
    assert p.returncode == 0, p.stderr
    rows = {line.split()[0]: line for line in p.stdout.splitlines()[1:] if line[:1] != " "}
    assert set(DEFAULT_SCENARIOS) <= set(rows)
    assert not any("INVALID" in r for r in rows.values())


def test_params_lists_every_constant(aigap, real_model):
    p = aigap("params", model=None)
    assert p.returncode == 0, p.stderr
    assert f"{len(real_model.constants)} tunable constants" in p.stdout.splitlines()[0]
    for name, info in real_model.constants.items():
        head = f"{name}[{','.join(info.dims)}]" if info.dims else name
        assert f"\n{head}  ({info.units or 'no unit'})" in p.stdout, name
    csv = aigap("params", "--format", "csv", model=None)
    table = pd.read_csv(pd.io.common.StringIO(csv.stdout))
    assert set(table.name) == set(real_model.constants)


def test_run_scenario(aigap, runs):
    p = aigap("run", SCEN / "china_embedding.yaml", model=None)
    assert p.returncode == 0, p.stderr
    assert "Scenario 'china_embedding'" in p.stdout and "Total AI ARR gap, US/CN" in p.stdout
    assert "Fit to observations" not in p.stdout
    (folder,) = runs.iterdir()
    summary = pd.read_csv(folder / "summary.csv")
    assert set(summary.year) == {2026, 2027, 2028, 2029, 2030}
    assert summary.value.notna().all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"]["path"].endswith("ai_gap.mdl")
    assert manifest["scenarios"][0]["files"][0]["path"].endswith("baseline.yaml")


def test_run_baseline_prints_fit(aigap, runs):
    from aigap.observations import load_observations

    p = aigap("run", SCEN / "baseline.yaml", "--no-plots", model=None)
    assert p.returncode == 0, p.stderr
    assert "Fit to observations" in p.stdout and "observations within tolerance" in p.stdout
    (folder,) = runs.iterdir()
    fit = pd.read_csv(folder / "fit.csv")
    assert len(fit) == len(load_observations(OBS).fitted)


def test_compare_default_scenarios(aigap, runs):
    p = aigap("compare", model=None)
    assert p.returncode == 0, p.stderr
    for name in DEFAULT_SCENARIOS:
        assert name in p.stdout
    (folder,) = runs.iterdir()
    assert set(pd.read_csv(folder / "summary.csv").scenario) == set(DEFAULT_SCENARIOS)
    assert {"key_variables.png", "gap_ratios.png", "results.csv", "manifest.json"} <= {
        f.name for f in folder.iterdir()
    }
    # the README's example table is this output, character for character
    assert readme_gap_table() == gap_table(p.stdout), (
        "README.md's gap table is stale: replace the block after 'make demo` (= `aigap "
        "compare`) prints' with:\n" + gap_table(p.stdout)
    )


README_TABLE_TITLE = "Total AI ARR gap, US/CN (year-end)"


def gap_table(text: str) -> str:
    """The first gap table of `aigap compare` output: title line to the first blank line."""
    lines = text.splitlines()
    start = lines.index(README_TABLE_TITLE)
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return "\n".join(lines[start:end])


def readme_gap_table() -> str:
    """The fenced block of README.md that starts with the gap table's title."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(README_TABLE_TITLE)
    assert lines[start - 1] == "```"
    end = lines.index("```", start)
    return "\n".join(lines[start:end])


def test_typo_in_a_real_scenario(aigap, runs, tmp_path, real_model):
    name = sorted(real_model.constants)[0]
    typo = name[:-1] + ("x" if name[-1] != "x" else "y")
    (tmp_path / "baseline.yaml").write_text((SCEN / "baseline.yaml").read_text())
    bad = tmp_path / "mine.yaml"
    bad.write_text(f"description: typo\nextends: baseline\nconstants:\n  {typo}: 1\n")
    p = aigap("run", bad, model=None)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        f"{bad}:4: constants.{typo}: unknown model constant; did you mean '{name}'?"
    ]
    assert not runs.exists() or not any(runs.iterdir())
