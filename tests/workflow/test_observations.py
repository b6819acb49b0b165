"""Observation files in the contract format and the fit report, on made-up numbers."""

import numpy as np
import pytest

from aigap.engine import SimulationResult
from aigap.observations import (
    ObservationError,
    fit_table,
    load_observations,
    loss,
    passes,
    residuals,
    simulated_matrix,
)

FIXTURE_OBS = "fixtures/scenarios/data/observations.yaml"


def fake_result(n_runs=1):
    """Model ARR[US] = 1e10 * (t - 2023); Model ARR[CN] = 1e9; gap ratio = 10 * (t - 2023)."""
    t = np.arange(2024, 2031.001, 0.25)
    us = 1e10 * (t - 2023)
    arr = np.stack([us, np.full_like(t, 1e9)], axis=-1)[None].repeat(n_runs, axis=0)
    arr = arr * np.arange(1, n_runs + 1)[:, None, None]
    return SimulationResult(
        time=t,
        data={"Model ARR": arr, "ARR Gap Ratio": arr[..., 0] / arr[..., 1]},
        dims={"Model ARR": ("run", "time", "Region"), "ARR Gap Ratio": ("run", "time")},
        coords={"Region": ("US", "CN")},
        n_runs=n_runs,
    )


def write_obs(tmp_path, body):
    path = tmp_path / "obs.yaml"
    path.write_text("observations:\n" + body, encoding="utf-8")
    return path


POINTS = """
  - {source: s, id: p_ok, variable: Model ARR, region: US, time: 2026.1, kind: point, value: 3.0e+10}
  - {source: s, id: p_share, variable: Model ARR, region: US, share: 0.5, time: 2025.0, value: 1.0e+10,
     tolerance: 0.1}
  - {source: s, id: p_bad, variable: Model ARR, region: CN, time: 2026.0, kind: point, value: 2.0e+9}
  - {source: s, id: lower_ok, variable: Model ARR, region: CN, time: 2026.0, kind: lower, value: 5.0e+8}
  - {source: s, id: upper_bad, variable: Model ARR, region: US, time: 2027.0, kind: upper, value: 2.0e+10}
  - {source: s, id: range_ok, variable: ARR Gap Ratio, region: null, time: 2025.5, kind: range,
     low: 20, high: 30, weight: 3}
  - {source: s, id: range_low, variable: ARR Gap Ratio, region: null, time: 2024.0, kind: range,
     low: 20, high: 30}
  - {source: s, id: context, variable: null, region: null, time: 2025.0, value: 58.1e9, unit: RMB}
"""


def test_fit_on_made_up_numbers(tmp_path):
    obs = load_observations(write_obs(tmp_path, POINTS))
    assert len(obs) == 8 and len(obs.fitted) == 7
    fit = fit_table(obs, fake_result()).set_index("id")
    # interpolation between saved times: 2026.1 -> 3.1e10
    assert fit.loc["p_ok", "simulated"] == pytest.approx(3.1e10)
    assert fit.loc["p_ok", "log_error"] == pytest.approx(np.log(3.1 / 3.0))
    assert fit.loc["p_ok", "pct_error"] == pytest.approx(100 * (3.1 / 3.0 - 1))
    assert fit.loc["p_share", "simulated"] == pytest.approx(1e10)  # 0.5 * 2e10
    assert fit.loc["p_bad", "log_error"] == pytest.approx(np.log(0.5))
    assert fit.loc["lower_ok", "log_error"] == 0
    assert fit.loc["upper_bad", "log_error"] == pytest.approx(np.log(4e10 / 2e10))
    assert fit.loc["range_ok", "simulated"] == pytest.approx(25.0)
    assert fit.loc["range_low", "log_error"] == pytest.approx(np.log(10 / 20))
    assert fit.loc["range_low", "pct_error"] == pytest.approx(-50.0)
    assert dict(fit.passed) == {
        "p_ok": True,
        "p_share": True,
        "p_bad": False,
        "lower_ok": True,
        "upper_bad": False,
        "range_ok": True,
        "range_low": False,
    }


def test_vectorized_over_runs(tmp_path):
    obs = load_observations(write_obs(tmp_path, POINTS))
    res = fake_result(n_runs=3)
    sim = simulated_matrix(obs, res)
    assert sim.shape == (3, 7)
    np.testing.assert_allclose(sim[:, 0], [3.1e10, 6.2e10, 9.3e10])
    r = residuals(obs.fitted, sim)
    ok = passes(obs.fitted, r)
    assert ok.shape == (3, 7) and ok[0, 0] and not ok[2, 0]
    w = np.array([o.weight for o in obs.fitted])
    np.testing.assert_allclose(loss(obs.fitted, r), (w * r**2).sum(axis=1))


