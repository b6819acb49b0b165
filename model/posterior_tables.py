"""Regenerate every posterior-based figure of README.md and model/README.md (one command).

The figures are the 2026-2030 US/China gaps of the shipped model with their uncertainty given
the observations, and the route probabilities, computed by ``aigap compare --posterior``
over the default posterior (``aigap posterior scenarios/baseline.yaml --priors
scenarios/priors/ai_gap_priors.yaml --steps 20000``, seed 0, otherwise default settings). They sit between
``<!-- BEGIN posterior_gaps -->`` / ``<!-- END posterior_gaps -->`` and the same for
``posterior_routes`` and ``posterior_drivers`` in both READMEs; the fan chart is ``model/posterior/fan_gaps.png``.

The posterior's draws are committed in ``model/posterior/`` (draws.csv, fit.csv,
diagnostics.json, parameters.csv, manifest.json) so that the check is fast and reproducible::

    python model/posterior_tables.py --write   # sample the posterior again (about a minute),
                                               # store model/posterior/, rewrite both READMEs
    python model/posterior_tables.py --check   # exit 1 unless model/posterior/ was sampled
                                               # from the current model, priors and
                                               # observations (sha256) and both READMEs show
                                               # what its draws give now

After any change to model/ai_gap.mdl, the priors, the observations or the scenarios, run
``--write`` (``--check`` says which input changed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STORE = HERE / "posterior"
READMES = (ROOT / "README.md", HERE / "README.md")
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
PRIORS = ROOT / "scenarios" / "priors" / "ai_gap_priors.yaml"
OBSERVATIONS = ROOT / "scenarios" / "data" / "observations.yaml"
SCENARIOS = (
    "baseline",
    "us_substitution",
    "china_entry_point",
    "china_embedding",
    "china_anthropic_copy",
    "price_war_truce",
)
KEEP = ("draws.csv", "fit.csv", "diagnostics.json", "parameters.csv", "manifest.json")
SEED = 0
STEPS = 20000  # 31 constants need about 11,000 steps to converge (emcee autocorrelation)


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def provenance_problems(cm) -> list:
    """Why the stored posterior does not belong to the current inputs (empty: it does)."""
    mpath = STORE / "manifest.json"
    if not mpath.is_file():
        return [f"{mpath}: missing"]
    man = json.loads(mpath.read_text())
    post = man.get("posterior") or {}
    out = []
    if (man.get("model") or {}).get("sha256") != cm.model_hash:
        out.append("model/ai_gap.mdl changed since the posterior was sampled")
    if (post.get("priors") or {}).get("sha256") != sha(PRIORS):
        out.append(f"{PRIORS.relative_to(ROOT)} changed since the posterior was sampled")
    obs = man.get("observations") or {}
    if (obs.get("sha256") if isinstance(obs, dict) else None) != sha(OBSERVATIONS):
        out.append(f"{OBSERVATIONS.relative_to(ROOT)} changed since the posterior was sampled")
    files = {
        Path(f["path"]).name: f["sha256"]
        for s in man.get("scenarios", [])
        for f in s.get("files", [])
    }
    if files.get(SCENARIO.name) != sha(SCENARIO):
        out.append(f"{SCENARIO.relative_to(ROOT)} changed since the posterior was sampled")
    return out


def sample(cm) -> None:
    """Run the default posterior and keep its small files in model/posterior/."""
    from aigap.analysis.posterior_job import run_posterior

    with tempfile.TemporaryDirectory() as tmp:
        out = run_posterior(
            SCENARIO,
            PRIORS,
            seed=SEED,
            steps=STEPS,
            model=cm,
            runs_dir=tmp,
            plots=False,
            command=["python", "model/posterior_tables.py", "--write"],
        )
        if not out.diagnostics["converged"]:
            print(
                f"WARNING: the posterior did not converge (about "
                f"{out.diagnostics['more_steps']} more steps estimated)",
                file=sys.stderr,
            )
        STORE.mkdir(exist_ok=True)
        for name in KEEP:
            shutil.copyfile(out.run_dir / name, STORE / name)


def _cell(r) -> str:
    """``median [p5-p95]`` of a gaps-table row (a named tuple or a pandas Series)."""
    r = r._asdict() if hasattr(r, "_asdict") else r
    return f"{r['median']:.3g}x [{r['p5']:.3g}-{r['p95']:.3g}]"


def sections(cm, plot: bool = False) -> dict:
    """The two README blocks from the stored posterior (deterministic: no sampling)."""
    from aigap.analysis.posterior_compare import compare_posterior
    from aigap.workflow.summary import GAP_LABELS

    paths = [ROOT / "scenarios" / f"{s}.yaml" for s in SCENARIOS]
    with tempfile.TemporaryDirectory() as tmp:
        out = compare_posterior(
            paths,
            STORE,
            model=cm,
            runs_dir=tmp,
            plots=plot,
            engine="numpy",
            command=["model/posterior_tables.py"],
        )
        if plot:
            shutil.copyfile(out.run_dir / "fan_gaps.png", STORE / "fan_gaps.png")
    diag = json.loads((STORE / "diagnostics.json").read_text())
    n = int(out.gaps.n.max())
    from aigap.observations import load_observations

    n_obs = len(load_observations(OBSERVATIONS, model=cm).fitted)
    head = (
        f"Posterior of {len(out.posterior.labels)} constants given the {n_obs} fitted "
        "observations "
        f"({n:,} draws; {diag['chains']} chains x {diag['walkers']} walkers x "
        f"{diag['n_steps']:,} steps, "
        + ("converged" if diag["converged"] else "NOT converged")
        + f": kept length {diag['length_over_tau']:.0f} autocorrelation times, max "
        f"R-hat {max(p['rhat'] for p in diag['parameters']):.3f}; model sha256 "
        f"{cm.model_hash[:12]})."
    )
    from aigap.core.formatting import format_when

    g = out.gaps[out.gaps.scenario == "baseline"]
    years = sorted(set(g.year))
    now = out.extra["present"]
    now = now[now.scenario == "baseline"].set_index("variable")
    when = format_when(float(now.time.iloc[0]))
    gaps = [
        head,
        "",
        "Baseline, US/China ratio: posterior median [5%-95%], at the last fitted "
        f"observation ({when}) and at each year end: the interval is narrowest where the "
        "data are",
        "",
        f"| gap | {when} (last data) | " + " | ".join(map(str, years)) + " |",
        "|---|---|" + "---|" * len(years),
    ]
    for name, part in g.groupby("variable", sort=False):
        gaps.append(
            f"| {GAP_LABELS.get(name, name)} | {_cell(now.loc[name])} | "
            + " | ".join(_cell(r) for r in part.itertuples())
            + " |"
        )
    pr = out.probabilities.set_index(["scenario", "variable"])
    g30 = out.gaps[out.gaps.year == 2030].set_index(["scenario", "variable"])
    routes = [
        "Year-end 2030, each scenario over the same draws (paired): median [5%-95%], "
        "the probability that its gap is below the baseline's, and that it is the "
        "narrowest of the six",
        "",
        "| scenario | ARR gap 2030 | P(below baseline) | P(narrowest) "
        "| return gap 2030 | P(below baseline) | P(narrowest) |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in SCENARIOS:
        cells = []
        for v in ("ARR Gap Ratio", "Return Gap Ratio"):
            p = pr.loc[(s, v)]
            cells += [_cell(g30.loc[(s, v)]), f"{p.p_below_baseline:.0%}", f"{p.p_narrowest:.0%}"]
        routes.append(f"| {s} | " + " | ".join(cells) + " |")
    dr = out.extra["drivers"]
    dr = dr[dr.scenario == "baseline"]
    drivers = [
        "What drives the 2030 gaps among the posterior draws (baseline; partial rank "
        "correlation with the log gap, the five largest; `drivers.csv` of "
        "`aigap compare --posterior` has all)",
        "",
        "| gap 2030 | drivers (PRCC) |",
        "|---|---|",
    ]
    for name, part in dr.groupby("variable", sort=False):
        top = part.reindex(part.prcc.abs().sort_values(ascending=False).index).head(5)
        drivers.append(
            f"| {GAP_LABELS.get(name, name)} | "
            + ", ".join(f"{r.parameter} {r.prcc:+.2f}" for r in top.itertuples())
            + " |"
        )
    cmd = [
        "",
        "Regenerate: `python model/posterior_tables.py --write` (samples the posterior, "
        "stores model/posterior/, rewrites these tables); check: `--check`.",
    ]
    return {
        "posterior_gaps": "\n".join(gaps + cmd),
        "posterior_routes": "\n".join(routes),
        "posterior_drivers": "\n".join(drivers),
    }


def replace(text: str, name: str, body: str) -> str:
    pat = re.compile(rf"(<!-- BEGIN {name} -->\n)(.*?)(<!-- END {name} -->)", re.S)
    if not pat.search(text):
        raise SystemExit(f"marker <!-- BEGIN {name} --> not found")
    return pat.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text)


def main(argv=None) -> int:
    from aigap.engine import compile_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    mode.add_argument(
        "--tables",
        action="store_true",
        help="rewrite the tables and the fan chart from the stored draws (no resampling)",
    )
    args = ap.parse_args(argv)
    cm = compile_model(HERE / "ai_gap.mdl")
    if args.write:
        sample(cm)
    bad = provenance_problems(cm)
    if bad:
        for b in bad:
            print(
                f"model/posterior/: {b}; run python model/posterior_tables.py --write",
                file=sys.stderr,
            )
        return 1
    write = args.write or args.tables
    new = sections(cm, plot=write)
    stale = []
    for readme in READMES:
        text = readme.read_text()
        out = text
        for name, body in new.items():
            out = replace(out, name, body)
        if out != text:
            if write:
                readme.write_text(out)
            else:
                stale.append(readme)
    for r in stale:
        print(
            f"{r.relative_to(ROOT)}: posterior tables are out of date; run "
            "python model/posterior_tables.py --write",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
