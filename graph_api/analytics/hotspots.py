"""Where counterfeits come from: regions ranked by the infringing listings they feed."""

from __future__ import annotations

from typing import Any

from graph_api.analytics._walk import (
    TRACE_DEPTH,
    UpstreamWalk,
    infringing_listings,
    listing_groups,
)
from graph_api.analytics.results import HotspotReport, RegionShare

__all__ = ["hotspots"]


def hotspots(G: Any, first: int | None = 10) -> HotspotReport:
    """Regions ranked by the visible infringing listings they sell or source.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view.
    first : int, optional
        Keep the first ``first`` regions (all when None).

    Returns
    -------
    HotspotReport
        ``total_listings``: distinct listings INFRINGING any brand. Per region:
        ``listings``, the infringing listings whose storefront or trace source
        (depth 6, any confidence: a FACTORY, or a WAREHOUSE without
        SUPPLIED_BY) lies in it, each counted once per region; ``sources``, the
        distinct trace sources in the region feeding those listings; ``share``
        = listings / total; ``cumulative_share`` = the share of listings found
        in this region or any ranked before it (a union, so it never exceeds 1).
        Ranked by listings descending, then region name.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("b", {"kind": "BRAND"}), ("w", {"kind": "WAREHOUSE", "region": "PRD"}),
    ...                   ("s", {"kind": "STOREFRONT", "region": "YRD"})])
    >>> for n in ("l1", "l2"):
    ...     G.add_node(n, kind="LISTING")
    ...     _ = G.add_edge(n, "b", key="INFRINGES", confidence=1.0)
    >>> _ = G.add_edge("l1", "w", key="SHIPS_FROM", confidence=0.5)
    >>> _ = G.add_edge("s", "l2", key="LISTS", confidence=1.0)
    >>> report = hotspots(G)
    >>> report.total_listings, [(r.region, r.listings, r.sources) for r in report.regions]
    (2, [('PRD', 1, 1), ('YRD', 1, 0)])
    >>> [r.cumulative_share for r in report.regions]
    [0.5, 1.0]

    Notes
    -----
    One pass like `top_sources`: listings grouped by first-hop nodes; the
    regions upstream of each first hop are memoised (each depth-bounded reach
    set is scanned once), so a listing costs a union of a few small region
    sets; then O(listings) to rank.
    """
    walk = UpstreamWalk(G, 0.0)
    listings = infringing_listings(G, None)
    total = len(listings)
    below = TRACE_DEPTH - 1
    # A node's contribution: its region when it is a storefront or a trace source.
    own: dict[str, str | None] = {}
    feeding: dict[str, set[str]] = {}

    def own_region(n: str) -> str | None:
        if n not in own:
            kind = walk.kind(n)
            value = None
            if kind == "STOREFRONT" or walk.is_source(n):
                value = G.nodes[n].get("region")
            own[n] = str(value) if value else None
            if own[n] is not None and kind != "STOREFRONT":
                feeding.setdefault(str(value), set()).add(n)
        return own[n]

    # Regions met upstream of a first hop, memoised per first hop: each node's
    # depth-bounded reach set is scanned once, not once per listing.
    upstream: dict[str, frozenset[str]] = {}

    def regions_from(v: str) -> frozenset[str]:
        got = upstream.get(v)
        if got is None:
            found = {r for n in walk.reach(v, below) if (r := own_region(n)) is not None}
            mine = own_region(v)
            if mine is not None:
                found.add(mine)
            got = upstream[v] = frozenset(found)
        return got

    counts: dict[str, int] = {}
    groups: list[tuple[frozenset[str], int]] = []
    for first_hops, size in listing_groups(walk, listings).items():
        regions = frozenset().union(*[regions_from(v) for v in first_hops])
        for r in regions:
            counts[r] = counts.get(r, 0) + size
        groups.append((regions, size))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    rank = {r: i for i, (r, _) in enumerate(ranked)}
    # Listings newly covered at each rank: those whose best-ranked region it is.
    newly = [0] * len(ranked)
    for group_regions, size in groups:
        if group_regions:
            newly[min(rank[r] for r in group_regions)] += size
    out: list[RegionShare] = []
    covered = 0
    for i, (r, c) in enumerate(ranked[:first] if first is not None else ranked):
        covered += newly[i]
        out.append(
            RegionShare(
                region=r,
                listings=c,
                sources=len(feeding.get(r, ())),
                share=c / total,
                cumulative_share=covered / total,
            )
        )
    return HotspotReport(total_listings=total, regions=tuple(out))
