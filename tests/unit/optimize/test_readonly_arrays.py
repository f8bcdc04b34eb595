"""Arrays handed to torch are writable: pandas 3's copy-on-write gives read-only views, and
torch's "The given NumPy array is not writable" warning (said once per process, so each check
runs in a fresh one) reached users at every constrained or multi-objective ask."""

import os
import subprocess
import sys

import pytest

from ...conftest import REPO

SETUP = """
import warnings
import pandas as pd
from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
warnings.filterwarnings("error", message="The given NumPy array is not writable")
space = SearchSpace([Continuous("t", 450, 750, 1, "degC"), Continuous("r", 10, 100, 0.1)])
X = pd.DataFrame({"t": [500.0, 600, 700, 550], "r": [20.0, 30, 40, 90]})
y = pd.DataFrame({"jc": [1.0, 2.0, 3.0, 1.5], "c": [0.2, 0.6, 0.7, 0.9]})
"""


@pytest.mark.parametrize(
    "call",
    [
        # LogConstrainedEI's best among the rows meeting the constraint (_single_point)
        "Optimizer(space, seed=0, outcome_constraints={'c': (0.5, None)}).tell(X, y)"
        ".acquisition_function()",
        "Optimizer(space, seed=0, objectives=['jc', 'c'], outcome_constraints={'c': (0.5, None)})"
        ".tell(X, y).reference_point()",
    ],
)
def test_no_read_only_array_reaches_torch(call):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-c", SETUP + call],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
