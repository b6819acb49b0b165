"""The aigap commands end to end (subprocess) on the fixture model and scenarios."""

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

SCEN = FIXTURES / "scenarios"


def run_folders(runs):
    return sorted(p for p in runs.iterdir()) if runs.exists() else []


def test_run_prints_summary_and_writes_folder(aigap, runs):
    p = aigap("run", SCEN / "baseline.yaml", "--set", "Price War Intensity[CN]=0.5")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    for text in (
        "Scenario 'baseline'",
        "Total AI ARR [US]",
        "Model ARR [CN]",
        "Return on AI Capital [US]",
        "Total AI ARR gap, US/CN",
        "2026",
        "2030",
        "Fit to observations",
        "observations within tolerance",
        "Run folder:",
    ):
        assert text in p.stdout
    (folder,) = run_folders(runs)
    assert folder.name.endswith("-baseline-price_war_intensity_cn_0.5")  # what differs
    assert {f.name for f in folder.iterdir()} == {
        "results.csv",
        "summary.csv",
        "fit.csv",
        "manifest.json",
        "key_variables.png",
        "gap_ratios.png",
        "fit.png",
        "inputs",
    }
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sets"] == ["Price War Intensity[CN]=0.5"]
    assert manifest["command"][:2] == ["aigap", "run"]
    assert manifest["parameters"]["baseline"]["Price War Intensity"] == [0.1, 0.5]


def test_run_non_baseline_has_no_fit_report_unless_asked(aigap):
    p = aigap("run", SCEN / "truce.yaml", "--no-plots")
    assert p.returncode == 0 and "Fit to observations" not in p.stdout
    p = aigap("run", SCEN / "truce.yaml", "--no-plots", "--fit")
    assert "Fit to observations" in p.stdout


def test_compare(aigap, runs):
    p = aigap("compare", SCEN / "baseline.yaml", SCEN / "cn_push.yaml", SCEN / "truce.yaml")
    assert p.returncode == 0, p.stderr
    assert "Total AI ARR gap, US/CN (year-end)" in p.stdout
    assert "Model ARR gap, US/CN (year-end)" in p.stdout
    (folder,) = run_folders(runs)
    assert folder.name.endswith("-compare")
    assert {
        "results.csv",
        "summary.csv",
        "manifest.json",
        "key_variables.png",
        "gap_ratios.png",
    } <= {f.name for f in folder.iterdir()}


def test_list(aigap):
    p = aigap("list", "--dir", SCEN)
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["scenario", "extends", "description"]
    assert lines[3].split()[:2] == ["truce", "cn_push"]


def test_params(aigap):
    p = aigap("params", "--scenario", SCEN / "truce.yaml")
    assert p.returncode == 0, p.stderr
    assert "Price War Intensity[Region]  (Dmnl)" in p.stdout
    assert "range [0, 1]" in p.stdout and "Competitive pressure on token prices" in p.stdout
    assert "ARR Churn Rate[Region]  (1/Year)  US=0.1  CN=0.1" in p.stdout
    p = aigap("params", "Depreciation", "--format", "csv")
    assert p.stdout.splitlines() == [
        "name,dims,element,unit,value,default,min,max,source",
        "Depreciation Rate,,,1/Year,0.2,0.2,0.05,0.5,"
        "Straight-line depreciation of AI capital; fixture value.",
    ]


def test_check_ok(aigap):
    p = aigap("check", *sorted(SCEN.glob("*.yaml")), SCEN / "data" / "observations.yaml")
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(": ok") == 4


BAD = [
    (
        "description: x\nconstants:\n  Price War Intensty: 0.5\n",
        "{f}:3: constants.Price War Intensty: unknown model constant; "
        "did you mean 'Price War Intensity'?",
    ),
    (
        "description: x\nextends: basline\n",
        "{f}:2: extends: parent scenario 'basline' not found (looked for {d}/basline.yaml); "
        "did you mean 'baseline'?",
    ),
    (
        "description: x\nconstants:\n  Depreciation Rate: 2\n",
        "{f}:3: constants.Depreciation Rate: 2 is outside the allowed range [0.05, 0.5] 1/Year",
    ),
]


