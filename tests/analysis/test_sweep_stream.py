"""`aigap sweep --aggregates-only`: tables from per-chunk run-level scalars equal the
in-memory ones exactly; an oversize job is refused up front with its estimate."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aigap.analysis.sweep_job import run_sweep
from aigap.cli import main

REPO = Path(__file__).resolve().parents[2]
SWEEPS = REPO / "scenarios" / "sweeps"


@pytest.mark.parametrize("name", ["price_war", "china_embedding_uncertainty"])
def test_streaming_tables_equal_in_memory(cm, tmp_path, name):
    kw = dict(
        model=cm, runs=1024, chunk_size=200, progress=None, plots=False, command=["test"]
    )  # 6 chunks, the last one short
    full = run_sweep(SWEEPS / f"{name}.yaml", runs_dir=tmp_path / "full", **kw)
    agg = run_sweep(SWEEPS / f"{name}.yaml", runs_dir=tmp_path / "agg", aggregates_only=True, **kw)
    for f in ("percentiles.csv", "conditions.csv"):
        assert (full.run_dir / f).read_bytes() == (agg.run_dir / f).read_bytes(), f
    pd.testing.assert_frame_equal(full.percentiles, agg.percentiles)  # before rounding too
    pd.testing.assert_frame_equal(full.conditions, agg.conditions)
    assert agg.non_finite == full.non_finite and agg.n_negative == full.n_negative
    assert agg.n_consistent == full.n_consistent
    kept = {p.name for p in agg.run_dir.iterdir()}
    assert "outputs.npz" not in kept and "samples.csv" not in kept and "chunks" not in kept
    assert json.loads((agg.run_dir / "manifest.json").read_text())["sweep"]["aggregates_only"]


def test_streaming_resume(cm, tmp_path):
    """An interrupted aggregates-only sweep resumes from its chunks, same tables."""
    path = SWEEPS / "price_war.yaml"
    kw = dict(
        model=cm,
        runs=512,
        chunk_size=128,
        progress=None,
        plots=False,
        command=["test"],
        aggregates_only=True,
    )

    def stop(k, n):
        if k == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(path, runs_dir=tmp_path / "a", on_chunk=stop, **kw)
    out = run_sweep(path, runs_dir=tmp_path / "a", **kw)
    assert out.resumed_from == 2
    ref = run_sweep(path, runs_dir=tmp_path / "b", **kw)
    assert (out.run_dir / "percentiles.csv").read_bytes() == (
        ref.run_dir / "percentiles.csv"
    ).read_bytes()
    # a full (not aggregates-only) run of the same file does not pick up those chunks
    assert (
        run_sweep(path, runs_dir=tmp_path / "a", **{**kw, "aggregates_only": False}).resumed_from
        == 0
    )


@pytest.mark.parametrize("short", ["memory", "disk"])
def test_oversize_job_refused_with_estimate(tmp_path, capsys, monkeypatch, short):
    from aigap.workflow import budget

    monkeypatch.setattr(
        budget, short == "memory" and "available_memory" or "free_disk", lambda *a: 64 * 2**20
    )  # 64 MiB
    monkeypatch.chdir(REPO)
    args = [
        "sweep",
        str(SWEEPS / "price_war.yaml"),
        "--runs",
        "4194304",
        "--quiet",
        "--no-plots",
        "--runs-dir",
        str(tmp_path),
    ]
    assert main(args + ["--aggregates-only"]) == 2
    err = capsys.readouterr().err
    assert "--runs: job too large (4,194,304 runs x" in err and "--allow-large" in err
    assert (f"of {short}, 64 MiB " + ("available" if short == "memory" else "free")) in err
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # refused before writing


def test_aggregates_only_needs_far_less(cm):
    """The estimate of an aggregates-only sweep is per run, not per saved time."""
    from aigap.analysis.sweep_stream import aggregate_size
    from aigap.workflow.budget import job_size

    outs = ["ARR Gap Ratio", "Total AI ARR"]
    full = job_size(cm, 10_000_000, outs)
    agg = aggregate_size(cm, 10_000_000, 8, outs, 3, full.steps)
    assert agg.bytes * 4 < full.bytes and agg.steps == full.steps
    assert np.isclose(agg.bytes, 10_000_000 * (8 + full.values * 5 + 3 + 3) * 8)
