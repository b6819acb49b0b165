"""The shipped project model's contract as constants, read from its profile
(``model/ai_gap.profile.yaml``, see :mod:`aigap.core.profile`), never written here.

Project-specific jobs (posterior, sweep defaults, reports, the explorer) import these;
generic code (run, compare, summary tables, plots) takes the profile of the model it runs.
"""

from __future__ import annotations

from .profile import shipped_profile

PROFILE = shipped_profile()
#: regional variables of the year-end summary table (per Region)
REGIONAL = PROFILE.summary_variables
#: the gap ratios (scalars; ratio = first region / second region)
GAPS = PROFILE.gaps
#: each gap ratio's regional variable (undefined when the second region's value is 0)
GAP_OF = PROFILE.gap_of
#: each gap ratio's label in tables and plots
GAP_LABELS = PROFILE.gap_labels
#: every regional key variable (plot panels, default sweep outputs)
KEY_VARIABLES = PROFILE.key_variables
#: key variables and gap ratios: the contract outputs
KEY_OUTPUTS = PROFILE.key_outputs
#: year-end columns of the gap tables
YEARS = PROFILE.report_years
#: the named scenarios of the headline comparison
DEFAULT_SCENARIOS = PROFILE.default_scenarios
