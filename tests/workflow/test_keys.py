"""The key-variable names are defined once (the profile, model/ai_gap.profile.yaml, read by
aigap.core.keys) and imported elsewhere."""

import re
from pathlib import Path

import aigap
from aigap.core import keys

SRC = Path(aigap.__file__).resolve().parent


def test_modules_use_the_one_definition():
    from aigap.analysis import report_data, report_sections, sweep_file
    from aigap.plotting import style
    from aigap.workflow import summary

    assert style.KEY_VARIABLES is keys.KEY_VARIABLES and style.GAP_VARIABLES is keys.GAPS
    assert summary.SUMMARY_VARIABLES == keys.REGIONAL + keys.GAPS
    assert summary.YEARS is keys.YEARS and summary.GAP_LABELS is keys.GAP_LABELS
    assert sweep_file.KEY_OUTPUTS is keys.KEY_OUTPUTS
    assert report_data.GAPS is keys.GAPS and report_sections.GAPS is keys.GAPS
    assert keys.KEY_OUTPUTS == keys.KEY_VARIABLES + keys.GAPS
    assert set(keys.REGIONAL) <= set(keys.KEY_VARIABLES)


def test_no_module_repeats_a_name_list():
    """No workflow/analysis/plotting/CLI module but keys.py spells two key names in a row
    as a literal list."""
    pair = re.compile(
        r'"(%s)",\s*"(%s)"' % ("|".join(keys.KEY_OUTPUTS), "|".join(keys.KEY_OUTPUTS))
    )
    files = [
        *SRC.glob("*.py"),
        *(SRC / "workflow").glob("*.py"),
        *(SRC / "analysis").glob("*.py"),
        *(SRC / "plotting").glob("*.py"),
        *(SRC / "scenarios").glob("*.py"),
    ]
    assert len(files) > 20
    offenders = [
        str(p.relative_to(SRC))
        for p in files
        # diagram.py: the drawing's layout of the shipped model (stock positions, key links)
        if p.name not in ("keys.py", "diagram.py") and pair.search(p.read_text())
    ]
    assert offenders == []
