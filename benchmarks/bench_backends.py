"""Benchmark: numpy versus compiled (numba) engine backends, per core, and the machine's floor.

Usage::

    .venv/bin/python benchmarks/bench_backends.py             # N = 1 .. 1,000,000
    .venv/bin/python benchmarks/bench_backends.py --quick     # N up to 10,000, 1 PySD run
    .venv/bin/python benchmarks/bench_backends.py --max-n 100000

On the project model ``model/ai_gap.mdl`` (every constant perturbed by +-10 %
per run, 3 outputs saved once a year): per-run cost of PySD (a few runs), the
numpy backend and the compiled backend at N = 1, 1,000, 10,000, 100,000 and
1,000,000; the operation count per step and run of the compiled kernel (from
the IR); the machine's measured throughput for divisions, fused multiply-adds,
``exp`` and ``pow`` in the code shape the kernel runs (the lock-step kernel's
rows of eight runs: vectorised division, libmvec ``exp``/``pow``; or scalar
code for the one-run kernel), on one thread; the per-core floor they imply;
the same operations timed in numpy's shape (arrays of 10,000 runs), where the
per-core ratio comes from; numpy and the compiled kernel on one thread each
(the per-core comparison and the distance to the floor) and on every thread,
PySD over the compiled kernel per core; the first compiled call of the Euler
and the RK4 kernel, each in a new process with an empty kernel cache (the native build
of the lock-step kernel and numba's, one after the other); and the
first call in a new process with a warm kernel cache. Ends with the per-core
table as Markdown (README.md, "Engine backends"). Run it with this checkout's
``src`` first on ``PYTHONPATH`` or without: it puts it there, also for its
subprocesses.

The machine may be shared: the load average is printed beside every row, and
every timing is CPU time per run (what the run costs a core), wall in brackets.
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
sys.path.insert(0, str(ROOT / "src"))  # this checkout's engine, here and in subprocesses

# ----------------------------------------------------------------------------------------
# Every name this benchmark takes from the engine. Only ``compile_model`` (and the
# CompiledModel it returns) is public; the rest are engine internals whose modules may move
# (e.g. into aigap.engine.backends/): update these lines, nothing below imports the engine.
from aigap.engine import compile_model  # noqa: E402
from aigap.engine.backends.numba.opcount import op_counts  # noqa: E402
from aigap.engine.backends.pysd import load_pysd_model, simulate_pysd  # noqa: E402
from aigap.engine.backends.numba.vecmath import isa  # noqa: E402  (libmvec variant: avx2)

VECMATH = "aigap.engine.backends.numba.vecmath"  # vexp, vpow: imported by the floor's subprocess
# ----------------------------------------------------------------------------------------

PROJECT = ROOT / "model" / "ai_gap.mdl"
OUTPUTS = ["Total AI ARR", "ARR Gap Ratio", "Return Gap Ratio"]
SAVEPER = 1.0

TIMING = r"""
pool = ThreadPoolExecutor(threads)
res = {}
for name, fn, scale, per in CASES:       # per: operations per element and repetition
    r = max(1, reps // scale)
    fn(*data[0], 1)
    best = 1e9
    for _ in range(5):
        c = time.process_time()
        list(pool.map(lambda d: fn(*d, r), data))
        best = min(best, time.process_time() - c)
    res[name] = best / (threads * n * r * per)     # CPU seconds per operation
print(json.dumps(res))
"""

MICRO = (
    r"""
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
CASES = (("div", div, 1, 1), ("fma", fma, 1, 1), ("exp", exp, 8, 1), ("pow", pow_, 16, 1))
"""
    + TIMING
)


MICRO_LANES = (
    r"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from numba import njit
from #VECMATH# import vexp, vpow

# The lock-step kernel's code shape: values are rows of V (rows, 8), each statement
# group is a `for l in range(8)` loop LLVM vectorises, exp/pow are libmvec lane calls
# in it, which LLVM makes two 4-lane calls per row of eight runs (vexp/vpow: the same
# calls on rows, so that LLVM cannot unroll the loop of a lone call and keep it scalar). Rows are independent: throughput, not latency. As in the
# kernel, V is a local array of a constant shape: with arrays passed in, LLVM cannot
# rule out that rows overlap and divides one lane at a time (vdivsd, 3x slower on
# AMD Zen 3 than the kernel's vdivpd).

@njit(nogil=True, error_model="numpy")
def div(V0, W0, reps):
    V, W = np.empty((rows, 8)), np.empty((rows, 8))   # rows: a global, a constant here
    V[:], W[:] = V0, W0
    for r in range(reps):
        for k in range(V.shape[0]):
            for l in range(8):
                V[k, l] = W[k, l] / V[k, l]
    return V[0, 0]

@njit(nogil=True, error_model="numpy", fastmath={"contract"})
def fma(V0, W, reps):
    # as in a lane loop: rows loaded into registers, eight dependent multiply-adds
    # each, eight rows interleaved (independent chains hide the latency), stored once
    V = np.empty((rows, 8))
    V[:] = V0
    for r in range(reps):
        for k in range(0, V.shape[0], 8):
            for l in range(8):
                a, b, c, d = V[k, l], V[k + 1, l], V[k + 2, l], V[k + 3, l]
                e, f, g, h = V[k + 4, l], V[k + 5, l], V[k + 6, l], V[k + 7, l]
#FMA#
                V[k, l], V[k + 1, l], V[k + 2, l], V[k + 3, l] = a, b, c, d
                V[k + 4, l], V[k + 5, l], V[k + 6, l], V[k + 7, l] = e, f, g, h
    return V[0, 0]

@njit(nogil=True, error_model="numpy")
def exp(V, W, reps):
    n = V.shape[0]  # X: outputs in rows 0..n-1, inputs in rows n..2n-1
    X = np.empty((2 * n, 8))
    X[:n], X[n:] = V, W
    for r in range(reps):
        for k in range(n):
            vexp(X, n + k, k)
    return X[0, 0]

@njit(nogil=True, error_model="numpy")
def pow_(V, W, reps):
    n = V.shape[0]
    X = np.empty((2 * n, 8))
    X[:n], X[n:] = V, W
    for r in range(reps):
        for k in range(n - 1):
            vpow(X, n + k, n + k + 1, k)
    return X[0, 0]

threads = int(sys.argv[1])
rows, reps = 256, int(sys.argv[2])
n = rows * 8
rng = np.random.default_rng(0)
data = [(rng.uniform(1, 2, (rows, 8)), rng.uniform(0.5, 1, (rows, 8))) for _ in range(threads)]
CASES = (("div", div, 1, 1), ("fma", fma, 8, 8), ("exp", exp, 4, 1), ("pow", pow_, 8, 1))
""".replace(
        "#FMA#",
        "\n".join(
            f"                {v} = {v} * 0.9999999 + 1e-9"  # unrolled:
            for _ in range(8)
            for v in "abcdefgh"
        ),
    ).replace("#VECMATH#", VECMATH)
    + TIMING
)  # l innermost


