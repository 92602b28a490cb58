"""The upstream walk of DESIGN.md "Confidence and ranking", shared by every analytic.

From any entity the walk follows SHIPS_FROM and SUPPLIED_BY forwards; from a
LISTING also LISTS backwards (to its storefront); from a SELLER also OPERATES
forwards. Relations below ``min_confidence`` are not walked.

`UpstreamWalk` reads each node's adjacency from the (possibly lazy, filtered)
view at most once and caches it, so repeated expansions cost dictionary lookups.
"""

from __future__ import annotations

from typing import Any

from graph_api.analytics.results import Rel
from graph_api.model import RelationKind
from graph_api.view_columns import confidence_of, plain

__all__ = [
    "TRACE_DEPTH",
    "UPSTREAM_KINDS",
    "Step",
    "UpstreamWalk",
    "confidence_of",
    "infringing_listings",
    "listing_groups",
    "node_kind",
    "plain",
]

TRACE_DEPTH = 6
"""The walk depth of topSources, hotspots, ring sources and an exported case's sources
(DESIGN.md)."""

UPSTREAM_KINDS = frozenset(
    {RelationKind.SHIPS_FROM, RelationKind.SUPPLIED_BY, RelationKind.LISTS, RelationKind.OPERATES}
)
"""The relation kinds the walk follows: what a store reads around a walk's origins
(``GraphStore.view(scope, origins, depth, UPSTREAM_KINDS, upstream=True)``)."""

Step = tuple[str, float, Rel]
"""One walk step: (next node, relation confidence, relation as stored)."""

_FORWARD = frozenset({"SHIPS_FROM", "SUPPLIED_BY"})
_FORWARD_SELLER = frozenset({"SHIPS_FROM", "SUPPLIED_BY", "OPERATES"})


def node_kind(G: Any, n: str) -> str | None:
    """The node's kind as a plain string, or None."""
    kind = G.nodes[n].get("kind")
    return None if kind is None else plain(kind)


class UpstreamWalk:
    """Cached walk steps over ``G`` for one ``min_confidence``."""

    __slots__ = ("G", "min_confidence", "_kinds", "_steps", "_reach")

    def __init__(self, G: Any, min_confidence: float = 0.0) -> None:
        self.G = G
        self.min_confidence = min_confidence
        self._kinds: dict[str, str | None] = {}
        self._steps: dict[str, list[Step]] = {}
        self._reach: dict[tuple[str, int], frozenset[str]] = {}

    def kind(self, n: str) -> str | None:
        kind = self._kinds.get(n, "")
        if kind == "":
            kind = self._kinds[n] = node_kind(self.G, n)
        return kind

    def steps(self, u: str) -> list[Step]:
        """Walk steps out of ``u``, sorted by (next node, kind) for determinism."""
        cached = self._steps.get(u)
        if cached is None:
            cached = self._steps[u] = self.fresh_steps(u)
        return cached

    def fresh_steps(self, u: str) -> list[Step]:
        """`steps` without caching (for nodes expanded once, such as listings)."""
        kind = self.kind(u)
        floor = self.min_confidence
        out: list[Step] = []
        wanted = _FORWARD_SELLER if kind == "SELLER" else _FORWARD
        # .items() once per node (a scoped view checks visibility once per
        # neighbour there, twice with iteration + indexing); within a keydict,
        # index only the walked kinds.
        for v, keydict in self.G.succ[u].items():
            for k in keydict:
                if k in wanted:
                    c = confidence_of(keydict[k])
                    if c >= floor:
                        out.append((v, c, (u, v, plain(k))))
        if kind == "LISTING":
            for v, keydict in self.G.pred[u].items():
                if "LISTS" in keydict:
                    c = confidence_of(keydict["LISTS"])
                    if c >= floor:
                        out.append((v, c, (v, u, "LISTS")))
        out.sort(key=lambda s: (s[0], s[2][2]))
        return out

    def is_source(self, n: str) -> bool:
        """A FACTORY, or a WAREHOUSE with no walkable SUPPLIED_BY of its own."""
        kind = self.kind(n)
        if kind == "FACTORY":
            return True
        if kind != "WAREHOUSE":
            return False
        return not any(rel[2] == "SUPPLIED_BY" for _, _, rel in self.steps(n))

    def reach(self, u: str, depth: int) -> frozenset[str]:
        """Nodes reachable from ``u`` in 1..``depth`` hops (may include ``u`` on a cycle).

        Memoised per (node, depth): reach(u, d) is the union over steps u -> v
        of {v} | reach(v, d - 1), so nodes shared by many walks are expanded
        once per remaining depth (at most ``depth`` times).
        """
        if depth <= 0:
            return frozenset()
        key = (u, depth)
        cached = self._reach.get(key)
        if cached is not None:
            return cached
        steps = self.steps(u)
        if not steps:
            result: frozenset[str] = frozenset()
        elif len(steps) == 1 and depth == 1:
            result = frozenset((steps[0][0],))
        else:
            acc: set[str] = set()
            for v, _, _ in steps:
                acc.add(v)
                if depth > 1:
                    acc |= self.reach(v, depth - 1)
            result = frozenset(acc)
        self._reach[key] = result
        return result


def infringing_listings(G: Any, brand: str | None = None) -> set[str]:
    """Listings with an INFRINGES relation to ``brand`` (to any brand when None).

    Reads the INFRINGES relations backwards from the brand nodes, so only
    brands and their listings are touched (plus one pass over node kinds when
    ``brand`` is None).
    """
    if brand is not None:
        brands = [brand] if brand in G else []
    else:
        brands = [n for n, kind in G.nodes(data="kind") if kind == "BRAND"]
    listings: set[str] = set()
    for b in brands:
        for listing, keydict in G.pred[b].items():
            if "INFRINGES" in keydict:
                listings.add(listing)
    return listings


def listing_groups(walk: UpstreamWalk, listings: set[str]) -> dict[frozenset[str], int]:
    """Group listings by their first walk steps: {first-hop nodes: number of listings}.

    Listings with the same first-hop nodes (same storefront, same warehouses)
    reach the same nodes, so callers expand each distinct group once:
    reach = first hops | reach(first hop, depth - 1), memoised in ``walk``.
    """
    sizes: dict[frozenset[str], int] = {}
    for listing in listings:
        key = frozenset([v for v, _, _ in walk.fresh_steps(listing)])
        sizes[key] = sizes.get(key, 0) + 1
    return sizes
