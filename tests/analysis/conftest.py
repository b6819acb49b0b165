"""Shared fixtures for the analysis command tests: the real model, scenarios and sweep files."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "model" / "ai_gap.mdl"
SWEEPS = REPO / "scenarios" / "sweeps"


@pytest.fixture(scope="session")
def cm():
    from aigap.engine import compile_model

    return compile_model(MODEL)


@pytest.fixture(scope="session")
def sweep_folder(tmp_path_factory, cm):
    """A small finished sweep of the shipped china_embedding_uncertainty.yaml (200 runs)."""
    from aigap.analysis.sweep_job import run_sweep

    root = tmp_path_factory.mktemp("sweep_runs")
    out = run_sweep(
        SWEEPS / "china_embedding_uncertainty.yaml",
        model=cm,
        runs_dir=root,
        runs=200,
        chunk_size=64,
        progress=None,
        command=["test"],
    )
    return out


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    d = tmp_path / "runs"
    monkeypatch.setenv("AIGAP_RUNS_DIR", str(d))
    monkeypatch.chdir(REPO)
    return d
