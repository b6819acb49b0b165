"""Predicates of the declarative checks: pure functions over ``(runs, time, ...)`` arrays.

Every predicate returns a *slack* array of the shape of its input: ``slack >= 0`` where
the predicate holds (``> 0`` for the strict ``increasing``/``decreasing``), negative where
it fails, NaN where the value is not finite (always a failure). Tolerances widen the
accepted zone by ``atol + rtol * |reference|``.
"""

from __future__ import annotations

import numpy as np

STRICT = ("increasing", "decreasing")


def _tol(ref, rtol, atol):
    return atol + rtol * np.abs(ref)


def at_least(x, ref, rtol=0.0, atol=0.0):
    """``x >= ref`` (within tolerance)."""
    return x - ref + _tol(ref, rtol, atol)


def at_most(x, ref, rtol=0.0, atol=0.0):
    """``x <= ref`` (within tolerance)."""
    return ref - x + _tol(ref, rtol, atol)


def between(x, lo, hi, rtol=0.0, atol=0.0):
    """``lo <= x <= hi`` (within tolerance of either bound)."""
    return np.minimum(at_least(x, lo, rtol, atol), at_most(x, hi, rtol, atol))


def approx(x, ref, rtol=0.0, atol=0.0):
    """``|x - ref| <= atol + rtol * |ref|``."""
    return _tol(ref, rtol, atol) - np.abs(x - ref)


def finite(x):
    """Finite everywhere: 0 where finite, NaN elsewhere."""
    return np.where(np.isfinite(x), 0.0, np.nan)


def non_negative(x, atol=0.0):
    """``x >= -atol``."""
    return x + atol


def monotone(x, direction, atol=0.0):
    """Step-to-step change along time (axis 1) in the given direction.

    The slack has one time point fewer than ``x``; ``non_decreasing`` allows steps down
    by at most ``atol``; ``increasing`` needs every step strictly up.
    """
    d = np.diff(x, axis=1)
    if direction in ("decreasing", "non_increasing"):
        d = -d
    return d if direction in STRICT else d + atol


def holds(slack, strict=False):
    """Boolean array: where the predicate holds (NaN never holds)."""
    with np.errstate(invalid="ignore"):
        return slack > 0 if strict else slack >= 0


def worst_index(slack):
    """Per run, the flat index (over time and elements) of the smallest slack; NaN first."""
    flat = slack.reshape(slack.shape[0], -1)
    key = np.where(np.isnan(flat), -np.inf, flat)
    return np.argmin(key, axis=1)
