"""Numbers for people: money with B/T suffixes, %/yr rates, gap ratios, n/a for non-finite."""
from __future__ import annotations

import numpy as np


def scale_suffix(value: float) -> tuple:
    """``(value / 10^k, "k"|"M"|"B"|"T"|"")`` for compact numbers."""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= div:
            return value / div, suffix
    return value, ""


def format_value(value: float, unit: str = "", ratio: bool = False) -> str:
    """Human-readable number: ``$85.3B``, ``12.4%/yr``, ``26.6x`` (ratio), ``4.39M``."""
    if not np.isfinite(value):
        return "n/a"
    unit = (unit or "").replace(" ", "")
    if ratio:
        return f"{value:,.0f}x" if abs(value) >= 1000 else f"{value:.3g}x"
    scaled, suffix = scale_suffix(value)
    if unit.startswith("USD"):
        return f"${scaled:.3g}{suffix}"
    if unit == "1/Year":
        return f"{100 * value:.3g}%/yr"
    return f"{scaled:.3g}{suffix}"
