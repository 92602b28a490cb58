"""The GraphQL core: me, entity, entities, relations, assertions, submitReport."""

from __future__ import annotations

from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.services import Services
from tests.scenario import acme_ring, green_store, rival_red
from tests.support import codes, gql

ENTITY = """
query($id: ID!) { entity(id: $id) {
  id kind name region status properties confidence value identifierKind
  assertions { reportId reportedBy { id } source confidence marking sharedWith { id }
               evidence { kind sha256 uri } }
  relations { totalCount edges { cursor node { id kind confidence from { id } to { id } } }
              pageInfo { hasNextPage endCursor } }
} }"""

SUBMIT = """mutation($input: ReportInput!) {
  submitReport(input: $input) { reportId entities relations created } }"""


def submit(services: Services, scope: Scope, raw: dict[str, Any]) -> dict[str, Any]:
    return gql(services, scope, SUBMIT, {"input": raw})


@pytest.fixture
def loaded(services: Services, orgs: dict[str, Scope]) -> dict[str, Scope]:
    for org, raw in (("acme", acme_ring()), ("rival", rival_red()), ("bazaar", green_store())):
        answer = submit(services, orgs[org], raw)
        assert answer.get("errors") is None, answer
    return orgs


def test_me_names_the_caller(services: Services, loaded: dict[str, Scope]) -> None:
    answer = gql(services, loaded["rival"], "{ me { role org { id type trusted } } }")
    assert answer["data"]["me"] == {
        "role": "investigator",
        "org": {"id": "rival", "type": "BRAND", "trusted": False},
    }


def test_without_a_token_every_field_is_unauthenticated(services: Services) -> None:
    answer = gql(services, None, '{ entity(id: "seller-1") { id } }')
    assert codes(answer) == ["UNAUTHENTICATED"]


def test_merged_fields_come_from_visible_assertions_only(
    services: Services, loaded: dict[str, Scope]
) -> None:
    acme = gql(services, loaded["acme"], ENTITY, {"id": "seller-1"})["data"]["entity"]
    rival = gql(services, loaded["rival"], ENTITY, {"id": "seller-1"})["data"]["entity"]
    # Acme does not see Rival's RED statement: not its name, status, properties or confidence.
    assert (acme["name"], acme["status"], acme["properties"]) == ("Shoe King", "ACTIVE", {})
    assert acme["confidence"] == pytest.approx(0.8)
    assert [a["reportedBy"]["id"] for a in acme["assertions"]] == ["acme"]
    assert {e["node"]["to"]["id"] for e in acme["relations"]["edges"]} >= {"store-1"}
    assert "factory-9" not in str(acme)
    # Rival sees Acme's AMBER? No: AMBER is for the reporter, platform and regulators.
    assert rival["name"] == "Shoe King Ltd" and rival["status"] == "WARNED"
    assert rival["properties"] == {"secret_note": "rival-only"}
    assert rival["confidence"] == pytest.approx(0.5)
    # The platform sees Acme's AMBER but not Rival's RED.
    platform = gql(services, loaded["bazaar"], ENTITY, {"id": "seller-1"})["data"]["entity"]
    assert platform["name"] == "Shoe King" and platform["relations"]["totalCount"] == 2


def test_an_invisible_id_answers_like_a_missing_one(
    services: Services, loaded: dict[str, Scope]
) -> None:
    hidden = gql(services, loaded["acme"], ENTITY, {"id": "factory-9"})
    missing = gql(services, loaded["acme"], ENTITY, {"id": "factory-0"})
    assert hidden == missing == {"data": {"entity": None}}


def test_identifier_value_shown_to_its_reporter_platform_and_regulator(
    services: Services, loaded: dict[str, Scope]
) -> None:
    query = "{ entities(kind: IDENTIFIER) { edges { node { id value identifierKind } } } }"
    values = {
        org: [
            e["node"]["value"]
            for e in gql(services, loaded[org], query)["data"]["entities"]["edges"]
        ]
        for org in ("acme", "bazaar", "police", "rival")
    }
    assert values == {
        "acme": ["+8613800138000"],
        "bazaar": ["+8613800138000"],
        "police": ["+8613800138000"],
        "rival": [],
    }
    node = gql(services, loaded["acme"], query)["data"]["entities"]["edges"][0]["node"]
    assert node["id"].startswith("idn-ph-") and "8000" not in node["id"]


