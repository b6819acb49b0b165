"""The hindcast table of model/README.md is what the stored hindcasts (fitted to the current
model, priors and observations) give."""

import importlib.util

from model_helpers import MODEL


def test_hindcast_table_is_current():
    spec = importlib.util.spec_from_file_location(
        "hindcast_table", MODEL.parent / "hindcast_table.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--check"]) == 0
