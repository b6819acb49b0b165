"""Regenerate the data-dependent tables of model/README.md from the model and the scenarios.

Each table sits between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` markers: ``fit``
(baseline vs observations), ``gaps`` (2026-2030 year-end gap table of the six scenarios),
``oat`` (one-at-a-time sensitivity, ``aigap oat``), ``constants`` (every constant with
value, unit, range and source) and ``mapping`` (effect of each company-share assumption on the
fit). Usage::

    python model/readme_tables.py          # rewrite model/README.md in place
    python model/readme_tables.py --check  # exit 1 if the README is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
SCENARIOS = (
    "baseline",
    "us_substitution",
    "china_entry_point",
    "china_embedding",
    "china_anthropic_copy",
    "price_war_truce",
)


def money(v: float, unit: str) -> str:
    if unit.startswith("USD") and "Person" not in unit and "Mtoken" not in unit and abs(v) >= 1e12:
        return f"${v / 1e12:.3g}T"
    if unit.startswith("USD") and "Person" not in unit and "Mtoken" not in unit and abs(v) >= 1e6:
        return f"${v / 1e9:.3g}B"
    if unit == "Person":
        return f"{v / 1e6:.3g}M"
    if unit == "Dmnl" and v < 1:
        return f"{100 * v:.1f}%"
    if "Person*Month" in unit:
        return f"${v:.3g}"
    return f"{v:.3g}"


def fit_section(cm) -> str:
    from aigap.observations import fit_table, load_observations

    obs = load_observations(ROOT / "scenarios" / "data" / "observations.yaml", model=cm)
    tab = fit_table(obs, cm.simulate())
    lines = [
        "| observation | variable | kind | observed | simulated | error |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in tab.iterrows():
        var = f"`{r.variable}`" + (f"[{r.region}]" if r.region else "")
        var += f" x {r.share:g}" if r.share != 1 else ""
        if r.kind == "range":
            ref = f"{money(r.low, r.unit)} - {money(r.high, r.unit)}"
        else:
            ref = {"lower": "> ", "upper": "< "}.get(r.kind, "") + money(r.observed, r.unit)
        sim = money(r.simulated / r.share, r.unit) if r.share != 1 else money(r.simulated, r.unit)
        err = f"{r.pct_error:+.1f}%" if r.kind == "point" else ("ok" if r.passed else "FAILS")
        lines.append(
            f"| {r.id} | {var} | {r.kind} | {ref} | "
            f"{money(r.simulated, r.unit)} (variable {sim}) | {err} |"
        )
    points = tab[tab.kind == "point"]
    lines.append("")
    lines.append(
        f"{int(tab.passed.sum())} of {len(tab)} pass; root-mean-square log error of the "
        f"{len(points)} points {np.sqrt(np.mean(points.log_error**2)):.3f}, largest "
        f"{np.abs(points.log_error).max():.3f} (tolerance 0.25)."
    )
    return "\n".join(lines)


def gaps_section(cm) -> str:
    from aigap.scenarios import load_scenario, resolve_params
    from aigap.workflow.summary import format_gap_table, summary_frame

    results = {
        name: cm.simulate(
            params=resolve_params(cm, load_scenario(ROOT / "scenarios" / f"{name}.yaml", model=cm))
        )
        for name in SCENARIOS
    }
    return "```\n" + format_gap_table(summary_frame(results)).rstrip() + "\n```"


def oat_section(cm) -> str:
    from aigap.analysis.oat import format_oat, run_oat
    from aigap.core.keys import PROFILE

    return "```\n" + format_oat(run_oat(cm, PROFILE), 10) + "\n```"


def constants_section(cm) -> str:
    lines = [
        "| constant | US / CN (or scalar) | unit | range | source / reasoning |",
        "|---|---|---|---|---|",
    ]
    for name, c in cm.constants.items():
        vals = " / ".join(f"{x:g}" for x in np.atleast_1d(c.default))
        doc = (c.doc or "").replace("|", "/").replace("\n", " ")
        lines.append(
            f"| {name} | {vals} | {c.units} | [{c.limits[0]:g}, {c.limits[1]:g}] | {doc} |"
        )
    return "\n".join(lines)


# How company facts are mapped to model variables: each assumption behind an observation's
# ``share`` (observations.yaml) and the observations that rest on it.
MAPPINGS = (
    (
        "OpenAI + Anthropic make up 90% of US model-layer ARR (all OpenAI/Anthropic shares)",
        (
            "openai_arr_2024_end",
            "anthropic_arr_2024_end",
            "openai_arr_2025_06",
            "anthropic_arr_2025_h1",
            "openai_arr_2025_08",
            "openai_arr_2025_end",
            "anthropic_arr_2025_end",
            "openai_anthropic_arr_2025_end",
            "anthropic_arr_2026_05",
            "anthropic_arr_2026_06",
        ),
    ),
    (
        "Anthropic is 0.6 of the US model layer in May-June 2026 (OpenAI about $27B; not in the "
        "seeds)",
        ("anthropic_arr_2026_05", "anthropic_arr_2026_06"),
    ),
    ("Zhipu is 0.22 of China's model layer", ("zhipu_maas_arr_2026_05",)),
    ("Kimi is 0.2 of China's model layer", ("kimi_arr_2026_03", "kimi_arr_2026_04")),
    ("ChatGPT is 0.7 of US AI-app MAU", ("chatgpt_mau_2025_03",)),
    ("the big four are 0.85 of US AI capex", ("us_big4_ai_capex_2025",)),
)
MAPPING_FACTORS = (0.8, 1.1)


def mapping_section(cm) -> str:
    """Effect of each share assumption on the baseline fit (share x 0.8 and x 1.1)."""
    from dataclasses import replace

    from aigap.observations import load_observations, passes, residuals, simulated_matrix

    obs = load_observations(ROOT / "scenarios" / "data" / "observations.yaml", model=cm)
    res = cm.simulate()

    def score(items):
        r = residuals(items, simulated_matrix(items, res))[0]
        ok = passes(items, r[None])[0]
        pts = np.array([o.kind == "point" for o in items])
        failing = [o.id for o, good in zip(items, ok) if not good]
        return f"{int(ok.sum())}/{len(items)}, RMS {np.sqrt(np.mean(r[pts] ** 2)):.3f}" + (
            f" (fails {', '.join(failing)})" if failing else ""
        )

    base = list(obs.fitted)
    lines = [
        f"Baseline: {score(base)} (RMS = root-mean-square log error of the points).",
        "",
        "| mapping assumption | observations | "
        + " | ".join(f"share x {f:g}: pass, RMS" for f in MAPPING_FACTORS)
        + " |",
        "|---|---|" + "---|" * len(MAPPING_FACTORS),
    ]
    for label, ids in MAPPINGS:
        cells = [
            score([replace(o, share=o.share * f) if o.id in ids else o for o in base])
            for f in MAPPING_FACTORS
        ]
        lines.append(f"| {label} | {len(ids)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def claims_section(cm) -> str:
    import claims

    return claims.table(claims.measure(cm), claims.measure_posterior(cm))


LOOP_SCENARIOS = {"baseline": ("US", "CN"), "china_embedding": ("CN",)}


def loops_section(cm) -> str:
    """Measured dominance of the named loops R1...B5 per period (issue 17; aigap loops)."""
    from aigap.analysis.loops_file import load_loop_names, loops_file
    from aigap.analysis.loopstable import dominance_markdown
    from aigap.scenarios import load_scenario, resolve_params

    named = load_loop_names(loops_file(cm.path), cm.variables)
    scen = {
        name: (
            resolve_params(cm, load_scenario(ROOT / "scenarios" / f"{name}.yaml", model=cm)),
            regions,
        )
        for name, regions in LOOP_SCENARIOS.items()
    }
    return dominance_markdown(cm, scen, named)


def family_section(cm) -> str:
    import claims

    return claims.family_table(claims.family_member(cm))


LEDGER_KINDS = ("sourced", "calibrated", "lever", "fixed", "assumed")


def ledger_kind(doc: str) -> str:
    """Classify a constant by its .mdl documentation.

    ``fixed`` = a unit conversion; ``lever`` = a policy/scenario lever; ``calibrated`` = set by
    the fit to observations.yaml; ``sourced`` = the value is read from a seed quote; otherwise
    ``assumed`` (its documentation gives the rationale).
    """
    d = (doc or "").strip()
    low = d.lower()
    if low.startswith("unit conversion"):
        return "fixed"
    if low.startswith("lever") or low.startswith("policy lever"):
        return "lever"
    if "calibrated" in low:
        return "calibrated"
    if "(assumption" in low:
        return "assumed"
    if re.match(r"^(us|cn)?:? ?seed 00\d", low) or (low.startswith("seed 00") and '"' in d):
        return "sourced"
    if not low.startswith("assumption") and re.search(r"seed 00\d: \"", d):
        return "sourced"
    return "assumed"


def ledger_section(cm) -> str:
    rows = {k: [] for k in LEDGER_KINDS}
    for name, c in cm.constants.items():
        rows[ledger_kind(c.doc)].append(name)
    lines = ["| kind | count | constants |", "|---|---|---|"]
    for kind in LEDGER_KINDS:
        lines.append(
            f"| {kind} | {len(rows[kind])} | " + ", ".join(f"`{n}`" for n in rows[kind]) + " |"
        )
    return "\n".join(lines)


def overseas_section(cm) -> str:
    """Scenario ``china_overseas`` against the baseline: overseas ARR, its share of China's
    subscription revenue, and the domestic vs global (home + abroad) ARR gap, year-end."""
    from aigap.scenarios import load_scenario, resolve_params
    from aigap.workflow.summary import YEARS

    outs = ["Overseas AI ARR", "Overseas Revenue Share", "ARR Gap Ratio", "Global ARR Gap Ratio"]
    rows = [
        "| scenario | year-end | CN overseas ARR | overseas share of CN subscriptions "
        "| ARR gap (domestic) | global ARR gap (home + abroad) |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("baseline", "china_overseas"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml", model=cm)
        res = cm.simulate(params=resolve_params(cm, sc), outputs=outs)
        for year in (YEARS[0], YEARS[-1]):
            i = int(np.argmin(np.abs(res.time - (year + 1))))
            rows.append(
                f"| {name} | {year} | ${res['Overseas AI ARR'][0, i, 1] / 1e9:.3g}B | "
                f"{100 * res['Overseas Revenue Share'][0, i, 1]:.0f}% | "
                f"{res['ARR Gap Ratio'][0, i]:.3g}x | "
                f"{res['Global ARR Gap Ratio'][0, i]:.3g}x |"
            )
    return "\n".join(rows)


def render(text: str, sections: dict) -> str:
    for name, body in sections.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no '{name}' markers")
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def sections(
    cm,
    names=(
        "fit",
        "gaps",
        "oat",
        "constants",
        "claims",
        "ledger",
        "family",
        "mapping",
        "loops",
        "overseas",
    ),
) -> dict:
    """Generated Markdown of the named README sections."""
    sys.path.insert(0, str(HERE))
    make = {
        "fit": lambda: fit_section(cm),
        "gaps": lambda: gaps_section(cm),
        "oat": lambda: oat_section(cm),
        "constants": lambda: constants_section(cm),
        "claims": lambda: claims_section(cm),
        "ledger": lambda: ledger_section(cm),
        "family": lambda: family_section(cm),
        "mapping": lambda: mapping_section(cm),
        "loops": lambda: loops_section(cm),
        "overseas": lambda: overseas_section(cm),
    }
    return {name: make[name]() for name in names}


def main(argv):
    from aigap.engine import compile_model

    cm = compile_model(str(HERE / "ai_gap.mdl"))
    sections_ = sections(cm)
    old = README.read_text(encoding="utf-8")
    new = render(old, sections_)
    if "--check" in argv:
        if new != old:
            print("model/README.md is out of date: run python model/readme_tables.py")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    print("model/README.md tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
