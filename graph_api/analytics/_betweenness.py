"""Betweenness of every node within its own community, for many communities, each
computed when it is first asked for."""

from __future__ import annotations

from typing import Any

import numpy as np

from graph_api.analytics._cluster import engine_module, networkit_serial
from graph_api.analytics.snapshot import distinct
from graph_api.view_columns import FloatArray, IntArray

__all__ = ["CommunityBetweenness", "within_communities"]

SMALL = 12
BATCH = 96
"""Communities of at most SMALL nodes run together, about BATCH nodes at a time:
one networkit call costs some 25 µs, and a run resets O(nodes) state per
source, so a union pays its size squared; for a thousand seller-and-two-
storefront communities one call each would cost more than the work."""

Where = tuple[int, int, int, int]  # a community's pairs [p0, p1) and nodes [n0, n1)


class CommunityBetweenness:
    """Betweenness of each node within its community, for the ``chosen`` communities.

    ``src -> dst`` are the clustered edges (one per ordered pair), ``labels``
    the community of each node (0..n-1), ``sizes`` the number of nodes of
    each community. Undirected, unweighted, normalised as networkx does, over
    the nodes of the community that have an edge inside it; 0 in communities
    of at most 2 nodes.

    The graphs are cut out of the edge arrays with a few sorts for all the
    communities at once; a community's scores are then computed when first
    asked for (`of`): a rings answer is read for its first candidates, and
    the thousands after them need never be run. Exact, by one networkit run
    per community, up to ``exact_up_to`` nodes: the same floats whenever and
    however a community is run (alone or with others: paths never leave a
    community). Above, estimated from ``samples`` seeded samples (fewer, down
    to 8, when samples * edges would exceed ``edge_budget``): those draw from
    one seeded generator in turn, so they are all run at once, in the order
    of ``chosen``, when the object is made.

    ``memo`` maps a community's graph as networkit gets it (size, nodes,
    edges) to its exact scores; ``self.memo`` keeps those of the current
    communities, known or computed since, for the next call to take: a
    community found again after a write elsewhere is not run again.
    """

    def __init__(
        self,
        labels: IntArray,
        chosen: IntArray,
        sizes: IntArray,
        src: IntArray,
        dst: IntArray,
        settings: tuple[int, int, int, int],
        memo: dict[Any, FloatArray] | None = None,
    ) -> None:
        seed, exact_up_to, samples, edge_budget = settings
        self.seed = seed
        n = len(labels)
        is_chosen = np.zeros(len(sizes), dtype=bool)
        is_chosen[chosen] = True
        inside = (labels[src] == labels[dst]) & is_chosen[labels[src]]
        src, dst = src[inside], dst[inside]
        directed = np.bincount(labels[src], minlength=len(sizes))  # edges as stored
        # Undirected pairs ordered by (community, low end, high end); the nodes of
        # each community that have an edge, numbered 0.. in id order.
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
        self.present, self.lo, self.hi = present, local[lo], local[hi]
        self.sizes = sizes
        self.where: dict[int, Where] = {}
        self.keys: dict[int, Any] = {}
        self.scores: dict[int, FloatArray] = {}
        known = memo or {}
        self.memo: dict[Any, FloatArray] = {}
        estimated: list[tuple[int, int]] = []
        for lab, p0, p1, n0, n1 in zip(
            chosen.tolist(),
            np.searchsorted(pair_label, chosen, side="left").tolist(),
            np.searchsorted(pair_label, chosen, side="right").tolist(),
            np.searchsorted(present_label, chosen, side="left").tolist(),
            np.searchsorted(present_label, chosen, side="right").tolist(),
            strict=True,
        ):
            size = int(sizes[lab])
            if p1 == p0 or size <= 2:
                continue
            self.where[lab] = (p0, p1, n0, n1)
            if n1 - n0 > SMALL and size > exact_up_to:
                estimated.append((lab, max(8, min(samples, edge_budget // int(directed[lab])))))
                continue
            shape = (self.lo[p0:p1].tobytes(), self.hi[p0:p1].tobytes())
            key = self.keys[lab] = (size, n1 - n0, *shape)
            found = known.get(key)
            if found is not None:
                self.memo[key] = self.scores[lab] = found
        if estimated:
            nk = engine_module("networkit")

            with networkit_serial(seed):
                for lab, taken in estimated:
                    g = self._graph(nk, lab)
                    algo = nk.centrality.EstimateBetweenness(g, taken, False, False)
                    algo.run()
                    self.scores[lab] = _scaled(algo.scores(), int(sizes[lab]))

    def of(self, label: int) -> tuple[IntArray, FloatArray]:
        """The nodes of community ``label`` that have an edge in it (ascending) and
        their scores; nothing for a community not chosen or without such nodes."""
        where = self.where.get(label)
        if where is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if label not in self.scores:
            self.compute([label])
        return self.present[where[2] : where[3]], self.scores[label]

    def compute(self, labels: list[int]) -> None:
        """Run the exact ones of ``labels`` not yet known, small ones together."""
        nk = engine_module("networkit")

        todo = [lab for lab in labels if lab in self.where and lab not in self.scores]
        batch: list[int] = []
        batched = 0
        with networkit_serial(self.seed):
            for lab in todo:
                key = self.keys[lab]
                found = self.memo.get(key)  # shaped like one run before
                if found is not None:
                    self.scores[lab] = found
                    continue
                p0, p1, n0, n1 = self.where[lab]
                if n1 - n0 <= SMALL:
                    batch.append(lab)
                    batched += n1 - n0
                    if batched >= BATCH:
                        self._together(nk, batch)
                        batch, batched = [], 0
                    continue
                algo = nk.centrality.Betweenness(self._graph(nk, lab), normalized=False)
                algo.run()
                self._keep(lab, _scaled(algo.scores(), int(self.sizes[lab])))
            self._together(nk, batch)

    def everything(self, n: int) -> FloatArray:
        """Every node's score (0..n-1), 0 outside the chosen communities."""
        self.compute(list(self.where))
        out = np.zeros(n, dtype=np.float64)
        for lab, (_, _, n0, n1) in self.where.items():
            out[self.present[n0:n1]] = self.scores[lab]
        return out

    def _graph(self, nk: Any, lab: int) -> Any:
        p0, p1, n0, n1 = self.where[lab]
        g = nk.graph.Graph(n1 - n0, weighted=False, directed=False)
        g.addEdges((self.lo[p0:p1], self.hi[p0:p1]))
        return g

    def _keep(self, lab: int, scores: FloatArray) -> None:
        self.scores[lab] = self.memo[self.keys[lab]] = scores

    def _together(self, nk: Any, batch: list[int]) -> None:
        """Exact betweenness of small communities in one run over their disjoint union.

        Paths never leave a community, so each node gets the sums a run on its
        own community gives it, added in the same order: the same floats.
        """
        if not batch:
            return
        parts = [self.where[lab] for lab in batch]
        offset = np.cumsum([0, *(n1 - n0 for _, _, n0, n1 in parts)])
        cuts = [(p0, p1, at) for (p0, p1, _, _), at in zip(parts, offset, strict=False)]
        g = nk.graph.Graph(int(offset[-1]), weighted=False, directed=False)
        g.addEdges(
            (
                np.concatenate([self.lo[p0:p1] + at for p0, p1, at in cuts]),
                np.concatenate([self.hi[p0:p1] + at for p0, p1, at in cuts]),
            )
        )
        algo = nk.centrality.Betweenness(g, normalized=False)
        algo.run()
        raw = np.asarray(algo.scores(), dtype=np.float64)
        for lab, (_, _, n0, n1), at in zip(batch, parts, offset.tolist(), strict=False):
            self._keep(lab, _scaled(raw[at : at + n1 - n0], int(self.sizes[lab])))


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
    """Every node's betweenness within its community (`CommunityBetweenness`, all
    communities run now), 0 outside ``chosen``."""
    settings = (seed, exact_up_to, samples, edge_budget)
    found = CommunityBetweenness(labels, chosen, sizes, src, dst, settings, memo)
    scores = found.everything(len(labels))
    if memo is not None:
        memo.clear()
        memo.update(found.memo)
    return scores


def _scaled(raw: Any, size: int) -> FloatArray:
    # networkit counts ordered pairs, networkx normalises unordered ones
    # by 2 / ((n - 1)(n - 2)): together raw / ((n - 1)(n - 2)).
    scale = 1.0 / ((size - 1) * (size - 2))
    return np.asarray(raw, dtype=np.float64) * scale