def test_entities_pages_by_cursor_with_a_visible_total(
    services: Services, loaded: dict[str, Scope]
) -> None:
    query = """query($after: String) { entities(first: 2, after: $after) {
        totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = gql(services, loaded["acme"], query, {"after": after})["data"]["entities"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert page["totalCount"] == 5  # acme's 4 + the platform's GREEN storefront
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(seen) == 5
    assert "factory-9" not in seen


def test_total_count_follows_writes_and_stays_per_view(
    services: Services, loaded: dict[str, Scope]
) -> None:
    """The total is computed once per view and filter until the next write."""
    query = "{ entities(first: 1, kind: STOREFRONT) { totalCount } }"

    def total(org: str) -> int:
        return int(gql(services, loaded[org], query)["data"]["entities"]["totalCount"])

    acme, rival = total("acme"), total("rival")
    assert total("acme") == acme
    submit(services, loaded["rival"], {
        "reportId": "rival-more", "source": "OSINT", "confidence": 0.5, "marking": "RED",
        "entities": [{"id": "store-rival-new", "kind": "STOREFRONT"}], "relations": []})
    assert total("rival") == rival + 1  # the write is counted at once
    assert total("acme") == acme  # and only in the views that may see it
    submit(services, loaded["acme"], {
        "reportId": "acme-more", "source": "OSINT", "confidence": 0.5, "marking": "GREEN",
        "entities": [{"id": "store-acme-new", "kind": "STOREFRONT"}], "relations": []})
    assert (total("acme"), total("rival")) == (acme + 1, rival + 2)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("kind: STOREFRONT", ["store-1", "store-2"]),
        ('region: "Fujian"', ["store-1"]),
        ('status: "ACTIVE"', ["seller-1"]),
        ('search: "kicks4u"', ["store-1"]),
        ('search: "bazaar.example"', ["store-1"]),
        ('search: "hidden works"', []),
        ('status: "WARNED"', []),  # rival's RED status is not acme's to filter on
    ],
)
def test_entity_filters_see_only_visible_values(
    services: Services, loaded: dict[str, Scope], args: str, expected: list[str]
) -> None:
    query = f"{{ entities({args}) {{ totalCount edges {{ node {{ id }} }} }} }}"
    page = gql(services, loaded["acme"], query)["data"]["entities"]
    assert [e["node"]["id"] for e in page["edges"]] == expected
    assert page["totalCount"] == len(expected)


def test_a_bad_cursor_is_bad_user_input(services: Services, loaded: dict[str, Scope]) -> None:
    answer = gql(services, loaded["acme"], '{ entities(after: "???") { totalCount } }')
    assert codes(answer) == ["BAD_USER_INPUT"]


def test_relations_page_and_filter_by_kind_and_direction(
    services: Services, loaded: dict[str, Scope]
) -> None:
    query = """{ entity(id: "seller-1") {
        out: relations(direction: OUT, kinds: [USES]) { totalCount edges { node { kind } } }
        inbound: relations(direction: IN) { totalCount }
        page: relations(first: 1) { edges { node { kind } } pageInfo { hasNextPage endCursor } }
    } }"""
    entity = gql(services, loaded["bazaar"], query)["data"]["entity"]
    assert entity["out"] == {"totalCount": 1, "edges": [{"node": {"kind": "USES"}}]}
    assert entity["inbound"]["totalCount"] == 0
    assert entity["page"]["edges"] == [{"node": {"kind": "OPERATES"}}]
    assert entity["page"]["pageInfo"]["hasNextPage"] is True


def test_total_count_inside_fragments_and_aliases(
    services: Services, loaded: dict[str, Scope]
) -> None:
    """Relay-style clients select totalCount in fragments: counted as when selected directly."""
    query = """
    fragment Counted on EntityConnection { total: totalCount }
    fragment Rels on Entity {
      relations(direction: OUT) { ... on RelationConnection { totalCount } } }
    query {
      named: entities(first: 1) { ...Counted }
      inline: entities(first: 1) { ... on EntityConnection { totalCount } }
      entity(id: "seller-1") { ...Rels }
    }"""
    answer = gql(services, loaded["bazaar"], query)
    assert "errors" not in answer, answer
    direct = gql(services, loaded["bazaar"], """{ entities(first: 1) { totalCount }
        entity(id: "seller-1") { relations(direction: OUT) { totalCount } } }""")["data"]
    assert answer["data"]["named"]["total"] == direct["entities"]["totalCount"]
    assert answer["data"]["inline"]["totalCount"] == direct["entities"]["totalCount"]
    assert answer["data"]["entity"] == direct["entity"]
    assert direct["entity"]["relations"]["totalCount"] > 0


def test_assertions_carry_provenance(services: Services, loaded: dict[str, Scope]) -> None:
    entity = gql(services, loaded["acme"], ENTITY, {"id": "listing-1"})["data"]["entity"]
    (assertion,) = entity["assertions"]
    assert assertion["reportId"] == "acme-1" and assertion["source"] == "OSINT"
    assert assertion["evidence"] == [
        {"kind": "screenshot", "sha256": "ab" * 32, "uri": "s3://acme/1.png"}
    ]
    (edge,) = entity["relations"]["edges"]
    assert edge["node"]["confidence"] == pytest.approx(0.9)


def test_two_orgs_reporting_one_relation_make_one_relation_with_two_assertions(
    services: Services, loaded: dict[str, Scope]
) -> None:
    raw = acme_ring()
    raw.update(reportId="plat-2", marking="GREEN", confidence=0.5)
    raw["relations"] = [{"kind": "OPERATES", "from": "seller-1", "to": "store-1"}]
    raw["entities"] = raw["entities"][:2]
    assert submit(services, loaded["bazaar"], raw)["data"]["submitReport"]["created"]
    query = """{ entity(id: "store-1") { relations(kinds: [OPERATES]) { edges { node {
        confidence assertions { reportedBy { id } confidence } } } } } }"""
    (edge,) = gql(services, loaded["police"], query)["data"]["entity"]["relations"]["edges"]
    assert edge["node"]["confidence"] == pytest.approx(1 - 0.2 * 0.5)
    assert sorted(a["reportedBy"]["id"] for a in edge["node"]["assertions"]) == ["acme", "bazaar"]
    rival = gql(services, loaded["rival"], query)["data"]["entity"]["relations"]["edges"]
    assert rival[0]["node"]["confidence"] == pytest.approx(0.5)
