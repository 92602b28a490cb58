"""The leak matrix: every root field of the served schema, asked by competing brands,
the platform and a regulator of twin stores that differ only by what the caller may
not read (tests/security/world.py). Every answer — data, totalCount, cursors,
hasNextPage, order, scores, confidences, counts, error codes and messages — must be
equal.

``REGISTRY`` names the leak tests of each field; ``test_every_field_has_a_leak_test``
fails for a field of the schema without one (add it here when you add a field).
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

import pytest

from graph_api.api.context import Operation
from graph_api.api.operations import Operations
from graph_api.api.schema import build_schema
from graph_api.config import Settings
from graph_api.workflow.runtime import workflow_for
from tests.security.as_of_world import CUTS, build_timed_twins
from tests.security.conftest import MakeTwins
from tests.security.coverage import EXERCISED, schema_arguments
from tests.security.support import (
    Ids,
    Twins,
    cursors_in,
    decode_cursor,
    encode_cursor,
    phase_uuid,
)
from tests.security.world import (
    ALL_IDS,
    HIDDEN_IDS,
    SECRET_PHONE,
    SHA,
    VISIBLE_IDS,
    phone_id,
)
from tests.support import SCHEMA, gql

CALLERS = ["acme", "rival", "police", "bazaar"]
RELATION_KINDS = ["OPERATES", "LISTS", "INFRINGES", "SHIPS_FROM", "SUPPLIED_BY", "MEMBER_OF",
                  "USES", "ASSOCIATED_WITH"]
ENTITY_KINDS = ["SELLER", "STOREFRONT", "LISTING", "WAREHOUSE", "FACTORY", "RING",
                "IDENTIFIER", "BRAND"]

ASSERTION = """reportId reportedBy { id } reportedAt source confidence marking
  sharedWith { id } evidence { id kind sha256 uri }"""
TIMELINE = "at kind summary marking reportedBy { id } recordId cursor"
ENTITY = """id kind name region status properties confidence value identifierKind
  assertions { %s }
  relations(first: 1000) { totalCount edges { cursor node { id kind confidence
      from { id } to { id } assertions { reportId confidence marking } } }
      pageInfo { hasNextPage endCursor } }
  timeline(first: 1000) { %s }""" % (ASSERTION, TIMELINE)
PATH = "confidence nodes { id } relations { id kind confidence assertions { reportId } }"
NOTICE = """id status filedAt refuteBy decidedAt grounds refutation marking reason
  brand { id } listings { id status } evidence { id kind sha256 }
  penalties { kind subject { id status } appliedAt until liftedAt }"""
CASE = """id title status openedAt marking openedBy { id } entities { id name status }
  sharedWith { id } outcomes { kind description value at entity { id status } }"""
TEST_BUY = "id result orderedAt marking listing { id status } shippedFrom { id region } " \
           "evidence { kind sha256 }"


def secret_notice_id(phase: str) -> str:
    return f"ntc-{phase_uuid(f'secret-{phase}').hex[:20]}"


SECRET_NOTICES = [secret_notice_id("rival-red-notice"), secret_notice_id("trusty-red-notice")]
SECRET_CASE = f"case-{phase_uuid('secret-police-case').hex[:20]}"


def shared_case(twins: Twins) -> str:
    """The police case shared with Acme (made in the shared phase, so equal in A and B)."""
    in_a, _ = twins.ask("{ cases { id title } }", as_="police:liaison")
    (case_id,) = [c["id"] for c in in_a["data"]["cases"] if c["title"] == "Putian ring"]
    return str(case_id)


def check_cursors(twins: Twins, answer: dict[str, Any]) -> None:
    """Every id inside a cursor is one the caller may read (it is in store B). A search
    cursor's rank is a word; a timeline event's cursor is its own time, kind, record and
    what tells it apart, all shown by the event (test_entity_timeline asks made-up ones)."""
    words = set(RELATION_KINDS) | {"OUT", "IN", "0", "1", "2", "3"}
    for cursor in cursors_in(_without_timelines(answer)):
        for part in decode_cursor(cursor):
            if part in words:
                continue
            found = twins.same('query($id: ID!) { entity(id: $id) { id } }', {"id": part})
            assert found["data"]["entity"] is not None, f"cursor {cursor} names {part!r}"


def _without_timelines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timelines(v) for k, v in value.items() if k != "timeline"}
    if isinstance(value, list):
        return [_without_timelines(v) for v in value]
    return value


# -- reads -------------------------------------------------------------------------
@pytest.mark.parametrize("caller", CALLERS)
def test_me(twins_for: MakeTwins, caller: str) -> None:
    twins_for(caller).same("{ me { id role org { id name type trusted } } }")


@pytest.mark.parametrize("caller", CALLERS)
def test_entity(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for entity_id in ALL_IDS:
        answer = twins.same("query($id: ID!) { entity(id: $id) { %s } }" % ENTITY,
                            {"id": entity_id})
        check_cursors(twins, answer)
    # relations paged one by one, with kinds and directions, and after a hidden cursor
    query = """query($id: ID!, $after: String, $d: Direction, $k: [RelationKind!]) {
      entity(id: $id) { relations(first: 1, after: $after, direction: $d, kinds: $k) {
        totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }"""
    for entity_id in VISIBLE_IDS:
        for direction in ("OUT", "IN", "BOTH"):
            after = None
            for _ in range(20):
                answer = twins.same(query, {"id": entity_id, "after": after, "d": direction})
                check_cursors(twins, answer)
                page = answer["data"]["entity"]["relations"]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
        for kind in RELATION_KINDS:
            twins.same(query, {"id": entity_id, "k": [kind]})
        for hidden in HIDDEN_IDS:
            twins.same(query, {"id": entity_id, "after": encode_cursor(["SHIPS_FROM", hidden,
                                                                        "OUT"])})


@pytest.mark.parametrize("caller", CALLERS)
def test_entity_timeline(twins_for: MakeTwins, caller: str) -> None:
    """Every entity's timeline paged by its cursors, and after cursors made up of what the
    caller may not read (a hidden report, relation or notice): answered alike."""
    twins = twins_for(caller)
    query = """query($id: ID!, $n: Int, $after: String) { entity(id: $id) {
      timeline(first: $n, after: $after) { %s } } }""" % TIMELINE
    for entity_id in ALL_IDS:
        for first in (1, 3, 1000):
            after = None
            for _ in range(80):
                answer = twins.same(query, {"id": entity_id, "n": first, "after": after})
                events = (answer["data"]["entity"] or {}).get("timeline") or []
                if len(events) < first:
                    break
                after = events[-1]["cursor"]
    at = "2026-11-01T09:00:00.000000Z"
    made_up = [encode_cursor([at, "ASSERTION", "acme-chain", "rival\x1fwh-1"]),
               encode_cursor([at, "ASSERTION", "rival-strict", "rival\x1fseller-3"]),
               encode_cursor([at, "NOTICE", SECRET_NOTICES[0], ""]),
               encode_cursor([at, "TEST_BUY", "tb-x", ""]), encode_cursor(["x"]), "not-a-cursor"]
    for entity_id in ("listing-1", "listing-2", "wh-1", "seller-1", "wh-secret"):
        for after in made_up:
            twins.same(query, {"id": entity_id, "n": 5, "after": after})


AS_OF_READS = [
    """query($t: DateTime!) @asOf(at: $t) {
      entities(first: 100) { totalCount edges { cursor node { id name region status
        confidence } } pageInfo { hasNextPage endCursor } }
      listings: entities(kind: LISTING, first: 2) { totalCount edges { cursor node { id } } }
      found: entities(search: "name", first: 5) { totalCount edges { node { id name } } }
      hotspots(first: 10) { totalListings regions { region listings sources share } }
      topSources(first: 10) { entity { id name } score }
      rings(minSize: 2) { size members { id } sources { id } }
      chokepoints(first: 10) { cut entity { id } listings { id } storefronts { id } }
      traceToSource(from: "listing-1") { sources { entity { id region } score depth } }
      network(seeds: ["wh-1"], maxHops: 3) { nodes { id name status } relations { id
        confidence } } }""",
    """query($t: DateTime!) @asOf(at: $t) {
      notices(first: 100) { %s } noticeStats { filed open refuted upheld reversed withdrawn
        accuracy }
      penalties(entity: "listing-4") { id kind appliedAt liftedAt subject { id } }
      twoPenalties: penalties(entity: "listing-2") { id kind liftedAt }
      alerts(first: 50) { id kind raisedAt subject { id } }
      testBuys(first: 50) { %s } cases { %s } nameAndShame { id name status }
      publications(first: 50) { id status publishedAt entity { id } }
      rights { id status } appeals { id status }
      notifierStats { org { id } notices listings upheld reversed trusted }
      nodes(ids: ["%s", "%s"]) { id } }""" % (NOTICE, TEST_BUY, CASE, *SECRET_NOTICES),
]


@pytest.mark.parametrize("caller", CALLERS)
def test_as_of(tmp_path: Path, ids: Ids, caller: str) -> None:
    """The world spread over time (secrets between and in the same instant as shared
    steps, a shared step after them all): every read @asOf each cut answered alike."""
    twins = build_timed_twins(tmp_path / caller, ids, caller)
    try:
        for cut in CUTS:
            at = cut.isoformat()
            for entity_id in ALL_IDS:
                twins.same("""query($id: ID!, $t: DateTime!) @asOf(at: $t) {
                  entity(id: $id) { %s } }""" % ENTITY, {"id": entity_id, "t": at})
            for query in AS_OF_READS:
                twins.same(query, {"t": at})
        # the same time written in another zone, and an unreadable one: alike
        twins.same(AS_OF_READS[1], {"t": "2026-11-01T10:00:00+01:00"})
        twins.same(AS_OF_READS[1], {"t": "yesterday"})
    finally:
        twins.a.close()
        twins.b.close()


@pytest.mark.parametrize("caller", CALLERS)
def test_entities(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($first: Int, $after: String, $kind: EntityKind, $search: String,
                     $region: String, $status: String) {
      entities(first: $first, after: $after, kind: $kind, search: $search, region: $region,
               status: $status) {
        totalCount edges { cursor node { id name region status confidence } }
        pageInfo { hasNextPage endCursor } } }"""
    filters: list[dict[str, Any]] = [{}]
    filters += [{"kind": k} for k in ENTITY_KINDS]
    filters += [{"search": s} for s in ("secret", "SECRET NAME", "hidden", "wh", "dock", "99",
                                        "Mr X", "tip", "New name", "Putian")]
    filters += [{"region": r} for r in ("Secret Region", "Strict Region", "Amber Region",
                                        "Pearl River Delta", "Fujian")]
    filters += [{"status": s} for s in ("BANNED", "CLOSED", "DELISTED", "NOTIFIED", "RAIDED",
                                        "LIVE")]
    filters += [{"kind": "WAREHOUSE", "region": "Secret Region"}]
    for where in filters:
        for first in (1, 2, 50):
            after = None
            for _ in range(60):
                answer = twins.same(query, {**where, "first": first, "after": after})
                check_cursors(twins, answer)
                page = answer["data"]["entities"]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
    for hidden in HIDDEN_IDS + ["wh-1a", "zzz"]:  # a cursor made up from a hidden id
        twins.same(query, {"first": 3, "after": encode_cursor([hidden])})
    twins.same(query, {"first": 3, "after": "not-a-cursor"})


@pytest.mark.parametrize("caller", CALLERS)
def test_trace_to_source(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($id: ID!, $d: Int, $c: Float) {
      traceToSource(from: $id, maxDepth: $d, minConfidence: $c) { origin { id }
        sources { entity { id region } score depth paths(first: 5) { %s } } } }""" % PATH
    for entity_id in ALL_IDS:
        for depth, floor in ((6, 0.0), (1, 0.0), (2, 0.5), (6, 0.9)):
            twins.same(query, {"id": entity_id, "d": depth, "c": floor})


@pytest.mark.parametrize("caller", CALLERS)
def test_top_sources(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($b: ID, $n: Int) { topSources(brand: $b, first: $n) {
        entity { id name region } score } }"""
    for brand in (None, "brand-acme", "no-brand", "wh-secret"):
        for first in (1, 3, 100):
            twins.same(query, {"b": brand, "n": first})


@pytest.mark.parametrize("caller", CALLERS)
def test_network(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($s: [ID!]!, $h: Int, $k: [RelationKind!], $c: Float, $l: Int) {
      network(seeds: $s, maxHops: $h, kinds: $k, minConfidence: $c, limit: $l) { truncated
        nodes { id name confidence } relations { id kind confidence from { id } to { id } } } }"""
    seeds_list = [["listing-1"], ["wh-1"], ["seller-1", "wh-secret"], ["wh-secret"],
                  ["listing-2", "fac-1"], HIDDEN_IDS]
    for seeds in seeds_list:
        for hops, kinds, floor, limit in ((1, None, 0.0, 2000), (3, None, 0.0, 2000),
                                          (2, ["SHIPS_FROM", "SUPPLIED_BY"], 0.0, 2000),
                                          (3, None, 0.75, 2000), (3, None, 0.0, 2),
                                          (3, None, 0.0, 5), (8, ["USES"], 0.0, 3)):
            twins.same(query, {"s": seeds, "h": hops, "k": kinds, "c": floor, "l": limit})


@pytest.mark.parametrize("caller", CALLERS)
def test_connections(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($a: ID!, $b: ID!, $h: Int, $n: Int) {
      connections(from: $a, to: $b, maxHops: $h, first: $n) { %s } }""" % PATH
    pairs = [("listing-1", "fac-1"), ("listing-2", "wh-1"), ("seller-1", "seller-2"),
             ("listing-3", "brand-acme"), ("seller-2", "store-2"), ("listing-1", "wh-secret"),
             ("wh-2", "fac-1"), ("listing-9", "wh-1"), ("seller-1", "store-1")]
    for a, b in pairs:
        for hops, first in ((6, 5), (2, 1), (1, 10), (8, 50)):
            twins.same(query, {"a": a, "b": b, "h": hops, "n": first})


@pytest.mark.parametrize("caller", CALLERS)
def test_linked_entities(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($id: ID!, $h: Int) { linkedEntities(id: $id, maxHops: $h) {
        entity { id status } sharedIdentifiers { id value identifierKind } path { %s } } }""" % (
        PATH
    )
    for entity_id in ["seller-1", "seller-2", "store-1", "store-9", "seller-3", "no-such"]:
        for hops in (1, 2, 4):
            twins.same(query, {"id": entity_id, "h": hops})


@pytest.mark.parametrize("caller", CALLERS)
def test_rings(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($m: Int, $n: Int) { rings(minSize: $m, first: $n) { id size
        members { id } keyPlayers(first: 10) { entity { id } score } sources { id }
        regions knownRing { id } } }"""
    for min_size in (1, 2, 3):
        for first in (1, 20):
            twins.same(query, {"m": min_size, "n": first})


@pytest.mark.parametrize("caller", CALLERS)
def test_hotspots(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for first in (1, 2, 10):
        twins.same("""query($n: Int) { hotspots(first: $n) { totalListings
            regions { region listings sources share cumulativeShare } } }""", {"n": first})


SITES = ["wh-1", "wh-2", "fac-1", "wh-secret", "fac-secret", "wh-amber", "wh-strict", "fac-2",
         "wh-depot", "no-such-thing"]
SHARES = "region listings sources share cumulativeShare"


@pytest.mark.parametrize("caller", CALLERS)
def test_chokepoints(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($b: ID, $n: Int, $d: Int, $m: Int) {
      chokepoints(brand: $b, first: $n, maxDepth: $d) { entity { id name region } cut
        listings(first: $m) { id status } storefronts(first: $m) { id } regions } }"""
    for brand in (None, "brand-acme", "no-brand", "wh-secret", "listing-3"):
        for first, depth, most in ((10, 6, 50), (1, 2, 1), (100, 8, 100), (5, 1, 2), (5, 3, 5)):
            twins.same(query, {"b": brand, "n": first, "d": depth, "m": most})


@pytest.mark.parametrize("caller", CALLERS)
def test_interdiction_plan(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($b: ID, $k: Int!, $c: [ID!], $d: Int) {
      interdictionPlan(brand: $b, budget: $k, candidates: $c, maxDepth: $d) {
        steps { entity { id name } cutAfter } listingsConsidered cut remaining } }"""
    pools = [None, SITES, [s for s in SITES if "secret" in s or "amber" in s], ["wh-1"],
             ["wh-2", "fac-2", "listing-1", "store-1", "seller-1"], []]
    for brand in (None, "brand-acme", "wh-secret", "no-brand"):
        for pool in pools:
            for budget, depth in ((1, 6), (3, 6), (2, 2), (5, 8), (0, 6)):
                twins.same(query, {"b": brand, "k": budget, "c": pool, "d": depth})


@pytest.mark.parametrize("caller", CALLERS)
def test_simulate_interdiction(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($r: [ID!]!, $b: ID, $d: Int, $n: Int) {
      simulateInterdiction(remove: $r, brand: $b, maxDepth: $d) { removed { id kind }
        listingsCut(first: $n) { id } storefrontsCut(first: $n) { id }
        sourcesRemaining(first: $n) { id region }
        hotspotsBefore { %s } hotspotsAfter { %s } } }""" % (SHARES, SHARES)
    removals = [[], ["wh-1"], ["fac-1"], ["wh-secret"], ["wh-1", "wh-secret", "fac-1"],
                ["wh-amber", "wh-2"], ["fac-2"], ["store-1", "listing-1", "store-9", "listing-5"],
                ["seller-1", "brand-acme", "ring-1", "wh-strict", "wh-depot"], SITES,
                ["wh-2", "no-such-thing", "wh-2", "fac-secret"]]
    for brand in (None, "brand-acme", "wh-secret", "no-brand"):
        for remove in removals:
            for depth, first in ((6, 100), (2, 1), (8, 3)):
                twins.same(query, {"r": remove, "b": brand, "d": depth, "n": first})


@pytest.mark.parametrize("caller", CALLERS)
def test_notices_and_notice(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """query($s: NoticeStatus, $n: Int, $after: String) {
      notices(status: $s, first: $n, after: $after) { %s } }""" % NOTICE
    for status in (None, "OPEN", "UPHELD", "WITHDRAWN"):
        for first in (1, 50):
            after = None
            for _ in range(10):
                page = twins.same(query, {"s": status, "n": first, "after": after})["data"]
                if not page or len(page["notices"]) < first:
                    break
                after = page["notices"][-1]["id"]
    for notice_id in [*SECRET_NOTICES, "ntc-missing"]:
        twins.same(query, {"n": 5, "after": notice_id})
        twins.same("query($id: ID!) { notice(id: $id) { %s } }" % NOTICE, {"id": notice_id})


@pytest.mark.parametrize("caller", CALLERS)
def test_notice_stats(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for brand in (None, "acme", "rival", "trusty", "nobody"):
        twins.same("""query($b: ID) { noticeStats(brand: $b) { filed open refuted upheld
            reversed withdrawn medianTimeToTakedownSeconds accuracy } }""", {"b": brand})


@pytest.mark.parametrize("caller", CALLERS)
def test_alerts(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for kind in (None, "RECIDIVISM", "NEW_SOURCE", "RING_GROWTH"):
        for first in (1, 50):
            twins.same("""query($k: AlertKind, $n: Int) { alerts(kind: $k, first: $n) {
                id kind raisedAt subject { id status } explanation { %s } } }""" % PATH,
                       {"k": kind, "n": first})


@pytest.mark.parametrize("caller", CALLERS)
def test_cases_and_case(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    twins.same("{ cases { %s } }" % CASE)
    for case_id in (SECRET_CASE, shared_case(twins), "case-missing"):
        twins.same("query($id: ID!) { case(id: $id) { %s } }" % CASE, {"id": case_id})


@pytest.mark.parametrize("caller", CALLERS)
def test_name_and_shame(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for first in (1, 100):
        twins.same("query($n: Int) { nameAndShame(first: $n) { id name status } }", {"n": first})


@pytest.mark.parametrize("caller", CALLERS)
def test_penalties(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for entity_id in ALL_IDS:
        twins.same("""query($id: ID!) { penalties(entity: $id) { kind subject { id }
            appliedAt until liftedAt } }""", {"id": entity_id})


@pytest.mark.parametrize("caller", CALLERS)
def test_test_buys(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for listing in (None, "listing-1", "listing-2", "wh-depot", "no-such"):
        for first in (1, 50):
            twins.same("query($l: ID, $n: Int) { testBuys(listing: $l, first: $n) { %s } }"
                       % TEST_BUY, {"l": listing, "n": first})


ALERT = "id kind raisedAt subject { id status } explanation { %s }" % PATH
# One alias per type: fields of one name differ in type between them (status, kind).
NODE_FIELDS = " ".join(
    "%s: node(id: $id) { __typename id ... on %s { %s } }" % (alias, kind, fields)
    for alias, kind, fields in (("entity", "Entity", ENTITY), ("notice", "Notice", NOTICE),
                                ("case", "Case", CASE), ("testBuy", "TestBuy", TEST_BUY),
                                ("alert", "Alert", ALERT))
)


@pytest.mark.parametrize("caller", CALLERS)
def test_node_and_nodes(twins_for: MakeTwins, caller: str) -> None:
    """Every entity id and every workflow record of the store with the secrets (notices,
    cases, test buys, alerts), by ``node`` and ``nodes``: a record or entity the caller
    may not read answers as one that does not exist."""
    twins = twins_for(caller)
    records = workflow_for(twins.a).records
    stored = list(dict.fromkeys(r.doc["id"] for kind in ("notice", "case", "testbuy", "alert")
                                for r in records.find(kind)))
    assert set(SECRET_NOTICES) | {SECRET_CASE} <= set(stored)
    made_up = ["ntc-missing", "case-missing", "tb-missing", "alert-recidivism-seller-1-x"]
    ids = ALL_IDS + stored + made_up
    for node_id in ids:
        answer = twins.same("query($id: ID!) { %s }" % NODE_FIELDS, {"id": node_id})
        check_cursors(twins, answer)
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Entity { name status confidence assertions { reportId marking } }
        ... on Notice { grounds listings { id } }
        ... on Case { title entities { id } }
        ... on TestBuy { result shippedFrom { id } }
        ... on Alert { subject { id } explanation { confidence } } } }"""
    twins.same(query, {"ids": ids})
    twins.same(query, {"ids": list(reversed(HIDDEN_IDS + stored))})


@pytest.mark.parametrize("caller", ["acme:admin", "bazaar:admin", "police:admin", "acme",
                                    "rival", "police", "bazaar"])
def test_audit_log_shows_an_admin_its_own_org_only(twins_for: MakeTwins, caller: str) -> None:
    """An admin of any org type sees its own org's records, numbered by the org's own
    sequence and chained by its own hashes (DESIGN.md "Audit"): the same whatever
    others did in between (here, in store A only: another org's queries and the
    operator's records). Everyone else is refused alike."""
    org = caller.split(":")[0]
    twins = twins_for(org)
    log = "query($a: Int) { auditLog(first: 5, after: $a) { seq at operation digest hash " \
          "principal { id org { id } } } }"
    for after in (None, 0, 3):
        for other in ("rival", "police:admin", "bazaar:admin"):
            if not other.startswith(org):
                gql(twins.a, twins.scopes[other], log, {"a": after})
        twins.a.store.append_audit(twins.a.operator_audit("cli token revoke p-x", org))
        answer = twins.same(log, {"a": after}, as_=caller)
        if not caller.endswith(":admin"):
            assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
            continue
        records = answer["data"]["auditLog"]
        assert [r["seq"] for r in records] == list(range((after or 0) + 1, (after or 0) + 1
                                                         + len(records)))
        assert {r["principal"]["org"]["id"] for r in records} <= {org}


# -- writes: each mutation's answer and what it leaves behind ----------------------------
def entity_state(twins: Twins, ids: list[str]) -> None:
    for entity_id in ids:
        twins.same("query($id: ID!) { entity(id: $id) { %s } }" % ENTITY, {"id": entity_id})


SUBMIT = """mutation($r: ReportInput!) { submitReport(input: $r) {
    reportId entities relations created } }"""


def submitted(report_id: str, entities: list[Any], relations: list[Any]) -> dict[str, Any]:
    return {"r": {"reportId": report_id, "source": "OSINT", "confidence": 0.5,
                  "marking": "AMBER", "entities": entities, "relations": relations}}


@pytest.mark.parametrize("caller", ["acme", "police"])
def test_submit_report(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for hidden in HIDDEN_IDS + ["no-such"]:  # a relation to a hidden end: refused like a missing
        answer = twins.same(SUBMIT, submitted(f"to-{hidden}", [{"id": "listing-1",
                                                                "kind": "LISTING"}],
                                              [{"kind": "SHIPS_FROM", "from": "listing-1",
                                                "to": hidden}]))
        if caller == "acme":
            assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # a kind that clashes only with a hidden assertion is accepted, and keeps its own kind
    twins.same(SUBMIT, submitted("clash", [{"id": "wh-secret", "kind": "FACTORY"},
                                           {"id": "seller-3", "kind": "LISTING"}], []))
    # report ids are per org: another org's id is free; one's own id is a CONFLICT
    for report_id in ("rival-strict", "rival-amber", "rival-depot", "rival-to-acme"):
        answer = twins.same(SUBMIT, submitted(report_id, [{"id": "x-" + report_id,
                                                           "kind": "SELLER"}], []))
    own = twins.same(SUBMIT, submitted("mine", [{"id": "wh-1", "kind": "WAREHOUSE"}], []))
    assert own["data"]["submitReport"]["created"]
    twins.same(SUBMIT, submitted("mine", [{"id": "wh-2", "kind": "WAREHOUSE"}], []))
    twins.same(SUBMIT, submitted("mine", [{"id": "wh-1", "kind": "WAREHOUSE"}], []))
    # every input field at once: the phone another brand holds in secret, shared with it
    full = submitted("full", [
        {"id": "seller-full", "kind": "SELLER", "name": "Full Name", "region": "CN-FJ",
         "status": "ACTIVE", "properties": {"alias": "ff"}},
        {"id": "q", "kind": "IDENTIFIER", "identifierKind": "PHONE", "value": SECRET_PHONE},
    ], [{"kind": "USES", "from": "seller-full", "to": "q", "confidence": 0.9}])
    full["r"]["sharedWith"] = ["rival", "police"]
    full["r"]["evidence"] = [{"kind": "screenshot", "sha256": SHA, "description": "d",
                              "uri": "https://example.org/e"}]
    answer = twins.same(SUBMIT, full)
    assert answer.get("data") and answer["data"]["submitReport"]["created"], answer
    entity_state(twins, ["wh-secret", "seller-3", "wh-1", "x-rival-strict", "seller-full"])
    secret_phone = phone_id(twins.a, SECRET_PHONE)
    entity_state(twins, [secret_phone])
    twins.same("query($id: ID!) { linkedEntities(id: $id) { entity { id } } }",
               {"id": secret_phone})


NOTICE_MUTATION = """mutation($i: NoticeInput!) { fileNotice(input: $i) { %s } }""" % NOTICE


@pytest.mark.parametrize("caller", ["acme", "rival"])
def test_file_notice(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    for listing in ["seller-3", "wh-depot", "store-9", "no-such"]:  # hidden or missing
        answer = twins.same(NOTICE_MUTATION, {"i": {"listings": ["listing-1", listing],
                                                    "grounds": "x"}})
        if caller == "acme":
            assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for listing in ("listing-1", "listing-2", "listing-3", "listing-5"):  # others filed on these
        twins.same(NOTICE_MUTATION, {"i": {"listings": [listing], "grounds": "fake",
                                           "marking": "RED", "evidence": [
                                               {"kind": "screenshot", "sha256": SHA}]}})
    entity_state(twins, ["listing-1", "listing-2", "listing-3", "listing-5"])
    twins.same("{ notices(first: 50) { %s } }" % NOTICE)


@pytest.mark.parametrize("caller", ["acme", "police"])
@pytest.mark.parametrize("mutation", [
    'mutation($id: ID!) { refuteNotice(id: $id, statement: "genuine") { id status } }',
    'mutation($id: ID!) { decideNotice(id: $id, upheld: true, reason: "r") { id status } }',
    'mutation($id: ID!) { withdrawNotice(id: $id) { id status } }',
    """mutation($id: ID!) { refuteNotice(id: $id, statement: "genuine", evidence: [
        {kind: "invoice", sha256: "%s", description: "d", uri: "https://example.org/i"}]) {
        id status } }""" % SHA,
])
def test_notice_transitions(twins_for: MakeTwins, caller: str, mutation: str) -> None:
    twins = twins_for(caller)
    for role in (caller, f"{caller}:admin", f"{caller}:liaison" if caller == "police" else caller):
        for notice_id in [*SECRET_NOTICES, "ntc-missing"]:
            answer = twins.same(mutation, {"id": notice_id}, as_=role)
            assert answer["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN")


PUBLISH = """mutation($id: ID!, $s: String!, $r: String) { publish(entity: $id, status: $s,
    reason: $r) { id status publishedAt reason entity { id kind name status } } }"""
PUBLICATIONS = """query($n: Int) { publications(first: $n) { id status publishedAt reason
    entity { id kind name status } } }"""


@pytest.mark.parametrize("caller", CALLERS)
def test_publish_and_publications(twins_for: MakeTwins, caller: str) -> None:
    """Only a platform reviewer publishes, and only what the platform sees (a hidden id
    is refused like a missing one); what is published every caller reads alike."""
    twins = twins_for(caller)
    publisher = "bazaar:reviewer" if caller == "bazaar" else caller
    for entity_id in ALL_IDS:
        for status in ("BANNED", "DELISTED", "CLOSED"):
            twins.same(PUBLISH, {"id": entity_id, "s": status, "r": "review"}, as_=publisher)
    for first in (1, 50):
        twins.same(PUBLICATIONS, {"n": first})
    entity_state(twins, list(ALL_IDS))


TEST_BUY_MUTATION = """mutation($i: TestBuyInput!) { recordTestBuy(input: $i) { %s } }""" % (
    TEST_BUY
)


@pytest.mark.parametrize("caller", ["acme", "police"])
def test_record_test_buy(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    base = {"result": "COUNTERFEIT", "orderedAt": "2026-10-30T12:00:00+00:00",
            "evidence": [{"kind": "parcel", "sha256": SHA}]}
    for listing, shipped in (("seller-3", None), ("listing-2", "wh-depot"),
                             ("listing-2", "wh-secret"), ("listing-2", "no-such"),
                             ("listing-2", "wh-2"), ("listing-1", "wh-1")):
        for marking in ("AMBER", "RED"):
            twins.same(TEST_BUY_MUTATION, {"i": {**base, "listing": listing,
                                                 "shippedFrom": shipped, "marking": marking}})
    entity_state(twins, ["listing-2", "listing-1", "wh-2"])


@pytest.mark.parametrize("caller", ["police", "acme"])
def test_open_case(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = "mutation($i: CaseInput!) { openCase(input: $i) { %s } }" % CASE
    for entities in (["wh-secret"], ["seller-1", "fac-secret"], ["no-such"], ["seller-1", "wh-2"],
                     ["fac-1", "wh-1"]):
        for more in ({}, {"marking": "RED", "sharedWith": ["acme"]},
                     {"marking": "AMBER", "sharedWith": ["rival", "nobody"]}):
            twins.same(query, {"i": {"title": "t", "entities": entities, **more}},
                       as_=f"{caller}:liaison" if caller == "police" else caller)


@pytest.mark.parametrize("caller", ["police", "acme"])
def test_add_case_outcome(twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    query = """mutation($id: ID!, $i: CaseOutcomeInput!) { addCaseOutcome(id: $id, input: $i) {
        %s } }""" % CASE
    who = "police:liaison" if caller == "police" else caller
    for case_id in (SECRET_CASE, shared_case(twins), "case-missing"):
        for outcome in ({"kind": "RAID", "entity": "wh-secret"}, {"kind": "ARREST"},
                        {"kind": "SEIZURE", "entity": "wh-1", "description": "4,000 pairs",
                         "value": 120000.0},
                        {"kind": "RAID", "entity": "wh-1"},
                        {"kind": "CLOSURE", "entity": "wh-amber"}):
            twins.same(query, {"id": case_id, "i": outcome}, as_=who)
    entity_state(twins, ["wh-1", "wh-secret"])


@pytest.mark.parametrize("caller", ["police", "acme"])
def test_export_case(twins_for: MakeTwins, caller: str) -> None:
    """The package's every file is byte-equal (same SHA-256) with and without the secrets."""
    twins = twins_for(caller)
    who = "police:liaison" if caller == "police" else caller
    query = """mutation($id: ID!, $f: [ExportFormat!]!, $m: Marking) { exportCase(id: $id,
        recipient: "Court", formats: $f, maxMarking: $m) { id createdAt
        files { name sha256 bytes } manifestSha256 downloadUrl case { id title } } }"""
    every = ["STIX21", "GRAPHML", "I2_CSV", "FTM_JSONL"]
    for case_id in (shared_case(twins), SECRET_CASE, "case-missing"):
        for formats, ceiling in ((every, None), (["STIX21"], None), (every, "AMBER"),
                                 (["STIX21"], "GREEN")):  # GREEN: below the case's marking
            twins.same(query, {"id": case_id, "f": formats, "m": ceiling}, as_=who)


@pytest.mark.parametrize("caller", ["police", "bazaar"])
def test_export_case_as_of(tmp_path: Path, ids: Ids, caller: str) -> None:
    """A package as of a time (before the case, in the shared world's instant, between
    the secrets, after them): byte-equal with and without what the exporter may not
    read, its manifest naming the time."""
    twins = build_timed_twins(tmp_path / caller, ids, caller)
    who = "police:liaison" if caller == "police" else "bazaar:reviewer"
    query = """mutation($id: ID!, $t: DateTime) { exportCase(id: $id, recipient: "Court",
        asOf: $t) { id createdAt files { name sha256 bytes } manifestSha256 case { id } } }"""
    try:
        for case_id in (shared_case(twins), SECRET_CASE):
            for cut in (None, *CUTS):
                twins.same(query, {"id": case_id, "t": None if cut is None else cut.isoformat()},
                           as_=who)
    finally:
        twins.a.close()
        twins.b.close()


RATE = "rateLimit { cost limit remaining resetAt }"


@pytest.mark.parametrize("caller", CALLERS)
def test_rate_limit(twins_for: MakeTwins, caller: str) -> None:
    """The cost charged and the budget left (``rateLimit``, and the RATE_LIMITED refusals
    once it is spent) follow from the caller's own documents and variables: equal
    whatever the store holds that the caller may not read. A cost counted from the store
    (an entity's relations, hidden ones included; the graph's size) differs: checked by
    adding the store's node count to the cost, which fails this test for every caller."""
    twins = twins_for(caller)
    scope = twins.scopes[caller]
    executors = {"A": Operations(SCHEMA, Settings(cost_per_hour=1500)),
                 "B": Operations(SCHEMA, Settings(cost_per_hour=1500))}
    stores = {"A": twins.a, "B": twins.b}
    asks: list[tuple[str, dict[str, Any]]] = [
        ("""query($f: Int) { entities(first: $f) { totalCount edges { node { id
              relations(first: 20) { totalCount edges { node { id } } } } } } %s }""" % RATE,
         {"f": first}) for first in (1, 50)]
    asks += [("""query($id: ID!) { entity(id: $id) { id assertions { reportId }
                 relations(first: 50) { edges { node { id } } } } %s }""" % RATE, {"id": i})
             for i in ALL_IDS]
    asks += [("""query($s: [ID!]!) { network(seeds: $s, limit: 100) { nodes { id }
                 relations { id assertions { reportId } } } %s }""" % RATE,
              {"s": [seed]}) for seed in ("wh-1", "wh-secret", "seller-1")]
    asks += [("query($ids: [ID!]!) { nodes(ids: $ids) { id } %s }" % RATE, {"ids": ALL_IDS}),
             ("""query($id: ID!) { traceToSource(from: $id) { sources { entity { id }
                 paths(first: 3) { nodes { id } } } } %s }""" % RATE, {"id": "listing-1"}),
             ("{ %s }" % RATE, {})]

    def ask(world: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        operation = Operation(services=stores[world], _scope=scope, caller="t:caller")
        answer = asyncio.run(executors[world].run(operation, query, variables))
        return {"status": answer.status.value, **answer.body()}

    refused = 0
    for _ in range(8):
        for query, variables in asks:
            in_a, in_b = ask("A", query, variables), ask("B", query, variables)
            assert in_a == in_b, f"{caller} tells the stores apart by its budget: {query}"
            refused += in_a["status"] == "rate limited"
    assert refused, "the budget was never spent: the refusals went unchecked"
    final = ask("A", "{ %s }" % RATE, {})
    assert final["data"]["rateLimit"]["cost"] == 0  # asking one's budget is free


# -- the registry --------------------------------------------------------------------
HERE = "tests/security/test_leak_matrix.py"
DESK = "tests/security/test_desk_leaks.py"
EVIDENCE = "tests/security/test_evidence_leaks.py"
REGISTRY: dict[str, tuple[str, ...]] = {
    "Query.me": (f"{HERE}::test_me",),
    "Query.entity": (f"{HERE}::test_entity",),
    "Query.entities": (f"{HERE}::test_entities",),
    "Query.traceToSource": (f"{HERE}::test_trace_to_source",),
    "Query.topSources": (f"{HERE}::test_top_sources",),
    "Query.network": (f"{HERE}::test_network",),
    "Query.connections": (f"{HERE}::test_connections",),
    "Query.linkedEntities": (f"{HERE}::test_linked_entities",),
    "Query.rings": (f"{HERE}::test_rings",),
    "Query.hotspots": (f"{HERE}::test_hotspots",),
    "Query.chokepoints": (f"{HERE}::test_chokepoints",),
    "Query.interdictionPlan": (f"{HERE}::test_interdiction_plan",),
    "Query.simulateInterdiction": (f"{HERE}::test_simulate_interdiction",),
    "Query.notices": (f"{HERE}::test_notices_and_notice",),
    "Query.notice": (f"{HERE}::test_notices_and_notice",),
    "Query.noticeStats": (f"{HERE}::test_notice_stats",),
    "Query.alerts": (f"{HERE}::test_alerts",),
    "Query.cases": (f"{HERE}::test_cases_and_case",),
    "Query.case": (f"{HERE}::test_cases_and_case",),
    "Query.nameAndShame": (f"{HERE}::test_name_and_shame",),
    "Query.penalties": (f"{HERE}::test_penalties",),
    "Query.testBuys": (f"{HERE}::test_test_buys",),
    "Query.auditLog": (f"{HERE}::test_audit_log_shows_an_admin_its_own_org_only",),
    "Query.node": (f"{HERE}::test_node_and_nodes",),
    "Query.nodes": (f"{HERE}::test_node_and_nodes",),
    "Query.publications": (f"{HERE}::test_publish_and_publications",),
    "Query.rateLimit": (f"{HERE}::test_rate_limit",),
    "Mutation.publish": (f"{HERE}::test_publish_and_publications",),
    "Query.rights": (f"{DESK}::test_rights",),
    "Query.appeals": (f"{DESK}::test_outcomes_appeals_and_stats",),
    "Query.notifierStats": (f"{DESK}::test_outcomes_appeals_and_stats",),
    "Mutation.registerRight": (f"{DESK}::test_desk_mutations_on_hidden_records",),
    "Mutation.verifyRight": (f"{DESK}::test_rights",),
    "Mutation.decideListings": (f"{DESK}::test_desk_mutations_on_hidden_records",),
    "Mutation.fileCounterNotice": (f"{DESK}::test_desk_mutations_on_hidden_records",),
    "Mutation.appealPenalty": (f"{DESK}::test_desk_mutations_on_hidden_records",),
    "Mutation.decideAppeal": (f"{DESK}::test_desk_mutations_on_hidden_records",),
    "Query.evidence": (f"{EVIDENCE}::test_evidence_and_evidence_files",),
    "Query.evidenceFiles": (f"{EVIDENCE}::test_evidence_and_evidence_files",),
    "Mutation.attachEvidence": (
        f"{EVIDENCE}::test_attach_and_custody_on_hidden_records",
        "tests/e2e/test_evidence_upload.py::test_a_refused_attachment_leaves_no_file",
    ),
    "Mutation.recordCustody": (f"{EVIDENCE}::test_attach_and_custody_on_hidden_records",),
    "Mutation.submitReport": (f"{HERE}::test_submit_report",),
    "Mutation.fileNotice": (f"{HERE}::test_file_notice",),
    "Mutation.refuteNotice": (f"{HERE}::test_notice_transitions",),
    "Mutation.decideNotice": (f"{HERE}::test_notice_transitions",),
    "Mutation.withdrawNotice": (f"{HERE}::test_notice_transitions",),
    "Mutation.recordTestBuy": (f"{HERE}::test_record_test_buy",),
    "Mutation.openCase": (f"{HERE}::test_open_case",),
    "Mutation.addCaseOutcome": (f"{HERE}::test_add_case_outcome",),
    "Mutation.exportCase": (f"{HERE}::test_export_case",
                            f"{EVIDENCE}::test_export_case_with_evidence",
                            f"{HERE}::test_export_case_as_of"),
    "Subscription.alertRaised": (
        "tests/e2e/test_subscription.py::test_a_brand_that_cannot_see_the_whole_path_hears_nothing",
    ),
}


# Arguments a twin store cannot ask in process, and the test that covers them.
ASKED_ELSEWHERE = {
    "Subscription.alertRaised(kind)": "tests/e2e/test_subscription.py (over a WebSocket)",
    "Mutation.exportCase(includeEvidence)":
        "tests/security/test_evidence_leaks.py::test_export_case_with_evidence",
}


def schema_fields() -> set[str]:
    schema = build_schema()._schema
    out: set[str] = set()
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        if root is not None:
            out.update(f"{root.name}.{name}" for name in root.fields)
    return out


def test_every_field_has_a_leak_test() -> None:
    fields = schema_fields()
    missing = sorted(fields - set(REGISTRY))
    assert not missing, (
        "these root fields have no leak test; add one to tests/security/test_leak_matrix.py "
        "(twins.same(...) as acme, rival, police and bazaar) and name it in REGISTRY: "
        + ", ".join(missing)
    )
    gone = sorted(set(REGISTRY) - fields)
    assert not gone, f"REGISTRY names fields the schema no longer has: {', '.join(gone)}"


def test_every_registered_test_exists() -> None:
    for names in REGISTRY.values():
        for name in names:
            path, function = name.split("::")
            module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
            assert callable(getattr(module, function, None)), name


def test_every_argument_is_asked_by_a_leak_test() -> None:
    """Runs last in this file: every argument of the schema, and every field of its
    input objects, was sent by some leak test above (``Twins.ask`` records them)."""
    if len(EXERCISED) < 50:
        pytest.skip("the leak matrix above did not run (run the whole file)")
    missing = sorted(schema_arguments() - EXERCISED - set(ASKED_ELSEWHERE) - desk_arguments()
                     - evidence_arguments())
    assert not missing, (
        "no leak test sends these arguments or input fields; ask them through "
        "twins.same(...) in tests/security/test_leak_matrix.py: " + ", ".join(missing)
    )


def desk_arguments() -> set[str]:
    """The desk's arguments and input fields: asked by tests/security/test_desk_leaks.py,
    which checks them itself (``test_every_desk_argument_is_asked``)."""
    desk = {field for field, tests in REGISTRY.items() if all(t.startswith(DESK) for t in tests)}
    return {a for a in schema_arguments()
            if a.split("(")[0] in desk or a.startswith("RightInput.")
            or a in ("NoticeInput.rights", "NoticeInput.reasonCode")}


def evidence_arguments() -> set[str]:
    """The evidence fields' arguments: asked by tests/security/test_evidence_leaks.py, which
    checks them itself (``test_every_evidence_argument_is_asked``)."""
    fields = {field for field, tests in REGISTRY.items() if tests[0].startswith(EVIDENCE)}
    return {a for a in schema_arguments() if a.split("(")[0] in fields}
