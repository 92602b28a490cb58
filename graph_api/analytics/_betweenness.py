"""Betweenness of every node within its own community, for many communities at once."""

from __future__ import annotations

from typing import Any

import numpy as np

from graph_api.analytics._cluster import networkit_serial
from graph_api.analytics.snapshot import FloatArray, IntArray, distinct

__all__ = ["within_communities"]

SMALL = 12
BATCH = 96
"""Communities of at most SMALL nodes run together, about BATCH nodes at a time:
one networkit call costs some 25 µs, and a run resets O(nodes) state per
source, so a union pays its size squared; for a thousand seller-and-two-
storefront communities one call each would cost more than the work."""


def within_communities(
    labels: IntArray,
    chosen: IntArray,
    sizes: IntArray,
    src: IntArray,
    dst: IntArray,
    seed: int,
    exact_up_to: int,
    samples: int,
    edge_budget: int,
    memo: dict[Any, FloatArray] | None = None,
) -> FloatArray:
    """Betweenness of each node (0..n-1) within its community, 0 outside ``chosen``.

    ``src -> dst`` are the clustered edges (one per ordered pair), ``labels``
    the community of each node, ``sizes`` the number of nodes of each
    community. Undirected, unweighted, normalised as networkx does, over the
    nodes of the community that have an edge inside it; 0 in communities of
    at most 2 nodes.

    One networkit run per community (a single run over their disjoint union
    would be cheaper to call but networkit resets O(n) state per source, so it
    is quadratic in the union): exact up to ``exact_up_to`` nodes; above,
    estimated from ``samples`` seeded samples, fewer (down to 8) in
    communities so big that samples * edges would exceed ``edge_budget``. The
    graphs are cut out of the edge arrays with a few sorts for all the
    communities at once, so a run costs little more than networkit's own work
    (about 30 µs for a ring of a few nodes).

    ``memo`` (kept by the caller from one call to the next) maps a community's
    graph as networkit gets it (size, nodes, edges) to its exact scores: a
    community found again, after a write elsewhere or shaped like another, is
    not run again. Replaced by the entries this call used. Estimated scores
    (seeded samples drawn in turn) are never kept.
    """
    import networkit as nk

    n = len(labels)
    scores = np.zeros(n, dtype=np.float64)
    is_chosen = np.zeros(len(sizes), dtype=bool)
    is_chosen[chosen] = True
    inside = (labels[src] == labels[dst]) & is_chosen[labels[src]]
    src, dst = src[inside], dst[inside]
    directed = np.bincount(labels[src], minlength=len(sizes))  # edges as stored, per community
    # Undirected pairs ordered by (community, low end, high end); the nodes of each
    # community that have an edge, numbered 0.. in id order.
    pairs = distinct(np.minimum(src, dst) * n + np.maximum(src, dst))
    lo, hi = pairs // n, pairs % n
    by_label = np.argsort(labels[lo], kind="stable")
    lo, hi = lo[by_label], hi[by_label]
    pair_label = labels[lo]
    present = distinct(np.concatenate((lo, hi)))
    present = present[np.argsort(labels[present], kind="stable")]
    present_label = labels[present]
    first = np.searchsorted(present_label, present_label)
    local = np.full(n, -1, dtype=np.int64)
    local[present] = np.arange(len(present)) - first
    lo_local, hi_local = local[lo], local[hi]
    pair_start = np.searchsorted(pair_label, chosen, side="left")
    pair_end = np.searchsorted(pair_label, chosen, side="right")
    node_start = np.searchsorted(present_label, chosen, side="left")
    node_end = np.searchsorted(present_label, chosen, side="right")
    batch: list[tuple[int, int, int, int, int]] = []  # small communities run together
    batched = 0
    known = {} if memo is None else memo
    used: dict[Any, FloatArray] = {}
    with networkit_serial(seed):
        for lab, p0, p1, n0, n1 in zip(
            chosen.tolist(),
            pair_start.tolist(),
            pair_end.tolist(),
            node_start.tolist(),
            node_end.tolist(),
            strict=True,
        ):
            size = int(sizes[lab])
            if p1 == p0 or size <= 2:
                continue
            small = n1 - n0 <= SMALL
            key = None
            if small or size <= exact_up_to:
                key = (size, n1 - n0, lo_local[p0:p1].tobytes(), hi_local[p0:p1].tobytes())
                found = used.get(key)
                if found is None:
                    found = known.get(key)
                if found is not None:
                    scores[present[n0:n1]] = used[key] = found
                    continue
            if small:
                batch.append((size, p0, p1, n0, n1))
                batched += n1 - n0
                if batched >= BATCH:
                    _exact_together(nk, batch, lo_local, hi_local, present, scores, used)
                    batch, batched = [], 0
                continue
            g = nk.graph.Graph(n1 - n0, weighted=False, directed=False)
            g.addEdges((lo_local[p0:p1], hi_local[p0:p1]))
            algo: Any
            if key is not None:
                algo = nk.centrality.Betweenness(g, normalized=False)
            else:
                taken = max(8, min(samples, edge_budget // int(directed[lab])))
                algo = nk.centrality.EstimateBetweenness(g, taken, False, False)
            algo.run()
            found = _scaled(algo.scores(), size)
            scores[present[n0:n1]] = found
            if key is not None:
                used[key] = found
        _exact_together(nk, batch, lo_local, hi_local, present, scores, used)
    if memo is not None:
        memo.clear()
        memo.update(used)
    return scores


def _exact_together(
    nk: Any,
    batch: list[tuple[int, int, int, int, int]],
    lo: IntArray,
    hi: IntArray,
    present: IntArray,
    scores: FloatArray,
    used: dict[Any, FloatArray],
) -> None:
    """Exact betweenness of small communities in one run over their disjoint union.

    Paths never leave a community, so each node gets the sums a run on its
    own community gives it, added in the same order: the same floats. Each
    community's scores are also kept in ``used`` by its graph.
    """
    if not batch:
        return
    width = [n1 - n0 for _, _, _, n0, n1 in batch]
    offset = np.cumsum([0, *width])
    g = nk.graph.Graph(int(offset[-1]), weighted=False, directed=False)
    parts = [(p0, p1, int(at)) for (_, p0, p1, _, _), at in zip(batch, offset, strict=False)]
    g.addEdges(
        (
            np.concatenate([lo[p0:p1] + at for p0, p1, at in parts]),
            np.concatenate([hi[p0:p1] + at for p0, p1, at in parts]),
        )
    )
    algo = nk.centrality.Betweenness(g, normalized=False)
    algo.run()
    raw = np.asarray(algo.scores(), dtype=np.float64)
    for (size, p0, p1, n0, n1), at in zip(batch, offset.tolist(), strict=False):
        found = _scaled(raw[at : at + n1 - n0], size)
        scores[present[n0:n1]] = found
        used[(size, n1 - n0, lo[p0:p1].tobytes(), hi[p0:p1].tobytes())] = found


def _scaled(raw: Any, size: int) -> FloatArray:
    # networkit counts ordered pairs, networkx normalises unordered ones
    # by 2 / ((n - 1)(n - 2)): together raw / ((n - 1)(n - 2)).
    scale = 1.0 / ((size - 1) * (size - 2))
    return np.asarray(raw, dtype=np.float64) * scale
