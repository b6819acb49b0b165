"""The package's layers import downwards only, and never a private name of another package."""

import ast
import importlib.util
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "aigap"
#: bottom to top; a package may import only packages of a lower rank
LAYERS = {
    "core": 0,
    "engine": 1,
    "scenarios": 2,
    "observations": 3,
    "plotting": 4,
    "workflow": 5,
    "analysis": 6,
    "checks": 7,
    "explorer": 7,
    "cli": 8,
    "__init__": 9,
    "__main__": 9,
}


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
            base = list(rel[:-1])[: len(rel) - node.level] if node.level > 1 else list(rel[:-1])
            parts = base + [m for m in (node.module or "").split(".") if m]
        if parts:  # ``from . import __version__`` in a top-level module
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
    bad = [
        f"{p.relative_to(SRC)}:{line}: {name} from {target}"
        for p in sorted(SRC.rglob("*.py"))
        for target, names, line in _imports(p)
        for name in names
        if target != _package(p) and name.startswith("_")
    ]
    assert not bad, "\n".join(bad)


def test_core_imports_nothing_of_aigap():
    bad = [
        f"{p.name}:{line}"
        for p in (SRC / "core").rglob("*.py")
        for target, _, line in _imports(p)
        if target != "core"
    ]
    assert not bad


def _engine_modules(path: Path):
    """``(module under aigap.engine, line)`` of every engine import in ``path``."""
    parts = ("aigap",) + path.relative_to(SRC).with_suffix("").parts
    package = ".".join(parts[:-1])
    found = (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom))
    for node in found:
        mod = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
        for alias in node.names:  # ``from .backends import numba`` names a module
            sub = f"{mod}.{alias.name}"
            whole = sub if _is_module(sub) else mod
            if whole.startswith("aigap.engine."):
                yield whole.removeprefix("aigap.engine."), node.lineno


def _is_module(dotted: str) -> bool:
    where = SRC.parent.joinpath(*dotted.split("."))
    return where.is_dir() or where.with_suffix(".py").is_file()


def test_backends_import_nothing_above_them():
    """engine/backends/ imports core and the engine modules below simulate (IR, lowering,
    ordering, params, results...), never the layers above engine, nor simulate, which
    drives them; simulate and model reach a backend only through the registry."""
    folder = SRC / "engine" / "backends"
    bad = [
        f"{p.relative_to(SRC)}:{line}: {pkg}"
        for p in sorted(folder.rglob("*.py"))
        for pkg, _, line in _imports(p)
        if pkg not in ("core", "engine")
    ]
    bad += [
        f"{p.relative_to(SRC)}:{line}: engine.{m}"
        for p in sorted(folder.rglob("*.py"))
        for m, line in _engine_modules(p)
        if m.split(".")[0] == "simulate"
    ]
    for name in ("simulate.py", "model.py"):
        bad += [
            f"engine/{name}:{line}: engine.{m}"
            for m, line in _engine_modules(SRC / "engine" / name)
            if m.startswith("backends.") and m != "backends.cache"
        ]
    assert not bad, "\n".join(bad)
    # the parser sees real edges: the numba backend imports the IR, simulate the registry
    assert "ir" in {m for m, _ in _engine_modules(folder / "numba" / "codegen.py")}
    assert "backends" in {m for m, _ in _engine_modules(SRC / "engine" / "simulate.py")}
