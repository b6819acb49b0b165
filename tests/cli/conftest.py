import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
AIGAP = Path(sys.executable).parent / "aigap"


@pytest.fixture
def aigap(tmp_path):
    """aigap(*args, model=FIXTURE|None, cwd=ROOT) -> CompletedProcess; runs go to tmp_path/runs."""
    def _run(*args, model=FIXTURES / "mini_gap.mdl", cwd=ROOT, env=None):
        full_env = {**os.environ, "AIGAP_RUNS_DIR": str(tmp_path / "runs"),
                    "MPLBACKEND": "Agg", **(env or {})}
        full_env.pop("AIGAP_MODEL", None)
        if model is not None:
            full_env["AIGAP_MODEL"] = str(model)
        return subprocess.run([str(AIGAP), *map(str, args)], cwd=cwd, env=full_env,
                              capture_output=True, text=True, timeout=300)
    return _run


@pytest.fixture
def runs(tmp_path):
    return tmp_path / "runs"