def loadavg():
    return os.getloadavg()[0]


def child_env(**extra):
    """Environment of a subprocess: this checkout's ``src`` first on the path."""
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


def machine_costs(threads, lanes, reps=2000):
    """CPU seconds per operation (``threads`` threads busy) for div, fma, exp, pow, measured
    the way the kernel runs: the lock-step kernel's SIMD shape when ``lanes`` (vectorised
    division, libmvec exp/pow on rows of eight runs), else scalar code with the
    vectorizer off (the one-run kernel)."""
    env = child_env()
    if lanes:
        code, reps = MICRO_LANES, reps
    else:
        code, reps = MICRO, reps * 10
        env.update(NUMBA_LOOP_VECTORIZE="0", NUMBA_SLP_VECTORIZE="0")
    out = subprocess.run(
        [sys.executable, "-c", code, str(threads), str(reps)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def numpy_costs(n, reps=200):
    """CPU seconds per element of numpy's operations on arrays of ``n`` runs (one thread,
    expressions allocating their result as the numpy backend's do): what one operation of
    the kernel's count costs numpy, to set beside the kernel's own costs."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1, 2, n), rng.uniform(0.5, 1, n)
    cases = {
        "div": lambda: a / b,
        "arith": lambda: a * b,
        "exp": lambda: np.exp(b),
        "pow": lambda: a**b,
        "compare": lambda: np.where(a > b, a, b),
    }
    res = {}
    for name, fn in cases.items():
        fn()
        best = 1e9
        for _ in range(5):
            c = time.process_time()
            for _ in range(reps):
                fn()
            best = min(best, time.process_time() - c)
        res[name] = best / (reps * n) / (2 if name == "compare" else 1)  # compare + select
    return res


def random_params(cm, n, seed):
    rng = np.random.default_rng(seed)
    return {
        k: v.default * rng.uniform(0.9, 1.1, size=(n,) + v.default.shape)
        for k, v in cm.constants.items()
    }


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


COMPILE = """
import json, sys, time
import numba  # noqa: F401  (imported before the clock: not part of the compile)
from aigap.engine import compile_model
cm = compile_model(sys.argv[1])
w, c = time.perf_counter(), time.process_time()
cm.simulate(n_runs=8, outputs=json.loads(sys.argv[2])[:1], method=sys.argv[3], engine="compiled")
print(json.dumps([time.perf_counter() - w, time.process_time() - c]))
"""


def compile_times(path, builds=("native", "numba")):
    """Wall and CPU seconds of the first compiled call (code generation, compile, 8 runs)
    of the Euler and the RK4 kernel, each in a new process with an empty kernel cache
    (``$AIGAP_CACHE_DIR``): ``"kernel"`` with numba's shared helpers already compiled on this
    machine (the usual case: a new model or engine version), ``"cold"`` with numba's cache
    empty too (the first kernel after installing). ``builds``: who compiles the lock-step
    kernel, aigap's LLVM code generator (``"native"``) or numba (``AIGAP_NATIVE=0``),
    measured one after the other in the same minutes. Keys ``(method, build, which)``."""
    import tempfile

    def run(method, build, aigap_cache, numba_cache):
        env = child_env(
            AIGAP_CACHE_DIR=aigap_cache,
            NUMBA_CACHE_DIR=numba_cache,
            AIGAP_NATIVE="0" if build == "numba" else "1",
        )
        out = subprocess.run(
            [sys.executable, "-c", COMPILE, str(path), json.dumps(OUTPUTS), method],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for method in ("euler", "rk4"):
            for build in builds:
                helpers = f"{tmp}/{method}-{build}-numba"  # numba's cache: helpers, then kernels
                res[method, build, "cold"] = run(
                    method, build, f"{tmp}/{method}-{build}-c", helpers
                )
                res[method, build, "kernel"] = run(
                    method, build, f"{tmp}/{method}-{build}-k", helpers
                )
    return res


def first_call_new_process(path):
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL, str(path), json.dumps(OUTPUTS), str(SAVEPER)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=child_env(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(path, ns, pysd_runs, rk4_max, compile_time=True):
    import numba

    threads = numba.get_num_threads()  # the compiled engine's threads (NUMBA_NUM_THREADS)
    cm = compile_model(path, check=True)
    steps = int(round((cm.final_time - cm.initial_time) / cm.time_step))
    print(
        f"model {path.name}: {len(cm.variables)} variables, {len(cm.constants)} constants, "
        f"{steps} steps of {cm.time_step}, outputs {OUTPUTS} every {SAVEPER} year"
    )
    print(
        f"numba {numba.__version__}, {threads} engine threads, {os.cpu_count()} CPUs, "
        + (
            f"lock-step kernel (libmvec {isa()})"
            if cm.plan("compiled").lanes
            else "one-run kernel (lock-step off: AIGAP_NUMBA_LANES=0, a state it cannot run, or "
            "no AVX2 libmvec on this machine)"
        )
    )

    # ---------------------------------------------------------------- op counts
    counts = {
        m: op_counts(cm.ir, OUTPUTS, m, save_fraction=cm.time_step / SAVEPER)
        for m in ("euler", "rk4")
    }
    print("\nOperations per step per run (compiled IR):")
    keys = sorted({k for c in counts.values() for k in c if k != "total"}) + ["total"]
    print("  " + " ".join(f"{k:>12}" for k in ["method"] + keys))
    for m, c in counts.items():
        print("  " + " ".join([f"{m:>12}"] + [f"{c.get(k, 0):>12.0f}" for k in keys]))

    # ---------------------------------------------------------------- machine
    lanes = cm.plan("compiled").lanes
    cost = machine_costs(1, lanes)
    shape = "lock-step SIMD shape (rows of 8 runs, libmvec)" if lanes else "scalar, vectorizer off"
    print(f"\nMachine, measured the way the kernel runs ({shape}), one thread, CPU ns per op:")
    print("  " + ", ".join(f"{k} {v * 1e9:.3f} ns" for k, v in cost.items()))
    floors = {}
    for m, c in counts.items():
        div = c["div"] * steps * cost["div"]
        calls = steps * sum(
            v * cost["pow" if k == "call:power" else "exp"]
            for k, v in c.items()
            if k.startswith("call:")
        )
        other = steps * (c["arith"] + c.get("compare", 0)) * cost["fma"]
        floors[m] = max(div, calls + other)
        print(
            f"  {m}: divisions {div * 1e6:.2f} us per run; exp/pow {calls * 1e6:.2f} + other "
            f"ops at one FMA each {other * 1e6:.2f} us per run -> floor {floors[m] * 1e6:.2f} "
            "us per run per core (divider and FMA pipes overlap: the larger bounds)"
        )

    # ---------------------------------------------------------------- per-op breakdown
    # Where the per-core ratio comes from: each operation of the kernel's count, timed in
    # numpy's shape (arrays of 10,000 runs) and in the kernel's (the floor's costs above).
    npc = numpy_costs(10_000)
    kc = {
        "div": cost["div"],
        "arith": cost["fma"],
        "compare": cost["fma"],
        "exp": cost["exp"],
        "pow": cost["pow"],
    }
    print(
        "\nPer operation, one thread, CPU ns: numpy on 10,000-run arrays / kernel shape "
        "(ratio); share of the Euler count's time at each cost"
    )
    c = counts["euler"]
    per = {
        "div": c["div"],
        "arith": c["arith"],
        "compare": c.get("compare", 0),
        "exp": c.get("call:exp", 0),
        "pow": c.get("call:power", 0),
    }
    tn, tk = (sum(per[k] * x[k] for k in per) for x in (npc, kc))
    for k in per:
        print(
            f"  {k:>8}: {npc[k] * 1e9:6.3f} / {kc[k] * 1e9:6.3f} ns ({npc[k] / kc[k]:4.1f}x); "
            f"{per[k]:4.0f} per step: {per[k] * npc[k] / tn:4.0%} of numpy's, "
            f"{per[k] * kc[k] / tk:4.0%} of the kernel's"
        )
    print(
        f"  the Euler count at numpy's costs {tn * steps * 1e6:.1f} us per run, at the "
        f"kernel's {tk * steps * 1e6:.1f} us per run ({tn / tk:.1f}x: the per-core speed-up "
        "if both ran exactly this count at these costs; numpy computes time-invariant "
        "values once per run, the kernel at every step)"
    )

    # ---------------------------------------------------------------- PySD
    pysd_per_run = None
    if pysd_runs:
        load_pysd_model(path)
        pp = random_params(cm, pysd_runs, seed=2)
        _, wall, cpu = timed(
            lambda: simulate_pysd(path, pp, outputs=OUTPUTS, saveper=SAVEPER, model=cm)
        )
        pysd_per_run = cpu / pysd_runs
        print(
            f"\nPySD: {pysd_per_run:.2f} s CPU per run ({wall / pysd_runs:.2f} s wall; "
            f"{pysd_runs} runs, one thread)"
        )

    # ---------------------------------------------------------------- engines
    first = {}
    for engine in ("numpy", "compiled"):
        _, first[engine], _ = timed(
            lambda: cm.simulate(
                n_runs=2,
                outputs=OUTPUTS,
                saveper=SAVEPER,
                engine=engine,
                params={k: v[:2] for k, v in random_params(cm, 2, 9).items()},
            )
        )
    print(
        f"\nfirst call in this process (code generation, numba compile or cache load): "
        f"numpy {first['numpy']:.2f} s, compiled {first['compiled']:.2f} s"
    )
    print(f"load average now {loadavg():.2f}")
    print("\nPer run, microseconds of CPU time (wall in brackets). 1T: one thread (numpy always")
    print(
        f"runs on one); {threads}T: the compiled engine on every thread, wall time per run. "
        "/floor: compiled 1T over"
    )
    print("the per-core floor; PySD/compiled: PySD's CPU time per run over compiled 1T's.")
    print(
        f"{'method':>6} {'N':>9} {'numpy 1T':>15} {'compiled 1T':>15} {'per core':>9} "
        f"{f'compiled {threads}T':>13} {'/floor':>7} {'PySD/compiled':>14} {'load':>5}"
    )
    rows = []
    for method in ("euler", "rk4"):
        for n in ns:
            if method == "rk4" and n > rk4_max:
                continue
            params = random_params(cm, n, seed=3)
            row = {"method": method, "n": n}
            for label, engine, k in (
                ("numpy", "numpy", 1),
                ("c1", "compiled", 1),
                ("cT", "compiled", threads),
            ):
                numba.set_num_threads(k)
                kw = dict(
                    params=params, outputs=OUTPUTS, saveper=SAVEPER, method=method, engine=engine
                )
                cm.simulate(**{**kw, "params": {q: v[:1] for q, v in params.items()}})
                reps = 3 if n <= 10_000 else 1
                best = min(
                    (timed(lambda: cm.simulate(**kw))[1:] for _ in range(reps)), key=lambda x: x[1]
                )
                row[label], row[label + "_cpu"] = best[0] / n, best[1] / n
            numba.set_num_threads(threads)
            del params
            row["load"] = loadavg()
            row["per_core"] = row["numpy_cpu"] / row["c1_cpu"]
            row["floor"] = row["c1_cpu"] / floors[method]
            row["pysd"] = pysd_per_run / row["c1_cpu"] if pysd_per_run else None
            rows.append(row)
            print(
                f"{method:>6} {n:>9,} {row['numpy_cpu'] * 1e6:>7.1f} ({row['numpy'] * 1e6:>5.1f})"
                f" {row['c1_cpu'] * 1e6:>7.1f} ({row['c1'] * 1e6:>5.1f}) "
                f"{row['per_core']:>8.1f}x {row['cT'] * 1e6:>13.1f} {row['floor']:>6.1f}x "
                + (f"{row['pysd']:>14,.0f}" if row["pysd"] else f"{'':>14}")
                + f" {row['load']:>5.2f}",
                flush=True,
            )

    ct = None
    if compile_time:
        la = loadavg()
        ct = compile_times(path)
        print(
            "\none kernel per model and method (any outputs, time series, SAVEPER); first "
            "compiled call in a new process, empty kernel cache, shared helpers compiled / "
            "numba's cache empty too:"
        )
        for m in ("euler", "rk4"):
            for build in ("native", "numba"):
                (wk, ck), (wc, cc) = ct[m, build, "kernel"], ct[m, build, "cold"]
                print(
                    f"  {m}, {build} build: {wk:.1f} s wall ({ck:.1f} s CPU) / "
                    f"{wc:.1f} s wall ({cc:.1f} s CPU)"
                )
        print(f"  (load average {la:.2f} -> {loadavg():.2f})")
    fc = first_call_new_process(path)
    print(
        f"\nnew process, warm cache: imports + compile_model {fc['imports_and_model']:.2f} s, "
        f"first compiled call (1,000 runs) {fc['first_call']:.2f} s"
    )
    print(f"load average at the end {loadavg():.2f} (2 cores shared with the team)")
    print("\n" + markdown(rows, threads))
    return rows, fc, ct


def markdown(rows, threads):
    """The per-core table as Markdown, for README.md."""
    out = [
        f"| method | N | numpy, 1 thread | compiled, 1 thread | per-core speed-up | "
        f"compiled, {threads} threads (wall) | compiled / floor | PySD / compiled |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        pysd = f"{r['pysd']:,.0f}" if r["pysd"] else ""
        out.append(
            f"| {'Euler' if r['method'] == 'euler' else 'RK4'} | {r['n']:,} | "
            f"{r['numpy_cpu'] * 1e6:,.1f} | {r['c1_cpu'] * 1e6:,.1f} | "
            f"{r['per_core']:.1f}x | {r['cT'] * 1e6:,.1f} | {r['floor']:.1f}x | {pysd} |"
        )
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N up to 10,000, 1 PySD run")
    ap.add_argument("--max-n", type=int, default=1_000_000, help="largest ensemble")
    ap.add_argument(
        "--rk4-max-n",
        type=int,
        default=10_000,
        help="largest ensemble timed with RK4 (four evaluations per step)",
    )
    ap.add_argument("--pysd-runs", type=int, default=None, help="PySD runs (0: skip)")
    ap.add_argument("--model", type=Path, default=PROJECT, help="benchmark this .mdl")
    ap.add_argument(
        "--no-compile",
        action="store_true",
        help="skip timing the kernels' compilation from an empty cache",
    )
    args = ap.parse_args(argv)
    ns = [
        n
        for n in (1, 1_000, 10_000, 100_000, 1_000_000)
        if n <= (10_000 if args.quick else args.max_n)
    ]
    pysd_runs = args.pysd_runs if args.pysd_runs is not None else (1 if args.quick else 2)
    print(
        textwrap.dedent(f"""\
        python {sys.version.split()[0]}, numpy {np.__version__}, load average {loadavg():.2f}
        """).rstrip()
    )
    bench(args.model.resolve(), ns, pysd_runs, args.rk4_max_n, not args.no_compile)


if __name__ == "__main__":
    main()
