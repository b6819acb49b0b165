"""Declarative checks: each predicate passing and failing on a small tank model, the
matrix naming the constant that breaks a check, and bad checks files."""

import textwrap
from pathlib import Path

import pytest

from aigap.checks.run import format_results, run_checks
from aigap.checks.spec import ChecksError, load_checks

ROOT = Path(__file__).resolve().parents[2]
TANK = Path(__file__).parent / "fixtures" / "tank.mdl"


@pytest.fixture(scope="module")
def tank():
    from aigap.engine import compile_model

    return compile_model(TANK)


def write(tmp_path, checks: str, name="checks.yaml") -> Path:
    p = tmp_path / name
    p.write_text(
        "description: test checks\nchecks:\n" + textwrap.indent(textwrap.dedent(checks), "  ")
    )
    return p


def one(tmp_path, tank, check: str):
    """Run a single check; returns its CheckResult."""
    (res,) = run_checks(write(tmp_path, check), model=tank, scenario_dir=tmp_path)
    return res


CONSERVED = (
    "{variable: [Level, Cumulative Drain], approx: {variable: [Initial Level, Cumulative Fill]"
)


# Level A: 20 -> towards 50 (fill 10, drain 20%/yr); B: 10 -> towards 25.
@pytest.mark.parametrize(
    "expect,constants,ok",
    [
        ("{variable: Level, '>=': 10}", "", True),
        ("{variable: Level, '>=': 11}", "", False),
        ("{variable: Level, '<=': 50}", "", True),
        ("{variable: Level, '<=': 40}", "", False),
        ("{variable: Level, between: [10, 50]}", "", True),
        ("{variable: Level, between: [15, 50]}", "", False),
        ("{variable: Level, at: 0, approx: {variable: Initial Level}, rtol: 1.0e-12}", "", True),
        ("{variable: Level, element: A, at: 0, approx: 21, rtol: 0.01}", "", False),
        ("{variable: Level, element: A, at: 0, approx: 21, rtol: 0.06}", "", True),
        ("{variable: Full Share, finite: true}", "", True),
        ("{variable: Full Share, finite: true}", "Capacity: 0", False),
        ("{variable: Level, non_negative: true}", "", True),
        ("{variable: Level, non_negative: true}", "Fixed Drain: 20", False),
        ("{variable: Level, monotone: increasing}", "", True),
        ("{variable: Level, monotone: decreasing}", "", False),
        ("{variable: Level, monotone: non_increasing}", "Fill Rate: 0", True),
        ("{variable: Level, monotone: non_decreasing}", "Fill Rate: 0", False),
        ("{variable: Drain, '<=': {variable: Fill}}", "", True),
        ("{variable: Drain, '>=': {variable: Fill}}", "", False),
        ("{variable: Level, '<=': {baseline: true}}", "Fill Rate: 5", True),
        ("{variable: Level, to: 5, '>=': {baseline: true, factor: 1.5}}", "Fill Rate: 5", False),
        ("{variable: Level, element: A, '>=': 20}", "", True),
        ("{variable: Level, element: B, '>=': 20}", "", False),
        ("{variable: Total Level, '>=': {variable: Level, element: A}}", "", True),
        ("{variable: Total Level, '<=': {variable: Level, element: A}}", "", False),
        (CONSERVED + "}, rtol: 1.0e-9}", "", True),
        (CONSERVED + ", factor: 1.01}, rtol: 1.0e-9}", "", False),
    ],
)
def test_each_predicate_both_ways(tmp_path, tank, expect, constants, ok):
    consts = f"  constants: {{{constants}}}\n" if constants else ""
    res = one(tmp_path, tank, f"- name: c\n{consts}  expect:\n    - {expect}\n")
    assert res.passed is ok, format_results([res])
    assert bool(res.failures) is (not ok)


