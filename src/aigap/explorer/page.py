"""Build the explorer page: one self-contained HTML file (no network at all).

The page embeds the JavaScript kernel generated from the IR (run in a Web
Worker created from a Blob URL), every tunable constant with its unit, range,
baseline and source, the named scenarios' resolved parameters and the
observations. Charts are plain SVG drawn by a few lines of our own script:
a charting library would add weight and a licence to ship for eight line
charts, and SVG keeps the page text-only (no fonts, no canvas state).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..analysis.ensemble import STEP_EPS
from ..engine.params import TimeSeries
from ..core.keys import GAPS, KEY_VARIABLES
from ..workflow.summary import GAP_LABELS, YEARS
from .kernel import kernel_bundle, pack_params

ASSETS = Path(__file__).with_name("assets")
CHART_VARIABLES = (
    "Total AI ARR",
    "Model ARR",
    "Return on AI Capital",
    "Token Price",
    "Developer WTP",
    "AI Capex",
)


def model_groups(path) -> list:
    """``[(first line, group name)]`` of the ``.mdl``'s ``*****`` section headers."""
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    out = []
    for k, line in enumerate(lines):
        m = re.match(r"^\s*\.(\w[\w ]*)\s*$", line)
        if m and k and lines[k - 1].strip().startswith("****"):
            out.append((k + 1, m.group(1).strip()))
    return out


def _group_of(groups, line):
    name = "Other"
    for first, g in groups:
        if line is not None and line >= first:
            name = g
    return name


def constants_spec(cm) -> list:
    """Every tunable constant: name, unit, range, baseline per element, doc, group."""
    groups = model_groups(cm.path)
    out = []
    for name, info in cm.constants.items():
        group = _group_of(groups, info.line)
        if group == "Control":
            continue
        elems = [list(cm.dims[d]) for d in info.dims]
        out.append(
            {
                "name": name,
                "units": info.units or "",
                "group": group,
                "limits": [
                    None if v is None or not np.isfinite(v) else float(v)
                    for v in (info.limits or (None, None))
                ],
                "default": np.asarray(info.default, dtype=float).ravel().tolist(),
                "elements": [",".join(e) for e in _product(elems)] if elems else [""],
                "doc": " ".join((info.doc or "").split()),
            }
        )
    return out


def _product(elems):
    import itertools

    return [list(p) for p in itertools.product(*elems)]


def scenario_inputs(cm, params: dict) -> list:
    """Per kernel parameter: a number, or ``[xs, values]`` for a time-varying one."""
    P, TS = pack_params(cm, params)
    return [TS.get(str(k), v) for k, v in enumerate(P)]


def draw_inputs(cm, draw: dict) -> dict:
    """``{kernel parameter index: value}`` of one draw (``read_draws`` output)."""
    out = {}
    for k, p in enumerate(cm.ir.params.values()):
        for key in ((p.constant, tuple(p.element)), (p.constant, ())):
            if key in draw:
                out[str(k)] = draw[key]
                break
    return out


def observations_spec(obs) -> list:
    """Observations of the chart variables (simulated value compared = share * variable)."""
    out = []
    for o in obs.fitted if obs is not None else ():
        if o.variable in CHART_VARIABLES or o.variable in GAPS:
            out.append(
                {
                    "id": o.id,
                    "variable": o.variable,
                    "region": o.region or "",
                    "time": o.time,
                    "kind": o.kind,
                    "value": o.value,
                    "low": o.low,
                    "high": o.high,
                    "share": o.share,
                    "description": o.description,
                }
            )
    return out


def loops_spec(cm, scenarios: dict) -> dict:
    """Per scenario, the dominant loops per year and region (Loops That Matter), computed
    here by the Python engine for the scenario as defined; empty for a model whose loops
    are not named or that has no US/CN regions."""
    from ..analysis.loops_file import load_loop_names, loops_file
    from ..analysis.loopstable import yearly_dominance

    regions = [r for r in ("US", "CN") if any(r in v for v in cm.dims.values())]
    if not regions:
        return {}
    f = loops_file(cm.path)
    named = load_loop_names(f, cm.variables) if f.is_file() else {}
    return {
        name: yearly_dominance(cm, params, named, regions)
        for name, (_, params) in scenarios.items()
    }


def build_page(cm, scenarios: dict, observations=None, posterior=None, draws_from=None) -> str:
    """HTML text of the explorer.

    Parameters
    ----------
    cm : CompiledModel
    scenarios : dict
        Scenario name -> ``(description, engine params)`` (``resolve_params`` output).
    observations : Observations, optional
    posterior : list of dict, optional
        Drawn values (``read_draws``), re-simulated live for the bands on top of the
        selected scenario's values (and under the moved controls).
    draws_from : float, optional
        The drawn values act from this time on (a sweep's ``from``), the scenario's before.
    """
    outputs = [n for n in (*GAPS, *CHART_VARIABLES) if n in cm.variables]
    everything = frozenset(cm.ir.params)  # every input may vary in time
    bundle = kernel_bundle(cm, outputs, ts_params=everything)
    data = {
        "outputs": outputs,
        "widths": bundle["widths"],
        "shapes": bundle["shapes"],
        "times": bundle["times"],
        "save": bundle["save"],
        "saved_times": bundle["saved_times"],
        "n_saved": bundle["n_saved"],
        "dt": bundle["dt"],
        "t0": bundle["t0"],
        "t1": bundle["t1"],
        "saveper": bundle["saveper"],
        "params": bundle["params"],
        "constants": constants_spec(cm),
        "gaps": list(GAPS),
        "gap_labels": GAP_LABELS,
        "charts": [n for n in CHART_VARIABLES if n in cm.variables],
        "key_variables": list(KEY_VARIABLES),
        "years": list(YEARS),
        "regions": {
            n: list(cm.dims[cm.variables[n].dims[0]]) if cm.variables[n].dims else [""]
            for n in outputs
        },
        "units": {n: cm.variables[n].units or "" for n in outputs},
        "scenarios": {
            name: {
                "description": desc,
                "inputs": scenario_inputs(cm, params),
                "timeseries": sorted(k for k, v in params.items() if isinstance(v, TimeSeries)),
            }
            for name, (desc, params) in scenarios.items()
        },
        "observations": observations_spec(observations),
        "posterior": [draw_inputs(cm, d) for d in posterior or ()],
        "loops": loops_spec(cm, scenarios),
        "draws_from": draws_from,
        "step_eps": STEP_EPS,
    }
    blob = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    static = kernel_bundle(cm, outputs)["source"]  # constant inputs: hoisted, faster
    kernel = json.dumps(_wrap("runTS", bundle["source"]) + _wrap("runConst", static)).replace(
        "</", "<\\/"
    )
    html = (ASSETS / "explorer.html").read_text()
    html = html.replace("/*STYLE*/", (ASSETS / "explorer.css").read_text())
    script = (
        "const DATA = "
        + blob
        + ";\nconst KERNEL = "
        + kernel
        + ";\n"
        + (ASSETS / "explorer.js").read_text()
    )
    return html.replace("/*SCRIPT*/", script)


def _wrap(name, source):
    """``const name = run`` of one generated kernel, its helpers kept private."""
    return f"const {name} = (() => {{\n{source}\nreturn run;\n}})();\n"
