"""The analysis *problem*: named uncertain inputs with their marginal distributions.

Like SALib's ``problem`` dict, but typed: ``Problem(names, dists)``. A name is a label such
as ``"Price War Intensity[CN]"``; :func:`split_label` recovers the Vensim name and element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .distributions import Distribution

__all__ = ["Problem", "split_label", "make_label"]

_LABEL = re.compile(r"^(?P<name>[^\[\]]+?)\s*(\[(?P<elem>[^\[\]]+)\])?$")


def make_label(name: str, element: str | None) -> str:
    """``"Name[CN]"`` for a subscripted element, ``"Name"`` otherwise."""
    return f"{name}[{element}]" if element else name


def split_label(label: str) -> tuple[str, str | None]:
    """Inverse of :func:`make_label`: ``"Name[CN]" -> ("Name", "CN")``."""
    m = _LABEL.match(label.strip())
    if not m:
        raise ValueError(f"bad parameter label {label!r} (expected 'Name' or 'Name[ELEMENT]')")
    return m.group("name").strip(), m.group("elem").strip() if m.group("elem") else None


@dataclass(frozen=True)
class Problem:
    """Uncertain inputs: ``names[i]`` is distributed as ``dists[i]`` (independent marginals)."""

    names: tuple[str, ...]
    dists: tuple[Distribution, ...]

    def __post_init__(self):
        if len(self.names) != len(self.dists):
            raise ValueError("Problem needs one distribution per name")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"Problem names must be unique: {list(self.names)}")
        if not self.names:
            raise ValueError("Problem needs at least one uncertain input")

    @property
    def d(self) -> int:
        """Number of uncertain inputs."""
        return len(self.names)

    @property
    def bounds(self) -> np.ndarray:
        """``(d, 2)`` array of ``[low, high]`` per input."""
        return np.array([[dist.low, dist.high] for dist in self.dists], dtype=float)

    def transform(self, unit: np.ndarray) -> np.ndarray:
        """Map unit-hypercube points ``(n, d)`` to parameter values ``(n, d)``."""
        unit = np.asarray(unit, dtype=float)
        if unit.ndim != 2 or unit.shape[1] != self.d:
            raise ValueError(f"expected unit samples of shape (n, {self.d}), got {unit.shape}")
        out = np.empty_like(unit)
        for j, dist in enumerate(self.dists):
            out[:, j] = dist.ppf(unit[:, j])
        return out

    def to_unit(self, values: np.ndarray) -> np.ndarray:
        """Map parameter values ``(n, d)`` back to the unit hypercube (CDF per column)."""
        values = np.asarray(values, dtype=float)
        out = np.empty_like(values)
        for j, dist in enumerate(self.dists):
            out[:, j] = dist.cdf(values[:, j])
        return out
