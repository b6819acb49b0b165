"""Benchmark: PySD versus the ensemble engine, per-run cost and peak memory.

Usage::

    .venv/bin/python benchmarks/bench_engine.py            # full benchmark
    .venv/bin/python benchmarks/bench_engine.py --quick    # N up to 10,000, 1 PySD run

Times PySD on a few runs and the numpy engine at N = 1, 1,000, 10,000 and
100,000 runs (random +-10 % perturbations of every constant, 5 outputs) on the
project model ``model/ai_gap.mdl``; without it, on the SIR conformance model
and a synthetic two-region model with lookups and smooths written to a temp
dir. Peak memory of the 100,000-run case is measured in a fresh subprocess
(its maximum resident set size).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "model" / "ai_gap.mdl"
SIR = ROOT / "../shared/sd-conformance/samples/SIR/SIR.mdl"
PREFERRED = ["Total AI ARR", "Model ARR", "AI Capital", "Return on AI Capital", "ARR Gap Ratio"]

SYNTHETIC = """{UTF-8}
Region:
	US, CN
	~	
	~		|

Capital[Region]= INTEG (
	Investment[Region] - Capital[Region] / Lifetime,
		Initial Capital[Region])
	~	USD
	~		|

Investment[Region]=
	Invest Share[Region] * Revenue[Region] * Return Effect[Region]
	~	USD/Year
	~		|

Return Effect[Region]=
	Return Lookup(Return on Capital[Region] / Hurdle)
	~	Dmnl
	~		|

Return Lookup(
	[(0,0)-(3,2)],(0,0.2),(0.5,0.5),(1,1),(1.5,1.3),(2,1.5),(3,1.6))
	~	Dmnl
	~		|

Return on Capital[Region]=
	ZIDZ(Revenue[Region], Capital[Region])
	~	1/Year
	~		|

Revenue[Region]=
	Users[Region] * Price[Region] * 12
	~	USD/Year
	~		|

Users[Region]= INTEG (
	Adoption[Region],
		Initial Users[Region])
	~	Person
	~		|

Adoption[Region]=
	Adoption Rate[Region] * Users[Region] * (1 - Users[Region] / Potential[Region])
	~	Person/Year
	~		|

Price[Region]=
	SMOOTH(Target Price[Region], Price Adjustment Time)
	~	USD/(Person*Month)
	~		|

Target Price[Region]=
	Base Price[Region] * Price Lookup(Time)
	~	USD/(Person*Month)
	~		|

Price Lookup(
	[(2024,0)-(2031,2)],(2024,1),(2026,0.8),(2028,0.6),(2031,0.5))
	~	Dmnl
	~		|

Smoothed Revenue[Region]=
	SMOOTH3(Revenue[Region], Perception Time)
	~	USD/Year
	~		|

Revenue Gap Ratio=
	ZIDZ(Smoothed Revenue[US], Smoothed Revenue[CN])
	~	Dmnl
	~		|

Initial Capital[Region]=
	1e+12, 3e+11
	~	USD [0,?]
	~		|

Initial Users[Region]=
	1e+07, 2e+07
	~	Person [0,?]
	~		|

Potential[Region]=
	1e+08, 3e+08
	~	Person [0,?]
	~		|

Adoption Rate[Region]=
	0.6, 0.8
	~	1/Year [0,5]
	~		|

Base Price[Region]=
	20, 3
	~	USD/(Person*Month) [0,100]
	~		|

Invest Share[Region]=
	2, 1.5
	~	Dmnl [0,10]
	~		|

Hurdle=
	0.2
	~	1/Year [0,1]
	~		|

Lifetime=
	5
	~	Year [1,20]
	~		|

Price Adjustment Time=
	0.5
	~	Year [0.1,5]
	~		|

Perception Time=
	0.25
	~	Year [0.05,2]
	~		|

FINAL TIME  = 2031
	~	Year
	~		|

INITIAL TIME  = 2024
	~	Year
	~		|

SAVEPER  = 0.0625
	~	Year [0,?]
	~		|

TIME STEP  = 0.03125
	~	Year [0,?]
	~		|
