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
import difflib
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from graph_api.access import Scope
from graph_api.api.context import Context
from graph_api.api.schema import build_schema, error_extensions
from graph_api.services import Services
from tests.security.test_leak_matrix import CASE, ENTITY, PATH, TEST_BUY

__all__ = [
    "ADMIN", "ADMIN_SELECTIONS", "BATTERY", "NOTICE", "SELECTIONS", "Selection", "Subscriber",
    "document", "documents", "explain",
]


@dataclass(frozen=True)
class Selection:
    """One aliased root field of a battery document, with the variables it uses."""

    field: str
    text: str
    variables: tuple[str, ...] = ()
    document: str = "Reads"
    # Variables that must name what C saw at the last step (entities, notices) for the
    # field to be asked with others: else it may fail, and is asked in a document of
    # its own (see READS).
    needs: tuple[str, ...] = ()

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
    "rightsHolder": "ID", "rightStatus": "RightStatus", "appealStatus": "AppealStatus",
    "since": "DateTime", "budget": "Int!", "candidates": "[ID!]", "remove": "[ID!]!",
}

PENALTY = "id kind subject { id kind status } appliedAt until liftedAt"
NOTICE = """id status filedAt refuteBy decidedAt grounds refutation marking reason reasonCode
  brand { id } listings { id status } evidence { id kind sha256 }
  rights { id status holder { id } }
  outcomes { status refuteBy decidedAt reason listing { id status } }
  counterNotices { id statement filedAt evidence { kind sha256 } listings { id } }
  penalties { %s }""" % PENALTY
NOTICE_STATE = """id status decidedAt reason listings { id status }
  outcomes { status decidedAt listing { id } } counterNotices { id }
  penalties { id kind subject { id } liftedAt }"""
ALERT = "id kind raisedAt subject { id kind status } explanation { %s }" % PATH
STATS = "filed open refuted upheld reversed withdrawn medianTimeToTakedownSeconds accuracy"
ENTITY_ROW = "id kind name region status properties confidence value"
AUDIT = "seq at principal { id role org { id } } operation digest hash"
RIGHT = """id kind registration jurisdiction goodsClasses validUntil status reason
  evidence { kind sha256 } holder { id }"""
APPEAL = """id statement status filedAt decidedAt reason evidence { kind sha256 }
  penalty { %s }""" % PENALTY
NOTIFIER = """since notices listings upheld reversed withdrawn accuracy medianHoursToDecision
  trusted org { id }"""
SHARES = "region listings sources share cumulativeShare"
EVIDENCE_FILE = """id name mediaType bytes sha256 attachedTo chainVerified
  custody { action at holder location note recordedBy { id } }"""
NODE = """id __typename ... on Entity { entityKind: kind entityStatus: status name }
  ... on Notice { noticeStatus: status } ... on Case { caseStatus: status }
  ... on TestBuy { result } ... on Alert { alertKind: kind }"""

# The documents a battery is asked in. "Reads" holds what the compiled plans answer
# today (``api.compiled``; one unplanned field sends a whole document to graphql-core,
# about twice as slow), "Records" the rest. A field that may fail in its non-null root
# (an origin or seed C cannot see answers NOT_FOUND, a page cursor not of the query's
# filters BAD_USER_INPUT) is asked alone unless what it ``needs`` is known to be C's:
# its error would null the whole answer and leave its siblings' resolvers unawaited.
READS, RECORDS = "Reads", "Records"


def _s(field: str, text: str, *variables: str, document: str = READS,
       needs: tuple[str, ...] = ()) -> Selection:
    return Selection(field, " ".join(text.split()), variables, document, needs)


