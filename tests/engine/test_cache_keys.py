"""Cache keys come from content, never from a version string someone must bump."""

from pathlib import Path

from aigap.engine import model, version


def test_ir_cache_is_keyed_by_the_sources_that_build_the_ir(monkeypatch):
    front = sorted(version._ROOT.glob("*.py"))  # parse, compiler, ir, ordering...
    assert {"compiler.py", "ir.py", "parse.py"} <= {p.name for p in front}
    assert version.IR_VERSION == "ir-" + version.source_digest(front)
    assert version.IR_VERSION in model._cache_file("0" * 64).name
    real = Path.read_bytes
    monkeypatch.setattr(
        Path, "read_bytes", lambda p: real(p) + (b"\n# edited" if p.name == "compiler.py" else b"")
    )
    assert "ir-" + version.source_digest(front) != version.IR_VERSION  # an edit: a new key
    everything = sorted(version._ROOT.rglob("*.py"))
    assert any(p.parent.name == "numba" for p in everything)  # backends included
    assert version.source_digest(everything) != version.ENGINE_VERSION
