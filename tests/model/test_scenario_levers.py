"""Scenarios as clean experiments: each scenario changes only the levers its story names, and
each of its levers, reset alone to the baseline, moves the outputs its story is about
(year-end 2030, relative change of the full scenario against the scenario without that lever)."""

import numpy as np
import pytest
import yaml

from model_helpers import SCENARIOS

US, CN = 0, 1
# scenario -> lever -> [(output, region index or None, expected sign, smallest |change|)]
STORY = {
    "us_substitution": {
        "Substitutable Share": [
            ("Substituted Seat Budget", US, +1, 0.2),
            ("Total AI ARR", US, +1, 0.1),
            ("ARR Gap Ratio", None, +1, 0.1),
        ],
        "Model Direct Share": [("Model ARR", US, +1, 0.02), ("Application ARR", US, -1, 0.05)],
    },
    "china_entry_point": {
        "Price War Intensity": [
            ("Token Price", CN, -1, 0.1),
            ("Developer Subscription ARR", CN, -1, 0.1),
            ("Total AI ARR", CN, -1, 0.05),
        ],
        "Embedding Push": [
            ("Embedded Enterprise Budget", CN, -1, 0.3),
            ("Application ARR", CN, -1, 0.1),
            ("ARR Gap Ratio", None, +1, 0.1),
        ],
        "Consumer Paying Share": [("Consumer Subscription ARR", CN, -1, 0.3)],
    },
    "china_embedding": {
        "Embedding Push": [
            ("Embedded Enterprise Budget", CN, +1, 0.3),
            ("Application ARR", CN, +1, 0.2),
            ("Interface Orientation", CN, +1, 0.1),
            ("ARR Gap Ratio", None, -1, 0.1),
        ],
        "Model Supplier Share": [("Model ARR", CN, +1, 0.1), ("Application ARR", CN, -1, 0.02)],
    },
    "china_anthropic_copy": {
        "Developer Price Markup": [("Paying Developers", CN, -1, 0.3)],
        "Subscription Push": [("Interface Orientation", CN, +1, 0.05)],
        "Model Direct Share": [("Model ARR", CN, +1, 0.05)],
    },
    "china_overseas": {
        "Overseas Reach": [
            ("Overseas AI ARR", CN, +1, 0.5),
            ("Global AI ARR", CN, +1, 0.05),
            ("Global ARR Gap Ratio", None, -1, 0.05),
        ]
    },
    "price_war_truce": {
        "Price War Intensity": [
            ("Token Price", CN, +1, 0.5),
            ("Developer WTP", CN, +1, 0.1),
            ("Total AI ARR", CN, +1, 0.2),
            ("ARR Gap Ratio", None, -1, 0.1),
        ]
    },
}
CASES = [(s, lever) for s, levers in STORY.items() for lever in levers]


def _levers(name):
    return list(yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text())["constants"])


@pytest.mark.parametrize("name", sorted(STORY))
def test_scenario_changes_only_its_story_levers(name):
    assert set(_levers(name)) == set(STORY[name])


def test_baseline_changes_nothing():
    assert _levers("baseline") == []


def test_anthropic_copy_does_not_cut_embedding():
    assert "Embedding Push" not in _levers("china_anthropic_copy")


@pytest.mark.parametrize("name,lever", CASES)
def test_each_lever_moves_its_story_outputs(cm, scenario_params, name, lever):
    full_params = scenario_params[name]
    full = cm.simulate(params=full_params)
    without = cm.simulate(params={k: v for k, v in full_params.items() if k != lever})
    for output, region, sign, size in STORY[name][lever]:
        a, b = full[output][0, -1], without[output][0, -1]
        if region is not None:
            a, b = a[region], b[region]
        change = float(a / b - 1)
        assert np.sign(change) == sign and abs(change) >= size, (name, lever, output, change)
