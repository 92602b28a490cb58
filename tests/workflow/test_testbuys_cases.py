"""Test buys (SHIPS_FROM learnt, GENUINE seen in review) and police cases with outcomes."""

from __future__ import annotations

from typing import Any

from graph_api.services import Services
from tests.workflow.support import codes, gql, ok

BUY = """mutation($input: TestBuyInput!) { recordTestBuy(input: $input) {
  id result orderedAt listing { id } shippedFrom { id } evidence { kind sha256 } } }"""
CASE = """mutation($input: CaseInput!) { openCase(input: $input) {
  id title status openedBy { id } entities { id } } }"""
OUTCOME = """mutation($id: ID!, $input: CaseOutcomeInput!) {
  addCaseOutcome(id: $id, input: $input) {
  id outcomes { kind description value entity { id } } } }"""
SHA = "ef" * 32


def warehouse(services: Services, world: dict[str, Any]) -> None:
    services.submit_report(world["acme"], {
        "reportId": "acme-wh", "source": "INVESTIGATION", "confidence": 0.7, "marking": "AMBER",
        "entities": [{"id": "wh-9", "kind": "WAREHOUSE", "name": "Depot"}], "relations": []})


def buy(services: Services, scope: Any, **fields: Any) -> dict[str, Any]:
    base = {"listing": "listing-1", "result": "COUNTERFEIT", "orderedAt": "2026-10-30T10:00:00Z",
            "evidence": [{"kind": "parcel photo", "sha256": SHA}]}
    return gql(services, scope, BUY, {"input": {**base, **fields}})


def test_a_counterfeit_test_buy_learns_ships_from(
    services: Services, world: dict[str, Any]
) -> None:
    warehouse(services, world)
    tb = ok(buy(services, world["acme"], shippedFrom="wh-9"))["recordTestBuy"]
    assert tb["shippedFrom"] == {"id": "wh-9"} and tb["evidence"] == [
        {"kind": "parcel photo", "sha256": SHA}]
    q = """{ entity(id: "listing-1") { properties relations(kinds: [SHIPS_FROM]) {
      edges { node { to { id } assertions { source marking reportedBy { id } } } } } } }"""
    seen = ok(gql(services, world["acme"], q))["entity"]
    (edge,) = seen["relations"]["edges"]
    assert edge["node"]["to"] == {"id": "wh-9"}
    assert edge["node"]["assertions"] == [
        {"source": "TEST_BUY", "marking": "AMBER", "reportedBy": {"id": "acme"}}]
    assert seen["properties"]["testBuy"] == "COUNTERFEIT"
    # Rival sees neither the test buy nor the relation.
    assert ok(gql(services, world["rival"], "{ testBuys { id } }"))["testBuys"] == []
    rival = ok(gql(services, world["rival"], q))["entity"]
    assert rival["relations"]["edges"] == [] and "testBuy" not in rival["properties"]
    assert len(ok(gql(services, world["bazaar"], "{ testBuys { id } }"))["testBuys"]) == 1


def test_a_genuine_result_is_an_assertion_the_review_sees(
    services: Services, world: dict[str, Any]
) -> None:
    ok(buy(services, world["rival"], listing="listing-2", result="GENUINE"))
    q = '{ entity(id: "listing-2") { properties relations(kinds: [SHIPS_FROM]) { totalCount } } }'
    seen = ok(gql(services, world["reviewer"], q))["entity"]
    assert seen["properties"]["testBuy"] == "GENUINE" and seen["relations"]["totalCount"] == 0


