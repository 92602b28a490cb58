"""The Neo4j store's reads: records, pages and views from the caller's visible rows.

Every query filters by visibility in Cypher (``/*visible:VAR*/``); what comes
back is shaped like the embedded graph's node and edge data, so ``GraphReads``
and the analytics run unchanged. Entities are read from their summaries
(``summaries``): a few rows per entity whatever its number of facts.
Round trips are what a remote store pays for, so the reads are shaped to need
few: a record batch is one query; a relation page is one query (relations and
the summaries of their ends); a breadth-first view is one query per hop; an
upstream view for traceToSource is two (every walkable path, then the
summaries of the nodes on them). Within one GraphQL operation the node data a
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

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import networkx as nx
import orjson

from graph_api import deadline
from graph_api.access import Scope, instant
from graph_api.model import (
    Assertion,
    EntityKind,
    Evidence,
    IdentifierKind,
    Marking,
    RelationKind,
    SourceKind,
)
from graph_api.store.base import EntityFilter, EntityRecord, Page, RelationRecord
from graph_api.store.facts import Data, EntityFact
from graph_api.store.neo4j.rows import graph_from_rows
from graph_api.store.neo4j.summaries import (
    INLINE,
    fact_tuple,
    header_and_state,
    node_from_facts,
    node_from_summaries,
)
from graph_api.store.reads import GraphReads, decode_cursor, encode_cursor
from graph_api.store.scoped_view import VisibilityMask
from graph_api.store.visible import VisibleGraph

__all__ = ["FOLDS_TO_ASCII", "Neo4jReads", "plain"]

Row = dict[str, Any]
ALL_VISIBLE = VisibilityMask(lambda _: True)  # what Cypher returns is already filtered
MAX_STEPS = 9  # the longest path read_upstream_paths.cypher walks (maxDepth <= 8, + 1)
PATH_ROWS = 20_000  # relations an upstream view reads in one query before walking by hops
_FORWARD = ("SHIPS_FROM", "SUPPLIED_BY", "OPERATES")
OPERATIONS = 64  # concurrent operations whose node data is kept (an event loop interleaves)
ENVELOPES = 200_000  # report envelopes kept (immutable once written), then started afresh
KEPT_NODES = 50_000  # trace nodes' data kept across operations (each at its view's version)
PARSED = 20_000  # summaries kept parsed, by their data (content: never stale)
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


RELATION = ("source", "target", "kind", "seq", "confidence")


def _unpack(rows: Iterable[Row], column: str, keys: tuple[str, ...]) -> list[Row]:
    """The entries a query collected into ``column`` (lists in ``keys`` order) as rows."""
    return [dict(zip(keys, item, strict=True)) for r in rows for item in (r[column] or ())]


@lru_cache(maxsize=PARSED)
def _parsed(data: str) -> Row:
    """A summary's ``data`` as a summary row (with it as ``_data``), shared by every read
    of the same summary (a brand's dozens of classes come with every listing's entity),
    so never changed: the writer parses its own (`header_and_state`)."""
    row = header_and_state(data)[0]
    row["_data"] = data
    return row


def _summaries(rows: Iterable[Row], column: str = "sums") -> list[Row]:
    """The summary nodes' ``data`` a query collected into ``column``, as summary rows."""
    return [_parsed(data) for r in rows for data in (r[column] or ())]


def _distinct(rels: Iterable[Row]) -> list[Row]:
    """Relation rows, each relation fact once (a query may meet one from both ends)."""
    return list({(r["source"], r["target"], r["kind"], r["seq"]): r for r in rels}.values())


def _fact(r: Row) -> EntityFact:
    """An ``EFact`` row as a node fact (its class 0: the read returned the caller's)."""
    return tuple.__new__(EntityFact, (r["seq"], 0, r["confidence"], r["kind"], r["name"],
                                      r["region"], r["status"], r["properties"]))


