import json
import os
import subprocess
import sys

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")


#: Modules that ``import topotheory`` must not load (matplotlib, sympy, scipy.stats: THEORY's light
#: import; ipywidgets: the explorer's optional extra).
HEAVY_MODULES = ("matplotlib", "sympy", "scipy.stats", "ipywidgets")


@pytest.fixture(scope="session")
def loaded_by_import():
    """Which of HEAVY_MODULES a fresh interpreter has loaded after ``import topotheory`` (one interpreter
    for every light-import check)."""
    code = f"import json, sys, topotheory; print(json.dumps({{m: m in sys.modules for m in {list(HEAVY_MODULES)!r}}}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
