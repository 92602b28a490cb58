"""Ring candidates: communities of sellers and storefronts and what binds them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, overload

import numpy as np

from graph_api.analytics._betweenness import CommunityBetweenness
from graph_api.analytics._cluster import DEFAULT_ENGINE, warm_up
from graph_api.analytics._reach import reach
from graph_api.analytics._reuse import by_id, clustered_communities, community_betweenness
from graph_api.analytics.results import RankedEntity, RingCandidate
from graph_api.analytics.snapshot import Snapshot, distinct, snapshot
from graph_api.analytics.walks import TRACE_DEPTH
from graph_api.gc_pause import no_collection
from graph_api.view_columns import BoolArray, IntArray

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
HUB_KINDS = frozenset({"WAREHOUSE", "FACTORY", "IDENTIFIER"})
HUB_DEGREE = 20
"""A shared entity joined to more clustered entities than this is a hub (see `ring_candidates`)."""
EXACT_BETWEENNESS_UP_TO = 500
BETWEENNESS_SAMPLES = 64
BETWEENNESS_EDGE_BUDGET = 2_000_000  # samples * edges per estimated community


def ring_candidates(
    G: Any,
    min_size: int = 3,
    seed: int = 42,
    engine: str = DEFAULT_ENGINE,
    resolution: float = 1.0,
    hub_degree: int | None = HUB_DEGREE,
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
    hub_degree : int, optional
        Warehouses, factories and identifiers joined to more than this many
        distinct clustered entities are hubs: public infrastructure shared by
        unrelated sellers (a regional fulfilment warehouse, a marketplace-wide
        address). Their relations are left out of the clustering, so they no
        longer glue a region's independent sellers into one giant community;
        they still appear in ``sources`` of the rings that ship from them.
        None clusters every relation.

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
    Cost: the view's `snapshot` (read once, shared with the other whole-graph
    steps, followed from the view's previous version after a write), numpy
    edge arrays cut from it (relation weight = confidence,
    summed over relation kinds), one run of the community engine (networkit
    PLM, about O(m) per pass), betweenness within each candidate's community
    (exact networkit runs up to 500 nodes, seeded 64-sample estimates above),
    one breadth-first search from every candidate storefront at once for the
    sources, then sorts that group players, regions and known rings per
    candidate. On a snapshot followed after a write, what is unchanged is
    reused (`graph_api.analytics._reuse`): the communities and their
    betweenness when the clustered graph is as it was, else each community's
    betweenness whose graph is.
    """
    warm_up(engine)  # the engine's first import, beside reading the view and cutting its graph
    with no_collection():
        return _candidates(snapshot(G), min_size, seed, engine, resolution, hub_degree)


def _candidates(
    sn: Snapshot,
    min_size: int,
    seed: int,
    engine: str,
    resolution: float,
    hub_degree: int | None,
) -> list[RingCandidate]:
    clustered = by_id(sn, np.flatnonzero(sn.of_kind(*CLUSTERED_KINDS)), "clustered")
    position = np.full(len(sn), -1, dtype=np.int64)
    position[clustered] = np.arange(len(clustered))
    n = len(clustered)
    kind = sn.kind[clustered]
    joined = sn.rel_is(*JOINING_RELATIONS) & (sn.src != sn.dst)
    joined &= (position[sn.src] >= 0) & (position[sn.dst] >= 0)
    a, b = position[sn.src[joined]], position[sn.dst[joined]]
    member_of = sn.rel_is("MEMBER_OF")[joined]
    member_of_pairs = (a[member_of], b[member_of])
    s, d, w = _pair_weights(a, b, sn.conf[joined])
    if hub_degree is not None:
        hub = _hubs(s, d, np.isin(kind, _codes(sn, HUB_KINDS)), hub_degree)
        kept = ~(hub[s] | hub[d])
        s, d, w = s[kept], d[kept], w[kept]
    labels = clustered_communities(sn, n, (s, d, w), (seed, engine, resolution))

    is_member = np.isin(kind, _codes(sn, MEMBER_KINDS))
    member_counts = np.bincount(labels[is_member], minlength=int(labels.max(initial=-1)) + 1)
    chosen = np.flatnonzero(member_counts >= max(min_size, 1))
    if chosen.size == 0:
        return []
    sizes = np.bincount(labels, minlength=len(member_counts))
    scores = community_betweenness(
        sn,
        labels,
        chosen,
        sizes,
        (s, d),
        (seed, EXACT_BETWEENNESS_UP_TO, BETWEENNESS_SAMPLES, BETWEENNESS_EDGE_BUDGET),
    )
    # Every grouping below is a sort by community, then by id (= clustered position).
    in_chosen = np.zeros(len(member_counts), dtype=bool)
    in_chosen[chosen] = True
    ids = sn.ids
    members = _by_label(labels, in_chosen, is_member, clustered, ids)
    players = np.flatnonzero(in_chosen[labels] & np.isin(kind, _codes(sn, PLAYER_KINDS)))
    players = players[np.argsort(labels[players], kind="stable")]
    groups = dict(zip(chosen.tolist(), _groups(labels[players], chosen), strict=True))
    rank = _Ranking(scores, players, groups, clustered, ids)
    source_pairs = _ring_sources(sn, clustered, position, kind, labels, in_chosen)
    regions = _ring_regions(sn, clustered, labels, is_member & in_chosen[labels], source_pairs)
    sources: dict[int, list[str]] = {}
    for lab, node in zip(
        source_pairs[0].tolist(), clustered[source_pairs[1]].tolist(), strict=True
    ):
        sources.setdefault(lab, []).append(ids[node])
    known = _known_rings(sn, clustered, kind, labels, in_chosen, member_of_pairs)
    out: list[RingCandidate] = []
    for lab in chosen.tolist():
        names = members.get(lab, ())
        digest = hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:16]
        out.append(
            RingCandidate(
                id=f"ringcand-{digest}",
                size=len(names),
                members=names,
                key_players=KeyPlayers(rank, lab),
                sources=tuple(sources.get(lab, ())),
                regions=regions.get(lab, ()),
                known_ring=known.get(lab),
            )
        )
    out.sort(key=lambda c: (-c.size, c.id))
    return out


