"""Policy-search methods on closed-form cases: robustness statistics, regret, satisficing,
Pareto ranks, crowding, DE and NSGA-II optima, lever paths, integrals."""

import numpy as np
import pytest

from aigap.analysis import policy as pm
from aigap.analysis.policy import Statistic

# 3 policies x 4 worlds (a gap: smaller is better)
V = np.array([[10.0, 20.0, 30.0, 40.0], [15.0, 15.0, 15.0, 15.0], [5.0, 25.0, 35.0, 60.0]])


def test_mean_median_percentile_worst():
    assert pm.robust_statistic(V, Statistic("mean")).tolist() == [25.0, 15.0, 31.25]
    assert pm.robust_statistic(V, Statistic("median")).tolist() == [25.0, 15.0, 30.0]
    np.testing.assert_allclose(pm.robust_statistic(V, Statistic("percentile", q=100)), [40, 15, 60])
    np.testing.assert_allclose(pm.robust_statistic(V, Statistic("percentile", q=50)), [25, 15, 30])
    assert pm.robust_statistic(V, Statistic("worst"), "min").tolist() == [40, 15, 60]
    assert pm.robust_statistic(V, Statistic("worst"), "max").tolist() == [10, 15, 5]


def test_regret_against_best_policy_per_world():
    # best per world: 5, 15, 15, 15
    R = pm.regret(V, "min")
    np.testing.assert_array_equal(R, [[5, 5, 15, 25], [10, 0, 0, 0], [0, 10, 20, 45]])
    assert pm.robust_statistic(V, Statistic("regret", of="max")).tolist() == [25, 10, 45]
    assert pm.robust_statistic(V, Statistic("regret", of="mean")).tolist() == [12.5, 2.5, 18.75]
    # maximising: regret = best - value; an explicit reference overrides the set's best
    Rmax = pm.regret(V, "max", reference=np.array([100.0, 100, 100, 100]))
    assert Rmax[1].tolist() == [85, 85, 85, 85]
    # minimax regret picks the steady policy; mean picks it too; best-case would not
    loss = pm.to_loss(
        pm.robust_statistic(V, Statistic("regret", of="max")), Statistic("regret"), "min"
    )
    assert int(np.argmin(loss)) == 1


def test_satisficing_share_and_loss_sign():
    st = Statistic("satisfice", op="<", threshold=20)
    share = pm.robust_statistic(V, st)
    assert share.tolist() == [0.25, 1.0, 0.25]
    assert pm.to_loss(share, st, "min").tolist() == [-0.25, -1.0, -0.25]
    v = V.copy()
    v[1, 0] = np.nan  # a failed run never satisfies
    assert pm.robust_statistic(v, st)[1] == 0.75


def test_non_finite_outcomes_are_left_out_or_nan():
    v = V.copy()
    v[0, 3] = np.inf
    v[2, :] = np.nan
    out = pm.robust_statistic(v, Statistic("mean"))
    assert out[0] == 20.0 and out[1] == 15.0 and np.isnan(out[2])


def test_to_loss_by_sense():
    s = np.array([1.0, 2.0])
    assert pm.to_loss(s, Statistic("mean"), "max").tolist() == [-1.0, -2.0]
    assert pm.to_loss(s, Statistic("mean"), "min").tolist() == [1.0, 2.0]


def test_pareto_front_of_known_points():
    F = np.array([[1, 5], [2, 3], [3, 4], [4, 1], [2, 3], [5, 5], [0.5, 6]])
    assert pm.pareto_mask(F).tolist() == [True, True, False, True, True, False, True]
    rank = pm.nondominated_sort(F)
    assert rank.tolist() == [0, 0, 1, 0, 0, 2, 0]


def test_constraint_domination():
    F = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 1.0]])
    rank = pm.nondominated_sort(F, cv=np.array([2.0, 0.0, 1.0]))
    assert rank.tolist() == [2, 0, 1]  # feasible first, then by violation


def test_nsga2_one_batch_per_generation_and_identical_replay():
    """pymoo's NSGA-II asks for the whole population at once, and the same seed asks for
    the same batches (what the job's resume relies on)."""

    def run(seed):
        batches, seen = [], []

        def evaluate(X):
            batches.append(X.copy())
            f = np.column_stack([X[:, 0], (1 + X[:, 1]) * (1 - np.sqrt(X[:, 0]))])
            return f, np.zeros(len(X))

        out = pm.nsga2(
            evaluate,
            [(0, 1), (0, 2)],
            11,
            5,
            np.random.default_rng(seed),
            on_generation=lambda g, X, F, CV: seen.append((g, len(X))),
        )
        return batches, seen, out

    b1, seen, (X, F, _) = run(4)
    b2, _, (X2, F2, _) = run(4)
    b3, _, _ = run(5)
    assert seen == [(g, 12) for g in range(6)] and len(b1) == 6  # pop rounded to even
    assert all(b.shape == (12, 2) for b in b1)
    assert all(np.array_equal(a, b) for a, b in zip(b1, b2, strict=True))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(F, F2)
    assert not np.array_equal(b1[0], b3[0])
    assert (X[:, 0] >= 0).all() and (X[:, 1] <= 2).all()


