"""What the observing org C asks after every step, and what its subscriber hears.

``SELECTIONS`` holds, for every root query field of the served schema, the
selections C asks of it (aliased where a field is asked twice), each naming the
variables it uses and the document it goes in: a step asks a handful of
documents per world (see ``READS``), not one per field, and C's admin asks
``ADMIN_SELECTIONS``. Should an error in a non-null root field null a whole
answer anyway, both worlds having answered alike, each selection is asked
again alone, so that no field goes unchecked.

``Subscriber``: an ``alertRaised`` subscription of C's investigator, run
in-process on strawberry (as the server's WebSocket runs it) on an event loop
of its own that is driven between steps, so the events it receives are those
a subscriber of C would receive.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Any

from graph_api.access import Scope
from graph_api.api.context import Context
from graph_api.api.schema import build_schema, error_extensions
from graph_api.services import Services
from tests.security.test_leak_matrix import CASE, ENTITY, NOTICE, PATH, TEST_BUY

__all__ = [
    "ADMIN_SELECTIONS", "PLANNED", "SELECTIONS", "Selection", "Subscriber", "document",
    "documents", "served",
]


@dataclass(frozen=True)
class Selection:
    """One aliased root field of a battery document, with the variables it uses."""

    field: str
    text: str
    variables: tuple[str, ...] = ()
    document: str = "Reads"

    @property
    def key(self) -> str:
        """The field's key in the answer (its alias, else its name)."""
        head = self.text.split("(")[0].split("{")[0]
        return head.split(":")[0].strip()


# Every variable a selection may use, with its GraphQL type.
VARIABLE_TYPES = {
    "e1": "ID!", "kind": "EntityKind", "search": "String", "region": "String",
    "status": "String", "first": "Int", "after": "String", "from": "ID!", "to": "ID!",
    "depth": "Int", "conf": "Float", "brand": "ID", "seeds": "[ID!]!", "hops": "Int",
    "relKinds": "[RelationKind!]", "limit": "Int", "minSize": "Int",
    "noticeStatus": "NoticeStatus", "noticeAfter": "String", "notice": "ID!",
    "statsBrand": "ID", "alertKind": "AlertKind", "case": "ID!", "penaltyOf": "ID!",
    "buysOf": "ID", "auditAfter": "Int", "auditSeen": "Int", "node": "ID!",
}

PENALTY = "kind subject { id kind status } appliedAt until liftedAt"
ALERT = "id kind raisedAt subject { id kind status } explanation { %s }" % PATH
STATS = "filed open refuted upheld reversed withdrawn medianTimeToTakedownSeconds accuracy"
ENTITY_ROW = "id kind name region status properties confidence value"
AUDIT = "seq at principal { id role org { id } } operation digest hash"


# The documents a battery is asked in. "Reads" holds what the compiled plans answer
# today (``api.compiled``; one unplanned field sends a whole document to graphql-core,
# about twice as slow), "Records" the rest. A selection that may fail in a non-null
# field (a trace from an id C cannot see answers NOT_FOUND) has a document of its own:
# the error would null the whole answer and leave its siblings' resolvers unawaited.
READS, RECORDS = "Reads", "Records"


def _s(field: str, text: str, *variables: str, document: str = READS) -> Selection:
    return Selection(field, " ".join(text.split()), variables, document)