SELECTIONS: dict[str, list[Selection]] = {
    "me": [_s("me", "me { id role org { id name type trusted } }")],
    "entity": [_s("entity", "entity(id: $e1) { %s }" % ENTITY, "e1")],
    "entities": [
        _s("entities", """entities(kind: $kind, search: $search, region: $region,
            status: $status, first: $first, after: $after) { totalCount
            edges { cursor node { %s } } pageInfo { hasNextPage endCursor } }""" % ENTITY_ROW,
           "kind", "search", "region", "status", "first", "after", needs=("after",)),
        _s("entities", """allEntities: entities(first: 100) { totalCount
            edges { cursor node { %s } } pageInfo { hasNextPage endCursor } }""" % ENTITY_ROW),
    ],
    "node": [_s("node", "node(id: $node) { %s }" % NODE, "node", document=RECORDS)],
    "nodes": [_s("nodes", "nodes(ids: [$node, $e1, $penaltyOf]) { id __typename }",
                 "node", "e1", "penaltyOf", document=RECORDS)],
    # null here (an operation run in process is charged to no budget); the budget's own
    # non-interference: tests/security/test_leak_matrix.py::test_rate_limit
    "rateLimit": [_s("rateLimit", "rateLimit { cost limit remaining resetAt }")],
    "traceToSource": [
        _s("traceToSource", """traceToSource(from: $from, maxDepth: $depth,
            minConfidence: $conf) { origin { id } sources { entity { id region } score depth
            paths(first: 3) { %s } } }""" % PATH, "from", "depth", "conf", document=RECORDS,
           needs=("from",)),
    ],
    "topSources": [
        _s("topSources", "topSources(brand: $brand, first: 20) { entity { id name region } score }",
           "brand", document=RECORDS),
    ],
    "network": [
        _s("network", """network(seeds: $seeds, maxHops: $hops, kinds: $relKinds,
            minConfidence: $conf, limit: $limit) { truncated nodes { id name status confidence }
            relations { id kind confidence from { id } to { id } } }""",
           "seeds", "hops", "relKinds", "conf", "limit", needs=("seeds",)),
    ],
    "connections": [
        _s("connections", "connections(from: $from, to: $to, maxHops: $hops, first: 5) { %s }"
           % PATH, "from", "to", "hops", needs=("from", "to")),
    ],
    "linkedEntities": [
        _s("linkedEntities", """linkedEntities(id: $e1, maxHops: $hops) { entity { id status }
            sharedIdentifiers { id value identifierKind } path { %s } }""" % PATH, "e1", "hops",
           document=RECORDS, needs=("e1",)),
    ],
    "rings": [
        _s("rings", """rings(minSize: $minSize, first: 20) { id size members { id }
            keyPlayers(first: 10) { entity { id } score } sources { id } regions
            knownRing { id } }""", "minSize", document=RECORDS),
    ],
    "hotspots": [_s("hotspots", "hotspots(first: 10) { totalListings regions { %s } }" % SHARES)],
    "chokepoints": [
        _s("chokepoints", """chokepoints(brand: $brand, first: 10, maxDepth: $depth) { cut
            regions entity { id } listings { id } storefronts { id } }""", "brand", "depth",
           document=RECORDS),
    ],
    "interdictionPlan": [
        _s("interdictionPlan", """interdictionPlan(brand: $brand, budget: $budget,
            candidates: $candidates, maxDepth: $depth) { steps { cutAfter entity { id } }
            listingsConsidered cut remaining }""", "brand", "budget", "candidates", "depth",
           document=RECORDS),
    ],
    "simulateInterdiction": [
        _s("simulateInterdiction", """simulateInterdiction(remove: $remove, brand: $brand,
            maxDepth: $depth) { hotspotsBefore { %s } hotspotsAfter { %s } removed { id }
            listingsCut { id } storefrontsCut { id } sourcesRemaining { id } }"""
           % (SHARES, SHARES), "remove", "brand", "depth"),
    ],
    "rights": [
        _s("rights", "rights(holder: $rightsHolder, status: $rightStatus) { id status }",
           "rightsHolder", "rightStatus"),
        _s("rights", "allRights: rights { %s }" % RIGHT),
    ],
    "notices": [
        # filters and pages
        _s("notices", "notices(status: $noticeStatus, first: 50, after: $noticeAfter) "
           "{ id status }", "noticeStatus", "noticeAfter", needs=("noticeAfter",)),
        # every notice C may see, with what changes as it goes (notice(id:) shows one whole)
        _s("notices", "allNotices: notices(first: 1000) { %s }" % NOTICE_STATE,
           document=RECORDS),
    ],
    "notice": [_s("notice", "notice(id: $notice) { %s }" % NOTICE, "notice", document=RECORDS)],
    "noticeStats": [
        _s("noticeStats", "noticeStats(brand: $statsBrand) { %s }" % STATS, "statsBrand"),
        _s("noticeStats", "allStats: noticeStats { %s }" % STATS),
    ],
    "notifierStats": [
        _s("notifierStats", "notifierStats(org: $statsBrand, since: $since) { %s }" % NOTIFIER,
           "statsBrand", "since"),
    ],
    "appeals": [
        _s("appeals", "appeals(status: $appealStatus) { %s }" % APPEAL, "appealStatus",
           document=RECORDS),
    ],
    # evidence files: C asks the ids it holds (a file's id answers as a missing one but to
    # the record's readers: tests/security/test_evidence_leaks.py)
    "evidence": [_s("evidence", "evidence(id: $node) { %s }" % EVIDENCE_FILE, "node")],
    "evidenceFiles": [
        _s("evidenceFiles", "evidenceFiles(attachedTo: $notice) { %s }" % EVIDENCE_FILE,
           "notice"),
        _s("evidenceFiles", "caseFiles: evidenceFiles(attachedTo: $case) { %s }"
           % EVIDENCE_FILE, "case"),
    ],
    "penalties": [
        _s("penalties", "penalties(entity: $penaltyOf) { %s }" % PENALTY, "penaltyOf"),
        _s("penalties", "e1Penalties: penalties(entity: $e1) { %s }" % PENALTY, "e1"),
    ],
    "alerts": [
        _s("alerts", "alerts(kind: $alertKind, first: 50) { id kind }", "alertKind"),
        _s("alerts", "allAlerts: alerts(first: 1000) { %s }" % ALERT),
    ],
    "publications": [
        _s("publications", "publications(first: 1000) { id entity { id kind status } status "
           "publishedAt reason }", document=RECORDS),
    ],
    "nameAndShame": [_s("nameAndShame", "nameAndShame(first: 100) { %s }" % ENTITY_ROW)],
    "cases": [_s("cases", "cases { %s }" % CASE, document=RECORDS)],
    "case": [_s("case", "case(id: $case) { %s }" % CASE, "case", document=RECORDS)],
    "testBuys": [
        _s("testBuys", "testBuys(listing: $buysOf, first: 50) { %s }" % TEST_BUY, "buysOf",
           document=RECORDS),
        _s("testBuys", "allBuys: testBuys(first: 1000) { id result marking listing { id } "
           "shippedFrom { id } }", document=RECORDS),
    ],
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
BATTERY = [s for group in SELECTIONS.values() for s in group]
ADMIN = [s for group in ADMIN_SELECTIONS.values() for s in group]


def document(name: str, selections: Iterable[Selection]) -> str:
    """One query of these selections, declaring exactly the variables they use."""
    chosen = list(selections)
    used = sorted({v for s in chosen for v in s.variables})
    head = ", ".join(f"${v}: {VARIABLE_TYPES[v]}" for v in used)
    body = "\n  ".join(s.text for s in chosen)
    return f"query {name}{f'({head})' if head else ''} {{\n  {body}\n}}"


def explain(headline: str, trace: list[str], query: str, variables: dict[str, Any] | None,
            in_a: dict[str, Any], in_b: dict[str, Any], selections: list[Selection]) -> str:
    """The failure message: the steps, then each differing field with its selection,
    a diff and both answers."""
    lines = [headline, "steps (A receives every one, B those C may see):", *trace]
    data_a, data_b = in_a.get("data") or {}, in_b.get("data") or {}
    by_key = {s.key: s for s in selections}
    differing = [k for k in dict.fromkeys([*data_a, *data_b]) if data_a.get(k) != data_b.get(k)]
    for key in differing:
        text = by_key[key].text if key in by_key else query
        lines += [f"field {key}: {text}", *_diff(data_a.get(key), data_b.get(key)),
                  f"  world A: {data_a.get(key)}", f"  world B: {data_b.get(key)}"]
    if not differing:
        lines += [f"query: {query}", *_diff(in_a, in_b), f"  world A: {in_a}",
                  f"  world B: {in_b}"]
    elif in_a.get("errors") != in_b.get("errors"):
        lines += [f"errors in A: {in_a.get('errors')}", f"errors in B: {in_b.get('errors')}"]
    lines.append(f"variables: {variables}")
    return "\n".join(lines)


def _diff(a: Any, b: Any, most: int = 60) -> list[str]:
    def text(value: Any) -> list[str]:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
                            default=str).decode().splitlines()

    lines = list(difflib.unified_diff(text(a), text(b), "world A", "world B", lineterm="", n=2))
    return ["  " + line for line in lines[:most]] + (["  ..."] if len(lines) > most else [])


def documents(selections: list[Selection],
              safe: Callable[[Selection], bool]) -> dict[str, list[Selection]]:
    """The selections grouped into their documents, by name: each in its own document
    (named by its key) when ``safe`` says it may fail."""
    out: dict[str, list[Selection]] = {}
    for selection in selections:
        name = selection.document if safe(selection) else selection.key.capitalize()
        out.setdefault(name, []).append(selection)
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
