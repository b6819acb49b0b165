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
SWEEP = REPO / "scenarios" / "sweeps" / "price_war.yaml"  # has observations: masks too
RUNS, CHUNK = 2048, 256


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        env={"NUMBA_NUM_THREADS": "1"},
    ) as c:
        yield c


@pytest.fixture(scope="module")
def reference(cm, tmp_path_factory):
    """The in-process sweep every Dask sweep is compared with."""
    return run_sweep(
        SWEEP,
        model=cm,
        runs_dir=tmp_path_factory.mktemp("ref"),
        runs=RUNS,
        chunk_size=CHUNK,
        progress=None,
        plots=False,
        command=["test"],
    )


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
    out = run_sweep(
        SWEEP,
        model=cm,
        runs_dir=tmp_path,
        runs=RUNS,
        chunk_size=CHUNK,
        progress=None,
        plots=False,
        command=["test"],
        dask=cluster.scheduler_address,
        on_chunk=lambda k, n: lines.append(k),
    )
    assert sorted(lines) == list(range(RUNS // CHUNK))  # every chunk came back once
    assert_same_folder(reference.run_dir, out.run_dir)
    import json

    m = json.loads((out.run_dir / "manifest.json").read_text())
    assert m["sweep"]["dask"]["workers"] == 2
    assert m["engine"] == json.loads((reference.run_dir / "manifest.json").read_text())["engine"]


def test_sobol_on_dask_is_bit_identical(cm, cluster, tmp_path):
    kw = dict(
        method="sobol",
        N=64,
        model=cm,
        plots=False,
        command=["test"],
        progress=None,
        n_boot=50,
        targets=["ARR Gap Ratio@2030", "Return Gap Ratio@2029"],
    )
    here = run_sensitivity(SWEEP, runs_dir=tmp_path / "a", **kw)
    there = run_sensitivity(
        SWEEP, runs_dir=tmp_path / "b", dask=cluster.scheduler_address, chunk_size=96, **kw
    )  # 640 runs: 7 tasks, the last short
    with np.load(here.run_dir / "design.npz") as za, np.load(there.run_dir / "design.npz") as zb:
        assert np.array_equal(za["X"], zb["X"]) and np.array_equal(za["Y"], zb["Y"])
    for f in ("indices.csv", "ranking.csv"):
        assert (here.run_dir / f).read_bytes() == (there.run_dir / f).read_bytes()


def test_killed_worker_changes_nothing(cm, cluster, reference, tmp_path):
    killed = []
    with distributed.Client(cluster.scheduler_address) as client:

        async def die():  # a coroutine: client.run(wait=False) needs one
            os._exit(1)

        def kill_one(k, n):
            if killed:
                return
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:  # a worker still holding chunks: they must be re-run
                killed.append(busy[0])
                client.run(die, workers=[busy[0]], wait=False)

        out = run_sweep(
            SWEEP,
            model=cm,
            runs_dir=tmp_path,
            runs=RUNS,
            chunk_size=CHUNK // 2,
            progress=None,
            plots=False,
            command=["test"],
            on_chunk=kill_one,
            dask=cluster.scheduler_address,
        )
        client.wait_for_workers(2, timeout=60)  # the nanny restarted it for the others
    assert killed, "no worker was busy after the first chunk (nothing was killed)"
    za, zb = _arrays(reference.run_dir), _arrays(out.run_dir)
    for k in za:
        assert np.array_equal(za[k], zb[k]), k
    assert (reference.run_dir / "percentiles.csv").read_bytes() == (
        out.run_dir / "percentiles.csv"
    ).read_bytes()


def test_unreachable_scheduler_exits_2(tmp_path, capsys, monkeypatch):
    from aigap.workflow import distributed as dmod

    monkeypatch.setattr(dmod, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError, match="cannot reach a Dask scheduler"):
        run_sweep(
            SWEEP, runs_dir=tmp_path / "lib", runs=64, progress=None, dask="tcp://127.0.0.1:9"
        )
    code = main(
        [
            "sweep",
            str(SWEEP),
            "--runs",
            "64",
            "--runs-dir",
            str(tmp_path / "cli"),
            "--quiet",
            "--no-plots",
            "--dask",
            "tcp://127.0.0.1:9",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("--dask tcp://127.0.0.1:9: cannot reach a Dask scheduler")
    for d in (tmp_path / "lib", tmp_path / "cli"):  # nothing written, not even partial
        assert not d.exists() or not any(d.iterdir())


@pytest.mark.parametrize("bad", ["local:0", "local:two", ""])
def test_bad_local_address(bad):
    from aigap.workflow.distributed import parse_address

    with pytest.raises(InputError, match="--dask"):
        parse_address(bad)


def test_cli_sweep_on_local_cluster(reference, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code = main(
        [
            "sweep",
            str(SWEEP),
            "--runs",
            str(RUNS),
            "--chunk-size",
            str(CHUNK),
            "--runs-dir",
            str(tmp_path),
            "--no-plots",
            "--dask",
            "local:2",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "dask: 2 workers at tcp://" in out.err
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert_same_folder(reference.run_dir, folder)


def test_chunks_are_submitted_as_others_finish(cluster):
    """At most ``window()`` tasks are in flight: the chunk arguments are drawn lazily."""
    import operator

    from aigap.workflow.distributed import dask_runner

    drawn = []

    def items():
        for k in range(40):
            drawn.append(k)
            yield k, k

    got = {}
    with dask_runner(cluster.scheduler_address) as run:
        assert run.window() == 6  # 3 per worker
        for key, value in run(operator.add, 100, items()):
            assert len(drawn) <= run.window() + len(got) + 1
            got[key] = value
    assert got == {k: 100 + k for k in range(40)}


def test_aggregates_only_sweep_on_dask(cm, cluster, tmp_path):
    """The design drawn chunk by chunk (Latin hypercube) and run on the workers gives the
    tables of the in-process aggregates-only sweep, byte for byte."""
    path = REPO / "scenarios" / "sweeps" / "china_embedding_uncertainty.yaml"
    kw = dict(
        model=cm,
        runs=1500,
        chunk_size=256,
        progress=None,
        plots=False,
        command=["test"],
        aggregates_only=True,
    )
    here = run_sweep(path, runs_dir=tmp_path / "a", **kw)
    there = run_sweep(path, runs_dir=tmp_path / "b", dask=cluster.scheduler_address, **kw)
    for f in ("percentiles.csv", "conditions.csv"):
        assert (here.run_dir / f).read_bytes() == (there.run_dir / f).read_bytes(), f
    assert not {"lhs_perms.bin", "design.sha256"} & {p.name for p in there.run_dir.iterdir()}


def test_posterior_on_dask_is_bit_identical(cm, cluster, tmp_path):
    """Prior draws (batches of 2000 and 1000), the walkers' first values and each
    half-ensemble move of 2 x 256 walkers (512 runs: 2 tasks) run on the workers; same
    chains, draws and tables."""
    from aigap.analysis.posterior_job import run_posterior

    scen = REPO / "scenarios"
    kw = dict(
        walkers=512,
        steps=4,
        chunk=4,
        chains=2,
        seed=3,
        n_init=3000,
        n_predictive=64,
        model=cm,
        plots=False,
        progress=None,
        command=["test"],
    )
    here = run_posterior(
        scen / "baseline.yaml",
        scen / "priors" / "ai_gap_priors.yaml",
        runs_dir=tmp_path / "a",
        **kw,
    )
    there = run_posterior(
        scen / "baseline.yaml",
        scen / "priors" / "ai_gap_priors.yaml",
        runs_dir=tmp_path / "b",
        dask=cluster.scheduler_address,
        **kw,
    )
    assert np.array_equal(here.draws, there.draws)
    with np.load(here.run_dir / "chains.npz") as za, np.load(there.run_dir / "chains.npz") as zb:
        assert sorted(za.files) == sorted(zb.files)
        for k in za.files:
            assert np.array_equal(za[k], zb[k]), k
    for f in ("fit.csv", "parameters.csv", "draws.csv"):
        assert (here.run_dir / f).read_bytes() == (there.run_dir / f).read_bytes(), f
    import json

    man = json.loads((there.run_dir / "manifest.json").read_text())["posterior"]["dask"]
    # start: 3000 prior draws (2 batches); the walkers' first values (1024 runs: 4 tasks of
    # 256); 4 steps x 2 half-ensemble moves of 512 runs (2 tasks each)
    assert man["workers"] == 2 and man["tasks"] == 2 + 4 + 4 * 2 * 2


def test_calibration_on_dask_is_bit_identical(cm, cluster, tmp_path):
    """The 1200 uncertainty draws run as 4 tasks; differential evolution's small
    generations stay in the client; same fit, uncertainty set and tables."""
    from aigap.analysis.calibration_job import run_calibration

    kw = dict(
        seed=0,
        popsize=5,
        maxiter=3,
        n_uncertainty=1200,
        model=cm,
        plots=False,
        progress=None,
        command=["test"],
    )
    params = ["Price War Intensity[CN]", "Embedding Conversion Rate"]
    here = run_calibration(
        REPO / "scenarios" / "baseline.yaml", params, runs_dir=tmp_path / "a", **kw
    )
    there = run_calibration(
        REPO / "scenarios" / "baseline.yaml",
        params,
        runs_dir=tmp_path / "b",
        dask=cluster.scheduler_address,
        **kw,
    )
    assert np.array_equal(here.best, there.best) and np.array_equal(here.accepted, there.accepted)
    for f in ("fit.csv", "parameters.csv"):
        assert (here.run_dir / f).read_bytes() == (there.run_dir / f).read_bytes(), f
    import json

    man = json.loads((there.run_dir / "manifest.json").read_text())["calibration"]["dask"]
    assert man["workers"] == 2 and man["tasks"] == 4
