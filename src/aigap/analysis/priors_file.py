"""Priors files (``scenarios/priors/*.yaml``): a distribution and a rationale per constant.

::

    description: Priors of the project model's unpinned constants      # required
    priors:
      Agentic Capability Threshold:            # one prior for the whole constant
        {dist: triangular, low: 1, mode: 2, high: 3.5, rationale: "why / source quote"}
      Consumer Paying Share:                   # or one prior per element
        US: {dist: uniform, low: 0.01, high: 0.1, rationale: "..."}
        CN: {dist: loguniform, low: 0.0005, high: 0.02, rationale: "..."}

Distributions are the continuous ones of sweep files (``uniform``, ``loguniform``,
``triangular``, ``truncnormal``; see :mod:`aigap.analysis.distributions`): a posterior needs
a density. Every entry needs a non-empty ``rationale``. Constants not named stay fixed at the
scenario's values. Problems are reported as ``file:line: key: message`` (all at once), with
the closest valid name, and checked against the model: unknown constants or elements, a
support outside the constant's declared ``[min, max]``, a zero-width distribution.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from yaml.nodes import MappingNode

from ..core.errors import InputError, IssueList, closest
from ..scenarios.yamlnodes import compose_file, describe, is_mapping, line_of, mapping_items, string
from .problem import make_label
from .sweep_file import Uncertain, _check_target, _dist

__all__ = ["PriorsError", "PriorsSpec", "load_priors", "CONTINUOUS"]

TOP_LEVEL_KEYS = ("description", "priors")
CONTINUOUS = ("uniform", "loguniform", "triangular", "truncnormal")


class PriorsError(InputError):
    """A priors file is invalid; ``.issues`` lists every problem."""


@dataclass(frozen=True)
class PriorsSpec:
    """A validated priors file: ``uncertain`` columns and their rationales (same order)."""

    path: Path
    description: str
    uncertain: tuple
    rationales: tuple
    sha256: str

    @property
    def labels(self) -> tuple:
        """Constant names of the uncertain parameters, in sampling order."""
        return tuple(u.label for u in self.uncertain)


def load_priors(path, model) -> PriorsSpec:
    """Load and validate a priors file against a compiled model.

    Raises
    ------
    PriorsError
        Listing every problem as ``file:line: key: message``.
    """
    path = Path(path)
    issues = IssueList(str(path))
    root = compose_file(path, issues)
    if root is not None and not is_mapping(root):
        issues.add(
            line_of(root), "", "a priors file must be a mapping with 'description' and 'priors'"
        )
    if issues:
        raise PriorsError(issues)
    found = {}
    for key, knode, vnode in mapping_items(root, issues, ""):
        if key not in TOP_LEVEL_KEYS:
            issues.add(
                line_of(knode),
                key,
                f"unknown top-level key (allowed: {', '.join(TOP_LEVEL_KEYS)})",
                closest(key, TOP_LEVEL_KEYS),
            )
        else:
            found[key] = vnode
    for req in TOP_LEVEL_KEYS:
        if req not in found:
            issues.add(1, req, "missing required key")
    desc = string(found["description"]) if "description" in found else None
    if "description" in found and not desc:
        issues.add(line_of(found["description"]), "description", "expected a non-empty string")
    out, why = _parse_priors(found.get("priors"), model, issues) if "priors" in found else ([], [])
    if issues:
        raise PriorsError(issues)
    return PriorsSpec(
        path, desc, tuple(out), tuple(why), hashlib.sha256(path.read_bytes()).hexdigest()
    )


def _parse_priors(node, model, issues: IssueList):
    if not is_mapping(node) or not node.value:
        issues.add(
            line_of(node),
            "priors",
            f"expected a mapping of constant names to distributions, got {describe(node)}",
        )
        return [], []
    out, why = [], []
    for name, knode, vnode in mapping_items(node, issues, "priors"):
        key = f"priors.{name}"
        info = _check_target(name, None, key, line_of(knode), model, issues)
        if info is None:
            continue
        if not is_mapping(vnode):
            issues.add(
                line_of(vnode),
                key,
                "expected a distribution mapping (with 'dist' and "
                f"'rationale') or a mapping of subscript elements, got {describe(vnode)}",
            )
            continue
        items = mapping_items(vnode, issues, key)
        if any(k == "dist" for k, _, _ in items):
            specs = [(None, vnode, key)]
        else:
            specs = [(k, v, f"{key}.{k}") for k, _, v in items]
        for element, snode, skey in specs:
            if (
                element is not None
                and _check_target(name, element, skey, line_of(snode), model, issues) is None
            ):
                continue
            got = _entry(snode, skey, info, issues)
            if got is not None:
                out.append(
                    Uncertain(make_label(name, element), name, element, got[0], line_of(snode))
                )
                why.append(got[1])
    labels = [u.label for u in out]
    for u in out:
        if u.element is not None and make_label(u.constant, None) in labels:
            issues.add(
                u.line,
                f"priors.{u.constant}",
                "give one prior for the whole constant or one per element, not both",
            )
    return out, why


def _entry(node, key, info, issues: IssueList):
    """``{dist: ..., rationale: ...}`` -> (Distribution, rationale) or None."""
    if not is_mapping(node):
        issues.add(
            line_of(node),
            key,
            "expected a distribution mapping like {dist: uniform, "
            f"low: 0, high: 1, rationale: ...}}, got {describe(node)}",
        )
        return None
    rationale, rest = None, []
    for k, v in node.value:
        if getattr(k, "value", None) == "rationale":
            rationale = string(v)
            if not rationale or not rationale.strip():
                issues.add(
                    line_of(v),
                    f"{key}.rationale",
                    "expected a non-empty string "
                    "(a source quote or the reasoning behind the prior)",
                )
                return None
        else:
            rest.append((k, v))
    if rationale is None:
        issues.add(
            line_of(node),
            f"{key}.rationale",
            "missing required key (a source quote or the reasoning behind the prior)",
        )
        return None
    kind = next((string(v) for k, v in rest if getattr(k, "value", None) == "dist"), None)
    if kind in ("discrete", "empirical"):
        issues.add(
            line_of(node),
            f"{key}.dist",
            f"a prior needs a density: use one of {', '.join(CONTINUOUS)}, not {kind}",
        )
        return None
    dist = _dist(MappingNode(node.tag, rest, node.start_mark, node.end_mark), key, info, issues)
    if dist is None:
        return None
    if not np.isfinite(dist.low) or not dist.high > dist.low:
        issues.add(line_of(node), key, "zero-width distribution")
        return None
    return dist, rationale.strip()
