"""Community detection on compact edge arrays, by the engine chosen in bench/.

Every engine gets the same input: nodes numbered 0..n-1 in sorted-id order and
edges sorted by (source, target), so the answer does not depend on the order in
which a store happened to load the graph. Each engine is run single-threaded
with a fixed seed, which makes it deterministic (checked in
tests/analytics/test_rings.py). bench/RESULTS-analytics.md says why the
default is what it is.
"""

from __future__ import annotations

import importlib
import random
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from graph_api.view_columns import FloatArray, IntArray

__all__ = ["ENGINES", "DEFAULT_ENGINE", "communities", "engine_module", "networkit_serial",
           "warm_up", "warmed"]

ENGINES = ("igraph-leiden", "igraph-louvain", "networkit-plm")
DEFAULT_ENGINE = "networkit-plm"


# igraph and networkit keep their random generator and thread count in process-wide state.
_LOCK = threading.RLock()
_MODULES = {"networkit-plm": "networkit", "igraph-leiden": "igraph", "igraph-louvain": "igraph"}
_warming: dict[str, threading.Thread] = {}


def engine_module(module: str) -> Any:
    """``module`` (networkit, igraph), imported once per process. networkit without
    matplotlib's pyplot, which it imports only to offer plots (its import guarded by an
    ImportError) and which nothing here draws: 2.1 s of CPU per process becomes 0.9 s,
    and neither matplotlib nor pandas is loaded (measured 2026-12-08). The block is
    lifted after, so a later ``import matplotlib.pyplot`` (a docs example) works; one
    made by another thread meanwhile would fail (no server code makes one)."""
    if module not in sys.modules:
        blocked = "matplotlib.pyplot" not in sys.modules
        if blocked:
            sys.modules["matplotlib.pyplot"] = None  # type: ignore[assignment]
        try:
            importlib.import_module(module)
        finally:
            if blocked and "matplotlib.pyplot" in sys.modules \
                    and sys.modules["matplotlib.pyplot"] is None:  # still our block
                del sys.modules["matplotlib.pyplot"]
    return importlib.import_module(module)  # waits for an import under way on a thread


def warm_up(engine: str = DEFAULT_ENGINE) -> None:
    """Start importing ``engine``'s module on another thread, once per process.

    networkit's import costs ~1 s of CPU (`engine_module`; 2–5 s with the
    matplotlib.pyplot it would pull in), and the first `communities` of a process
    paid it after the numpy work that precedes clustering; begun before that work,
    it runs beside it (numpy releases the GIL in its sorts). Importing the module
    again then waits for this import to finish, as Python's import lock makes it.
    """
    module = _MODULES.get(engine)
    if module is None or module in sys.modules or module in _warming:
        return
    thread = threading.Thread(
        target=engine_module, args=(module,), name=f"import-{module}"
    )
    _warming[module] = thread
    thread.start()


def warmed() -> None:
    """Wait for the imports `warm_up` began (a process forks with no thread running)."""
    for thread in list(_warming.values()):
        thread.join()


@contextmanager
def networkit_serial(seed: int) -> Iterator[None]:
    """Run networkit on one thread with a fixed seed, under the process-wide lock.

    One thread makes results reproducible to the last bit (parallel sums and
    node orders vary between runs); the previous thread count is restored.
    """
    nk = engine_module("networkit")

    with _LOCK:
        threads = nk.engineering.getMaxNumberOfThreads()
        nk.engineering.setNumberOfThreads(1)
        nk.engineering.setSeed(seed, False)
        try:
            yield
        finally:
            nk.engineering.setNumberOfThreads(threads)


def communities(
    n: int,
    src: IntArray,
    dst: IntArray,
    weight: FloatArray,
    seed: int = 42,
    engine: str = DEFAULT_ENGINE,
    resolution: float = 1.0,
) -> IntArray:
    """A community label per node (0..n-1) of the undirected weighted graph.

    ``resolution`` is the modularity resolution (gamma): above 1, smaller communities.
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(src * n + dst, kind="stable")  # = lexsort by (src, dst), faster
    src, dst, weight = src[order], dst[order], weight[order]
    with _LOCK:
        if engine == "networkit-plm":
            return _networkit_plm(n, src, dst, weight, seed, resolution)
        if engine in ("igraph-leiden", "igraph-louvain"):
            return _igraph(n, src, dst, weight, seed, resolution, engine == "igraph-leiden")
    raise ValueError(f"unknown community engine {engine!r}; one of {ENGINES}")


def _igraph(
    n: int,
    src: IntArray,
    dst: IntArray,
    weight: FloatArray,
    seed: int,
    resolution: float,
    leiden: bool,
) -> IntArray:
    # igraph is optional (not a declared dependency): imported only when chosen.
    import igraph as ig

    g = ig.Graph(n=n, edges=np.column_stack((src, dst)), directed=False)
    ig.set_random_number_generator(random.Random(seed))
    try:
        clustering: Any
        if leiden:
            clustering = g.community_leiden(
                objective_function="modularity",
                weights=weight,
                resolution=resolution,
                n_iterations=-1,
            )
        else:
            clustering = g.community_multilevel(weights=weight, resolution=resolution)
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(clustering.membership, dtype=np.int64)


GIL_SLICE = 32_768
"""Edges added, and labels converted, per call: networkit's ``addEdges`` and the list
of labels hold the GIL throughout (1.3 s for 2.5M edges), which would stall the
request loop while rings run on a pool thread (graph_api.offload); a slice holds it
for ~15 ms. The graph built is the same: edges are added in the same order."""


def _networkit_plm(
    n: int, src: IntArray, dst: IntArray, weight: FloatArray, seed: int, resolution: float
) -> IntArray:
    nk = engine_module("networkit")

    with networkit_serial(seed):
        g = nk.graph.Graph(n, weighted=True, directed=False)
        for at in range(0, len(src), GIL_SLICE):
            end = at + GIL_SLICE
            g.addEdges((weight[at:end], (src[at:end], dst[at:end])))
        plm = nk.community.PLM(g, refine=True, gamma=resolution, par="none")
        plm.run()
        labels = plm.getPartition().getVector()
    out = np.empty(len(labels), dtype=np.int64)
    for at in range(0, len(labels), GIL_SLICE):
        out[at : at + GIL_SLICE] = labels[at : at + GIL_SLICE]
    return out
