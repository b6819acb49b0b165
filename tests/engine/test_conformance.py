"""The public SD conformance suite: every model must match its canonical output."""

import pytest

from aigap.engine import compile_model

from sdconf_helpers import SUITE, compare, entry_id, manifest, tolerance

ENTRIES = manifest()

pytestmark = pytest.mark.skipif(not ENTRIES, reason=f"conformance suite not found at {SUITE}")


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry_id(e) for e in ENTRIES])
def test_conformance_model(entry):
    folder = SUITE / entry["path"]
    cm = compile_model(folder / entry["model"])
    res = cm.simulate()
    rtol, atol = tolerance(entry)
    n, failures = compare(cm, res, folder / entry["expected"], rtol, atol)
    assert n > 0, "no column of the expected output matched a model variable"
    assert not failures, f"{len(failures)} of {n} columns differ: " + "; ".join(failures[:3])


def test_conformance_suite_is_complete():
    """The manifest lists the 53 models of the suite and each folder holds its files."""
    assert len(ENTRIES) == 53
    for entry in ENTRIES:
        folder = SUITE / entry["path"]
        assert (folder / entry["model"]).is_file()
        assert (folder / entry["expected"]).is_file()
