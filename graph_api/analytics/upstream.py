"""Tracing listings, storefronts and sellers upstream to their sources.

The walk rules and the meaning of source, score and depth are in DESIGN.md
"Confidence and ranking" and in `graph_api.analytics.walks`.
"""

from __future__ import annotations

import heapq
from typing import Any

import networkx as nx
import numpy as np

from graph_api.analytics._reach import infringing, reach
from graph_api.analytics.results import Path, RankedEntity, Rel, Source, SourceTrace
from graph_api.analytics.snapshot import snapshot
from graph_api.analytics.walks import TRACE_DEPTH, UpstreamWalk

__all__ = ["trace_to_source", "top_sources"]


def trace_to_source(
    G: Any,
    origin: str,
    max_depth: int = 6,
    min_confidence: float = 0.0,
    paths_per_source: int = 3,
) -> SourceTrace:
    """Walk upstream from ``origin`` to the warehouses and factories it comes from.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view; edge keys are relation kinds, edge data has "confidence".
    origin : str
        The entity to start from (usually a listing, storefront or seller).
    max_depth : int
        At most this many hops.
    min_confidence : float
        Relations of lower confidence are not walked.
    paths_per_source : int
        How many paths to give per source, most confident first.

    Returns
    -------
    SourceTrace
        Sources sorted by score descending, then depth, then id. ``score`` is
        the best product of relation confidences over simple paths of at most
        ``max_depth`` hops; ``depth`` the fewest hops to the source.

    Raises
    ------
    networkx.NodeNotFound
        If ``origin`` is not in ``G``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("l", {"kind": "LISTING"}), ("s", {"kind": "STOREFRONT"}),
    ...                   ("w", {"kind": "WAREHOUSE"}), ("f", {"kind": "FACTORY"})])
    >>> G.add_edge("s", "l", key="LISTS", confidence=0.9)
    'LISTS'
    >>> G.add_edge("s", "w", key="SHIPS_FROM", confidence=0.5)
    'SHIPS_FROM'
    >>> G.add_edge("w", "f", key="SUPPLIED_BY", confidence=0.8)
    'SUPPLIED_BY'
    >>> [(s.entity, round(s.score, 2), s.depth) for s in trace_to_source(G, "l").sources]
    [('f', 0.36, 3)]
    >>> trace_to_source(G, "l").sources[0].paths[0].nodes
    ('l', 's', 'w', 'f')

    Notes
    -----
    Cost: a hop-bounded Bellman-Ford (layered max-product DP) over the nodes
    reached, O(max_depth * relations reached), each node's adjacency read from
    the view once; then a best-first search of partial simple paths (pruned by
    hops-to-a-source) until every source has ``paths_per_source`` paths.
    """
    if origin not in G:
        raise nx.NodeNotFound(f"node {origin!r} is not in the graph")
    walk = UpstreamWalk(G, min_confidence)
    best: dict[str, float] = {origin: 1.0}
    depth: dict[str, int] = {origin: 0}
    changed = [origin]
    for d in range(1, max_depth + 1):
        updates: dict[str, float] = {}
        for u in changed:
            bu = best[u]
            for v, c, _ in walk.steps(u):
                p = bu * c
                if p > updates.get(v, -1.0) and p > best.get(v, -1.0):
                    updates[v] = p
                if v not in depth:
                    depth[v] = d
        if not updates:
            break
        best.update(updates)
        changed = list(updates)
    sources = sorted(
        (n for n in best if n != origin and walk.is_source(n)),
        key=lambda n: (-best[n], depth[n], n),
    )
    paths = _best_paths(walk, origin, set(sources), best, max_depth, paths_per_source)
    return SourceTrace(
        origin=origin,
        sources=tuple(
            Source(entity=s, score=best[s], depth=depth[s], paths=paths.get(s, ())) for s in sources
        ),
    )


