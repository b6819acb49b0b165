"""The package's layers import downwards only, and never a private name of another package."""
import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "aigap"
#: bottom to top; a package may import only packages of a lower rank
LAYERS = {"core": 0, "engine": 1, "scenarios": 2, "observations": 3, "plotting": 4,
          "workflow": 5, "analysis": 6, "checks": 7, "explorer": 7, "cli": 8, "__init__": 9,
          "__main__": 9}


def _imports(path: Path):
    """``(target package, imported names, line)`` of every aigap import in ``path``."""
    rel = path.relative_to(SRC).parts
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0:
            if not (node.module or "").startswith("aigap."):
                continue
            parts = node.module.split(".")[1:]
        else:
            base = list(rel[:-1])[:len(rel) - node.level] if node.level > 1 else list(rel[:-1])
            parts = base + [m for m in (node.module or "").split(".") if m]
        if parts:                     # ``from . import __version__`` in a top-level module
            yield parts[0], [a.name for a in node.names], node.lineno


def _package(path: Path) -> str:
    rel = path.relative_to(SRC).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def test_every_package_has_a_layer():
    assert {_package(p) for p in SRC.rglob("*.py")} <= set(LAYERS)
    # the parser sees real edges (a broken parser would pass every test below)
    assert {"engine"} <= {t for t, _, _ in _imports(SRC / "analysis" / "ltm.py")}
    assert {"core"} <= {t for t, _, _ in _imports(SRC / "workflow" / "summary.py")}


def test_layers_import_downwards_only():
    bad = []
    for p in sorted(SRC.rglob("*.py")):
        pkg = _package(p)
        for target, _, line in _imports(p):
            if target != pkg and target in LAYERS and LAYERS[target] >= LAYERS[pkg]:
                bad.append(f"{p.relative_to(SRC)}:{line}: {pkg} imports {target}")
    assert not bad, "\n".join(bad)


def test_no_private_names_across_packages():
    bad = [f"{p.relative_to(SRC)}:{line}: {name} from {target}"
           for p in sorted(SRC.rglob("*.py")) for target, names, line in _imports(p)
           for name in names if target != _package(p) and name.startswith("_")]
    assert not bad, "\n".join(bad)


def test_core_imports_nothing_of_aigap():
    bad = [f"{p.name}:{line}" for p in (SRC / "core").rglob("*.py")
           for target, _, line in _imports(p) if target != "core"]
    assert not bad
