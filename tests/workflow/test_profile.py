"""The project profile (model contract): the shipped one, a second model's, bad files."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from aigap.core import keys
from aigap.core.errors import InputError
from aigap.core.profile import profile_path, shipped_profile
from aigap.scenarios.profile_file import default_profile, load_profile, profile_for

ROOT = Path(__file__).resolve().parents[2]
SIR = ROOT / ".." / "shared" / "sd-conformance" / "samples" / "SIR" / "SIR.mdl"
SIR_PROFILE = {
    "description": "SIR epidemic (a conformance model)",
    "key_variables": ["Infectious", "Susceptible", "Recovered", "Succumbing"],
    "summary_variables": ["Infectious", "Recovered"],
    "report_years": {"first": 20, "last": 23},
    "default_scenarios": ["flu", "measles"],
}


@pytest.fixture(scope="module")
def real():
    from aigap.engine import compile_model

    return compile_model(ROOT / "model" / "ai_gap.mdl")


def test_shipped_profile_is_valid_and_is_what_keys_exposes(real):
    checked = load_profile(profile_path(real.path), model=real)
    assert checked == shipped_profile() == keys.PROFILE
    assert keys.GAPS == checked.gaps and keys.KEY_VARIABLES == checked.key_variables
    assert keys.YEARS == tuple(range(2026, 2031))
    assert profile_for(real) == checked
    assert all(real.variables[g.of].dims == ("Region",) for g in checked.gap_ratios)


def test_a_copy_of_the_project_model_without_profile_uses_the_shipped_one(real, tmp_path):
    from aigap.engine import compile_model

    copy = tmp_path / "variant.mdl"
    copy.write_bytes(Path(real.path).read_bytes())
    assert profile_for(compile_model(copy)) is shipped_profile()


@pytest.fixture
def sir_project(tmp_path):
    folder = tmp_path / "sir"
    (folder / "scenarios").mkdir(parents=True)
    (folder / "SIR.mdl").write_bytes(SIR.read_bytes())
    (folder / "SIR.profile.yaml").write_text(yaml.safe_dump(SIR_PROFILE, sort_keys=False))
    (folder / "scenarios" / "flu.yaml").write_text("name: flu\ndescription: defaults\n")
    (folder / "scenarios" / "measles.yaml").write_text(
        "name: measles\ndescription: more contagious\nconstants:\n  Contact Infectivity: 0.9\n"
    )
    return folder


def test_second_model_without_profile_gets_a_derived_one():
    from aigap.engine import compile_model

    cm = compile_model(SIR)
    prof = profile_for(cm)
    assert set(prof.key_variables) == {"Susceptible", "Infectious", "Recovered"}  # stocks
    assert prof.gaps == () and prof.region_dimension is None
    assert prof.report_years[0] >= cm.initial_time and prof.report_years[-1] + 1 <= 100
    assert prof == default_profile(cm)


def test_second_model_with_its_profile_runs_and_compares(aigap, sir_project, tmp_path):
    model = sir_project / "SIR.mdl"
    p = aigap("compare", model=model, cwd=sir_project)
    assert p.returncode == 0, p.stderr
    assert "Comparing 2 scenarios: flu, measles" in p.stdout  # the profile's defaults
    folder = next((tmp_path / "runs").glob("*-compare"))
    summary = pd.read_csv(folder / "summary.csv")
    assert list(dict.fromkeys(summary.variable)) == SIR_PROFILE["summary_variables"]
    assert sorted(set(summary.year)) == [20, 21, 22, 23]
    flu = summary[(summary.scenario == "flu") & (summary.variable == "Recovered")]
    measles = summary[(summary.scenario == "measles") & (summary.variable == "Recovered")]
    assert (measles.value.to_numpy() > flu.value.to_numpy()).all()  # the override acts
    assert (folder / "key_variables.png").is_file()
    assert not (folder / "gap_ratios.png").exists()  # the profile has none
    assert (folder / "inputs" / "SIR.profile.yaml").is_file()  # re-runnable as made
    results = pd.read_csv(folder / "results.csv")
    assert set(SIR_PROFILE["key_variables"][:3]) <= set(results.variable)


def test_second_model_run_prints_the_profile_table(aigap, sir_project):
    p = aigap(
        "run",
        sir_project / "scenarios" / "measles.yaml",
        model=sir_project / "SIR.mdl",
        cwd=sir_project,
    )
    assert p.returncode == 0, p.stderr
    head = next(line for line in p.stdout.splitlines() if line.startswith("year-end"))
    assert head.split() == ["year-end", "20", "21", "22", "23"]
    assert any(line.startswith("Infectious") for line in p.stdout.splitlines())


BAD = [
    (
        lambda d: d.update(key_variable=["Infectious"]),
        "key_variable: unknown key",
        "did you mean 'key_variables'",
    ),
    (
        lambda d: d["key_variables"].__setitem__(1, "Susceptibel"),
        "key_variables[1]: 'Susceptibel' is not a variable of SIR.mdl",
        "did you mean 'Susceptible'",
    ),
    (
        lambda d: d.update(report_years={"first": 20, "last": 400}),
        "report_years: year-ends",
        "outside the model's run",
    ),
    (
        lambda d: d.update(report_years={"first": 20.5, "last": 23}),
        "report_years.first: expected a whole year",
        None,
    ),
    (
        lambda d: d.update(regions={"dimension": "Region", "elements": ["US", "CN"]}),
        "regions.dimension: 'Region' is not a subscript range",
        None,
    ),
    (
        lambda d: d.update(gap_ratios={"Infectious": {"of": "Recovered"}}),
        "gap_ratios: gap ratios need regions",
        None,
    ),
    (lambda d: d.pop("key_variables"), "key_variables: required", None),
]


@pytest.mark.parametrize("change, message, hint", BAD, ids=[m[:30] for _, m, _ in BAD])
def test_bad_profile_is_one_line_per_problem_exit_2_nothing_written(
    aigap, sir_project, tmp_path, change, message, hint
):
    data = dict(SIR_PROFILE, key_variables=list(SIR_PROFILE["key_variables"]))
    change(data)
    text = yaml.safe_dump(data, sort_keys=False)
    (sir_project / "SIR.profile.yaml").write_text(text)
    p = aigap(
        "run",
        sir_project / "scenarios" / "flu.yaml",
        model=sir_project / "SIR.mdl",
        cwd=sir_project,
    )
    assert p.returncode == 2, p.stdout + p.stderr
    line = next(s for s in p.stderr.splitlines() if message in s)
    assert line.startswith(str(sir_project / "SIR.profile.yaml") + ":"), line
    if hint:
        assert hint in line
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_profile_file_errors_carry_line_numbers(tmp_path, real):
    path = tmp_path / "p.yaml"
    path.write_text(
        "key_variables:\n  - Total AI ARR\n  - Modle ARR\n"
        "gap_ratios:\n  ARR Gap Ratio: {of: Total AI ARR}\n"
    )
    with pytest.raises(InputError) as exc:
        load_profile(path, model=real)
    lines = [str(i) for i in exc.value.issues]
    assert (
        f"{path}:3: key_variables[1]: 'Modle ARR' is not a variable of ai_gap.mdl; "
        "did you mean 'Model ARR'?" in lines
    )
    assert any(s.startswith(f"{path}:5: gap_ratios: gap ratios need regions") for s in lines)


def test_second_model_without_profile_is_refused_by_run(aigap, sir_project, tmp_path):
    (sir_project / "SIR.profile.yaml").unlink()
    p = aigap(
        "run",
        sir_project / "scenarios" / "flu.yaml",
        model=sir_project / "SIR.mdl",
        cwd=sir_project,
    )
    assert p.returncode == 2, p.stdout + p.stderr
    assert "defines none of the contract variables" in p.stderr
    assert "write SIR.profile.yaml beside it" in p.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
