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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from graph_api.analytics._reach import infringing, is_source, reach, upstream_steps
from graph_api.analytics.hotspots import region_shares
from graph_api.analytics.results import (
    Chokepoint,
    HotspotReport,
    InterdictionImpact,
    InterdictionPlan,
    InterdictionStep,
)
from graph_api.analytics.snapshot import IntArray, Snapshot, distinct, snapshot

__all__ = ["chokepoints", "interdiction_plan", "simulate_interdiction"]

Cuts = frozenset[int] | None
"""K(v, r) as node positions; None stands for ALL (v has no source left at all)."""


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


# -- the recursion ---------------------------------------------------------------------
class _Dominators:
    """K(v, r) of the module docstring, memoised, in the view without ``removed``."""

    __slots__ = ("indptr", "indices", "source", "depth", "removed", "memo", "width")

    def __init__(
        self,
        steps: tuple[list[int], list[int]],
        source: list[bool],
        depth: int,
        removed: frozenset[int] = frozenset(),
    ) -> None:
        self.indptr, self.indices = steps
        self.source = source
        self.depth = depth
        self.removed = removed
        self.memo: dict[int, Cuts] = {}
        self.width = depth + 1

    def inner(self, first: tuple[int, ...]) -> Cuts:
        """The meet of K(w, depth - 1) over a listing's first steps ``first``: the
        nodes other than the listing that cut it alone (None: it has no source)."""
        acc: Cuts = None
        for w in first:
            k = self.cuts(w, self.depth - 1)
            if k is None:
                continue
            acc = k if acc is None else acc & k
            if not acc:
                break
        return acc

    def remove(self, c: int, back: tuple[list[int], list[int]]) -> dict[int, int]:
        """Take ``c`` out of the view and forget every K(v, r) it could change: those
        with c within r steps of v. Returns {v: fewest steps from v to c} for the v
        within ``depth`` steps (``back``: the walk steps reversed, as CSR lists)."""
        self.removed = self.removed | {c}
        bptr, bidx = back
        near = {c: 0}
        frontier = [c]
        for d in range(1, self.depth + 1):
            nxt = []
            for v in frontier:
                for i in range(bptr[v], bptr[v + 1]):
                    u = bidx[i]
                    if u not in near:
                        near[u] = d
                        nxt.append(u)
            frontier = nxt
        memo, width = self.memo, self.width
        for v, d in near.items():
            for r in range(d, width):
                memo.pop(v * width + r, None)
        return near

    def cuts(self, v: int, r: int) -> Cuts:
        """K(v, r)."""
        key = v * self.width + r
        memo = self.memo
        if key in memo:
            return memo[key]
        found: Cuts
        if v in self.removed:
            found = None
        elif self.source[v]:
            found = frozenset((v,))
        elif r <= 0:
            found = None
        else:
            acc: Cuts = None
            indices = self.indices
            for i in range(self.indptr[v], self.indptr[v + 1]):
                k = self.cuts(indices[i], r - 1)
                if k is None:
                    continue
                acc = k if acc is None else acc & k
                if not acc:
                    break
            found = None if acc is None else acc | {v}
        memo[key] = found
        return found


