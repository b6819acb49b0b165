"""Sobol indices on Ishigami (known analytic values) and Morris screening."""

import numpy as np
import pytest
from scipy import stats

from aigap.analysis import morris, sobol
from aigap.analysis.distributions import from_spec
from aigap.analysis.problem import Problem

A, B = 7.0, 0.1


def ishigami(X):
    return np.sin(X[:, 0]) + A * np.sin(X[:, 1]) ** 2 + B * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices():
    V = A**2 / 8 + B * np.pi**4 / 5 + B**2 * np.pi**8 / 18 + 0.5
    V1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
    V2 = A**2 / 8
    V13 = B**2 * np.pi**8 * (1 / 18 - 1 / 50)
    S1 = np.array([V1, V2, 0.0]) / V
    ST = np.array([V1 + V13, V2, V13]) / V
    return S1, ST


def _pi_problem(d=3):
    u = from_spec({"dist": "uniform", "low": -np.pi, "high": np.pi})
    return Problem(tuple(f"x{i + 1}" for i in range(d)), (u,) * d)


def test_saltelli_design_layout():
    """SALib's row layout: per base row A, AB_1..AB_d, B (AB_i: A with column i from B)."""
    p = _pi_problem()
    X = sobol.sample(p, 16, seed=0)
    assert X.shape == (16 * 5, 3) == (sobol.n_rows(16, 3), 3)
    rows = X.reshape(16, 5, 3)
    A_, B_ = rows[:, 0], rows[:, -1]
    for i in range(3):
        AB = rows[:, 1 + i]
        np.testing.assert_array_equal(AB[:, i], B_[:, i])
        others = [j for j in range(3) if j != i]
        np.testing.assert_array_equal(AB[:, others], A_[:, others])


def test_ishigami_indices_within_ci_and_tolerance():
    p = _pi_problem()
    X = sobol.sample(p, 2**13, seed=42)
    res = sobol.analyze(p, ishigami(X), n_boot=200, seed=1)
    S1, ST = ishigami_indices()
    np.testing.assert_allclose(res.S1[:, 0], S1, atol=0.03)
    np.testing.assert_allclose(res.ST[:, 0], ST, atol=0.03)
    # the analytic values fall inside (slightly widened) bootstrap intervals
    assert np.all(res.S1_low[:, 0] - 0.01 <= S1) and np.all(S1 <= res.S1_high[:, 0] + 0.01)
    assert np.all(res.ST_low[:, 0] - 0.01 <= ST) and np.all(ST <= res.ST_high[:, 0] + 0.01)
    assert res.ranking() == [0, 1, 2]  # total effects: x1 > x2 > x3
    # intervals shrink with N
    small = sobol.analyze(p, ishigami(sobol.sample(p, 2**9, seed=42)), n_boot=200, seed=1)
    assert np.mean(small.ST_high - small.ST_low) > np.mean(res.ST_high - res.ST_low)


def test_agrees_with_scipy_sobol_indices():
    p = _pi_problem()
    X = sobol.sample(p, 2**12, seed=5)
    ours = sobol.analyze(p, ishigami(X), n_boot=10)
    ref = stats.sobol_indices(
        func=lambda x: ishigami(x.T),
        n=2**12,
        dists=[stats.uniform(-np.pi, 2 * np.pi)] * 3,
        rng=np.random.default_rng(5),
    )
    np.testing.assert_allclose(ours.S1[:, 0], ref.first_order, atol=0.04)
    np.testing.assert_allclose(ours.ST[:, 0], ref.total_order, atol=0.04)


def test_multiple_outputs_and_dummy_input():
    p = _pi_problem(4)  # x4 is not used by the function
    X = sobol.sample(p, 2**10, seed=3)
    Y = np.column_stack([ishigami(X), 2 * X[:, 3] * 0 + X[:, 0]])
    res = sobol.analyze(p, Y, n_boot=50)
    assert res.S1.shape == (4, 2)
    assert abs(res.ST[3, 0]) < 1e-12 and abs(res.S1[3, 0]) < 0.02
    np.testing.assert_allclose(res.ST[:, 1], [1, 0, 0, 0], atol=1e-9)


def test_sobol_rejects_bad_outputs():
    p = _pi_problem()
    Y = ishigami(sobol.sample(p, 16, 0))
    with pytest.raises(ValueError, match="multiple of d"):
        sobol.analyze(p, Y[:-1])
    Y[3] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        sobol.analyze(p, Y)


def test_constant_output_gives_zero_indices():
    p = _pi_problem()
    res = sobol.analyze(p, np.ones(16 * 5), n_boot=5)
    assert np.all(res.S1 == 0) and np.all(res.ST == 0)


def test_morris_ranks_linear_function():
    u = from_spec({"dist": "uniform", "low": 0, "high": 1})
    lg = from_spec({"dist": "discrete", "levels": [0, 1]})
    p = Problem(("a", "b", "c", "d"), (u, u, u, lg))
    X = morris.sample(p, 40, seed=2)
    assert X.shape == (40 * 5, 4)
    Y = 10 * X[:, 0] + 1 * X[:, 1] + 0 * X[:, 2] + 3 * X[:, 3] + 2 * X[:, 0] * X[:, 1]
    res = morris.analyze(p, X, Y, seed=0)
    assert res.ranking()[:2] == [0, 3]
    assert res.mu_star[2, 0] == pytest.approx(0.0, abs=1e-12)
    # linear input without interactions: mu* equals |coef| * (range) and sigma small
    assert res.mu_star[0, 0] == pytest.approx(10 + 2 * X[:, 1].mean(), rel=0.15)
    assert res.sigma[2, 0] == pytest.approx(0.0, abs=1e-12)
    assert res.sigma[1, 0] > 0  # interaction with a


