"""SimulationResult: named axes, selection and the tidy table; metadata of a model."""

import numpy as np
import pytest

from aigap.engine import RUN, TIME, ParameterError, compile_model

from sdconf_helpers import write_mdl

MODEL = """
Capital[Region]= INTEG (
	Capex[Region],
		Initial Capital[Region])
	~	USD
	~	AI capital stock.
	|

Capex[Region]=
	Capex Share[Region] * Capital[Region]
	~	USD/Year
	~		|

Capex Share[Region]=
	0.1, 0.2
	~	1/Year [0, 1]
	~	Share of capital reinvested (source: test).
	|

Initial Capital[Region]=
	100, 50
	~	USD [0, ?]
	~		|

Gap Ratio=
	Capital[US] / Capital[CN]
	~	Dmnl
	~		|

Total Capital=
	SUM(Capital[Region!])
	~	USD
	~		|

Region:
	US, CN
	~	
	~		|
"""


@pytest.fixture(scope="module")
def cm(tmp_path_factory):
    return compile_model(
        write_mdl(tmp_path_factory.mktemp("res"), "gap.mdl", MODEL, final=2, dt=0.25, saveper=1)
    )


def test_metadata(cm):
    assert cm.dims == {"Region": ("US", "CN")}
    info = cm.constants["Capex Share"]
    assert info.dims == ("Region",) and info.units == "1/Year" and info.limits == (0.0, 1.0)
    np.testing.assert_array_equal(info.default, [0.1, 0.2])
    assert "source: test" in info.doc and info.py_name == "capex_share"
    assert cm.constants["Initial Capital"].limits == (0.0, None)
    assert cm.variables["Capital"].kind == "stock"
    assert cm.variables["Capex"].kind == "flow"
    assert cm.variables["Gap Ratio"].kind == "aux"
    assert (cm.initial_time, cm.final_time, cm.time_step, cm.saveper) == (0, 2, 0.25, 1)
    assert len(cm.model_hash) == 64


def test_named_axes_and_values(cm):
    res = cm.simulate(
        params={"Capex Share": [[0.1, 0.2], [0.0, 0.0]]},
        outputs=["Capital", "Gap Ratio", "Total Capital"],
    )
    assert res.dims["Capital"] == (RUN, TIME, "Region")
    assert res.dims["Gap Ratio"] == (RUN, TIME)
    assert res.coords == {"Region": ("US", "CN")}
    np.testing.assert_array_equal(res.time, [0, 1, 2])
    expected_us = 100 * 1.025 ** np.array([0, 4, 8])
    np.testing.assert_allclose(res.sel("Capital", Region="US")[0], expected_us, rtol=1e-12)
    np.testing.assert_allclose(res["Gap Ratio"][1], 2.0)
    np.testing.assert_allclose(res["Total Capital"], res["Capital"].sum(axis=2), rtol=1e-15)
    with pytest.raises(ParameterError, match="Gap Ratio"):
        res["Gap Ration"]
    with pytest.raises(ParameterError, match="element"):
        res.sel("Capital", Region="EU")


def test_to_frame_is_tidy(cm):
    res = cm.simulate(n_runs=2, outputs=["Capital", "Gap Ratio"])
    df = res.to_frame()
    assert list(df.columns) == [RUN, TIME, "variable", "Region", "value"]
    assert len(df) == 2 * 3 * 2 + 2 * 3
    row = df[(df.variable == "Capital") & (df.Region == "CN") & (df.run == 1) & (df.time == 2)]
    assert float(row.value.iloc[0]) == pytest.approx(50 * 1.05**8)
    assert df[df.variable == "Gap Ratio"].Region.isna().all()


def test_to_xarray_named_axes_and_units():
    """to_xarray: one variable per output over (run, time, subscripts), values unchanged."""
    from pathlib import Path

    import numpy as np

    from aigap.engine import compile_model

    cm = compile_model(Path(__file__).resolve().parents[2] / "model" / "ai_gap.mdl")
    pw = np.linspace(0.2, 1.0, 4)[:, None] * [0, 1]
    res = cm.simulate(params={"Price War Intensity": pw}, outputs=["Total AI ARR", "ARR Gap Ratio"])
    ds = res.to_xarray(units={"Total AI ARR": "USD/Year"})
    assert ds["Total AI ARR"].dims == ("run", "time", "Region")
    assert ds["ARR Gap Ratio"].dims == ("run", "time")
    assert list(ds.Region.values) == ["US", "CN"] and ds.sizes["run"] == 4
    assert ds["Total AI ARR"].attrs["units"] == "USD/Year"
    np.testing.assert_array_equal(
        ds["Total AI ARR"].sel(Region="CN").values, res.sel("Total AI ARR", Region="CN")
    )
    # year-end 2030 is model time 2031.0
    np.testing.assert_array_equal(
        ds["ARR Gap Ratio"].sel(time=2031.0).values, res["ARR Gap Ratio"][:, -1]
    )


def test_scenario_parameters_plus_an_array_of_runs():
    """A scenario's resolved parameters (time series with a run axis of 1) plus an array of
    N runs simulate N runs; run k equals the single run with that value; a real mismatch
    names both parameters."""
    from pathlib import Path

    import numpy as np
    import pytest

    from aigap.engine import ParameterError, compile_model
    from aigap.scenarios import load_scenario, resolve_params

    root = Path(__file__).resolve().parents[2]
    cm = compile_model(root / "model" / "ai_gap.mdl")
    base = resolve_params(cm, load_scenario(root / "scenarios" / "price_war_truce.yaml", cm))
    assert any(getattr(v, "values", np.zeros(0)).shape[:1] == (1,) for v in base.values())
    values = np.linspace(0.2, 1.0, 7)
    many = cm.simulate(
        params={**base, "Token Demand Elasticity": values}, outputs=["ARR Gap Ratio"]
    )
    assert many["ARR Gap Ratio"].shape[0] == 7
    one = cm.simulate(
        params={**base, "Token Demand Elasticity": values[3]}, outputs=["ARR Gap Ratio"]
    )
    np.testing.assert_array_equal(many["ARR Gap Ratio"][3], one["ARR Gap Ratio"][0])
    with pytest.raises(
        ParameterError, match="'Price War Intensity' has 3 runs but 'Token Demand Elasticity' has 5"
    ):
        cm.simulate(
            params={
                "Token Demand Elasticity": np.full(5, 0.5),
                "Price War Intensity": np.full(3, 0.5),
            }
        )
