"""The model's key output names (the contract of docs/architecture.md), defined once.

Summary tables, plots, sweeps, the CLI and reports import these; the names are the
Vensim names of ``model/ai_gap.mdl``.
"""
from __future__ import annotations

#: regional variables of the year-end summary table (per Region)
REGIONAL = ("Total AI ARR", "Model ARR", "Return on AI Capital")
#: the three US/China gap ratios (scalars)
GAPS = ("ARR Gap Ratio", "Model ARR Gap Ratio", "Return Gap Ratio")
#: each gap ratio's regional variable (ratio = US / CN; undefined when CN is 0)
GAP_OF = {"ARR Gap Ratio": "Total AI ARR", "Model ARR Gap Ratio": "Model ARR",
          "Return Gap Ratio": "Return on AI Capital"}
#: every regional key variable (plot panels, default sweep outputs)
KEY_VARIABLES = ("Total AI ARR", "Model ARR", "Application ARR", "AI Capital", "AI Capex",
                 "Return on AI Capital", "Token Price", "Developer WTP", "Paying Developers")
#: key variables and gap ratios: the contract outputs
KEY_OUTPUTS = KEY_VARIABLES + GAPS
