"""Unsupported features fail at compile time; bad parameters fail with clear messages."""

import numpy as np
import pytest

from aigap.engine import (
    EngineError,
    ParameterError,
    TimeSeries,
    UnsupportedFeatureError,
    compile_model,
)

from sdconf_helpers import write_mdl

BASE = """
Stock= INTEG (
	Growth * Stock,
		Initial Stock)
	~	Widget
	~		|

Initial Stock=
	10
	~	Widget [0, 100]
	~	Starting level.
	|

Growth=
	0.1
	~	1/Month
	~		|

Targets[Region]=
	1, 2
	~	Widget
	~		|

Region:
	US, CN
	~	
	~		|
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return compile_model(write_mdl(tmp_path_factory.mktemp("err"), "base.mdl", BASE))


@pytest.mark.parametrize(
    "equation, feature",
    [
        ("RANDOM NORMAL(0, 1, 0.5, 0.1, 3)", "RANDOM NORMAL"),
        ("SAMPLE IF TRUE(Time > 0.5, Stock, 0)", "SAMPLE IF TRUE"),
        ("FORECAST(Stock, 1, 2)", "FORECAST"),
        ("GET TIME VALUE(0, 0, 0)", "GET TIME VALUE"),
    ],
)
def test_unsupported_feature_names_variable_function_and_line(tmp_path, equation, feature):
    text = BASE + f"\nOdd Variable=\n\t{equation}\n\t~\tWidget\n\t~\t|\n"
    path = write_mdl(tmp_path, "odd.mdl", text)
    line = path.read_text().splitlines().index("Odd Variable=") + 1
    with pytest.raises(UnsupportedFeatureError) as info:
        compile_model(path)  # at compile time, not at the first run
    msg = str(info.value)
    assert "'Odd Variable'" in msg and feature in msg and f"odd.mdl:{line}:" in msg
    cm = compile_model(path, check=False)  # metadata still available...
    assert "Initial Stock" in cm.constants
    with pytest.raises(UnsupportedFeatureError):  # ...but never a wrong number
        cm.simulate()


def test_unknown_parameter_suggests_closest_name(model):
    with pytest.raises(
        ParameterError, match="unknown model constant 'Initial Stok'.*'Initial Stock'"
    ):
        model.simulate(params={"Initial Stok": 3.0})
    with pytest.raises(ParameterError, match="did you mean 'Growth'"):
        model.simulate(params={"growth": 3.0})


def test_non_constant_cannot_be_overridden(model):
    with pytest.raises(ParameterError, match="unknown model constant 'Stock'"):
        model.simulate(params={"Stock": 3.0})


@pytest.mark.parametrize("value", [np.ones((3, 2)), np.ones((2, 3, 2)), np.ones(0)])
def test_wrong_shape(model, value):
    with pytest.raises(ParameterError, match="Initial Stock.*(shape|zero runs)"):
        model.simulate(params={"Initial Stock": value})


def test_wrong_shape_subscripted(model):
    with pytest.raises(ParameterError, match=r"Targets.*\(runs, 2\)"):
        model.simulate(params={"Targets": np.ones((4, 3))})
    res = model.simulate(params={"Targets": [5.0, 6.0, 7.0]}, outputs=["Targets"])
    np.testing.assert_array_equal(res["Targets"][:, 0], [[5, 5], [6, 6], [7, 7]])


def test_inconsistent_runs_and_bad_values(model):
    with pytest.raises(ParameterError, match="runs"):
        model.simulate(params={"Initial Stock": np.ones(3), "Growth": np.ones(4)})
    with pytest.raises(ParameterError, match="n_runs"):
        model.simulate(params={"Initial Stock": np.ones(3)}, n_runs=5)
    with pytest.raises(ParameterError, match="finite"):
        model.simulate(params={"Growth": np.nan})
    with pytest.raises(ParameterError, match="numeric"):
        model.simulate(params={"Growth": "fast"})
    with pytest.raises(ParameterError, match="increasing"):
        TimeSeries([0, 0], [1, 2])
    with pytest.raises(ParameterError, match="points"):
        model.simulate(params={"Growth": TimeSeries([0, 1], [1, 2, 3])})


def test_bad_outputs_method_and_control(model):
    with pytest.raises(ParameterError, match="did you mean 'Stock'"):
        model.simulate(outputs=["Stok"])
    with pytest.raises(ParameterError, match="method"):
        model.simulate(method="rk45")
    with pytest.raises(ParameterError, match="TIME STEP"):
        model.simulate(time_step=0)
    with pytest.raises(ParameterError, match="FINAL TIME"):
        model.simulate(final_time=-5)


def test_errors_are_engine_errors(model):
    assert issubclass(ParameterError, EngineError)
    assert issubclass(UnsupportedFeatureError, EngineError)
    with pytest.raises(EngineError, match="not found"):
        compile_model("/nonexistent/model.mdl")


def test_algebraic_loop_is_reported_with_file_line(tmp_path):
    text = (
        BASE
        + """
