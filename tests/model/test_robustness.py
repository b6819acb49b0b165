"""The scenario stories hold across the parameter sets that fit the data, not only at the
baseline: behavioural-acceptance ensemble (model/accepted_ensemble.py)."""
import importlib.util

import pytest

from model_helpers import MODEL, OBSERVATIONS


@pytest.mark.slow
def test_scenario_directions_hold_over_data_consistent_parameter_sets(cm):
    from aigap.observations import load_observations
    spec = importlib.util.spec_from_file_location("accepted_ensemble",
                                                  MODEL.parent / "accepted_ensemble.py")
    ens = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ens)
    acc = ens.accepted(cm, load_observations(OBSERVATIONS, model=cm), n=80000, seed=11)
    m = len(next(iter(acc.values())))
    assert m >= 30, f"only {m} of 80000 draws fit the observations"
    shares = ens.directions(ens.scenario_runs(cm, acc))
    weak = {claim: s for claim, s in shares.items() if s < 0.95}
    assert weak == {}
