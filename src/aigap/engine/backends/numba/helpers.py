"""The helper import every generated numba kernel module starts with (source text).

The helpers themselves are :mod:`aigap.engine.backends.numba.shared` (compiled once per
machine); the import line carries a digest of that module's source, so a kernel
module, and numba's cached machine code of it (which has the helpers inlined),
changes whenever a helper does. Reading the digest does not import numba.
"""

import hashlib
import re
from pathlib import Path

_SHARED = (Path(__file__).with_name("shared.py")).read_text()
NAMES = tuple(re.findall(r"^def (\w+)", _SHARED, re.M))
DIGEST = hashlib.sha256(_SHARED.encode()).hexdigest()[:16]
HELPERS = (
    f"# helpers: aigap.engine.backends.numba.shared, source {DIGEST}\n"
    f"from aigap.engine.backends.numba.shared import {', '.join(NAMES)}  # noqa: F401\n"
)
