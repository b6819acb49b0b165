"""Plot helpers: log scale where values span decades, money ticks, PNGs that are real images."""

import matplotlib.image as mpimg
import numpy as np
import pytest

from aigap.plotting import plot_fit, plot_key_variables
from aigap.plotting.style import _money, axes_grid, format_axis, scenario_colors
from aigap.workflow.summary import format_value


@pytest.mark.parametrize(
    "values, unit, scale",
    [
        (np.geomspace(1e9, 1e12, 20), "USD/Year", "log"),
        (np.linspace(0.1, 0.5, 20), "1/Year", "linear"),
        (np.linspace(-1, 1e6, 20), "Person", "linear"),  # non-positive values: never log
    ],
)
def test_log_scale_when_values_span_decades(values, unit, scale):
    fig, (ax,) = axes_grid(1)
    ax.plot(values)
    format_axis(ax, unit, values)
    assert ax.get_yscale() == scale and ax.get_ylabel() == unit


def test_number_formats():
    assert _money(2.5e12) == "$2.5T" and _money(5e8) == "$500M"
    assert format_value(8.47e9, "USD/Year") == "$8.47B"
    assert format_value(0.146, "1/Year") == "14.6%/yr"
    assert format_value(26.8, "Dmnl", ratio=True) == "26.8x"
    assert format_value(2080.4, "Dmnl", ratio=True) == "2,080x"
    assert format_value(4.39e6, "Person") == "4.39M"
    assert format_value(float("nan"), "USD") == "n/a"


def test_reference_scenario_is_black():
    colors = scenario_colors(["baseline", "a", "b"])
    assert colors["baseline"] == "black" and colors["a"] != colors["b"]


def test_pngs_are_images(tmp_path):
    from aigap.engine import SimulationResult

    t = np.linspace(2024, 2031, 29)
    arr = np.stack([1e10 * np.exp(0.5 * (t - 2024)), 1e9 * np.exp(0.3 * (t - 2024))], -1)[None]
    res = SimulationResult(
        time=t,
        data={"Total AI ARR": arr},
        dims={"Total AI ARR": ("run", "time", "Region")},
        coords={"Region": ("US", "CN")},
        n_runs=1,
    )
    plot_key_variables(tmp_path / "k.png", {"a": res, "b": res}, {"Total AI ARR": "USD/Year"})
    img = mpimg.imread(tmp_path / "k.png")
    assert img.shape[0] > 200 and img.shape[1] > 300 and img.std() > 0.01
    import pandas as pd

    fit = pd.DataFrame(
        [
            {
                "id": "x",
                "variable": "Total AI ARR",
                "region": "US",
                "time": 2026.0,
                "kind": "point",
                "observed": 3e10,
                "low": np.nan,
                "high": np.nan,
                "simulated": 4e10,
                "pct_error": 33.3,
                "tolerance": 0.25,
                "passed": False,
            }
        ]
    )
    plot_fit(tmp_path / "f.png", fit)
    assert mpimg.imread(tmp_path / "f.png").shape[0] > 100


def test_plots_return_figures_with_year_end_labels_and_data_end(tmp_path):
    """plot_* return the matplotlib Figure (path=None writes nothing); gap panels label the
    first scenario's year-end 2026-2030 values; a dashed line marks where the data end."""
    from matplotlib.figure import Figure

    from aigap.engine import compile_model
    from aigap.plotting import plot_gap_ratios
    from aigap.workflow.runner import find_model
    from aigap.workflow.summary import YEARS, format_value, year_end

    cm = compile_model(find_model())
    res = cm.simulate(outputs=["ARR Gap Ratio", "Model ARR Gap Ratio", "Return Gap Ratio"])
    fig = plot_gap_ratios(None, {"baseline": res}, {}, data_end_time=2026.5)
    assert isinstance(fig, Figure) and not list(tmp_path.iterdir())
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert [format_value(float(year_end(res, "ARR Gap Ratio", y)), ratio=True) for y in YEARS] == [
        x for x in labels if x.endswith("x") and " " not in x
    ]
    assert any(x.startswith("model July 2026: ") for x in labels)  # the value at data end
    assert any(list(line.get_xdata()) == [2026.5, 2026.5] for line in ax.lines)
    out = tmp_path / "g.png"
    assert isinstance(plot_gap_ratios(out, {"baseline": res}, {}), Figure) and out.is_file()


