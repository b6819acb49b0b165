"""Posterior benchmark on the full model (wall-clock, this machine, compiled engine).

1. ``aigap posterior`` of the shipped priors (scenarios/priors/ai_gap_priors.yaml: 18
   constants) given scenarios/data/observations.yaml with the command's DEFAULT settings
   (2 chains x 40 walkers x 10,000 steps + 10,000 start draws = 810,000 model evaluations,
   the length the 50-autocorrelation-times rule needs), diagnostics, predictive checks and
   the run folder (plots off); it must report CONVERGED               -- target < 60 s
   The same evaluations with PySD: 7.2 s per run (measured in README, "Engine speed").
2. ``--sbc N``: simulation-based calibration, N experiments: truths drawn from uniform
   priors of 3 constants, noisy synthetic observations simulated at the truth, posterior
   fitted; prints the share of 90% intervals that contain the truth (nominal 90%).

Usage: ``.venv/bin/python benchmarks/bench_posterior.py [--sbc 20]``. Report the load
average printed with the figures (the machine may be shared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
PYSD_SECONDS_PER_RUN = 7.2
SBC_PRIORS = {
    "Base Usage Growth": (0.5, 1.1),
    "Agentic Capability Threshold": (1.5, 3.0),
    "Capability Catch Up Rate": (0.1, 0.6),
}
SERIES = [
    ("Model ARR", "US"),
    ("Model ARR", "CN"),
    ("Total AI ARR", "US"),
    ("Capability Gap", "CN"),
]
TIMES = (2024.5, 2025.0, 2025.5, 2026.0, 2026.4)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def sbc(cm, n, tmp) -> tuple:
    from aigap.analysis.posterior_job import run_posterior
    from aigap.scenarios import load_scenario, resolve_params

    base = REPO / "scenarios" / "baseline.yaml"
    priors = Path(tmp) / "sbc_priors.yaml"
    priors.write_text(
        yaml.safe_dump(
            {
                "description": "SBC",
                "priors": {
                    k: {"dist": "uniform", "low": lo, "high": hi, "rationale": "benchmark"}
                    for k, (lo, hi) in SBC_PRIORS.items()
                },
            }
        )
    )
    rng = np.random.default_rng(2026)
    hits = total = 0
    sc = load_scenario(base, model=cm)
    for k in range(n):
        truth = {name: float(rng.uniform(lo, hi)) for name, (lo, hi) in SBC_PRIORS.items()}
        res = cm.simulate(
            params=resolve_params(cm, sc, [f"{a}={b}" for a, b in truth.items()]), n_runs=1
        )
        items = []
        for var, reg in SERIES:
            y = res.sel(var, Region=reg)[0]
            for t in TIMES:
                v = float(np.interp(t, res.time, y)) * float(np.exp(rng.normal() * 0.1))
                items.append(
                    {
                        "id": f"{var}_{reg}_{t}".replace(" ", "_"),
                        "variable": var,
                        "region": reg,
                        "time": t,
                        "kind": "point",
                        "value": v,
                        "tolerance": 0.2,
                    }
                )
        obs = Path(tmp) / f"sbc_obs_{k}.yaml"
        obs.write_text(yaml.safe_dump({"observations": items}))
        out = run_posterior(
            base,
            priors,
            observations=obs,
            walkers=16,
            steps=400,
            seed=k,
            model=cm,
            runs_dir=tmp,
            plots=False,
            progress=None,
            command=["bench"],
        )
        for r in out.params.itertuples():
            total += 1
            hits += r.post_p5 <= truth[r.parameter] <= r.post_p95
    return hits, total


def main(argv=None) -> int:
    from aigap.analysis.posterior_job import run_posterior
    from aigap.engine import compile_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sbc", type=int, default=0, metavar="N")
    args = ap.parse_args(argv)
    cm = compile_model(REPO / "model" / "ai_gap.mdl").check()
    with tempfile.TemporaryDirectory() as tmp:
        # warm-up: compiles (or loads) the kernel of this output signature
        run_posterior(
            REPO / "scenarios" / "baseline.yaml",
            REPO / "scenarios" / "priors" / "ai_gap_priors.yaml",
            walkers=40,
            steps=4,
            model=cm,
            runs_dir=tmp,
            plots=False,
            progress=None,
            command=["bench"],
        )
        print(f"load average before: {loadavg()}")
        t = time.perf_counter()
        out = run_posterior(
            REPO / "scenarios" / "baseline.yaml",
            REPO / "scenarios" / "priors" / "ai_gap_priors.yaml",
            seed=0,
            model=cm,
            runs_dir=tmp,
            plots=False,
            progress=None,
            command=["bench"],
        )
        dt = time.perf_counter() - t
        dg = out.diagnostics
        n = dg["model_evaluations"]
        pysd = n * PYSD_SECONDS_PER_RUN
        print(
            f"posterior, {len(out.labels)} constants, {n:,} model evaluations: {dt:.1f} s "
            f"(target < 60 s; sampling {dg['timing_s']['sampling']:.1f} s) "
            f"{'' if dt < 60 else 'OVER TARGET'}"
        )
        print(
            f"  {dt / n * 1e6:.0f} us per evaluation; PySD at {PYSD_SECONDS_PER_RUN} s/run: "
            f"{pysd / 86400:.1f} days, {pysd / dt:,.0f}x slower"
        )
        print(
            f"  converged: {dg['converged']}; max tau {dg['tau_max']:.1f}; acceptance "
            + ", ".join(f"{a:.2f}" for a in dg["acceptance_fraction"])
            + f"; more steps estimated: {dg['more_steps']}"
        )
        if args.sbc:
            t = time.perf_counter()
            hits, total = sbc(cm, args.sbc, tmp)
            print(
                f"SBC: {hits}/{total} = {hits / total:.0%} of the 90% intervals contain "
                f"the truth ({args.sbc} experiments, {time.perf_counter() - t:.0f} s)"
            )
        print(f"load average after: {loadavg()}")
    return 0 if dt < 60 and dg["converged"] else 1


if __name__ == "__main__":
    sys.exit(main())
