"""Read YAML as a node tree (``yaml.compose``) so every value keeps its line number.

Only PyYAML's safe loader is used: nothing in a YAML file is ever evaluated.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from ..core.errors import IssueList

# PyYAML follows YAML 1.1, where ``4.7e10`` (no dot, no exponent sign) is a string.
# People write numbers that way, so such strings are accepted as numbers.
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def line_of(node: yaml.Node) -> int:
    """1-based line where ``node`` starts."""
    return node.start_mark.line + 1


MAX_BYTES = 20_000_000  # a scenario, sweep or observation file is a few kB
MAX_NODES = 200_000  # nodes visited with aliases expanded (billion-laughs guard)
_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


def read_text_bounded(path: Path | str, limit: int = MAX_BYTES) -> str:
    """Text of a regular file of at most ``limit`` bytes.

    Raises ``IsADirectoryError`` for a folder and ``OSError`` (with a message) for a
    device, FIFO or a file too large, so ``/dev/zero`` is refused instead of read forever.
    """
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(str(p))
    if p.exists() and not p.is_file():
        raise OSError(f"not a regular file: {p}")
    with open(p, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"larger than {limit // 1_000_000} MB: {p}")
    return data.decode("utf-8")


def check_nodes(root: yaml.Node, issues: IssueList) -> bool:
    """Refuse tags other than YAML's plain types and alias expansion beyond MAX_NODES.

    Walks the tree once with a budget, so an alias bomb stops after MAX_NODES visits.
    """
    stack, visited = [root], 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            issues.add(
                line_of(node),
                "",
                f"too many YAML nodes once aliases are expanded "
                f"(more than {MAX_NODES}); write the values out instead of aliasing",
            )
            return False
        if node.tag not in _PLAIN_TAGS:
            issues.add(
                line_of(node),
                "",
                f"YAML tag '{node.tag[:60]}' is not allowed "
                "(only plain values, lists and mappings)",
            )
            return False
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((v, k))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return True


def compose_file(path: Path | str, issues: IssueList) -> yaml.Node | None:
    """Parse ``path`` into a YAML node tree; record read/syntax problems in ``issues``.

    Returns the root node, or None when the file is missing, unreadable, empty
    or not valid YAML.
    """
    try:
        text = read_text_bounded(path)
    except FileNotFoundError:
        issues.add(None, "", "file not found")
        return None
    except IsADirectoryError:
        issues.add(None, "", "is a folder, not a YAML file")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        issues.add(None, "", f"cannot read file ({exc.__class__.__name__}: {exc})")
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        issues.add(mark.line + 1 if mark else None, "", f"invalid YAML: {problem}")
        return None
    if node is None:
        issues.add(None, "", "file is empty")
    elif not check_nodes(node, issues):
        return None
    return node


def construct(node: yaml.Node) -> Any:
    """Python value of a node (safe constructor only)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def is_mapping(node: yaml.Node) -> TypeGuard[yaml.MappingNode]:
    """True for a YAML mapping node."""
    return isinstance(node, yaml.MappingNode)


def is_sequence(node: yaml.Node) -> TypeGuard[yaml.SequenceNode]:
    """True for a YAML sequence (list) node."""
    return isinstance(node, yaml.SequenceNode)


def is_null(node: yaml.Node) -> bool:
    """True for an explicit YAML null (``null``, ``~`` or an empty value)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def mapping_items(
    node: yaml.MappingNode, issues: IssueList, where: str
) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """``[(key, key_node, value_node)]`` of a mapping node; flags duplicate and non-string keys."""
    out, seen = [], set()
    for knode, vnode in node.value:
        key = construct(knode) if isinstance(knode, yaml.ScalarNode) else None
        if not isinstance(key, (str, int, float)) or isinstance(key, bool):
            issues.add(line_of(knode), where, "keys must be plain names")
            continue
        key = str(key)
        path = f"{where}.{key}" if where else key
        if key in seen:
            issues.add(line_of(knode), path, "duplicate key")
            continue
        seen.add(key)
        out.append((key, knode, vnode))
    return out


def number(node: yaml.Node) -> float | None:
    """A finite float from a scalar node, or None (booleans and strings are not numbers,
    except strings spelled like numbers, e.g. ``4.7e10``)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    value = construct(node)
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if node.style is not None or not _NUMBER.match(value.strip()):
            return None
        value = float(value.replace("_", ""))
    if not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def string(node: yaml.Node) -> str | None:
    """A non-empty string from a scalar node, or None."""
    if not isinstance(node, yaml.ScalarNode) or is_null(node):
        return None
    value = construct(node)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value).strip()
    return text or None


def describe(node: yaml.Node) -> str:
    """Short description of what a node holds, for 'expected X, got Y' messages."""
    if is_mapping(node):
        return "a mapping"
    if is_sequence(node):
        return "a list"
    if is_null(node):
        return "nothing (null)"
    value = construct(node)
    if isinstance(value, bool):
        return f"a boolean ({node.value})"
    if isinstance(value, (int, float)):
        return f"a number ({node.value})"
    return f"a string ('{value}')"
