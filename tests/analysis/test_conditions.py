"""Structured conditions: parsing, checking against the model, evaluation on arrays."""

import numpy as np
import pytest

from aigap.analysis.conditions import (
    ConditionError,
    check_condition,
    condition_from_mapping,
    evaluate,
    parse_condition,
)

VARS = {"ARR Gap Ratio": (), "Model ARR": ("Region",)}
COORDS = {"Region": ("US", "CN")}


def test_parse_string_form():
    c = parse_condition("Model ARR[CN]@2030 > 5e9")
    assert (c.variable, c.region, c.time, c.op, c.value) == ("Model ARR", "CN", 2031.0, ">", 5e9)
    c = parse_condition("  ARR Gap Ratio @ 2028 <= 50 ")
    assert (c.variable, c.region, c.time, c.op) == ("ARR Gap Ratio", None, 2029.0, "<=")
    assert parse_condition(c.label) == c
    c = parse_condition("ARR Gap Ratio@2030.5 < 1")
    assert c.time == 2030.5 and parse_condition(c.label) == c


@pytest.mark.parametrize(
    "text",
    [
        "ARR Gap Ratio < 50",
        "ARR Gap Ratio@2030 == 50",
        "ARR Gap Ratio@2030 < 1 or 1",
        "ARR Gap Ratio@2030 < 5e",
        "ARR Gap Ratio@30 < 5",
        "",
    ],
)
def test_parse_rejects_bad_strings(text):
    with pytest.raises(ConditionError, match="cannot parse condition"):
        parse_condition(text)


def test_code_is_data_never_evaluated():
    c = parse_condition("__import__('os').system('x')@2030 < 1")
    assert c.variable == "__import__('os').system('x')"  # just a (bad) name
    with pytest.raises(ConditionError, match="unknown variable"):
        check_condition(c, VARS, COORDS)


def test_mapping_form_and_errors():
    c = condition_from_mapping(
        {
            "name": "cn_big",
            "variable": "Model ARR",
            "region": "CN",
            "year": 2030,
            "op": ">",
            "value": 5e9,
        }
    )
    assert c.key == "cn_big" and c.time == 2031.0
    bad = [
        (
            {"variable": "X", "year": 2030, "op": "<", "value": 1, "valeu": 2},
            "did you mean 'value'",
        ),
        ({"variable": "X", "year": 2030, "op": "!=", "value": 1}, "'op' must be one of"),
        ({"variable": "X", "year": 2030, "time": 2030.0, "op": "<", "value": 1}, "exactly one"),
        ({"variable": "X", "year": "2030", "op": "<", "value": 1}, "integer year"),
        ({"variable": "X", "year": 2030, "op": "<", "value": "big"}, "finite number"),
        ({"year": 2030, "op": "<", "value": 1}, "needs 'variable'"),
        (["X"], "mapping or a string"),
    ]
    for spec, msg in bad:
        with pytest.raises(ConditionError, match=msg):
            condition_from_mapping(spec)


def test_check_against_model():
    check_condition(parse_condition("Model ARR[CN]@2030 > 1"), VARS, COORDS, (2024, 2031))
    cases = [
        ("Model AR[CN]@2030 > 1", "did you mean 'Model ARR'"),
        ("Model ARR@2030 > 1", "give a region"),
        ("Model ARR[EU]@2030 > 1", "unknown region 'EU'"),
        ("ARR Gap Ratio[US]@2030 > 1", "not subscripted"),
        ("ARR Gap Ratio@2040 > 1", "outside the simulated span"),
    ]
    for text, msg in cases:
        with pytest.raises(ConditionError, match=msg):
            check_condition(parse_condition(text), VARS, COORDS, (2024, 2031))


def test_evaluate_on_arrays_with_interpolation():
    times = np.array([2030.0, 2031.0, 2032.0])
    vals = np.zeros((3, 3, 2))
    vals[:, 1, 1] = [1e9, 6e9, 5e9]  # CN at end of 2030
    vals[:, 1, 0] = 1e12
    c = parse_condition("Model ARR[CN]@2030 > 5e9")
    np.testing.assert_array_equal(evaluate(c, vals, times, ("US", "CN")), [False, True, False])
    ratio = np.array([[10.0, 20.0, 30.0], [40.0, 60.0, np.nan]])
    c2 = parse_condition("ARR Gap Ratio@2030.5 < 50")  # halfway between 2030 and 2031
    np.testing.assert_array_equal(evaluate(c2, ratio, times), [True, False])
    c3 = parse_condition("ARR Gap Ratio@2030.5 > 0")
    assert not evaluate(c3, np.array([[np.nan, np.nan, np.nan]]), times)[0]
