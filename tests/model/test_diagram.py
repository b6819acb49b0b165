"""The stock-and-flow diagram script reads the model and its key links exist in it."""
import importlib.util

from model_helpers import MODEL


def load_diagram():
    spec = importlib.util.spec_from_file_location("diagram", MODEL.parent / "diagram.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diagram_structure_matches_model_and_renders(tmp_path):
    diagram = load_diagram()
    stocks, influences = diagram.structure(MODEL)
    assert set(stocks) == set(diagram.LAYOUT)                 # every stock placed, none invented
    assert ("Budget Substitution", -1) in stocks["Seat Software Budget"]
    assert ("Budget Substitution", 1) in stocks["Substituted Seat Budget"]
    assert {(a, b) for a, b, _ in diagram.KEY_LINKS} <= influences
    out = tmp_path / "diagram.png"
    diagram.draw(stocks, influences, out)
    assert out.stat().st_size > 50_000
