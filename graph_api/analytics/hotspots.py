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
    One pass like `top_sources`: listings grouped by first-hop nodes, reach
    sets memoised per node and remaining depth; then O(listings) to rank.
    """
    walk = UpstreamWalk(G, 0.0)
    listings = infringing_listings(G, None)
    total = len(listings)
    region_of: dict[str, str | None] = {}

    def region(n: str) -> str | None:
        if n not in region_of:
            value = G.nodes[n].get("region")
            region_of[n] = str(value) if value else None
        return region_of[n]

    counts: dict[str, int] = {}
    feeding: dict[str, set[str]] = {}
    groups: list[tuple[frozenset[str], int]] = []
    for reached, size in listing_groups(walk, listings, TRACE_DEPTH):
        regions: set[str] = set()
        for n in reached:
            kind = walk.kind(n)
            if kind == "STOREFRONT" or walk.is_source(n):
                r = region(n)
                if r is None:
                    continue
                regions.add(r)
                if kind != "STOREFRONT":
                    feeding.setdefault(r, set()).add(n)
        for r in regions:
            counts[r] = counts.get(r, 0) + size
        groups.append((frozenset(regions), size))
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
