"""The Neo4j store's reads of nodes: records, pages, counts and searches from the
caller's visible rows (the graph reads built on them: ``views``).

Every query filters by visibility in Cypher (``/*visible:VAR*/``); what comes
back is shaped like the embedded graph's node and edge data, so ``GraphReads``
and the analytics run unchanged. Entities are read from their summaries
(``summaries``): a few rows per entity whatever its number of facts.
Round trips are what a remote store pays for, so the reads are shaped to need
few: a record batch is one query, with an entity's relations and their ends
when one entity is read. Within one GraphQL operation the node data a
read fetched answers the operation's later record lookups (the ends of a
relation page, the nodes of a trace's paths) instead of another round trip:
one operation reads one moment of the graph, and a write forgets what the
writing operation read. Across operations only content-addressed data is kept
(parsed summaries, envelopes) and a trace's nodes per view at the view's version
(`view_version`: a write the view may not see keeps them).

A view as of a time (``Scope.as_of``) passes ``$as_of`` to the visibility fragment:
relations and hub facts are filtered by their own report's time, a summary by its
first fact's; its inline facts are then kept or not by their reports' times (the
envelopes', kept by report key) and the node merged from the facts kept.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson

from graph_api import deadline
from graph_api.access import Scope, instant
from graph_api.model import (
    Assertion,
    EntityKind,
    Evidence,
    IdentifierKind,
    Marking,
    SourceKind,
)
from graph_api.store.base import EntityFilter, EntityRecord, Page
from graph_api.store.facts import Data, EntityFact
from graph_api.store.masks import VisibilityMask
from graph_api.store.neo4j.read_rows import (
    RELATION,
    Row,
    _by_entity,
    _distinct,
    _fact,
    _summaries,
    _unpack,
)
from graph_api.store.neo4j.summaries import (
    INLINE,
    fact_tuple,
    node_from_facts,
    node_from_summaries,
)
from graph_api.store.reads import GraphReads, decode_cursor, encode_cursor

__all__ = ["FOLDS_TO_ASCII", "Neo4jReads", "plain"]

ALL_VISIBLE = VisibilityMask(lambda _: True)  # what Cypher returns is already filtered
OPERATIONS = 64  # concurrent operations whose node data is kept (an event loop interleaves)
ENVELOPES = 200_000  # report envelopes kept (immutable once written), then started afresh
MERGED = 20_000  # node data kept merged, by the data of the summaries merged
RELATIONS_AHEAD = 64  # relations read with an entity for its page; past them, a page query
AHEAD = "\x00relations:"  # operation-cache key prefix (no entity id starts with NUL)
PAGE_SLACK = 8  # ids an entities page reads beyond it (some may be of another kind)
PLAIN = frozenset(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
                  "abcdefghijklmnopqrstuvwxyz{|}~")


FOLDS_TO_ASCII = ("\u00df\u0130\u0149\u017f\u01f0\u1e96\u1e97\u1e98\u1e99\u1e9a"
                  "\u1e9e\u212a\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06")
"""Every non-ASCII character whose case folding holds an ASCII one (tested): the
database folds them as ``str.casefold`` does (find_entity_candidates, tested)."""


def plain(text: str) -> bool:
    """A search text the database may look for: printable ASCII but quotes and
    backslashes (the summaries' JSON escapes those), where ``toLower`` folds as
    ``str.casefold`` does.

    >>> plain("Golden Dragon"), plain('"city"'), plain("Straße")
    (True, False, False)
    """
    return all(c in PLAIN for c in text)


class Neo4jReads(GraphReads):
    """The read half of ``Neo4jStore``: it provides ``_read(name, **params)`` and calls
    ``_forget()`` on every write."""

    def __init__(self) -> None:
        super().__init__()
        # each operation's node data by (view, id), by id of its budget (`_operation`)
        self._seen: OrderedDict[int, tuple[object, dict[tuple[str, str], Data | None]]] = (
            OrderedDict())
        # trace nodes' data across operations, with their view's version (`_kept_nodes`)
        self._kept: OrderedDict[tuple[str, str], tuple[object, Data | None]] = OrderedDict()
        # node data by the summaries' data it was merged from (`_nodes`)
        self._merged: dict[tuple[str, ...], Data] = {}
        # report envelopes by report key (`_keep_envelopes`)
        self._envelopes: dict[int, Assertion] = {}

    def _read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    # -- one operation's node data ---------------------------------------------------
    def _operation(self) -> dict[tuple[str, str], Data | None] | None:
        """The node data read so far by the current GraphQL operation, keyed by (view,
        id); None outside an operation. An operation is its time budget
        (``deadline.budget``), opened once per operation by the API."""
        token = deadline.current()  # the budget object: one per operation
        if token is None:
            return None
        seen = self._seen
        found = seen.get(id(token))
        if found is None or found[0] is not token:
            found = seen[id(token)] = (token, {})
            while len(seen) > OPERATIONS:
                seen.popitem(last=False)
        return found[1]

    def _forget(self) -> None:
        """A write of this process: what the writing operation read is stale (it reads
        its own write next). Other operations keep what they read, one moment of the
        graph each; what is kept across operations is checked against the view's
        version, which the write moves for every view that may see it."""
        token = deadline.current()
        if token is not None:
            self._seen.pop(id(token), None)

    def _kept_nodes(self) -> OrderedDict[tuple[str, str], tuple[object, Data | None]]:
        """Node data kept across operations, by (view, id), with the view's version it
        was read at (``[view_version, epoch of the report counter]``, read in the same
        query as what is asked): what was read at the version a view still has is what
        a read now returns. A write the view may not see leaves its version, and so
        what is kept for it; least recently used out past ``KEPT_NODES``
        (`views`)."""
        return self._kept

    def _remember(self, scope: Scope, ids: Iterable[str], nodes: dict[str, Data]) -> None:
        """Node data (and invisibility) of ``ids`` as the current operation read them."""
        seen = self._operation()
        if seen is not None:
            for eid in ids:
                seen[(scope.view_key, eid)] = nodes.get(eid)

    @staticmethod
    def _who(scope: Scope) -> dict[str, Any]:
        return {"org": scope.org_id, "org_type": scope.org_type.value,
                "markings": scope.markings, "as_of": scope.as_of}

    # -- node data ---------------------------------------------------------------
    def _hub_facts(self, scope: Scope, ids: list[str]) -> dict[str, list[EntityFact]]:
        """The visible facts kept as EFact nodes (those of hub classes), oldest first."""
        out: dict[str, list[EntityFact]] = {eid: [] for eid in ids}
        for r in self._read("read_entity_facts", ids=ids, **self._who(scope)):
            out[r["id"]].append(_fact(r))
        return out

    def _nodes(self, scope: Scope, rows: Iterable[Row]) -> dict[str, Data]:
        """Node data from summary rows; the facts of hubs are fetched when first read."""
        if scope.as_of is not None:
            return self._nodes_as_of(scope, list(rows))

        def loader(eid: str) -> Callable[[], list[EntityFact]]:
            return lambda: self._hub_facts(scope, [eid])[eid]

        # Node data merged from the same summaries is the same for every caller that
        # sees them (the classes are the caller's visible ones; a hub's facts, loaded
        # lazily, are those of the same classes whoever loads them): kept by content.
        merged = self._merged
        out = {}
        for eid, found in _by_entity(rows).items():
            key = tuple(r["_data"] for r in found)
            data = merged.get(key)
            if data is None:
                data = node_from_summaries(found, loader(eid))
                if len(merged) >= MERGED:
                    merged.clear()
                merged[key] = data
            out[eid] = data
        return out

    def _nodes_as_of(self, scope: Scope, rows: list[Row]) -> dict[str, Data]:
        """Node data of a view as of a time: merged from the facts reported by then (hub
        facts filtered in the database, inline ones here by their reports' times)."""
        hubs = sorted({r["id"] for r in rows if r["_state"].facts is None})
        hub_rows = self._read("read_entity_facts", ids=hubs, **self._who(scope)) if hubs else []
        return self._full_nodes(rows, hub_rows, scope.as_of)

    def _full_nodes(self, rows: Iterable[Row], hub_rows: Iterable[Row],
                    as_of: int | None = None) -> dict[str, Data]:
        """Node data with every visible fact in hand (searching needs them all); as of a
        time, the inline facts reported by then only."""
        hub: dict[str, list[EntityFact]] = {}
        for r in hub_rows:
            hub.setdefault(r["id"], []).append(_fact(r))
        by_entity = _by_entity(rows)
        times: dict[int, int] = {}
        if as_of is not None:
            times = self._report_times([f[0] for found in by_entity.values() for r in found
                                        for f in r["_state"].facts or ()])
        out = {}
        for eid, found in by_entity.items():
            facts = hub.get(eid, [])
            for r in found:
                facts += [fact_tuple(f) for f in r["_state"].facts or ()
                          if as_of is None or times[f[0]] <= as_of]
            if facts:  # as of a time, a summary's first fact is (the fragment said so)
                out[eid] = node_from_facts(sorted(facts, key=itemgetter(0)), found)
        return out

    def _report_times(self, keys: list[int]) -> dict[int, int]:
        """Each report's time (``access.instant``) by report key, from the envelopes."""
        found = self.envelopes(keys)
        return {k: instant(a.reported_at) for k, a in found.items()}

    def summaries(self, scope: Scope, ids: list[str], records: bool = False
                  ) -> dict[str, Data]:
        """Node data of the visible entities among ``ids``, facts of hubs lazily
        (what this operation read already is not read again). ``records``: also bring
        the envelopes of their inline facts (a record's assertions are often asked)."""
        seen = self._operation()
        out: dict[str, Data] = {}
        missing = []
        for eid in dict.fromkeys(ids):
            key = (scope.view_key, eid)
            if seen is not None and key in seen:
                if (data := seen[key]) is not None:
                    out[eid] = data
            else:
                missing.append(eid)
        if len(missing) == 1 and records and seen is not None:
            return {**out, **self._entity_and_relations(scope, missing[0])}
        if missing and records:
            rows = self._read("read_entity_records", ids=missing, **self._who(scope))
            self._keep_envelopes(r for part in rows for r in part["envs"] or ())
        elif missing:
            rows = self._read("read_entity_summaries", ids=missing, **self._who(scope))
        if missing:
            found = self._nodes(scope, _summaries(rows))
            self._remember(scope, missing, found)
            out.update(found)
        return out

    def _entity_and_relations(self, scope: Scope, eid: str) -> dict[str, Data]:
        """One entity read as a record within an operation (the `entity` query): its
        relations and their ends come in the same round trip, kept for the operation's
        ``relations_of`` (unless there are ``RELATIONS_AHEAD`` or more: a hub's page is
        read by itself)."""
        rows = self._read("read_entity_and_relations", ids=[eid], cap=RELATIONS_AHEAD,
                          **self._who(scope))
        self._keep_envelopes(r for part in rows for r in part["envs"] or ())
        nodes = self._nodes(scope, _summaries(rows))
        found = {eid: nodes[eid]} if eid in nodes else {}
        self._remember(scope, [eid], found)
        rels = _unpack(rows, "rels", RELATION)
        seen = self._operation()
        if eid in nodes and len(rels) < RELATIONS_AHEAD and seen is not None:
            rels = _distinct(rels)
            ends = {r[end] for r in rels for end in ("source", "target")}
            self._remember(scope, ends, nodes)  # an end without a summary is invisible
            seen[(scope.view_key, AHEAD + eid)] = {"rels": rels, "nodes": nodes}
        return found

    def node_data(self, scope: Scope, ids: list[str]) -> dict[str, Data]:
        if not ids:
            return {}
        who = self._who(scope)
        rows = _summaries(self._read("read_entity_summaries", ids=list(ids), **who))
        hubs = sorted({r["id"] for r in rows if r["count"] > INLINE})
        hub_rows = self._read("read_entity_facts", ids=hubs, **who) if hubs else []
        return self._full_nodes(rows, hub_rows, scope.as_of)

    def all_node_data(self, scope: Scope) -> dict[str, Data]:
        who = self._who(scope)
        return self._full_nodes(_summaries(self._read("read_all_entity_summaries", **who)),
                                self._read("read_all_entity_facts", **who), scope.as_of)

    # -- entities pages, counts and searches in the database -----------------------------
    def find_entities(
        self, scope: Scope, where: EntityFilter, first: int, after: str | None, count: bool
    ) -> Page[EntityRecord]:
        """Pages by kind (or of all) read in id order from the caller's summaries, a page
        at a time, and counted in the database; a search among the entities the database
        finds the text in (`plain` texts: ASCII without quotes or backslashes; the
        database folds the characters whose folding holds ASCII as Python does), ranked
        here. Region and status filters, and other texts, are answered by
        the shared scan."""
        if where.region is not None or where.status is not None or (
                where.search and not plain(where.search)) or scope.as_of is not None:
            return super().find_entities(scope, where, first, after, count)
        who = self._who(scope)
        if where.search:
            ids = [r["id"] for r in self._read("find_entity_candidates",
                                               needle=where.search.casefold(), **who)]
            ids.sort()
            return self._search_among(scope, where, first, after, count, ids,
                                      self.node_data(scope, ids) if ids else {})
        kind = where.kind.value if where.kind is not None else None
        last = "" if after is None else decode_cursor(after, 1)[0]
        items: list[EntityRecord] = []
        while len(items) <= first:
            limit = first + 1 - len(items) + PAGE_SLACK
            rows = self._read("list_entity_page", kind=kind, after=last, limit=limit, **who)
            rows.sort(key=itemgetter("id"))
            nodes = self._nodes(scope, _summaries(rows))
            for r in rows:
                data = nodes.get(r["id"])
                record = None if data is None else self._record(scope, r["id"], data)
                if record is not None and (kind is None or record.kind.value == kind):
                    items.append(record)
            if len(rows) < limit:
                break
            last = rows[-1]["id"]
        total = None
        if count:
            key = (scope.view_key, self.view_version(scope), where)
            total = self._totals.get(key)
            if total is None:
                rows = (self._read("count_entities", **who) if kind is None else
                        self._read("count_entities_of_kind", kind=kind, **who))
                total = int(rows[0]["total"]) if rows else 0
                self._keep_total(key, total)
        page = items[:first]
        return Page(items=page, has_next=len(items) > first, total=total,
                    cursors=[encode_cursor([r.id]) for r in page])

    def ids_in_order(self, scope: Scope) -> list[str]:
        return [r["id"] for r in self._read("list_entity_ids", **self._who(scope))]

    def mask(self, scope: Scope) -> VisibilityMask:
        return ALL_VISIBLE

    def reporters(self, data: Data) -> list[str]:
        reporters: list[str] = data.get("reporters") or []
        return reporters

    # -- records -------------------------------------------------------------------
    def _record(
        self, scope: Scope, eid: str, data: Data, seen: tuple[list[EntityFact], Data] | None = None
    ) -> EntityRecord | None:
        """The record of visible node data (merged already: no fact is read here)."""
        value = None
        ident_kind = data.get("identifier_kind")
        if ident_kind is not None and scope.sees_identifier_values(self.reporters(data)):
            value = data.get("value")
        return EntityRecord(
            id=eid, kind=EntityKind(data["kind"]), name=data["name"], region=data["region"],
            status=data["status"], properties=dict(data["properties"]),
            confidence=data["confidence"], facts=data["facts"],
            identifier_kind=IdentifierKind(ident_kind) if ident_kind else None, value=value,
        )

    def entities_by_id(self, scope: Scope, ids: list[str]) -> dict[str, EntityRecord]:
        out: dict[str, EntityRecord] = {}
        for eid, data in self.summaries(scope, list(dict.fromkeys(ids)), records=True).items():
            record = self._record(scope, eid, data)
            if record is not None:
                out[eid] = record
        return out

    def visible_kinds(self, scope: Scope, ids: list[str]) -> dict[str, EntityKind]:
        """The kind each visible entity among ``ids`` has for the caller."""
        if not ids:
            return {}
        rows = self._read("read_entity_kinds", ids=ids, **self._who(scope))
        return {r["id"]: EntityKind(r["kind"]) for r in rows}

    # -- a view's version, report envelopes -----------------------------------------
    def view_version(self, scope: Scope) -> int:
        """The newest report key among the classes the caller sees: one small query over
        the (:VClass) nodes, one per visibility class, each write moving its own."""
        return int(self._read("read_view_version", **self._who(scope))[0]["value"])

    def _keep_envelopes(self, rows: Iterable[Any]) -> None:
        """Envelopes as ``[seq, report_id, org, received_at, source, confidence, marking,
        shared, evidence]``, kept by report key: a report never changes once written."""
        kept = self._envelopes
        if len(kept) > ENVELOPES:
            kept.clear()
        for seq, report_id, org, at, source, confidence, marking, shared, evidence in rows:
            kept[seq] = Assertion(
                report_id=report_id, reported_by=org, reported_at=datetime.fromisoformat(at),
                source=SourceKind(source), confidence=confidence, marking=Marking(marking),
                shared_with=tuple(sorted(shared or [])),
                evidence=tuple(
                    Evidence(e["id"], e["kind"], e.get("description"), e.get("sha256"),
                             e.get("uri"))
                    for e in orjson.loads(evidence)
                ),
            )

    def envelopes(self, keys: list[int]) -> dict[int, Assertion]:
        kept = self._envelopes
        out = {k: kept[k] for k in keys if k in kept}
        missing = [k for k in dict.fromkeys(keys) if k not in out]
        if missing:
            rows = self._read("read_envelopes", seqs=missing)
            self._keep_envelopes([r["seq"], r["report_id"], r["org"], r["received_at"],
                                  r["source"], r["confidence"], r["marking"], r["shared"],
                                  r["evidence"]] for r in rows)
            out.update((k, kept[k]) for k in missing if k in kept)
        return out
