"""Ring candidates: communities of sellers and storefronts and what binds them."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from graph_api.analytics._cluster import DEFAULT_ENGINE, communities, networkit_serial
from graph_api.analytics._walk import TRACE_DEPTH, UpstreamWalk, confidence_of, plain
from graph_api.analytics.results import RankedEntity, RingCandidate

__all__ = ["ring_candidates"]

CLUSTERED_KINDS = frozenset({"SELLER", "STOREFRONT", "WAREHOUSE", "FACTORY", "IDENTIFIER", "RING"})
JOINING_RELATIONS = (
    "OPERATES",
    "USES",
    "SUPPLIED_BY",
    "SHIPS_FROM",
    "MEMBER_OF",
    "ASSOCIATED_WITH",
)
MEMBER_KINDS = frozenset({"SELLER", "STOREFRONT"})
PLAYER_KINDS = frozenset({"SELLER", "STOREFRONT", "WAREHOUSE", "FACTORY"})
EXACT_BETWEENNESS_UP_TO = 500
BETWEENNESS_SAMPLES = 64
BETWEENNESS_EDGE_BUDGET = 2_000_000  # samples * edges per estimated community


def ring_candidates(
    G: Any,
    min_size: int = 3,
    seed: int = 42,
    engine: str = DEFAULT_ENGINE,
    resolution: float = 1.0,
) -> list[RingCandidate]:
    """Communities of sellers and storefronts that look like rings.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view.
    min_size : int
        Keep communities with at least this many sellers plus storefronts.
    seed : int
        Seed of the community detection (same view + same seed = same answer).
    engine : str
        One of `graph_api.analytics._cluster.ENGINES` (for benchmarks).
    resolution : float
        Modularity resolution; above 1 splits more (fewer merged rings, more
        small false candidates: see bench/RESULTS-analytics.md).

    Returns
    -------
    list of RingCandidate
        By size descending, then id. ``members`` are the community's sellers and
        storefronts; ``key_players`` its sellers, storefronts, warehouses and
        factories by betweenness (normalised as networkx does) within the
        community, ties by id; ``sources`` every warehouse and factory the
        trace walk (depth 6, any confidence) reaches from its storefronts;
        ``regions`` those of members and sources; ``known_ring`` the RING that
        MEMBER_OF links more than half of its sellers to, if any. The id is
        "ringcand-" + 16 hex of SHA-256 over the sorted member ids.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("r", kind="RING")
    >>> for i in range(3):
    ...     G.add_node(f"s{i}", kind="SELLER", region="PRD")
    ...     _ = G.add_edge(f"s{i}", "ph", key="USES", confidence=1.0)
    ...     _ = G.add_edge(f"s{i}", "r", key="MEMBER_OF", confidence=1.0)
    >>> G.add_node("ph", kind="IDENTIFIER")
    >>> [(c.size, c.members, c.known_ring) for c in ring_candidates(G)]
    [(3, ('s0', 's1', 's2'), 'r')]

    Notes
    -----
    Cost: one pass over the clustered nodes' adjacency into numpy edge arrays
    (relation weight = confidence, summed over relation kinds), one run of the
    community engine (networkit PLM, about O(m) per pass), then per candidate an
    betweenness within its community (one exact networkit run over all the
    communities up to 500 nodes, seeded 64-sample estimates above) and memoised upstream walks.
    """
    chosen_nodes = sorted(
        (n, plain(kind)) for n, kind in G.nodes(data="kind") if kind in CLUSTERED_KINDS
    )
    ids = [n for n, _ in chosen_nodes]
    kinds = [k for _, k in chosen_nodes]
    del chosen_nodes
    index = {n: i for i, n in enumerate(ids)}
    src: list[int] = []
    dst: list[int] = []
    weight: list[float] = []
    member_of: dict[int, list[int]] = {}
    joining = frozenset(JOINING_RELATIONS)
    for i, u in enumerate(ids):
        for v, keydict in G.succ[u].items():
            j = index.get(v)
            if j is None or j == i:
                continue
            w = 0.0
            joined = False
            for k in keydict:
                if k in joining:
                    joined = True
                    w += confidence_of(keydict[k])
                    if k == "MEMBER_OF":
                        member_of.setdefault(i, []).append(j)
            if joined:
                src.append(i)
                dst.append(j)
                weight.append(w)
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    w_arr = np.asarray(weight, dtype=np.float64)
    labels = communities(len(ids), s, d, w_arr, seed, engine, resolution)

    is_member = np.fromiter((k in MEMBER_KINDS for k in kinds), dtype=bool, count=len(ids))
    member_counts = np.bincount(labels[is_member], minlength=int(labels.max(initial=-1)) + 1)
    chosen = np.flatnonzero(member_counts >= max(min_size, 1))
    if chosen.size == 0:
        return []
    inside = labels[s] == labels[d]
    e_src, e_dst = s[inside], d[inside]
    e_lab = labels[e_src]
    node_order = np.argsort(labels, kind="stable")
    node_bounds = np.searchsorted(labels[node_order], np.arange(len(member_counts) + 1))

    sizes = np.diff(node_bounds)
    scores = _betweenness(chosen, sizes, e_src, e_dst, e_lab, seed)
    walk = UpstreamWalk(G, 0.0)
    out: list[RingCandidate] = []
    for lab in chosen.tolist():
        nodes = node_order[node_bounds[lab] : node_bounds[lab + 1]]
        out.append(_candidate(G, walk, ids, kinds, nodes, member_of, scores))
    out.sort(key=lambda c: (-c.size, c.id))
    return out


def _betweenness(
    chosen: Any, sizes: Any, e_src: Any, e_dst: Any, e_lab: Any, seed: int
) -> dict[int, float]:
    """Betweenness of every node of the chosen communities, within its community.

    Undirected, unweighted, normalised as networkx does; one networkit run per
    community (a single run over their disjoint union would be cheaper to call
    but networkit resets O(n) state per source, so it is quadratic in the
    union). Exact up to EXACT_BETWEENNESS_UP_TO nodes; above, estimated from
    BETWEENNESS_SAMPLES seeded samples, fewer (down to 8) in communities so big
    (tens of thousands of nodes: not a ring, a region's open market) that the
    samples * edges budget would be exceeded.
    """
    import networkit as nk

    keep = np.isin(e_lab, chosen)
    e_src, e_dst, e_lab = e_src[keep], e_dst[keep], e_lab[keep]
    order = np.argsort(e_lab, kind="stable")
    e_src, e_dst, e_lab = e_src[order], e_dst[order], e_lab[order]
    bounds = np.searchsorted(e_lab, chosen, side="left")
    ends = np.searchsorted(e_lab, chosen, side="right")
    scores: dict[int, float] = {}
    with networkit_serial(seed):
        for lab, lo, hi in zip(chosen.tolist(), bounds.tolist(), ends.tolist(), strict=True):
            n = int(sizes[lab])
            if hi == lo or n <= 2:
                continue
            a, b = e_src[lo:hi], e_dst[lo:hi]
            pairs = np.unique(np.stack((np.minimum(a, b), np.maximum(a, b))), axis=1)
            nodes, local = np.unique(pairs, return_inverse=True)
            local = local.reshape(pairs.shape)
            g = nk.graph.Graph(len(nodes), weighted=False, directed=False)
            g.addEdges((np.ascontiguousarray(local[0]), np.ascontiguousarray(local[1])))
            if n <= EXACT_BETWEENNESS_UP_TO:
                algo: Any = nk.centrality.Betweenness(g, normalized=False)
            else:
                samples = max(8, min(BETWEENNESS_SAMPLES, BETWEENNESS_EDGE_BUDGET // len(a)))
                algo = nk.centrality.EstimateBetweenness(g, samples, False, False)
            algo.run()
            # networkit counts ordered pairs, networkx normalises unordered ones
            # by 2 / ((n - 1)(n - 2)): together raw / ((n - 1)(n - 2)).
            scale = 1.0 / ((n - 1) * (n - 2))
            for node, raw in zip(nodes.tolist(), algo.scores(), strict=True):
                scores[node] = raw * scale
    return scores


def _candidate(
    G: Any,
    walk: UpstreamWalk,
    ids: list[str],
    kinds: list[str],
    nodes: Any,
    member_of: dict[int, list[int]],
    scores: dict[int, float],
) -> RingCandidate:
    node_list = sorted(nodes.tolist())
    members = tuple(ids[i] for i in node_list if kinds[i] in MEMBER_KINDS)
    sellers = [i for i in node_list if kinds[i] == "SELLER"]
    rings: dict[int, int] = {}
    for i in sellers:
        for r in set(member_of.get(i, ())):
            rings[r] = rings.get(r, 0) + 1
    known = None
    if rings:
        r, count = min(rings.items(), key=lambda item: (-item[1], ids[item[0]]))
        if 2 * count > len(sellers):
            known = ids[r]
    sources: set[str] = set()
    for i in node_list:
        if kinds[i] == "STOREFRONT":
            reached = walk.reach(ids[i], TRACE_DEPTH)
            sources.update(n for n in reached if walk.kind(n) in ("WAREHOUSE", "FACTORY"))
    regions = set()
    for n in (*members, *sources):
        region = G.nodes[n].get("region")
        if region:
            regions.add(str(region))
    digest = hashlib.sha256("\x1f".join(members).encode()).hexdigest()[:16]
    return RingCandidate(
        id=f"ringcand-{digest}",
        size=len(members),
        members=members,
        key_players=tuple(
            RankedEntity(entity=e, score=-negs)
            for negs, e in sorted(
                (-scores.get(i, 0.0), ids[i]) for i in node_list if kinds[i] in PLAYER_KINDS
            )
        ),
        sources=tuple(sorted(sources)),
        regions=tuple(sorted(regions)),
        known_ring=known,
    )
