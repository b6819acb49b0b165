"""Subscripts: mapping, subranges, transposition, SUM/VMAX over dim!, :EXCEPT:."""

import numpy as np
import pytest

from aigap.engine import compile_model
from aigap.engine.backends.pysd import simulate_pysd

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
    cm = compile_model(write_mdl(folder, "map.mdl", MODEL, final=5, dt=0.25, saveper=1), check=True)
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


PIECES = """
Dim: A1, A2, A3
	~	
	~		|

Sub2: A2, A3
	~	
	~		|

Growth=
	2
	~	Dmnl
	~		|

Mixed[A1]=
	Growth * Time
	~	Dmnl
	~		|

Mixed[Sub2]=
	4, 5
	~	Dmnl
	~		|

Grid[Dim, Sub2]=
	1, 2; 3, 4; 5, 6;
	~	Dmnl
	~		|

Grid[Dim, A1]=
	Time + Mixed[Dim]
	~	Dmnl
	~		|

Stock[Dim]= INTEG (
	Grid[Dim, A1] - Grid[Dim, A3] * Stock[Dim] / 10,
		Mixed[Dim])
	~	Dmnl
	~		|
"""

SQUARE = """
Dim: A, B
	~	
	~		|

Square[A, Dim]=
	1, 10
	~	Dmnl
	~		|

Square[B, Dim]=
	2, 20
	~	Dmnl
	~		|

Reads=
	Square[A, B] + Square[B, A] * Time
	~	Dmnl
	~		|

Stock[Dim]= INTEG (
	Square[Dim, A] - Stock[Dim] / Square[B, B],
		Square[A, Dim])
	~	Dmnl
	~		|
"""

HOLES = """
Region: US, CN, EU
	~	
	~		|

Price[US]=
	4
	~	Dmnl
	~		|

Price[CN]=
	5
	~	Dmnl
	~		|

Total=
	Price[US] + Price[CN] + Price[EU]
	~	Dmnl
	~		|
"""


def _parity(cm, names, params=None):
    ref = simulate_pysd(cm.path, params, outputs=names, model=cm)
    for engine in ("numpy", "compiled"):
        res = cm.simulate(params=params, outputs=names, engine=engine)
        for name in names:
            np.testing.assert_allclose(res[name], ref[name], rtol=1e-12, err_msg=f"{engine} {name}")
    return res


def test_pieces_mixing_expressions_and_constant_lists_match_pysd(folder):
    """x[A1] = expression beside x[Sub2] = 4, 5 (and a 2-D list beside a column)."""
    cm = compile_model(write_mdl(folder, "pieces.mdl", PIECES, final=2, dt=0.25), check=True)
    res = _parity(cm, ["Mixed", "Grid", "Stock"], {"Growth": [2.0, -1.0]})
    np.testing.assert_array_equal(res["Mixed"][:, 0, 1:], [[4, 5]] * 2)
    np.testing.assert_array_equal(res["Grid"][0, 0, :, 1:], [[1, 2], [3, 4], [5, 6]])


def test_square_constant_defined_row_by_row_read_by_element_matches_pysd(folder):
    """m[A, Dim] = 1, 10 with Dim: A, B: one row per equation (PySD names the second
    axis Dim1)."""
    cm = compile_model(write_mdl(folder, "square.mdl", SQUARE, final=2, dt=0.25), check=True)
    assert cm.constants["Square"].default.tolist() == [[1, 10], [2, 20]]
    res = _parity(cm, ["Reads", "Stock"])
    np.testing.assert_array_equal(res["Reads"][0], 10 + 2 * res.time)


def test_constant_without_value_for_an_element_is_zero_as_in_vensim(folder):
    """PySD gives NaN for Price[EU] (and so for Total); Vensim and the engine give 0."""
    cm = compile_model(write_mdl(folder, "holes.mdl", HOLES), check=True)
    assert cm.constants["Price"].default.tolist() == [4, 5, 0]
    ref = simulate_pysd(cm.path, outputs=["Price", "Total"], model=cm)
    assert np.isnan(ref["Price"][..., 2]).all() and np.isnan(ref["Total"]).all()
    for engine in ("numpy", "compiled"):
        res = cm.simulate(outputs=["Price", "Total"], engine=engine)
        np.testing.assert_array_equal(res["Price"][..., :2], ref["Price"][..., :2])
        np.testing.assert_array_equal(res["Price"][..., 2], 0.0)
        np.testing.assert_array_equal(res["Total"], 9.0)