class _Ranking:
    """A community's players by betweenness within it (descending, ties by id),
    computed when first asked for."""

    def __init__(
        self,
        scores: CommunityBetweenness,
        players: IntArray,
        groups: dict[int, tuple[int, int]],
        clustered: IntArray,
        ids: list[str],
    ) -> None:
        self.scores, self.players, self.groups = scores, players, groups
        self.clustered, self.ids = clustered, ids

    def __call__(self, label: int) -> tuple[RankedEntity, ...]:
        p0, p1 = self.groups.get(label, (0, 0))
        players = self.players[p0:p1]  # by clustered position, i.e. by id
        nodes, scores = self.scores.of(label)
        at = np.minimum(np.searchsorted(nodes, players), max(len(nodes) - 1, 0))
        score = np.zeros(len(players), dtype=np.float64)
        if len(nodes):
            found = nodes[at] == players
            score[found] = scores[at[found]]
        order = np.lexsort((players, -score))
        names = [self.ids[i] for i in self.clustered[players[order]].tolist()]
        return tuple(map(RankedEntity, names, score[order].tolist()))


class KeyPlayers(Sequence[RankedEntity]):
    """A ring candidate's key players: a tuple, ranked when first read (a rings
    answer is read for its first candidates; thousands follow)."""

    __slots__ = ("_rank", "_label", "_got")

    def __init__(self, rank: Callable[[int], tuple[RankedEntity, ...]], label: int) -> None:
        self._rank: Callable[[int], tuple[RankedEntity, ...]] | None = rank
        self._label = label
        self._got: tuple[RankedEntity, ...] | None = None

    def _players(self) -> tuple[RankedEntity, ...]:
        if self._got is None:
            assert self._rank is not None
            self._got, self._rank = self._rank(self._label), None
        return self._got

    @overload
    def __getitem__(self, i: int) -> RankedEntity: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[RankedEntity, ...]: ...
    def __getitem__(self, i: int | slice) -> RankedEntity | tuple[RankedEntity, ...]:
        return self._players()[i]

    def __len__(self) -> int:
        return len(self._players())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KeyPlayers | tuple):
            return self._players() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._players())

    def __repr__(self) -> str:
        return repr(self._players())


def _codes(sn: Snapshot, names: frozenset[str]) -> list[int]:
    return [i for i, k in enumerate(sn.kinds) if k in names]


def _groups(sorted_labels: IntArray, chosen: IntArray) -> list[tuple[int, int]]:
    """(start, end) of each chosen label's run in ``sorted_labels``."""
    starts = np.searchsorted(sorted_labels, chosen, side="left").tolist()
    ends = np.searchsorted(sorted_labels, chosen, side="right").tolist()
    return list(zip(starts, ends, strict=True))


