"""Indexed entity reads for the embedded store: `entities` pages, filters and counts.

A page of ``entities(kind: SELLER, first: 25)`` used to walk every id in sorted
order from the start, deciding each node's visibility one by one (2 s at a
million entities), and a count walked them all. Here:

- ids are kept sorted, all of them and per kind (a node is under every kind one
  of its facts states; the kind a caller knows it by is decided per view), merged
  with the new ids of each catch-up;
- each view asked keeps typed columns over the node numbers of `FactColumns`:
  the kind the view knows a node by (its first visible fact's, -1 where it sees
  none), and the region and status codes and the name's report key of the latest
  visible fact stating one. They are read from the fact columns with numpy the
  first time, then folded forward with each catch-up's facts, so a write costs
  the views a few array updates and never a rebuild;
- a page is the first matching nodes after the cursor in the ordered ids, a
  count one numpy pass over them.

What a view's columns say is what ``visible_node`` merges from the facts the
caller sees: the same kind, region and status, so a filter here matches exactly
the nodes the shared reads' ``_match`` would (the reference, tested against).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from graph_api.store.columns import NODE_WIDTH, FactColumns
from graph_api.store.masks import VisibilityMask
from graph_api.view_columns import BoolArray, IntArray

__all__ = ["EntityIndex", "EntityView", "Wanted"]

I32 = npt.NDArray[np.int32]

VIEWS_KEPT = 8
"""Views whose columns are kept (13 bytes a node each: 13 MB at a million)."""
FOLD_AT_MOST = 200_000
"""Facts of one catch-up above which the views are read again rather than folded."""
FIRST_CHUNK = 256


@dataclass(frozen=True, slots=True)
class Wanted:
    """A filter as codes of `FactColumns` (None: any); ``nothing`` when a value is
    stated by no fact at all (no node can match)."""

    kind: int | None = None
    region: int | None = None
    status: int | None = None
    nothing: bool = False


class EntityView:
    """One view's typed columns over node numbers (see the module's docstring)."""

    __slots__ = ("kind", "mask", "name", "region", "status")

    def __init__(self, mask: VisibilityMask, size: int) -> None:
        self.mask = mask
        self.kind = np.full(size, -1, dtype=np.int8)
        self.region = np.full(size, -1, dtype=np.int32)
        self.status = np.full(size, -1, dtype=np.int32)
        self.name = np.full(size, -1, dtype=np.int32)  # report key of the name's fact

    def grow(self, size: int) -> None:
        if size <= len(self.kind):
            return
        size = max(size, 2 * len(self.kind))
        for field in ("kind", "region", "status", "name"):
            old = getattr(self, field)
            new = np.full(size, -1, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, field, new)

    def fold(self, facts: I32, bits: BoolArray) -> None:
        """Fold node facts (rows of ``NODE_WIDTH``, in the order applied, later than
        every fact folded before) into the columns: ``bits[class]`` says which the view
        sees."""
        seen = facts[bits[facts[:, 1]]]
        if not len(seen):
            return
        order = np.argsort(seen[:, 0], kind="stable")  # by node, each node's in order
        seen = seen[order]
        node = seen[:, 0]
        firsts = np.concatenate(([True], node[1:] != node[:-1]))
        heads = seen[firsts]
        fresh = self.kind[heads[:, 0]] < 0
        self.kind[heads[fresh, 0]] = heads[fresh, 2]
        for column, k, keep in ((self.region, 3, None), (self.status, 4, None),
                                (self.name, 6, 5)):
            stated = seen[seen[:, k] > (0 if keep is not None else -1)]
            if not len(stated):
                continue
            n = stated[:, 0]
            lasts = np.concatenate((n[1:] != n[:-1], [True]))
            column[n[lasts]] = stated[lasts, keep if keep is not None else k]


class EntityIndex:
    """Ordered ids per kind and the columns of the views asked (`EntityView`), over the
    node numbers of a store's `FactColumns`; the store calls `follow` after it applies
    facts.

    Examples
    --------
    >>> from graph_api.store.columns import FactColumns
    >>> columns = FactColumns()
    >>> for seq, (node, cls, kind, region) in enumerate([("s2", 0, "SELLER", "PRD"),
    ...         ("s1", 1, "SELLER", None), ("f1", 0, "FACTORY", None),
    ...         ("s1", 0, "SELLER", "YRD")], 1):
    ...     _ = columns.add_node_fact(node, cls, kind, region, None, seq, False)
    >>> index = EntityIndex(columns)
    >>> index.follow()
    >>> everyone, class0 = VisibilityMask(lambda c: True), VisibilityMask(lambda c: c == 0)
    >>> seller = index.wanted(kind="SELLER")
    >>> [columns.ids[n] for n in index.page("all", everyone, seller, 10, None)[0]]
    ['s1', 's2']
    >>> index.count("all", everyone, index.wanted(region="YRD")), index.count(
    ...     "zero", class0, seller)
    (1, 2)
    >>> _ = columns.add_node_fact("s0", 1, "SELLER", None, None, 5, False)
    >>> index.follow()
    >>> index.page("zero", class0, seller, 1, "s1")[0] == [0], index.count("all", everyone, seller)
    (True, 3)

    Notes
    -----
    Cost: a page reads the ordered ids from the cursor in chunks until it has
    ``first`` + 1 matches; a count is one numpy pass over the kind's ids (a few
    ms at a million); following a catch-up costs O(new facts) per view kept and
    merging its new ids O(ids) (a numpy insert); a view's first read, or one after
    more than ``FOLD_AT_MOST`` facts arrived at once, a sort of the node facts.
    """

    def __init__(self, columns: FactColumns, views: int = VIEWS_KEPT) -> None:
        self.columns = columns
        self.size = max(views, 1)
        self.order: I32 = np.zeros(0, dtype=np.int32)  # node numbers by id
        self.by_kind: dict[int, I32] = {}  # node numbers stating each kind, by id
        self._rank: I32 | None = None  # node number -> place in order, when asked
        self.kinds_of: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)  # bit per kind
        self.facts = 0  # node facts followed
        self.nodes = 0  # nodes ordered
        self.views: OrderedDict[str, EntityView] = OrderedDict()
        self._grouped: tuple[int, I32] | None = None

    # -- following the store ---------------------------------------------------
    def _node_facts(self, start: int, stop: int) -> I32:
        rows = np.frombuffer(self.columns.node_facts, dtype=np.int32).reshape(-1, NODE_WIDTH)
        out: I32 = rows[start:stop].copy()
        return out

    def follow(self) -> None:
        """Fold in the node facts the store applied since the last call."""
        stop = self.columns.node_facts_count()
        if stop == self.facts:
            return
        facts = self._node_facts(self.facts, stop)
        n = len(self.columns.ids)
        if len(self.kinds_of) < n:
            grown = np.zeros(max(n, 2 * len(self.kinds_of)), dtype=np.int64)
            grown[: len(self.kinds_of)] = self.kinds_of
            self.kinds_of = grown
        bit = np.left_shift(1, facts[:, 2].astype(np.int64))
        pairs = np.unique(facts[:, 0].astype(np.int64) * 64 + facts[:, 2])
        pair_node, pair_kind = pairs // 64, pairs % 64
        new = (self.kinds_of[pair_node] >> pair_kind) & 1 == 0
        np.bitwise_or.at(self.kinds_of, facts[:, 0], bit)
        self._order(n, pair_node[new], pair_kind[new])
        if stop - self.facts > FOLD_AT_MOST:
            self.views.clear()  # read again when next asked
        else:
            for view in self.views.values():
                view.grow(n)
                view.fold(facts, self._bits(view.mask, facts))
        self.facts = stop

    def _order(self, n: int, new_node: IntArray, new_kind: IntArray) -> None:
        """Merge the new ids into the orders (sort them all when they are many)."""
        ids = self.columns.ids
        added = n - self.nodes
        if added > len(self.order) // 4:  # UTF-8 bytes sort as the ids do (by code point)
            utf8 = np.array([i.encode() for i in ids], dtype=np.bytes_)
            self.order = np.argsort(utf8, kind="stable").astype(np.int32)
            del utf8
            kinds = self.kinds_of[self.order]
            self.by_kind = {
                int(k): self.order[(kinds >> k) & 1 == 1]
                for k in range(len(self.columns.kinds))
            }
        else:
            if added:
                self.order = _merged(self.order, range(self.nodes, n), ids)
            for k in np.unique(new_kind).tolist():
                fresh = new_node[new_kind == k].tolist()
                self.by_kind[k] = _merged(self.by_kind.get(k, self.order[:0]), fresh, ids)
        if added:
            self._rank = None  # a write must not pay for a search's ordering (5-10 ms at 1M)
        self.nodes = n

    @property
    def rank(self) -> I32:
        """Each node number's place in ``order`` (a search orders its matches by it):
        computed when first asked after new ids came."""
        if self._rank is None:
            rank = np.empty(self.nodes, dtype=np.int32)
            rank[self.order] = np.arange(self.nodes, dtype=np.int32)
            self._rank = rank
        return self._rank

    @staticmethod
    def _bits(mask: VisibilityMask, facts: I32) -> BoolArray:
        """The mask's decision for every class up to the highest ``facts`` name."""
        return mask.class_bits(int(facts[:, 1].max(initial=-1)) + 1)

    def _grouped_facts(self) -> I32:
        """Every node fact followed, grouped by node (each node's in the order applied):
        kept while no fact is added."""
        if self._grouped is None or self._grouped[0] != self.facts:
            facts = self._node_facts(0, self.facts)
            self._grouped = (self.facts, facts[np.argsort(facts[:, 0], kind="stable")])
        return self._grouped[1]

    def view(self, view_key: str, mask: VisibilityMask) -> EntityView:
        """The columns of a view, read from the facts when first asked."""
        found = self.views.get(view_key)
        if found is not None and found.mask is mask:
            self.views.move_to_end(view_key)
            return found
        view = EntityView(mask, max(self.nodes, 1))
        facts = self._grouped_facts()
        view.fold(facts, self._bits(mask, facts))
        self.views[view_key] = view
        while len(self.views) > self.size:
            self.views.popitem(last=False)
        return view

    # -- reads -----------------------------------------------------------------
    def wanted(self, kind: str | None = None, region: str | None = None,
               status: str | None = None) -> Wanted:
        """A filter's values as codes."""
        codes: dict[str, int | None] = {}
        for field, value in (("kind", kind), ("region", region), ("status", status)):
            code = None if value is None else self.columns.code(field, value)
            if value is not None and code is None:
                return Wanted(nothing=True)
            codes[field] = code
        return Wanted(kind=codes["kind"], region=codes["region"], status=codes["status"])

    def _candidates(self, wanted: Wanted) -> I32:
        if wanted.kind is None:
            return self.order
        return self.by_kind.get(wanted.kind, self.order[:0])

    @staticmethod
    def matching(view: EntityView, wanted: Wanted) -> Callable[[I32], BoolArray]:
        """Which of some node numbers the view sees and ``wanted`` admits."""

        def test(nodes: I32) -> BoolArray:
            kinds = view.kind[nodes]
            ok: BoolArray = kinds >= 0 if wanted.kind is None else kinds == wanted.kind
            if wanted.region is not None:
                ok &= view.region[nodes] == wanted.region
            if wanted.status is not None:
                ok &= view.status[nodes] == wanted.status
            return ok

        return test

    def after(self, nodes: I32, last: str) -> int:
        """Where the ids of ``nodes`` (ordered by id) pass ``last``."""
        ids = self.columns.ids
        lo, hi = 0, len(nodes)
        while lo < hi:
            mid = (lo + hi) // 2
            if ids[nodes[mid]] <= last:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def page(self, view_key: str, mask: VisibilityMask, wanted: Wanted, first: int,
             last: str | None) -> tuple[list[int], bool]:
        """The first ``first`` matching node numbers after the id ``last``, by id, and
        whether more follow."""
        if wanted.nothing:
            return [], False
        test = self.matching(self.view(view_key, mask), wanted)
        nodes = self._candidates(wanted)
        at = 0 if last is None else self.after(nodes, last)
        found: list[int] = []
        chunk = FIRST_CHUNK
        while at < len(nodes) and len(found) <= first:
            block = nodes[at : at + chunk]
            found += block[test(block)][: first + 1 - len(found)].tolist()
            at += chunk
            chunk = min(chunk * 4, 1 << 16)
        return found[:first], len(found) > first

    def count(self, view_key: str, mask: VisibilityMask, wanted: Wanted) -> int:
        if wanted.nothing:
            return 0
        view = self.view(view_key, mask)
        if wanted == Wanted():
            return int(np.count_nonzero(view.kind[: self.nodes] >= 0))
        return int(np.count_nonzero(self.matching(view, wanted)(self._candidates(wanted))))


def _merged(nodes: I32, new: range | list[int], ids: list[str]) -> I32:
    """``nodes`` (ordered by id) with the node numbers ``new`` put in their places."""
    fresh = sorted(new, key=ids.__getitem__)
    if not fresh:
        return nodes
    at = []
    lo = 0
    for node in fresh:  # each new id's place, searching on from the previous one's
        key = ids[node]
        hi = len(nodes)
        while lo < hi:
            mid = (lo + hi) // 2
            if ids[nodes[mid]] < key:
                lo = mid + 1
            else:
                hi = mid
        at.append(lo)
    merged: I32 = np.insert(nodes, at, np.array(fresh, dtype=np.int32))
    return merged
