"""Dask scaling of sweep chunks on this machine (wall-clock; no targets asserted).

For each chunk size, the simulation phase of ``run_sweep`` (every chunk simulated, returned
and written) of the same sweep is timed:

- in process, numba limited to 1 thread (the baseline a one-thread worker is compared with)
  and with every core (the default without ``--dask``);
- ``--dask`` on a LocalCluster of 1 and 2 one-thread worker processes (started once per
  size, warmed up so every worker has loaded its kernel).

Per-chunk overhead = (dask 1 worker - in process 1 thread) / chunks; the chunk size at
which Dask costs under 5% is where that overhead is under 5% of a chunk's in-process time.
``--aggregates-only`` times the streaming mode (far less data returned per chunk).

Usage: ``.venv/bin/python benchmarks/bench_dask.py [--runs 32768] [--chunks 256,1024,4096]
[--aggregates-only]``
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP = REPO / "scenarios" / "sweeps" / "price_war.yaml"


def _sweep(cm, root, runs, chunk, aggregates, dask=None) -> float:
    from aigap.analysis.sweep_job import run_sweep
    out = run_sweep(SWEEP, model=cm, runs_dir=root, runs=runs, chunk_size=chunk, plots=False,
                    progress=None, command=["bench"], dask=dask, aggregates_only=aggregates)
    return out.timings["simulation"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=32768)
    ap.add_argument("--chunks", default="256,1024,4096,16384")
    ap.add_argument("--aggregates-only", action="store_true")
    args = ap.parse_args(argv)
    import distributed
    import numba

    from aigap.engine import compile_model
    cm = compile_model(REPO / "model" / "ai_gap.mdl")
    sizes = [int(c) for c in args.chunks.split(",")]
    cores = numba.get_num_threads()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _sweep(cm, root, 2048, 1024, args.aggregates_only)            # compile, warm caches
        res = {}
        for threads in (1, cores):
            numba.set_num_threads(threads)
            for c in sizes:
                res[(f"in process, {threads} thread(s)", c)] = _sweep(
                    cm, root, args.runs, c, args.aggregates_only)
        numba.set_num_threads(cores)
        for n in (1, 2):
            with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                          dashboard_address=":0",
                                          env={"NUMBA_NUM_THREADS": "1"}) as cluster:
                addr = cluster.scheduler_address
                _sweep(cm, root, 1024 * n, 1024, args.aggregates_only, addr)   # warm up
                for c in sizes:
                    res[(f"dask, {n} worker(s)", c)] = _sweep(cm, root, args.runs, c,
                                                              args.aggregates_only, addr)
        base = {c: res[("in process, 1 thread(s)", c)] for c in sizes}
        for (mode, c), t in res.items():
            rows.append((mode, c, t, args.runs / t))
    mode = "aggregates-only" if args.aggregates_only else "full outputs"
    print(f"{args.runs:,}-run sweep ({SWEEP.name}, {mode}), simulation phase; {cores} cores")
    print(f"{'mode':<26} {'chunk':>6} {'s':>7} {'runs/s':>9}")
    for mode_, c, t, rate in rows:
        print(f"{mode_:<26} {c:>6} {t:>7.2f} {rate:>9,.0f}")
    print("\nper-chunk overhead of one dask worker over one in-process thread:")
    for c in sizes:
        n_chunks = -(-args.runs // c)
        over = (res[("dask, 1 worker(s)", c)] - base[c]) / n_chunks
        share = over / (base[c] / n_chunks)
        print(f"  chunk {c:>6}: {over * 1e3:7.1f} ms per chunk = {share:6.1%} of its "
              f"in-process time")
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - t0:.0f} s)")
    raise SystemExit(code)
