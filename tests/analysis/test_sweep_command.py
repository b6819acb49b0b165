"""`aigap sweep` end to end on the shipped sweep files: outputs, resume, bad files."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aigap.analysis.conditions import evaluate
from aigap.analysis.sweep_job import load_sweep_folder, run_sweep
from aigap.cli import main

REPO = Path(__file__).resolve().parents[2]
SCEN = REPO / "scenarios"
SWEEPS = SCEN / "sweeps"
SHIPPED = sorted(SWEEPS.glob("*.yaml"))


def test_sweep_folder_contents(sweep_folder):
    d = sweep_folder.run_dir
    for f in (
        "samples.csv",
        "outputs.npz",
        "percentiles.csv",
        "conditions.csv",
        "fan_key_variables.png",
        "fan_gap_ratios.png",
        "manifest.json",
        "sweep.yaml",
    ):
        assert (d / f).is_file() and (d / f).stat().st_size > 0, f
    assert not (d / "chunks").exists()
    m = json.loads((d / "manifest.json").read_text())
    assert m["kind"] == "sweep" and m["seed"] == 20260601
    assert m["sweep"]["runs"] == 200 and m["sweep"]["command_line_overrides"]["runs"] == 200
    assert m["model"]["sha256"] and m["scenarios"][0]["files"][0]["sha256"]
    pct = pd.read_csv(d / "percentiles.csv")
    gap = pct[pct.variable == "ARR Gap Ratio"]
    assert list(gap.year) == [2026, 2027, 2028, 2029, 2030]
    assert np.all(np.diff(gap[["p5", "p25", "p50", "p75", "p95"]].to_numpy(), axis=1) >= 0)
    samples = pd.read_csv(d / "samples.csv")
    assert len(samples) == 200 and "Embedding Push[CN]" in samples.columns


def test_condition_probabilities_match_outputs(sweep_folder):
    sw = load_sweep_folder(sweep_folder.run_dir)
    cond = pd.read_csv(sweep_folder.run_dir / "conditions.csv")
    assert len(cond) == len(sweep_folder.spec.conditions) == 4
    for c, row in zip(sweep_folder.spec.conditions, cond.itertuples()):
        dims = sw["dims"][c.variable]
        elems = sw["coords"][dims[2]] if len(dims) > 2 else None
        hit = evaluate(c, sw["outputs"][c.variable], sw["time"], elems)
        assert row.probability == pytest.approx(hit.mean())
        assert row.ci_low <= row.probability <= row.ci_high


def test_samples_follow_the_distributions(sweep_folder):
    X = sweep_folder.X
    names = list(sweep_folder.spec.problem.names)
    lhs_col = X[:, names.index("Embedding Conversion Rate")]  # loguniform, LHS
    u = np.log(lhs_col / 1.5) / np.log(4.0 / 1.5)
    assert sorted(np.floor(u * 200).astype(int)) == list(range(200))  # stratified
    levels = set(X[:, names.index("Developer Value Scale[CN]")])
    assert levels == {0.3, 0.5, 0.8}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_sweep_files_run(path, cm, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    runs = 64
    code = main(
        [
            "sweep",
            str(path),
            "--runs",
            str(runs),
            "--runs-dir",
            str(tmp_path),
            "--quiet",
            "--no-plots",
            "--model",
            str(REPO / "model" / "ai_gap.mdl"),
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "ARR Gap Ratio (US / CN, year end): percentiles" in out.out
    assert "Conditions (share of " in out.out
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert (folder / "outputs.npz").is_file()


def test_interrupted_sweep_resumes_from_last_chunk(cm, tmp_path):
    path = SWEEPS / "price_war.yaml"
    calls = []

    def stop_after_two(k, n):
        calls.append(k)
        if k == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            path,
            model=cm,
            runs_dir=tmp_path / "a",
            runs=256,
            chunk_size=64,
            progress=None,
            on_chunk=stop_after_two,
            plots=False,
        )
    partial = list((tmp_path / "a").glob(".tmp-*"))
    assert len(partial) == 1
    assert len(list((partial[0] / "chunks").glob("chunk_*.npz"))) == 2
    seen = []
    out = run_sweep(
        path,
        model=cm,
        runs_dir=tmp_path / "a",
        runs=256,
        chunk_size=64,
        progress=None,
        on_chunk=lambda k, n: seen.append(k),
        plots=False,
    )
    assert out.resumed_from == 2 and seen == [2, 3]  # only the missing chunks ran
    assert not list((tmp_path / "a").glob(".tmp-*"))
    fresh = run_sweep(
        path, model=cm, runs_dir=tmp_path / "b", runs=256, chunk_size=64, progress=None, plots=False
    )
    np.testing.assert_array_equal(out.X, fresh.X)
    for name in fresh.outputs:
        np.testing.assert_array_equal(out.outputs[name], fresh.outputs[name])
    m = json.loads((out.run_dir / "manifest.json").read_text())
    assert m["sweep"]["resumed_after_chunks"] == 2


def test_fresh_ignores_partial_and_changed_file_does_not_resume(cm, tmp_path):
    src = SWEEPS / "price_war.yaml"
    path = tmp_path / "pw.yaml"
    path.write_text(
        src.read_text().replace(
            "scenario: china_entry_point", f"scenario: {SCEN / 'china_entry_point.yaml'}"
        )
    )

    def stop(k, n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            path,
            model=cm,
            runs_dir=tmp_path / "r",
            runs=128,
            chunk_size=64,
            progress=None,
            on_chunk=stop,
            plots=False,
        )
    path.write_text(path.read_text().replace("seed: 7", "seed: 8"))
    out = run_sweep(
        path, model=cm, runs_dir=tmp_path / "r", runs=128, chunk_size=64, progress=None, plots=False
    )
    assert out.resumed_from == 0  # a different sweep never reuses chunks


BAD = [
    ("samplr: lhs\n", "samplr: unknown top-level key", "did you mean 'sampler'"),
    (
        "uncertain:\n  Price War Intensty:\n    CN: {dist: uniform, low: 0.1, high: 0.5}\n",
        "uncertain.Price War Intensty: unknown model constant",
        "did you mean 'Price War Intensity'",
    ),
    (
        "uncertain:\n  Price War Intensity:\n    EU: {dist: uniform, low: 0.1, high: 0.5}\n",
        "unknown subscript element 'EU'",
        None,
    ),
    (
        "uncertain:\n  Price War Intensity:\n    CN: {dist: uniform, low: 0.1, high: 1.5}\n",
        "outside the constant's allowed range [0, 1]",
        None,
    ),
    (
        "uncertain:\n  Price War Intensity:\n    CN: {dist: gaussian, low: 0.1, high: 0.5}\n",
        "'dist' must be one of",
        None,
    ),
    (
        "uncertain:\n  Price War Intensity:\n    CN: {dist: uniform, low: 0.5}\n",
        "needs 'high'",
        None,
    ),
    (
        "sampler: sobol\nruns: 1000\n",
        "runs: the sobol sampler needs runs to be a power of two",
        None,
    ),
    (
        "conditions:\n  - {variable: ARR Gap Ratio, year: 2030, op: '=', value: 5}\n",
        "'op' must be one of",
        None,
    ),
    (
        "conditions:\n  - {variable: Model ARR, year: 2030, op: '<', value: 5}\n",
        "give a region",
        None,
    ),
    (
        "conditions:\n  - {variable: ARR Gap Ratio, year: 2030, op: '<', value: abc}\n",
        "'value' must be a finite number, got 'abc'",
        None,
    ),
    (
        "conditions:\n  - {variable: ARR Gap Ratio, year: 2030, op: '<', value: '5e9'}\n",
        "'value' must be a finite number, got '5e9'",
        None,
    ),
    (
        "outputs: [Total AI AR]\n",
        "unknown model variable 'Total AI AR'",
        "did you mean 'Total AI ARR'",
    ),
]


@pytest.mark.parametrize("extra, message, hint", BAD)
def test_bad_sweep_files_give_file_line_errors(extra, message, hint, tmp_path, capsys):
    base = "description: bad sweep\nscenario: " + str(SCEN / "baseline.yaml") + "\nseed: 1\n"
    text = base
    if not extra.startswith(("uncertain", "sampler: sobol")):
        text += "runs: 16\n"
    if "uncertain" not in extra:
        text += "uncertain:\n  Embedding Push: {dist: uniform, low: 0.1, high: 0.9}\n"
    text += extra
    if extra.startswith("uncertain"):
        text += "runs: 16\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code = main(["sweep", str(path), "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"{path}:") and message in err, err
    line = int(err.split(":")[1])
    assert 1 <= line <= text.count("\n")
    if hint:
        assert hint in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_missing_keys_and_scenario(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("description: x\nscenario: no_such_scenario\nuncertain: {}\n")
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err
    assert "seed: missing required key" in err
    assert "base scenario 'no_such_scenario' not found" in err
    assert main(["sweep", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_bad_runs_override(capsys, tmp_path):
    code = main(
        ["sweep", str(SWEEPS / "price_war.yaml"), "--runs", "100", "--runs-dir", str(tmp_path)]
    )
    assert code == 2 and "power of two" in capsys.readouterr().err


def test_partial_folder_is_not_a_sweep_folder(tmp_path, capsys):
    (tmp_path / "x").mkdir()
    with pytest.raises(Exception, match="not a sweep run folder"):
        load_sweep_folder(tmp_path / "x")
    shutil.rmtree(tmp_path / "x")


def test_grid_sweep_is_full_factorial(cm, tmp_path, capsys):
    path = tmp_path / "grid.yaml"
    path.write_text(
        f"description: grid\nscenario: {SCEN / 'baseline.yaml'}\nsampler: grid\n"
        "levels: 2\nseed: 0\nuncertain:\n"
        "  Price War Intensity:\n    CN: {dist: uniform, low: 0.2, high: 1.0}\n"
        "  Embedding Push:\n    CN: {dist: discrete, levels: [0.1, 0.5, 0.9]}\n"
        "conditions:\n  - {variable: ARR Gap Ratio, year: 2030, op: '<', value: 1e9}\n"
    )
    out = run_sweep(path, model=cm, runs_dir=tmp_path / "r", progress=None, plots=False)
    assert out.X.shape == (6, 2)
    assert sorted(set(out.X[:, 0])) == [0.4, 0.8]  # quantile midpoints 1/4, 3/4
    assert sorted(set(out.X[:, 1])) == [0.1, 0.5, 0.9]
    assert out.conditions.probability.iloc[0] == 1.0
    assert out.non_finite == 0
    assert main(["sweep", str(path), "--runs", "8"]) == 2
    assert "levels" in capsys.readouterr().err


def test_cli_sweep_interrupted_with_ctrl_c_then_resumed(tmp_path):
    """The real user path: SIGINT while `aigap sweep` runs, then the same command again."""
    import os
    import signal
    import subprocess
    import sys

    cmd = [
        sys.executable,
        "-m",
        "aigap.cli",
        "sweep",
        str(SWEEPS / "gap_drivers.yaml"),
        "--runs",
        "1500",
        "--chunk-size",
        "100",
        "--no-plots",
        "--runs-dir",
        str(tmp_path),
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        cmd, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    seen = 0
    for line in proc.stderr:
        if "chunk " in line:
            seen += 1
        if seen == 3:
            proc.send_signal(signal.SIGINT)
            break
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Run the same command again to resume" in err
    (partial,) = tmp_path.glob(".tmp-gap_drivers-*")
    done = len(list((partial / "chunks").glob("chunk_*.npz")))
    assert 3 <= done < 15
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"resuming {partial.name}: {done}/15 chunks already done" in res.stderr
    assert f"resumed after {done} chunks" in res.stdout
    assert not list(tmp_path.glob(".tmp-*"))


def _sets_sweep(tmp_path, csv_text, extra=""):
    (tmp_path / "sets.csv").write_text(csv_text)
    path = tmp_path / "sets.yaml"
    path.write_text(
        f"description: joint sets\nscenario: {SCEN / 'baseline.yaml'}\n"
        f"parameter_sets: sets.csv\nruns: 50\nseed: 3\n{extra}"
    )
    return path


def test_parameter_sets_sweep_keeps_rows_together(cm, tmp_path):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.3, 0.9, 20)
    rows = "\n".join(f"{i},{x:.6f},{1.2 - x:.6f}" for i, x in enumerate(a))
    path = _sets_sweep(
        tmp_path, "payoff,Price War Intensity[CN],Embedding Conversion Rate\n" + rows + "\n"
    )
    out = run_sweep(path, model=cm, runs_dir=tmp_path / "r", progress=None, plots=False)
    assert out.X.shape == (50, 2)
    np.testing.assert_allclose(out.X.sum(axis=1), 1.2, atol=1e-9)  # whole rows drawn
    assert set(np.round(out.X[:, 0], 6)) <= set(np.round(a, 6))
    m = json.loads((out.run_dir / "manifest.json").read_text())
    assert m["sweep"]["parameter_sets"]["rows"] == 20 and m["sweep"]["sampler"] == "resample"


@pytest.mark.parametrize(
    "csv_text, extra, message",
    [
        ("Price War Intensty[CN]\n0.5\n0.6\n", "", "did you mean 'Price War Intensity'"),
        ("Price War Intensity[CN]\n0.5\n1.6\n", "", "outside the allowed range"),
        ("Price War Intensity[CN]\n0.5\nabc\n", "", "non-numeric"),
        ("Price War Intensity[CN]\n0.5\n0.6\n", "sampler: lhs\n", "allowed with parameter_sets"),
        (
            "Price War Intensity[CN]\n0.5\n0.6\n",
            "uncertain:\n  Embedding Push: {dist: uniform, low: 0.1, high: 0.9}\n",
            "exactly one of",
        ),
    ],
)
def test_bad_parameter_sets(csv_text, extra, message, tmp_path, capsys):
    path = _sets_sweep(tmp_path, csv_text, extra)
    assert main(["sweep", str(path), "--runs-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:") and message in err, err
