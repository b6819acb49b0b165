"""Distributions (quantiles), samplers (LHS stratification, Sobol balance, grid)."""

import numpy as np
import pytest
from scipy import stats

from aigap.analysis.distributions import DistributionError, from_spec
from aigap.analysis.problem import Problem, split_label
from aigap.analysis.samplers import SamplerError, check_sampler, sample, unit_sample

U = np.array([0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0])


def test_uniform_and_loguniform_quantiles():
    d = from_spec({"dist": "uniform", "low": 2.0, "high": 6.0})
    np.testing.assert_allclose(d.ppf(U), 2 + 4 * U)
    lg = from_spec({"dist": "loguniform", "low": 1e8, "high": 1e10})
    np.testing.assert_allclose(lg.ppf(0.5), 1e9)
    np.testing.assert_allclose(lg.cdf(lg.ppf(U)), U, atol=1e-12)


def test_triangular_and_truncnormal_match_scipy():
    t = from_spec({"dist": "triangular", "low": 0, "mode": 0.3, "high": 1})
    np.testing.assert_allclose(t.ppf(U), stats.triang.ppf(U, 0.3, loc=0, scale=1))
    # median of a symmetric triangle is its mode
    assert from_spec({"dist": "triangular", "low": 1, "mode": 2, "high": 3}).ppf(0.5) == 2
    tn = from_spec({"dist": "truncnormal", "mean": 0.5, "sd": 0.2, "low": 0.0, "high": 2.0})
    x = tn.ppf(U)
    assert x[0] == pytest.approx(0.0) and x[-1] == pytest.approx(2.0)
    assert np.all(np.diff(x) > 0)
    np.testing.assert_allclose(tn.cdf(x), U, atol=1e-9)
    # a wide truncation recovers the normal quantiles
    wide = from_spec({"dist": "truncnormal", "mean": 1, "sd": 1, "low": -50, "high": 50})
    np.testing.assert_allclose(wide.ppf(0.975), 1 + 1.959964, atol=1e-5)


def test_discrete_levels_with_weights():
    d = from_spec({"dist": "discrete", "levels": [0.8, 0.2, 0.5], "weights": [1, 1, 2]})
    assert d.params["levels"] == (0.2, 0.5, 0.8)
    np.testing.assert_allclose(d.probabilities, [0.25, 0.5, 0.25])
    u = np.random.default_rng(0).random(40000)
    x = d.ppf(u)
    assert set(np.unique(x)) == {0.2, 0.5, 0.8}
    np.testing.assert_allclose(
        [(x == v).mean() for v in (0.2, 0.5, 0.8)], [0.25, 0.5, 0.25], atol=0.01
    )


@pytest.mark.parametrize(
    "spec, msg",
    [
        ({"dist": "normal", "mean": 0}, "'dist' must be one of"),
        ({"dist": "uniform", "low": 1}, "needs 'high'"),
        ({"dist": "uniform", "low": 1, "high": 0}, "low < high"),
        ({"dist": "uniform", "low": 0, "high": 1, "mode": 0.5}, "unknown key 'mode'"),
        ({"dist": "loguniform", "low": 0, "high": 1}, "low > 0"),
        ({"dist": "triangular", "low": 0, "mode": 2, "high": 1}, "low <= mode <= high"),
        ({"dist": "truncnormal", "mean": 0, "sd": -1, "low": 0, "high": 1}, "sd > 0"),
        ({"dist": "uniform", "low": "a", "high": 1}, "must be a number"),
        ({"dist": "discrete", "levels": []}, "non-empty list"),
        ({"dist": "discrete", "levels": [1, 2], "weights": [1]}, "one per level"),
        ("uniform", "must be a mapping"),
    ],
)
def test_bad_specs(spec, msg):
    with pytest.raises(DistributionError, match=msg):
        from_spec(spec)


def _problem(d):
    return Problem(
        tuple(f"x{i}" for i in range(d)),
        tuple(from_spec({"dist": "uniform", "low": 0, "high": 1}) for _ in range(d)),
    )


def test_lhs_is_stratified_in_every_dimension():
    n, d = 50, 4
    u = unit_sample("lhs", n, d, seed=3)
    for j in range(d):
        strata = np.floor(u[:, j] * n).astype(int)
        assert sorted(strata) == list(range(n))  # exactly one point per stratum


def test_sobol_sequence_is_balanced():
    n, d = 256, 3
    u = unit_sample("sobol", n, d, seed=1)
    for j in range(d):
        # a scrambled Sobol net puts exactly n/16 points in each of 16 equal bins
        counts = np.bincount(np.floor(u[:, j] * 16).astype(int), minlength=16)
        assert np.all(counts == n // 16)
    # and the 2-D projections are balanced on a 4x4 grid too
    cells = np.floor(u[:, :2] * 4).astype(int)
    counts = np.bincount(cells[:, 0] * 4 + cells[:, 1], minlength=16)
    assert np.all(counts == n // 16)


def test_same_seed_same_sample_other_seed_differs():
    p = _problem(3)
    for m in ("mc", "lhs", "sobol"):
        a, b = sample(p, 64, 7, m), sample(p, 64, 7, m)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, sample(p, 64, 8, m))


def test_grid_is_full_factorial_and_hits_discrete_levels():
    p = Problem(
        ("a", "b"),
        (
            from_spec({"dist": "uniform", "low": 0, "high": 1}),
            from_spec({"dist": "discrete", "levels": [1, 2, 5]}),
        ),
    )
    x = sample(p, None, 0, "grid", levels=4)
    assert x.shape == (12, 2)
    np.testing.assert_allclose(np.unique(x[:, 0]), [0.125, 0.375, 0.625, 0.875])
    assert set(x[:, 1]) == {1, 2, 5}


def test_sampler_checks():
    with pytest.raises(SamplerError, match="power of two"):
        check_sampler("sobol", 1000)
    with pytest.raises(SamplerError, match="one of"):
        check_sampler("halton", 10)
    with pytest.raises(SamplerError, match="positive integer"):
        check_sampler("lhs", 0)


def test_labels():
    assert split_label("Price War Intensity[CN]") == ("Price War Intensity", "CN")
    assert split_label("Capability Gap") == ("Capability Gap", None)


def test_empirical_distribution():
    d = from_spec({"dist": "empirical", "values": [3, 1, 2, 5]})
    assert (d.low, d.high) == (1.0, 5.0)
    np.testing.assert_array_equal(d.ppf(np.array([0.0, 0.2, 0.3, 0.6, 0.99])), [1, 1, 2, 3, 5])
    np.testing.assert_allclose(d.cdf(np.array([0.5, 1, 2.5, 5])), [0, 0.25, 0.5, 1])
    with pytest.raises(DistributionError, match="at least two"):
        from_spec({"dist": "empirical", "values": [1]})
