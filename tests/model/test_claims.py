"""The claims table of model/README.md: each seed claim's structure is knocked out (or its lever
moved) and the output the claim is about must move as the recorded verdict says; the published
table and the assumptions ledger are exactly what model/claims.py and readme_tables.py generate."""

import importlib.util
import sys

import pytest

from model_helpers import MODEL


def _load(name):
    spec = importlib.util.spec_from_file_location(name, MODEL.parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


claims = _load("claims")
readme_tables = _load("readme_tables")

# Recorded verdict of each claim (the README table says the same; a model change that flips one
# must update this list and the prose of model/README.md together).
VERDICTS = {
    "us_flywheel_2026": "agrees",
    "us_flywheel_2030": "agrees",
    "price_war_breaks_flywheel": "agrees",
    "price_war_cuts_developer_pay": "agrees",
    "price_war_cuts_revenue": "agrees",
    "embedding_route": "agrees",
    "us_seat_substitution": "contradicts",
    "team_procurement": "agrees",
    "deployments_not_subscriptions": "agrees",
    "traffic_without_revenue": "agrees",
    "capability_gap_narrows": "agrees",
    "gap_not_technical": "agrees",
    "weak_monetisation_less_capex": "agrees",
    "model_layer_split": "agrees",
    "model_direct_share": "agrees",
    "anthropic_copy_fails": "contradicts",
    "overseas_revenue": "agrees",
}


# Verdict over the posterior (model/posterior/ draws): 'uncertain' = the data do not decide it.
POSTERIOR_VERDICTS = {
    **VERDICTS,
    "price_war_cuts_developer_pay": "uncertain",
    "us_seat_substitution": "uncertain",
    "anthropic_copy_fails": "uncertain",
}


@pytest.fixture(scope="module")
def rows(cm):
    return {r["claim"].key: r for r in claims.measure(cm)}


def test_every_claim_has_a_recorded_verdict(rows):
    assert set(rows) == set(VERDICTS)


@pytest.mark.parametrize("key", sorted(VERDICTS))
def test_claim_verdict(rows, key):
    r = rows[key]
    assert r["verdict"] == VERDICTS[key], (key, r["change"])


@pytest.mark.parametrize("key", [k for k, v in VERDICTS.items() if v == "agrees"])
def test_agreeing_claims_are_load_bearing(rows, key):
    """An agreeing claim's knock-out moves its output materially, in the claimed direction
    (or, for 'does not close the gap', leaves it within the threshold)."""
    c, change = rows[key]["claim"], rows[key]["change"]
    if c.expect == 0:
        assert abs(change) < c.material
    else:
        assert change * c.expect >= max(c.material, 0.01), (key, change)


def test_flywheel_sets_2026_and_the_2030_level(rows):
    assert rows["us_flywheel_2026"]["change"] < -0.25
    assert rows["us_flywheel_2030"]["change"] < -0.1


def test_routes_not_a_multiplier_carry_the_2030_levels(rows):
    # revenue is drawn from the budget each route reaches (no wallet multiple any more)
    assert rows["embedding_route"]["change"] < -0.6  # China: embedding
    assert rows["us_seat_substitution"]["change"] < -0.35  # US: seat substitution ...
    assert rows["team_procurement"]["change"] < -0.25  # ... and team procurement
    # the price war acts through step 1 of the flywheel in China
    assert rows["price_war_breaks_flywheel"]["change"] > 0.25


def test_verdict_rule():
    c = claims.CLAIMS[0]
    assert claims.verdict(c, -0.5) == "agrees"
    assert claims.verdict(c, -0.05) == "contradicts"
    assert claims.verdict(c, +0.5) == "contradicts"


@pytest.fixture(scope="module")
def post_rows(cm):
    return {r["claim"].key: r for r in claims.measure_posterior(cm)}


@pytest.mark.parametrize("key", sorted(VERDICTS))
def test_claim_verdict_over_the_posterior(post_rows, key):
    """Over 200 posterior draws each claim's verdict is the one recorded here (a model or data
    change that flips one must update this list and model/README.md together)."""
    r = post_rows[key]
    assert r["verdict"] == POSTERIOR_VERDICTS[key], (key, r["share_agrees"], r["median"])
    assert r["p5"] <= r["median"] <= r["p95"] and r["n"] == 200


def test_posterior_verdict_rule():
    assert claims.posterior_verdict(0.95) == "agrees"
    assert claims.posterior_verdict(0.9) == "agrees"
    assert claims.posterior_verdict(0.5) == "uncertain"
    assert claims.posterior_verdict(0.05) == "contradicts"
    assert claims.posterior_verdict(0.6, level=0.5) == "agrees"


def test_readme_claims_and_ledger_are_current(cm):
    readme = (MODEL.parent / "README.md").read_text(encoding="utf-8")
    generated = readme_tables.sections(
        cm, names=("claims", "ledger", "family", "mapping", "overseas")
    )
    assert readme_tables.render(readme, generated) == readme, (
        "model/README.md is out of date: run python model/readme_tables.py"
    )


def test_ledger_classifies_every_constant(cm):
    kinds = {n: readme_tables.ledger_kind(c.doc) for n, c in cm.constants.items()}
    assert set(kinds.values()) <= set(readme_tables.LEDGER_KINDS)
    assert kinds["Months per Year"] == "fixed"
    assert kinds["Price War Intensity"] == "lever"
    assert kinds["Flywheel Price Threshold"] == "sourced"
    assert kinds["Team AI Budget per Paying Developer"] == "calibrated"
    assert kinds["Model Direct Share"] == "assumed"  # "(assumption 0.7)" in its doc
    assert kinds["Hurdle Return on AI Capital"] == "calibrated"
    assert readme_tables.ledger_kind("") == "assumed"


def test_family_member_china_with_us_constants_behaves_like_the_us(cm):
    fam = claims.family_member(cm)
    for t in (claims.MAY_2026, claims.END_2030):
        assert fam["all"][t] == pytest.approx(1.0, rel=1e-6)
    # the paradigm constants carry most of the 2030 gap (not capability or capital)
    assert fam["paradigm"][claims.END_2030] < 0.2 * fam["baseline"][claims.END_2030]
