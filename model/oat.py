"""One-at-a-time sensitivity of the year-end-2030 outputs to every constant (+-20%, clipped
to the constant's declared range), in one engine ensemble. Usage: python model/oat.py [top_n]

For global sensitivity (Sobol/Morris over distributions) use ``aigap sensitivity``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

MODEL = Path(__file__).resolve().parent / "ai_gap.mdl"


def main(top=15):
    from aigap.engine import compile_model
    cm = compile_model(str(MODEL))
    names = [n for n, c in cm.constants.items() if c.limits[0] != c.limits[1]]
    cases = [(n, f) for n in names for f in (0.8, 1.2)]
    params = {n: np.repeat(np.asarray(cm.constants[n].default, float)[None, ...],
                           len(cases) + 1, axis=0) for n in names}
    for i, (n, f) in enumerate(cases, start=1):
        c = cm.constants[n]
        params[n][i] = np.clip(c.default * f, c.limits[0], c.limits[1])
    res = cm.simulate(params=params, outputs=["ARR Gap Ratio", "Total AI ARR"])
    gap, arr = res["ARR Gap Ratio"][:, -1], res["Total AI ARR"][:, -1]
    effect = {}
    for i, (n, _) in enumerate(cases, start=1):
        e = np.abs(np.log([gap[i] / gap[0], arr[i, 0] / arr[0, 0], arr[i, 1] / arr[0, 1]]))
        effect[n] = np.maximum(effect.get(n, 0), e)
    print(f"baseline year-end 2030: ARR gap {gap[0]:.1f}x, US ${arr[0, 0] / 1e9:.0f}B, "
          f"CN ${arr[0, 1] / 1e9:.1f}B; largest |log change| for a +-20% change:")
    print(f"{'constant':36s} {'gap':>7s} {'US ARR':>7s} {'CN ARR':>7s}")
    for n, e in sorted(effect.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{n:36s} " + " ".join(f"{100 * x:6.1f}%" for x in e))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
