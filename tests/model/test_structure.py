"""The model file: loads and runs in PySD, carries the contract names, units, ranges, sources."""

import re

import numpy as np
import pytest

from model_helpers import KEY_OUTPUTS, MODEL

# Contract table of docs/architecture.md: name -> (subscripted?, unit)
CONTRACT = {
    "Total AI ARR": (True, "USD/Year"),
    "Model ARR": (True, "USD/Year"),
    "Application ARR": (True, "USD/Year"),
    "AI Capital": (True, "USD"),
    "AI Capex": (True, "USD/Year"),
    "Return on AI Capital": (True, "1/Year"),
    "Token Price": (True, "USD/Mtoken"),
    "Developer WTP": (True, "USD/(Person*Month)"),
    "Paying Developers": (True, "Person"),
    "ARR Gap Ratio": (False, "Dmnl"),
    "Model ARR Gap Ratio": (False, "Dmnl"),
    "Return Gap Ratio": (False, "Dmnl"),
}


def test_control_section(cm):
    assert cm.dims == {"Region": ("US", "CN")}
    assert (cm.initial_time, cm.final_time) == (2024.0, 2031.0)
    assert cm.time_step == 1 / 32 and cm.saveper == 1 / 16


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_contract_variables(cm, name):
    subscripted, unit = CONTRACT[name]
    info = cm.variables[name]
    assert info.dims == (("Region",) if subscripted else ())
    assert info.units.replace(" ", "") == unit


def test_every_variable_has_units_and_comment(cm):
    missing = [n for n, v in cm.variables.items() if not v.units or len(v.doc or "") < 15]
    assert missing == []


def test_every_constant_has_range_default_inside_and_a_source(cm):
    problems = []
    for name, c in cm.constants.items():
        lo, hi = c.limits if c.limits else (None, None)
        if lo is None or hi is None:
            problems.append(f"{name}: no [min,max]")
            continue
        if np.any(c.default < lo) or np.any(c.default > hi):
            problems.append(f"{name}: default {c.default} outside [{lo}, {hi}]")
        doc = c.doc or ""
        # a source (seed file / quote) or an explicit assumption with reasoning
        if not re.search(r"seed 00[04]|assumption|unit conversion|lever", doc, re.I):
            problems.append(f"{name}: comment gives no source or assumption")
    assert problems == []


def test_every_equation_has_exactly_units_and_comment_fields():
    """A stray '~' or '|' inside a comment would silently truncate it."""
    text = MODEL.read_text(encoding="utf-8").split("\\\\\\---///")[0]  # before any sketch
    blocks = [
        b for b in text.split("|") if "~" in b and not b.strip().startswith("*")
    ]  # skip group headers
    bad = [b.strip().splitlines()[0] for b in blocks if b.count("~") != 2]
    assert bad == []


def test_stocks_are_integrated_with_named_flows():
    text = MODEL.read_text(encoding="utf-8")
    stocks = re.findall(r"^([A-Za-z ]+)(?:\[Region\])?= INTEG \(", text, re.M)
    assert len(stocks) >= 12
    for core in (
        "AI Capital",
        "Token Price",
        "Developer WTP",
        "Paying Developers",
        "Seat Software Budget",
        "Unserved Enterprise Pool",
        "Model Contract ARR",
        "Application Contract ARR",
        "Capability",
        "Interface Orientation",
    ):
        assert core in stocks


@pytest.mark.slow
def test_model_loads_and_runs_in_pysd(cm, baseline):
    import warnings

    import pysd

    model = pysd.read_vensim(str(MODEL))
    cols = [f"{n}[{r}]" for n in KEY_OUTPUTS[:4] for r in ("US", "CN")]
    with warnings.catch_warnings():
        # pandas deprecation raised inside PySD's own output formatting (third-party)
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        df = model.run(return_columns=cols, return_timestamps=[2024.0, 2027.0, 2031.0])
    assert np.isfinite(df.to_numpy(dtype=float)).all()
    # the engine used by the other tests reproduces PySD on the same file
    for col in cols:
        name, region = col[:-4], col[-3:-1]
        k = ("US", "CN").index(region)
        for t in (2027.0, 2031.0):
            i = int(np.argmin(np.abs(baseline.time - t)))
            np.testing.assert_allclose(baseline[name][0, i, k], df.loc[t, col], rtol=1e-9)


def test_readme_documents_every_stock_and_is_up_to_date(cm):
    """model/README.md names every stock; its generated fit and constants tables are current."""
    import importlib.util

    readme = (MODEL.parent / "README.md").read_text(encoding="utf-8")
    text = MODEL.read_text(encoding="utf-8")
    for stock in re.findall(r"^([A-Za-z ]+)(?:\[Region\])?= INTEG \(", text, re.M):
        assert f"`{stock}`" in readme, stock
    spec = importlib.util.spec_from_file_location(
        "readme_tables", MODEL.parent / "readme_tables.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = module.sections(cm, names=("fit", "constants"))
    assert module.render(readme, generated) == readme, (
        "model/README.md is out of date: run python model/readme_tables.py"
    )
