"""Where the default model, scenarios and checks come from (the "project folder").

Lookup order, first match wins, per file or folder (``model/ai_gap.mdl``, ``scenarios/``,
``model/checks.yaml``):

1. an explicit project folder: ``aigap --project DIR`` or ``$AIGAP_PROJECT`` (nothing else
   is tried then);
2. the current directory (a checkout, or your own folder with ``scenarios/`` or ``model/``);
3. the source checkout holding the package (an editable install);
4. the copy installed with the package (``aigap/_project``, put into the wheel by
   ``setup.py`` from the same ``model/``, ``scenarios/`` and ``schemas/``).

When nothing matches, one :class:`~aigap.core.errors.InputError` names every path tried.
"""

from __future__ import annotations

import os
from pathlib import Path

import aigap
from ..core.errors import InputError

PROJECT_ENV = "AIGAP_PROJECT"
MODEL_FILE = Path("model") / "ai_gap.mdl"
PACKAGE_DATA = "_project"

__all__ = [
    "MODEL_FILE",
    "PROJECT_ENV",
    "checkout_dir",
    "package_data_dir",
    "project_candidates",
    "project_file",
]


def checkout_dir() -> Path:
    """The source checkout holding the package (``src/aigap`` -> repository root)."""
    return Path(aigap.__file__).resolve().parents[2]


def package_data_dir() -> Path:
    """The model, scenarios and schemas installed with the package (a wheel install)."""
    return Path(aigap.__file__).resolve().parent / PACKAGE_DATA


def project_candidates() -> list:
    """``[(label, folder), ...]`` in lookup order (see the module docstring)."""
    explicit = os.environ.get(PROJECT_ENV)
    if explicit:
        return [(f"--project / ${PROJECT_ENV}", Path(explicit))]
    return [
        ("current directory", Path(".")),
        ("source checkout", checkout_dir()),
        ("installed package data", package_data_dir()),
    ]


def project_file(rel: Path | str, what: str = "file") -> Path:
    """The first existing ``folder / rel`` of :func:`project_candidates`.

    Raises
    ------
    InputError
        Naming every path tried and how to choose a project folder.
    """
    tried = []
    for label, folder in project_candidates():
        path = folder / rel if str(folder) != "." else Path(rel)
        if path.exists():
            return path
        tried.append(f"{path} ({label})")
    raise InputError(
        [
            f"{rel}: default {what} not found; tried {', '.join(tried)}. Run inside "
            f"a project folder, or give --project DIR (or ${PROJECT_ENV})"
        ]
    )
