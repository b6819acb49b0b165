"""Small helpers for the model tests (importable: tests/model is on sys.path)."""

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "model" / "ai_gap.mdl"
SCENARIOS = ROOT / "scenarios"
OBSERVATIONS = SCENARIOS / "data" / "observations.yaml"
SEEDS = ROOT / ".." / "shared" / "seeds"
SCENARIO_NAMES = (
    "baseline",
    "us_substitution",
    "china_entry_point",
    "china_embedding",
    "china_anthropic_copy",
    "price_war_truce",
)
# Scenarios beyond the six named ones (what a strategist asks next; not in `aigap compare`).
EXTRA_SCENARIOS = ("china_overseas",)
# Stocks that must never go negative (all of them: money, people, capital, prices, shares).
NON_NEGATIVE = (
    "AI Capital",
    "Token Price",
    "Developer WTP",
    "Paying Developers",
    "AI App Users",
    "Seat Software Budget",
    "Substituted Seat Budget",
    "Unserved Enterprise Pool",
    "Embedded Enterprise Budget",
    "Interface Orientation",
    "Model Contract ARR",
    "Application Contract ARR",
    "AI Capex",
    "Model ARR",
    "Application ARR",
    "Total AI ARR",
    "Overseas Paying Users",
    "Overseas AI ARR",
    "Global AI ARR",
)
KEY_OUTPUTS = (
    "Total AI ARR",
    "Model ARR",
    "Application ARR",
    "AI Capital",
    "AI Capex",
    "Return on AI Capital",
    "Token Price",
    "Developer WTP",
    "Paying Developers",
    "ARR Gap Ratio",
    "Model ARR Gap Ratio",
    "Return Gap Ratio",
)


def at(result, name, time, element=None):
    """Value of ``name`` (run 0) at the saved time nearest ``time``; one element or all."""
    i = int(np.argmin(np.abs(result.time - time)))
    value = result[name][0, i]
    if element is None:
        return value
    return value[list(result.coords["Region"]).index(element)]


def with_constant(cm, name, value, element=None, params=None):
    """A copy of ``params`` with one constant (or one element of it) replaced."""
    params = dict(params or {})
    info = cm.constants[name]
    arr = np.array(params.get(name, info.default), dtype=float, copy=True)
    if element is None:
        arr = np.full_like(arr, value)
    else:
        arr[..., list(cm.dims[info.dims[0]]).index(element)] = value
    params[name] = arr
    return params
