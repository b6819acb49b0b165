"""Run folders, manifests, the scenario runner and summary/gap tables."""

from .manifest import build_manifest, write_manifest
from .rundir import RunDir, new_run_dir, runs_root
from .runner import (
    DEFAULT_SCENARIOS,
    RunOutput,
    default_scenario_paths,
    find_model,
    run_scenarios,
    scenarios_dir,
    simulate_one,
)
from .summary import format_fit, format_gap_table, format_summary, summary_frame

__all__ = [
    "DEFAULT_SCENARIOS",
    "RunDir",
    "RunOutput",
    "build_manifest",
    "default_scenario_paths",
    "find_model",
    "format_fit",
    "format_gap_table",
    "format_summary",
    "new_run_dir",
    "run_scenarios",
    "runs_root",
    "scenarios_dir",
    "simulate_one",
    "summary_frame",
    "write_manifest",
]
