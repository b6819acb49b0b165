"""Subscripts: mapping, subranges, transposition, SUM/VMAX over dim!, :EXCEPT:."""
import numpy as np
import pytest

from aigap.engine import compile_model
from aigap.engine.pysd_backend import simulate_pysd

from sdconf_helpers import write_mdl

MODEL = """
DimA: A1, A2, A3 -> DimB
	~	
	~		|

DimB: B1, B2, B3
	~	
	~		|

SubA: A2, A3
	~	
	~		|

Base[DimA]=
	1, 2, 3
	~	Dmnl
	~		|

Mapped[DimB]=
	Base[DimA] * 10
	~	Dmnl
	~		|

Sub Values[SubA]=
	Base[SubA] + 1
	~	Dmnl
	~		|

Partial[SubA]=
	Base[SubA] + Time
	~	Dmnl
	~		|

Partial[A1]=
	-1
	~	Dmnl
	~		|

Matrix[DimA, DimB]=
	Base[DimA] * Mapped[DimB]
	~	Dmnl
	~		|

Transposed[DimB, DimA]=
	Matrix[DimA, DimB]
	~	Dmnl
	~		|

Row Sum[DimA]=
	SUM(Matrix[DimA, DimB!])
	~	Dmnl
	~		|

Stock[DimA]= INTEG (
	Row Sum[DimA] * Rate - Stock[DimA] / 2,
		Base[DimA])
	~	Dmnl
	~		|

Rate=
	0.1
	~	1/Month
	~		|

Max Stock=
	VMAX(Stock[DimA!])
	~	Dmnl
	~		|
"""

EXCEPT = """
Dim: A, B, C
	~	
	~		|

Value[Dim]:EXCEPT:[B]=
	Base[Dim] * 2
	~	Dmnl
	~		|

Value[B]=
	-1
	~	Dmnl
	~		|

Base[Dim]=
	1, 2, 3
	~	Dmnl
	~		|
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("subs")


def test_mapping_subranges_transposition_and_sums_match_pysd(folder):
    cm = compile_model(write_mdl(folder, "map.mdl", MODEL, final=5, dt=0.25, saveper=1),
                       check=True)
    assert cm.variables["Transposed"].dims == ("DimB", "DimA")
    assert cm.variables["Sub Values"].dims == ("SubA",)
    names = [n for n, v in cm.variables.items() if v.kind != "lookup"]
    params = {"Rate": [0.1, 0.3], "Base": [[1, 2, 3], [0.5, -1, 4]]}
    res = cm.simulate(params=params, outputs=names)
    ref = simulate_pysd(cm.path, params, outputs=names, model=cm)
    for name in names:
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-12, err_msg=name)
    np.testing.assert_array_equal(res["Transposed"][:, :, 0, 1], res["Matrix"][:, :, 1, 0])
    np.testing.assert_allclose(res["Row Sum"], res["Matrix"].sum(axis=3), rtol=1e-15)
    np.testing.assert_array_equal(res["Max Stock"], res["Stock"].max(axis=2))


def test_except(folder):
    cm = compile_model(write_mdl(folder, "except.mdl", EXCEPT), check=True)
    res = cm.simulate(params={"Base": [10, 20, 30]}, outputs=["Value"])
    np.testing.assert_array_equal(res["Value"][0, 0], [20, -1, 60])
