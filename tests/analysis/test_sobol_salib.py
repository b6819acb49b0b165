"""SALib behind aigap's Sobol/Morris: same design as SALib's sampler, same indices as the
estimators we used to hand-write, analytic Ishigami S1/ST/S2, groups, bad ``groups:`` input."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import sobol as salib_analyze
from SALib.sample import sobol as salib_sample

from aigap.analysis import morris, sobol
from aigap.analysis.distributions import from_spec
from aigap.analysis.sensitivity_job import run_sensitivity
from aigap.analysis.problem import Problem
from aigap.cli import main
from test_sobol_morris import _pi_problem, ishigami, ishigami_indices

REPO = Path(__file__).resolve().parents[2]
SWEEPS = REPO / "scenarios" / "sweeps"
MODEL = REPO / "model" / "ai_gap.mdl"
UNIT = from_spec({"dist": "uniform", "low": 0, "high": 1})


def ishigami_analytic():
    """Analytic S1, ST (from test_sobol_morris) and the second-order indices of Ishigami."""
    S1, ST = ishigami_indices()
    return S1, ST, {(0, 1): 0.0, (0, 2): ST[2], (1, 2): 0.0}  # S13 = ST3 = V13 / V


def reference_indices(Y, N, g, centre_rows="all"):
    """The Saltelli (S1) / Jansen (ST) estimators aigap hand-wrote before SALib, on outputs
    in SALib's layout; ``centre_rows`` "all" (SALib's centring) or "AB" (ours before)."""
    rows = Y.reshape(N, g + 2)
    fA, fB, fAB = rows[:, 0], rows[:, -1], rows[:, 1:-1].T
    ref = Y if centre_rows == "all" else np.r_[fA, fB]
    mu, sd = ref.mean(), ref.std()
    fA, fB, fAB = (fA - mu) / sd, (fB - mu) / sd, (fAB - mu) / sd
    V = np.var(np.r_[fA, fB])
    return (
        np.mean(fB[None] * (fAB - fA[None]), axis=1) / V,
        0.5 * np.mean((fA[None] - fAB) ** 2, axis=1) / V,
    )


@pytest.mark.parametrize("second_order", [False, True])
@pytest.mark.parametrize("groups", [None, ("x", "y", "x", "z")])
def test_design_equals_salib_sampler(second_order, groups):
    """Our vectorised design is SALib.sample.sobol's, point for point and row for row."""
    p = Problem(("a", "b", "c", "d"), (UNIT,) * 4)
    sp = sobol.salib_problem(p, groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = salib_sample.sample(
            sp, 64, calc_second_order=second_order, seed=np.random.default_rng(11)
        )
    ours = sobol.sample(p, 64, 11, second_order=second_order, groups=groups)
    np.testing.assert_array_equal(ours, ref)
    g = 3 if groups else 4
    assert ours.shape[0] == sobol.n_rows(64, g, second_order)


@pytest.mark.parametrize("second_order", [False, True])
@pytest.mark.parametrize("groups", [None, ("a", "a", "b", "c", "d", "d")])
def test_vectorised_indices_equal_salib_analyze(second_order, groups):
    """Our factor-vectorised use of SALib's estimators returns what SALib.analyze.sobol.analyze
    returns: indices and confidence half-widths (same normalisation, same resamples)."""
    p = Problem(tuple(f"x{i}" for i in range(6)), (UNIT,) * 6)
    X = sobol.sample(p, 256, 1, second_order=second_order, groups=groups)
    y = np.sin(3 * X).sum(axis=1) + 4 * X[:, 0] * X[:, 2] + X[:, 5] ** 3
    g = len(sobol.group_names(p, groups))
    ours = sobol.salib_indices(y, g, second_order, 120, 0.9, 77)
    ref = salib_analyze.analyze(
        sobol.salib_problem(p, groups),
        y,
        num_resamples=120,
        calc_second_order=second_order,
        conf_level=0.9,
        seed=77,
    )
    assert set(ours) == {"S1", "S1_conf", "ST", "ST_conf"} | (
        {"S2", "S2_conf"} if second_order else set()
    )
    for key, value in ours.items():
        np.testing.assert_allclose(value, ref[key], rtol=0, atol=1e-12, err_msg=key)


def test_identical_to_previous_estimators_on_ishigami():
    p = _pi_problem()
    N = 2**11
    Y = ishigami(sobol.sample(p, N, seed=4))
    res = sobol.analyze(p, Y, n_boot=100, seed=1)
    S1, ST = reference_indices(Y, N, 3, "all")
    np.testing.assert_allclose(res.S1[:, 0], S1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.ST[:, 0], ST, rtol=0, atol=1e-12)
    # the old centring (A and B rows) changes S1 by far less than its CI; ST not at all
    S1_old, ST_old = reference_indices(Y, N, 3, "AB")
    np.testing.assert_allclose(res.ST[:, 0], ST_old, rtol=0, atol=1e-12)
    assert np.all(np.abs(res.S1[:, 0] - S1_old) < 0.25 * res.S1_conf[:, 0])


def test_identical_to_previous_estimators_on_the_model(cm, tmp_path):
    """The shipped price-war sweep on the project model: SALib's S1/ST equal the hand-written
    estimators on the same runs, for every output."""
    out = run_sensitivity(
        SWEEPS / "price_war.yaml",
        "sobol",
        N=64,
        model=cm,
        runs_dir=tmp_path,
        progress=None,
        plots=False,
        n_boot=50,
    )
    design = np.load(out.run_dir / "design.npz")
    Y, d = design["Y"], len(out.names)
    assert str(design["layout"]) == "per base row: A, AB_1..AB_g, B"
    for k in range(Y.shape[1]):
        S1, ST = reference_indices(Y[:, k], 64, d, "all")
        np.testing.assert_allclose(out.indices.S1[:, k], S1, rtol=0, atol=1e-10)
        np.testing.assert_allclose(out.indices.ST[:, k], ST, rtol=0, atol=1e-10)
    table = pd.read_csv(out.run_dir / "indices.csv")
    np.testing.assert_allclose(table.S1_high - table.S1, table.S1_conf, atol=1e-5)


def test_ishigami_analytic_first_total_second_order():
    p = _pi_problem()
    N = 2**13
    res = sobol.analyze(
        p,
        ishigami(sobol.sample(p, N, seed=8, second_order=True)),
        n_boot=200,
        seed=3,
        second_order=True,
    )
    S1, ST, S2 = ishigami_analytic()
    # within MC error: the 95% CI half-width (plus a hair for the normal approximation)
    assert np.all(np.abs(res.S1[:, 0] - S1) <= res.S1_conf[:, 0] + 0.005)
    assert np.all(np.abs(res.ST[:, 0] - ST) <= res.ST_conf[:, 0] + 0.005)
    for (a, b), value in S2.items():
        assert abs(res.S2[a, b, 0] - value) <= res.S2_conf[a, b, 0] + 0.005, (a, b)
        assert np.isnan(res.S2[b, a, 0])
    assert res.S2[0, 2, 0] > 0.15  # the x1-x3 interaction is found, the others are not
    assert res.S2_conf[0, 2, 0] < 0.1


def _additive(X, coef=(4.0, 3.0, 2.0, 0.0)):
    return X @ np.asarray(coef)


def test_groups_on_additive_function():
    """f = 4 x1 + 3 x2 + 2 x3 (x4 unused), x ~ U(0, 1): group {x1, x2} explains 25/29 of the
    variance, alone and in total; x3 4/29; x4 nothing. Grouped indices equal the sum of the
    ungrouped ones for an additive function."""
    p = Problem(("x1", "x2", "x3", "x4"), (UNIT,) * 4)
    groups = ("g12", "g12", "x3", "x4")
    N = 2**12
    X = sobol.sample(p, N, seed=2, second_order=True, groups=groups)
    assert X.shape == (N * 8, 4)
    res = sobol.analyze(p, _additive(X), n_boot=100, seed=1, second_order=True, groups=groups)
    assert res.names == ("g12", "x3", "x4")
    expected = np.array([25, 4, 0]) / 29
    np.testing.assert_allclose(res.S1[:, 0], expected, atol=0.02)
    np.testing.assert_allclose(res.ST[:, 0], expected, atol=0.02)
    assert res.ST[2, 0] == 0.0
    assert np.nanmax(np.abs(res.S2[..., 0])) < 0.03  # additive: no interactions
    plain = sobol.analyze(p, _additive(sobol.sample(p, N, seed=2)), n_boot=10)
    assert res.S1[0, 0] == pytest.approx(plain.S1[0, 0] + plain.S1[1, 0], abs=0.03)


def test_morris_groups_on_additive_function():
    """Inputs of a group move together one way: the group's mu* is the sum of its
    coefficients (effects per unit of the input's quantile scale), exactly."""
    p = Problem(("x1", "x2", "x3", "x4"), (UNIT,) * 4)
    groups = ("g12", "g12", "x3", "x4")
    X = morris.sample(p, 20, seed=5, groups=groups)
    assert X.shape == (20 * 4, 4)
    res = morris.analyze(p, X, _additive(X), n_boot=50, seed=0, groups=groups)
    assert res.names == ("g12", "x3", "x4")
    np.testing.assert_allclose(res.mu_star[:, 0], [7.0, 2.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(res.mu[:, 0], [7.0, 2.0, 0.0], atol=1e-9)
    assert np.isnan(res.sigma[0, 0]) and res.sigma[1, 0] == pytest.approx(0.0, abs=1e-9)


def _grouped_sweep(tmp_path, groups_yaml: str) -> Path:
    text = (SWEEPS / "price_war.yaml").read_text()
    text = text.replace(
        "scenario: china_entry_point", f"scenario: {SWEEPS.parent / 'china_entry_point.yaml'}"
    )
    path = tmp_path / "grouped.yaml"
    path.write_text(text.split("conditions:")[0] + groups_yaml)
    return path


def test_sensitivity_groups_and_second_order_end_to_end(cm, tmp_path, capsys):
    sweep = _grouped_sweep(
        tmp_path,
        "groups:\n"
        "  price war: [Price War Intensity, Price War Subsidy Depth]\n"
        "  developers:\n    - Price Anchor Weight\n"
        "    - Developer Price Markup[CN]\n",
    )
    runs = tmp_path / "runs"
    code = main(
        [
            "sensitivity",
            str(sweep),
            "--N",
            "16",
            "--n-boot",
            "20",
            "--second-order",
            "--output",
            "Model ARR[CN]@2030",
            "--runs-dir",
            str(runs),
            "--model",
            str(MODEL),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "Strongest pair interactions" in out
    (folder,) = runs.iterdir()
    table = pd.read_csv(folder / "indices.csv")
    g = 6  # 8 inputs, two groups of two
    assert len(table) == g and "price war" in set(table.input)
    assert (
        table.set_index("input").loc["developers", "members"]
        == "Price Anchor Weight; Developer Price Markup[CN]"
    )
    assert {"S1_conf", "ST_conf", "S1_low", "ST_high"} <= set(table.columns)
    pairs = pd.read_csv(folder / "second_order.csv")
    assert len(pairs) == g * (g - 1) // 2
    assert list(pairs.columns) == [
        "output",
        "input_1",
        "input_2",
        "S2",
        "S2_conf",
        "S2_low",
        "S2_high",
    ]
    assert pairs.S2.abs().is_monotonic_decreasing
    assert (folder / "second_order.png").stat().st_size > 10_000
    m = json.loads((folder / "manifest.json").read_text())
    assert m["sensitivity"]["second_order"] is True
    n_design = np.load(folder / "design.npz")["X"].shape[0]
    assert m["sensitivity"]["runs"] == 16 * (2 * g + 2) == n_design
    assert m["sensitivity"]["groups"]["price war"] == [
        "Price War Intensity[CN]",
        "Price War Subsidy Depth",
    ]


@pytest.mark.parametrize(
    "groups_yaml, message",
    [
        (
            "groups:\n  pw: [Price War Intensty, Price War Subsidy Depth]\n",
            "grouped.yaml:23: groups.pw[0]: 'Price War Intensty' is not an uncertain input of this "
            "sweep; did you mean 'Price War Intensity'?",
        ),
        (
            "groups:\n  pw: ['Price War Intensity[CN]', Price War Subsidy Depth]\n"
            "  more: [Price War Subsidy Depth]\n",
            "grouped.yaml:24: groups.more[0]: 'Price War Subsidy Depth' is already in group 'pw'",
        ),
        (
            "groups:\n  pw: Price War Intensity\n",
            "grouped.yaml:23: groups.pw: expected a non-empty list of uncertain inputs",
        ),
        ("groups: [Price War Intensity]\n", "grouped.yaml:22: groups: expected a mapping"),
        (
            "groups:\n  Price Anchor Weight: [Price War Intensity]\n",
            "groups.Price Anchor Weight: group name equals an ungrouped input",
        ),
        ("grups:\n  pw: [Price War Intensity]\n", "did you mean 'groups'?"),
    ],
)
def test_bad_groups(groups_yaml, message, tmp_path, capsys):
    sweep = _grouped_sweep(tmp_path, groups_yaml)
    runs = tmp_path / "runs"
    code = main(
        ["sensitivity", str(sweep), "--N", "16", "--runs-dir", str(runs), "--model", str(MODEL)]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert not runs.exists() or not any(runs.iterdir())


def test_second_order_needs_sobol(tmp_path, capsys):
    code = main(
        [
            "sensitivity",
            str(SWEEPS / "price_war.yaml"),
            "--method",
            "morris",
            "--second-order",
            "--runs-dir",
            str(tmp_path),
            "--model",
            str(MODEL),
        ]
    )
    assert code == 2 and "only with --method sobol" in capsys.readouterr().err


def test_readme_groups_example_is_valid(cm, tmp_path):
    """The ``groups:`` example of README.md loads on the shipped price-war sweep."""
    from aigap.analysis.sweep_file import load_sweep

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Sensitivity with SALib") :]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    example = "\n".join(line[2:] for line in block.splitlines()) + "\n"
    spec = load_sweep(_grouped_sweep(tmp_path, example), cm)
    labels = [u.label for u in spec.uncertain]
    groups = dict(zip(labels, spec.groups))
    assert groups["Price War Intensity[CN]"] == groups["Price War Subsidy Depth"] == "price war"
    assert groups["Developer Price Markup[CN]"] == "developers"
    assert groups["Token Demand Elasticity"] == "Token Demand Elasticity"
