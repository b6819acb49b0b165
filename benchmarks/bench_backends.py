"""Benchmark: numpy versus compiled (numba) engine backends, and the machine's floor.

Usage::

    .venv/bin/python benchmarks/bench_backends.py             # N = 1 .. 1,000,000
    .venv/bin/python benchmarks/bench_backends.py --quick     # N up to 10,000, 1 PySD run
    .venv/bin/python benchmarks/bench_backends.py --max-n 100000

On the project model ``model/ai_gap.mdl`` (every constant perturbed by +-10 %
per run, 3 outputs saved once a year): per-run cost of PySD (a few runs), the
numpy backend and the compiled backend at N = 1, 1,000, 10,000, 100,000 and
1,000,000; the operation count per step and run of the compiled kernel (from
the IR); the machine's measured scalar throughput for divisions, fused
multiply-adds, ``exp`` and ``pow`` (numba kernels, vectorizer off, on every
engine thread); the floors they imply and the distance to them; and the first
call of the compiled backend in a new process with a warm kernel cache.

The machine may be shared: the load average is printed at start and end, and
every engine timing is shown as wall time and as CPU time per run divided by
the number of threads (what the run would take on otherwise idle cores).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "model" / "ai_gap.mdl"
OUTPUTS = ["Total AI ARR", "ARR Gap Ratio", "Return Gap Ratio"]
SAVEPER = 1.0

MICRO = r'''
import json, math, sys, time
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from numba import njit

@njit(nogil=True, error_model="numpy")
def div(a, b, out, reps):
    for r in range(reps):
        x = 1.0 + r * 1e-9
        for i in range(a.shape[0]):
            out[i] = x / b[i]
    return out[0]

@njit(nogil=True, error_model="numpy", fastmath={"contract"})
def fma(a, b, out, reps):
    # eight independent chains in registers: FMA throughput, not latency or memory
    m, c = 0.9999999, 1e-9
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    for i in range(reps * a.shape[0] // 8):
        s0 = s0 * m + c
        s1 = s1 * m + c
        s2 = s2 * m + c
        s3 = s3 * m + c
        s4 = s4 * m + c
        s5 = s5 * m + c
        s6 = s6 * m + c
        s7 = s7 * m + c
    out[0] = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
    return out[0]

@njit(nogil=True, error_model="numpy")
def exp(a, b, out, reps):
    for r in range(reps):
        x = 1.0 + r * 1e-9
        for i in range(a.shape[0]):
            out[i] = math.exp(a[i] * x)
    return out[0]

@njit(nogil=True, error_model="numpy")
def pow_(a, b, out, reps):
    for r in range(reps):
        x = 0.5 + r * 1e-9
        for i in range(a.shape[0]):
            out[i] = b[i] ** x
    return out[0]

threads = int(sys.argv[1])
n, reps = 2048, int(sys.argv[2])
rng = np.random.default_rng(0)
data = [(rng.uniform(-1, 1, n), rng.uniform(1, 2, n), np.zeros(n)) for _ in range(threads)]
pool = ThreadPoolExecutor(threads)
res = {}
for name, fn, scale in (("div", div, 1), ("fma", fma, 1), ("exp", exp, 8), ("pow", pow_, 16)):
    r = max(1, reps // scale)
    fn(*data[0], 1)
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        list(pool.map(lambda d: fn(*d, r), data))
        best = min(best, time.perf_counter() - t)
    res[name] = best / (threads * n * r)            # seconds per operation, all threads busy
print(json.dumps(res))
'''


def loadavg():
    return os.getloadavg()[0]


def machine_costs(threads, reps=20000):
    """Seconds per scalar op (all threads busy) for div, fma, exp, pow; vectorizer off."""
    env = dict(os.environ, NUMBA_LOOP_VECTORIZE="0", NUMBA_SLP_VECTORIZE="0")
    out = subprocess.run([sys.executable, "-c", MICRO, str(threads), str(reps)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def random_params(cm, n, seed):
    rng = np.random.default_rng(seed)
    return {k: v.default * rng.uniform(0.9, 1.1, size=(n,) + v.default.shape)
            for k, v in cm.constants.items()}


def timed(fn):
    """(result, wall seconds, process CPU seconds)."""
    c, w = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


FIRST_CALL = """
import json, sys, time
t0 = time.perf_counter()
from aigap.engine import compile_model
cm = compile_model(sys.argv[1])
t1 = time.perf_counter()
cm.simulate(n_runs=1000, outputs=json.loads(sys.argv[2]), saveper=float(sys.argv[3]),
            engine="compiled")
