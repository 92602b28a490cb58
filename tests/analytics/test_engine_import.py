"""The clustering engine is imported without matplotlib's pyplot (which networkit pulls
in only to offer plots): a server's start and its first rings pay ~1 s of CPU for it,
not 2-5 s. Each case in a fresh interpreter: this one may have imported either."""

from __future__ import annotations

import subprocess
import sys

import pytest

WARMED = """
import sys
from graph_api.analytics._cluster import engine_module, warm_up, warmed
warm_up(); warmed()  # as `serve` does, on a thread
nk = engine_module("networkit")
assert nk.graph.Graph(3).numberOfNodes() == 3
assert "matplotlib.pyplot" not in sys.modules and "matplotlib" not in sys.modules
import matplotlib.pyplot  # the block is lifted: a docs example still draws
print("ok")
"""

ASKED = """
import sys
import numpy as np
from graph_api.analytics._cluster import communities
labels = communities(4, np.array([0, 2], dtype=np.int64), np.array([1, 3], dtype=np.int64),
                     np.ones(2), seed=1)
assert len(set(labels.tolist())) == 2, labels
assert "matplotlib.pyplot" not in sys.modules
print("ok")
"""


@pytest.mark.parametrize("code", [WARMED, ASKED], ids=["warmed-up", "first-rings"])
def test_networkit_comes_without_pyplot_which_stays_importable(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