def write_bad(tmp_path):
    (tmp_path / "baseline.yaml").write_text("description: base\n")
    files, lines = [], []
    for k, (text, line) in enumerate(BAD):
        f = tmp_path / f"bad{k}.yaml"
        f.write_text(text)
        files.append(f)
        lines.append(line.format(f=f, d=tmp_path))
    return files, lines


@pytest.mark.parametrize("command, case", [("run", 0), ("run", 1), ("run", 2), ("compare", 0)])
def test_bad_input_exit_2_one_line_nothing_written(aigap, runs, tmp_path, command, case):
    files, lines = write_bad(tmp_path)
    p = aigap(command, files[case])
    assert p.returncode == 2
    assert p.stderr.splitlines() == [lines[case]]
    assert "Traceback" not in p.stderr and p.stdout == ""
    assert run_folders(runs) == []


def test_check_reports_every_bad_file(aigap, runs, tmp_path):
    files, lines = write_bad(tmp_path)
    p = aigap("check", SCEN / "baseline.yaml", *files)
    assert p.returncode == 2
    assert p.stderr.splitlines() == lines
    assert p.stdout.splitlines() == [f"{SCEN / 'baseline.yaml'}: ok (0 overrides)"]
    assert run_folders(runs) == []


def test_bad_set_exit_2(aigap, runs):
    p = aigap("run", SCEN / "baseline.yaml", "--set", "Price War Intensity[CN]=7")
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        "--set: Price War Intensity[CN]=7: 7 is outside the allowed range [0, 1] Dmnl"
    ]
    assert run_folders(runs) == []


def test_missing_files_and_model(aigap, runs, tmp_path):
    p = aigap("run", tmp_path / "nope.yaml")
    assert p.returncode == 2 and p.stderr.strip() == f"{tmp_path / 'nope.yaml'}: file not found"
    p = aigap("run", SCEN / "baseline.yaml", model=tmp_path / "none.mdl")
    assert (
        p.returncode == 2 and p.stderr.strip() == f"{tmp_path / 'none.mdl'}: model file not found"
    )
    p = aigap("run", SCEN / "baseline.yaml", "--engine", "pysd", "--method", "rk4")
    assert p.returncode == 2 and "euler only" in p.stderr
    assert run_folders(runs) == []


def test_analysis_hook_is_called():
    """The commands registered by aigap.analysis.cli appear in the parser."""
    from aigap.cli import build_parser, register_analysis

    parser, sub = build_parser()
    before = set(sub.choices)
    register_analysis(sub)
    assert {"run", "compare", "list", "params", "check"} <= before
    assert set(sub.choices) - before == {
        "sweep",
        "sensitivity",
        "calibrate",
        "discover",
        "report",
        "posterior",
        "loops",
        "optimize",
        "export",
        "oat",
    }


@pytest.mark.parametrize(
    "engine, ran", [("auto", "numpy"), ("numpy", "numpy"), ("compiled", "compiled")]
)
def test_engine_option_reaches_the_engine(aigap, runs, engine, ran):
    p = aigap("run", SCEN / "truce.yaml", "--no-plots", "--no-observations", "--engine", engine)
    assert p.returncode == 0, p.stderr
    assert f"({ran} engine" in p.stdout
    (folder,) = run_folders(runs)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["engine"] == ran and manifest["engine_requested"] == engine
    assert ("compiled" in manifest["engine_backends"]) == (ran == "compiled")


def test_unknown_engine_is_bad_input(aigap, runs):
    p = aigap("run", SCEN / "truce.yaml", "--engine", "fortran")
    assert p.returncode == 2 and "invalid choice: 'fortran'" in p.stderr
    assert run_folders(runs) == []
