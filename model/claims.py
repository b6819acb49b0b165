"""The articles' causal claims, the model structure that carries each one, and what a knock-out
(or a move of the claim's lever) does to the outputs the claim is about.

Every row of the claims table in model/README.md is computed here: ``measure(cm)`` runs the
baseline and one perturbed run per claim and returns the relative change of the claim's output
in the claim's period; the verdict follows from that number and the claim's expectation
(``expect`` = the sign the article implies, ``material`` = the smallest |change| that counts).
Usage::

    python model/claims.py      # print the table
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REGIONS = ("US", "CN")
MAY_2026, END_2030 = 2026.375, 2031.0


@dataclass(frozen=True)
class Claim:
    """One causal claim of a seed and how the model is tested against it.

    ``overrides`` maps a constant to a value (scalar: every region) or to ``{region: value}``;
    ``scenario`` (a scenario file stem) replaces the baseline as the reference run and
    ``overrides`` then apply on top of it (used for the Anthropic-copy claim).
    ``expect`` is +1 / -1 (the article says the output rises / falls under the perturbation)
    or 0 (the article says the output barely moves). Outside-boundary claims have no run.
    """

    key: str
    seed: str
    claim: str
    structure: str
    loop: str
    perturbation: str
    overrides: dict = field(default_factory=dict)
    output: str = "Total AI ARR"
    region: str | None = None
    time: float = END_2030
    expect: int = -1
    material: float = 0.10
    scenario: str | None = None
    reference: str | None = None
    agrees_why: str = ""
    contradicts_why: str = ""


def _route(key, claim, drain, pool, lever, region, agrees, contradicts):
    """A revenue route of seed 004: its drain of a budget pool knocked out via its lever."""
    return Claim(
        key,
        "004",
        claim,
        f"`{drain}` drains `{pool}` into bookings",
        "B2",
        f"`{lever}`[{region}] = 0",
        {lever: {region: 0.0}},
        region=region,
        material=0.5,
        agrees_why=agrees,
        contradicts_why=contradicts,
    )


CLAIMS = (
    Claim(
        "us_flywheel_2026",
        "004",
        "individual developers pay $20/month, bring the tools to teams, which triggers "
        "enterprise procurement",
        "`Procurement Pull` (developer penetration x orientation x plan price/$20) in "
        "`Substitution Fraction Rate`",
        "R1",
        "`Developer Flywheel Strength` = 0",
        {"Developer Flywheel Strength": 0.0},
        region="US",
        time=MAY_2026,
        agrees_why="the pull carries the 2025-2026 US substitution",
        contradicts_why="substitution runs at its base pace without the pull",
    ),
    Claim(
        "us_flywheel_2030",
        "004",
        "(same flywheel) keeps US revenue ahead in 2030",
        "`Procurement Pull`",
        "R1",
        "`Developer Flywheel Strength` = 0",
        {"Developer Flywheel Strength": 0.0},
        region="US",
        agrees_why="the flywheel sets the 2030 level too: without the pull less of the seat "
        "budget is moved to AI by 2030, and the moved budget is what usage can grow into (B2)",
        contradicts_why="the flywheel sets the timing, not the 2030 level: without it the "
        "same seat budget is substituted a little later",
    ),
    Claim(
        "price_war_breaks_flywheel",
        "004",
        "the price war breaks step 1 of the flywheel, so enterprise procurement cannot be "
        "promoted in China",
        "`Flywheel Price Factor` = min(1, `Developer Plan Price` / `Flywheel Price Threshold`) "
        "in `Procurement Pull` and `Indicated Procured AI Budget`",
        "R1 x B1",
        "plan-price term removed (`Flywheel Price Threshold` = $1)",
        {"Flywheel Price Threshold": 1.0},
        region="CN",
        expect=+1,
        agrees_why="cheap plans cut both the procurement pull and the team budgets China's "
        "paying developers would open: with the price term removed China's 2030 ARR rises by "
        "about half",
        contradicts_why="the price term cuts the pull, but China's pull acts on an $8B seat "
        "budget bought 35% as subscriptions, so it hardly matters for China's ARR",
    ),
    Claim(
        "price_war_cuts_developer_pay",
        "004",
        "the price war anchors what developers pay at 1/5-1/20 of the US",
        "`Market Plan Price` = WTP x (1 - discount x intensity); WTP anchored on it",
        "R4",
        "`Price War Intensity`[CN] = 0",
        {"Price War Intensity": {"CN": 0.0}},
        output="Developer Subscription ARR",
        region="CN",
        time=MAY_2026,
        expect=+1,
        agrees_why="plan prices and WTP recover without the war",
        contradicts_why="developer revenue barely depends on the war",
    ),
    Claim(
        "price_war_cuts_revenue",
        "004",
        "tokens become standardised SKUs; the price war destroys revenue",
        "`Target Token Price` below cost, inelastic demand in `Net Usage Expansion Rate` "
        "and `AI Wallet`, plan prices below the flywheel threshold",
        "B1",
        "`Price War Intensity`[CN] = 0",
        {"Price War Intensity": {"CN": 0.0}},
        region="CN",
        expect=+1,
        agrees_why="price cuts lower the money spent on the same AI work (elasticity 0.6) "
        "and keep plans below the $20 at which developers open team budgets",
        contradicts_why="price cuts are offset by volume",
    ),
    _route(
        "embedding_route",
        "China's money comes from embedding agents in collaboration platforms for firms "
        "that never bought software",
        "Embedding Conversion",
        "Unserved Enterprise Pool",
        "Embedding Push",
        "CN",
        "without embedding China loses most of its 2030 ARR: the never-digitised pool enters "
        "the `AI Wallet` only once embedding has reached it",
        "without embedding China keeps most of its 2030 ARR",
    ),
    _route(
        "us_seat_substitution",
        "US AI takes over the seat software budget (SaaS 'has nowhere to hide')",
        "Budget Substitution",
        "Seat Software Budget",
        "Substitutable Share",
        "US",
        "substitution is where most US ARR comes from",
        "substitution carries about half of US 2030 ARR (at the materiality threshold), not "
        "all of it: the other half is the team budgets developer-led procurement opens and "
        "developer and consumer subscriptions. The seat budget is one of two enterprise "
        "pools the US harvests",
    ),
    Claim(
        "team_procurement",
        "004",
        "when the team starts using it, it triggers enterprise procurement (team budgets)",
        "`Procured AI Budget` = paying developers x team budget x price factor, in `AI Wallet`",
        "R1 x B2",
        "`Team AI Budget per Paying Developer` = 0",
        {"Team AI Budget per Paying Developer": 0.0},
        region="US",
        agrees_why="the team budgets opened by developer-led procurement carry a large part "
        "of US 2030 ARR (a calibrated constant with a prior, bounded by the developer "
        "population)",
        contradicts_why="team procurement does not reach US ARR",
    ),
    Claim(
        "deployments_not_subscriptions",
        "004",
        "Chinese enterprises buy deployments, not subscriptions, so AI spend does not become ARR",
        "`Interface Orientation` splits bookings into ARR vs one-off deployments and scales "
        "the substituted and procured part of the wallet",
        "paradigm",
        "`Initial Interface Orientation`[CN] = US value 0.92",
        {"Initial Interface Orientation": {"CN": 0.92}},
        region="CN",
        expect=+1,
        agrees_why="with US buying habits China's ARR is a quarter larger by 2030 (the "
        "substitution and procurement channels become recurring; embedding bills "
        "never-digitised firms as platform subscriptions either way)",
        contradicts_why="buying habits barely matter",
    ),
    Claim(
        "traffic_without_revenue",
        "000",
        "Chinese AI apps have traffic (270M MAU) but users do not become revenue",
        "`Consumer Subscription ARR` = users x paying share x plan price",
        "entry point",
        "`Consumer Paying Share`[CN] = US value 0.04",
        {"Consumer Paying Share": {"CN": 0.04}},
        region="CN",
        time=MAY_2026,
        expect=+1,
        agrees_why="the missing payers, not traffic, keep China's 2026 ARR small",
        contradicts_why="consumer payment is not what keeps China's ARR small",
    ),
    Claim(
        "capability_gap_narrows",
        "004",
        "the capability gap (1-1.5 generations) is narrowing",
        "catch-up by diffusion plus knowledge spillover",
        "B4",
        "`Capability Catch Up Rate` = 0",
        {"Capability Catch Up Rate": 0.0},
        output="Capability Gap",
        region="CN",
        expect=+1,
        agrees_why="diffusion is what narrows the gap",
        contradicts_why="the gap narrows without diffusion",
    ),
    Claim(
        "gap_not_technical",
        "004",
        "the 200x revenue gap cannot be closed by just improving the models",
        "capability enters revenue only through `Agentic Readiness`",
        "R2",
        "China given the US capability (`Initial Capability`[CN] = 0)",
        {"Initial Capability": {"CN": 0.0}},
        output="ARR Gap Ratio",
        time=END_2030,
        expect=0,
        material=0.5,
        agrees_why="equal capability leaves most of the 2030 gap in place",
        contradicts_why="equal capability closes most of the gap",
    ),
    Claim(
        "weak_monetisation_less_capex",
        "000",
        "weak monetisation lowers the expected return on capex in China, so China invests less",
        "`Desired AI Capital` = strategic base + `Expected AI Revenue` / hurdle return",
        "R2/B3",
        "China monetises better (`Price War Intensity`[CN] = 0)",
        {"Price War Intensity": {"CN": 0.0}},
        output="AI Capital",
        region="CN",
        expect=+1,
        material=0.05,
        agrees_why="better monetisation raises China's desired and installed capital",
        contradicts_why="capex does not respond to revenue",
    ),
    Claim(
        "model_layer_split",
        "004",
        "in the embedding route model companies are suppliers; platforms collect the fees",
        "`Model Supplier Share` splits platform revenue between layers",
        "layer split",
        "`Model Supplier Share`[CN] 0.2 -> 0.4",
        {"Model Supplier Share": {"CN": 0.4}},
        output="Model ARR",
        region="CN",
        expect=+1,
        agrees_why="the supplier share moves China's model-layer ARR (total ARR is unchanged "
        "by construction: it moves money between layers)",
        contradicts_why="the supplier share does not reach model-layer ARR",
    ),
    Claim(
        "model_direct_share",
        "004",
        "US model companies sell direct ('both a chip company and a mobile phone company')",
        "`Model Direct Share` splits end-customer spend between layers",
        "layer split",
        "`Model Direct Share`[US] 0.7 -> 0.9",
        {"Model Direct Share": {"US": 0.9}},
        output="Model ARR",
        region="US",
        expect=+1,
        material=0.05,
        agrees_why="the direct share moves US model-layer ARR (total ARR unchanged by "
        "construction)",
        contradicts_why="the direct share does not reach model-layer ARR",
    ),
    Claim(
        "anthropic_copy_fails",
        "004",
        "copying Anthropic (premium plans, direct enterprise sales) fails in China",
        "premium markup vs anchored WTP (R4), comparison-shopping churn, slow orientation shift",
        "R1/R4",
        "scenario `china_anthropic_copy` vs baseline",
        output="Total AI ARR",
        region="CN",
        expect=-1,
        material=0.0,
        scenario="china_anthropic_copy",
        reference="baseline",
        agrees_why="China's total ARR ends below the baseline: copying moves revenue between "
        "layers, it does not create the budget pool the US route harvests",
        contradicts_why="China's total ARR ends above the baseline: premium plans lift "
        "`Flywheel Price Factor` (team budgets and procurement pull) and direct selling moves "
        "buying habits toward subscriptions; together they outweigh the developers lost to "
        "premium pricing",
    ),
    Claim(
        "overseas_revenue",
        "000",
        "Chinese AI products earn abroad what the home market does not pay (Keling: over 70% "
        "of its revenue overseas)",
        "`Overseas Paying Users` (a share of the paying app users outside China, at overseas "
        "prices) -> `Overseas AI ARR`, in `Global AI ARR`",
        "overseas",
        "`Overseas Reach`[CN] = 0",
        {"Overseas Reach": {"CN": 0.0}},
        output="Overseas Revenue Share",
        region="CN",
        time=MAY_2026,
        expect=-1,
        material=0.3,
        agrees_why="abroad is where much of China's AI subscription revenue is earned "
        "(outside the price war); it is small against China's enterprise ARR, so going abroad "
        "barely narrows the gap (scenario `china_overseas`, table above)",
        contradicts_why="overseas earnings are a small part of Chinese AI subscription revenue",
    ),
)

OUTSIDE = (
    (
        "000",
        "start-ups move out (Manus, Heygen, Lovart), lowering China's expected return on capex",
        "firms are not modelled: the revenue they earn abroad is in `Overseas AI ARR` "
        "(lever `Overseas Reach`), but moving out does not lower China's expected return on capex "
        "in the model (that would need a link from emigration to `Expected AI Revenue`)",
    ),
    (
        "000",
        "chip restrictions",
        "represented only as the `Capex Policy Multiplier` lever "
        "(no supply model); not exercised by any scenario",
    ),
)


def _params(cm, overrides, base=None):
    params = dict(base or {})
    for name, value in overrides.items():
        info = cm.constants[name]
        arr = np.array(params.get(name, info.default), float, copy=True)
        if isinstance(value, dict):
            for region, v in value.items():
                arr[..., REGIONS.index(region)] = v
        else:
            arr = np.full_like(arr, value)
        params[name] = arr
    return params


def _value(res, claim):
    return float(_values(res, claim)[0])


def scenario_params(cm, name):
    from aigap.scenarios import load_scenario, resolve_params

    return resolve_params(cm, load_scenario(ROOT / "scenarios" / f"{name}.yaml", model=cm))


def verdict(claim, change):
    """'agrees' when the change has the expected sign and size, else 'contradicts'."""
    if claim.expect == 0:
        ok = abs(change) < claim.material
    else:
        ok = np.sign(change) == claim.expect and abs(change) >= claim.material
    return "agrees" if ok else "contradicts"


def measure(cm):
    """One row per claim: reference and perturbed value, relative change, verdict, reason."""
    baseline = cm.simulate()
    rows = []
    for c in CLAIMS:
        if c.scenario:
            ref = (
                cm.simulate(params=scenario_params(cm, c.reference))
                if c.reference != "baseline"
                else baseline
            )
            run = cm.simulate(params=_params(cm, c.overrides, scenario_params(cm, c.scenario)))
        else:
            ref, run = baseline, cm.simulate(params=_params(cm, c.overrides))
        r0, r1 = _value(ref, c), _value(run, c)
        change = r1 / r0 - 1
        v = verdict(c, change)
        rows.append(
            {
                "claim": c,
                "reference": r0,
                "perturbed": r1,
                "change": change,
                "verdict": v,
                "why": c.agrees_why if v == "agrees" else c.contradicts_why,
            }
        )
    return rows


def _params_n(cm, overrides, base, n):
    """``_params`` for ``n`` runs: every override replaces that constant in every run."""
    params = dict(base)
    for name, value in overrides.items():
        info = cm.constants[name]
        shape = np.shape(info.default)
        cur = np.asarray(params.get(name, info.default), float)
        if cur.ndim == len(shape):
            cur = np.broadcast_to(cur, (n, *shape))
        arr = np.array(cur, float, copy=True)
        if isinstance(value, dict):
            for region, v in value.items():
                arr[..., REGIONS.index(region)] = v
        else:
            arr[...] = value
        params[name] = arr
    return params


def _values(res, claim):
    i = int(np.argmin(np.abs(res.time - claim.time)))
    v = res[claim.output][:, i]
    return np.asarray(v if claim.region is None else v[:, REGIONS.index(claim.region)], float)


def posterior_draws(cm, n: int = 200, store=None):
    """Engine parameters of ``n`` posterior draws (every k-th of model/posterior/draws.csv).

    Deterministic thinning (no sampling), so the table is reproducible from the stored draws.
    """
    from aigap.analysis.ensemble import design_params
    from aigap.analysis.posterior_compare import load_posterior_folder

    post = load_posterior_folder(store or HERE / "posterior", cm)
    X = post.X[np.linspace(0, len(post.X) - 1, min(n, len(post.X))).round().astype(int)]
    return design_params(cm, {}, post.targets, X), X.shape[0]


def posterior_verdict(share_agrees: float, level: float = 0.9) -> str:
    """'agrees' / 'contradicts' when at least ``level`` of the draws say so, else 'uncertain'."""
    if share_agrees >= level:
        return "agrees"
    return "contradicts" if share_agrees <= 1 - level else "uncertain"


def measure_posterior(cm, n: int = 200, agree_level: float = 0.9, store=None):
    """Each claim over ``n`` posterior draws: the change per draw, its median and 5%-95%
    interval, the share of draws in which the claim's verdict is 'agrees', and the verdict
    over the posterior: 'agrees' / 'contradicts' when at least ``agree_level`` of the draws
    say so, else 'uncertain'.

    The knock-out is applied to every draw (the claim's override replaces the drawn value of
    that constant); the reference is the same draw unperturbed (paired).
    """
    draws, n = posterior_draws(cm, n, store)
    outputs = sorted({c.output for c in CLAIMS})
    base = cm.simulate(params=draws, n_runs=n, outputs=outputs)
    rows = []
    for c in CLAIMS:
        if c.scenario:
            sref = scenario_params(cm, c.reference) if c.reference != "baseline" else {}
            ref = (
                cm.simulate(
                    params=_params_n(cm, {}, {**draws, **sref}, n), n_runs=n, outputs=outputs
                )
                if sref
                else base
            )
            scen = {**draws, **scenario_params(cm, c.scenario)}
            run = cm.simulate(params=_params_n(cm, c.overrides, scen, n), n_runs=n, outputs=outputs)
        else:
            ref = base
            run = cm.simulate(
                params=_params_n(cm, c.overrides, draws, n), n_runs=n, outputs=outputs
            )
        change = _values(run, c) / _values(ref, c) - 1
        agree = np.array([verdict(c, x) == "agrees" for x in change])
        share = float(agree.mean())
        v = posterior_verdict(share, agree_level)
        rows.append(
            {
                "claim": c,
                "median": float(np.median(change)),
                "p5": float(np.percentile(change, 5)),
                "p95": float(np.percentile(change, 95)),
                "share_agrees": share,
                "verdict": v,
                "n": n,
            }
        )
    return rows


def _when(t):
    return "May 2026" if t == MAY_2026 else "end-2030"


def table(rows, post_rows=None) -> str:
    """The claims table; with ``post_rows`` (``measure_posterior``) the change and verdict over
    the posterior draws as well."""
    post = {r["claim"].key: r for r in (post_rows or ())}
    head = (
        "| # | claim (seed) | structure | loop / lever | knock-out | output, when | change "
        "| verdict: why |"
    )
    rule = "|---|---|---|---|---|---|---|---|"
    if post:
        n = next(iter(post.values()))["n"]
        head += f" over {n} posterior draws: change median [5%-95%], draws agreeing, verdict |"
        rule += "---|"
    lines = [head, rule]
    for i, r in enumerate(rows, 1):
        c = r["claim"]
        out = f"`{c.output}`" + (f"[{c.region}]" if c.region else "")
        line = (
            f"| {i} | {c.claim} ({c.seed}) | {c.structure} | {c.loop} | "
            f"{c.perturbation} | {out}, {_when(c.time)} | {100 * r['change']:+.1f}% | "
            f"**{r['verdict']}**: {r['why']} |"
        )
        if post:
            p = post[c.key]
            line += (
                f" {100 * p['median']:+.1f}% [{100 * p['p5']:+.1f}%, {100 * p['p95']:+.1f}%]"
                f", {p['share_agrees']:.0%}, **{p['verdict']}** |"
            )
        lines.append(line)
    blank = " - |" if post else ""
    for seed, claim, why in OUTSIDE:
        lines.append(
            f"| - | {claim} ({seed}) | none | - | - | - | - | **outside the boundary**: "
            f"{why} |{blank}"
        )
    lines.append("")
    lines.append(
        "Tested in `tests/model/test_claims.py` (each verdict and the size of each "
        "change, at the defaults and over the posterior). Over the posterior a claim "
        "**agrees** (or **contradicts**) when at least 90% of the draws say so, else "
        "it is **uncertain**: the data do not decide it."
    )
    return "\n".join(lines)


# China's constants that describe the paradigm (how AI is bought and paid for), not its
# technology or size: the family-member test gives China the US values of exactly these.
PARADIGM = (
    "Initial Interface Orientation",
    "Price War Intensity",
    "Initial Seat Software Budget",
    "Initial Unserved Enterprise Pool",
    "Embedding Push",
    "Consumer Paying Share",
    "Developer Value Scale",
    "Developer Spend Multiple",
    "Contract Churn Rate",
    "Model Direct Share",
    "Model Supplier Share",
)


def family_member(cm):
    """ARR gap when China is given the US values of all constants / of the paradigm constants."""

    def us_values(names):
        return {
            n: np.full_like(
                np.asarray(cm.constants[n].default, float),
                np.asarray(cm.constants[n].default, float)[0],
            )
            for n in names
        }

    subscripted = [n for n, c in cm.constants.items() if np.ndim(c.default)]
    out = {}
    for label, names in (("all", subscripted), ("paradigm", PARADIGM)):
        res = cm.simulate(params=us_values(names))
        gap = res["ARR Gap Ratio"][0]
        out[label] = {
            t: float(gap[int(np.argmin(np.abs(res.time - t)))]) for t in (MAY_2026, END_2030)
        }
    base = cm.simulate()
    out["baseline"] = {
        t: float(base["ARR Gap Ratio"][0, int(np.argmin(np.abs(base.time - t)))])
        for t in (MAY_2026, END_2030)
    }
    return out


def family_table(fam) -> str:
    lines = ["| China given | ARR gap May 2026 | ARR gap end-2030 |", "|---|---|---|"]
    for label, text in (
        ("its own constants (baseline)", "baseline"),
        ("the US paradigm constants (`claims.PARADIGM`)", "paradigm"),
        ("every US constant", "all"),
    ):
        g = fam[text]
        lines.append(f"| {label} | {g[MAY_2026]:.3g}x | {g[END_2030]:.3g}x |")
    return "\n".join(lines)


def main():
    from aigap.engine import compile_model

    cm = compile_model(str(HERE / "ai_gap.mdl"))
    print(table(measure(cm), measure_posterior(cm)))


if __name__ == "__main__":
    sys.exit(main())