SELECTIONS: dict[str, list[Selection]] = {
    "me": [_s("me", "me { id role org { id name type trusted } }")],
    "entity": [
        _s("entity", "entity(id: $e1) { %s }" % ENTITY, "e1"),
    ],
    "entities": [
        _s("entities", """entities(kind: $kind, search: $search, region: $region,
            status: $status, first: $first, after: $after) { totalCount
            edges { cursor node { %s } } pageInfo { hasNextPage endCursor } }""" % ENTITY_ROW,
           "kind", "search", "region", "status", "first", "after"),
        _s("entities", """allEntities: entities(first: 100) { totalCount
            edges { cursor node { %s } } pageInfo { hasNextPage endCursor } }""" % ENTITY_ROW),
    ],
    "traceToSource": [
        _s("traceToSource", """traceToSource(from: $from, maxDepth: $depth,
            minConfidence: $conf) { origin { id } sources { entity { id region } score depth
            paths(first: 3) { %s } } }""" % PATH, "from", "depth", "conf", document="Trace"),
    ],
    "topSources": [
        _s("topSources", "topSources(brand: $brand, first: 20) { entity { id name region } score }",
           "brand", document=RECORDS),
    ],
    "network": [
        _s("network", """network(seeds: $seeds, maxHops: $hops, kinds: $relKinds,
            minConfidence: $conf, limit: $limit) { truncated nodes { id name status confidence }
            relations { id kind confidence from { id } to { id } } }""",
           "seeds", "hops", "relKinds", "conf", "limit"),
    ],
    "connections": [
        _s("connections", "connections(from: $from, to: $to, maxHops: $hops, first: 5) { %s }"
           % PATH, "from", "to", "hops"),
    ],
    "linkedEntities": [
        _s("linkedEntities", """linkedEntities(id: $e1, maxHops: $hops) { entity { id status }
            sharedIdentifiers { id value identifierKind } path { %s } }""" % PATH, "e1", "hops",
           document=RECORDS),
    ],
    "rings": [
        _s("rings", """rings(minSize: $minSize, first: 20) { id size members { id }
            keyPlayers(first: 10) { entity { id } score } sources { id } regions
            knownRing { id } }""", "minSize", document=RECORDS),
    ],
    "hotspots": [
        _s("hotspots", """hotspots(first: 10) { totalListings
            regions { region listings sources share cumulativeShare } }"""),
    ],
    "notices": [
        # filters and pages (allNotices shows every notice whole)
        _s("notices", "notices(status: $noticeStatus, first: 50, after: $noticeAfter) "
           "{ id status }", "noticeStatus", "noticeAfter", document="NoticePage"),
        _s("notices", "allNotices: notices(first: 1000) { %s }" % NOTICE, document=RECORDS),
    ],
    "notice": [_s("notice", "notice(id: $notice) { %s }" % NOTICE, "notice", document=RECORDS)],
    "noticeStats": [
        _s("noticeStats", "noticeStats(brand: $statsBrand) { %s }" % STATS, "statsBrand"),
        _s("noticeStats", "allStats: noticeStats { %s }" % STATS),
    ],
    "alerts": [
        _s("alerts", "alerts(kind: $alertKind, first: 50) { id kind }", "alertKind"),
        _s("alerts", "allAlerts: alerts(first: 1000) { %s }" % ALERT),
    ],
    "cases": [_s("cases", "cases { %s }" % CASE, document=RECORDS)],
    "case": [_s("case", "case(id: $case) { %s }" % CASE, "case", document=RECORDS)],
    "nameAndShame": [_s("nameAndShame", "nameAndShame(first: 100) { %s }" % ENTITY_ROW)],
    "penalties": [
        _s("penalties", "penalties(entity: $penaltyOf) { %s }" % PENALTY, "penaltyOf"),
        _s("penalties", "e1Penalties: penalties(entity: $e1) { %s }" % PENALTY, "e1"),
    ],
    "testBuys": [
        _s("testBuys", "testBuys(listing: $buysOf, first: 50) { id }", "buysOf",
           document=RECORDS),
        _s("testBuys", "allBuys: testBuys(first: 1000) { %s }" % TEST_BUY, document=RECORDS),
    ],
    # Planned (issue 18, "Publication"): asked as soon as the schema serves it.
    "publications": [
        _s("publications", "publications(first: 1000) { id entity { id kind status } status "
           "publishedAt reason }", document=RECORDS),
    ],
    # Planned with relay.py (Relay object identification), asked once served.
    "node": [_s("node", "node(id: $node) { id __typename }", "node", document=RECORDS)],
    "nodes": [_s("nodes", "nodes(ids: [$node, $e1]) { id __typename }", "node", "e1",
                 document=RECORDS)],
}