def test_step_override_and_window(tmp_path, tank):
    """Forced to zero from t=5: the level falls from then on (and not before)."""
    check = """\
    - name: fill stops at 5
      constants: {Fill Rate: {A: {step: {time: 5, before: 10, after: 0}}}}
      expect:
        - {variable: Level, element: A, from: 5.25, monotone: decreasing}
        - {variable: Level, to: 4.75, approx: {baseline: true}, rtol: 1.0e-12}
        - {variable: Level, element: B, approx: {baseline: true}, rtol: 1.0e-12}
    """
    assert one(tmp_path, tank, check).passed
    bad = check.replace("from: 5.25", "from: 0")
    res = one(tmp_path, tank, bad)
    assert not res.passed and "Level[A] monotone" in str(res.failures[0])


def test_matrix_names_the_constant_that_breaks_the_check(tmp_path, tank):
    res = one(
        tmp_path,
        tank,
        "- name: m\n  matrix: true\n  expect:\n    - {variable: Level, non_negative: true}\n",
    )
    # 5 ranged constants x (min, max) + all-at-min + all-at-max + the check's own run
    assert res.n_runs == 1 + 2 * 5 + 2
    assert not res.passed
    assert "Fixed Drain=100 (max)" in res.failures[0].run
    assert res.n_runs - res.n_passed == 2  # Fixed Drain at max, and all at max
    ok = one(
        tmp_path,
        tank,
        "- name: m\n  matrix: {exclude: [Fixed Drain]}\n  expect:\n"
        "    - {variable: Level, non_negative: true}\n",
    )
    assert ok.passed and ok.n_runs == 1 + 2 * 4 + 2
    only = one(
        tmp_path,
        tank,
        "- name: m\n  matrix: {constants: [Capacity], combined: false}"
        "\n  expect:\n    - {variable: Full Share, finite: true}\n",
    )
    assert only.n_runs == 3 and only.n_passed == 2
    assert "Capacity=0 (min)" in only.failures[0].run


def test_scenario_file_and_one_engine_call_per_scenario(tmp_path, tank):
    (tmp_path / "low.yaml").write_text("description: low fill\nconstants: {Fill Rate: 1}\n")
    path = write(
        tmp_path,
        """\
    - name: low fill keeps the tank low
      scenario: low
      expect:
        - {variable: Level, at: 10, '<=': 10}
    - name: relative to the scenario's own baseline
      scenario: low
      constants: {Fill Rate: 2}
      expect:
        - {variable: Level, '>=': {baseline: true}}
    """,
    )
    a, b = run_checks(path, model=tank, scenario_dir=tmp_path)
    assert a.passed and b.passed


def test_results_table(tmp_path, tank):
    path = write(
        tmp_path,
        """\
    - name: passes
      expect: [{variable: Level, '>=': 0}]
    - name: fails
      constants: {Fixed Drain: 50}
      expect: [{variable: Level, element: B, '>=': 0}]
    """,
    )
    text = format_results(run_checks(path, model=tank, scenario_dir=tmp_path))
    assert "1/2 checks passed" in text
    fail_line = next(line for line in text.splitlines() if "worst:" in line)
    assert "Level[B] >=" in fail_line and "the check's constants" in fail_line