def _by_label(
    labels: IntArray, in_chosen: Any, which: Any, clustered: IntArray, ids: list[str]
) -> dict[int, tuple[str, ...]]:
    """Per chosen community: the ids of its nodes selected by ``which``, sorted."""
    nodes = np.flatnonzero(which & in_chosen[labels])  # by position, i.e. by id
    nodes = nodes[np.argsort(labels[nodes], kind="stable")]
    lab = labels[nodes]
    if lab.size == 0:
        return {}
    cut = np.flatnonzero(np.concatenate(([True], lab[1:] != lab[:-1], [True]))).tolist()
    names = [ids[i] for i in clustered[nodes].tolist()]
    return {int(lab[a]): tuple(names[a:b]) for a, b in zip(cut[:-1], cut[1:], strict=True)}


def _pair_weights(a: Any, b: Any, conf: Any) -> tuple[Any, Any, Any]:
    """One edge per (a, b) run with the sum of its confidences, added in run order.

    Runs of a pair are contiguous (a snapshot keeps a pair's kinds together);
    the sum is sequential, as a Python loop would add it, so that the weights
    and hence the communities are exactly those of the plain-networkx reading.
    """
    if len(a) == 0:
        return a, b, conf
    starts = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    lengths = np.diff(np.r_[starts, len(a)])
    weight = conf[starts].copy()
    for k in range(1, int(lengths.max())):
        longer = lengths > k
        weight[longer] += conf[starts[longer] + k]
    return a[starts], b[starts], weight


def _hubs(s: IntArray, d: IntArray, shared: BoolArray, hub_degree: int) -> BoolArray:
    """Per clustered node: ``shared`` and more than ``hub_degree`` distinct neighbours."""
    n = len(shared)
    pairs = distinct(np.minimum(s, d) * n + np.maximum(s, d))
    degree = np.bincount(pairs // n, minlength=n) + np.bincount(pairs % n, minlength=n)
    return shared & (degree > hub_degree)


def _ring_sources(
    sn: Snapshot,
    clustered: IntArray,
    position: IntArray,
    kind: IntArray,
    labels: IntArray,
    in_chosen: BoolArray,
) -> tuple[IntArray, IntArray]:
    """(community, clustered position) of every warehouse and factory the trace walk
    (depth 6) reaches from a storefront of a chosen community; sorted, unique."""
    storefront = np.isin(kind, _codes(sn, frozenset({"STOREFRONT"})))
    starts = np.flatnonzero(storefront & in_chosen[labels])
    rows, reached = reach(sn, clustered[starts], TRACE_DEPTH)
    site = sn.of_kind("WAREHOUSE", "FACTORY")[reached]  # clustered kinds
    n = max(len(clustered), 1)
    pairs = distinct(labels[starts[rows[site]]] * n + position[reached[site]])
    return pairs // n, pairs % n


def _ring_regions(
    sn: Snapshot,
    clustered: IntArray,
    labels: IntArray,
    members: BoolArray,
    sources: tuple[IntArray, IntArray],
) -> dict[int, tuple[str, ...]]:
    """Per community: the regions of its members and sources, sorted."""
    nodes = np.flatnonzero(members)
    lab = np.concatenate((labels[nodes], sources[0]))
    region = sn.region[clustered[np.concatenate((nodes, sources[1]))]]
    known = region >= 0
    width = max(len(sn.regions), 1)
    pairs = distinct(lab[known] * width + region[known])
    found: dict[int, list[str]] = {}
    for a, r in zip((pairs // width).tolist(), (pairs % width).tolist(), strict=True):
        found.setdefault(a, []).append(sn.regions[r])
    return {a: tuple(sorted(names)) for a, names in found.items()}


def _known_rings(
    sn: Snapshot,
    clustered: IntArray,
    kind: IntArray,
    labels: IntArray,
    in_chosen: BoolArray,
    member_of: tuple[IntArray, IntArray],
) -> dict[int, str]:
    """Per community: the entity that MEMBER_OF links more than half of its sellers
    to (the most linked, ties by id), when there is one."""
    seller = np.isin(kind, _codes(sn, frozenset({"SELLER"})))
    sellers = np.bincount(labels[seller], minlength=len(in_chosen))
    a, b = member_of
    n = max(len(clustered), 1)
    ours = seller[a] & in_chosen[labels[a]]
    linked = distinct(a[ours] * n + b[ours])  # each seller counts once per entity
    a, b = linked // n, linked % n
    keys = np.sort(labels[a] * n + b)
    if keys.size == 0:
        return {}
    cut = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1], [True])))
    lab, ring, count = keys[cut[:-1]] // n, keys[cut[:-1]] % n, np.diff(cut)
    best = np.lexsort((ring, -count, lab))
    first = best[np.concatenate(([True], lab[best][1:] != lab[best][:-1]))]
    return {
        int(lab[i]): sn.ids[int(clustered[ring[i]])]
        for i in first.tolist()
        if 2 * int(count[i]) > int(sellers[lab[i]])
    }
