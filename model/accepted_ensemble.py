"""How uncertain are the 2030 gaps, given the data? A behavioural-acceptance ensemble.

Draws every non-lever constant log-uniformly within +-15% of its baseline value (clipped to its
declared range), keeps the parameter sets whose simulation passes *every* observation in
scenarios/data/observations.yaml (the same test the baseline passes), prints percentiles of the
year-end 2030 gap ratios over the accepted sets (baseline levers), then runs every scenario on
the accepted sets and reports how often each route moves the 2030 gap the documented way.

Usage: python model/accepted_ensemble.py [n_draws] [seed]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LEVERS = {"Price War Intensity", "Embedding Push", "Subscription Push", "Developer Price Markup",
          "Capex Policy Multiplier", "Months per Year", "Overseas Reach"}
OUTPUTS = ("ARR Gap Ratio", "Model ARR Gap Ratio", "Return Gap Ratio")
SCENARIOS = ("baseline", "us_substitution", "china_entry_point", "china_embedding",
             "china_anthropic_copy", "price_war_truce")


def draw(cm, n, rng, spread=0.15):
    """``n`` parameter sets: non-lever constants x exp(U(log(1-s), log(1+s))), clipped."""
    params = {}
    for name, c in cm.constants.items():
        if name in LEVERS:
            continue
        base = np.asarray(c.default, float)
        factor = np.exp(rng.uniform(np.log(1 - spread), np.log(1 + spread),
                                    size=(n,) + base.shape))
        params[name] = np.clip(base * factor, c.limits[0], c.limits[1])
    return params


def accepted(cm, observations, n, seed):
    """The drawn parameter sets that pass every fitted observation: dict name -> (m, ...)."""
    from aigap.observations import passes, residuals, simulated_matrix
    items = observations.fitted
    params = draw(cm, n, np.random.default_rng(seed))
    res = cm.simulate(params=params, outputs=sorted({o.variable for o in items}),
                      block_size=5000)
    ok = passes(items, residuals(items, simulated_matrix(items, res))).all(axis=1)
    return {k: v[ok] for k, v in params.items()}


def with_scenario(cm, accepted_params, scenario):
    """Accepted parameter sets with one scenario's overrides on top (broadcast over runs)."""
    from aigap.engine import TimeSeries
    from aigap.scenarios import load_scenario, resolve_params
    m = len(next(iter(accepted_params.values())))
    params = dict(accepted_params)
    for name, value in resolve_params(
            cm, load_scenario(ROOT / "scenarios" / f"{scenario}.yaml", model=cm)).items():
        if isinstance(value, TimeSeries):
            vals = np.asarray(value.values, float)
            info = cm.constants[name]
            if vals.ndim == 1 + len(info.dims):           # (*dims, P) -> (m, *dims, P)
                vals = np.repeat(vals[None], m, axis=0)
            elif vals.shape[0] == 1:
                vals = np.repeat(vals, m, axis=0)
            value = TimeSeries(times=value.times, values=vals)
        params[name] = value
    return params


def scenario_runs(cm, accepted_params, outputs=("ARR Gap Ratio", "Total AI ARR",
                                                "Model ARR", "Paying Developers")):
    """Year-end 2030 values of ``outputs`` per scenario over the accepted sets."""
    m = len(next(iter(accepted_params.values())))
    out = {}
    for scenario in SCENARIOS:
        res = cm.simulate(params=with_scenario(cm, accepted_params, scenario),
                          outputs=list(outputs), n_runs=m)
        out[scenario] = {name: res[name][:, -1] for name in outputs}
    return out


def directions(runs):
    """Share of accepted sets in which each documented scenario claim holds (2030)."""
    b, CN = runs["baseline"], 1
    copy, emb = runs["china_anthropic_copy"], runs["china_embedding"]
    return {
        "entry point widens the ARR gap": np.mean(runs["china_entry_point"]["ARR Gap Ratio"]
                                                  > b["ARR Gap Ratio"]),
        "embedding narrows the ARR gap": np.mean(emb["ARR Gap Ratio"] < b["ARR Gap Ratio"]),
        "truce narrows the ARR gap": np.mean(runs["price_war_truce"]["ARR Gap Ratio"]
                                             < b["ARR Gap Ratio"]),
        "US substitution widens the ARR gap": np.mean(runs["us_substitution"]["ARR Gap Ratio"]
                                                      > b["ARR Gap Ratio"]),
        "copy loses paying developers": np.mean(copy["Paying Developers"][:, CN]
                                                < b["Paying Developers"][:, CN]),
        "copy raises model-layer ARR": np.mean(copy["Model ARR"][:, CN] > b["Model ARR"][:, CN]),
        # the model contradicts seed 004 here (claims table, model/README.md)
        "copy grows CN total (contradicts 004)": np.mean(copy["Total AI ARR"][:, CN]
                                                         > b["Total AI ARR"][:, CN]),
        "copy below embedding (CN total)": np.mean(copy["Total AI ARR"][:, CN]
                                                   < emb["Total AI ARR"][:, CN]),
    }


def main(n=100000, seed=2026):
    from aigap.engine import compile_model
    from aigap.observations import load_observations
    cm = compile_model(str(ROOT / "model" / "ai_gap.mdl"))
    obs = load_observations(ROOT / "scenarios" / "data" / "observations.yaml", model=cm)
    acc = accepted(cm, obs, n, seed)
    m = len(next(iter(acc.values())))
    print(f"{n} draws (+-15% on {len(acc)} constants), {m} pass all {len(obs.fitted)} "
          f"observations ({100 * m / n:.1f}%)")
    if m == 0:
        return
    runs = scenario_runs(cm, acc, outputs=OUTPUTS + ("Total AI ARR", "Model ARR",
                                                      "Paying Developers"))
    base = runs["baseline"]
    print(f"{'year-end 2030 (baseline levers)':34s} {'p5':>8s} {'p50':>8s} {'p95':>8s}")
    for name in OUTPUTS:
        print(f"{name:34s} " + " ".join(f"{x:8.1f}" for x in
                                        np.percentile(base[name], [5, 50, 95])))
    for k, region in enumerate(("US", "CN")):
        v = base["Total AI ARR"][:, k] / 1e9
        print(f"{'Total AI ARR [' + region + '] $B':34s} "
              + " ".join(f"{x:8.1f}" for x in np.percentile(v, [5, 50, 95])))
    print("share of accepted sets in which the scenario claim holds (year-end 2030):")
    for claim, share in directions(runs).items():
        print(f"  {claim:38s} {100 * share:5.1f}%")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
