"""Dask scaling of sweep chunks on this machine (wall-clock; no targets asserted).

For each chunk size, the simulation phase of ``run_sweep`` (every chunk simulated, returned
and written) of the same sweep is timed:

- in process, numba limited to 1 thread (the baseline a one-thread worker is compared with)
  and with every core (the default without ``--dask``);
- ``--dask`` on a LocalCluster of 1 and 2 one-thread worker processes (started once per
  size, warmed up so every worker has loaded its kernel).

Per-chunk overhead = (dask 1 worker - in process 1 thread) / chunks; the chunk size at
which Dask costs under 5% is where that overhead is under 5% of a chunk's in-process time.
On a busy machine those differences are noise (a worker also overlaps simulation with the
client writing chunk files), so the scheduler-and-transfer cost of one chunk is also
measured alone: tasks that only return a chunk's bytes (``round_trip``), against one
in-process thread's time per run.
``--aggregates-only`` times the streaming mode (far less data returned per chunk).

Usage: ``.venv/bin/python benchmarks/bench_dask.py [--runs 32768] [--chunks 256,1024,4096]
[--aggregates-only]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP = REPO / "scenarios" / "sweeps" / "price_war.yaml"


def _sweep(cm, root, runs, chunk, aggregates, dask=None) -> float:
    from aigap.analysis.sweep_job import run_sweep

    out = run_sweep(
        SWEEP,
        model=cm,
        runs_dir=root,
        runs=runs,
        chunk_size=chunk,
        plots=False,
        progress=None,
        command=["bench"],
        dask=dask,
        aggregates_only=aggregates,
        engine="compiled",
        fresh=True,
    )  # compiled even for the small warm-ups
    return out.timings["simulation"]


def returned_bytes(cm, aggregates: bool, runs: int = 256) -> float:
    """Bytes a chunk task returns per run (the arrays of one chunk file)."""
    from aigap.analysis.sweep_file import load_sweep
    from aigap.analysis.sweep_job import SweepTask, design, money_stocks, sweep_chunk
    from aigap.scenarios import load_scenario, resolve_params

    spec = load_sweep(SWEEP, cm)
    spec.runs = runs
    base = resolve_params(cm, load_scenario(spec.scenario_path, model=cm))
    outputs = list(dict.fromkeys([*spec.outputs, *(c.variable for c in spec.conditions)]))
    money = money_stocks(cm)
    task = SweepTask(
        cm,
        base,
        spec.uncertain,
        list(dict.fromkeys([*outputs, *money])),
        outputs,
        spec.method,
        spec.saveper,
        "compiled",
        None,
        money,
        None,
        tuple(spec.conditions),
        aggregates,
    )
    arrays = sweep_chunk(task, design(spec))
    return sum(a.nbytes for a in arrays.values()) / runs


def round_trip(address, nbytes: int, tasks: int = 60) -> float:
    """Seconds per task of ``tasks`` tasks that do nothing but return ``nbytes`` (a chunk's
    result), submitted as :mod:`aigap.workflow.distributed` does (a few per worker in
    flight, results gathered as they finish): the scheduler and transfer cost of a chunk
    without its simulation."""
    import numpy as np

    from aigap.workflow.distributed import dask_runner

    with dask_runner(address) as run:
        list(run(np.full, max(1, nbytes // 8), {k: 0.0 for k in range(4)}))  # warm up
        t = time.perf_counter()
        for _ in run(np.full, max(1, nbytes // 8), {k: float(k) for k in range(tasks)}):
            pass
        return (time.perf_counter() - t) / tasks


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=32768)
    ap.add_argument("--chunks", default="256,1024,4096,16384")
    ap.add_argument("--aggregates-only", action="store_true")
    args = ap.parse_args(argv)
    import distributed
    import numba

    print(
        "load average at the start (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )

    from aigap.engine import compile_model

    cm = compile_model(REPO / "model" / "ai_gap.mdl")
    sizes = [int(c) for c in args.chunks.split(",")]
    cores = numba.get_num_threads()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _sweep(cm, root, 2048, 1024, args.aggregates_only)  # compile, warm caches
        res = {}
        for threads in (1, cores):
            numba.set_num_threads(threads)
            for c in sizes:
                res[(f"in process, {threads} thread(s)", c)] = _sweep(
                    cm, root, args.runs, c, args.aggregates_only
                )
        numba.set_num_threads(cores)
        for n in (1, 2):
            with distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                env={"NUMBA_NUM_THREADS": "1"},
            ) as cluster:
                addr = cluster.scheduler_address
                if n == 1:
                    per_run = returned_bytes(cm, args.aggregates_only)
                    trips = {c: round_trip(addr, int(c * per_run)) for c in sizes}
                _sweep(cm, root, 1024 * n, 1024, args.aggregates_only, addr)  # warm up
                for c in sizes:
                    res[(f"dask, {n} worker(s)", c)] = _sweep(
                        cm, root, args.runs, c, args.aggregates_only, addr
                    )
        base = {c: res[("in process, 1 thread(s)", c)] for c in sizes}
        for (mode, c), t in res.items():
            rows.append((mode, c, t, args.runs / t))
    mode = "aggregates-only" if args.aggregates_only else "full outputs"
    print(f"{args.runs:,}-run sweep ({SWEEP.name}, {mode}), simulation phase; {cores} cores")
    print(f"{'mode':<26} {'chunk':>6} {'s':>7} {'runs/s':>9}")
    for mode_, c, t, rate in rows:
        print(f"{mode_:<26} {c:>6} {t:>7.2f} {rate:>9,.0f}")
    print("\nper-chunk overhead of one dask worker over one in-process thread:")
    under = None
    for c in sizes:
        n_chunks = -(-args.runs // c)
        over = (res[("dask, 1 worker(s)", c)] - base[c]) / n_chunks
        share = over / (base[c] / n_chunks)
        if share < 0.05 and under is None:
            under = c
        print(
            f"  chunk {c:>6}: {over * 1e3:7.1f} ms per chunk = {share:6.1%} of its in-process time"
        )
    print(
        "smallest chunk at which one dask worker costs under 5% of one in-process "
        "thread's throughput: " + (f"{under} runs" if under else "none of those tried")
    )
    t_run = min(base[c] / args.runs for c in sizes)  # least disturbed in-process rate
    print(
        f"\ntask round trip alone (1 worker; no simulation; returns a chunk's bytes), "
        f"against one in-process thread at {t_run * 1e6:.0f} us per run:"
    )
    under = None
    for c in sizes:
        share = trips[c] / (c * t_run)
        if share < 0.05 and under is None:
            under = c
        print(
            f"  chunk {c:>6}: {trips[c] * 1e3:7.2f} ms per task ({c * per_run / 2**20:6.2f} "
            f"MiB) = {share:6.1%} of the chunk's simulation"
        )
    print(
        "smallest chunk whose round trip is under 5% of its simulation: "
        + (f"{under} runs" if under else "none of those tried")
    )
    for c in sizes:
        print(
            f"  chunk {c:>6}: 2 workers / in process ({cores} threads) = "
            f"{res[(f'in process, {cores} thread(s)', c)] / res[('dask, 2 worker(s)', c)]:.2f}"
            f"x throughput; 2 workers / 1 worker = "
            f"{res[('dask, 1 worker(s)', c)] / res[('dask, 2 worker(s)', c)]:.2f}x"
        )
    print(f"bytes returned per run: {per_run:,.0f} ({mode})")
    print("load average at the end (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - t0:.0f} s)")
    raise SystemExit(code)
