"""The model contract ("project profile"): what generic code reports about a model.

A profile is a YAML file beside the model (``model/ai_gap.profile.yaml`` for
``model/ai_gap.mdl``): its key variables (plot panels, default sweep outputs), the
variables of the year-end summary, the gap ratios and the regional variable each one
divides, the region dimension and the two elements a gap compares, the report years and
the default scenarios of ``aigap compare`` and the scripts that generate its documented
tables (``aigap docs``). Generic code (run, compare, summary tables,
plots) reads the profile of the model it runs; :func:`shipped_profile` is the profile of
the project model shipped with the package, which :mod:`aigap.core.keys` exposes as
constants. The file is validated, with ``file:line: key: message`` errors, by
:func:`aigap.scenarios.profile_file.load_profile`; this module only holds the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "GapRatio",
    "Profile",
    "PROFILE_SUFFIX",
    "profile_from_data",
    "profile_path",
    "shipped_profile",
]

PROFILE_SUFFIX = ".profile.yaml"
SHIPPED_MODEL = Path("model") / "ai_gap.mdl"


@dataclass(frozen=True)
class GapRatio:
    """A gap ratio variable ``name`` = ``of``[first region] / ``of``[second region]."""

    name: str
    of: str
    label: str


@dataclass(frozen=True)
class Profile:
    """The contract of one model (see the module docstring)."""

    key_variables: tuple[str, ...]
    summary_variables: tuple[str, ...]
    gap_ratios: tuple[GapRatio, ...] = ()
    region_dimension: str | None = None
    regions: tuple[str, ...] = ()
    region_colors: dict = field(default_factory=dict)
    report_years: tuple[int, ...] = ()
    default_scenarios: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    description: str = ""
    path: str | None = None

    @property
    def gaps(self) -> tuple[str, ...]:
        """Names of the gap ratio variables."""
        return tuple(g.name for g in self.gap_ratios)

    @property
    def gap_of(self) -> dict:
        """Gap ratio name -> the regional variable it divides."""
        return {g.name: g.of for g in self.gap_ratios}

    @property
    def gap_labels(self) -> dict:
        """Gap ratio name -> its label in tables and plots."""
        return {g.name: g.label for g in self.gap_ratios}

    @property
    def key_outputs(self) -> tuple[str, ...]:
        """Key variables and gap ratios: what sweeps store by default."""
        return tuple(dict.fromkeys((*self.key_variables, *self.gaps)))

    @property
    def table_variables(self) -> tuple[str, ...]:
        """Rows of the year-end summary: the summary variables, then the gap ratios."""
        return tuple(dict.fromkeys((*self.summary_variables, *self.gaps)))

    @property
    def denominator(self) -> str | None:
        """The region a gap ratio divides by (the second of ``regions``)."""
        return self.regions[1] if len(self.regions) > 1 else None


def profile_path(model_path: Path | str) -> Path:
    """``<folder>/<stem>.profile.yaml`` beside ``model_path``."""
    p = Path(model_path)
    return p.with_name(p.stem + PROFILE_SUFFIX)


def profile_from_data(data: Mapping[str, Any], path: Path | str | None = None) -> Profile:
    """A :class:`Profile` from the plain data of a validated profile file."""
    regions = data.get("regions") or {}
    years = data.get("report_years") or {}
    first, last = years.get("first"), years.get("last")
    gaps = tuple(
        GapRatio(name, g["of"], g.get("label") or name)
        for name, g in (data.get("gap_ratios") or {}).items()
    )
    summary = data.get("summary_variables")
    return Profile(
        key_variables=tuple(data["key_variables"]),
        summary_variables=tuple(summary if summary is not None else data["key_variables"]),
        gap_ratios=gaps,
        region_dimension=regions.get("dimension"),
        regions=tuple(regions.get("elements") or ()),
        region_colors=dict(regions.get("colors") or {}),
        report_years=tuple(range(int(first), int(last) + 1)) if first is not None else (),
        default_scenarios=tuple(data.get("default_scenarios") or ()),
        docs=tuple(data.get("docs") or ()),
        description=str(data.get("description") or ""),
        path=str(path) if path is not None else None,
    )


def _shipped_candidates() -> list:
    here = Path(__file__).resolve()
    return [
        here.parents[3] / SHIPPED_MODEL,  # source checkout: src/aigap/core
        here.parents[1] / "_project" / SHIPPED_MODEL,
    ]  # installed package data


@lru_cache(maxsize=1)
def shipped_profile() -> Profile:
    """The profile of the project model shipped with the package (checkout or wheel).

    Read with PyYAML's safe loader; the shipped file is checked by the schema-first
    loader in the tests and by ``aigap check``.
    """
    import yaml

    for model in _shipped_candidates():
        path = profile_path(model)
        if path.is_file():
            with open(path, encoding="utf-8") as fh:
                return profile_from_data(yaml.safe_load(fh), path)
    raise FileNotFoundError(
        "the project profile model/ai_gap.profile.yaml is missing from "
        f"the package; looked in {', '.join(map(str, _shipped_candidates()))}"
    )
