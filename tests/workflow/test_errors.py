"""One error hierarchy: every error aigap raises on purpose derives from AigapError."""

import pytest

from aigap.analysis.conditions import ConditionError
from aigap.analysis.distributions import DistributionError
from aigap.analysis.samplers import SamplerError
from aigap.checks.units import UnitsSyntaxError
from aigap.core import AigapError, InputError
from aigap.engine import EngineError, compile_model
from aigap.scenarios import ScenarioError


@pytest.mark.parametrize(
    "cls",
    [
        InputError,
        ScenarioError,
        EngineError,
        ConditionError,
        DistributionError,
        SamplerError,
        UnitsSyntaxError,
    ],
)
def test_one_base_class(cls):
    assert issubclass(cls, AigapError)


def test_a_library_caller_catches_every_engine_failure_with_the_base(tmp_path):
    bad = tmp_path / "bad.mdl"
    bad.write_text("x = GET XLS DATA('a.xlsx', 'b', 'c', 'd')\n~ ~|\n")
    with pytest.raises(AigapError):
        compile_model(bad)
