"""The core every layer imports and none imports back: errors, the model's key names,
number formatting. It imports nothing from the rest of aigap."""

from .errors import AigapError, InputError, Issue, IssueList

__all__ = ["AigapError", "InputError", "Issue", "IssueList"]
