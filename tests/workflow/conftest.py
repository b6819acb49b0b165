from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def cm():
    from aigap.engine import compile_model

    return compile_model(FIXTURES / "mini_gap.mdl")
