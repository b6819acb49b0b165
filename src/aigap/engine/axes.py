"""Named ensemble axes shared by every stage.

Ensemble outputs are laid out ``(RUN, TIME, *subscript_dims)``; state and
parameters ``(RUN, *subscript_dims)``.
"""

RUN = "run"
TIME = "time"

__all__ = ["RUN", "TIME"]
