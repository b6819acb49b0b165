"""Numbers for people: money with B/T suffixes, %/yr rates, gap ratios, n/a for non-finite,
three significant figures throughout (``17.0x`` beside ``19.1x``), times in words."""

from __future__ import annotations

import math

import numpy as np

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def scale_suffix(value: float) -> tuple:
    """``(value / 10^k, "k"|"M"|"B"|"T"|"")`` for compact numbers."""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= div:
            return value / div, suffix
    return value, ""


def sig3(value: float) -> str:
    """Three significant figures, trailing zeros kept (``17.0``, ``19.1``, ``0.350``, ``123``)."""
    if value == 0:
        return "0"
    text = f"{value:#.3g}"
    if "e" in text:  # >= 999.5 rounds up to 1.00e+03; tiny values keep the exponent
        return f"{value:,.0f}" if abs(value) >= 1 else f"{value:.3g}"
    return text.rstrip(".")


def format_value(value: float, unit: str = "", ratio: bool = False) -> str:
    """Human-readable number, three significant figures: ``$85.3B``, ``$17.0B``,
    ``12.4%/yr``, ``26.6x`` / ``17.0x`` (ratio), ``4.39M``."""
    if not np.isfinite(value):
        return "n/a"
    unit = (unit or "").replace(" ", "")
    if ratio:
        return f"{value:,.0f}x" if abs(value) >= 1000 else f"{sig3(value)}x"
    scaled, suffix = scale_suffix(value)
    if unit.startswith("USD"):
        return f"${sig3(scaled)}{suffix}"
    if unit == "1/Year":
        return f"{sig3(100 * value)}%/yr"
    return f"{sig3(scaled)}{suffix}"


def format_when(t: object) -> str:
    """A model time as words: ``2031.0`` -> "year-end 2030", ``2026.41`` -> "May 2026"."""
    try:
        t = float(t)
    except (TypeError, ValueError):
        return str(t)
    if not math.isfinite(t):
        return "n/a"
    year = math.floor(t + 1e-9)
    frac = t - year
    if frac < 1e-6:
        return f"year-end {year - 1}"
    return f"{MONTHS[min(int(frac * 12 + 1e-6), 11)]} {year}"


def format_quantity(value: float, unit: str = "") -> str:
    """A constant's value with its unit, three significant figures: ``$99.8B`` (USD),
    ``$4.90M/yr`` (USD/Year), ``12.4%/yr`` (1/Year), ``0.350`` (Dmnl), ``4.39M people``,
    ``3.20 years``;
    a value too small for a suffix keeps three significant figures (``4.90e-15``)."""
    if not np.isfinite(value):
        return "n/a"
    if value < 0:
        return "-" + format_quantity(-value, unit)
    u = (unit or "").replace(" ", "")
    if u.startswith("USD"):
        return format_value(value, "USD") + ("/yr" if u[3:] == "/Year" else u[3:])
    if u == "1/Year":
        return format_value(value, u)
    text = format_value(value) if value >= 1e-3 or value == 0 else f"{value:.2e}"
    words = {"Year": "years", "Month": "months", "Person": "people"}
    return text if u in ("", "Dmnl", "1") else f"{text} {words.get(u, unit.strip())}"
