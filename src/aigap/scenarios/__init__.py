"""Scenario files: schema-first loading, ``extends`` chains and the precedence rule.

>>> from aigap.scenarios import load_scenario, resolve_params, ScenarioError
>>> sc = load_scenario("scenarios/china_embedding.yaml", model=cm)
>>> params = resolve_params(cm, sc, cli_sets=["Price War Intensity[CN]=0.5"])
"""

from ..core.errors import InputError, Issue
from .loader import Scenario, ScenarioError, list_scenarios, load_scenario, safe_name
from .params import parse_sets, resolve_params
from .schema import Override, Points, format_range

__all__ = [
    "InputError",
    "Issue",
    "Override",
    "Points",
    "Scenario",
    "ScenarioError",
    "format_range",
    "list_scenarios",
    "load_scenario",
    "parse_sets",
    "resolve_params",
    "safe_name",
]