def _fit_table():
    import pandas as pd

    rows = []
    for k, (err, kind, sample) in enumerate(
        [
            (0.05, "point", "in"),
            (-0.18, "point", "in"),
            (40.0, "lower", "in"),
            (0.12, "point", "out"),
        ]
    ):
        rows.append(
            {
                "id": f"o{k}",
                "variable": "Model ARR",
                "region": "US",
                "time": 2025.0 + 0.5 * k,
                "kind": kind,
                "observed": 1e10,
                "low": np.nan,
                "high": np.nan,
                "simulated": 1e10 * (1 + err),
                "pct_error": 100 * err,
                "tolerance": 0.25,
                "passed": True,
                "sample": sample,
            }
        )
    return pd.DataFrame(rows)


def test_fit_plot_relative_error_on_a_linear_core_and_held_out_marked():
    """fit.png: x is the % error on a symlog axis linear within +-100%, so +5% and -18% sit
    visibly apart from 0; held-out rows are labelled and open; times in words."""
    fit = _fit_table()
    fig = plot_fit(None, fit, title="t")
    ax = fig.axes[0]
    assert ax.get_xscale() == "symlog" and ax.get_xlim()[0] == -100
    xs = {round(float(line.get_xdata()[0]), 6) for line in ax.lines if len(line.get_xdata())}
    assert {5.0, -18.0, 12.0} <= {round(x, 6) for x in xs}
    disp = ax.transData.transform([(-18.0, 0), (0.0, 0), (5.0, 0)])[:, 0]
    width = ax.bbox.width
    assert disp[1] - disp[0] > 0.04 * width and disp[2] - disp[1] > 0.01 * width
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].endswith("held out") and "year-end 2024" in labels[-1]
    assert "held-out" in ax.get_title()
    clipped = [line for line in ax.lines if line.get_marker() == ">"]  # +4,000%: at the edge
    assert len(clipped) == 1 and clipped[0].get_xdata()[0] < ax.get_xlim()[1]
    assert "ok (+4,000%)" in [t.get_text() for t in ax.texts]
    open_marker = [line for line in ax.lines if abs(line.get_xdata()[0] - 12.0) < 1e-9][0]
    assert open_marker.get_markerfacecolor() == "white"


def test_gap_plot_marks_the_observed_gap_and_hides_coinciding_scenarios():
    """gap_ratios.png: the gap implied by paired US/CN point observations is drawn with its
    month; key_variables.png does not draw a scenario that lies on the baseline line."""
    from aigap.engine import SimulationResult
    from aigap.observations import Observation, Observations
    from aigap.plotting import plot_gap_ratios
    from aigap.plotting.timeseries import observed_gaps

    obs = Observations(
        "x",
        (
            Observation("u", "Model ARR", "US", 2026.41, "point", value=4.7e10, share=0.6),
            Observation("c", "Model ARR", "CN", 2026.4, "point", value=2.5e8, share=0.22),
        ),
    )
    gaps = observed_gaps(obs)
    assert list(gaps) == ["Model ARR Gap Ratio"]
    t, ratio, lo, hi = gaps["Model ARR Gap Ratio"]
    assert ratio == pytest.approx((4.7e10 / 0.6) / (2.5e8 / 0.22)) and lo < ratio < hi
    tt = np.linspace(2024, 2031, 29)
    gap = SimulationResult(
        time=tt,
        data={"Model ARR Gap Ratio": (60 + 0 * tt)[None]},
        dims={"Model ARR Gap Ratio": ("run", "time")},
        coords={},
        n_runs=1,
    )
    fig = plot_gap_ratios(None, {"baseline": gap}, {}, observations=obs)
    texts = [x.get_text() for x in fig.axes[0].texts]
    assert f"observed May 2026: {format_value(ratio, ratio=True)}" in texts
    arr = np.stack([1e10 * np.exp(0.5 * (tt - 2024)), 1e9 * np.exp(0.3 * (tt - 2024))], -1)
    res = {
        s: SimulationResult(
            time=tt,
            data={"Total AI ARR": (arr * f)[None]},
            dims={"Total AI ARR": ("run", "time", "Region")},
            coords={"Region": ("US", "CN")},
            n_runs=1,
        )
        for s, f in (("baseline", 1.0), ("same", 1.001), ("other", 1.5))
    }
    ax = plot_key_variables(None, res, {"Total AI ARR": "USD/Year"}).axes[0]
    assert len([line for line in ax.lines if line.get_label() == "same"]) == 0
    assert len([line for line in ax.lines if line.get_label() == "other"]) == 2
    assert "on the baseline line (US: 1 of 2; CN: 1 of 2)" in [x.get_text() for x in ax.texts]
