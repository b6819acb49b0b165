"""Ensemble engine: compile a Vensim model to vectorized numpy, identical to PySD.

>>> from aigap.engine import compile_model, TimeSeries
>>> cm = compile_model("model/ai_gap.mdl")
>>> res = cm.simulate(params={"Some Constant": [0.1, 0.2]}, outputs=["Total AI ARR"])
"""

from .axes import RUN, TIME
from .errors import EngineError, ParameterError, UnsupportedFeatureError
from .metadata import ConstantInfo, VariableInfo
from .model import CompiledModel, compile_model
from .params import TimeSeries
from .results import SimulationResult
from .version import ENGINE_VERSION


def simulate(model, **kwargs):
    """Compile ``model`` (a path or CompiledModel) if needed and simulate it."""
    cm = model if isinstance(model, CompiledModel) else compile_model(model)
    return cm.simulate(**kwargs)


__all__ = [
    "RUN",
    "TIME",
    "EngineError",
    "ParameterError",
    "UnsupportedFeatureError",
    "ConstantInfo",
    "VariableInfo",
    "CompiledModel",
    "compile_model",
    "TimeSeries",
    "SimulationResult",
    "simulate",
    "ENGINE_VERSION",
]
