"""PRIM on synthetic data with a known box."""

import numpy as np
import pytest

from aigap.analysis import prim


def _data(n=3000, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 5))
    y = (X[:, 0] > 0.6) & (X[:, 2] < 0.3)  # the true box: x0 > 0.6, x2 < 0.3
    if noise:
        flip = rng.random(n) < noise
        y = np.where(flip, ~y, y)
    return X, y


@pytest.mark.parametrize("objective", ["lenient", "original"])
def test_peeling_finds_the_known_box(objective):
    X, y = _data()
    traj = prim.peel(X, y, alpha=0.05, min_mass=0.02, objective=objective)
    assert traj[0].coverage == 1.0 and traj[0].density == y.mean()
    dens = [b.density for b in traj]
    assert all(b >= a - 1e-12 for a, b in zip(dens, dens[1:]))  # peeling never lowers density
    k = prim.select(traj, min_coverage=0.8)
    box = prim.paste(X, y, traj[k])
    assert set(box.restricted) == {0, 2}
    assert abs(box.limits[0, 0] - 0.6) < 0.05 and abs(box.limits[2, 1] - 0.3) < 0.05
    assert box.density > 0.9 and box.coverage > 0.8


def test_box_is_robust_to_label_noise_and_restrictions_report():
    X, y = _data(noise=0.05, seed=1)
    boxes = prim.find_boxes(X, y, max_boxes=1, min_coverage=0.7)
    assert len(boxes) == 1
    traj, k, box = boxes[0]
    assert set(box.restricted) == {0, 2}  # pruning drops restrictions that barely matter
    rows = {r["index"]: r for r in prim.restrictions(X, y, box)}
    for j in (0, 2):  # dropping a true restriction hurts density
        assert rows[j]["density_without"] < box.density - 0.2


def test_covering_finds_two_boxes():
    rng = np.random.default_rng(3)
    X = rng.random((6000, 4))
    y = ((X[:, 0] > 0.5) & (X[:, 1] > 0.5)) | ((X[:, 2] < 0.25) & (X[:, 3] < 0.25))
    boxes = prim.find_boxes(X, y, max_boxes=3, min_coverage=0.6)
    assert len(boxes) >= 2
    found = [tuple(sorted(b.restricted)) for _, _, b in boxes[:2]]
    assert found == [(0, 1), (2, 3)]
    assert all(b.density > 0.8 for _, _, b in boxes[:2])


def test_no_signal_gives_no_box():
    rng = np.random.default_rng(4)
    X = rng.random((2000, 3))
    y = rng.random(2000) < 0.3
    assert prim.find_boxes(X, y, max_boxes=2, min_coverage=0.5) == []


def test_lenient_objective_resists_coarse_discrete_peels():
    """A 3-level discrete input that barely matters must not be peeled first just because
    dropping a whole level raises density a little."""
    rng = np.random.default_rng(5)
    n = 3000
    X = np.column_stack([rng.random(n), rng.choice([0.3, 0.5, 0.8], n)])
    u = rng.random(n)
    y = ((X[:, 0] > 0.6) & (u < 0.8)) | ((X[:, 1] != 0.3) & (u < 0.15))
    assert prim.peel(X, y, objective="original")[1].restricted == (1,)  # drops a level
    assert prim.peel(X, y, objective="lenient")[1].restricted == (0,)
    with pytest.raises(ValueError, match="objective"):
        prim.peel(X, y, objective="greedy")


def test_prune_drops_irrelevant_restrictions():
    rng = np.random.default_rng(7)
    X = rng.random((4000, 3))
    y = X[:, 0] > 0.5
    full = np.array([[0.0, 1.0]] * 3)
    limits = np.array([[0.5, 1.0], [0.0, 0.9], [0.1, 1.0]])  # x1, x2 limits do not matter
    box = prim._stats(X, y, limits, int(y.sum()), len(y), full)
    assert box.restricted == (0, 1, 2)
    pruned = prim.prune(X, y, box, tol=0.02, full=full)
    assert pruned.restricted == (0,)
    assert pruned.coverage > box.coverage and pruned.density == pytest.approx(1.0)
    # a restriction that matters is kept
    assert prim.prune(X, y, box, tol=0.0, full=full).restricted == (0,)


def test_box_plot_log_inputs_and_readable_units():
    """PRIM box plot: a log-uniform input is placed on a log scale within its sampled range
    and its limits read as money ($1.00B), not 1e+09; the discover text uses the same."""
    from types import SimpleNamespace

    from aigap.analysis.plots import plot_box
    from aigap.core.formatting import format_quantity

    full = np.array([[1e8, 1e10], [0.0, 1.0]])
    box = SimpleNamespace(restricted=(0, 1), limits={0: (1e9, 1e10), 1: (0.2, 0.6)})
    fig = plot_box(
        None, ["Budget", "Share"], box, full, "t", units={"Budget": "USD"}, log_inputs={"Budget"}
    )
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_facecolor()[1] < 0.5]
    assert [round(p.get_x(), 6) for p in bars] == [0.5, 0.2]  # 1e9 is half-way in log space
    assert "\\$1.00B" in ax.texts[0].get_text()  # escaped: two $ are not mathtext
    texts = [t.get_text().replace("\\$", "$") for t in ax.texts]
    assert texts[0] == "$1.00B .. $10.0B  (of $100M .. $10.0B, log scale)"
    assert texts[1] == "0.200 .. 0.600  (of 0 .. 1.00)"
    assert format_quantity(9.978e10, "USD") == "$99.8B"
    assert format_quantity(4.903e-15, "") == "4.90e-15"
    assert format_quantity(0.124, "1/Year") == "12.4%/yr"
    assert format_quantity(-2e6, "USD/Year") == "-$2.00M/yr"
