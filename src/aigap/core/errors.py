"""Errors of every layer: one base class, and input errors for people (one line each,
naming the file, the line and the key).

Every validator in :mod:`aigap.scenarios` and :mod:`aigap.observations` collects
:class:`Issue` objects in an :class:`IssueList` and raises one :class:`InputError`
(subclass) holding all of them, so a user sees every problem of a file at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, TextIO

_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e"
    r"\u2066-\u2069]|\r(?!\n)"
)  # CRLF (csv module lines) is kept


def printable(text: object, newlines: bool = True) -> str:
    """``text`` safe to echo to a terminal: control characters (ANSI escapes, carriage
    returns not ending a line, bidi overrides) shown as ``\\x1b``-style escapes, never interpreted.
    Tabs are kept; newlines too unless ``newlines=False``."""
    text = str(text)
    if not newlines:
        text = text.replace("\n", "\\n")
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass(frozen=True)
class Issue:
    """One problem in an input file.

    ``str(issue)`` is ``"file:line: key: message; did you mean 'X'?"``.
    """

    file: str
    line: int | None
    key: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        if self.suggestion:
            text += f"; did you mean '{self.suggestion}'?"
        return printable(text, newlines=False)


class PrintableStream:
    """A text stream wrapper that writes :func:`printable` text: whatever a file held (an
    ANSI escape in a description, a bidi override in a name) is shown, never run by the
    terminal. The CLI wraps stdout and stderr with it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: object) -> int:
        """Write ``text`` with control characters escaped."""
        return self._stream.write(printable(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class AigapError(Exception):
    """Base class of every error aigap raises on purpose (engine, input, analysis)."""


class InputError(AigapError):
    """Bad user input (scenario, observation or command-line values); exit code 2."""

    def __init__(self, issues: Iterable[Issue | str]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class IssueList:
    """Collects the issues of one file, in order, without duplicates."""

    def __init__(self, file: str) -> None:
        self.file = str(file)
        self.items: list[Issue] = []
        self._seen: set = set()  # O(1) duplicate test: a file with 1e5 problems stays fast

    def add(
        self,
        line: int | None,
        key: str,
        message: str,
        suggestion: str | None = None,
        file: str | None = None,
    ) -> None:
        """Record one problem (``file:line: key: message; did you mean ...?``) once."""
        self.extend([Issue(str(file or self.file), line, key, message, suggestion)])

    def extend(self, issues: Iterable[Issue]) -> None:
        """Record several :class:`Issue` objects, skipping ones already listed."""
        for i in issues:
            if i not in self._seen:
                self._seen.add(i)
                self.items.append(i)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.items)


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """Closest valid name (case-insensitive match first, then difflib), or None."""
    candidates = [str(c) for c in candidates]
    lower = {c.lower(): c for c in candidates}
    key = str(name).lower()
    if key in lower:
        return lower[key]
    close = get_close_matches(key, list(lower), n=1, cutoff=0.5)
    return lower[close[0]] if close else None
