"""What the interdiction steps share for one (view, brand, depth), kept in the view's
snapshot: the brand's listings grouped by their first walk steps with each group's cut
set, and, when first asked, L(B), its reach, storefronts and regions."""

from __future__ import annotations

from typing import Any

import numpy as np

from graph_api.analytics._arrays import _expand
from graph_api.analytics._dominators import Cuts, _Dominators, _step_lists
from graph_api.analytics._reach import infringing, is_source, reach, upstream_steps
from graph_api.analytics.hotspots import region_shares
from graph_api.analytics.results import HotspotReport
from graph_api.analytics.snapshot import Snapshot, distinct
from graph_api.view_columns import IntArray


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
