"""Structural diff of two Vensim models: equations, units and documentation by variable.

The ``.mdl`` text is split into its equations (each ends with ``|``; the sketch after
``\\\\\\---///`` is ignored) and keyed by variable name, so a moved equation is not a
change and a changed one is shown as a text diff of that variable only.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_NAME = re.compile(r"\s*(?:\{[^}]*\}\s*)*(\"(?:[^\"\\]|\\.)*\"|[^=\[\(:~|\"]+)")
SKETCH = "\\\\\\---///"


@dataclass(frozen=True)
class Equation:
    """One variable's definition(s): equation text, units, documentation, first line."""

    name: str
    equation: str
    units: str
    doc: str
    line: int


@dataclass(frozen=True)
class Change:
    """One changed variable: ``kind`` is added, removed, equation, units or doc."""

    name: str
    kind: str
    old: Equation | None
    new: Equation | None

    def diff(self) -> list:
        """Unified diff lines of the whole definition (equation ~ units ~ doc)."""

        def text(e):
            return [] if e is None else [e.equation, f"~ {e.units}", f"~ {e.doc}"]

        return list(
            difflib.unified_diff(text(self.old), text(self.new), "old", "new", lineterm="", n=2)
        )[2:]


def _squash(text: str) -> str:
    return " ".join(text.split())


def _norm(name: str) -> str:
    return " ".join(name.strip().strip('"').replace("_", " ").split())


def equations(text: str) -> dict:
    """``{variable name: Equation}``; several definitions of one name (subscripted
    components) are joined in file order."""
    body = text.split(SKETCH)[0]
    out, pos = {}, 0
    for m in re.finditer(r"\|", body):
        chunk, start = body[pos : m.start()], pos
        pos = m.end()
        parts = chunk.split("~")
        head = parts[0]
        nm = _NAME.match(head)
        if not nm or not nm.group(1).strip() or head.strip().startswith("*"):
            continue
        name = _norm(nm.group(1))
        if name.upper() == "{UTF-8}" or name.startswith("{"):
            continue
        lead = len(chunk) - len(chunk.lstrip())
        line = body.count("\n", 0, start + lead) + 1
        eq = Equation(
            name,
            _squash(re.sub(r"^\s*(\{[^}]*\}\s*)*", "", head)),
            _squash(parts[1]) if len(parts) > 1 else "",
            _squash("~".join(parts[2:])) if len(parts) > 2 else "",
            line,
        )
        if name in out:
            old = out[name]
            eq = Equation(name, f"{old.equation} ; {eq.equation}", old.units, old.doc, old.line)
        out[name] = eq
    return out


def structural_diff(old_text: str, new_text: str) -> list:
    """Changes from ``old_text`` to ``new_text`` as :class:`Change` objects, by name.

    A variable whose equation changed is ``equation`` (units or doc may have changed too);
    otherwise ``units``, then ``doc``.
    """
    old, new = equations(old_text), equations(new_text)
    changes = []
    for name in sorted(set(old) | set(new), key=str.lower):
        a, b = old.get(name), new.get(name)
        if a is None:
            changes.append(Change(name, "added", None, b))
        elif b is None:
            changes.append(Change(name, "removed", a, None))
        elif a.equation != b.equation:
            changes.append(Change(name, "equation", a, b))
        elif a.units != b.units:
            changes.append(Change(name, "units", a, b))
        elif a.doc != b.doc:
            changes.append(Change(name, "doc", a, b))
    return changes


def format_changes(changes: list) -> str:
    """Text of the changes: one header per variable, then its diff."""
    if not changes:
        return "no changes to equations, units or documentation\n"
    lines = []
    for c in changes:
        where = f"old line {c.old.line}" if c.old else f"new line {c.new.line}"
        lines.append(f"== {c.name}: {c.kind} ({where})")
        lines.extend(c.diff())
    return "\n".join(lines) + "\n"
