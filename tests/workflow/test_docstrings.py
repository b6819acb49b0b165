"""Every public function, class and method of the workflow, analysis, plotting, scenario and
CLI modules has a docstring (nested helpers inside functions are exempt)."""

import ast
from pathlib import Path

import aigap

SRC = Path(aigap.__file__).resolve().parent
FILES = [
    SRC / "cli.py",
    SRC / "observations.py",
    *(
        p
        for d in ("workflow", "analysis", "plotting", "scenarios")
        for p in sorted((SRC / d).glob("*.py"))
    ),
]


def _undocumented(path: Path) -> list:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        members = [node] + (node.body if isinstance(node, ast.ClassDef) else [])
        for m in members:
            if (
                isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and not m.name.startswith("_")
                and ast.get_docstring(m) is None
            ):
                out.append(f"{path.relative_to(SRC)}:{m.lineno}: {m.name}")
    return out


def test_public_api_has_docstrings():
    assert len(FILES) > 20
    assert [u for f in FILES for u in _undocumented(f)] == []
