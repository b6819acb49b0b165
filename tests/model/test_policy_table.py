"""The policy-search table of model/README.md is what model/policy_table.py computes now
(a seeded posterior and search, compared within the script's tolerances), and the check
catches a wrong figure."""

import runpy

import pytest
from model_helpers import MODEL


class _Script:
    """The functions of model/policy_table.py (run as a module, not as the script)."""

    def __init__(self, path):
        self.__dict__.update(runpy.run_path(str(path), run_name="policy_table"))


policy_table = _Script(MODEL.parent / "policy_table.py")


@pytest.mark.slow
def test_model_readme_policy_table_is_current():
    written = policy_table.parse(
        policy_table.BLOCK.search(policy_table.README.read_text()).group(2)
    )
    assert set(written["rows"]) == {"no change", "best policy"}
    fresh = policy_table.compute()
    assert policy_table.differences(written, fresh) == [], (
        "model/README.md policy table is out of date: run python model/policy_table.py"
    )
    # the check is not blind: a gap 10% off, or a start year moved, is reported
    wrong = {
        "rows": {k: dict(v) for k, v in written["rows"].items()},
        "levers": dict(written["levers"]),
    }
    wrong["rows"]["best policy"]["mean"] *= 1.1
    key = next(k for k in wrong["levers"] if k.endswith(" from"))
    wrong["levers"][key] -= 1.0
    bad = policy_table.differences(wrong, fresh)
    assert any("best policy mean" in b for b in bad) and any(key in b for b in bad)


def test_render_and_parse_round_trip():
    fig = {
        "worlds": 100,
        "rows": {
            "no change": {"mean": 26.9, "p5": 21.7, "p95": 31.5, "ret": 0.045},
            "best policy": {"mean": 13.5, "p5": 12.1, "p95": 14.3, "ret": 0.07},
        },
        "levers": {"Embedding Push[CN]": 1.0, "Price War Intensity[CN] from": 2029.0},
        "bounds": {"Embedding Push[CN]": (0.3, 1.0)},
    }
    back = policy_table.parse(policy_table.render(fig))
    assert policy_table.differences(back, fig) == []
