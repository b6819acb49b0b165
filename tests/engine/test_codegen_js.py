"""The generated JavaScript kernel (explorer backend) equals the numpy backend, run in node.

Tolerance: 1e-12 relative at every saved time. A variable that is a difference of
large numbers (a conservation check that must stay 0) is compared relative to the
largest value of its unit in the run: its own value is rounding noise of 1e11-sized
operands, and 1e-12 of those operands is what "equal to rounding" means for it.
"""

import numpy as np
import pytest
from sdconf_helpers import SUITE, entry_id, manifest

from aigap.engine import EngineError, UnsupportedFeatureError, compile_model
from aigap.engine.backends.js import generate_js
from aigap.explorer.kernel import kernel_bundle, pack_params, run_node, ts_names
from aigap.scenarios import load_scenario, resolve_params
from aigap.workflow.runner import DEFAULT_SCENARIOS, find_model, scenarios_dir

RTOL = 1e-12


def _outputs(cm):
    return [n for n, v in cm.variables.items() if v.kind != "lookup"]


def _assert_equal(cm, js, ref, outputs, what):
    scale = {}
    for name in outputs:
        unit = cm.variables[name].units
        scale[unit] = max(scale.get(unit, 0.0), float(np.nanmax(np.abs(ref[name][0]), initial=0)))
    for name in outputs:
        a, e = js[name], ref[name][0]
        floor = RTOL * scale[cm.variables[name].units]
        both_nan = np.isnan(a) & np.isnan(e)
        ok = both_nan | (np.abs(a - e) <= RTOL * np.abs(e) + floor) | (a == e)
        assert ok.all(), f"{what}: {name} differs: js {a[~ok][:3]} numpy {e[~ok][:3]}"


@pytest.fixture(scope="module")
def project():
    return compile_model(find_model())


def _check_params(cm, param_sets, what):
    outputs = _outputs(cm)
    by_sig = {}
    for params in param_sets:
        by_sig.setdefault(ts_names(cm, params), []).append(params)
    for sig, group in by_sig.items():
        bundle = kernel_bundle(cm, outputs, ts_params=sig)
        res = run_node(bundle, [pack_params(cm, p) for p in group])
        for params, js in zip(group, res["out"]):
            ref = cm.simulate(params=params, outputs=outputs, engine="numpy")
            _assert_equal(cm, js, ref, outputs, what)


def test_project_model_defaults_and_every_scenario(project):
    sets = [{}]
    for name in DEFAULT_SCENARIOS:
        sc = load_scenario(scenarios_dir() / f"{name}.yaml", project)
        sets.append(resolve_params(project, sc))
    assert any(ts_names(project, p) for p in sets), "no scenario exercises a time series"
    _check_params(project, sets, "project model")


def test_project_model_random_parameter_sets(project):
    rng = np.random.default_rng(13)
    sets = []
    for _ in range(4):
        params = {}
        for name, info in project.constants.items():
            lo, hi = info.limits
            if lo is None or hi is None or not np.isfinite([lo, hi]).all():
                continue
            params[name] = rng.uniform(lo, hi, size=np.shape(info.default))
        sets.append(params)
    _check_params(project, sets, "random parameters")


CONF = [e for e in manifest()]


@pytest.mark.skipif(not CONF, reason=f"conformance suite not found at {SUITE}")
def test_conformance_models_it_supports():
    """Every conformance model the JS backend can print equals numpy; the rest name why."""
    supported, refused = 0, []
    for entry in CONF:
        try:
            cm = compile_model(SUITE / entry["path"] / entry["model"])
            outputs = _outputs(cm)
            bundle = kernel_bundle(cm, outputs)
        except UnsupportedFeatureError as exc:
            assert "variable '" in str(exc)
            refused.append(entry_id(entry))
            continue
        except EngineError:  # models the engine itself refuses: tested in test_conformance
            continue
        js = run_node(bundle, [pack_params(cm, {})])["out"][0]
        _assert_equal(
            cm, js, cm.simulate(outputs=outputs, engine="numpy"), outputs, entry_id(entry)
        )
        supported += 1
    assert supported == len(CONF) == 53, (supported, refused)  # every suite model prints


def test_rk4_of_scalar_states_equals_numpy(tmp_path):
    from sdconf_helpers import write_mdl

    path = write_mdl(
        tmp_path,
        "m.mdl",
        "Stock = INTEG(Rate, 1) ~ u ~ |\nRate = 0.3 * Stock * SIN(Time) + STEP(2, 0.5) ~ u ~ |\n",
    )
    cm = compile_model(path)
    outputs = _outputs(cm)
    js = run_node(kernel_bundle(cm, outputs, method="rk4"), [pack_params(cm, {})])["out"][0]
    _assert_equal(
        cm, js, cm.simulate(outputs=outputs, method="rk4", engine="numpy"), outputs, "rk4"
    )


def test_rk4_with_a_chain_state_names_the_variable(project):
    with pytest.raises(UnsupportedFeatureError, match="variable '.*'.*RK4"):
        generate_js(
            project.ir,
            frozenset(),
            ("Total AI ARR",) if "Total AI ARR" in project.variables else (),
            "rk4",
        )


def test_ir_node_without_js_code_names_the_variable(tmp_path):
    """An IR feature the JS printer lacks is an UnsupportedFeatureError naming the variable."""
    from aigap.engine import ir
    from sdconf_helpers import write_mdl

    path = write_mdl(
        tmp_path, "m.mdl", "Stock = INTEG(Rate, 1) ~ u ~ |\nRate = 0.5 * Stock ~ u ~ |\n"
    )
    prog = compile_model(path).ir
    for a in prog.assigns:
        if a.element == "Rate":
            a.expr = ir.Call("no_such_function", (a.expr,))
    with pytest.raises(UnsupportedFeatureError, match="variable 'Rate'.*no_such_function"):
        generate_js(prog, frozenset(), ("Stock",), "euler")
