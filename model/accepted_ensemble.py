"""How uncertain are the 2030 gaps, given the data? A behavioural-acceptance ensemble.

Draws every non-lever constant log-uniformly within +-15% of its baseline value (clipped to its
declared range), keeps the parameter sets whose simulation passes *every* observation in
scenarios/data/observations.yaml (the same test the baseline passes), and prints percentiles of
the year-end 2030 gap ratios over the accepted sets (baseline levers: the scenario levers such as
Price War Intensity are not perturbed).

Usage: python model/accepted_ensemble.py [n_draws] [seed]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LEVERS = {"Price War Intensity", "Embedding Push", "Subscription Push", "Developer Price Markup",
          "Capex Policy Multiplier", "Months per Year"}
OUTPUTS = ("ARR Gap Ratio", "Model ARR Gap Ratio", "Return Gap Ratio")


def draw(cm, n, rng, spread=0.15):
    params = {}
    for name, c in cm.constants.items():
        if name in LEVERS:
            continue
        base = np.asarray(c.default, float)
        factor = np.exp(rng.uniform(np.log(1 - spread), np.log(1 + spread),
                                    size=(n,) + base.shape))
        params[name] = np.clip(base * factor, c.limits[0], c.limits[1])
    return params


def main(n=20000, seed=2026):
    from aigap.engine import compile_model
    from aigap.observations import load_observations, passes, residuals, simulated_matrix
    cm = compile_model(str(ROOT / "model" / "ai_gap.mdl"))
    obs = load_observations(ROOT / "scenarios" / "data" / "observations.yaml", model=cm)
    items = obs.fitted
    rng = np.random.default_rng(seed)
    params = draw(cm, n, rng)
    outputs = sorted({o.variable for o in items} | set(OUTPUTS) | {"Total AI ARR"})
    res = cm.simulate(params=params, outputs=outputs, block_size=2000)
    ok = passes(items, residuals(items, simulated_matrix(items, res))).all(axis=1)
    print(f"{n} draws (+-15% on {len(params)} constants), {ok.sum()} pass all "
          f"{len(items)} observations ({100 * ok.mean():.1f}%)")
    if not ok.any():
        return
    print(f"{'year-end 2030 (baseline levers)':34s} {'p5':>8s} {'p50':>8s} {'p95':>8s}")
    for name in OUTPUTS:
        v = res[name][ok, -1]
        print(f"{name:34s} " + " ".join(f"{x:8.1f}" for x in np.percentile(v, [5, 50, 95])))
    for k, region in enumerate(("US", "CN")):
        v = res["Total AI ARR"][ok, -1, k] / 1e9
        print(f"{'Total AI ARR [' + region + '] $B':34s} "
              + " ".join(f"{x:8.1f}" for x in np.percentile(v, [5, 50, 95])))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
