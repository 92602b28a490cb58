"""A caller's STIX feed: every object of its view at a position, kept in step with the store.

The ``alliance`` collection and the change stream read one ``Feed`` per view
(``Scope.view_key``: the org, and the ``max_marking`` ceiling if any). Positions
are *view-local*: position n is the caller's n-th visible report (0: before any),
so nothing about reports it may not see (their number, keys or times) shows in a
position, a ``next`` cursor, an event id or a ``date_added``.

Each object sits at the position of its latest change in the view:

- an entity: its newest visible assertion;
- a relation: its newest visible assertion, or the position at which its later
  end became visible (a relation appears only when both ends are visible);
- an org's identity: the first visible report of that org (an identity has one
  version); the definitions and the caller's own identity: position 0.

Positions only grow, and a report changes only objects it stated (or relations
at entities it made visible), so folding the change log (``store.events``) in
key order appends: an update moves an object to the end. Within a position
objects are ordered by STIX id. ``date_added`` of position n is the arrival time
of the caller's n-th visible report, made strictly increasing (by a microsecond
where two arrived together), so ``added_after`` and the order agree.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import networkx as nx

from graph_api.access import Scope
from graph_api.export.case_view import export_entity, export_relation
from graph_api.export.stix_mapping import (
    TLP2_MARKING_IDS,
    definition_objects,
    entity_object,
    identity_id,
    marking_definition,
    org_identity,
    relation_object,
    relation_stix_id,
    stix_id,
)
from graph_api.model import EntityKind, Marking, relation_id
from graph_api.store.base import GraphStore

__all__ = ["EPOCH", "Entry", "Feed", "Feeds", "Position", "stamp"]

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # date_added of position 0 (the mapping's epoch)
_TICK = timedelta(microseconds=1)
FEEDS_KEPT = 8  # views whose feed is kept (least recently used out)
SLICE = 2000  # objects folded between two turns of the event loop (`Feed.refresh_slices`)
Position = tuple[int, str]  # (position, STIX id): where a cursor or an event id points
Ref = tuple[str, ...]  # ("e", entity) | ("r", source, kind, target) | ("o", org) | ("s", id)


def stamp(moment: datetime) -> str:
    """A TAXII timestamp: UTC, microseconds, Z.

    >>> stamp(datetime(2026, 1, 1, tzinfo=UTC))
    '2026-01-01T00:00:00.000000Z'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class Entry:
    position: int  # of the object's latest change
    created: int  # where it appeared in the view
    ref: Ref


