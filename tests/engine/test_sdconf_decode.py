"""Windows-1252 files (Vensim's encoding): the conformance reader and the model parser
decode them; valid UTF-8 stays UTF-8."""

import numpy as np

from aigap.engine import compile_model
from aigap.engine.parse import decode_text as decode_model

from sdconf_helpers import CONTROL, decode_text, read_expected


def test_decode_text_utf8_and_cp1252():
    assert decode_text("Gr\u00fc\u00dfe".encode()) == "Gr\u00fc\u00dfe"
    assert decode_text("Gr\u00fc\u00dfe \u20ac".encode("cp1252")) == "Gr\u00fc\u00dfe \u20ac"
    assert decode_model("Caf\u00e9".encode())[1] == "UTF-8"
    assert decode_model("Caf\u00e9".encode("cp1252")) == ("Caf\u00e9", "cp1252")


def test_read_expected_cp1252_header(tmp_path):
    path = tmp_path / "out.csv"
    path.write_bytes("Time,Caf\u00e9 stock\r\n0,1\r\n1,2\r\n".encode("cp1252"))
    times, cols = read_expected(path)
    assert list(times) == [0.0, 1.0]
    assert list(cols["Caf\u00e9 stock"]) == [1.0, 2.0]


def test_cp1252_model_keeps_its_accented_names(tmp_path):
    """PySD alone would decode as UTF-8 and drop the byte of 'é' ('Caf Stock')."""
    text = (
        "Caf\u00e9 Stock= INTEG(Cr\u00e8me Flow, 1)\n\t~\tcup\n\t~\t|\n"
        "Cr\u00e8me Flow= 0.5 * Caf\u00e9 Stock\n\t~\tcup/Month\n\t~\t|\n\n"
        + CONTROL.format(final=2, initial=0, dt=0.5, saveper="TIME STEP")
    )
    path = tmp_path / "accents.mdl"
    path.write_bytes(text.encode("cp1252"))
    cm = compile_model(path, check=True)
    assert {"Caf\u00e9 Stock", "Cr\u00e8me Flow"} <= set(cm.variables)
    res = cm.simulate(outputs=["Caf\u00e9 Stock"], engine="numpy")
    np.testing.assert_allclose(res["Caf\u00e9 Stock"][0], 1.25 ** np.arange(5))
