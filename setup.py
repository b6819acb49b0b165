"""Build hook: the wheel carries the project model, scenarios and schemas (``aigap/_project``).

One source of truth: ``model/``, ``scenarios/`` and ``schemas/`` of the checkout are copied
into the build at build time (never kept twice in the repository). Installed outside a
checkout, ``aigap.workflow.project`` finds them there. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: project files shipped with the package (glob patterns relative to the checkout)
PROJECT_FILES = (
    "model/ai_gap.mdl",
    "model/ai_gap.profile.yaml",
    "model/checks.yaml",
    "model/ai_gap.loops.yaml",
    "scenarios/**/*.yaml",
    "scenarios/**/*.csv",
    "schemas/*.json",
)


class BuildWithProject(build_py):
    """``build_py`` that also copies :data:`PROJECT_FILES` into ``aigap/_project``."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install uses the checkout
            return
        target = Path(self.build_lib) / "aigap" / "_project"
        for pattern in PROJECT_FILES:
            for src in sorted(ROOT.glob(pattern)):
                dst = target / src.relative_to(ROOT)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildWithProject})