class Feed:
    """The objects of one view by position; ``refresh`` folds in what the store added."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.seqs: list[int] = []  # report key of position n at index n - 1
        self.times: list[datetime] = [EPOCH]  # date_added of position n at index n
        self.upto = 0  # the report key the feed is folded up to
        self.entries: dict[str, Entry] = {}
        self.order: list[Position] = []  # ascending; an entry moved on leaves a stale pair
        self.first: dict[str, int] = {}  # entity -> position where it became visible
        self.kinds: dict[str, EntityKind] = {}
        self.static: dict[str, dict[str, Any]] = {}
        self.changed = False  # whether the last refresh folded anything
        self.folding = asyncio.Lock()  # one fold at a time (`Feeds.ready`)
        ceiling = scope.ceiling or Marking.RED
        for obj in [*(marking_definition(m) for m in Marking if m.rank <= ceiling.rank),
                    *definition_objects()]:
            self.static[obj["id"]] = obj
            self._put(obj["id"], 0, ("s", obj["id"]))
        self._put(identity_id(scope.org_id), 0, ("o", scope.org_id))
        self.order.sort()

    # -- positions -----------------------------------------------------------
    @property
    def last(self) -> int:
        return len(self.seqs)

    def date_added(self, position: int) -> str:
        return stamp(self.times[position])

    def position_after(self, moment: datetime) -> int:
        """The first position whose date_added is after ``moment`` (exclusive)."""
        return bisect.bisect_right(self.times, moment)

    def _put(self, sid: str, position: int, ref: Ref) -> bool:
        """Record a change of ``sid`` at ``position``; True when the object is new."""
        entry = self.entries.get(sid)
        if entry is None:
            self.entries[sid] = Entry(position, position, ref)
        elif entry.position == position:
            return False
        else:
            entry.position = position
        self.order.append((position, sid))
        return entry is None

    def after(self, start: Position | None) -> Iterator[tuple[Position, Entry]]:
        """Every object after ``start`` (exclusive) in order, each once, as of now."""
        i = 0 if start is None else bisect.bisect_right(self.order, start)
        order, entries = self.order, self.entries
        while i < len(order):
            pair = order[i]
            i += 1
            entry = entries[pair[1]]
            if entry.position == pair[0]:
                yield pair, entry

    def at(self, sid: str) -> Entry | None:
        return self.entries.get(sid)

    # -- folding the change log ------------------------------------------------
    def refresh(self, store: GraphStore) -> bool:
        """Fold in the reports the store added since; True when there were any."""
        steps = self._refresh(store)
        for _ in steps:
            pass
        return self.changed

    async def refresh_slices(self, store: GraphStore) -> bool:
        """`refresh`, letting the event loop serve other requests every ``SLICE``
        objects: a view's first fold reads every entity of it (seconds at a million).
        It reads the live view between slices, which only the loop may touch (hence
        not on a pool thread); a write landing between slices is ignored by this fold
        (its report is past ``top``) and folded by the next."""
        for _ in self._refresh(store):
            await asyncio.sleep(0)
        return self.changed

    def _refresh(self, store: GraphStore) -> Iterator[None]:
        self.changed = False
        reports = store.visible_reports(self.scope, self.upto)
        if not reports:
            return
        base = self.last
        position_of: dict[int, int] = {}
        new_orgs: dict[str, int] = {}
        for n, report in enumerate(reports, base + 1):
            self.seqs.append(report.seq)
            self.times.append(max(report.received_at.astimezone(UTC), self.times[-1] + _TICK))
            position_of[report.seq] = n
            new_orgs.setdefault(report.org, n)
        top = reports[-1].seq
        changes = store.report_changes(self.scope, self.upto, top)
        whole = self.upto == 0
        view = store.view(self.scope) if whole else store.view(
            self.scope, sorted(changes.entities | {e for r in changes.relations
                                                   for e in (r[0], r[2])}), 1)
        self.upto = top
        cut = len(self.order)  # what this refresh appends goes after it, all past ``base``

        def position(seq: int) -> int | None:
            if seq > top:
                return None  # the view has moved on: the next refresh folds it
            found = position_of.get(seq)
            if found is None:
                found = bisect.bisect_left(self.seqs, seq) + 1
            return found

        fresh: list[str] = []
        nodes = view.nodes
        for n, eid in enumerate(changes.entities, 1):
            if n % SLICE == 0:
                yield
            if eid not in nodes:
                continue
            data = nodes[eid]
            spots = [p for f in data["facts"] if (p := position(f.seq)) is not None]
            if not spots:
                continue
            entity_kind = EntityKind(data["facts"][0].kind)
            if eid not in self.first:
                self.first[eid], self.kinds[eid] = min(spots), entity_kind
                fresh.append(eid)
            sid = stix_id(self.kinds[eid], eid)
            if self._put(sid, max(spots), ("e", eid)):
                self.entries[sid].created = self.first[eid]
        candidates = set(changes.relations)
        for n, eid in enumerate(fresh, 1):
            if n % SLICE == 0:
                yield
            if eid in view:
                candidates.update((eid, k, v) for v, keys in view.succ[eid].items() for k in keys)
                candidates.update((u, k, eid) for u, keys in view.pred[eid].items() for k in keys)
        by_source: dict[str, list[tuple[str, str]]] = {}
        for source, kind, target in candidates:
            by_source.setdefault(source, []).append((kind, target))
        for n, (source, pairs) in enumerate(by_source.items(), 1):
            if n % SLICE == 0:
                yield
            self._relations(view, source, pairs, position)
        for org, n in new_orgs.items():
            if identity_id(org) not in self.entries:
                self._put(identity_id(org), n, ("o", org))
        self._settle(cut)
        self.changed = True

    def _relations(self, view: nx.MultiDiGraph, source: str, pairs: list[tuple[str, str]],
                   position: Any) -> None:
        """Place relations from ``source``: each at its newest visible assertion or where
        its later end became visible, whichever is later; only once both ends are."""
        first_source = self.first.get(source)
        if first_source is None or source not in view:
            return
        nbrs = view.succ[source]  # read once per source: the view's mappings are not free
        for kind, target in pairs:
            first_target = self.first.get(target)
            if first_target is None:
                continue
            keys = nbrs.get(target)
            if keys is None or kind not in keys:
                continue
            spots = [p for f in keys[kind]["facts"] if (p := position(f.seq)) is not None]
            if not spots:
                continue
            sid = relation_stix_id(relation_id(source, kind, target))
            ends = max(first_source, first_target)
            if self._put(sid, max(max(spots), ends), ("r", source, kind, target)):
                self.entries[sid].created = max(min(spots), ends)

    def _settle(self, cut: int) -> None:
        """Keep ``order`` sorted: a refresh appended its pairs from ``cut`` in no order
        (each past every pair before ``cut``)."""
        self.order[cut:] = sorted(set(self.order[cut:]))
        stale = len(self.order) - len(self.entries)
        if stale > len(self.entries):  # most pairs stale: start afresh
            self.order = sorted((e.position, sid) for sid, e in self.entries.items())

    # -- objects -----------------------------------------------------------------
    def objects(self, store: GraphStore, sids: list[str]) -> dict[str, dict[str, Any]]:
        """The STIX objects of ``sids`` as the view has them now (the current version)."""
        scope = self.scope
        out: dict[str, dict[str, Any]] = {}
        entities = [self.entries[s].ref[1] for s in sids if self.entries[s].ref[0] == "e"]
        relations = [self.entries[s].ref for s in sids if self.entries[s].ref[0] == "r"]
        records = store.entities_by_id(scope, entities) if entities else {}
        edges: list[tuple[str, str, str, dict[str, Any]]] = []
        if relations:
            view = store.view(scope, sorted({r[1] for r in relations}), 1)
            for _, source, kind, target in relations:
                keys = view.succ.get(source, {}).get(target, {})
                if kind in keys:
                    edges.append((source, target, kind, keys[kind]))
        keys = sorted({f.seq for r in records.values() for f in r.facts}
                      | {f.seq for *_, data in edges for f in data["facts"]})
        envelopes = store.envelopes(keys) if keys else {}
        for record in records.values():
            obj = entity_object(export_entity(scope, record, envelopes))
            out[obj["id"]] = obj
        for source, target, kind, data in edges:
            relation = export_relation(source, target, kind, data, envelopes)
            obj = relation_object(relation, self.kinds[source], self.kinds[target])
            out[obj["id"]] = obj
        for sid in sids:
            ref = self.entries[sid].ref
            if ref[0] == "s":
                out[sid] = self.static[sid]
            elif ref[0] == "o":
                org = store.org(ref[1])
                if org is not None:
                    out[sid] = org_identity(org)
        return out

    def marking_id(self) -> str | None:
        return TLP2_MARKING_IDS[self.scope.ceiling] if self.scope.ceiling else None


class Feeds:
    """The feeds of one process, by view (``FEEDS_KEPT`` at most)."""

    def __init__(self) -> None:
        self._feeds: OrderedDict[str, Feed] = OrderedDict()

    def of(self, store: GraphStore, scope: Scope) -> Feed:
        """The caller's feed, folded up to what the store holds now (a request awaits
        `ready` first, so what is left to fold here is what came meanwhile)."""
        feed = self._feed(scope)
        feed.refresh(store)
        return feed

    async def ready(self, store: GraphStore, scope: Scope) -> Feed:
        """`of`, folded in slices between which the loop serves other requests (a
        view's first fold reads all of it); read it before awaiting anything else."""
        async with self.using(store, scope) as feed:
            return feed

    @contextlib.asynccontextmanager
    async def using(self, store: GraphStore, scope: Scope) -> AsyncIterator[Feed]:
        """The caller's feed folded as `ready` folds it, held for the enclosed request:
        another request of the same view waits, so no fold runs across its reads (nor
        across another fold); other views' requests do not wait."""
        feed = self._feed(scope)
        async with feed.folding:
            await feed.refresh_slices(store)
            yield feed

    def _feed(self, scope: Scope) -> Feed:
        feed = self._feeds.get(scope.view_key)
        if feed is None:
            feed = self._feeds[scope.view_key] = Feed(scope)
            while len(self._feeds) > FEEDS_KEPT:
                self._feeds.popitem(last=False)
        self._feeds.move_to_end(scope.view_key)
        return feed
