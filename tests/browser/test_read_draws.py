"""The explorer reads the shipped posterior folder (draws.csv with its log_post column)."""

from pathlib import Path

from aigap.engine import compile_model
from aigap.explorer.build import read_draws
from aigap.workflow.runner import find_model

ROOT = Path(__file__).resolve().parents[2]


def test_posterior_folder_with_log_post_column():
    cm = compile_model(find_model())
    draws = read_draws(ROOT / "model" / "posterior", cm, n_max=50)
    assert 0 < len(draws) <= 50
    assert "log_post" not in {k for d in draws for k in d}
