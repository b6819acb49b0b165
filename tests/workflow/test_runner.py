"""run_scenarios on the fixture model: results, tables, fit, run folder."""

import json

import numpy as np
import pandas as pd
import pytest

from aigap.scenarios import ScenarioError
from aigap.workflow import format_fit, format_gap_table, format_summary, run_scenarios
from aigap.workflow.summary import year_end

from .conftest import FIXTURES

SCEN = FIXTURES / "scenarios"


@pytest.fixture(scope="module")
def compare(cm, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    paths = [SCEN / "baseline.yaml", SCEN / "cn_push.yaml", SCEN / "truce.yaml"]
    return run_scenarios(paths, model=cm, runs_dir=runs, command=["test"]), runs


def test_compare_folder_contents(compare):
    out, runs = compare
    assert out.kind == "compare" and list(out.results) == ["baseline", "cn_push", "truce"]
    assert [p.parent for p in runs.iterdir()] == [runs] and out.run_dir.parent == runs
    files = sorted(p.name for p in out.run_dir.iterdir())
    assert files == [
        "fit.csv",
        "fit.png",
        "gap_ratios.png",
        "inputs",
        "key_variables.png",
        "manifest.json",
        "results.csv",
        "summary.csv",
    ]
    inputs = sorted(p.name for p in (out.run_dir / "inputs").iterdir())
    assert inputs == ["baseline.yaml", "cn_push.yaml", "data", "mini_gap.mdl", "truce.yaml"]
    assert (out.run_dir / "inputs" / "data" / "observations.yaml").read_text() == (
        SCEN / "data" / "observations.yaml"
    ).read_text()
    assert (out.run_dir / "inputs" / "truce.yaml").read_text() == (SCEN / "truce.yaml").read_text()
    res = pd.read_csv(out.run_dir / "results.csv")
    assert list(res.columns) == ["scenario", "time", "variable", "region", "value"]
    assert set(res.scenario) == {"baseline", "cn_push", "truce"}
    manifest = json.loads((out.run_dir / "manifest.json").read_text())
    assert [s["name"] for s in manifest["scenarios"]] == ["baseline", "cn_push", "truce"]
    assert len(manifest["scenarios"][2]["files"]) == 3  # truce's chain, root first
    assert manifest["observations"]["path"].endswith("observations.yaml")
    assert manifest["engine"] == "numpy" and manifest["kind"] == "compare"
    assert manifest["engine_requested"] == "auto"  # auto ran numpy for single runs


def test_summary_year_end_values(compare):
    out, _ = compare
    s = out.summary
    res = out.results["truce"]
    row = s[
        (s.scenario == "truce")
        & (s.variable == "Total AI ARR")
        & (s.region == "CN")
        & (s.year == 2030)
    ]
    t = list(res.time).index(2031.0)
    assert row.value.item() == pytest.approx(res["Total AI ARR"][0, t, 1])
    gap = s[(s.scenario == "truce") & (s.variable == "ARR Gap Ratio") & (s.year == 2027)]
    assert gap.region.item() == "" and gap.value.item() == pytest.approx(
        year_end(res, "Total AI ARR", 2027)[0] / year_end(res, "Total AI ARR", 2027)[1]
    )
    assert set(s.year) == {2026, 2027, 2028, 2029, 2030}
    text = format_gap_table(s)
    assert "Total AI ARR gap, US/CN (year-end)" in text and "truce" in text
    assert "Total AI ARR [US]" in format_summary(s, "baseline")


def test_scenarios_change_results(compare):
    out, _ = compare
    base = out.results["baseline"]["Model ARR"][0, -1]
    push = out.results["cn_push"]["Model ARR"][0, -1]
    assert push[0] == pytest.approx(base[0])  # US untouched
    assert push[1] > base[1]  # CN price war eased + faster growth


def test_fit_report(compare):
    out, _ = compare
    fit = out.fit[out.fit.scenario == "baseline"]
    assert list(fit.id) == [
        "us_model_arr_2026",
        "anthropic_share",
        "cn_total_more_than",
        "cn_capex_at_most",
        "gap_range",
    ]
    text = format_fit(fit)
    assert "observations within tolerance" in text and "0.45 x Model ARR[US]" in text


def test_engine_matches_pysd_reference(cm, tmp_path):
    kw = dict(model=cm, write=False, observations=None)
    a = run_scenarios([SCEN / "truce.yaml"], engine="numpy", **kw)
    b = run_scenarios([SCEN / "truce.yaml"], engine="pysd", **kw)
    for name in ("Total AI ARR", "Model ARR", "ARR Gap Ratio"):
        np.testing.assert_allclose(a.results["truce"][name], b.results["truce"][name], rtol=1e-9)


def test_rk4_close_to_euler(cm):
    kw = dict(model=cm, write=False, observations=None)
    e = run_scenarios([SCEN / "baseline.yaml"], method="euler", **kw).summary.value
    r = run_scenarios([SCEN / "baseline.yaml"], method="rk4", **kw).summary.value
    np.testing.assert_allclose(e, r, rtol=0.1)  # dt = 1/32: euler error is a few %
    assert not np.allclose(e, r, rtol=1e-6)  # the method option reaches the engine


def test_bad_input_writes_nothing(cm, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: x\nconstants:\n  Price War Intensty: 0.5\n")
    runs = tmp_path / "runs"
    with pytest.raises(ScenarioError):
        run_scenarios([SCEN / "baseline.yaml", bad], model=cm, runs_dir=runs)
    with pytest.raises(ScenarioError):
        run_scenarios([SCEN / "baseline.yaml"], model=cm, runs_dir=runs, sets=["Nope=1"])
    assert not runs.exists() or list(runs.iterdir()) == []


def test_model_too_short_is_a_clear_input_error(tmp_path):
    from aigap.scenarios import InputError

    text = (
        (FIXTURES / "mini_gap.mdl").read_text().replace("FINAL TIME  = 2031", "FINAL TIME  = 2029")
    )
    short = tmp_path / "short.mdl"
    short.write_text(text)
    with pytest.raises(
        InputError,
        match=r"year-end 2029 \(time 2030\) is outside the "
        r"simulated period \[2024, 2029\]",
    ):
        run_scenarios([SCEN / "baseline.yaml"], model=short, write=False, observations=None)