Loop A=
	Loop B + 1
	~	Widget
	~		|

Loop B=
	Loop A * 0.5
	~	Widget
	~		|
"""
    )
    path = write_mdl(tmp_path, "loop.mdl", text)
    line = path.read_text().splitlines().index("Loop A=") + 1
    with pytest.raises(
        EngineError,
        match=rf"loop.mdl:{line}: circular dependency.*Loop A -> "
        r"Loop B -> Loop A",
    ):
        compile_model(path, check=True)


def test_division_by_zero_follows_numpy_not_python(tmp_path):
    text = BASE + "\nInfinite=\n\t1 / 0\n\t~\tWidget\n\t~\t|\n"
    cm = compile_model(write_mdl(tmp_path, "div.mdl", text), check=True)
    assert np.isinf(cm.simulate(outputs=["Infinite"])["Infinite"]).all()


def test_game_is_its_argument(tmp_path):
    text = BASE + "\nPlayed=\n\tGAME(Growth * 2)\n\t~\t1/Month\n\t~\t|\n"
    cm = compile_model(write_mdl(tmp_path, "game.mdl", text), check=True)
    np.testing.assert_array_equal(cm.simulate(outputs=["Played"])["Played"], 0.2)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_numbers_with_other_line_endings(tmp_path, newline):
    text = BASE + "\nOdd Variable=\n\tRANDOM UNIFORM(0, 1, 3)\n\t~\tWidget\n\t~\t|\n"
    path = write_mdl(tmp_path, "odd.mdl", text)
    lines = path.read_text().splitlines()
    path.write_bytes(newline.join(lines).encode())
    with pytest.raises(
        UnsupportedFeatureError,
        match=rf"odd.mdl:{lines.index('Odd Variable=') + 1}: .*RANDOM UNIFORM",
    ):
        compile_model(path, check=True)


def test_invalid_lookup_is_an_engine_error(tmp_path):
    text = BASE + "\nBad Table(\n\t[(0,0)-(2,2)],(0,0),(1,1),(1,2))\n\t~\tDmnl\n\t~\t|\n"
    text += "\nUses Table=\n\tBad Table(Time)\n\t~\tDmnl\n\t~\t|\n"
    path = write_mdl(tmp_path, "badlookup.mdl", text)
    line = path.read_text().splitlines().index("Bad Table(") + 1
    with pytest.raises(EngineError, match=rf"badlookup.mdl:{line}: lookup 'Bad Table'.*repeated"):
        compile_model(path, check=True)


def test_delay_n_order_below_one_has_its_own_message(tmp_path):
    """A literal order below 1 fails at compile time; a constant one at run time, with the
    same words from both backends (not 'delay time shorter than TIME STEP')."""
    literal = BASE + "\nLate=\n\tDELAY N(Growth, 2, 0, 0.5)\n\t~\t1/Month\n\t~\t|\n"
    path = write_mdl(tmp_path, "literal.mdl", literal)
    line = path.read_text().splitlines().index("Late=") + 1
    with pytest.raises(
        EngineError,
        match=rf"literal.mdl:{line}: 'Late': the order of the "
        r"delay is 0.5; a DELAY N order must be at least 1",
    ):
        compile_model(path)
    text = BASE + (
        "\nLate=\n\tDELAY N(Growth, 2, 0, Order)\n\t~\t1/Month\n\t~\t|\n"
        "\nOrder=\n\t3\n\t~\tDmnl\n\t~\t|\n"
    )
    cm = compile_model(write_mdl(tmp_path, "param.mdl", text))
    for engine in ("numpy", "compiled"):
        with pytest.raises(
            EngineError,
            match=r"Late: the order of the delay is 0.5; a DELAY N "
            "order must be at least 1",
        ):
            cm.simulate(params={"Order": 0.5}, outputs=["Late"], engine=engine)
