"""The reads both stores share, over node data shaped like the embedded graph's.

A store provides ``mask(scope)``, ``node_data(scope, ids)`` (node dicts with
``facts``, each an `EntityFact`, and the fields merged from them),
``ids_in_order(scope)``, ``reporters(data)`` and ``view(...)``; this mixin turns
them into records, pages and cursors, so the two stores answer alike by
construction.
"""

from __future__ import annotations

import base64
import bisect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import networkx as nx
import orjson

from graph_api.access import Scope
from graph_api.errors import BadUserInput
from graph_api.model import EntityKind, IdentifierKind, RelationKind, relation_id
from graph_api.store.base import EntityFilter, EntityRecord, Page, RelationRecord
from graph_api.store.facts import Data, EntityFact
from graph_api.store.masks import HUB_FACTS, VisibilityMask, visible_node
from graph_api.store.scoped_view import visible_relations_at

__all__ = ["SEARCH_RANKS", "GraphReads", "decode_cursor", "decode_search_cursor",
           "encode_cursor", "search_rank"]

CHUNK = 500
TOTALS_KEPT = 1024  # totalCount answers kept, over every view
TotalKey = tuple[str, int, EntityFilter]
"""A kept totalCount's key: the view (``Scope.view_key``), its version, the filter."""


def encode_cursor(key: Iterable[str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = orjson.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, orjson.JSONDecodeError):
        raise BadUserInput("after: not a cursor this API gave out", field="after") from None
    if not isinstance(key, list) or len(key) != parts or not all(isinstance(k, str) for k in key):
        raise BadUserInput("after: not a cursor this API gave out", field="after")
    return key


SEARCH_RANKS = ("the id or name is the text", "the id or name starts with it",
                "the id or name contains it", "only properties contain it")


def search_rank(eid: str, name: str | None, visible: Iterable[EntityFact], text: str
                ) -> int | None:
    """Where a search ``text`` is found in an entity as the caller sees it, the rank of
    ``SEARCH_RANKS`` (0 first), None when nowhere: its id, its name (merged from the
    visible facts), or the properties of a visible fact (their JSON text); compared
    case-folded (``str.casefold``).

    >>> [search_rank("seller-1", "Golden Shoes", [], t) for t in ("golden shoes", "SELL",
    ...  "shoe", "ship")]
    [0, 1, 2, None]
    >>> search_rank("l1", None, [EntityFact(1, 0, 0.5, "LISTING", None, None, None,
    ...                                     '{"url": "x/ship"}')], "ship")
    3
    """
    needle = text.casefold()
    best = None
    for field in (eid, name):
        if field:
            folded = field.casefold()
            if folded == needle:
                return 0
            if folded.startswith(needle):
                best = 1
            elif best is None and needle in folded:
                best = 2
    if best is not None:
        return best
    if any(f.properties and needle in f.properties.casefold() for f in visible):
        return 3
    return None


def decode_search_cursor(cursor: str) -> tuple[int, str]:
    """A search page's cursor: (rank, id)."""
    rank, eid = decode_cursor(cursor, 2)
    if rank not in ("0", "1", "2", "3"):
        raise BadUserInput("after: not a cursor this API gave out", field="after")
    return int(rank), eid


def merged_properties(data: Data, visible: list[EntityFact], mask: VisibilityMask
                      ) -> dict[str, Any]:
    """Properties merged over the visible facts, oldest first (later values win).

    Hubs (brands, public warehouses) are stated thousands of times: their merge is
    kept per mask and extended by the facts added since, like ``visible_node``.
    """
    if len(visible) <= HUB_FACTS:
        merged: dict[str, Any] = {}
        for fact in visible:
            if fact.properties:
                merged.update(orjson.loads(fact.properties))
        return merged
    cache = mask.kept(data, "merged_properties")
    done, merged = cache.get(mask, (0, {}))
    if done != len(visible):
        merged = dict(merged)
        for fact in visible[done:]:
            if fact.properties:
                merged.update(orjson.loads(fact.properties))
        cache[mask] = (len(visible), merged)
    return dict(merged)


class GraphReads:
    """entities_by_id, find_entities and relations_of, written once."""

    def __init__(self) -> None:
        super().__init__()
        # totalCount answers by view, version and filter (`_keep_total`)
        self._totals: dict[TotalKey, int] = {}

    if TYPE_CHECKING:  # provided by the class this is mixed into (declared for mypy:
        # nothing here shadows it at run time)
        def mask(self, scope: Scope) -> VisibilityMask:
            ...

        def node_data(self, scope: Scope, ids: list[str]) -> dict[str, Data]:
            ...

        def ids_in_order(self, scope: Scope) -> list[str]:
            ...

        def all_node_data(self, scope: Scope) -> dict[str, Data]:
            """Every node the caller may see (and possibly more, hidden by the mask)."""
            ...

        def reporters(self, data: Data) -> list[str]:
            ...

        def view_version(self, scope: Scope) -> int:
            """Changes whenever a write the caller may see is applied (keys what is cached
            per view: ``GraphStore.view_version``)."""
            ...

        def view(
            self,
            scope: Scope,
            seeds: list[str] | None = None,
            hops: int | None = None,
            kinds: frozenset[RelationKind] | None = None,
            upstream: bool = False,
        ) -> nx.MultiDiGraph:
            ...

    # -- records ---------------------------------------------------------------
    def _record(
        self, scope: Scope, eid: str, data: Data, seen: tuple[list[EntityFact], Data] | None = None
    ) -> EntityRecord | None:
        seen = seen or visible_node(data, self.mask(scope))
        if seen is None:
            return None
        visible, merged = seen
        properties = merged_properties(data, visible, self.mask(scope))
        value = None
        ident_kind = data.get("identifier_kind")
        if ident_kind is not None and scope.sees_identifier_values(self.reporters(data)):
            value = data.get("value")
        return EntityRecord(
            id=eid,
            kind=EntityKind(visible[0].kind),
            name=merged["name"],
            region=merged["region"],
            status=merged["status"],
            properties=properties,
            confidence=merged["confidence"],
            facts=visible,
            identifier_kind=IdentifierKind(ident_kind) if ident_kind else None,
            value=value,
        )

    def entities_by_id(self, scope: Scope, ids: list[str]) -> dict[str, EntityRecord]:
        out: dict[str, EntityRecord] = {}
        for eid, data in self.node_data(scope, ids).items():
            record = self._record(scope, eid, data)
            if record is not None:
                out[eid] = record
        return out

    def _match(self, scope: Scope, eid: str, data: Data, where: EntityFilter
               ) -> tuple[list[EntityFact], Data] | None:
        """The visible facts and merged fields if the node matches ``where``, else None
        (a search's rank is ``search_rank`` of them)."""
        if where.kind is not None and all(f.kind != where.kind.value for f in data["facts"]):
            return None
        seen = visible_node(data, self.mask(scope))
        if seen is None:
            return None
        visible, merged = seen
        if where.kind is not None and visible[0].kind != where.kind.value:
            return None
        if where.region is not None and merged["region"] != where.region:
            return None
        if where.status is not None and merged["status"] != where.status:
            return None
        if where.search and search_rank(eid, merged["name"], visible, where.search) is None:
            return None
        return seen

    def find_entities(
        self, scope: Scope, where: EntityFilter, first: int, after: str | None, count: bool
    ) -> Page[EntityRecord]:
        """Every visible entity matched one by one: the reference the stores' indexed
        reads are tested against (``MemoryStore.find_entities``), and what a store
        without an index answers with."""
        if where.search:
            return self._search_by_scan(scope, where, first, after, count)
        ids = self.ids_in_order(scope)
        start = 0
        if after is not None:
            (last,) = decode_cursor(after, 1)
            start = bisect.bisect_right(ids, last)
        total_key = (scope.view_key, self.view_version(scope), where)
        total = self._totals.get(total_key) if count else None
        everything = self.all_node_data(scope) if count and total is None else None
        items: list[EntityRecord] = []
        has_next = False
        for chunk_start in range(start, len(ids), CHUNK):
            chunk = ids[chunk_start : chunk_start + CHUNK]
            data = everything if everything is not None else self.node_data(scope, chunk)
            for eid in chunk:
                seen = self._match(scope, eid, data[eid], where) if eid in data else None
                if seen is None:
                    continue
                if len(items) == first:
                    has_next = True
                    break
                record = self._record(scope, eid, data[eid], seen)
                assert record is not None
                items.append(record)
            if has_next:
                break
        if everything is not None:  # a full pass: kept for this view until it changes
            total = sum(
                1 for eid in ids
                if eid in everything and self._match(scope, eid, everything[eid], where) is not None
            )
            self._keep_total(total_key, total)
        return Page(
            items=items, has_next=has_next, total=total,
            cursors=[encode_cursor([r.id]) for r in items],
        )

    def _keep_total(self, key: TotalKey, total: int) -> None:
        """A view's count until the view's version moves: this view's counts of an older
        version go; other views' stay (a write one view may not see leaves its counts,
        and so its speed, as they were)."""
        totals = self._totals
        for stale in [k for k in totals if k[0] == key[0] and k[1] != key[1]]:
            del totals[stale]
        while len(totals) >= TOTALS_KEPT:
            del totals[next(iter(totals))]  # the oldest kept
        totals[key] = total

    def _search_by_scan(
        self, scope: Scope, where: EntityFilter, first: int, after: str | None, count: bool
    ) -> Page[EntityRecord]:
        """A search: every visible match ranked (``search_rank``), then by id."""
        return self._search_among(scope, where, first, after, count, self.ids_in_order(scope),
                                  self.all_node_data(scope))

    def _search_among(
        self, scope: Scope, where: EntityFilter, first: int, after: str | None, count: bool,
        ids: Iterable[str], everything: dict[str, Data],
    ) -> Page[EntityRecord]:
        """A search's page among the entities ``ids`` (every one that may match) with
        their node data."""
        cursor = None if after is None else decode_search_cursor(after)
        found: list[tuple[int, str, tuple[list[EntityFact], Data]]] = []
        for eid in ids:
            data = everything.get(eid)
            seen = None if data is None else self._match(scope, eid, data, where)
            if seen is not None:
                rank = search_rank(eid, seen[1]["name"], seen[0], where.search or "")
                assert rank is not None
                found.append((rank, eid, seen))
        found.sort(key=lambda f: (f[0], f[1]))
        start = 0
        if cursor is not None:
            start = bisect.bisect_right(found, cursor, key=lambda f: (f[0], f[1]))
        page = found[start : start + first]
        items = []
        for _, eid, seen in page:
            record = self._record(scope, eid, everything[eid], seen)
            assert record is not None
            items.append(record)
        return Page(
            items=items, has_next=start + first < len(found),
            total=len(found) if count else None,
            cursors=[encode_cursor([str(rank), eid]) for rank, eid, _ in page],
        )

    def relations_of(
        self,
        scope: Scope,
        entity_id: str,
        direction: str,
        kinds: frozenset[RelationKind] | None,
        first: int,
        after: str | None,
        count: bool,
    ) -> Page[RelationRecord]:
        return self.relations_page(
            self.view(scope, [entity_id], 1, kinds), entity_id, direction, kinds, first, after,
            count,
        )

    @staticmethod
    def relations_page(
        view: nx.MultiDiGraph,
        entity_id: str,
        direction: str,
        kinds: frozenset[RelationKind] | None,
        first: int,
        after: str | None,
        count: bool,
    ) -> Page[RelationRecord]:
        """A page of the relations at ``entity_id`` in ``view``, by kind, other end, side."""
        if entity_id not in view:
            return Page(items=[], has_next=False, total=0 if count else None)
        wanted = None if kinds is None else {k.value for k in kinds}
        # (sort key, relation data); a scoped view's read in one pass over the facts
        rows: list[tuple[tuple[str, str, str], Data]] | None = visible_relations_at(
            view, entity_id, direction, wanted
        )
        if rows is None:
            rows = []
            sides = []
            if direction in ("OUT", "BOTH"):
                sides.append(("OUT", view.succ[entity_id]))
            if direction in ("IN", "BOTH"):
                sides.append(("IN", view.pred[entity_id]))
            for side, nbrs in sides:
                for other, keydict in nbrs.items():
                    for kind, data in keydict.items():
                        if wanted is None or kind in wanted:
                            rows.append(((kind, other, side), data))
        rows.sort(key=lambda r: r[0])
        start = 0
        if after is not None:
            last = tuple(decode_cursor(after, 3))
            start = bisect.bisect_right(rows, last, key=lambda r: r[0])
        page = rows[start : start + first]  # records are made for the page only (a hub has many)
        items = []
        for (kind, other, side), data in page:
            source, target = (entity_id, other) if side == "OUT" else (other, entity_id)
            items.append(RelationRecord(
                id=relation_id(source, kind, target), kind=RelationKind(kind), source=source,
                target=target, confidence=data["confidence"], facts=data["facts"],
            ))
        return Page(
            items=items,
            has_next=start + first < len(rows),
            total=len(rows) if count else None,
            cursors=[encode_cursor(r[0]) for r in page],
        )
