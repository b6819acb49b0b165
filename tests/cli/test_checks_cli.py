"""The real `aigap check --model-checks`, bare `aigap check` and `aigap diff` commands."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TANK = ROOT / "tests" / "checks" / "fixtures" / "tank.mdl"

CHECKS = """\
description: tank checks
checks:
  - name: levels stay non-negative
    expect:
      - {variable: Level, non_negative: true}
  - name: a leak empties tank B
    constants: {Fixed Drain: FIXED}
    expect:
      - {variable: Level, element: B, non_negative: true}
"""


def test_bare_check_is_an_error(aigap):
    p = aigap("check", model=None)
    assert p.returncode == 2
    assert "nothing to check" in p.stderr and "--model-checks" in p.stderr


def test_model_checks_pass_and_fail(aigap, tmp_path):
    f = tmp_path / "checks.yaml"
    f.write_text(CHECKS.replace("FIXED", "0"))
    p = aigap("check", "--model-checks", f, model=TANK)
    assert p.returncode == 0, p.stderr
    assert "2/2 checks passed" in p.stdout
    f.write_text(CHECKS.replace("FIXED", "20"))
    p = aigap("check", "--model-checks", f, model=TANK)
    assert p.returncode == 1, p.stderr
    assert "1/2 checks passed" in p.stdout
    assert "worst: Level[B] non_negative" in p.stdout and "the check's constants" in p.stdout


def test_model_checks_bad_file(aigap, tmp_path):
    f = tmp_path / "checks.yaml"
    f.write_text(
        CHECKS.replace("FIXED", "0").replace(
            "non_negative: true}\n  - name: a", "non_negativ: true}\n  - name: a", 1
        )
    )
    p = aigap("check", "--model-checks", f, model=TANK)
    assert p.returncode == 2
    assert p.stderr.startswith(
        f"{f}:5: checks[levels stay non-negative].expect[0].non_negativ: unknown key or predicate"
    )
    assert "did you mean 'non_negative'?" in p.stderr and p.stdout == ""


def test_project_model_checks(aigap):
    p = aigap("check", "--model-checks", model=None)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "checks passed" in p.stdout and "FAIL" not in p.stdout


def test_diff_command(aigap, tmp_path, runs):
    new = tmp_path / "tank2.mdl"
    new.write_text(TANK.read_text().replace("\t0.2\n", "\t0.25\n"))
    p = aigap("diff", TANK, new, model=TANK)
    assert p.returncode == 0, p.stderr
    assert "Structure: equation 1 (Drain Fraction)" in p.stdout
    assert "identical 10" in p.stdout  # the 10 upstream series
    (folder,) = [d for d in runs.iterdir() if d.name.endswith("-diff")]
    assert (folder / "report.html").is_file() and (folder / "biggest_changes.png").is_file()
    p = aigap("diff", TANK, new, "--fail-above", "5", "--no-plots", model=TANK)
    assert p.returncode == 1 and "changed by more than 5% of their range" in p.stderr
    p = aigap("diff", TANK, TANK, "--fail-above", "0", "--no-plots", model=TANK)
    assert p.returncode == 0, p.stderr


def test_diff_bad_input(aigap, tmp_path):
    p = aigap("diff", tmp_path / "nope.mdl", model=TANK)
    assert p.returncode == 2 and "neither a model file nor a git revision" in p.stderr


POLICY = ROOT / "scenarios" / "policies" / "china_levers.yaml"


def _policy(tmp_path, old="", new=""):
    """The shipped policy file in ``tmp_path`` (base scenario by absolute path), edited."""
    text = POLICY.read_text().replace(
        "scenario: baseline", f"scenario: {ROOT / 'scenarios' / 'baseline.yaml'}"
    )
    assert old in text
    f = tmp_path / "policy.yaml"
    f.write_text(text.replace(old, new, 1))
    return f


def test_check_recognises_and_validates_policy_files(aigap, tmp_path):
    shipped = sorted(POLICY.parent.glob("*.yaml"))
    p = aigap("check", *shipped, model=None)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(": ok (policy: 3 levers, ") == len(shipped) == 2
    assert "1 objective, 1 constraint, worlds from the newest posterior run" in p.stdout
    assert "2 objectives" in p.stdout
    # worlds named by path are read: 6 parameter sets, 'count: 200' keeps them all
    draws = tmp_path / "draws.csv"
    draws.write_text(
        "Base Usage Growth,Capital per ARR\n"
        + "".join(f"{0.7 + 0.05 * i},{2 + 0.2 * i}\n" for i in range(6))
    )
    f = _policy(tmp_path, "parameter_sets: latest", f"parameter_sets: {draws}")
    p = aigap("check", f, model=None)
    assert p.returncode == 0, p.stderr
    assert "6 worlds)" in p.stdout


def test_check_reports_bad_policy_files(aigap, tmp_path):
    f = _policy(tmp_path, "  Subscription Push:", "  Subscripton Push:")
    p = aigap("check", f, model=None)
    assert p.returncode == 2 and p.stdout == ""
    line = next(i for i, t in enumerate(f.read_text().splitlines(), 1) if "Subscripton" in t)
    assert p.stderr.startswith(f"{f}:{line}: levers.Subscripton Push: ")
    assert "Subscription Push" in p.stderr
    f = _policy(tmp_path, "optimizer: {population", "optimiser: {population")
    p = aigap("check", f, model=None)
    assert p.returncode == 2 and "optimiser" in p.stderr and "'optimizer'" in p.stderr
    f = _policy(tmp_path, "parameter_sets: latest", f"parameter_sets: {tmp_path / 'no.csv'}")
    p = aigap("check", f, model=None)
    assert p.returncode == 2 and "no.csv" in p.stderr
