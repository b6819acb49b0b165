"""Logging for library code: modules log to ``logging.getLogger("aigap.<module>")``; only
the CLI decides where records go (:func:`configure_cli`), so a notebook or another program
embedding aigap keeps control of its own output. Library code never prints."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

__all__ = ["ROOT_LOGGER", "configure_cli", "get_logger"]

ROOT_LOGGER = "aigap"


class _CliFormatter(logging.Formatter):
    """``warning: message`` for warnings and errors, the bare message for info."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {text}"
        return text


def get_logger(name: str) -> logging.Logger:
    """The logger of module ``name`` (``__name__``), under the ``aigap`` root logger."""
    return logging.getLogger(name if name.startswith(ROOT_LOGGER) else f"{ROOT_LOGGER}.{name}")


def configure_cli(level: int = logging.WARNING, stream: TextIO | None = None) -> logging.Handler:
    """Send ``aigap`` records at ``level`` and above to ``stream`` (default the current
    ``sys.stderr``) as one line each; replaces an earlier CLI handler."""
    root = logging.getLogger(ROOT_LOGGER)
    for h in list(root.handlers):
        if getattr(h, "_aigap_cli", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(_CliFormatter())
    handler._aigap_cli = True
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    return handler