"""


def random_params(cm, n, seed=0):
    rng = np.random.default_rng(seed)
    return {
        k: v.default * rng.uniform(0.9, 1.1, size=(n,) + v.default.shape)
        for k, v in cm.constants.items()
    }


def pick_outputs(cm):
    names = [n for n in PREFERRED if n in cm.variables]
    others = [
        n for n, v in cm.variables.items() if v.kind in ("stock", "flow", "aux") and n not in names
    ]
    return (names + others)[:5]


def peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


ENGINE = {"engine": "numpy"}  # this benchmark measures the portable numpy backend


def child(path, n, block):
    """Run in a fresh process: time n runs and report peak resident memory."""
    from aigap.engine import compile_model

    cm = compile_model(path)
    outs = pick_outputs(cm)
    params = random_params(cm, n, seed=1)
    cm.simulate(params={k: v[:2] for k, v in params.items()}, outputs=outs, **ENGINE)  # codegen
    t = time.perf_counter()
    res = cm.simulate(params=params, outputs=outs, block_size=block, **ENGINE)
    wall = time.perf_counter() - t
    stored = sum(res[k].nbytes for k in outs) / 2**30
    print(json.dumps({"wall": wall, "peak_gib": peak_rss_gib(), "stored_gib": stored}))


def bench_model(path, ns, pysd_runs, block):
    from aigap.engine import compile_model
    from aigap.engine.backends.pysd import load_pysd_model, simulate_pysd

    print(f"\n=== {path}")
    t = time.perf_counter()
    cm = compile_model(path, check=True)
    compile_s = time.perf_counter() - t
    outs = pick_outputs(cm)
    steps = int(round((cm.final_time - cm.initial_time) / cm.time_step))
    print(
        f"{len(cm.variables)} variables, {len(cm.constants)} constants, dims {cm.dims}, "
        f"{steps} steps of {cm.time_step}; outputs: {outs}"
    )
    print(f"compile_model (parse + compile, or disk cache): {compile_s:.2f} s")

    load_pysd_model(path)  # translation is not part of a run
    pparams = random_params(cm, pysd_runs, seed=2)
    t = time.perf_counter()
    ref = simulate_pysd(path, pparams, outputs=outs, model=cm)
    pysd_per_run = (time.perf_counter() - t) / pysd_runs
    mine = cm.simulate(params=pparams, outputs=outs, **ENGINE)
    err = max(
        float(np.max(np.abs(mine[k] - ref[k]) / np.maximum(np.abs(ref[k]), 1e-300))) for k in outs
    )
    print(
        f"PySD: {pysd_per_run:.3f} s per run ({pysd_runs} runs); "
        f"max relative difference engine vs PySD: {err:.1e}"
    )

    rows = []
    for n in ns:
        if n >= 100_000:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path), str(n), str(block or 0)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            info = json.loads(out.stdout.strip().splitlines()[-1])
            wall, peak = info["wall"], info["peak_gib"]
        else:
            params = random_params(cm, n, seed=3)
            cm.simulate(
                params={k: v[:1] for k, v in params.items()}, outputs=outs, **ENGINE
            )  # warm
            t = time.perf_counter()
            cm.simulate(params=params, outputs=outs, block_size=block, **ENGINE)
            wall = time.perf_counter() - t
            peak = None
        per_run = wall / n
        rows.append((n, wall, per_run, pysd_per_run / per_run, peak))
    print(f"{'N':>8} {'wall s':>9} {'per run':>12} {'PySD/engine':>12} {'peak RSS':>10}")
    for n, wall, per_run, ratio, peak in rows:
        peak_s = f"{peak:.2f} GiB" if peak is not None else ""
        print(f"{n:>8} {wall:>9.3f} {per_run * 1e6:>9.1f} us {ratio:>12,.0f} {peak_s:>10}")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N up to 10,000 and 1 PySD run")
    ap.add_argument("--block", type=int, default=None, help="runs per block (engine default)")
    ap.add_argument("--model", type=Path, help="benchmark this .mdl instead")
    ap.add_argument(
        "--synthetic",
        action="store_true",
        help="benchmark the conformance + synthetic models even if the project model exists",
    )
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        path, n, block = args.child
        child(path, int(n), int(block) or None)
        return
    ns = [1, 1_000, 10_000] + ([] if args.quick else [100_000])
    pysd_runs = 1 if args.quick else 3
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    if args.model:
        bench_model(args.model.resolve(), ns, pysd_runs, args.block)
    elif PROJECT.is_file() and not args.synthetic:
        bench_model(PROJECT, ns, pysd_runs, args.block)
    else:
        print("model/ai_gap.mdl not found: benchmarking a conformance model and a synthetic one")
        if SIR.is_file():
            bench_model(SIR.resolve(), ns, pysd_runs, args.block)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "synthetic_two_region.mdl"
            path.write_text(SYNTHETIC)
            bench_model(path, ns, pysd_runs, args.block)


if __name__ == "__main__":
    main()