class _Base:
    """What depends only on the view, the brand and the depth, kept in the snapshot:
    the brand's listings grouped by their first walk steps (``keys``; ``group[i]``
    is the group of ``listings[i]``), each group's cut set in the intact view
    (``inner``), and, when first asked, L(B), its reach, storefronts and regions."""

    __slots__ = ("depth", "steps", "source", "listings", "group", "keys", "sizes", "inner",
                 "_lazy")

    def __init__(self, sn: Snapshot, brand: str | None, depth: int) -> None:
        self.depth = depth
        self.steps = _step_lists(sn)
        self.source: list[bool] = is_source(sn).tolist()
        indptr, indices = self.steps
        found = infringing(sn, brand)
        self.listings: IntArray = found[sn.of_kind("LISTING")[found]]
        number: dict[tuple[int, ...], int] = {}
        group: list[int] = []
        for p in self.listings.tolist():
            group.append(number.setdefault(tuple(indices[indptr[p] : indptr[p + 1]]), len(number)))
        self.group = np.asarray(group, dtype=np.int64)
        self.keys = list(number)
        self.sizes: IntArray = np.bincount(self.group, minlength=len(self.keys))
        walk = _Dominators(self.steps, self.source, depth)
        self.inner: list[Cuts] = [walk.inner(key) for key in self.keys]
        self._lazy: dict[str, Any] = {}

    def members(self) -> tuple[IntArray, IntArray]:
        """The listings of each group as CSR (``indptr``, listing positions)."""
        got = self._lazy.get("members")
        if got is None:
            order = np.argsort(self.group, kind="stable")
            indptr = np.searchsorted(self.group[order], np.arange(len(self.keys) + 1))
            got = self._lazy["members"] = (indptr, self.listings[order])
        result: tuple[IntArray, IntArray] = got
        return result

    def reaching(self, sn: Snapshot, near: dict[int, int]) -> list[int]:
        """The groups with a first step within ``depth - 1`` steps of a node that
        ``near`` gives the distance to (as `_Dominators.remove` returns it)."""
        got = self._lazy.get("first_steps")
        if got is None:  # (group, first step) of every group
            indptr, indices = upstream_steps(sn)
            groups = np.arange(len(self.keys), dtype=np.int64)
            heads = self.members()[1][self.members()[0][:-1]]  # a listing of each group
            got = self._lazy["first_steps"] = _expand(groups, indptr, indices, heads)
        groups, hops = got
        hit = np.zeros(len(sn), dtype=bool)
        hit[[v for v, d in near.items() if d < self.depth]] = True
        touched: list[int] = distinct(groups[hit[hops]]).tolist()
        return touched

    def considered(self, sn: Snapshot) -> IntArray:
        """L(B): sorted positions of the brand's listings that have a source."""
        got = self._lazy.get("considered")
        if got is None:
            fed = np.asarray([found is not None for found in self.inner], dtype=bool)
            got = self._lazy["considered"] = np.sort(self.listings[fed[self.group]])
        result: IntArray = got
        return result

    def reached(self, sn: Snapshot) -> tuple[IntArray, IntArray]:
        """`reach` of L(B) (rows: positions in `considered`) in the intact view."""
        got = self._lazy.get("reached")
        if got is None:
            got = self._lazy["reached"] = reach(sn, self.considered(sn), self.depth)
        result: tuple[IntArray, IntArray] = got
        return result

    def before(self, sn: Snapshot) -> HotspotReport:
        """The hotspots of L(B) in the intact view."""
        got = self._lazy.get("before")
        if got is None:
            rows, nodes = self.reached(sn)
            got = self._lazy["before"] = region_shares(sn, rows, nodes, len(self.considered(sn)))
        result: HotspotReport = got
        return result

    def listed(self, sn: Snapshot) -> tuple[IntArray, IntArray]:
        """(storefront, listing) positions of the view's LISTS relations into L(B),
        sorted by listing."""
        got = self._lazy.get("listed")
        if got is None:
            wanted = np.zeros(len(sn), dtype=bool)
            wanted[self.considered(sn)] = True
            keep = sn.rel_is("LISTS") & sn.of_kind("STOREFRONT")[sn.src] & wanted[sn.dst]
            n = max(len(sn), 1)
            pairs = distinct(sn.dst[keep] * n + sn.src[keep])
            got = self._lazy["listed"] = (pairs % n, pairs // n)
        result: tuple[IntArray, IntArray] = got
        return result

    def storefronts(self, sn: Snapshot) -> tuple[IntArray, IntArray]:
        """Per node, as CSR (``indptr``, storefront positions): the storefronts that
        LIST it, for the listings of L(B)."""
        got = self._lazy.get("storefronts")
        if got is None:
            fronts, of = self.listed(sn)
            got = self._lazy["storefronts"] = (np.searchsorted(of, np.arange(len(sn) + 1)), fronts)
        result: tuple[IntArray, IntArray] = got
        return result

    def regions(self, sn: Snapshot) -> tuple[IntArray, IntArray]:
        """Per node, as CSR (``indptr``, region codes): the regions `hotspots` counts
        it in, for the listings of L(B)."""
        got = self._lazy.get("regions")
        if got is None:
            rows, nodes = self.reached(sn)
            own = np.where(sn.of_kind("STOREFRONT") | is_source(sn), sn.region, -1)
            counted = own[nodes] >= 0
            n_regions = max(len(sn.regions), 1)
            pairs = distinct(rows[counted] * n_regions + own[nodes[counted]])
            listings = self.considered(sn)[pairs // n_regions]  # sorted: rows follow positions
            got = self._lazy["regions"] = (
                np.searchsorted(listings, np.arange(len(sn) + 1)),
                pairs % n_regions,
            )
        result: tuple[IntArray, IntArray] = got
        return result


KEPT_BASES = 4
"""(brand, depth) bases kept per snapshot, the least recently asked dropped first: a
base holds the brand's reach (tens of MB for every brand at a million entities)."""


def _base(sn: Snapshot, brand: str | None, depth: int) -> _Base:
    kept: dict[tuple[str | None, int], _Base] = sn.derived.setdefault("interdiction", {})
    got = kept.pop((brand, depth), None)
    if got is None:
        got = _Base(sn, brand, depth)
        while len(kept) >= KEPT_BASES:
            del kept[next(iter(kept))]
    kept[(brand, depth)] = got  # the most recently asked last
    return got


def _step_lists(sn: Snapshot) -> tuple[list[int], list[int]]:
    """`upstream_steps` as Python lists (the recursion indexes them per step)."""
    got = sn.derived.get("upstream_steps_lists")
    if got is None:
        indptr, indices = upstream_steps(sn)
        got = sn.derived["upstream_steps_lists"] = (indptr.tolist(), indices.tolist())
    result: tuple[list[int], list[int]] = got
    return result


def _back_lists(sn: Snapshot) -> tuple[list[int], list[int]]:
    """The walk steps reversed (CSR: the nodes stepping into i are
    ``indices[indptr[i]:indptr[i + 1]]``), as Python lists."""
    got = sn.derived.get("upstream_back_lists")
    if got is None:
        indptr, indices = upstream_steps(sn)
        sources = np.repeat(np.arange(len(sn), dtype=np.int64), np.diff(indptr))
        order = np.argsort(indices, kind="stable")
        back = np.searchsorted(indices[order], np.arange(len(sn) + 1))
        got = sn.derived["upstream_back_lists"] = (back.tolist(), sources[order].tolist())
    result: tuple[list[int], list[int]] = got
    return result


def _positions(sn: Snapshot, wanted: Iterable[str]) -> list[int]:
    """Positions of the ``wanted`` ids that the view has, in the order given.

    By the ids' hashes, sorted once per snapshot (16 bytes a node, where a dict
    would take about 70): a binary search, then the ids of equal hashes compared.
    """
    got = sn.derived.get("id_hashes")
    if got is None:
        hashes = np.fromiter(map(hash, sn.ids), dtype=np.int64, count=len(sn.ids))
        order = np.argsort(hashes, kind="stable")
        got = sn.derived["id_hashes"] = (hashes[order], order)
    hashes, order = got
    ids = sn.ids
    out: list[int] = []
    for w in wanted:
        if not isinstance(w, str):
            continue
        h = hash(w)
        i = int(np.searchsorted(hashes, h))
        while i < len(hashes) and hashes[i] == h:
            p = int(order[i])
            if ids[p] == w:
                out.append(p)
                break
            i += 1
    return out


def _expand(
    rows: IntArray, indptr: IntArray, indices: IntArray, at: IntArray
) -> tuple[IntArray, IntArray]:
    """Every (rows[i], v) for v in ``indices[indptr[at[i]]:indptr[at[i] + 1]]``."""
    starts = indptr[at]
    counts = indptr[at + 1] - starts
    ends = np.cumsum(counts)
    within = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    within -= np.repeat(ends - counts, counts)
    return np.repeat(rows, counts), indices[np.repeat(starts, counts) + within]


def _pairs(rows: IntArray, values: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct (row, value) pairs, sorted."""
    width = int(values.max()) + 1 if len(values) else 1
    keys = distinct(rows * width + values)
    return keys // width, keys % width


def _split(rows: IntArray, values: IntArray, count: int) -> list[list[int]]:
    """``values`` grouped by ``rows`` (0 <= row < count)."""
    order = np.argsort(rows, kind="stable")
    bounds = np.searchsorted(rows[order], np.arange(count + 1)).tolist()
    ordered = values[order].tolist()
    return [ordered[bounds[i] : bounds[i + 1]] for i in range(count)]


def _sorted_ids(ids: list[str], positions: IntArray) -> tuple[str, ...]:
    return tuple(sorted(ids[p] for p in positions.tolist()))