# Asked as C's admin: the audit log (an admin sees its own org's records only).
ADMIN_SELECTIONS: dict[str, list[Selection]] = {
    "auditLog": [
        # the records since the last step's (a record once written does not change)
        _s("auditLog", "auditLog(first: 1000, after: $auditSeen) { %s }" % AUDIT, "auditSeen"),
        _s("auditLog", "page: auditLog(first: 5, after: $auditAfter) { %s }" % AUDIT,
           "auditAfter"),
    ],
}

# Root fields of the plan that the served schema may not have yet: their selections
# are left out of the document until it does (a document naming an unknown field
# would be refused whole, in both worlds alike, and check nothing).
PLANNED = frozenset({"publications", "node", "nodes"})


def document(name: str, selections: Iterable[Selection]) -> str:
    """One query of these selections, declaring exactly the variables they use."""
    chosen = list(selections)
    used = sorted({v for s in chosen for v in s.variables})
    head = ", ".join(f"${v}: {VARIABLE_TYPES[v]}" for v in used)
    body = "\n  ".join(s.text for s in chosen)
    return f"query {name}{f'({head})' if head else ''} {{\n  {body}\n}}"


def served(selections: dict[str, list[Selection]], root_fields: set[str]) -> list[Selection]:
    """The selections of the fields the schema serves."""
    return [s for name, group in selections.items() if name in root_fields for s in group]


def documents(selections: list[Selection]) -> dict[str, list[Selection]]:
    """The selections grouped into their documents, by name."""
    out: dict[str, list[Selection]] = {}
    for selection in selections:
        out.setdefault(selection.document, []).append(selection)
    return out


# -- the subscriber ----------------------------------------------------------------
SUBSCRIPTION = "subscription { alertRaised { %s } }" % ALERT
IDLE_TICKS = 50  # loop turns with nothing delivered after which the subscriber is drained


class Subscriber:
    """C's ``alertRaised`` subscription on one world, on an event loop of its own.

    The loop runs only inside ``drain``: alerts raised meanwhile wait in the
    broker's queue for this loop (``call_soon_threadsafe``), as a server's would
    while its loop serves another request.
    """

    SCHEMA = build_schema()  # strawberry's own path, as on the server's WebSocket

    def __init__(self, services: Services, scope: Scope) -> None:
        self.loop = asyncio.new_event_loop()
        context = Context(services=services)
        context._scope = scope
        result = self.loop.run_until_complete(
            self.SCHEMA.subscribe(SUBSCRIPTION, context_value=context))
        assert isinstance(result, AsyncGenerator), f"the subscription was refused: {result}"
        self.stream: AsyncGenerator[Any, None] = result
        self.next: asyncio.Future[Any] = self.loop.create_task(self._next())
        self.drain()  # to the broker's queue: subscribed before the first step

    async def _next(self) -> Any:
        return await self.stream.__anext__()

    def drain(self) -> list[dict[str, Any]]:
        """The events delivered since the last drain, in order."""

        async def run() -> list[dict[str, Any]]:
            got: list[dict[str, Any]] = []
            idle = 0
            while idle < IDLE_TICKS:
                await asyncio.sleep(0)
                if not self.next.done():
                    idle += 1
                    continue
                result = self.next.result()
                event: dict[str, Any] = {"data": result.data}
                if result.errors:
                    event["errors"] = [{"message": e.message, "extensions": error_extensions(e)}
                                       for e in result.errors]
                got.append(event)
                self.next = asyncio.ensure_future(self._next())
                idle = 0
            return got

        return self.loop.run_until_complete(run())

    def close(self) -> None:
        self.next.cancel()

        async def stop() -> None:
            try:
                await self.next
            except (asyncio.CancelledError, StopAsyncIteration):
                pass
            await self.stream.aclose()

        try:
            self.loop.run_until_complete(stop())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()
