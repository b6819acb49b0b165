"""Hand-calibration helper: simulate the model and print the fit to the observations.

Usage::

    python model/fitcheck.py [--series] ["NAME=VALUE" | "NAME[CN]=VALUE" ...]

Runs the baseline (model defaults, plus any overrides given) with the aigap engine and prints
observed vs simulated for every observation in scenarios/data/observations.yaml (the fit itself
is ``aigap.observations.fit_table``), then optionally a table of key series.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "model" / "ai_gap.mdl"
OBS = ROOT / "scenarios" / "data" / "observations.yaml"
SERIES = ["Model ARR", "Application ARR", "Total AI ARR", "AI Capex", "AI Capital",
          "Return on AI Capital", "Perceived Return on AI Capital", "Return Effect on Capex", "Token Price", "Developer WTP", "Developer Plan Price",
          "Paying Developers", "Seat Software Budget", "Unserved Enterprise Pool",
          "Capability Gap", "Agentic Readiness", "Interface Orientation",
          "ARR Gap Ratio", "Model ARR Gap Ratio", "Return Gap Ratio"]


def parse_sets(args, cm):
    """``NAME=VALUE`` / ``NAME[EL]=VALUE`` strings -> engine params (defaults filled in)."""
    params = {}
    for a in args:
        key, val = a.split("=", 1)
        if "[" in key:
            name, el = key[:-1].split("[")
            info = cm.constants[name]
            arr = np.array(params.get(name, info.default), dtype=float).copy()
            arr[list(cm.dims[info.dims[0]]).index(el)] = float(val)
            params[name] = arr
        else:
            params[key] = float(val)
    return params


def main(argv):
    from aigap.engine import compile_model
    from aigap.observations import fit_table, load_observations

    cm = compile_model(str(MODEL))
    series = "--series" in argv
    params = parse_sets([a for a in argv if a != "--series"], cm)
    res = cm.simulate(params=params or None)
    obs = load_observations(OBS, model=cm)
    tab = fit_table(obs, res)
    with np.printoptions(linewidth=200):
        for _, r in tab.iterrows():
            ref = r.observed if r.kind != "range" else f"[{r.low:.3g},{r.high:.3g}]"
            ref = ref if isinstance(ref, str) else f"{ref:.3g}"
            print(f"{'ok ' if r.passed else 'BAD'} {r.id:42s} {r.kind:5s} obs {ref:>16s} "
                  f"sim {r.simulated:10.3g} err {r.pct_error:+7.1f}%")
    print(f"passed {int(tab.passed.sum())}/{len(tab)}  sum sq log err {np.sum(tab.log_error**2):.4f}")
    if series:
        years = [2024, 2025, 2026, 2026.375, 2027, 2028, 2029, 2030, 2031]
        idx = [int(np.argmin(np.abs(res.time - y))) for y in years]
        print(" " * 34 + "".join(f"{y:>10g}" for y in years))
        for name in SERIES:
            arr = res[name][0]
            if arr.ndim == 1:
                print(f"{name:34s}" + "".join(f"{arr[i]:10.3g}" for i in idx))
                continue
            for k, el in enumerate(res.coords.get(res.dims[name][2], ())):
                print(f"{name + '[' + el + ']':34s}" + "".join(f"{arr[i, k]:10.3g}" for i in idx))


if __name__ == "__main__":
    main(sys.argv[1:])
