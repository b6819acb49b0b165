"""Words for the report: dates, distributions, scenario overrides, figure captions, glossary.

Pure functions over manifest / file content; the briefing (:mod:`.report_data`) and the
template use them so every number is printed with its unit and one precision.
"""

from __future__ import annotations

from ..core.formatting import format_value, format_when

__all__ = [
    "format_when",
    "format_number",
    "format_percent",
    "describe_distribution",
    "describe_value",
    "describe_constant",
    "caption",
    "CAPTIONS",
    "GLOSSARY",
]


def format_number(value, unit: str = "") -> str:
    """Three significant figures with the unit's scale ($B, %/yr, plain)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if unit in ("", "Dmnl", "1", None) and v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4):
        return f"{v:.3g}"
    text = format_value(v, unit or "")
    return (
        text
        if (unit or "") in ("", "Dmnl", "1") or text.startswith("$") or "%" in text
        else f"{text} {unit}"
    )


def format_percent(p) -> str:
    """A probability as a percentage with one decimal."""
    try:
        return f"{100 * float(p):.1f}%"
    except (TypeError, ValueError):
        return str(p)


def describe_distribution(spec: dict, unit: str = "") -> str:
    """A sweep / prior distribution in words, e.g. "uniform between 0.3 and 1"."""
    d = spec.get("dist")
    f = lambda key: format_number(spec.get(key), unit)  # noqa: E731 - local shorthand
    if d == "uniform":
        return f"uniform between {f('low')} and {f('high')}"
    if d == "loguniform":
        return f"log-uniform between {f('low')} and {f('high')} (every factor equally likely)"
    if d == "triangular":
        return f"triangular from {f('low')} to {f('high')}, most likely {f('mode')}"
    if d == "truncnormal":
        return f"normal, mean {f('mean')}, sd {f('sd')}, cut to {f('low')}..{f('high')}"
    if d == "discrete":
        levels = ", ".join(format_number(v, unit) for v in spec.get("levels", []))
        w = spec.get("weights")
        return f"one of {levels}" + (f" (weights {', '.join(f'{x:g}' for x in w)})" if w else "")
    if d == "empirical":
        return f"resampled from {len(spec.get('values', []))} given values"
    return ", ".join(f"{k} {v}" for k, v in spec.items())


def describe_value(value, unit: str = "") -> str:
    """A scenario file's value for one constant (number, points, step, ramp) in words."""
    if isinstance(value, dict):
        if "points" in value:
            pts = value["points"]
            return (
                ", ".join(f"{format_number(v, unit)} in {format_when(t)}" for t, v in pts)
                + " (linear between, held beyond)"
            )
        if "step" in value:
            s = value["step"]
            return (
                f"{format_number(s.get('before'), unit)} until {format_when(s.get('time'))}, "
                f"then {format_number(s.get('after'), unit)}"
            )
        if "ramp" in value:
            r = value["ramp"]
            return (
                f"{format_number(r.get('from'), unit)} in {format_when(r.get('start'))} "
                f"rising linearly to {format_number(r.get('to'), unit)} in "
                f"{format_when(r.get('end'))}"
            )
        return "; ".join(f"{k}: {describe_value(v, unit)}" for k, v in value.items())
    return format_number(value, unit)


def describe_constant(name: str, value, unit: str = "") -> list:
    """``[(label, words)]`` for one scenario constant (per element when given per element)."""
    is_elements = isinstance(value, dict) and not ({"points", "step", "ramp"} & set(value))
    if is_elements:
        return [(f"{name}[{el}]", describe_value(v, unit)) for el, v in value.items()]
    return [(name, describe_value(value, unit))]


