"""``python -m aigap ...``: the ``aigap`` command line."""

import sys

from .cli import main

sys.exit(main())
