"""Where counterfeits come from: regions ranked by the infringing listings they feed."""

from __future__ import annotations

from typing import Any

import numpy as np

from graph_api.analytics._reach import infringing, is_source, reach
from graph_api.analytics.results import HotspotReport, RegionShare
from graph_api.analytics.snapshot import Snapshot, distinct, snapshot
from graph_api.analytics.walks import TRACE_DEPTH
from graph_api.view_columns import IntArray

__all__ = ["hotspots", "region_shares"]


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

        A listing counts in every region it touches: sold by a storefront in one
        region and shipped from a warehouse in another, it is one of the listings
        of both. So the regions' ``share`` values add up to more than 1 whenever
        some listings touch several regions (each share answers "what part of
        all infringing listings does this region feed?"); ``cumulative_share``
        is the one to read for concentration ("the first k regions feed this
        part of the listings").

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

    A listing sold in one region and shipped from another counts in both:

    >>> _ = G.add_edge("s", "l1", key="LISTS", confidence=1.0)
    >>> [(r.region, r.share, r.cumulative_share) for r in hotspots(G).regions]
    [('YRD', 1.0, 1.0), ('PRD', 0.5, 1.0)]

    Notes
    -----
    One breadth-first search for all the listings at once on the view's
    `snapshot`, like `top_sources` (O(P log P) for P = the sum of the listings'
    reach sizes), then sorts of (listing, region) pairs; the snapshot is read
    from the view once and shared with the other whole-graph steps.
    """
    sn = snapshot(G)
    listings = infringing(sn, None)
    rows, nodes = reach(sn, listings, TRACE_DEPTH)  # rows: positions in listings
    return region_shares(sn, rows, nodes, len(listings), first)


def region_shares(
    sn: Snapshot,
    rows: IntArray,
    nodes: IntArray,
    total: int,
    first: int | None = None,
) -> HotspotReport:
    """The `hotspots` report of ``total`` listings from what their walks reached.

    ``(rows[i], nodes[i])``: listing number ``rows[i]`` (``0 <= rows[i] < total``)
    reaches ``nodes[i]``, as `graph_api.analytics._reach.reach` gives them. A node's
    region counts when it is a storefront or a trace source of the snapshot's view
    (`graph_api.analytics._reach.is_source`; a walk in that view without some nodes
    meets no other sources). Used by `hotspots` and by the interdiction analytics
    (over a brand's listings, in the view without removed nodes).
    """
    # A node's own region counts when it is a storefront or a trace source.
    storefront = sn.of_kind("STOREFRONT")
    own = np.where(storefront | is_source(sn), sn.region, -1)
    counted = own[nodes] >= 0
    rows, nodes = rows[counted], nodes[counted]
    n_regions = max(len(sn.regions), 1)
    pairs = distinct(rows * n_regions + own[nodes])  # (listing, region), once each
    listing_of, region_of = pairs // n_regions, pairs % n_regions
    counts = np.bincount(region_of, minlength=n_regions)
    met = np.zeros(len(sn), dtype=bool)
    met[nodes[~storefront[nodes]]] = True  # the sources met, once each
    sources_in = np.bincount(own[met], minlength=n_regions)
    ranked = sorted(
        (r for r in range(n_regions) if counts[r]),
        key=lambda r: (-counts[r], sn.regions[r]),
    )
    rank = np.full(n_regions, len(ranked), dtype=np.int64)
    rank[ranked] = np.arange(len(ranked))
    # Listings newly covered at each rank: those whose best-ranked region it is.
    best = np.full(total, len(ranked), dtype=np.int64)
    np.minimum.at(best, listing_of, rank[region_of])
    newly = np.bincount(best, minlength=len(ranked) + 1)
    out: list[RegionShare] = []
    covered = 0
    for i, r in enumerate(ranked[:first] if first is not None else ranked):
        covered += int(newly[i])
        out.append(
            RegionShare(
                region=str(sn.regions[r]),
                listings=int(counts[r]),
                sources=int(sources_in[r]),
                share=int(counts[r]) / total,
                cumulative_share=covered / total,
            )
        )
    return HotspotReport(total_listings=total, regions=tuple(out))
