"""Matplotlib (Agg) plots of runs, comparisons and fits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fit import plot_fit
from .style import GAP_VARIABLES, KEY_VARIABLES
from .timeseries import data_end, plot_gap_ratios, plot_key_variables, plot_panels

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Protocol

    import pandas as pd

    from ..core.profile import Profile
    from ..engine import CompiledModel, SimulationResult
    from ..observations import Observations

    class RunOutputs(Protocol):
        """What :func:`plot_run_outputs` reads of a run: fields of
        :class:`aigap.workflow.runner.RunOutput` (a higher layer, not imported here)."""

        kind: str
        name: str
        model: CompiledModel
        results: Mapping[str, SimulationResult]
        observations: Observations | None
        fit: pd.DataFrame | None
        profile: Profile | None


def plot_run_outputs(folder: Path | str, out: RunOutputs) -> list[Path]:
    """The PNGs of a run/compare folder; returns their paths.

    ``run``: key_variables.png (both regions, observations overlaid), gap_ratios.png,
    fit.png (when observations exist). ``compare``: the same panels with every scenario
    overlaid (colour = scenario, line style = region).
    """
    from pathlib import Path

    folder = Path(folder)
    units = {n: v.units for n, v in out.model.variables.items()}
    label = out.name if out.kind == "run" else f"{len(out.results)} scenarios"
    profile = getattr(out, "profile", None)
    keys = profile.key_variables if profile is not None else KEY_VARIABLES
    gaps = profile.gaps if profile is not None else GAP_VARIABLES
    paths = [folder / "key_variables.png", folder / "gap_ratios.png"]
    plot_key_variables(
        paths[0],
        out.results,
        units,
        out.observations,
        title=f"Key variables: {label}",
        variables=keys,
    )
    plot_gap_ratios(
        paths[1],
        out.results,
        units,
        title=f"US / China gap ratios: {label}",
        data_end_time=data_end(out.observations),
        variables=gaps,
        observations=out.observations,
    )
    if out.fit is not None:
        first = next(iter(out.results))
        fit = out.fit[out.fit.scenario == first]
        paths.append(folder / "fit.png")
        plot_fit(paths[-1], fit, title=f"Fit of '{first}' to observations")
    return [p for p in paths if p.exists()]


__all__ = [
    "GAP_VARIABLES",
    "KEY_VARIABLES",
    "plot_fit",
    "plot_gap_ratios",
    "plot_key_variables",
    "plot_panels",
    "plot_run_outputs",
]
