"""model/README.md's measured loop-dominance table is exactly what the code generates."""

import importlib.util
import re
from pathlib import Path

from aigap.analysis.loopstable import verdict
from aigap.engine import compile_model

ROOT = Path(__file__).resolve().parents[2]


def _readme_tables():
    spec = importlib.util.spec_from_file_location(
        "readme_tables_loops", ROOT / "model" / "readme_tables.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_loop_table_is_generated():
    rt = _readme_tables()
    cm = compile_model(ROOT / "model" / "ai_gap.mdl")
    readme = (ROOT / "model" / "README.md").read_text(encoding="utf-8")
    generated = rt.sections(cm, names=("loops",))
    assert rt.render(readme, generated) == readme, (
        "model/README.md loop table is out of date: run python model/readme_tables.py"
    )
    body = generated["loops"]
    # every named loop appears for each scenario/region row group, with three periods
    names = set(re.findall(r"\*\*([RB]\d)\*\*", body))
    assert {"R1", "R2", "R3", "R4", "B1", "B2", "B3", "B4", "B5"} <= names
    assert body.count("*strongest of") == sum(len(r) for r in rt.LOOP_SCENARIOS.values())
    # the prose of model/README.md's loop table states these measurements: keep them true
    rows = {}
    for line in body.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[(cells[0], cells[1], cells[2].split("**")[1] if "**" in cells[2] else "top")] = cells
    for region in ("US", "CN"):
        for name in ("R2", "R3", "B1"):
            assert rows[("baseline", region, name)][-1].startswith("inactive"), (region, name)
        assert rows[("baseline", region, "B2")][-1].startswith("minor"), region
    b6 = rows[("baseline", "US", "B6")]  # ranked #2-#3 from 2026
    assert all(int(c.split("#")[1].rstrip(")")) <= 3 for c in b6[4:6]), b6
    assert "Embedding Conversion" in rows[("baseline", "US", "top")][5]  # 2028-2030
    assert "Token Price -> Token Price Change" in rows[("baseline", "US", "top")][3]
    assert "Token Price -> Token Price Change" in rows[("baseline", "US", "top")][4]
    assert rows[("baseline", "CN", "B4")][-1] == "dominant in 2024-2025, 2026-2027, 2028-2030"
    assert rows[("baseline", "US", "B3")][-1].endswith("measured reinforcing, named balancing")


def test_verdict_reads_scores_and_flags_polarity():
    heads = ["2024-2025", "2026-2027", "2028-2030"]
    assert verdict("B4", [-0.3, -0.5, -0.1], [1, 1, 2], heads) == "dominant in 2024-2025, 2026-2027"
    assert verdict("R2", [0.001, -0.004, 0], [40, 300, 600], heads).startswith("inactive")
    assert (
        verdict("B3", [0.05, 0.05, 0.03], [7, 6, 11], heads)
        == "secondary (best rank #6); measured reinforcing, named balancing"
    )
    assert verdict("R4", [0.02, 0.01, 0.01], [13, 14, 16], heads) == "minor (at most 2%)"


def test_near_zero_scores_tie_so_ranks_do_not_depend_on_libm_noise():
    import numpy as np

    from aigap.analysis.loopstable import score_ranks

    ps = np.array([[0.5, 1e-16], [-0.3, -3e-16], [2e-16, 0.2], [1e-15, 0.0]])
    noisy = ps + np.array([[0, 1e-15], [0, 0], [-1e-15, 0], [0, 2e-16]])
    assert (score_ranks(ps) == score_ranks(noisy)).all()
    assert score_ranks(ps)[:, 0].tolist() == [1, 2, 3, 3]  # the two ~0 loops tie at #3
    assert score_ranks(ps)[:, 1].tolist() == [2, 2, 1, 2]
