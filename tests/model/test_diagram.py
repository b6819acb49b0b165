"""The model diagram is drawn from the parsed IR: stocks, flows, key links with polarity,
levers and gap outputs (aigap.plotting.diagram, `aigap diagram`)."""

import pytest

from aigap.analysis.ltm import mean_link_scores
from aigap.engine import compile_model
from aigap.plotting.diagram import KEY_LINKS, LAYOUT, LEVERS, plot_diagram
from aigap.workflow.runner import find_model


@pytest.fixture(scope="module")
def drawn():
    cm = compile_model(find_model())
    return plot_diagram(cm, mean_link_scores(cm))


def test_diagram_structure_matches_model(drawn):
    _, st = drawn
    stocks = st["stocks"]
    assert set(stocks) == set(LAYOUT)  # every stock placed, none invented
    assert ("Budget Substitution", -1) in stocks["Seat Software Budget"]
    assert ("Budget Substitution", 1) in stocks["Substituted Seat Budget"]
    assert {(a, b) for a, b, _ in KEY_LINKS} <= set(st["influences"])
    # polarity from the link scores: more AI capital lowers the token price (B1), raises
    # capability (R2); the model-layer ARR raises the model ARR gap (US / CN, US stock)
    assert st["influences"][("AI Capital", "Token Price")] == "-"
    assert st["influences"][("AI Capital", "Capability")] == "+"
    assert st["gaps"][("Model Contract ARR", "Model ARR Gap Ratio")] == "+"
    assert {lever for lever, _ in st["levers"]} == set(LEVERS)  # every lever joined


def test_diagram_figure_labels(drawn, tmp_path):
    fig, _ = drawn
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "+ R2" in texts and "- B1" in texts  # polarity beside the loop
    assert set(LEVERS) <= set(texts)
    assert {"ARR Gap Ratio\n(US / CN)", "Model ARR Gap Ratio\n(US / CN)"} <= set(texts)
    heads = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert max(p.get_mutation_scale() for p in heads) >= 20  # arrowheads visible


def test_cli_diagram(aigap, tmp_path):
    out = tmp_path / "d.png"
    p = aigap("diagram", "-o", out, model=None)
    assert p.returncode == 0, p.stderr
    assert out.stat().st_size > 50_000 and "stocks" in p.stdout and "polarity" in p.stdout
