"""Regenerate the policy-search table of model/README.md (between ``<!-- BEGIN policy -->``
and ``<!-- END policy -->``): the shipped scenarios/policies/china_levers.yaml searched over
the posterior of the shipped priors.

Steps (seeded): ``aigap posterior`` of scenarios/baseline.yaml with
scenarios/priors/ai_gap_priors.yaml (2 chains x 2d+4 walkers x 600 steps, seed 1), then the
policy search over 100 of its draws (15 generations). Usage::

    python model/policy_table.py          # rewrite the block in model/README.md
    python model/policy_table.py --check  # exit 1 if the README's figures are off

``--check`` reruns both steps and compares within tolerances (a fresh numpy/numba build may
round differently, and the optimum is flat in some levers): objective statistics within 3%,
lever values within 0.1 of their range, start years within 0.5 year.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
POLICY = ROOT / "scenarios" / "policies" / "china_levers.yaml"
BLOCK = re.compile(r"(<!-- BEGIN policy -->\n)(.*?)(<!-- END policy -->)", re.S)


def compute() -> dict:
    """Run the posterior and the search; the figures of the table."""
    import pandas as pd

    from aigap.analysis.policy_job import run_policy
    from aigap.analysis.posterior_job import run_posterior
    from aigap.engine import compile_model

    cm = compile_model(ROOT / "model" / "ai_gap.mdl")
    with tempfile.TemporaryDirectory() as tmp:
        post = run_posterior(
            ROOT / "scenarios" / "baseline.yaml",
            ROOT / "scenarios" / "priors" / "ai_gap_priors.yaml",
            walkers=None,
            steps=600,
            chains=2,
            seed=1,
            model=cm,
            runs_dir=tmp,
            plots=False,
            progress=None,
            command=["model/policy_table.py"],
        )
        out = run_policy(
            POLICY,
            model=cm,
            runs_dir=tmp,
            progress=None,
            plots=False,
            worlds=post.run_dir,
            count=100,
            generations=15,
            command=["model/policy_table.py"],
        )
        worlds = pd.read_csv(out.run_dir / "worlds.csv")
    best = out.best.iloc[0]
    rows = {}
    for label, key in (("no change", "no change"), ("best policy", "policy_1")):
        gap = worlds[worlds.policy == key].arr_gap_2030.to_numpy()
        rows[label] = {
            "mean": float(gap.mean()),
            "p5": float(np.percentile(gap, 5)),
            "p95": float(np.percentile(gap, 95)),
            "ret": float(
                out.baseline["cn_return_floor"] if key == "no change" else best["cn_return_floor"]
            ),
        }
    levers = {lv.label: float(best[lv.label]) for lv in out.spec.levers}
    levers.update(
        {f"{lv.label} from": float(best[f"{lv.label} from"]) for lv in out.spec.levers if lv.timed}
    )
    bounds = {lv.label: (lv.low, lv.high) for lv in out.spec.levers}
    return {"rows": rows, "levers": levers, "bounds": bounds, "worlds": out.n_worlds}


def render(fig: dict) -> str:
    lines = [
        f"Over {fig['worlds']} posterior draws (`python model/policy_table.py`):",
        "",
        "| policy | mean 2030 ARR gap | 5-95% across worlds | CN 2030 return on AI "
        "capital, 10th percentile |",
        "|---|---|---|---|",
    ]
    for label, r in fig["rows"].items():
        lines.append(
            f"| {label} | {r['mean']:.3g}x | {r['p5']:.3g}x-{r['p95']:.3g}x | "
            f"{100 * r['ret']:.1f}%/yr |"
        )
    lines += [
        "",
        "Best policy: "
        + "; ".join(
            f"{k} {v:g}" if k.endswith(" from") else f"{k} {v:.2f}"
            for k, v in fig["levers"].items()
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def parse(block: str) -> dict:
    """The figures written in a block (for ``--check``)."""
    rows = {}
    for m in re.finditer(
        r"^\| (no change|best policy) \| ([\d.e+]+)x \| ([\d.e+]+)x-([\d.e+]+)x"
        r" \| ([-\d.]+)%/yr \|",
        block,
        re.M,
    ):
        rows[m.group(1)] = {
            "mean": float(m.group(2)),
            "p5": float(m.group(3)),
            "p95": float(m.group(4)),
            "ret": float(m.group(5)) / 100,
        }
    best = re.search(r"Best policy: (.*)\.\n", block)
    levers = {}
    for part in best.group(1).split("; ") if best else []:
        name, _, value = part.rpartition(" ")
        levers[name] = float(value)
    return {"rows": rows, "levers": levers}


def differences(written: dict, fresh: dict) -> list:
    """Figures of ``written`` outside the tolerances of ``fresh``."""
    bad = []
    for label, r in fresh["rows"].items():
        w = written["rows"].get(label)
        if w is None:
            bad.append(f"row '{label}' missing")
            continue
        for k, v in r.items():
            if not np.isclose(w[k], v, rtol=0.03, atol=0.002):
                bad.append(f"{label} {k}: README {w[k]:g}, now {v:g}")
    for k, v in fresh["levers"].items():
        w = written["levers"].get(k)
        if k.endswith(" from"):
            tol = 0.5
        else:
            lo, hi = fresh["bounds"][k]
            tol = 0.1 * (hi - lo)
        if w is None or abs(w - v) > tol:
            bad.append(f"lever {k}: README {w}, now {v:g}")
    return bad


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = README.read_text()
    m = BLOCK.search(text)
    if m is None:
        print("model/README.md has no <!-- BEGIN policy --> block", file=sys.stderr)
        return 1
    fig = compute()
    if "--check" in argv:
        bad = differences(parse(m.group(2)), fig)
        for b in bad:
            print(b, file=sys.stderr)
        if bad:
            print(
                "model/README.md policy table is out of date: run python model/policy_table.py",
                file=sys.stderr,
            )
        return 1 if bad else 0
    README.write_text(text[: m.start(2)] + render(fig) + text[m.end(2) :])
    return 0


if __name__ == "__main__":
    sys.exit(main())