CAPTIONS = {
    "gap_ratios.png": "US/China ratios of total AI ARR, model-layer ARR and return on AI "
    "capital, 2024-2030, one line per scenario (US value divided by China's).",
    "key_variables.png": "Key stocks and flows per region and scenario, 2024-2030; published "
    "observations overlaid (circles; bars for ranges).",
    "fit.png": "Simulated / observed for every published number the model is held to; the "
    "band is the accepted zone (tolerance).",
    "fan_gap_ratios.png": "Spread of the three gap ratios over the sweep: shaded 5-95% and "
    "25-75% of the data-consistent runs, median line; all-run 5/50/95% "
    "dashed.",
    "fan_key_variables.png": "Spread of the key variables over the sweep's data-consistent "
    "runs, with the observations.",
    "sensitivity.png": "How much each uncertain input moves each output (bars: index with "
    "95% interval); longer bar = stronger driver.",
    "tradeoff.png": "PRIM peeling trajectory: coverage (share of the cases of interest "
    "inside the box) against density (share of the box's runs that are cases).",
    "calibration_fit.png": "Fit to the observations before and after calibration.",
    "marginals.png": "Prior (grey) and posterior (colour) of every fitted constant.",
    "pairs.png": "Pairwise posterior draws: correlated constants trade off against each other.",
    "bands.png": "Posterior-predictive 50% / 90% bands of every observed series; observations "
    "on top, held-out ones in red.",
}


def caption(png_name: str) -> str:
    """Caption of a run folder's figure (a readable fallback for unknown names)."""
    if png_name in CAPTIONS:
        return CAPTIONS[png_name]
    stem = png_name.rsplit(".", 1)[0]
    if stem.startswith("box_"):
        return (
            f"PRIM box {stem[4:]}: the restricted input ranges (shaded) against each "
            "input's sampled range; cases of interest in colour."
        )
    if stem.startswith("loops-"):
        return (
            f"Relative loop scores over time ({stem[6:]}): reinforcing loops above zero, "
            "balancing below."
        )
    return stem.replace("_", " ").capitalize() + "."


GLOSSARY = {
    "ARR": "Annualised recurring revenue: the revenue run rate at a moment, in US dollars "
    "per year.",
    "Gap ratio": "US value divided by China's value (e.g. 26.7x: US total AI ARR is 26.7 "
    "times China's). Falling = China catching up.",
    "Model ARR": "Revenue of the model companies (API, subscriptions, supplier fees).",
    "Return on AI capital": "AI ARR per dollar of accumulated AI capital, per year.",
    "Year-end 2030": "The model's state at the end of 2030 (model time 2031.0).",
    "Data-consistent run": "A sweep run that reproduces every published observation within "
    "its tolerance; uncertainty figures are computed over these runs.",
    "5-95%": "The range holding the middle 90% of the runs (or posterior draws).",
    "Posterior": "The distribution of the constants (and of the results) given the priors "
    "and the published observations (Bayesian calibration).",
    "Sobol S1 / ST": "Share of an output's variance due to one input alone (S1) and "
    "including its interactions (ST).",
    "Morris mu* / sigma": "Mean absolute change of the output per input step (mu*: "
    "importance) and its spread (sigma: non-linearity or interactions); "
    "mu's sign gives the direction.",
    "PRIM box": "A set of input ranges where the cases of interest concentrate. Coverage = "
    "share of all cases inside the box; density = share of the box's runs that "
    "are cases.",
    "Payoff": "Calibration's error score: sum of weight x (log error / tolerance)^2.",
    "Identified": "The data pin the constant down (narrow posterior or uncertainty set); "
    "'not identified' means the data say little about it.",
    "Contraction": "Posterior sd / prior sd; near 1 means the data did not narrow the prior.",
    "Jacobian rank": "How many independent directions of the fitted constants the "
    "observations constrain; below the number of constants = some are "
    "not identifiable.",
    "R-hat": "Convergence check of MCMC chains: below 1.05 the chains agree.",
    "Log error / tolerance": "ln(simulated / observed); an observation passes when it is "
    "within its tolerance (default 0.25, about +-25%).",
}


def terms_epilog(*terms) -> str:
    """``--help`` epilog explaining ``terms`` (keys of :data:`GLOSSARY`), one per paragraph."""
    import textwrap

    lines = ["terms:"]
    for t in terms:
        lines.append(
            textwrap.fill(f"{t}: {GLOSSARY[t]}", 92, initial_indent="  ", subsequent_indent="    ")
        )
    return "\n".join(lines)
