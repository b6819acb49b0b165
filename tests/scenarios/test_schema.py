"""Scenario validation: every bad input gives the exact one-line error with file:line: key."""

import pytest

from aigap.scenarios import Points, ScenarioError, load_scenario

GOOD = """
description: ok
constants:
  Price War Intensity:
    CN: 0.5
"""

BAD_CASES = {
    "unknown_top_level_key": (
        "description: x\nconstant:\n  Embedding Push: 0.3\n",
        [
            "{f}:2: constant: unknown top-level key (allowed: name, description, extends, "
            "constants); did you mean 'constants'?"
        ],
    ),
    "missing_description": (
        "constants: {}\n",
        ["{f}:1: description: missing required key (a one-line description)"],
    ),
    "unknown_constant": (
        "description: x\nconstants:\n  Embedding Push: 0.3\n\n\n\n  Price War Intensty: 0.5\n",
        [
            "{f}:7: constants.Price War Intensty: unknown model constant; "
            "did you mean 'Price War Intensity'?"
        ],
    ),
    "variable_not_constant": (
        "description: x\nconstants:\n  Total AI ARR: 5\n",
        [
            "{f}:3: constants.Total AI ARR: 'Total AI ARR' is a model aux, not a constant; "
            "only constants can be overridden"
        ],
    ),
    "unknown_element": (
        "description: x\nconstants:\n  Price War Intensity:\n    CX: 0.5\n",
        [
            "{f}:4: constants.Price War Intensity.CX: unknown subscript element 'CX' of Region "
            "(valid: US, CN); did you mean 'CN'?"
        ],
    ),
    "element_of_scalar": (
        "description: x\nconstants:\n  Embedding Push:\n    CN: 0.5\n",
        ["{f}:4: constants.Embedding Push.CN: 'Embedding Push' is not subscripted; give one value"],
    ),
    "wrong_type_string": (
        "description: x\nconstants:\n  Embedding Push: high\n",
        [
            "{f}:3: constants.Embedding Push: expected a number, a mapping of subscript elements, "
            "or a time-varying spec (points/step/ramp), got a string ('high')"
        ],
    ),
    "wrong_type_bool": (
        "description: x\nconstants:\n  Embedding Push: yes\n",
        [
            "{f}:3: constants.Embedding Push: expected a number, a mapping of subscript elements, "
            "or a time-varying spec (points/step/ramp), got a boolean (yes)"
        ],
    ),
    "wrong_type_description": (
        "description: [a, b]\n",
        ["{f}:1: description: expected a non-empty string, got a list"],
    ),
    "constants_not_mapping": (
        "description: x\nconstants: [1, 2]\n",
        ["{f}:2: constants: expected a mapping of constant names to values, got a list"],
    ),
    "out_of_range": (
        "description: x\nconstants:\n  Price War Intensity:\n    US: 0.2\n    CN: 1.5\n",
        ["{f}:5: constants.Price War Intensity.CN: 1.5 is outside the allowed range [0, 1] Dmnl"],
    ),
    "out_of_range_points": (
        "description: x\nconstants:\n  Embedding Push:\n    points:\n      - [2024, 0.1]\n"
        "      - [2027, 1.2]\n",
        ["{f}:6: constants.Embedding Push: 1.2 is outside the allowed range [0, 1] Dmnl"],
    ),
    "points_not_increasing": (
        "description: x\nconstants:\n  Embedding Push: {points: [[2027, 0.1], [2025, 0.2]]}\n",
        [
            "{f}:3: constants.Embedding Push.points[1]: times must be strictly increasing "
            "(2025 after 2027)"
        ],
    ),
    "points_bad_pair": (
        "description: x\nconstants:\n  Embedding Push: {points: [[2027, 0.1, 3]]}\n",
        [
            "{f}:3: constants.Embedding Push.points[0]: expected a [time, value] pair of numbers, "
            "got a list"
        ],
    ),
    "ramp_backwards": (
        "description: x\nconstants:\n  Embedding Push:\n    ramp: {start: 2028, end: 2026, "
        "from: 0, to: 1}\n",
        ["{f}:4: constants.Embedding Push.ramp.end: must be later than start"],
    ),
    "step_missing_key": (
        "description: x\nconstants:\n  Embedding Push:\n    step: {time: 2027, before: 0}\n",
        ["{f}:4: constants.Embedding Push.step: missing after"],
    ),
    "step_unknown_key": (
        "description: x\nconstants:\n  Embedding Push:\n    step: {time: 2027, before: 0, "
        "after: 1, aftr: 2}\n",
        [
            "{f}:4: constants.Embedding Push.step.aftr: unknown key (allowed: time, before, "
            "after); did you mean 'after'?"
        ],
    ),
    "spec_mixed_keys": (
        "description: x\nconstants:\n  Embedding Push: {points: [[2024, 0]], US: 1}\n",
        [
            "{f}:3: constants.Embedding Push: a time-varying value has exactly one of "
            "points/step/ramp; unexpected US"
        ],
    ),
    "duplicate_key": (
        "description: x\nconstants:\n  Embedding Push: 0.1\n  Embedding Push: 0.2\n",
        ["{f}:4: constants.Embedding Push: duplicate key"],
    ),
    "yaml_syntax": (
        "description: x\nconstants:\n  Embedding Push: [0.1\n",
        None,
    ),  # message comes from PyYAML; checked separately
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_exact_message(case, cm, write):
    text, expected = BAD_CASES[case]
    path = write("x.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, model=cm)
    lines = [str(i) for i in info.value.issues]
    if expected is None:
        assert len(lines) == 1 and lines[0].startswith(f"{path}:") and "invalid YAML" in lines[0]
        assert "\n" not in lines[0]
        return
    assert lines == [e.format(f=path) for e in expected]


def test_all_errors_of_a_file_are_collected(cm, write):
    path = write(
        "x.yaml",
        """
descripton: typo
constants:
  Price War Intensty: 0.5
  Embedding Push: 2
""",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, model=cm)
    keys = [i.key for i in info.value.issues]
    assert keys == [
        "descripton",
        "description",
        "constants.Price War Intensty",
        "constants.Embedding Push",
    ]
    assert [i.line for i in info.value.issues] == [1, 1, 3, 4]


def test_extends_cycle(cm, write):
    a = write("a.yaml", "description: a\nextends: b\n")
    write("b.yaml", "description: b\n\nextends: a.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a, model=cm)
    b = a.parent / "b.yaml"
    assert [str(i) for i in info.value.issues] == [
        f"{b}:3: extends: cycle in 'extends': {a} -> {b} -> {a}"
    ]


def test_extends_self(cm, write):
    a = write("a.yaml", "description: a\nextends: a\n")
    with pytest.raises(ScenarioError, match=r"a.yaml:2: extends: cycle in 'extends'"):
        load_scenario(a, model=cm)


def test_missing_parent_suggests_closest(cm, write):
    write("baseline.yaml", "description: base\n")
    child = write("child.yaml", "description: c\nextends: basline\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child, model=cm)
    assert [str(i) for i in info.value.issues] == [
        f"{child}:2: extends: parent scenario 'basline' not found (looked for "
        f"{child.parent / 'basline.yaml'}); did you mean 'baseline'?"
    ]


def test_errors_in_parent_name_the_parent_file(cm, write):
    parent = write("p.yaml", "description: p\nconstants:\n  Embedding Push: 7\n")
    child = write("c.yaml", "description: c\nextends: p\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child, model=cm)
    assert [str(i) for i in info.value.issues] == [
        f"{parent}:3: constants.Embedding Push: 7 is outside the allowed range [0, 1] Dmnl"
    ]


def test_missing_file(cm, tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml", model=cm)
    assert [str(i) for i in info.value.issues] == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_empty_and_non_mapping_files(cm, write):
    with pytest.raises(ScenarioError, match=r"e.yaml: file is empty$"):
        load_scenario(write("e.yaml", "\n"), model=cm)
    with pytest.raises(ScenarioError, match=r"l.yaml:1: a scenario file must be a mapping"):
        load_scenario(write("l.yaml", "- a\n- b\n"), model=cm)


def test_good_file_and_value_forms(cm, write):
    path = write(
        "good.yaml",
        """
name: my_case
description: all value forms
constants:
  Price War Intensity:
    US: 0.2
    CN: {step: {time: 2027, before: 0.8, after: 0.3}}
  Embedding Push: {ramp: {start: 2025, end: 2028, from: 0.1, to: 0.9}}
  Model Growth Rate: {points: [[2024, 0.5], [2030, 1.5]]}
  Initial Model ARR: {US: 3e10, CN: 2.5e9}
  ARR Churn Rate: 0.2
""",
    )
    sc = load_scenario(path, model=cm)
    assert sc.name == "my_case" and sc.description == "all value forms"
    assert sc.files == (str(path),)
    by_key = {o.key: o for o in sc.overrides}
    assert by_key["constants.Price War Intensity.US"].value == 0.2
    step = by_key["constants.Price War Intensity.CN"].value
    assert isinstance(step, Points) and step.values == (0.8, 0.3) and step.times[1] == 2027
    assert by_key["constants.Embedding Push"].value.times == (2025.0, 2028.0)
    assert by_key["constants.Initial Model ARR.US"].value == 3e10  # YAML 1.1 '3e10' accepted
    assert by_key["constants.ARR Churn Rate"].line == 10


def test_name_defaults_to_file_stem_and_structure_only_without_model(write):
    sc = load_scenario(write("stem_name.yaml", GOOD))
    assert sc.name == "stem_name"
    assert sc.overrides[0].elements == (("CN", 4),)
