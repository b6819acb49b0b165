"""Many Vensim features in one model, against PySD with per-run parameters."""

import numpy as np
import pytest

from aigap.engine import compile_model
from aigap.engine.backends.pysd import simulate_pysd

from sdconf_helpers import write_mdl

MODEL = """
Region:
	US, CN
	~	
	~		|

Input[Region]=
	Base[Region] + STEP(Step Height[Region], 3) + RAMP(0.5, 2, 6) + PULSE TRAIN(1, 0.5, 2, 8) + 0.3 * SIN(Time)
	~	Dmnl
	~		|

Base[Region]=
	1, 2
	~	Dmnl [0, 10]
	~		|

Step Height[Region]=
	2, -1
	~	Dmnl
	~		|

Smooth N Out[Region]=
	SMOOTH N(Input[Region], Smooth Time, Input[Region] * 0.5, Order)
	~	Dmnl
	~		|

Order=
	4
	~	Dmnl
	~		|

Smooth Time=
	1.5
	~	Month [0.5, 5]
	~		|

Nested[Region]=
	2 * SMOOTH3I(Input[Region], Smooth Time, 1.0) + DELAY1(Input[Region], 2)
	~	Dmnl
	~		|

Delay N Out[Region]=
	DELAY N(Input[Region], Delay Time[Region], 0, 3)
	~	Dmnl
	~		|

Delay Time[Region]=
	2, 3
	~	Month [1, 5]
	~		|

Fixed[Region]=
	DELAY FIXED(Input[Region], Fixed Delay, Base[Region])
	~	Dmnl
	~		|

Trend Out[Region]=
	TREND(Input[Region], 2, 0.1)
	~	Dmnl
	~		|

Effect Table[US](
	[(0,0)-(10,10)],(0,0),(2,1),(5,3),(10,4))
	~	Dmnl
	~		|

Effect Table[CN](
	[(0,0)-(10,10)],(0,1),(3,1.5),(10,2))
	~	Dmnl
	~		|

Effect[Region]=
	Effect Table[Region](Input[Region]) + WITH LOOKUP(Time, ([(0,0)-(10,10)],(0,0),(5,2),(10,0)))
	~	Dmnl
	~		|

Choice[Region]=
	IF THEN ELSE(Input[Region] > 2 :AND: Time < 7, XIDZ(Input[Region], Base[Region] - 1, 99), MIN(Input[Region], MAX(0, Trend Out[Region])))
	~	Dmnl
	~		|

Frozen[Region]=
	INITIAL(Input[Region] * 3)
	~	Dmnl
	~		|

Level[Region]= INTEG (
	Effect[Region] - Level[Region] / Delay Time[Region] + ZIDZ(Choice[Region], Frozen[Region]),
		Frozen[Region])
	~	Dmnl
	~		|

Total=
	SUM(Level[Region!]) + PROD(Base[Region!]) - VMIN(Fixed[Region!]) + ABS(-2) + EXP(0.1) + LN(2) + SQRT(4) + COS(Time) + MODULO(Time, 3) + INTEGER(Time / 2)
	~	Dmnl
	~		|

Fixed Delay=
	1.3
	~	Month [0.5, 4]
	~		|

Direct Smooth[Region]=
	SMOOTH3I(Input[Region], Smooth Time, 1.0)
	~	Dmnl
	~		|

Direct Delay[Region]=
	DELAY1(Input[Region], 2)
	~	Dmnl
	~		|

Nested Smooth[Region]=
	2 * SMOOTH3I(Input[Region], Smooth Time, 1.0)
	~	Dmnl
	~		|

Nested Delay[Region]=
	DELAY1(Input[Region], 2) + 0
	~	Dmnl
	~		|
"""


@pytest.fixture(scope="module")
def cm(tmp_path_factory):
    path = write_mdl(
        tmp_path_factory.mktemp("features"), "features.mdl", MODEL, final=10, dt=0.125, saveper=0.5
    )
    return compile_model(path, check=True)


def test_features_match_pysd(cm):
    rng = np.random.default_rng(11)
    params = {
        k: v.default * rng.uniform(0.8, 1.2, (3,) + v.default.shape)
        for k, v in cm.constants.items()
        if k != "Order"
    }
    names = [n for n, v in cm.variables.items() if v.kind != "lookup"]
    res = cm.simulate(params=params, outputs=names)
    ref = simulate_pysd(cm.path, params, outputs=names, model=cm)
    for name in names:
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_delay_fixed_pipe_length_may_differ_per_run(cm):
    """DELAY FIXED holds round(delay/dt) steps of input, separately for every run."""
    res = cm.simulate(params={"Fixed Delay": [1.0, 2.0]}, outputs=["Fixed", "Input"])
    t = res.time
    for run, delay in enumerate([1.0, 2.0]):
        later = t >= delay
        shifted = np.searchsorted(t, t[later] - delay)
        np.testing.assert_allclose(res["Fixed"][run, later], res["Input"][run, shifted], rtol=1e-12)
        np.testing.assert_array_equal(res["Fixed"][run, ~later], [[1, 2]] * (~later).sum())


PARTIAL = """
Rate[US]= 0.1 * Time
	~	1/Month
	~		|
Rate[CN]= 0.2
	~	1/Month
	~		|
Stock[Region]= INTEG(Rate[Region], 1)
	~	Widget
	~		|
Region: US, CN, EU
	~
	~		|
"""


def test_element_without_equation_is_zero_as_in_vensim(tmp_path):
    """Vensim gives an element with no equation the value 0; PySD gives NaN there and
    agrees on every defined element."""
    path = write_mdl(tmp_path, "partial.mdl", PARTIAL, final=2, dt=0.5)
    cm = compile_model(path)
    for engine in ("numpy", "compiled"):
        res = cm.simulate(outputs=["Rate", "Stock"], engine=engine)
        ref = simulate_pysd(path, outputs=["Rate", "Stock"])
        for name in ("Rate", "Stock"):
            np.testing.assert_allclose(res[name][..., :2], ref[name][..., :2], rtol=1e-12)
        assert np.isnan(ref["Rate"][:, 1:, 2]).all() and np.isnan(ref["Stock"][:, 1:, 2]).all()
        np.testing.assert_array_equal(res["Rate"][..., 2], 0.0)
        np.testing.assert_array_equal(res["Stock"][..., 2], 1.0)
