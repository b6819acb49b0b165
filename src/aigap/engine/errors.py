"""Engine exceptions: one base class (under :class:`aigap.core.AigapError`), one-line messages."""

from ..core.errors import AigapError


class EngineError(AigapError):
    """Base class of every error raised by :mod:`aigap.engine`."""


class UnsupportedFeatureError(EngineError):
    """A model uses a Vensim feature the engine cannot compile.

    Raised at compile time; the message names the variable, the function and
    the line of the model file.
    """

    def __init__(self, variable, feature, path=None, line=None, detail=""):
        self.variable = variable
        self.feature = feature
        self.path = path
        self.line = line
        where = f"{path}:{line}" if path and line else (str(path) if path else "?")
        msg = f"{where}: variable '{variable}' uses unsupported feature '{feature}'"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class ParameterError(EngineError, ValueError):
    """A parameter override is invalid (unknown name, wrong shape or type)."""
