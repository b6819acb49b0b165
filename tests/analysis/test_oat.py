"""One-at-a-time sensitivity: pure methods, the library job and `aigap oat`."""

from pathlib import Path

import numpy as np
import pytest

from aigap.analysis.oat import oat_design, oat_effects, run_oat
from aigap.core.keys import PROFILE

ROOT = Path(__file__).resolve().parents[2]


def test_design_moves_one_constant_per_row_and_clips():
    params, cases = oat_design(
        {"a": np.array(1.0), "b": np.array([2.0, 10.0])},
        {"a": (0.0, 1.1), "b": (0.0, np.inf)},
        spread=0.2,
    )
    assert cases == [("a", 0.8), ("a", 1.2), ("b", 0.8), ("b", 1.2)]
    assert params["a"].tolist() == [1.0, 0.8, 1.1, 1.0, 1.0]  # 1.2 clipped to 1.1
    assert params["b"][3].tolist() == [1.6, 8.0] and params["b"][0].tolist() == [2.0, 10.0]
    with pytest.raises(ValueError):
        oat_design({"a": 1.0}, {"a": (0, 1)}, spread=1.5)


def test_effects_are_the_largest_log_change_and_flag_sign_changes():
    values = np.array([[10.0, 1.0], [8.0, 1.0], [12.5, 1.0], [10.0, 0.0], [10.0, -1.0]])
    eff = oat_effects(values, [("a", 0.8), ("a", 1.2), ("b", 0.8), ("b", 1.2)])
    assert np.allclose(eff["a"], [np.log(1.25), 0.0])
    assert eff["b"][0] == 0.0 and np.isinf(eff["b"][1])


@pytest.fixture(scope="module")
def real():
    from aigap.engine import compile_model

    return compile_model(ROOT / "model" / "ai_gap.mdl")


def test_run_oat_matches_single_runs(real):
    res = run_oat(real, PROFILE, spread=0.2)
    assert res.labels == ["ARR Gap Ratio", "Total AI ARR[US]", "Total AI ARR[CN]"]
    top = max(res.effects, key=lambda n: res.effects[n][0])
    info = real.constants[top]
    from aigap.workflow.summary import year_end

    base = year_end(real.simulate(outputs=["ARR Gap Ratio"]), "ARR Gap Ratio", 2030)
    moved = []
    for f in (0.8, 1.2):
        v = np.clip(np.asarray(info.default, float) * f, *info.limits)
        r = real.simulate(params={top: v[None]}, outputs=["ARR Gap Ratio"])
        moved.append(abs(np.log(year_end(r, "ARR Gap Ratio", 2030) / base)))
    assert np.isclose(res.effects[top][0], max(moved), rtol=1e-12)
    assert np.isclose(res.base[0], base, rtol=1e-12)


def test_oat_command_prints_the_table(aigap, real):
    p = aigap("oat", "china_embedding", "--top", "4", model=None)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("One-at-a-time sensitivity around scenario 'china_embedding'")
    assert lines[1].startswith("year-end 2030: ARR Gap Ratio ") and "x," in lines[1]
    rows = lines[4:]
    assert len(rows) == 4 and all(r.rstrip().endswith("%") for r in rows)
    first = [float(r.split()[-3].rstrip("%")) for r in rows]
    assert first == sorted(first, reverse=True)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--spread", "2"), "--spread: expected a number in (0, 1)"),
        (("--year", "2040"), "--year: year-end 2040 is outside the model's run"),
        (("no_such_scenario",), "no_such_scenario"),
    ],
)
def test_oat_bad_input_exits_2(aigap, args, message):
    p = aigap("oat", *args, model=None)
    assert p.returncode == 2, p.stdout + p.stderr
    assert message in p.stderr
