"""Policy-search benchmark on the full model (wall-clock, this machine, compiled engine).

The shipped 4-decision single-objective search (scenarios/policies/china_levers.yaml:
embedding push, subscription push, price-war intensity and its start time; differential
evolution, 40 policies x 200 worlds per generation, 25 generations) end to end, plots off
-- target < 60 s. Beside it, the engine's raw throughput on the same batch size (one call
of 8,000 runs with the same outputs), so the figure says how much the search costs above
simulating.

Worlds: ``--worlds FOLDER`` (an ``aigap posterior`` folder), else 200 Latin-hypercube
draws from the shipped priors (the same constants as the posterior; the cost per run is
the same). Usage: ``.venv/bin/python benchmarks/bench_policy.py [--worlds runs/<posterior>]``.
Report the load average printed with the figures (the machine may be shared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def prior_worlds(cm, folder: Path, n=200) -> Path:
    """``n`` LHS draws of the shipped priors as a parameter-set CSV."""
    import pandas as pd

    from aigap.analysis import samplers
    from aigap.analysis.priors_file import load_priors
    from aigap.analysis.problem import Problem

    spec = load_priors(REPO / "scenarios" / "priors" / "ai_gap_priors.yaml", cm)
    prob = Problem(spec.labels, tuple(u.dist for u in spec.uncertain))
    X = samplers.sample(prob, n, 2026, "lhs")
    path = folder / "worlds.csv"
    pd.DataFrame(X, columns=list(spec.labels)).to_csv(path, index=False)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", help="posterior folder (default: 200 prior draws)")
    ap.add_argument("--generations", type=int, default=25)
    args = ap.parse_args(argv)
    from aigap.analysis.policy_job import PolicyProblem, run_policy
    from aigap.analysis.policy_file import load_policy
    from aigap.engine import compile_model
    from aigap.scenarios import load_scenario, resolve_params

    cm = compile_model(REPO / "model" / "ai_gap.mdl")
    policy = REPO / "scenarios" / "policies" / "china_levers.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        worlds = args.worlds or prior_worlds(cm, Path(tmp))
        warm = run_policy(
            policy,
            model=cm,
            runs_dir=Path(tmp) / "warm",
            progress=None,
            plots=False,
            worlds=worlds,
            count=200,
            generations=0,
        )
        del warm  # compiles/loads the kernels
        t0 = time.perf_counter()
        out = run_policy(
            policy,
            model=cm,
            runs_dir=Path(tmp) / "runs",
            progress=None,
            plots=False,
            worlds=worlds,
            count=200,
            generations=args.generations,
        )
        wall = time.perf_counter() - t0
        spec = load_policy(policy, cm, read_worlds=False)
        from aigap.analysis.policy_job import apply_overrides

        apply_overrides(spec, cm, worlds=worlds, count=200)
        prob = PolicyProblem(
            cm, spec, resolve_params(cm, load_scenario(spec.scenario_path, model=cm)), 2026.4
        )
        X = prob.bounds[:, 0] + np.random.default_rng(0).random((40, 4)) * np.ptp(
            prob.bounds, axis=1
        )
        params, n = prob.params(X)
        best = np.inf
        for _ in range(3):
            t1 = time.perf_counter()
            cm.simulate(
                params=params,
                n_runs=n,
                method="euler",
                saveper=spec.saveper,
                outputs=prob.outputs,
                engine="compiled",
            )
            best = min(best, time.perf_counter() - t1)
    raw = n / best
    print(f"load average {loadavg()} (shared machine: figures are upper bounds)")
    print(
        f"policy search: {len(out.evaluations)} policies x {out.n_worlds} worlds = "
        f"{out.n_runs:,} runs in {wall:.1f} s  ({out.n_runs / wall:,.0f} runs/s; "
        f"{len(out.evaluations) / wall:,.1f} policy evaluations/s)  target < 60 s"
    )
    print(
        f"engine raw: {n:,} runs in {best:.2f} s  ({raw:,.0f} runs/s, compiled, same "
        f"outputs); the search runs at {out.n_runs / wall / raw:.0%} of it"
    )
    return 0 if wall < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
