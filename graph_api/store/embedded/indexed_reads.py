"""The embedded store's `find_entities` from its indexes, not from a scan.

``MemoryStore`` keeps an `EntityIndex` (ordered ids per kind, each view's typed
columns) and a `TextIndex` (segments and their words) in step with its graph;
this mixin answers `entities` pages, filters, searches and ``totalCount`` from
them, applying the caller's visibility through the view's columns exactly as
the shared reads' ``_match`` does through the facts (the scan in
``GraphReads.find_entities`` stays the reference the tests compare with).

A search's matches are ranked as ``reads.search_rank`` ranks them (the id or the
name the caller sees equal to the text, then starting with it, then holding it,
then properties only), then by id; its cursor is (rank, id).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from graph_api.access import Scope
from graph_api.store.base import EntityFilter, EntityRecord, Page
from graph_api.store.embedded.entity_index import EntityIndex, EntityView, Wanted
from graph_api.store.embedded.text_index import ID, NAME, PROPERTIES, TextIndex
from graph_api.store.facts import Data
from graph_api.store.reads import (
    GraphReads,
    decode_cursor,
    decode_search_cursor,
    encode_cursor,
)

__all__ = ["IndexedReads"]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


class IndexedReads(GraphReads):
    """`find_entities` over ``index`` and ``text`` (None, and views as of a time: the scan
    of `GraphReads`)."""

    index: EntityIndex | None
    text: TextIndex | None

    def catch_up_for_read(self) -> None:
        raise NotImplementedError

    def _ids(self) -> list[str]:
        raise NotImplementedError

    def _nodes(self) -> dict[str, Data]:
        raise NotImplementedError

    def find_entities(
        self, scope: Scope, where: EntityFilter, first: int, after: str | None, count: bool
    ) -> Page[EntityRecord]:
        self.catch_up_for_read()
        index = self.index
        if index is None or scope.as_of is not None:  # the indexes hold today's views
            return super().find_entities(scope, where, first, after, count)
        mask = self.mask(scope)
        wanted = index.wanted(where.kind.value if where.kind else None, where.region,
                              where.status)
        if where.search:
            return self._search(scope, where, wanted, first, after, count)
        last = None if after is None else decode_cursor(after, 1)[0]
        nodes, has_next = index.page(scope.view_key, mask, wanted, first, last)
        items = self._records(scope, nodes)
        total = None
        if count:
            total = self._total(scope, where, lambda: index.count(scope.view_key, mask, wanted))
        return Page(items=items, has_next=has_next, total=total,
                    cursors=[encode_cursor([r.id]) for r in items])

    def _records(self, scope: Scope, nodes: list[int]) -> list[EntityRecord]:
        ids, data = self._ids(), self._nodes()
        items = []
        for n in nodes:
            record = self._record(scope, ids[n], data[ids[n]])
            assert record is not None  # the view's columns see it
            items.append(record)
        return items

    def _total(self, scope: Scope, where: EntityFilter, counted: Callable[[], int]) -> int:
        """The count of a view's filter, kept until the view's version moves."""
        key = (scope.view_key, self.view_version(scope), where)
        total = self._totals.get(key)
        if total is None:
            total = int(counted())
            self._keep_total(key, total)
        return total

    # -- search ----------------------------------------------------------------
    def _segment_text(self, node: int, seq: int, part: int) -> str:
        eid = self._ids()[node]
        if part == ID:
            return eid
        facts = self._nodes()[eid]["facts"]
        fact = facts[bisect.bisect_left(facts, seq, key=attrgetter("seq"))]
        text: str = fact.name if part == NAME else fact.properties
        return text

    def _holding(self, found: I32, node: I32, seq: I32, part: npt.NDArray[np.int8],
                 text: str) -> npt.NDArray[np.bool_]:
        """Which segments hold the whole text: ids and names read from the text index's
        case-folded copies (each distinct one once), properties from the facts."""
        assert self.text is not None
        needle = text.casefold()
        out = np.zeros(len(found), dtype=bool)
        named = np.flatnonzero(part != PROPERTIES)
        heads = np.frombuffer(self.text.head_at, dtype=np.int64)[found[named]]
        distinct, first = np.unique(heads, return_index=True)
        folded = needle.encode()
        holds = np.array([folded in self.text.head(s) for s in found[named][first].tolist()],
                         dtype=bool)
        out[named] = holds[np.searchsorted(distinct, heads)]
        for i in np.flatnonzero(part == PROPERTIES).tolist():
            out[i] = needle in self._segment_text(int(node[i]), int(seq[i]), PROPERTIES).casefold()
        return out

    def _matches(self, view: EntityView, wanted: Wanted, text: str, scope: Scope
                 ) -> tuple[I64, I64]:
        """The nodes matching a search in the view, and each one's rank."""
        assert self.text is not None and self.index is not None
        found = self.text.candidates(text)
        nodes, seqs, classes, parts = self.text.arrays()
        node, seq, vclass, part = nodes[found], seqs[found], classes[found], parts[found]
        mask = self.mask(scope)
        top = int(vclass.max(initial=-1)) + 1
        bits = np.fromiter((mask[c] for c in range(top)), dtype=bool, count=top)
        seen_class = np.zeros(len(found), dtype=bool)
        facts = part != ID
        seen_class[facts] = bits[vclass[facts]]
        ok = np.where(part == ID, view.kind[node] >= 0, seen_class)
        ok &= (part != NAME) | (view.name[node] == seq)  # the name the caller sees
        ok &= self.index.matching(view, wanted)(node)
        node, seq, part = node[ok], seq[ok], part[ok]
        found = found[ok]
        if not self.text.exact(text):  # its words were found: is all of it?
            keep = self._holding(found, node, seq, part, text)
            found, node, seq, part = found[keep], node[keep], seq[keep], part[keep]
        rank = np.full(len(node), 3, dtype=np.int64)
        named = part != PROPERTIES
        rank[named] = self.text.ranks(found[named], text)
        order = np.argsort(node.astype(np.int64) * 4 + rank)  # by node, its best rank first
        node, rank = node[order], rank[order]
        firsts = np.concatenate(([True], node[1:] != node[:-1])) if len(node) else node > 0
        return node[firsts].astype(np.int64), rank[firsts]

    def _search(
        self, scope: Scope, where: EntityFilter, wanted: Wanted, first: int,
        after: str | None, count: bool,
    ) -> Page[EntityRecord]:
        assert self.index is not None and where.search is not None
        index = self.index
        cursor = None if after is None else decode_search_cursor(after)
        if wanted.nothing:
            return Page(items=[], has_next=False, total=0 if count else None)
        view = index.view(scope.view_key, self.mask(scope))
        nodes, ranks = self._matches(view, wanted, where.search, scope)
        places = index.rank[nodes]
        order = np.argsort(ranks * (1 << 32) + places)  # by rank, then id
        nodes, ranks, places = nodes[order], ranks[order], places[order]
        start = 0
        if cursor is not None:
            last_rank, last_id = cursor
            place = index.after(index.order, last_id) - 1  # the last id at or before it
            later = (ranks > last_rank) | ((ranks == last_rank) & (places > place))
            start = int(np.argmax(later)) if later.any() else len(nodes)
        page = nodes[start : start + first].tolist()
        items = self._records(scope, page)
        total = self._total(scope, where, lambda: len(nodes)) if count else None
        return Page(
            items=items, has_next=start + first < len(nodes), total=total,
            cursors=[encode_cursor([str(int(r)), item.id])
                     for r, item in zip(ranks[start : start + first].tolist(), items,
                                        strict=True)],
        )
