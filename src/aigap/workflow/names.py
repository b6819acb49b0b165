"""Names where paths are accepted: scenario names, run folder names, ``latest[:KIND]``.

``aigap run baseline`` finds ``scenarios/baseline.yaml`` (as ``extends: baseline`` does);
``aigap report latest:sweep compare`` finds the newest sweep folder and the newest folder
whose name ends with ``-compare`` under the runs folder. Run folder names carry what differs
from a plain run (``--set`` values, engine, method, time step) so six variants of the
baseline are not all called ``...-baseline``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from difflib import get_close_matches
from pathlib import Path

from ..scenarios import InputError
from .rundir import runs_root
from .runner import scenarios_dir

__all__ = ["resolve_scenario", "resolve_run_folder", "latest_run", "run_name"]


def _looks_like_name(text: str) -> bool:
    return "/" not in text and "\\" not in text and not text.endswith((".yaml", ".yml"))


def resolve_scenario(text: Path | str, folder: Path | str | None = None) -> Path:
    """A scenario file from a path or a scenario name (``baseline`` ->
    ``scenarios/baseline.yaml``); InputError naming what was tried otherwise."""
    p = Path(text)
    if p.is_file():
        return p
    folder = Path(folder) if folder else scenarios_dir()
    if _looks_like_name(str(text)):
        for ext in (".yaml", ".yml"):
            if (folder / f"{text}{ext}").is_file():
                return folder / f"{text}{ext}"
        names = sorted(q.stem for q in folder.glob("*.y*ml")) if folder.is_dir() else []
        close = get_close_matches(str(text), names, n=1)
        hint = (
            f"; did you mean '{close[0]}'?"
            if close
            else (f" (scenarios: {', '.join(names)})" if names else "")
        )
        raise InputError([f"{text}: no such file, and no scenario '{text}' in {folder}{hint}"])
    raise InputError([f"{text}: file not found"])


def _kind(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("kind"))
    except (OSError, ValueError, AttributeError):
        return None


def _run_folders(root: Path) -> list:
    """Finished run folders of ``root``, oldest first (names start with the timestamp)."""
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").is_file()
    )


def latest_run(kind: str | None = None, runs_dir: Path | str | None = None) -> Path:
    """The newest run folder (of ``kind``: run, compare, sweep, sensitivity, ...)."""
    root = runs_root(runs_dir)
    found = [p for p in _run_folders(root) if kind in (None, "", "any") or _kind(p) == kind]
    if not found:
        what = f"{kind} folder" if kind and kind != "any" else "run folder"
        raise InputError([f"latest{':' + kind if kind else ''}: no {what} in {root}"])
    return found[-1]


def resolve_run_folder(text: Path | str, runs_dir: Path | str | None = None) -> Path:
    """A run folder from a path, ``latest`` / ``latest:KIND``, a folder name under the runs
    folder, or the end of one (``compare`` -> the newest ``...-compare``)."""
    p = Path(text)
    if p.is_dir():
        return p
    text = str(text)
    if text == "latest" or text.startswith("latest:"):
        return latest_run(text.partition(":")[2] or None, runs_dir)
    root = runs_root(runs_dir)
    if _looks_like_name(text):
        if (root / text).is_dir():
            return root / text
        ends = [
            q
            for q in _run_folders(root)
            if q.name.endswith("-" + text) or re.sub(r"-\d+$", "", q.name).endswith("-" + text)
        ]
        if ends:
            return ends[-1]
    raise InputError(
        [
            f"{text}: no such run folder (nor a folder name in {root}; use a path, "
            "'latest' or 'latest:KIND', e.g. latest:sweep)"
        ]
    )


def run_name(
    base: str,
    sets: Iterable[str] = (),
    engine: str | None = "auto",
    method: str | None = "euler",
    time_step: float | None = None,
) -> str:
    """``baseline`` plus what differs from a plain run: ``baseline-price_war_intensity_cn
    _0.5-pysd-rk4-dt0.015625`` (made file-safe by the run folder)."""
    parts = [base]
    for s in sets:
        name, _, value = str(s).partition("=")
        slug = re.sub(r"[^a-z0-9.]+", "_", name.lower()).strip("_")
        parts.append(f"{slug}_{value.strip()}")
    if engine not in (None, "auto"):
        parts.append(engine)
    if method not in (None, "euler"):
        parts.append(method)
    if time_step:
        parts.append(f"dt{time_step:g}")
    name = "-".join(parts)
    return name if len(name) <= 120 else name[:120]