def _best_paths(
    walk: UpstreamWalk,
    origin: str,
    sources: set[str],
    reached: dict[str, float],
    max_depth: int,
    k: int,
) -> dict[str, tuple[Path, ...]]:
    """The ``k`` most confident simple paths of <= ``max_depth`` hops to each source.

    Best-first over partial paths: confidences are <= 1, so a path's product
    bounds all its extensions and paths leave the heap in non-increasing
    confidence. A source stops collecting once a popped path is strictly less
    confident than its k-th path (paths tied with the k-th are kept, then the
    ties are broken by hops and node ids).
    """
    if k <= 0 or not sources:
        return {}
    # Fewest hops from each reached node to any source, over the reached subgraph.
    back: dict[str, list[str]] = {}
    for u in reached:
        for v, _, _ in walk.steps(u):
            if v in reached:
                back.setdefault(v, []).append(u)
    to_source = dict.fromkeys(sources, 0)
    frontier = list(sources)
    while frontier:
        nxt = []
        for v in frontier:
            for u in back.get(v, ()):
                if u not in to_source:
                    to_source[u] = to_source[v] + 1
                    nxt.append(u)
        frontier = nxt

    found: dict[str, list[tuple[float, int, tuple[str, ...], tuple[Rel, ...]]]] = {}
    open_sources = set(sources)
    closed: list[tuple[float, str]] = []  # (-k-th confidence, source)
    heap: list[tuple[float, int, tuple[str, ...], tuple[Rel, ...]]] = [(-1.0, 0, (origin,), ())]
    while heap and open_sources:
        item = heapq.heappop(heap)
        p = -item[0]
        while closed and -closed[0][0] > p:
            open_sources.discard(heapq.heappop(closed)[1])
        hops, nodes, rels = item[1], item[2], item[3]
        u = nodes[-1]
        if u in open_sources and hops > 0:
            got = found.setdefault(u, [])
            got.append(item)
            if len(got) == k:
                heapq.heappush(closed, (-p, u))
        if hops == max_depth:
            continue
        for v, c, rel in walk.steps(u):
            if v in nodes or hops + 1 + to_source.get(v, max_depth + 1) > max_depth:
                continue
            heapq.heappush(heap, (-(p * c), hops + 1, (*nodes, v), (*rels, rel)))
    return {
        s: tuple(Path(nodes=n, relations=r, confidence=-negp) for negp, _, n, r in sorted(got)[:k])
        for s, got in found.items()
    }


def top_sources(G: Any, brand: str | None = None, first: int | None = None) -> list[RankedEntity]:
    """Rank warehouses and factories by how many infringing listings reach them.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view.
    brand : str, optional
        Count only listings INFRINGING this brand; every brand when None.
    first : int, optional
        Keep only the first ``first`` entries.

    Returns
    -------
    list of RankedEntity
        Every WAREHOUSE and FACTORY (zero scores included), by the number of
        distinct infringing listings whose trace walk (depth 6, any
        confidence) reaches it, descending, then by id.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("b", {"kind": "BRAND"}), ("w", {"kind": "WAREHOUSE"}),
    ...                   ("f", {"kind": "FACTORY"}), ("w2", {"kind": "WAREHOUSE"})])
    >>> for n in ("l1", "l2"):
    ...     G.add_node(n, kind="LISTING")
    ...     _ = G.add_edge(n, "b", key="INFRINGES", confidence=1.0)
    ...     _ = G.add_edge(n, "w", key="SHIPS_FROM", confidence=0.5)
    >>> _ = G.add_edge("w", "f", key="SUPPLIED_BY", confidence=0.5)
    >>> [(r.entity, r.score) for r in top_sources(G)]
    [('f', 2.0), ('w', 2.0), ('w2', 0.0)]

    Notes
    -----
    One breadth-first search for all the listings at once, over (listing, node)
    pairs in numpy arrays (`graph_api.analytics._reach.reach`) on the view's
    `snapshot`: O(P log P) for P = the sum of the listings' reach sizes, after
    the snapshot's one read of the view (reused by every whole-graph step on
    the same view).
    """
    sn = snapshot(G)
    _, reached = reach(sn, infringing(sn, brand), TRACE_DEPTH)
    counts = np.bincount(reached, minlength=len(sn))
    sites = sn.by_id(np.flatnonzero(sn.of_kind("WAREHOUSE", "FACTORY")))
    ranked = sites[np.argsort(-counts[sites], kind="stable")]
    if first is not None:
        ranked = ranked[:first]
    return [RankedEntity(entity=sn.ids[i], score=float(counts[i])) for i in ranked.tolist()]
