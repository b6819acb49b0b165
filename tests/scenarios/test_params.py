"""resolve_params: defaults < parent chain < scenario < --set, element by element."""

import numpy as np
import pytest

from aigap.engine import TimeSeries
from aigap.scenarios import ScenarioError, load_scenario, parse_sets, resolve_params


@pytest.fixture
def chain(write):
    write(
        "root.yaml",
        """
description: root
constants:
  Price War Intensity: 0.3
  ARR Churn Rate: {US: 0.2}
  Depreciation Rate: 0.1
""",
    )
    write(
        "mid.yaml",
        """
description: mid
extends: root
constants:
  Price War Intensity: {CN: 0.6}
  Embedding Push: {ramp: {start: 2025, end: 2027, from: 0.0, to: 1.0}}
""",
    )
    return write(
        "leaf.yaml",
        """
description: leaf
extends: mid.yaml
constants:
  ARR Churn Rate: {CN: 0.05}
  Model Growth Rate: {CN: {step: {time: 2027, before: 0.7, after: 1.1}}}
""",
    )


def test_defaults_only(cm):
    assert resolve_params(cm, None) == {}


def test_chain_precedence(cm, chain):
    sc = load_scenario(chain, model=cm)
    assert [p.rsplit("/", 1)[-1] for p in sc.files] == ["root.yaml", "mid.yaml", "leaf.yaml"]
    p = resolve_params(cm, sc)
    np.testing.assert_allclose(p["Price War Intensity"], [0.3, 0.6])  # root, then mid (CN)
    np.testing.assert_allclose(p["ARR Churn Rate"], [0.2, 0.05])  # root US, leaf CN
    np.testing.assert_allclose(p["Depreciation Rate"], 0.1)
    ramp = p["Embedding Push"]
    assert isinstance(ramp, TimeSeries) and ramp.values.shape == (ramp.times.size,)
    assert np.interp(2026.0, ramp.times, ramp.values) == pytest.approx(0.5)
    assert ramp.times[0] == cm.initial_time and ramp.times[-1] == cm.final_time
    step = p["Model Growth Rate"]
    assert step.values.shape == (1, 2, step.times.size)
    us, cn = step.values[0]
    assert np.all(us == 0.9)  # model default kept
    assert np.interp(2026.5, step.times, cn) == pytest.approx(0.7)
    assert np.interp(2027.0, step.times, cn) == pytest.approx(1.1)


def test_cli_sets_win_and_apply_in_order(cm, chain):
    sc = load_scenario(chain, model=cm)
    p = resolve_params(
        cm,
        sc,
        [
            "Price War Intensity=0.9",
            "Price War Intensity[US]=0.05",
            "Model Growth Rate[CN]=1.3",
            "Depreciation Rate = 0.3",
        ],
    )
    np.testing.assert_allclose(p["Price War Intensity"], [0.05, 0.9])
    np.testing.assert_allclose(p["Model Growth Rate"], [0.9, 1.3])  # constant replaces step
    np.testing.assert_allclose(p["Depreciation Rate"], 0.3)


def test_time_varying_replaces_constant_for_its_elements_only(cm, write):
    path = write(
        "s.yaml",
        """
description: s
constants:
  Price War Intensity: 0.4
  Model Growth Rate: {points: [[2025, 0.5], [2029, 1.5]]}
""",
    )
    p = resolve_params(cm, load_scenario(path, model=cm), ["Model Growth Rate[US]=2"])
    ts = p["Model Growth Rate"]
    assert isinstance(ts, TimeSeries)
    np.testing.assert_allclose(ts.values[0, 0], 2.0)
    assert np.interp(2027.0, ts.times, ts.values[0, 1]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "Price War Intensty=0.5",
            "--set: Price War Intensty=0.5: unknown model constant; did you mean 'Price War Intensity'?",
        ),
        (
            "Price War Intensity[CX]=0.5",
            "--set: Price War Intensity[CX]=0.5: unknown subscript element 'CX' of Region "
            "(valid: US, CN); did you mean 'CN'?",
        ),
        (
            "Depreciation Rate=0.9",
            "--set: Depreciation Rate=0.9: 0.9 is outside the allowed range [0.05, 0.5] 1/Year",
        ),
        (
            "Depreciation Rate=fast",
            "--set: Depreciation Rate=fast: value 'fast' is not a finite number",
        ),
        (
            "Depreciation Rate",
            "--set: Depreciation Rate: expected NAME=VALUE or NAME[ELEMENT]=VALUE",
        ),
        (
            "Embedding Push[CN]=0.1",
            "--set: Embedding Push[CN]=0.1: 'Embedding Push' is not subscripted; give one value",
        ),
    ],
)
def test_bad_sets(cm, text, message):
    with pytest.raises(ScenarioError) as info:
        resolve_params(cm, None, [text])
    assert [str(i) for i in info.value.issues] == [message]


def test_bad_sets_all_reported(cm):
    with pytest.raises(ScenarioError) as info:
        resolve_params(cm, None, ["X=abc", "Price War Intensty=0.5"])
    assert len(info.value.issues) == 2


def test_parse_sets():
    (ov,) = parse_sets(["Price War Intensity[ CN ] = 5e-1"])
    assert ov.constant == "Price War Intensity" and ov.value == 0.5
    assert ov.elements == (("CN", None),)
