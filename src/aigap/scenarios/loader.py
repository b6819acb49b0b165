"""Load a scenario file and its ``extends`` chain, validating every file.

``load_scenario(path, model=cm)`` returns a :class:`Scenario` or raises one
:class:`ScenarioError` listing every problem of the chain (file:line: key: message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import InputError, Issue, IssueList, closest
from .schema import check_overrides, check_text, check_top_level, parse_constants
from .yamlnodes import compose_file, is_mapping, line_of, mapping_items

if TYPE_CHECKING:
    from ..engine import CompiledModel

SCENARIO_SUFFIXES = (".yaml", ".yml")


class ScenarioError(InputError):
    """A scenario file (or a ``--set`` value) is invalid; ``.issues`` lists every problem."""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes
    ----------
    name, description : str
    path : Path
        The scenario's own file.
    files : tuple of str
        The ``extends`` chain, root first, ending with ``path``.
    overrides : tuple of Override
        Every override of the chain in precedence order (root file first, then each
        file's entries in file order); :func:`aigap.scenarios.resolve_params` applies
        them in this order, later ones winning.
    extends : str or None
        The parent as written in the file.
    """

    name: str
    description: str
    path: Path
    files: tuple
    overrides: tuple
    extends: str | None = None

    @property
    def own_overrides(self) -> tuple:
        """Overrides written in this scenario's own file."""
        return tuple(o for o in self.overrides if o.file == str(self.path))


def safe_name(name: str) -> str:
    """A name usable in folder and file names: no separators, no ``..``, at most 80
    characters (so ``name: /x/victim`` or ``../../x`` never leads outside a folder, and a
    240-character name stays within the file-system limit)."""
    text = re.sub(r"\.{2,}", "_", re.sub(r"[^A-Za-z0-9_.-]+", "_", name))
    return text[:80].strip("._") or "scenario"


def find_parent(ref: str, child: Path) -> Path:
    """Path of the parent named by ``extends``: a scenario name in the same folder, or a
    path (relative to the child's folder)."""
    p = Path(ref)
    if p.suffix in SCENARIO_SUFFIXES or len(p.parts) > 1:
        return p if p.is_absolute() else child.parent / p
    for suffix in SCENARIO_SUFFIXES:
        cand = child.parent / f"{ref}{suffix}"
        if cand.exists():
            return cand
    return child.parent / f"{ref}.yaml"


def read_scenario_file(path: Path, model: CompiledModel | None, issues: IssueList) -> dict | None:
    """Validate one file; returns its fields (``name``, ``description``, ``extends``,
    ``extends_line``, ``overrides``) or None when it is not a mapping at all."""
    root = compose_file(path, issues)
    if root is None:
        return None
    if not is_mapping(root):
        issues.add(
            line_of(root), "", "a scenario file must be a mapping with at least 'description'"
        )
        return None
    found = check_top_level(mapping_items(root, issues, ""), issues)
    fields = {key: check_text(found, key, issues) for key in ("name", "description", "extends")}
    fields["extends_line"] = line_of(found["extends"][1]) if "extends" in found else None
    overrides = parse_constants(found, issues)
    if model is not None:
        overrides = check_overrides(overrides, model, issues)
    fields["overrides"] = overrides
    return fields


def load_scenario(path: Path | str, model: CompiledModel | None = None) -> Scenario:
    """Load, validate and resolve the ``extends`` chain of a scenario file.

    Parameters
    ----------
    path : str or Path
    model : CompiledModel, optional
        When given, constant names, subscript elements and value ranges are checked
        against it; without it only the file structure is checked.

    Raises
    ------
    ScenarioError
        With every problem found in the file and its parents.
    """
    path = Path(path)
    chain, all_issues = [], []
    seen = []
    current, via = path, None
    while current is not None:
        issues = IssueList(str(current))
        try:
            key = current.resolve()
        except (RuntimeError, OSError) as exc:  # a symlink loop (a -> b -> a)
            where = via or (str(current), None, None)
            all_issues.append(
                _issue(
                    where[0],
                    where[1],
                    "extends" if via else "file",
                    f"{current}: cannot resolve ({exc})",
                )
            )
            break
        if key in seen:
            cycle = " -> ".join(str(p) for p in [*(c[0] for c in chain), current])
            child_file, child_line, _ = via
            all_issues.append(
                _issue(child_file, child_line, "extends", f"cycle in 'extends': {cycle}")
            )
            break
        if via is not None and not current.exists():
            child_file, child_line, ref = via
            names = sorted(
                p.stem for p in current.parent.glob("*.y*ml") if p.suffix in SCENARIO_SUFFIXES
            )
            all_issues.append(
                _issue(
                    child_file,
                    child_line,
                    "extends",
                    f"parent scenario '{ref}' not found (looked for {current})",
                    closest(ref, names),
                )
            )
            break
        seen.append(key)
        fields = read_scenario_file(current, model, issues)
        all_issues.extend(issues)
        if fields is None:
            break
        chain.append((current, fields))
        ref = fields["extends"]
        via = (str(current), fields["extends_line"], ref)
        current = find_parent(ref, current) if ref else None
    if all_issues:
        raise ScenarioError(all_issues)
    chain.reverse()  # root first
    own = chain[-1][1]
    overrides = tuple(o for _, fields in chain for o in fields["overrides"])
    return Scenario(
        name=own["name"] or path.stem,
        description=own["description"],
        path=path,
        files=tuple(str(p) for p, _ in chain),
        overrides=overrides,
        extends=own["extends"],
    )


def _issue(file, line, key, message, suggestion=None):
    return Issue(str(file), line, key, message, suggestion)


def list_scenarios(folder: Path | str) -> list[Path]:
    """Scenario files in ``folder`` (sorted by name); sub-folders such as ``data/`` are skipped."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SCENARIO_SUFFIXES)
