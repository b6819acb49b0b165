from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def cm():
    from aigap.engine import compile_model

    return compile_model(FIXTURES / "mini_gap.mdl")


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a YAML file in tmp_path."""

    def _write(name, text):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"), encoding="utf-8")
        return path

    return _write