def test_fixture_file_validates_against_model(cm):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / FIXTURE_OBS
    obs = load_observations(path, model=cm)
    assert obs.currency["usd_per_rmb"] == 0.138
    assert [o.kind for o in obs.fitted] == ["point", "point", "lower", "upper", "range"]


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2026, kind: pont, value: 1}\n",
            "{f}:2: observations[a].kind: unknown kind 'pont' (allowed: point, lower, upper, range); "
            "did you mean 'point'?",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2026, kind: point}\n",
            "{f}:2: observations[a].value: missing required number",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2026, kind: range, low: 5, high: 2}\n",
            "{f}:2: observations[a].low: low is greater than high",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2026, value: -3}\n",
            "{f}:2: observations[a].value: expected a positive number, got a number (-3)",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: soon, value: 3}\n",
            "{f}:2: observations[a].time: expected a decimal year (e.g. 2026.4)",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2026, value: 3, wieght: 2}\n",
            "{f}:2: observations[a].wieght: unknown key; did you mean 'weight'?",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2026, value: 3}\n"
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2027, value: 3}\n",
            "{f}:3: observations[1].id: duplicate id 'a' (first on line 2)",
        ),
        (
            "  - {source: s, id: a, variable: Model AR, region: US, time: 2026, value: 3}\n",
            "{f}:2: observations[a].variable: unknown model variable 'Model AR'; "
            "did you mean 'Model ARR'?",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: EU, time: 2026, value: 3}\n",
            "{f}:2: observations[a].region: region must be one of US, CN for 'Model ARR', got 'EU'; "
            "did you mean 'US'?",
        ),
        (
            "  - {source: s, id: a, variable: ARR Gap Ratio, region: US, time: 2026, value: 3}\n",
            "{f}:2: observations[a].region: 'ARR Gap Ratio' is not subscripted; region must be null",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2026, value: 3, unit: RMB/Year}\n",
            "{f}:2: observations[a].unit: 'RMB/Year' differs from the unit of 'Model ARR' (USD/Year); "
            "convert the value",
        ),
        (
            "  - {source: s, id: a, variable: Model ARR, region: US, time: 2040, value: 3}\n",
            "{f}:2: observations[a].time: 2040 is outside the simulated period [2024, 2031]",
        ),
        # every number says where it comes from (README: "and its source")
        (
            "  - {id: a, variable: Model ARR, region: US, time: 2026, value: 3}\n",
            "{f}:2: observations[a].source: missing required source (e.g. {{file: article.txt, "
            'quote: "..."}})',
        ),
        (
            "  - {id: a, variable: null, region: null, time: 2026, value: 3, source: null}\n",
            "{f}:2: observations[a].source: missing required source (e.g. {{file: article.txt, "
            'quote: "..."}})',
        ),
        (
            "  - {id: a, variable: Model ARR, region: US, time: 2026, value: 3, source: {file: x}}\n",
            "{f}:2: observations[a].source.quote: missing required string",
        ),
        (
            "  - {id: a, variable: Model ARR, region: US, time: 2026, value: 3,\n"
            "     source: {file: x, quote: q, qoute: r}}\n",
            "{f}:3: observations[a].source.qoute: unknown key; did you mean 'quote'?",
        ),
        (
            "  - {id: a, variable: Model ARR, region: US, time: 2026, value: 3, source: [x]}\n",
            "{f}:2: observations[a].source: expected a citation string or a mapping {{file, quote}}, "
            "got a list",
        ),
    ],
)
def test_bad_observation_files(cm, tmp_path, body, message):
    path = write_obs(tmp_path, body)
    with pytest.raises(ObservationError) as info:
        load_observations(path, model=cm)
    assert [str(i) for i in info.value.issues] == [message.format(f=path)]


def test_bad_top_level(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("observation: []\n", encoding="utf-8")
    with pytest.raises(ObservationError) as info:
        load_observations(path)
    assert [str(i) for i in info.value.issues] == [
        f"{path}:1: observation: unknown top-level key (allowed: currency, observations, "
        f"description, notes); did you mean 'observations'?",
        f"{path}:1: observations: missing required key (a list of observations)",
    ]


def test_unit_spellings_accepted(cm, tmp_path):
    path = write_obs(
        tmp_path,
        "  - {source: s, id: a, variable: Model ARR, region: US, time: 2026, "
        "value: 3, unit: usd / yr}\n"
        "  - {source: s, id: b, variable: ARR Gap Ratio, region: null, time: 2026, "
        "value: 3, unit: dimensionless}\n",
    )
    assert len(load_observations(path, model=cm).fitted) == 2


BLOCK = """  - id: a
    description: block style, one key per line
    variable: {variable}
    region: {region}
    time: {time}
    value: 3
    unit: {unit}
    source: {{file: s.txt, quote: q}}
"""


@pytest.mark.parametrize(
    "change, line, key",
    [
        ({"variable": "Model AR"}, 4, "variable"),
        ({"region": "EU"}, 5, "region"),
        ({"variable": "ARR Gap Ratio", "unit": "Dmnl"}, 5, "region"),  # its unit is checked too
        ({"time": "2040"}, 6, "time"),
        ({"unit": "RMB/Year"}, 8, "unit"),
    ],
)
def test_model_check_errors_point_at_the_key_line(cm, tmp_path, change, line, key):
    """Errors found against the model name the key's own line, not the entry's `- id:`."""
    fields = {"variable": "Model ARR", "region": "US", "time": "2026", "unit": "USD/Year", **change}
    path = write_obs(tmp_path, BLOCK.format(**fields))
    with pytest.raises(ObservationError) as info:
        load_observations(path, model=cm)
    (issue,) = [str(i) for i in info.value.issues]
    assert issue.startswith(f"{path}:{line}: observations[a].{key}: "), issue


def test_duplicate_id_points_at_the_second_id(tmp_path):
    path = write_obs(
        tmp_path,
        "  - id: a\n    time: 2026\n    source: s\n  - time: 2027\n    id: a\n    source: s\n",
    )
    with pytest.raises(ObservationError) as info:
        load_observations(path)
    assert [str(i) for i in info.value.issues] == [
        f"{path}:6: observations[1].id: duplicate id 'a' (first on line 2)"
    ]
