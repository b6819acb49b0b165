"""Every project scenario: its constants exist, it runs, outputs are finite, stocks stay >= 0."""

import numpy as np
import pytest

from model_helpers import NON_NEGATIVE, SCENARIO_NAMES, SCENARIOS


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_scenario_constants_exist_in_model(cm, name):
    import yaml

    data = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    assert data["description"].strip()
    assert name == "baseline" or data["extends"] == "baseline"
    for constant in data.get("constants") or {}:
        assert constant in cm.constants, constant


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_scenario_runs_finite_and_non_negative(cm, scenario_params, name):
    res = cm.simulate(params=scenario_params[name])
    for var in cm.variables:
        if cm.variables[var].kind in ("lookup",):
            continue
        assert np.isfinite(res[var]).all(), f"{name}: {var} not finite"
    for var in NON_NEGATIVE:
        assert res[var].min() >= 0, f"{name}: {var} goes negative ({res[var].min():.3g})"
    for var in ("ARR Gap Ratio", "Model ARR Gap Ratio", "Return Gap Ratio"):
        assert (res[var][0, 1:] > 0).all()


def test_scenarios_tell_distinct_stories(cm, scenario_params):
    """The directional claims model/README.md makes about the scenarios (year-end 2030)."""
    res = {n: cm.simulate(params=p) for n, p in scenario_params.items()}

    def end(name, var, k=None):
        v = res[name][var][0, -1]
        return v if k is None else v[k]

    US, CN = 0, 1
    gap = {n: end(n, "ARR Gap Ratio") for n in res}
    # entry-point status quo widens the gap, embedding and a truce narrow it
    assert gap["china_entry_point"] > 1.15 * gap["baseline"]
    assert gap["china_embedding"] < 0.85 * gap["baseline"]
    assert gap["price_war_truce"] < 0.85 * gap["baseline"]
    # embedding money goes mostly to the platforms (application layer)
    assert end("china_embedding", "Application ARR", CN) > 1.2 * end(
        "baseline", "Application ARR", CN
    )
    # the US route grows US revenue, not Chinese
    assert end("us_substitution", "Total AI ARR", US) > 1.2 * end("baseline", "Total AI ARR", US)
    # (China is touched only through the capability frontier it catches up with)
    assert end("us_substitution", "Total AI ARR", CN) == pytest.approx(
        end("baseline", "Total AI ARR", CN), rel=0.01
    )
    # copying Anthropic (embedding left at the baseline): fewer paying developers, more for model
    # companies; the Chinese total grows a little (the model contradicts seed 004 here, see the
    # claims table) but stays below the embedding route
    copy, base = "china_anthropic_copy", "baseline"
    assert end(copy, "Paying Developers", CN) < 0.7 * end(base, "Paying Developers", CN)
    assert end(copy, "Model ARR", CN) > end(base, "Model ARR", CN)
    assert end(copy, "Total AI ARR", CN) < 1.2 * end(base, "Total AI ARR", CN)
    assert end(copy, "Total AI ARR", CN) < 0.85 * end("china_embedding", "Total AI ARR", CN)
    # a truce raises Chinese token prices and developer willingness to pay
    assert end("price_war_truce", "Token Price", CN) > 1.5 * end(base, "Token Price", CN)
    assert end("price_war_truce", "Developer WTP", CN) > end(base, "Developer WTP", CN)