# ----------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    "body,expected",
    [
        (
            "- name: a\n  expect: [{variable: Levl, '>=': 0}]\n",
            ":4: checks[a].expect[0].variable: unknown model variable 'Levl'; did you mean 'Level'?",
        ),
        (
            "- name: a\n  expect: [{variable: Level, non_negativ: true}]\n",
            "checks[a].expect[0].non_negativ: unknown key or predicate",
        ),
        (
            "- name: a\n  expect: [{variable: Level, '>=': 0, '<=': 9}]\n",
            "checks[a].expect[0]: give exactly one predicate",
        ),
        (
            "- name: a\n  expect: [{variable: Level, monotone: upwards}]\n",
            "checks[a].expect[0].monotone: expected one of increasing",
        ),
        (
            "- name: a\n  expect: [{variable: Level, '>=': 'ten'}]\n",
            "expected a number or a mapping with 'variable' or 'baseline'",
        ),
        (
            "- name: a\n  constants: {Fill Rat: 1}\n  expect: [{variable: Level, '>=': 0}]\n",
            ":4: checks[a].constants.Fill Rat: unknown model constant; did you mean 'Fill Rate'?",
        ),
        (
            "- name: a\n  constants: {Fill Rate: 99}\n  expect: [{variable: Level, '>=': 0}]\n",
            "99 is outside the allowed range [0, 50]",
        ),
        (
            "- name: a\n  expect: [{variable: Level, element: C, '>=': 0}]\n",
            "'C' is not a subscript element of 'Level'",
        ),
        (
            "- name: a\n  scenario: nowhere\n  expect: [{variable: Level, '>=': 0}]\n",
            "checks[a].scenario: scenario 'nowhere' not found",
        ),
        (
            "- name: a\n  matrix: {exclude: [Capacty]}\n  expect: [{variable: Level, '>=': 0}]\n",
            "unknown model constant 'Capacty'; did you mean 'Capacity'?",
        ),
        (
            "- name: a\n  expect: [{variable: Level, '>=': 0}]\n  form: 3\n",
            ":5: checks[a].form: unknown key (allowed:",
        ),
        (
            "- name: a\n  expect: [{variable: Level, '>=': 0}]\n" * 2,
            "checks[a]: duplicate check name",
        ),
        (
            "- name: a\n  from: 5\n  to: 2\n  expect: [{variable: Level, '>=': 0}]\n",
            "checks[a].to: must not be before 'from'",
        ),
        ("- name: a\n  expect: [{variable: Level, between: [5, 1]}]\n", "low is above high"),
        (
            "- name: a\n  expect: [{variable: Total Level, approx: {variable: Level}}]\n",
            "checks[a].expect[0].approx: 'Level' has subscripts (Region) that 'Total Level' has not",
        ),
        ("- name: a\n  expect: []\n", "checks[a].expect: expected a non-empty list"),
        ("- {expect: [{variable: Level, '>=': 0}]}\n", "checks[0]: missing required key 'name'"),
        (
            "- name: a\n  expect: [{variable: !!python/object:os.system x, '>=': 0}]\n",
            "YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed",
        ),
    ],
)
def test_bad_checks_file(tmp_path, tank, body, expected):
    path = write(tmp_path, body)
    with pytest.raises(ChecksError) as exc:
        load_checks(path, model=tank, scenario_dir=tmp_path)
    lines = [str(i) for i in exc.value.issues]
    assert any(expected in line for line in lines), lines
    assert all(line.startswith(f"{path}:") for line in lines), lines


def test_bad_top_level(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("descripton: x\nchecks: 3\n")
    with pytest.raises(ChecksError) as exc:
        load_checks(p)
    text = "\n".join(str(i) for i in exc.value.issues)
    assert f"{p}:1: descripton: unknown top-level key" in text
    assert "did you mean 'description'?" in text
    assert f"{p}:2: checks: expected a non-empty list of checks" in text


# ----------------------------------------------------------------------------- the project


def test_project_checks_all_pass():
    """model/checks.yaml holds on the project model (pytest is the runner that fails)."""
    results = run_checks(
        ROOT / "model" / "checks.yaml",
        model=ROOT / "model" / "ai_gap.mdl",
        scenario_dir=ROOT / "scenarios",
    )
    assert len(results) >= 10
    assert all(r.passed for r in results), format_results(results)
    assert any(r.n_runs > 100 for r in results)  # the extreme-condition matrix ran


def test_matrix_on_top_of_a_time_varying_override(tmp_path, tank):
    """Runs with a step (a TimeSeries) and matrix rows (constants) share one engine call."""
    res = one(
        tmp_path,
        tank,
        """\
    - name: m
      constants: {Fill Rate: {A: {step: {time: 5, before: 10, after: 0}}}}
      matrix: {constants: [Fill Rate, Capacity], combined: false}
      expect:
        - {variable: Level, element: A, at: 10, '<=': 60}
    """,
    )
    # the step run ends low; Fill Rate=50 (max) for 10 years overflows 60
    assert res.n_runs == 5 and res.n_passed == 4
    assert "Fill Rate=50 (max)" in res.failures[0].run
