"""One version source, a licence file and a changelog that names the version."""
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import aigap

ROOT = Path(__file__).resolve().parents[2]


def test_installed_version_is_the_package_version():
    assert version("aigap") == aigap.__version__


def test_cli_version_flag():
    out = subprocess.run([sys.executable, "-m", "aigap.cli", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"aigap {aigap.__version__}"


def test_licence_and_changelog():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    log = (ROOT / "CHANGELOG.md").read_text()
    assert f"## {aigap.__version__}" in log
    assert 'version = "' not in (ROOT / "pyproject.toml").read_text()   # no second source
