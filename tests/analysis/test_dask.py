"""`--dask`: sweeps and Sobol analyses on a LocalCluster of 2 workers equal the in-process
results bit for bit, a killed worker changes nothing, an unreachable scheduler exits 2."""

import os
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from aigap.analysis.sensitivity_job import run_sensitivity  # noqa: E402
from aigap.analysis.sweep_job import run_sweep  # noqa: E402
from aigap.cli import main  # noqa: E402
from aigap.scenarios import InputError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SWEEP = REPO / "scenarios" / "sweeps" / "price_war.yaml"     # has observations: masks too
RUNS, CHUNK = 2048, 256


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0",
                                  env={"NUMBA_NUM_THREADS": "1"}) as c:
        yield c


@pytest.fixture(scope="module")
def reference(cm, tmp_path_factory):
    """The in-process sweep every Dask sweep is compared with."""
    return run_sweep(SWEEP, model=cm, runs_dir=tmp_path_factory.mktemp("ref"), runs=RUNS,
                     chunk_size=CHUNK, progress=None, plots=False, command=["test"])


def _arrays(folder):
    with np.load(folder / "outputs.npz") as z:
        return {k: z[k] for k in z.files}


def assert_same_folder(a, b):
    """Same outputs.npz arrays (bit for bit) and the same tables, byte for byte."""
    za, zb = _arrays(a), _arrays(b)
    assert sorted(za) == sorted(zb)
    for k in za:
        assert za[k].dtype == zb[k].dtype and np.array_equal(za[k], zb[k]), k
    for f in ("percentiles.csv", "conditions.csv", "samples.csv"):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_sweep_on_dask_is_bit_identical(cm, cluster, reference, tmp_path):
    lines = []
    out = run_sweep(SWEEP, model=cm, runs_dir=tmp_path, runs=RUNS, chunk_size=CHUNK,
                    progress=None, plots=False, command=["test"], dask=cluster.scheduler_address,
                    on_chunk=lambda k, n: lines.append(k))
    assert sorted(lines) == list(range(RUNS // CHUNK))      # every chunk came back once
    assert_same_folder(reference.run_dir, out.run_dir)
    import json
    m = json.loads((out.run_dir / "manifest.json").read_text())
    assert m["sweep"]["dask"]["workers"] == 2
    assert m["engine"] == json.loads((reference.run_dir / "manifest.json").read_text())["engine"]


def test_sobol_on_dask_is_bit_identical(cm, cluster, tmp_path):
    kw = dict(method="sobol", N=64, model=cm, plots=False, command=["test"], progress=None,
              n_boot=50, targets=["ARR Gap Ratio@2030", "Return Gap Ratio@2029"])
    here = run_sensitivity(SWEEP, runs_dir=tmp_path / "a", **kw)
    there = run_sensitivity(SWEEP, runs_dir=tmp_path / "b", dask=cluster.scheduler_address,
                            chunk_size=96, **kw)         # 640 runs: 7 tasks, the last short
    with np.load(here.run_dir / "design.npz") as za, np.load(there.run_dir / "design.npz") as zb:
        assert np.array_equal(za["X"], zb["X"]) and np.array_equal(za["Y"], zb["Y"])
    for f in ("indices.csv", "ranking.csv"):
        assert (here.run_dir / f).read_bytes() == (there.run_dir / f).read_bytes()


def test_killed_worker_changes_nothing(cm, cluster, reference, tmp_path):
    killed = []
    with distributed.Client(cluster.scheduler_address) as client:
        async def die():              # a coroutine: client.run(wait=False) needs one
            os._exit(1)

        def kill_one(k, n):
            if killed:
                return
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:                 # a worker still holding chunks: they must be re-run
                killed.append(busy[0])
                client.run(die, workers=[busy[0]], wait=False)

        out = run_sweep(SWEEP, model=cm, runs_dir=tmp_path, runs=RUNS, chunk_size=CHUNK // 2,
                        progress=None, plots=False, command=["test"], on_chunk=kill_one,
                        dask=cluster.scheduler_address)
        client.wait_for_workers(2, timeout=60)        # the nanny restarted it for the others
    assert killed, "no worker was busy after the first chunk (nothing was killed)"
    za, zb = _arrays(reference.run_dir), _arrays(out.run_dir)
    for k in za:
        assert np.array_equal(za[k], zb[k]), k
    assert (reference.run_dir / "percentiles.csv").read_bytes() == \
        (out.run_dir / "percentiles.csv").read_bytes()


def test_unreachable_scheduler_exits_2(tmp_path, capsys, monkeypatch):
    from aigap.workflow import distributed as dmod
    monkeypatch.setattr(dmod, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError, match="cannot reach a Dask scheduler"):
        run_sweep(SWEEP, runs_dir=tmp_path / "lib", runs=64, progress=None,
                  dask="tcp://127.0.0.1:9")
    code = main(["sweep", str(SWEEP), "--runs", "64", "--runs-dir", str(tmp_path / "cli"),
                 "--quiet", "--no-plots", "--dask", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("--dask tcp://127.0.0.1:9: cannot reach a Dask scheduler")
    for d in (tmp_path / "lib", tmp_path / "cli"):        # nothing written, not even partial
        assert not d.exists() or not any(d.iterdir())


@pytest.mark.parametrize("bad", ["local:0", "local:two", ""])
def test_bad_local_address(bad):
    from aigap.workflow.distributed import parse_address
    with pytest.raises(InputError, match="--dask"):
        parse_address(bad)


def test_cli_sweep_on_local_cluster(reference, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code = main(["sweep", str(SWEEP), "--runs", str(RUNS), "--chunk-size", str(CHUNK),
                 "--runs-dir", str(tmp_path), "--no-plots", "--dask", "local:2"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "dask: 2 workers at tcp://" in out.err
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert_same_folder(reference.run_dir, folder)