t2 = time.perf_counter()
print(json.dumps({"imports_and_model": t1 - t0, "first_call": t2 - t1}))
"""


def first_call_new_process(path):
    out = subprocess.run([sys.executable, "-c", FIRST_CALL, str(path), json.dumps(OUTPUTS),
                          str(SAVEPER)], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(path, ns, pysd_runs, rk4_max):
    import numba

    from aigap.engine import compile_model
    from aigap.engine.numba_opcount import op_counts
    from aigap.engine.numba_backend import n_threads
    from aigap.engine.pysd_backend import load_pysd_model, simulate_pysd

    threads = n_threads()
    cm = compile_model(path, check=True)
    steps = int(round((cm.final_time - cm.initial_time) / cm.time_step))
    print(f"model {path.name}: {len(cm.variables)} variables, {len(cm.constants)} constants, "
          f"{steps} steps of {cm.time_step}, outputs {OUTPUTS} every {SAVEPER} year")
    print(f"numba {numba.__version__}, {threads} engine threads, {os.cpu_count()} CPUs")

    # ---------------------------------------------------------------- op counts
    counts = {m: op_counts(cm.program.ir, OUTPUTS, m, save_fraction=cm.time_step / SAVEPER)
              for m in ("euler", "rk4")}
    print("\nOperations per step per run (compiled IR):")
    keys = sorted({k for c in counts.values() for k in c if k != "total"}) + ["total"]
    print("  " + " ".join(f"{k:>12}" for k in ["method"] + keys))
    for m, c in counts.items():
        print("  " + " ".join([f"{m:>12}"] + [f"{c.get(k, 0):>12.0f}" for k in keys]))

    # ---------------------------------------------------------------- machine
    cost = machine_costs(threads)
    print(f"\nMachine, scalar (vectorizer off), {threads} threads busy, seconds per op:")
    print("  " + ", ".join(f"{k} {v * 1e9:.2f} ns" for k, v in cost.items()))
    eul = counts["euler"]
    floor_div = eul["div"] * steps * cost["div"]
    calls = steps * sum(v * cost["pow" if k == "call:power" else "exp"]
                        for k, v in eul.items() if k.startswith("call:"))
    flops = steps * (eul["arith"] + eul.get("compare", 0)) * cost["fma"]
    print(f"  division floor (Euler): {eul['div']:.0f} div x {steps} steps -> "
          f"{floor_div * 1e6:.2f} us per run")
    print(f"  libm-call floor (exp, pow at the rates above): {calls * 1e6:.2f} us per run; "
          f"other ops at one FMA each: {flops * 1e6:.2f} us per run")
    print("  (the divider and the FMA pipes run in parallel: the floors overlap, they do not add)")

    # ---------------------------------------------------------------- PySD
    pysd_per_run = None
    if pysd_runs:
        load_pysd_model(path)
        pp = random_params(cm, pysd_runs, seed=2)
        _, wall, _ = timed(lambda: simulate_pysd(path, pp, outputs=OUTPUTS, saveper=SAVEPER,
                                                 model=cm))
        pysd_per_run = wall / pysd_runs
        print(f"\nPySD: {pysd_per_run:.2f} s per run ({pysd_runs} runs)")

    # ---------------------------------------------------------------- engines
    first = {}
    for engine in ("numpy", "compiled"):
        _, first[engine], _ = timed(lambda: cm.simulate(
            n_runs=2, outputs=OUTPUTS, saveper=SAVEPER, engine=engine,
            params={k: v[:2] for k, v in random_params(cm, 2, 9).items()}))
    print(f"\nfirst call in this process (code generation, numba compile or cache load): "
          f"numpy {first['numpy']:.2f} s, compiled {first['compiled']:.2f} s")
    print(f"load average now {loadavg():.2f}")
    print(f"\n{'method':>6} {'N':>9} {'numpy us/run':>13} {'(cpu/thr)':>10} "
          f"{'compiled us/run':>16} {'(cpu/thr)':>10} {'speed-up':>9} {'/div floor':>11} "
          f"{'PySD/compiled':>14}")
    rows = []
    for method in ("euler", "rk4"):
        for n in ns:
            if method == "rk4" and n > rk4_max:
                continue
            params = random_params(cm, n, seed=3)
            row = {"method": method, "n": n}
            for engine in ("numpy", "compiled"):
                kw = dict(params=params, outputs=OUTPUTS, saveper=SAVEPER, method=method,
                          engine=engine)
                cm.simulate(**{**kw, "params": {k: v[:1] for k, v in params.items()}})
                reps = 3 if n <= 10_000 else 1
                best = min((timed(lambda: cm.simulate(**kw))[1:] for _ in range(reps)),
                           key=lambda x: x[0])
                row[engine] = best[0] / n
                row[engine + "_cpu"] = best[1] / n / (threads if engine == "compiled" else 1)
            del params
            rows.append(row)
            c = row["compiled"]
            npy = row.get("numpy")
            floor = floor_div * (4 if method == "rk4" else 1)
            print(f"{method:>6} {n:>9,} "
                  + (f"{npy * 1e6:>13.1f} {row['numpy_cpu'] * 1e6:>10.1f} " if npy
                     else f"{'-':>13} {'':>10} ")
                  + f"{c * 1e6:>16.1f} {row['compiled_cpu'] * 1e6:>10.1f} "
                  + (f"{npy / c:>8.1f}x " if npy else f"{'-':>9} ")
                  + f"{c / floor:>10.1f}x "
                  + (f"{pysd_per_run / c:>14,.0f}" if pysd_per_run else ""), flush=True)

    fc = first_call_new_process(path)
    print(f"\nnew process, warm cache: imports + compile_model {fc['imports_and_model']:.2f} s, "
          f"first compiled call (1,000 runs) {fc['first_call']:.2f} s")
    print(f"load average at the end {loadavg():.2f} (2 cores shared with the team)")
    return rows, fc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N up to 10,000, 1 PySD run")
    ap.add_argument("--max-n", type=int, default=1_000_000, help="largest ensemble")
    ap.add_argument("--rk4-max-n", type=int, default=10_000,
                    help="largest ensemble timed with RK4 (four evaluations per step)")
    ap.add_argument("--pysd-runs", type=int, default=None, help="PySD runs (0: skip)")
    ap.add_argument("--model", type=Path, default=PROJECT, help="benchmark this .mdl")
    args = ap.parse_args(argv)
    ns = [n for n in (1, 1_000, 10_000, 100_000, 1_000_000)
          if n <= (10_000 if args.quick else args.max_n)]
    pysd_runs = args.pysd_runs if args.pysd_runs is not None else (1 if args.quick else 2)
    print(textwrap.dedent(f"""\
        python {sys.version.split()[0]}, numpy {np.__version__}, load average {loadavg():.2f}
        """).rstrip())
    bench(args.model.resolve(), ns, pysd_runs, args.rk4_max_n)


if __name__ == "__main__":
    main()
