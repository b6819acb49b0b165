"""Behaviour reproduction: the baseline (model defaults) matches the published observations."""

import re

import numpy as np
import pytest

from model_helpers import OBSERVATIONS, SEEDS


@pytest.fixture(scope="module")
def observations(cm):
    from aigap.observations import load_observations

    return load_observations(OBSERVATIONS, model=cm)


def test_observation_file_is_valid_and_maps_most_facts(observations):
    fitted = observations.fitted
    assert len(fitted) >= 30
    assert len(observations.items) - len(fitted) >= 10  # context-only facts kept too
    assert observations.currency["usd_per_rmb"] == pytest.approx(20 / 145, rel=0.01)
    kinds = {o.kind for o in fitted}
    assert kinds == {"point", "lower", "upper", "range"}
    regions = {o.region for o in fitted}
    assert {"US", "CN", None} <= regions


def test_baseline_reproduces_every_observation(cm, baseline, observations):
    from aigap.observations import fit_table

    table = fit_table(observations, baseline)
    failed = table[~table.passed]
    assert failed.empty, (
        "\n"
        + failed[["id", "kind", "observed", "low", "high", "simulated", "pct_error"]].to_string()
    )
    points = table[table.kind == "point"]
    assert np.abs(points.log_error).max() <= 0.25
    # hand calibration is not a knife-edge: the typical point error is well inside tolerance
    assert np.sqrt(np.mean(points.log_error**2)) < 0.12


def _normalise(text):
    return re.sub(r"[\s\-–—]+", " ", text.replace("’", "'")).strip().lower()


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not present")
def test_every_quote_is_in_its_seed_article(observations):
    texts = {p.name: _normalise(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    missing = []
    sources = [o.source for o in observations.items] + [observations.currency["source"]]
    for src in sources:
        if src["file"] not in texts or _normalise(src["quote"]) not in texts[src["file"]]:
            missing.append(src["quote"][:70])
    assert missing == []
