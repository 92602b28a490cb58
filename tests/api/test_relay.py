"""Relay global object identification: ``node``/``nodes`` answer every id a caller holds,
with the type that holds it, and nothing for an id the caller may not read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph_api.access import Scope
from graph_api.api.relay import MAX_NODES
from graph_api.services import Services
from graph_api.workflow import alerts as wf_alerts
from graph_api.workflow import cases as wf_cases
from graph_api.workflow import testbuys as wf_testbuys
from graph_api.workflow.runtime import workflow_for
from tests.conftest import add_orgs
from tests.support import codes, gql
from tests.workflow.support import marketplace, ok, role
from tests.workflow.test_alerts import ban_seller_1, new_storefront, report, submit

CALLERS = ("acme", "rival", "bazaar", "police")
NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Entity { kind name status confidence assertions { reportId } }
  ... on Notice { noticeStatus: status grounds listings { id } }
  ... on Case { title entities { id } }
  ... on TestBuy { result listing { id } }
  ... on Alert { alertKind: kind subject { id } explanation { confidence nodes { id } } } } }"""
NODES = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"""
PAGE = """query($after: String) { entities(first: 2, after: $after) { totalCount
  edges { cursor node { id kind name status } } pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
def world(services: Services) -> dict[str, Scope]:
    """The marketplace, seller-1 banned on Rival's notices and back as store-new
    (a RECIDIVISM alert for the platform and police), a test buy and a police case."""
    scopes = add_orgs(services)
    scopes["reviewer"] = role(services, "bazaar", "reviewer")
    scopes["liaison"] = role(services, "police", "liaison")
    marketplace(services, scopes)
    ban_seller_1(services, scopes)
    new_storefront(services, scopes)
    wf_testbuys.record_test_buy(services, scopes["acme"], "listing-5", "COUNTERFEIT",
                                datetime(2026, 10, 30, tzinfo=UTC), None,
                                [{"kind": "parcel", "sha256": "c" * 64}])
    wf_cases.open_case(services, scopes["liaison"], "Shoe King", ["seller-1", "store-new"])
    return scopes


def held_ids(services: Services, scope: Scope) -> dict[str, str]:
    """Every id the caller's own list fields show, with the type that shows it."""
    out: dict[str, str] = {}
    after = None
    while True:  # a Relay-style walk over the entities
        page = ok(gql(services, scope, PAGE, {"after": after}))["entities"]
        out.update((e["node"]["id"], "Entity") for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    lists = ok(gql(services, scope, """{ notices(first: 100) { id } cases { id }
        testBuys(first: 100) { id } alerts(first: 100) { id } }"""))
    for field, typename in (("notices", "Notice"), ("cases", "Case"), ("testBuys", "TestBuy"),
                            ("alerts", "Alert")):
        out.update((item["id"], typename) for item in lists[field])
    return out


def stored_record_ids(services: Services) -> list[str]:
    records = workflow_for(services).records
    kinds = ("notice", wf_cases.CASE, wf_testbuys.TEST_BUY, wf_alerts.ALERT)
    return list(dict.fromkeys(r.doc["id"] for kind in kinds for r in records.find(kind)))


@pytest.mark.parametrize("caller", CALLERS)
def test_every_id_a_caller_holds_round_trips_through_node(
    services: Services, world: dict[str, Scope], caller: str
) -> None:
    held = held_ids(services, world[caller])
    assert "Entity" in held.values() and "Notice" in held.values() or caller == "acme"
    for node_id, typename in held.items():
        found = ok(gql(services, world[caller], NODE, {"id": node_id}))["node"]
        assert (found["__typename"], found["id"]) == (typename, node_id)
    answer = ok(gql(services, world[caller], NODES, {"ids": list(held)}))["nodes"]
    assert [(n["__typename"], n["id"]) for n in answer] == [(t, i) for i, t in held.items()]


@pytest.mark.parametrize("caller", CALLERS)
def test_an_id_the_caller_cannot_read_answers_as_a_missing_one(
    services: Services, world: dict[str, Scope], caller: str
) -> None:
    """Every record in the store and every entity id, by ``node`` and ``nodes``: null
    exactly where the caller's own fields do not show it."""
    scope = world[caller]
    held = held_ids(services, scope)
    every = stored_record_ids(services) + ["store-new", "seller-1", "listing-5"]
    missing = ["ntc-0123456789abcdef0123", "case-nothing", "tb-", "alert-recidivism-x-y",
               "no-such-entity"]
    for node_id in every + missing:
        found = gql(services, scope, NODE, {"id": node_id})
        if node_id in held:
            assert found["data"]["node"]["id"] == node_id
        else:
            assert found == gql(services, scope, NODE, {"id": "no-such-entity"}) == {
                "data": {"node": None}}, node_id
    answer = ok(gql(services, scope, NODES, {"ids": every + missing}))["nodes"]
    assert [n and n["id"] for n in answer] == [i if i in held else None for i in every + missing]


def test_the_world_hides_something_from_each_brand(
    services: Services, world: dict[str, Scope]
) -> None:
    """The test above compares answers that differ: the brands miss records others read."""
    platform = set(held_ids(services, world["bazaar"]))
    for brand in ("acme", "rival"):
        hidden = platform - set(held_ids(services, world[brand]))
        assert any(i.startswith("alert-") for i in hidden), brand
        assert any(i.startswith("case-") for i in hidden), brand
    assert any(i.startswith("ntc-") for i in platform - set(held_ids(services, world["acme"])))


def test_an_alert_answers_from_the_callers_view(
    services: Services, world: dict[str, Scope]
) -> None:
    (alert_id,) = [i for i in stored_record_ids(services) if i.startswith("alert-")]
    for caller in ("bazaar", "police"):
        listed = ok(gql(services, world[caller], """{ alerts { id kind subject { id }
            explanation { confidence nodes { id } } } }"""))["alerts"]
        found = ok(gql(services, world[caller], NODE, {"id": alert_id}))["node"]
        assert found["alertKind"] == listed[0]["kind"]
        assert {k: found[k] for k in ("id", "subject", "explanation")} == {
            k: listed[0][k] for k in ("id", "subject", "explanation")}


def test_an_entity_whose_id_looks_like_a_record_is_still_found(
    services: Services, world: dict[str, Scope]
) -> None:
    """Record ids are the server's; an entity a report named ``case-…`` or ``ntc-…`` is an
    entity wherever no visible record holds that id."""
    notice_id = next(i for i in stored_record_ids(services) if i.startswith("ntc-"))
    submit(services, world["acme"], report("acme-odd", "GREEN", [
        {"id": "case-study-7", "kind": "SELLER"}, {"id": notice_id, "kind": "SELLER"}], []))
    for caller, typename in (("acme", "Entity"), ("rival", "Notice"), ("bazaar", "Notice")):
        found = ok(gql(services, world[caller], NODES, {"ids": ["case-study-7", notice_id]}))
        assert found["nodes"] == [{"__typename": "Entity", "id": "case-study-7"},
                                  {"__typename": typename, "id": notice_id}]


def test_limits_and_authentication(services: Services, world: dict[str, Scope]) -> None:
    too_many = [f"x-{i}" for i in range(MAX_NODES + 1)]
    assert codes(gql(services, world["acme"], NODES, {"ids": too_many})) == ["LIMIT_EXCEEDED"]
    assert ok(gql(services, world["acme"], NODES, {"ids": too_many[:MAX_NODES]}))["nodes"] == [
        None] * MAX_NODES
    assert codes(gql(services, None, NODE, {"id": "seller-1"})) == ["UNAUTHENTICATED"]
    assert ok(gql(services, world["acme"], NODES, {"ids": []}))["nodes"] == []


def test_a_relay_walk_refetches_each_edge_by_node(
    services: Services, world: dict[str, Scope]
) -> None:
    """What a Relay client does: page a connection by cursors, then refetch an edge's
    node by its id (``node``), equal to what the edge showed."""
    scope = world["police"]
    after, seen, total = None, [], None
    while True:
        page = ok(gql(services, scope, PAGE, {"after": after}))["entities"]
        total = page["totalCount"]
        for edge in page["edges"]:
            again = ok(gql(services, scope, """query($id: ID!) { node(id: $id) {
                id ... on Entity { kind name status } } }""", {"id": edge["node"]["id"]}))
            assert again["node"] == edge["node"]
            seen.append(edge["node"]["id"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == total > 4
