"""Shared plot style: Agg backend, colours, unit-aware axes, log scale where values span decades."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from ..core.keys import GAPS, KEY_VARIABLES  # noqa: E402,F401  (re-exported)
from ..core.formatting import scale_suffix  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import ColorType
    from numpy.typing import ArrayLike

REGION_COLORS = {"US": "#1f5fa8", "CN": "#c8102e"}
REGION_STYLES = {"US": "-", "CN": "--"}
GAP_VARIABLES = GAPS
LOG_SPAN = 30.0  # use a log axis when max/min of the plotted values exceeds this

plt.rcParams.update(
    {
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10.5,
        "axes.labelsize": 9,
        "xtick.labelsize": 8.5,
        "ytick.labelsize": 8.5,
        "legend.fontsize": 8,
        "legend.frameon": False,
    }
)


def region_color(region: str, k: int = 0) -> ColorType:
    """Colour of a region (US blue, CN red); other elements take tab10 colour ``k``."""
    return REGION_COLORS.get(region, plt.cm.tab10(k % 10))


def scenario_colors(names: Iterable[str]) -> dict[str, ColorType]:
    """The first scenario (the reference, usually the baseline) black, the others tab10."""
    names = list(names)
    cmap = plt.cm.tab10
    return {n: ("black" if i == 0 else cmap((i - 1) % 10)) for i, n in enumerate(names)}


def _money(value, _pos=None) -> str:
    scaled, suffix = scale_suffix(value)
    return f"${scaled:g}{suffix}"


def _plain(value, _pos=None) -> str:
    scaled, suffix = scale_suffix(value)
    return f"{scaled:g}{suffix}"


def format_axis(ax: Axes, unit: str | None, values: ArrayLike) -> None:
    """Log scale when positive values span more than ``LOG_SPAN``; $ / k-M-B-T tick labels."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    pos = v[v > 0]
    if pos.size and pos.size == v.size and pos.max() / pos.min() > LOG_SPAN:
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        if pos.max() / pos.min() < 300:  # under ~2.5 decades: label 1-2-5 steps
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    unit = unit or ""
    money = unit.replace(" ", "").startswith("USD") and "Mtoken" not in unit and "Month" not in unit
    if ax.get_yscale() == "log" or money or (pos.size and pos.max() >= 1e4):
        ax.yaxis.set_major_formatter(FuncFormatter(_money if money else _plain))
    ax.set_xlabel("year")
    if unit:
        ax.set_ylabel(unit)


def axes_grid(
    n: int, ncols: int = 3, size: tuple[float, float] = (4.6, 3.2)
) -> tuple[Figure, np.ndarray]:
    """Figure with ``n`` panels; unused axes are removed."""
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False
    )
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


def save(fig: Figure, path: Path | str) -> None:
    """Lay out ``fig``, write it as a PNG to ``path`` and close it."""
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