def test_de_finds_quadratic_optimum_under_a_constraint():
    c = np.array([0.3, -0.7, 0.5])
    calls = []

    def evaluate(X):
        calls.append(X.shape[0])
        f = ((X - c) ** 2).sum(axis=1)
        cv = np.maximum(X[:, 2] - 0.2, 0.0)  # x3 <= 0.2: optimum moves to the bound
        return f[:, None], cv

    res = pm.differential_evolution(
        evaluate, [(-1, 1)] * 3, 30, 200, np.random.default_rng(3), tol=1e-10
    )
    np.testing.assert_allclose(res.x, [0.3, -0.7, 0.2], atol=2e-3)
    assert len(set(calls)) == 1 and calls[0] == 30  # one call per generation


def test_de_is_deterministic_in_the_seed():
    def evaluate(X):
        return (np.abs(X - 0.25).sum(axis=1))[:, None], np.zeros(len(X))

    a = pm.differential_evolution(evaluate, [(0, 1)] * 2, 10, 15, np.random.default_rng(5))
    b = pm.differential_evolution(evaluate, [(0, 1)] * 2, 10, 15, np.random.default_rng(5))
    np.testing.assert_array_equal(a.x, b.x)


def test_nsga2_front_matches_the_analytic_front():
    def evaluate(X):
        f1 = X[:, 0] ** 2 + X[:, 1] ** 2
        f2 = (X[:, 0] - 1) ** 2 + X[:, 1] ** 2
        return np.column_stack([f1, f2]), np.zeros(len(X))

    X, F, _ = pm.nsga2(evaluate, [(0, 1), (0, 1)], 40, 60, np.random.default_rng(11))
    front = pm.pareto_mask(F)
    assert front.sum() >= 30
    np.testing.assert_allclose(np.sqrt(F[front, 0]) + np.sqrt(F[front, 1]), 1.0, atol=0.02)
    assert np.median(X[front, 1]) < 0.005 and X[front, 1].max() < 0.08
    assert X[front, 0].min() < 0.1 and X[front, 0].max() > 0.9  # spread over the front


def test_nsga2_respects_constraints():
    def evaluate(X):
        f = np.column_stack([X[:, 0], 1 - X[:, 0] + X[:, 1]])
        return f, np.maximum(0.4 - X[:, 0], 0.0)  # x1 >= 0.4

    X, _, CV = pm.nsga2(evaluate, [(0, 1), (0, 1)], 20, 30, np.random.default_rng(2))
    assert (CV == 0).all() and X[:, 0].min() >= 0.4 - 1e-12


def test_penalised_ranks_infeasible_last():
    p = pm.penalised(np.array([3.0, 1.0, np.nan]), np.array([0.0, 0.5, 0.0]))
    assert p[0] == 3.0 and p[1] > 1e5 and p[2] > 1e5


def test_lever_path_step_and_ramp():
    grid = np.array([2024.0, 2026.0 - 1e-6, 2026.0, 2027.0, 2028.0, 2030.0])
    base = np.array([0.1, 0.1, 0.1, 0.1, 0.3, 0.3])  # base itself rises after 2027
    step = pm.lever_path(grid, base, np.array([2026.0 - 1e-6]), np.array([2026.0]), np.array([0.9]))
    np.testing.assert_allclose(step[0], [0.1, 0.1, 0.9, 0.9, 0.9, 0.9])
    ramp = pm.lever_path(
        grid, base, np.array([2026.0, 2027.0]), np.array([2028.0, 2028.0]), np.array([0.5, 0.7])
    )
    np.testing.assert_allclose(ramp[0], [0.1, 0.1, 0.1, 0.3, 0.5, 0.5])
    np.testing.assert_allclose(ramp[1], [0.1, 0.1, 0.1, 0.1, 0.7, 0.7])


def test_integral_of_a_line():
    t = np.linspace(2024, 2031, 29)
    v = np.vstack([2 * t - 4000, np.ones_like(t)])
    got = pm.integral(v, t, 2026.1, 2030.0)
    exact = (2030.0**2 - 2026.1**2) - 4000 * (2030.0 - 2026.1)
    np.testing.assert_allclose(got, [exact, 3.9])


def test_lever_spread():
    X = np.column_stack([np.linspace(0, 1, 11), np.full(11, 0.5)])
    np.testing.assert_allclose(pm.lever_spread(X, [(0, 1), (0, 2)]), [0.8, 0.0])


@pytest.mark.parametrize(
    "stat,label",
    [
        (Statistic("percentile", q=90), "p90"),
        (Statistic("regret", of="max"), "regret max"),
        (Statistic("satisfice", op="<", threshold=20), "share < 20"),
    ],
)
def test_labels(stat, label):
    assert stat.label == label