def _by_entity(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Summary rows per entity, each (entity, class) once (queries may repeat one)."""
    out: dict[str, dict[int, Row]] = {}
    for r in rows:
        out.setdefault(r["id"], {}).setdefault(r["first_seq"], r)
    return {eid: list(found.values()) for eid, found in out.items()}


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
        what is kept for it; least recently used out past ``KEPT_NODES``."""
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

    # -- views ---------------------------------------------------------------------
    def _hop(self, scope: Scope, ids: list[str], kinds: list[str] | None, upstream: bool
             ) -> tuple[list[Row], list[Row]]:
        """Relations at ``ids`` (all of ``kinds``, or one upstream walk step) and the
        summaries of ``ids`` and of the relations' other ends: one round trip."""
        who = self._who(scope)
        if upstream:
            rows = self._read("read_upstream_and_ends", ids=ids, **who)
        else:
            rows = self._read("read_relations_and_ends", ids=ids, kinds=kinds, **who)
        return _distinct(_unpack(rows, "rels", RELATION)), _summaries(rows)

    def view(
        self,
        scope: Scope,
        seeds: list[str] | None = None,
        hops: int | None = None,
        kinds: frozenset[RelationKind] | None = None,
        upstream: bool = False,
    ) -> nx.MultiDiGraph:
        """The caller's visible graph: all of it, the subgraph traceToSource walks from
        the seeds (``upstream``), or the nodes within ``hops`` of the seeds over ``kinds``
        (breadth first, one query per hop: its relations and their ends' summaries;
        the last adds only the relations among nodes already reached)."""
        who = self._who(scope)
        if seeds is None:
            everything = self._nodes(scope, _summaries(
                self._read("read_all_entity_summaries", **who)))
            return graph_from_rows(everything, self._read("read_all_relations", **who))
        seeds = list(dict.fromkeys(seeds))
        steps = hops if hops is not None else 8
        if upstream:
            found = self._upstream(scope, seeds, steps)
            if found is not None:
                return found
        kind_names = None if kinds is None else sorted(k.value for k in kinds)
        nodes: dict[str, Data] = {}
        rels: dict[tuple[str, str, str, int], Row] = {}
        frontier, fetched = seeds, set(seeds)
        for step in range(steps + 1):
            if not frontier:
                break
            rows, sums = self._hop(scope, frontier, kind_names, upstream)
            reached = self._nodes(scope, (
                s for s in sums if s["id"] not in nodes and (s["id"] in fetched or step < steps)
            ))
            self._remember(scope, reached, reached)
            nodes.update(reached)
            live = {eid for eid in frontier if eid in nodes}  # an invisible seed leads nowhere
            new: dict[str, None] = {}
            for r in rows:
                if r["source"] not in live and r["target"] not in live:
                    continue
                rels[(r["source"], r["target"], r["kind"], r["seq"])] = r
                for end in (r["source"], r["target"]):
                    if end not in fetched:
                        new[end] = None
            if step == steps:
                break
            fetched.update(new)
            frontier = [eid for eid in new if eid in nodes]
        return graph_from_rows(nodes, list(rels.values()))

    def visible(self, scope: Scope) -> VisibleGraph:
        """The caller's whole graph, fetched now (filtered by the server)."""
        return VisibleGraph.fetched(self.view(scope))

    def _upstream(self, scope: Scope, seeds: list[str], hops: int) -> nx.MultiDiGraph | None:
        """traceToSource's subgraph in two queries: every walkable path from the seeds
        (forwards, and from the storefronts that LIST them), then the summaries of the
        nodes on them; the nodes within ``hops`` walk steps are kept, as a walk by hops
        keeps them. None (walk by hops instead) when the paths exceed ``PATH_ROWS`` or
        a node past the seeds is a LISTING for the caller: the paths did not follow
        LISTS backwards from there."""
        if hops + 1 > MAX_STEPS:
            return None
        who = self._who(scope)
        parts = self._read("read_upstream_paths", ids=seeds, steps=min(hops + 1, MAX_STEPS),
                           cap=PATH_ROWS, **who)
        if any(len(p["rels"]) >= PATH_ROWS for p in parts if p["rels"] is not None):
            return None
        rows = _unpack(parts, "rels", RELATION)
        rels = {(r["source"], r["target"], r["kind"], r["seq"]): r for r in rows}
        ends = set(seeds) | {r[end] for r in rows for end in ("source", "target")}
        nodes = self._upstream_nodes(scope, seeds, sorted(ends), parts)
        steps: dict[str, list[str]] = {}
        for source, target, kind, _ in rels:
            if kind == "LISTS":
                steps.setdefault(target, []).append(source)
            elif kind in _FORWARD:
                steps.setdefault(source, []).append(target)
        depth = {s: 0 for s in seeds if s in nodes}
        queue = deque(depth)
        while queue:
            u = queue.popleft()
            if depth[u] == hops:
                continue
            for v in steps.get(u, ()):
                if v in nodes and v not in depth:
                    depth[v] = depth[u] + 1
                    queue.append(v)
        if any(nodes[n]["kind"] == "LISTING" for n, d in depth.items() if d > 0):
            return None
        kept = {n: nodes[n] for n in depth}
        return graph_from_rows(kept, list(rels.values()))

    def _upstream_nodes(self, scope: Scope, seeds: list[str], ends: list[str],
                        parts: list[Row]) -> dict[str, Data]:
        """Node data of a trace's nodes: the seeds and the storefronts listing them came
        with the paths; the rest (warehouses, factories: shared by many traces) from
        what is kept at the version the paths were read at, else read now and kept."""
        version = next((p["version"] for p in parts if p["version"] is not None), None)
        came = self._nodes(scope, _summaries(parts))
        storefronts = {r["source"] for r in _unpack(parts, "rels", RELATION)
                       if r["kind"] == "LISTS" and r["target"] in seeds}
        have = set(seeds) | storefronts  # their summaries came (or they are invisible)
        self._remember(scope, have, came)
        if version is None or version[0] is None:
            rest = self.summaries(scope, [e for e in ends if e not in have])
            return {**came, **rest}
        kept = self._kept_nodes()
        out = dict(came)
        missing = []
        for eid in ends:
            if eid in have:
                continue
            key = (scope.view_key, eid)
            hit = kept.get(key)
            if hit is not None and hit[0] == version:
                kept.move_to_end(key)
                if (data := hit[1]) is not None:
                    out[eid] = data
            else:
                missing.append(eid)
        if missing:
            found = self.summaries(scope, missing)
            for eid in missing:
                kept[(scope.view_key, eid)] = (version, found.get(eid))
                kept.move_to_end((scope.view_key, eid))
            while len(kept) > KEPT_NODES:
                kept.popitem(last=False)
            out.update(found)
        self._remember(scope, ends, out)  # the operation's later record lookups
        return out

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
        """One query: the entity's own relations and the summaries of their ends (none
        when this operation read them with the entity)."""
        kind_names = None if kinds is None else sorted(k.value for k in kinds)
        seen = self._operation()
        ahead = None if seen is None else seen.get((scope.view_key, AHEAD + entity_id))
        if ahead is not None:
            rows = [r for r in ahead["rels"] if kind_names is None or r["kind"] in kind_names]
            ends = {entity_id} | {r[end] for r in rows for end in ("source", "target")}
            nodes = {n: data for n, data in ahead["nodes"].items() if n in ends}
            return self.relations_page(graph_from_rows(nodes, rows), entity_id, direction,
                                       kinds, first, after, count)
        rows, sums = self._hop(scope, [entity_id], kind_names, False)
        nodes = self._nodes(scope, sums)
        ends = {entity_id} | {r[end] for r in rows for end in ("source", "target")}
        self._remember(scope, ends, nodes)  # an end without a summary is invisible
        return self.relations_page(graph_from_rows(nodes, rows), entity_id, direction, kinds,
                                   first, after, count)

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
