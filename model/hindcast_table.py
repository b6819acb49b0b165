"""Out-of-sample check of the shipped model: hindcasts at several cut-off dates.

For each cut-off the default posterior (scenarios/baseline.yaml, the shipped priors) is fitted
only to the observations dated before it, and every later observation is predicted: share of
them inside the 50% and 90% posterior-predictive intervals, mean CRPS of the points (log units)
and mean |error| of the predictive median. Several cut-offs, so that no structure is tuned to
one split. The in-sample coverage of the full posterior (model/posterior/fit.csv) is the first
row. The table sits between ``<!-- BEGIN hindcast -->`` and ``<!-- END hindcast -->`` in
model/README.md; the hindcasts are stored in model/posterior/hindcast/ with the sha256 of the
model, priors and observations they were fitted to::

    python model/hindcast_table.py --write   # fit the cut-offs again (a few minutes), rewrite
    python model/hindcast_table.py --check   # exit 1 unless the stored hindcasts belong to the
                                             # current inputs and the README shows them
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STORE = HERE / "posterior" / "hindcast"
README = HERE / "README.md"
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
PRIORS = ROOT / "scenarios" / "priors" / "ai_gap_priors.yaml"
OBSERVATIONS = ROOT / "scenarios" / "data" / "observations.yaml"
CUTOFFS = (2025.5, 2026.0, 2026.3)
STEPS = 6000  # per chain: enough for the summaries; the table says if a fit did not converge
SEED = 0


def _sha(path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def inputs(cm) -> dict:
    """sha256 of what a hindcast depends on."""
    return {
        "model": cm.model_hash,
        "priors": _sha(PRIORS),
        "observations": _sha(OBSERVATIONS),
        "scenario": _sha(SCENARIO),
    }


def fit_cutoffs(cm) -> None:
    """Run the posterior at every cut-off and store its hindcast summary."""
    from aigap.analysis.posterior_job import run_posterior

    STORE.mkdir(parents=True, exist_ok=True)
    for until in CUTOFFS:
        with tempfile.TemporaryDirectory() as tmp:
            out = run_posterior(
                SCENARIO,
                PRIORS,
                until=until,
                steps=STEPS,
                seed=SEED,
                model=cm,
                runs_dir=tmp,
                plots=False,
                progress=None,
                command=["python", "model/hindcast_table.py", "--write"],
            )
        h = dict(out.hindcast or {})
        h["converged"] = bool(out.diagnostics.get("converged"))
        h["n_fitted"] = int((out.fit["sample"] == "in").sum())
        h["inputs"] = inputs(cm)
        (STORE / f"until_{until}.json").write_text(json.dumps(h, indent=1, default=float))


def problems(cm) -> list:
    """Why the stored hindcasts do not belong to the current inputs (empty: they do)."""
    want = inputs(cm)
    out = []
    for until in CUTOFFS:
        p = STORE / f"until_{until}.json"
        if not p.is_file():
            out.append(f"{p.relative_to(ROOT)}: missing")
            continue
        got = json.loads(p.read_text()).get("inputs", {})
        out += [
            f"{p.relative_to(ROOT)}: {k} changed since it was fitted"
            for k in want
            if got.get(k) != want[k]
        ]
    return out


def table() -> str:
    """The README block from the stored files."""
    import pandas as pd

    fit = pd.read_csv(HERE / "posterior" / "fit.csv")
    ins = fit[fit["sample"] == "in"]
    pts = ins[ins.kind == "point"]
    lines = [
        "| fitted to | observations fitted | predicted (after the cut-off) | inside 50% "
        "| inside 90% | mean CRPS (log) | mean abs error of the median | converged |",
        "|---|---|---|---|---|---|---|---|",
        f"| all (in-sample) | {len(ins)} | - | {ins.inside50.mean():.0%} | "
        f"{ins.inside90.mean():.0%} | {pts.crps_log.mean():.3f} | "
        f"{pts.median_pct_error.abs().mean():.1f}% | yes |",
    ]
    for until in CUTOFFS:
        h = json.loads((STORE / f"until_{until}.json").read_text())
        crps = "-" if h.get("crps_log_mean") is None else f"{h['crps_log_mean']:.3f}"
        err = "-" if h.get("median_abs_pct_error") is None else f"{h['median_abs_pct_error']:.1f}%"
        lines.append(
            f"| before {until} | {h['n_fitted']} | {h['n']} | {h['coverage50']:.0%} | "
            f"{h['coverage90']:.0%} | {crps} | {err} | "
            f"{'yes' if h['converged'] else 'no'} |"
        )
    lines += ["", "Regenerate: `python model/hindcast_table.py --write`; check: `--check`."]
    return "\n".join(lines)


def render(text: str, body: str) -> str:
    """``text`` with the hindcast block replaced (posterior_tables' marker rule)."""
    sys.path.insert(0, str(HERE))
    from posterior_tables import replace

    return replace(text, "hindcast", body)


def main(argv=None) -> int:
    from aigap.engine import compile_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="refit every cut-off, then write")
    mode.add_argument("--check", action="store_true")
    mode.add_argument(
        "--tables", action="store_true", help="rewrite the table from the stored fits (no refit)"
    )
    args = ap.parse_args(argv)
    cm = compile_model(HERE / "ai_gap.mdl")
    if args.write:
        fit_cutoffs(cm)
    bad = problems(cm)
    for b in bad:
        print(f"{b}; run python model/hindcast_table.py --write", file=sys.stderr)
    if bad:
        return 1
    text = README.read_text(encoding="utf-8")
    new = render(text, table())
    if new != text:
        if args.write or args.tables:
            README.write_text(new, encoding="utf-8")
        else:
            print(
                "model/README.md: hindcast table out of date; run "
                "python model/hindcast_table.py --write",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
