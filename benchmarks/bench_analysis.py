"""Analysis benchmarks on the full model (wall-clock, this machine).

1. a 10,000-run Latin-hypercube sweep, 2024-2030, end to end (sampling, simulation in
   chunks, percentiles, condition probabilities, fan charts, run folder)  -- target < 10 s
2. Sobol indices over 12 constants (N = 2048: 2048 * 14 = 28,672 runs) with bootstrap
   CIs, bar chart and run folder                                            -- target < 30 s
3. calibration of 10 constants to scenarios/data/observations.yaml (differential evolution,
   one engine call per generation, L-BFGS-B polish, uncertainty set)       -- target < 60 s

Usage: ``.venv/bin/python benchmarks/bench_analysis.py`` (run folders go to a temporary
directory). The model is compiled (and cached) before timing starts.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP = REPO / "scenarios" / "sweeps" / "gap_drivers.yaml"
CALIBRATION_PARAMS = [
    "Price War Intensity[CN]",
    "Embedding Conversion Rate",
    "Capability Catch Up Rate",
    "Base Substitution Rate",
    "Developer Flywheel Strength",
    "Developer Value Scale[CN]",
    "Price Anchor Weight",
    "Token Demand Elasticity",
    "Model Direct Share[CN]",
    "Contract Churn Rate[CN]",
]


def main() -> int:
    from aigap.analysis.calibration_job import run_calibration
    from aigap.analysis.sensitivity_job import run_sensitivity
    from aigap.analysis.sweep_job import run_sweep
    from aigap.engine import compile_model

    cm = compile_model(REPO / "model" / "ai_gap.mdl").check()
    cm.simulate(n_runs=2)  # warm-up (code cache, imports)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        sw = run_sweep(SWEEP, model=cm, runs_dir=tmp, runs=10_000, progress=None, command=["bench"])
        dt = time.perf_counter() - t
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in sw.timings.items())
        rows.append(("10,000-run LHS sweep, end to end", dt, 10.0, f"{parts}"))

        t = time.perf_counter()
        se = run_sensitivity(
            SWEEP, method="sobol", N=2048, model=cm, runs_dir=tmp, progress=None, command=["bench"]
        )
        dt = time.perf_counter() - t
        rows.append(
            (
                f"Sobol, {len(se.names)} constants, {se.n_runs:,} runs",
                dt,
                30.0,
                f"simulation {se.sim_seconds:.1f} s",
            )
        )

        t = time.perf_counter()
        ca = run_calibration(
            REPO / "scenarios" / "baseline.yaml",
            CALIBRATION_PARAMS,
            model=cm,
            runs_dir=tmp,
            output=Path(tmp) / "cal.yaml",
            progress=None,
            command=["bench"],
        )
        dt = time.perf_counter() - t
        rows.append(
            (
                f"calibration, {len(ca.labels)} constants",
                dt,
                60.0,
                f"{ca.extra['n_simulated_runs']:,} runs in {ca.fit.n_calls} engine calls,"
                f" payoff {ca.fit.payoff:.3g}",
            )
        )
    print(f"{'benchmark':<42} {'time':>8} {'target':>8}  detail")
    ok = True
    for name, dt, target, detail in rows:
        flag = "" if dt < target else "  OVER TARGET"
        ok &= dt < target
        print(f"{name:<42} {dt:>6.1f} s {target:>6.0f} s  {detail}{flag}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