def test_morris_bad_input():
    p = _pi_problem()
    with pytest.raises(ValueError, match="even integer"):
        morris.sample(p, 4, 0, levels=3)
    with pytest.raises(ValueError, match="matching rows"):
        morris.analyze(p, np.zeros((7, 3)), np.zeros(7))


def test_large_offset_does_not_blow_up_intervals():
    """Outputs like gap ratios have a mean far above their spread: indices and CIs must not
    depend on the offset (the estimator works on centred outputs)."""
    p = _pi_problem()
    X = sobol.sample(p, 2**10, seed=9)
    a = sobol.analyze(p, ishigami(X), n_boot=100, seed=2)
    b = sobol.analyze(p, ishigami(X) + 1e4, n_boot=100, seed=2)
    np.testing.assert_allclose(a.S1, b.S1, atol=1e-9)
    np.testing.assert_allclose(a.S1_high - a.S1_low, b.S1_high - b.S1_low, atol=1e-9)
    assert np.all(b.S1_high - b.S1_low < 0.2)


def test_sensitivity_bars_show_direction_and_size():
    """Bars are red where a higher input raises the output, blue where it lowers it, and
    each is labelled with the signed effect in the output's units (top vs bottom fifth)."""
    from aigap.analysis.plots import LOWERS, RAISES, effect_sizes, format_effect, plot_indices
    from matplotlib.colors import to_hex

    rng = np.random.default_rng(0)
    X = rng.random((4000, 3))
    Y = np.column_stack([2e9 * X[:, 0] - 1e9 * X[:, 1], 30 * X[:, 1]])  # input 3: no effect
    eff = effect_sizes(X, Y)
    assert eff[0, 0] == pytest.approx(2e9 * 0.8, rel=0.05)  # mean of top - bottom fifth
    assert eff[1, 0] == pytest.approx(-1e9 * 0.8, rel=0.05) and abs(eff[2, 0]) < 0.05e9
    assert format_effect(eff[1, 0], "Model ARR[US]@2030", "USD/Year").startswith("-$")
    assert format_effect(0.0312, "Return on AI Capital[US]@2030", "1/Year") == "+3.12 pp/yr"
    assert format_effect(17.8, "Model ARR Gap Ratio@2030") == "+17.8"
    total = np.abs(eff) / np.abs(eff).max(axis=0)
    err = np.zeros((2, 3, 2))
    fig = plot_indices(
        None,
        ["a", "b", "c"],
        ["Model ARR[US]@2030", "Model ARR Gap Ratio@2030"],
        None,
        None,
        total,
        err,
        "t",
        effects=eff,
        units=["USD/Year", ""],
    )
    ax = fig.axes[0]
    colours = {to_hex(p.get_facecolor()) for p in ax.patches}
    assert {RAISES, LOWERS} <= colours
    texts = [t.get_text().replace("\\$", "$") for t in ax.texts]
    assert any(t.startswith("+$1.6") for t in texts) and any(t.startswith("-$") for t in texts)


def test_fan_chart_draws_the_scenario_as_written():
    """A sweep's fans carry the base scenario's own line (dash-dotted, labelled)."""
    from aigap.analysis.plots import plot_fan_panels
    from aigap.engine import SimulationResult

    t = np.linspace(2024, 2031, 29)
    runs = np.random.default_rng(1).lognormal(0, 0.2, (50, 1)) * (20 + t - 2024)[None]
    base = SimulationResult(
        time=t,
        data={"ARR Gap Ratio": (20 + t - 2024)[None]},
        dims={"ARR Gap Ratio": ("run", "time")},
        coords={},
        n_runs=1,
    )
    fig = plot_fan_panels(
        None,
        t,
        {"ARR Gap Ratio": runs},
        {"ARR Gap Ratio": ("run", "time")},
        {},
        ["ARR Gap Ratio"],
        {},
        gap=True,
        base=base,
        base_label="'baseline' as written",
    )
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_label() == "'baseline' as written"]
    assert line.get_linestyle() == "-." and np.allclose(line.get_ydata(), 20 + t - 2024)
    assert "'baseline' as written" in [x.get_text() for x in fig.legends[0].get_texts()]


def test_morris_numbers_print_with_units():
    """Morris statistics print in the output's unit at three significant figures: ratio
    points for gap ratios, pp/yr for rates, $ for money; round-off (4.9e-15) prints 0."""
    from aigap.analysis.sensitivity_job import output_quantity

    assert output_quantity(17.84, "Model ARR Gap Ratio@2030", "Dmnl") == "17.8"
    assert output_quantity(0.03106, "Return on AI Capital[US]@2030", "1/Year") == "3.11 pp/yr"
    assert output_quantity(4.903e-15, "Return on AI Capital[US]@2030", "1/Year") == "0"
    assert output_quantity(-1.2e9, "Model ARR[CN]@2030", "USD/Year") == "-$1.20B/yr"
    assert output_quantity(0.3123, "log10 Model ARR[CN]@2030", "USD/Year") == "0.312 log10"


def test_sensitivity_labels_of_negligible_inputs_are_grey():
    from aigap.analysis.plots import plot_indices

    total = np.array([[1.0], [0.5], [0.001]])
    fig = plot_indices(
        None,
        ["a", "b", "c"],
        ["Model ARR Gap Ratio@2030"],
        None,
        None,
        total,
        np.zeros((2, 3, 1)),
        "t",
        effects=np.array([[5.0], [-2.0], [-3.3]]),
        units=[""],
    )
    by_text = {t.get_text(): t for t in fig.axes[0].texts}
    assert by_text["-3.30"].get_style() == "italic" and by_text["+5.00"].get_style() == "normal"
