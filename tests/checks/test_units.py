"""Units check: each rule passing and failing on small models, and the project model."""

import subprocess
import sys
from pathlib import Path

import pytest

from aigap.checks.units import UnitsSyntaxError, check_units, parse_units

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = "".join(
    f"{n} = {v}\n\t~\tYear\n\t~\t|\n"
    for n, v in (("INITIAL TIME", 0), ("FINAL TIME", 4), ("TIME STEP", 1), ("SAVEPER", 1))
)


def model(tmp_path, body):
    p = tmp_path / "m.mdl"
    p.write_text("{UTF-8}\n" + body + CONTROLS)
    return check_units(str(p))


def eq(name, expr, units):
    return f"{name} = {expr}\n\t~\t{units}\n\t~\t|\n"


BASE = eq("P", "10", "Person") + eq("Q", "5", "USD") + eq("R", "0.1", "1/Year")


@pytest.mark.parametrize(
    "expr,units,ok",
    [
        ("P + 3", "Person", True),
        ("P + Q", "Person", False),
        ("IF THEN ELSE(P > 3, P, 0)", "Person", True),
        ("IF THEN ELSE(P > Q, P, 0)", "Person", False),
        ("MIN(P, 2)", "Person", True),
        ("MAX(P, Q)", "Person", False),
        ("Q / P", "USD/Person", True),
        ("Q * P", "USD/Person", False),
        ("EXP(R * 2)", "Dmnl", False),
        ("EXP(R * TIME STEP)", "Dmnl", True),
        ("P ^ 2", "Person^2", True),
        ("P ^ R", "Person", False),
        ("SMOOTH(P, 2)", "Person", True),
        ("SMOOTH(P, Q)", "Person", False),
    ],
)
def test_rules(tmp_path, expr, units, ok):
    problems = model(tmp_path, BASE + eq("X", expr, units))
    assert (problems == []) is ok, problems


def test_integ_rate_is_stock_per_time(tmp_path):
    assert model(tmp_path, BASE + eq("S", "INTEG(P * R, P)", "Person")) == []
    bad = model(tmp_path, BASE + eq("S", "INTEG(P, P)", "Person"))
    assert len(bad) == 1 and "expected Person/Year, got Person" in bad[0] and ":11: S:" in bad[0]


def test_synonyms_exceptions_and_missing_units(tmp_path):
    syn = "Note = 1\n\t~\tDmnl\n\t~\t{units synonyms: Person = People}\n\t|\n"
    assert model(tmp_path, syn + BASE + eq("X", "P + 1", "People")) == []
    assert model(tmp_path, BASE + eq("X", "P + 1", "People"))
    exc = "Note = 1\n\t~\tDmnl\n\t~\t{units exception: X: test}\n\t|\n"
    assert model(tmp_path, exc + BASE + eq("X", "P + Q", "Person")) == []
    assert "has no units" in model(tmp_path, BASE + eq("K", "3", ""))[0]


def test_parse_units():
    assert str(parse_units("USD/(Person*Month) [0,1]")) == "USD/(Month*Person)"
    assert parse_units("Dmnl") == parse_units("1") == parse_units("Year/Year")
    with pytest.raises(UnitsSyntaxError):
        parse_units("USD/(Year")


def test_project_model_passes_and_cli_exit_codes(tmp_path):
    assert check_units(str(ROOT / "model" / "ai_gap.mdl")) == []
    (tmp_path / "bad.mdl").write_text("{UTF-8}\n" + BASE + eq("X", "P + Q", "Person") + CONTROLS)
    r = subprocess.run(
        [sys.executable, "-m", "aigap.cli", "check", "--units", str(tmp_path / "bad.mdl")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "X: expected Person, got USD" in r.stderr
