"""``groups:`` of a sweep file: uncertain inputs analysed together by ``aigap sensitivity``.

::

    groups:
      price war: ["Price War Intensity[CN]", Price War Subsidy Depth]   # quote [ ] in [ ]
      developers:                 # a constant name: all of its uncertain elements
        - Price Anchor Weight
        - Developer Price Markup

A member is an input label (``Name`` or ``Name[ELEMENT]``) or a constant name standing for all
of its uncertain elements. Inputs in no group stay factors of their own (named by their
label). The result is SALib's ``groups`` list: one group name per input, in design order.
"""

from __future__ import annotations

from ..core.errors import IssueList, closest
from ..scenarios.yamlnodes import describe, is_mapping, is_sequence, line_of, mapping_items, string
from .problem import split_label

__all__ = ["parse_groups"]


def _members(name: str, labels) -> list[str]:
    """Labels ``name`` stands for: itself, or every element label of constant ``name``."""
    if name in labels:
        return [name]
    return [lab for lab in labels if split_label(lab)[0] == name]


def parse_groups(node, labels, issues: IssueList) -> tuple[str, ...] | None:
    """Group name per input label (SALib's ``groups``), or None without ``groups:``."""
    if node is None:
        return None
    labels = list(labels)
    if not is_mapping(node) or not node.value:
        issues.add(
            line_of(node),
            "groups",
            f"expected a mapping of group name -> list of uncertain inputs, got {describe(node)}",
        )
        return None
    owner: dict[str, str] = {}
    constants = list(dict.fromkeys(split_label(lab)[0] for lab in labels))
    ok = True
    for gname, knode, vnode in mapping_items(node, issues, "groups"):
        key = f"groups.{gname}"
        if not is_sequence(vnode) or not vnode.value:
            issues.add(
                line_of(vnode),
                key,
                f"expected a non-empty list of uncertain inputs, got {describe(vnode)}",
            )
            ok = False
            continue
        for i, mnode in enumerate(vnode.value):
            name = string(mnode)
            where = f"{key}[{i}]"
            members = _members(name, labels) if name is not None else []
            if not members:
                shown = name if name is not None else describe(mnode)
                issues.add(
                    line_of(mnode),
                    where,
                    f"'{shown}' is not an uncertain input of this sweep",
                    closest(str(name), labels + constants),
                )
                ok = False
            for lab in members:
                if lab in owner and owner[lab] != gname:
                    issues.add(
                        line_of(mnode),
                        where,
                        f"'{lab}' is already in group "
                        f"'{owner[lab]}' (an input belongs to one group)",
                    )
                    ok = False
                owner.setdefault(lab, gname)
    clash = sorted(set(owner.values()) & (set(labels) - set(owner)))
    for gname in clash:
        issues.add(
            line_of(node),
            f"groups.{gname}",
            "group name equals an ungrouped input; rename the group",
        )
        ok = False
    if not ok:
        return None
    return tuple(owner.get(lab, lab) for lab in labels)
