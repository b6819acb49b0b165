"""Issue 8: faults in a resumable sweep: garbled/truncated chunks, a crash while finishing,
two processes on one partial folder, and jobs too large to start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigap.analysis.sweep_job import run_sweep
from aigap.scenarios import InputError
from aigap.workflow.partial import FolderLock, read_chunk

REPO = Path(__file__).resolve().parents[2]
SWEEP = REPO / "scenarios" / "sweeps" / "price_war.yaml"
KW = dict(runs=128, chunk_size=32, progress=None, plots=False)


@pytest.fixture(scope="module")
def cm():
    from aigap.engine import compile_model

    return compile_model(REPO / "model" / "ai_gap.mdl")


@pytest.fixture(scope="module")
def reference(cm, tmp_path_factory):
    return run_sweep(SWEEP, model=cm, runs_dir=tmp_path_factory.mktemp("ref"), **KW)


def _interrupt_after(n):
    def stop(k, _):
        if k == n - 1:
            raise KeyboardInterrupt

    return stop


def _partial(root: Path) -> Path:
    (p,) = list(root.glob(".tmp-*"))
    return p


def _same(out, ref):
    np.testing.assert_array_equal(out.X, ref.X)
    for name in ref.outputs:
        np.testing.assert_array_equal(out.outputs[name], ref.outputs[name])


@pytest.mark.parametrize("damage", ["truncate", "garble", "empty", "wrong-rows"])
def test_bad_chunk_is_recomputed_on_resume(cm, reference, tmp_path, damage):
    with pytest.raises(KeyboardInterrupt):
        run_sweep(SWEEP, model=cm, runs_dir=tmp_path, on_chunk=_interrupt_after(3), **KW)
    chunk = _partial(tmp_path) / "chunks" / "chunk_00001.npz"
    data = chunk.read_bytes()
    if damage == "truncate":
        chunk.write_bytes(data[: len(data) // 2])
    elif damage == "garble":
        b = bytearray(data)
        for i in range(len(b) // 3, len(b) // 3 + 64):
            b[i] ^= 0xFF
        chunk.write_bytes(bytes(b))
    elif damage == "empty":
        chunk.write_bytes(b"")
    else:
        z = dict(np.load(chunk))
        np.savez(chunk, **{k: (v[:5] if k.startswith("v") else v) for k, v in z.items()})
    seen = []
    out = run_sweep(SWEEP, model=cm, runs_dir=tmp_path, on_chunk=lambda k, n: seen.append(k), **KW)
    assert seen == [1, 3]  # the bad chunk and the missing one ran
    _same(out, reference)


@pytest.mark.parametrize("removed", [["chunks"], ["chunks", "samples.npy"]])
def test_crash_while_finishing_still_resumes(cm, reference, tmp_path, removed):
    """Killed in the finishing step (chunks, even samples, gone; state file kept)."""
    with pytest.raises(KeyboardInterrupt):
        run_sweep(SWEEP, model=cm, runs_dir=tmp_path, on_chunk=_interrupt_after(4), **KW)
    part = _partial(tmp_path)
    import shutil

    for name in removed:
        shutil.rmtree(part / name) if (part / name).is_dir() else (part / name).unlink()
    out = run_sweep(SWEEP, model=cm, runs_dir=tmp_path, **KW)
    _same(out, reference)
    assert not list(tmp_path.glob(".tmp-*"))
    assert not (out.run_dir / "sweep_state.json").exists() and not (out.run_dir / "lock").exists()


def test_second_process_on_a_partial_folder_is_refused(cm, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_sweep(SWEEP, model=cm, runs_dir=tmp_path, on_chunk=_interrupt_after(1), **KW)
    part = _partial(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (part / "lock").write_text(json.dumps({"pid": sleeper.pid, "host": os.uname().nodename}))
        before = sorted(p.name for p in (part / "chunks").iterdir())
        with pytest.raises(InputError, match=f"in use by PID {sleeper.pid}"):
            run_sweep(SWEEP, model=cm, runs_dir=tmp_path, **KW)
        assert sorted(p.name for p in (part / "chunks").iterdir()) == before
    finally:
        sleeper.kill()
        sleeper.wait()
    out = run_sweep(SWEEP, model=cm, runs_dir=tmp_path, **KW)  # the dead owner's lock is stale
    assert out.resumed_from == 1


def test_folder_lock_is_exclusive(tmp_path):
    with FolderLock(tmp_path):
        with pytest.raises(InputError, match="in use by PID"):
            # same PID is alive: a second holder in this process is refused too
            FolderLock(tmp_path).acquire()
    assert not (tmp_path / "lock").exists()
    (tmp_path / "lock").write_text("{garbled")  # crash while writing the lock
    with FolderLock(tmp_path) as lk:
        assert lk.held


def test_read_chunk_reasons(tmp_path):
    p = tmp_path / "c.npz"
    np.savez(p, time=np.arange(3.0), v0=np.zeros((4, 3)))
    assert read_chunk(p, ["time", "v0"], 4)[1] is None
    assert "missing v1" in read_chunk(p, ["time", "v0", "v1"], 4)[1]
    assert "expected 5 runs" in read_chunk(p, ["time", "v0"], 5)[1]
    p.write_bytes(b"PK\x03\x04junk")
    assert "unreadable" in read_chunk(p, ["time"], 4)[1]


def test_sweep_size_estimated_before_the_design(cm, tmp_path):
    text, fragment = "runs: 1073741824\n", "price_war.yaml:8: runs: job too large"
    src = SWEEP.read_text().replace(
        "scenario: china_entry_point", f"scenario: {REPO / 'scenarios' / 'china_entry_point.yaml'}"
    )
    path = tmp_path / "price_war.yaml"
    path.write_text(src.replace("runs: 2048\n", text))
    with pytest.raises(InputError) as exc:
        run_sweep(path, model=cm, runs_dir=tmp_path / "runs", progress=None, plots=False)
    msg = str(exc.value)
    assert fragment in msg and "--allow-large" in msg and "runs x" in msg, msg
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_grid_of_1e24_runs_refused_without_materialising(cm, tmp_path):
    unc = "".join(
        f"  {n}: {{dist: uniform, low: 0.3, high: 0.9}}\n"
        for n in ("Price War Subsidy Depth", "Price Anchor Weight", "Token Demand Elasticity")
    )
    path = tmp_path / "grid.yaml"
    path.write_text(
        f"description: huge grid\nscenario: {REPO / 'scenarios' / 'baseline.yaml'}\n"
        f"sampler: grid\nlevels: 100000000\nseed: 1\nuncertain:\n{unc}"
    )
    with pytest.raises(
        InputError,
        match=r"grid.yaml:4: runs: job too large "
        r"\(1,000,000,000,000,000,000,000,000 runs",
    ):
        run_sweep(path, model=cm, runs_dir=tmp_path / "runs", progress=None, plots=False)


def test_negative_money_stock_runs_flagged_and_left_out(cm, reference, tmp_path):
    """Runs whose money stock went below zero: flagged in samples.csv/outputs.npz, counted,
    and left out of percentiles and condition probabilities (like non-finite runs)."""
    import copy

    import pandas as pd

    from aigap.analysis.sweep_job import money_stocks, negative_runs, write_sweep_tables

    assert "Seat Software Budget" in money_stocks(cm) and "Token Price" in money_stocks(cm)
    res = cm.simulate(n_runs=2, outputs=["Seat Software Budget"])
    res.data["Seat Software Budget"][1, 5, 0] = -1.0  # one run, one time, US
    assert list(negative_runs(res, ["Seat Software Budget"])) == [False, True]
    out = copy.copy(reference)
    out.negative_stock = np.zeros(out.X.shape[0], dtype=bool)
    out.negative_stock[:10] = True
    write_sweep_tables(tmp_path, out, cm)
    samples = pd.read_csv(tmp_path / "samples.csv", keep_default_na=False)
    assert (samples["flags"] == "negative_stock").sum() == 10
    pct = pd.read_csv(tmp_path / "percentiles.csv")
    assert pct.n.max() == out.X.shape[0] - 10
    cond = pd.read_csv(tmp_path / "conditions.csv")
    assert (cond.runs == out.X.shape[0] - 10).all()
    with np.load(tmp_path / "outputs.npz") as z:
        assert (z["flags"] == "negative_stock").sum() == 10
    assert reference.n_negative == 0
    m = json.loads((reference.run_dir / "manifest.json").read_text())
    assert m["negative_stock_runs"] == 0


@pytest.mark.parametrize(
    "fname,damage",
    [
        ("manifest.json", b"{not json"),
        ("coords.json", b'{"coords": '),
        ("percentiles.csv", b'"unclosed\n\x00\x00'),
        ("outputs.npz", None),
    ],
)
@pytest.mark.parametrize("command", ["report", "discover"])
def test_damaged_sweep_folder_names_the_file(reference, tmp_path, capsys, fname, damage, command):
    import shutil

    from aigap.cli import main

    folder = tmp_path / reference.run_dir.name
    shutil.copytree(reference.run_dir, folder)
    target = folder / fname
    target.write_bytes(damage if damage is not None else target.read_bytes()[:300])
    if command == "report":
        args = ["report", str(folder), "--output", str(tmp_path / "r.html")]
    else:
        args = [
            "discover",
            str(folder),
            "--condition",
            "Model ARR Gap Ratio@2030 < 20",
            "--runs-dir",
            str(tmp_path / "runs"),
        ]
    code = main(args)
    err = capsys.readouterr().err
    reads = {
        "report": ("manifest.json", "percentiles.csv"),
        "discover": ("manifest.json", "coords.json", "outputs.npz"),
    }[command]
    if fname not in reads:
        assert code == 0, err  # a file the command never reads
        return
    assert code == 2, err
    assert f"{target}: unreadable" in err and "internal error" not in err, err
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "runs").exists()