def test_test_buy_input_is_checked(services: Services, world: dict[str, Any]) -> None:
    warehouse(services, world)
    acme = world["acme"]
    assert codes(buy(services, acme, result="MAYBE")) == ["BAD_USER_INPUT"]
    assert codes(buy(services, acme, evidence=[{"kind": "x", "sha256": "nothex"}])) == [
        "BAD_USER_INPUT"]
    assert codes(buy(services, acme, evidence=[{"kind": "x"}])) == ["BAD_USER_INPUT"]
    assert codes(buy(services, acme, orderedAt="2030-01-01T00:00:00Z")) == ["BAD_USER_INPUT"]
    assert codes(buy(services, acme, listing="listing-404")) == ["NOT_FOUND"]
    assert codes(buy(services, world["rival"], shippedFrom="wh-9")) == ["NOT_FOUND"]  # hidden
    assert codes(buy(services, acme, shippedFrom="store-1")) == ["BAD_USER_INPUT"]
    assert codes(buy(services, world["reviewer"])) == ["FORBIDDEN"]
    assert ok(gql(services, world["bazaar"], "{ testBuys { id } }"))["testBuys"] == []


def test_cases_are_opened_by_liaisons_and_seen_per_marking(
    services: Services, world: dict[str, Any]
) -> None:
    variables = {"input": {"title": "Putian ring", "entities": ["seller-1", "store-1"]}}
    assert codes(gql(services, world["acme"], CASE, variables)) == ["FORBIDDEN"]
    assert codes(gql(services, world["police"], CASE, variables)) == ["FORBIDDEN"]  # investigator
    hidden = {"input": {"title": "x", "entities": ["wh-secret"]}}
    assert codes(gql(services, world["liaison"], CASE, hidden)) == ["NOT_FOUND"]
    case = ok(gql(services, world["liaison"], CASE, variables))["openCase"]
    assert case["openedBy"] == {"id": "police"} and case["status"] == "OPEN"
    assert case["entities"] == [{"id": "seller-1"}, {"id": "store-1"}]
    # AMBER_STRICT: the opener and the platform; no brand.
    q = "query($id: ID!) { case(id: $id) { id } cases { id } }"
    for org in ("police", "bazaar"):
        assert ok(gql(services, world[org], q, {"id": case["id"]}))["cases"] == [{"id": case["id"]}]
    for org in ("acme", "rival"):
        assert ok(gql(services, world[org], q, {"id": case["id"]})) == {"case": None, "cases": []}
    shared = {"input": {"title": "With acme", "entities": ["seller-1"], "sharedWith": ["acme"]}}
    shared_case = ok(gql(services, world["liaison"], CASE, shared))["openCase"]
    assert ok(gql(services, world["acme"], q, {"id": case["id"]}))["cases"] == [
        {"id": shared_case["id"]}]


def test_case_outcomes_close_by_report(services: Services, world: dict[str, Any]) -> None:
    variables = {"input": {"title": "Raid", "entities": ["seller-1", "store-1"]}}
    case = ok(gql(services, world["liaison"], CASE, variables))["openCase"]
    closure = {"kind": "CLOSURE", "entity": "store-1", "description": "shut by court order"}
    done = ok(gql(services, world["liaison"], OUTCOME, {"id": case["id"], "input": closure}))
    assert done["addCaseOutcome"]["outcomes"][0]["entity"] == {"id": "store-1"}
    seizure = {"kind": "SEIZURE", "description": "4,000 pairs", "value": 120000.0}
    ok(gql(services, world["liaison"], OUTCOME, {"id": case["id"], "input": seizure}))
    q = '{ entity(id: "store-1") { status assertions { source reportedBy { id } } } }'
    police = ok(gql(services, world["liaison"], q))["entity"]
    assert police["status"] == "CLOSED"
    assert {"source": "LAW_ENFORCEMENT", "reportedBy": {"id": "police"}} in police["assertions"]
    assert ok(gql(services, world["acme"], q))["entity"]["status"] == "OPEN"  # AMBER_STRICT
    bad = {"kind": "RAID", "entity": "store-1"}
    assert codes(gql(services, world["liaison"], OUTCOME, {"id": case["id"], "input": bad})) == [
        "BAD_USER_INPUT"]
    other = {"kind": "ARREST", "entity": "seller-1"}
    assert codes(gql(services, world["reviewer"], OUTCOME, {"id": case["id"], "input": other})) \
        == ["FORBIDDEN"]
