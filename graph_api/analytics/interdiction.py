"""Planning the raid: which warehouses and factories, removed, cut listings off.

DESIGN.md "Interdiction and time". For brand B (every brand when None), L(B) is
the view's listings INFRINGING B that have at least one `trace_to_source` source
within ``max_depth`` (any confidence), and S(l) those sources. Removing a set X
**cuts** l when no member of S(l) \\ X is reachable from l within ``max_depth``
in the view without X: a warehouse left without supply does not become a new
source, a listing whose only remaining path is longer than ``max_depth`` is cut,
and a removed listing is cut.

How a single node's cuts are found: hop-bounded dominators. For a node v and r
hops left, K(v, r) is the set of nodes whose removal *alone* leaves v no source
within r hops (v included). With the walk steps v -> w of `traceToSource`::

    K(v, r) = ALL                        v removed, or r = 0 and v no source
            = {v}                        v a trace source (of the intact view)
            = {v} | meet of K(w, r - 1)  over the steps v -> w (ALL: no step)

(x cuts v's last r hops exactly when x = v, or v is no source and x cuts every
step's remaining r - 1 hops: walks within r hops exist exactly when paths do, so
the recursion is the definition.) Then {x} cuts l exactly when x is in
K(l, max_depth), and l is in L(B) exactly when K(l, max_depth) is not ALL. The
sets are tiny (at most r + 1 nodes: all lie on one shortest path to a source) and
memoised per (node, hops left), so a whole brand costs one pass over the states
its listings reach, whatever the number of candidates. The greedy plan runs the
same recursion in the view without the picks so far (ALL for a removed node):
the gain of a candidate is the number of listings not yet cut whose K contains it.

The recursion is `_dominators`; what depends only on (view, brand, depth), kept in the
view's snapshot, is `_interdiction_base`; the array joins are `_arrays`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from graph_api.analytics._arrays import _expand, _pairs, _positions, _sorted_ids, _split
from graph_api.analytics._dominators import _back_lists, _Dominators
from graph_api.analytics._interdiction_base import _base
from graph_api.analytics._reach import is_source, reach
from graph_api.analytics.hotspots import region_shares
from graph_api.analytics.results import (
    Chokepoint,
    InterdictionImpact,
    InterdictionPlan,
    InterdictionStep,
)
from graph_api.analytics.snapshot import distinct, snapshot

__all__ = ["chokepoints", "interdiction_plan", "simulate_interdiction"]


def chokepoints(
    G: Any, brand: str | None = None, first: int | None = None, max_depth: int = 6
) -> list[Chokepoint]:
    """Warehouses and factories whose removal alone cuts a brand's listings off.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view; edge keys are relation kinds.
    brand : str, optional
        Count only listings INFRINGING this brand; every brand when None (an id
        not in ``G`` counts nothing).
    first : int, optional
        Keep only the first ``first`` chokepoints.
    max_depth : int
        The walk depth of S(l) and of the cut (`trace_to_source`'s ``max_depth``).

    Returns
    -------
    list of Chokepoint
        Every WAREHOUSE and FACTORY x that cuts at least one listing of L(B)
        alone, by the number it cuts descending, then id; ``listings`` those
        listings (by id), ``storefronts`` the storefronts that LIST one of them
        (by id), ``regions`` the regions of those listings as `hotspots` counts
        them (storefronts and sources reached within ``max_depth``), the region
        of most cut listings first, then by name.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("b", {"kind": "BRAND"}), ("s", {"kind": "STOREFRONT", "region": "YRD"}),
    ...                   ("w1", {"kind": "WAREHOUSE"}), ("w2", {"kind": "WAREHOUSE"}),
    ...                   ("f", {"kind": "FACTORY", "region": "PRD"})])
    >>> for n in ("l1", "l2"):
    ...     G.add_node(n, kind="LISTING")
    ...     _ = G.add_edge(n, "b", key="INFRINGES")
    ...     _ = G.add_edge("s", n, key="LISTS")
    >>> for u, v, k in [("s", "w1", "SHIPS_FROM"), ("l2", "w2", "SHIPS_FROM"),
    ...                 ("w1", "f", "SUPPLIED_BY"), ("w2", "f", "SUPPLIED_BY")]:
    ...     _ = G.add_edge(u, v, key=k, confidence=0.9)
    >>> [(c.entity, c.cut, c.listings, c.storefronts, c.regions) for c in chokepoints(G, "b")]
    [('f', 2, ('l1', 'l2'), ('s',), ('PRD', 'YRD')), ('w1', 1, ('l1',), ('s',), ('PRD', 'YRD'))]

    Notes
    -----
    Cost: one pass of the hop-bounded dominator recursion (module docstring)
    over the (node, hops left) states the brand's listings reach, each an
    intersection of at most ``max_depth + 1``-element sets per walk step;
    listings with the same first steps are computed once. Then sorts of the cut
    listings (O(C log C) for C = the cuts counted, at most ``max_depth`` per
    listing) and one `reach` of the listings for their regions. The view's
    `snapshot` is shared with the other whole-graph steps, and what depends only
    on (brand, depth) is kept in it for `interdiction_plan` and
    `simulate_interdiction`.
    """
    sn = snapshot(G)
    base = _base(sn, brand, max_depth)
    site = sn.of_kind("WAREHOUSE", "FACTORY").tolist()
    xs: list[int] = []  # (x, group): x alone cuts the group's listings
    gs: list[int] = []
    for g, found in enumerate(base.inner):
        if found is not None:
            for x in found:
                if site[x]:
                    xs.append(x)
                    gs.append(g)
    x_of, g_of = np.asarray(xs, dtype=np.int64), np.asarray(gs, dtype=np.int64)
    counts = np.bincount(x_of, base.sizes[g_of], minlength=len(sn)).astype(np.int64)
    ranked = sn.by_id(np.flatnonzero(counts))
    ranked = ranked[np.argsort(-counts[ranked], kind="stable")][:first]
    if len(ranked) == 0:
        return []
    # The listings each ranked x cuts, then their storefronts and regions: joins.
    row = np.full(len(sn), -1, dtype=np.int64)
    row[ranked] = np.arange(len(ranked))
    keep = row[x_of] >= 0
    rows, listings = _expand(row[x_of[keep]], *base.members(), g_of[keep])
    fronts = _pairs(*_expand(rows, *base.storefronts(sn), listings))
    listing_regions = _expand(rows, *base.regions(sn), listings)  # once per listing
    n_regions = max(len(sn.regions), 1)
    region_count = np.bincount(listing_regions[0] * n_regions + listing_regions[1])
    codes = _pairs(*listing_regions)
    ids, names = sn.ids, sn.regions
    by_row = _split(rows, listings, len(ranked))
    fronts_by_row = _split(*fronts, len(ranked))
    regions_by_row = _split(*codes, len(ranked))
    out: list[Chokepoint] = []
    for i, x in enumerate(ranked.tolist()):
        cut = by_row[i]
        out.append(
            Chokepoint(
                entity=ids[x],
                cut=len(cut),
                listings=tuple(sorted(ids[listing] for listing in cut)),
                storefronts=tuple(sorted(ids[f] for f in fronts_by_row[i])),
                regions=tuple(
                    names[r]
                    for r in sorted(
                        regions_by_row[i],
                        key=lambda r: (-region_count[i * n_regions + r], names[r]),
                    )
                ),
            )
        )
    return out


def interdiction_plan(
    G: Any,
    brand: str | None = None,
    budget: int = 5,
    candidates: Iterable[str] | None = None,
    max_depth: int = 6,
) -> InterdictionPlan:
    """Up to ``budget`` warehouses and factories that together cut the most listings.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view.
    brand : str, optional
        The brand whose listings count (every brand when None).
    budget : int
        At most this many picks (at least 1).
    candidates : iterable of str, optional
        Pick only among these (default: every WAREHOUSE and FACTORY of ``G``);
        ids not in ``G`` and entities of other kinds are ignored.
    max_depth : int
        The walk depth of S(l) and of the cut.

    Returns
    -------
    InterdictionPlan
        Greedy picks: each step adds the candidate that maximises the listings
        of L(B) cut by all picks together (ties: the smallest id), until
        ``budget`` picks or until the best gain is 0. ``cut_after`` is the
        number cut once that pick and every earlier one are removed.

    Raises
    ------
    ValueError
        If ``budget`` < 1.

    Examples
    --------
    Two warehouses that each keep two listings supplied: neither alone cuts
    them, so after the one pick that cuts something the greedy plan stops,
    though w1 and w2 together would cut two listings.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("b", kind="BRAND")
    >>> G.add_nodes_from(["w1", "w2", "w3"], kind="WAREHOUSE")
    >>> G.add_nodes_from(["l", "m", "n"], kind="LISTING")
    >>> for u, v, k in [("l", "w1", "SHIPS_FROM"), ("l", "w2", "SHIPS_FROM"),
    ...                 ("m", "w1", "SHIPS_FROM"), ("m", "w2", "SHIPS_FROM"),
    ...                 ("n", "w3", "SHIPS_FROM")]:
    ...     _ = G.add_edge(u, v, key=k)
    >>> for n in ("l", "m", "n"):
    ...     _ = G.add_edge(n, "b", key="INFRINGES")
    >>> plan = interdiction_plan(G, "b", budget=2)
    >>> [(s.entity, s.cut_after) for s in plan.steps], plan.listings_considered, plan.remaining
    ([('w3', 1)], 3, 2)

    Notes
    -----
    The objective (listings cut by a set) is monotone but not submodular, so
    the greedy plan carries no general guarantee: above, the best two picks
    (w1, w2) cut two listings and the greedy plan one; a plan whose first gain
    is 0 stops empty, however much a pair would cut. On random small graphs
    the greedy plan was compared with brute force over every candidate set
    within the budget (tests/analytics/test_interdiction.py; the gaps found
    are in docs/link-analysis.md).
    Cost: one pass of the dominator recursion (see `chokepoints`) per pick, in
    the view without the picks so far, over the listings not yet cut (a cut
    listing stays cut: removing more never reconnects one).
    """
    if budget < 1:
        raise ValueError(f"budget must be at least 1, got {budget}")
    sn = snapshot(G)
    base = _base(sn, brand, max_depth)
    site = sn.of_kind("WAREHOUSE", "FACTORY")
    if candidates is None:
        allowed = site
    else:
        allowed = np.zeros(len(sn), dtype=bool)
        allowed[[p for p in _positions(sn, candidates) if site[p]]] = True
    allowed_at = allowed.tolist()
    sizes = base.sizes.tolist()
    # The cut set of each listing group not cut yet, and each candidate's gain.
    now = {g: found for g, found in enumerate(base.inner) if found is not None}
    considered = sum(sizes[g] for g in now)
    gain: Counter[int] = Counter()
    for g, found in now.items():
        for x in found:
            if allowed_at[x]:
                gain[x] += sizes[g]
    walk = _Dominators(base.steps, base.source, max_depth)
    ids = sn.ids
    steps: list[InterdictionStep] = []
    cut = 0
    while len(steps) < budget:
        best = min(
            (x for x, n in gain.items() if n > 0), key=lambda x: (-gain[x], ids[x]), default=None
        )
        if best is None:
            break
        cut += gain[best]
        steps.append(InterdictionStep(entity=ids[best], cut_after=cut))
        if len(steps) == budget:
            break
        # Only the groups whose walk can meet the pick change: recompute those.
        near = walk.remove(best, _back_lists(sn))
        for g in base.reaching(sn, near):
            old = now.get(g)
            if old is None:
                continue  # cut already
            for x in old:
                if allowed_at[x]:
                    gain[x] -= sizes[g]
            new = walk.inner(base.keys[g])
            if new is None:
                del now[g]
                continue
            now[g] = new
            for x in new:
                if allowed_at[x]:
                    gain[x] += sizes[g]
    return InterdictionPlan(
        steps=tuple(steps), listings_considered=considered, cut=cut, remaining=considered - cut
    )


def simulate_interdiction(
    G: Any, remove: Iterable[str], brand: str | None = None, max_depth: int = 6
) -> InterdictionImpact:
    """What removing ``remove`` would cut off, computed without changing anything.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view.
    remove : iterable of str
        Entities to take out, of any kind; ids not in ``G`` are ignored.
    brand : str, optional
        The brand whose listings count (every brand when None).
    max_depth : int
        The walk depth of S(l) and of the cut.

    Returns
    -------
    InterdictionImpact
        ``removed``: the ids of ``remove`` in ``G``, in the order given, once
        each. ``listings_cut``: the listings of L(B) the removal cuts, by id.
        ``storefronts_cut``: storefronts that LIST at least one listing of L(B),
        all of which are cut, by id. ``sources_remaining``: members of the
        union of S(l) not removed and still reachable from some listing of L(B)
        within ``max_depth`` in the view without ``removed``, by id.
        ``hotspots_before``: the `hotspots` report over L(B) at ``max_depth``;
        ``hotspots_after``: over the listings not cut, their regions found by
        walks in the view without ``removed`` (shares of the listings not cut).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("b", {"kind": "BRAND"}), ("s", {"kind": "STOREFRONT", "region": "YRD"}),
    ...                   ("w", {"kind": "WAREHOUSE", "region": "PRD"}),
    ...                   ("f", {"kind": "FACTORY", "region": "FJ"})])
    >>> for n in ("l1", "l2"):
    ...     G.add_node(n, kind="LISTING")
    ...     _ = G.add_edge(n, "b", key="INFRINGES")
    ...     _ = G.add_edge("s", n, key="LISTS")
    >>> _ = G.add_edge("l1", "w", key="SHIPS_FROM")
    >>> _ = G.add_edge("l2", "f", key="SHIPS_FROM")
    >>> impact = simulate_interdiction(G, ["w", "nowhere"], "b")
    >>> impact.removed, impact.listings_cut, impact.storefronts_cut, impact.sources_remaining
    (('w',), ('l1',), (), ('f',))
    >>> [(r.region, r.listings) for r in impact.hotspots_before.regions]
    [('YRD', 2), ('FJ', 1), ('PRD', 1)]
    >>> [(r.region, r.listings, r.share) for r in impact.hotspots_after.regions]
    [('FJ', 1, 1.0), ('YRD', 1, 1.0)]

    Notes
    -----
    Cost: two `reach` searches of the brand's listings in numpy (the intact one
    kept in the view's `snapshot` per brand and depth), O(P log P) for P = the
    sum of their reach sizes, plus sorts of the answer's ids.
    """
    sn = snapshot(G)
    base = _base(sn, brand, max_depth)
    at = list(dict.fromkeys(_positions(sn, remove)))
    removed = [sn.ids[p] for p in at]
    gone = np.zeros(len(sn), dtype=bool)
    gone[at] = True
    listings = base.considered(sn)  # L(B), sorted positions
    source = is_source(sn)
    rows, nodes = base.reached(sn)  # rows: positions in listings
    # Only the listings whose walk met a removed node (or that are removed) walk
    # again, in the view without the removed nodes; the others reach what they did.
    touched = np.zeros(len(listings), dtype=bool)
    touched[rows[gone[nodes]]] = True
    touched |= gone[listings]
    again = np.flatnonzero(touched & ~gone[listings])
    more_rows, more_nodes = reach(sn, listings[again], max_depth, gone)
    kept = ~touched[rows]
    after_rows = np.concatenate((rows[kept], again[more_rows]))
    after_nodes = np.concatenate((nodes[kept], more_nodes))
    fed = distinct(after_rows[source[after_nodes]])  # rows still reaching a source
    uncut = np.zeros(len(sn), dtype=bool)
    uncut[listings[fed]] = True
    cut = listings[~uncut[listings]]
    renumber = np.full(len(listings), -1, dtype=np.int64)
    renumber[fed] = np.arange(len(fed))
    still = renumber[after_rows] >= 0
    after = region_shares(sn, renumber[after_rows[still]], after_nodes[still], len(fed))
    remaining = distinct(after_nodes[source[after_nodes]])
    fronts, of = base.listed(sn)  # (storefront, listing) pairs over L(B)
    whole = np.bincount(fronts, minlength=len(sn))
    severed = np.bincount(fronts[~uncut[of]], minlength=len(sn))
    storefronts_cut = np.flatnonzero((whole > 0) & (severed == whole))
    ids = sn.ids
    return InterdictionImpact(
        removed=tuple(removed),
        listings_cut=_sorted_ids(ids, cut),
        storefronts_cut=_sorted_ids(ids, storefronts_cut),
        sources_remaining=_sorted_ids(ids, remaining),
        hotspots_before=base.before(sn),
        hotspots_after=after,
    )
