"""Bad input: a clear code naming the field, and the store left exactly as it was."""

from __future__ import annotations

from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.services import Services
from tests.scenario import acme_ring, report
from tests.support import codes, gql

SUBMIT = """mutation($input: ReportInput!) { submitReport(input: $input) { reportId created } }"""
COUNT = "{ entities { totalCount } }"


def snapshot(services: Services, scope: Scope) -> Any:
    query = """{ entities(first: 1000) { totalCount edges { node { id name confidence
        assertions { reportId } relations { totalCount } } } } }"""
    return gql(services, scope, query)


def broken(change: str) -> dict[str, Any]:
    raw = acme_ring()
    raw["reportId"] = "bad-1"
    if change == "malformed id":
        raw["entities"][0]["id"] = "has spaces!"
    elif change == "unknown kind":
        raw["entities"][0]["kind"] = "PIRATE"
    elif change == "wrong endpoint kind":
        raw["entities"].append({"id": "f1", "kind": "FACTORY"})
        raw["relations"].append({"kind": "LISTS", "from": "f1", "to": "listing-1"})
    elif change == "confidence above 1":
        raw["confidence"] = 1.5
    elif change == "relation confidence below 0":
        raw["relations"][1]["confidence"] = -0.1
    elif change == "unknown org in sharedWith":
        raw["sharedWith"] = ["nobody"]
    elif change == "unknown endpoint":
        raw["relations"].append({"kind": "OPERATES", "from": "seller-1", "to": "store-404"})
    elif change == "bad phone":
        raw["entities"][3]["value"] = "12345"
    elif change == "identifier without kind":
        del raw["entities"][3]["identifierKind"]
    elif change == "value on a seller":
        raw["entities"][0]["value"] = "x"
    elif change == "bad evidence hash":
        raw["evidence"] = [{"kind": "photo", "sha256": "xyz"}]
    elif change == "duplicate entity":
        raw["entities"].append(dict(raw["entities"][0]))
    return raw


CASES = {
    "malformed id": ("BAD_USER_INPUT", "entities[0].id"),
    "unknown kind": ("BAD_USER_INPUT", None),  # rejected by GraphQL's enum before us
    "wrong endpoint kind": ("BAD_USER_INPUT", "relations[3].from"),
    "confidence above 1": ("BAD_USER_INPUT", "confidence"),
    "relation confidence below 0": ("BAD_USER_INPUT", "relations[1].confidence"),
    "unknown org in sharedWith": ("BAD_USER_INPUT", "sharedWith[0]"),
    "unknown endpoint": ("BAD_USER_INPUT", "relations[3].to"),
    "bad phone": ("BAD_USER_INPUT", "entities[3].value"),
    "identifier without kind": ("BAD_USER_INPUT", "entities[3].identifierKind"),
    "value on a seller": ("BAD_USER_INPUT", "entities[0].value"),
    "bad evidence hash": ("BAD_USER_INPUT", "evidence[0].sha256"),
    "duplicate entity": ("BAD_USER_INPUT", "entities[4].id"),
}


@pytest.mark.parametrize("change", sorted(CASES))
def test_bad_report_is_refused_whole(
    services: Services, orgs: dict[str, Scope], change: str
) -> None:
    assert gql(
        services,
        orgs["acme"],
        SUBMIT,
        {"input": report("seed", "GREEN", [{"id": "seller-0", "kind": "SELLER"}])},
    )["data"]
    before = snapshot(services, orgs["bazaar"])
    answer = gql(services, orgs["acme"], SUBMIT, {"input": broken(change)})
    code, field = CASES[change]
    assert codes(answer) == [code], answer
    if field is not None:
        assert answer["errors"][0]["extensions"]["field"] == field
        assert field.split("[")[0] in answer["errors"][0]["message"]
    assert snapshot(services, orgs["bazaar"]) == before
    # and the id was not burnt: the corrected report goes in under the same id
    fixed = acme_ring()
    fixed["reportId"] = "bad-1"
    assert gql(services, orgs["acme"], SUBMIT, {"input": fixed})["data"]["submitReport"]["created"]


def test_same_report_id_same_content_is_a_replay(
    services: Services, orgs: dict[str, Scope]
) -> None:
    first = gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})
    again = gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})
    assert first["data"]["submitReport"]["created"] is True
    assert again["data"]["submitReport"] == {"reportId": "acme-1", "created": False}
    entity = gql(services, orgs["acme"], '{ entity(id: "seller-1") { assertions { reportId } } }')
    assert entity["data"]["entity"]["assertions"] == [{"reportId": "acme-1"}]


def test_same_report_id_other_content_is_a_conflict(
    services: Services, orgs: dict[str, Scope]
) -> None:
    gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})
    changed = acme_ring()
    changed["confidence"] = 0.3
    answer = gql(services, orgs["acme"], SUBMIT, {"input": changed})
    assert codes(answer) == ["CONFLICT"]
    assert answer["errors"][0]["extensions"]["field"] == "reportId"


def test_report_ids_are_scoped_to_their_org(services: Services, orgs: dict[str, Scope]) -> None:
    """Another org's use of an id is invisible: Rival may use 'acme-1' for its own report."""
    gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})
    other = report("acme-1", "RED", [{"id": "seller-77", "kind": "SELLER"}])
    answer = gql(services, orgs["rival"], SUBMIT, {"input": other})
    assert answer["data"]["submitReport"]["created"] is True


def test_kind_clash_only_with_what_the_reporter_can_see(
    services: Services, orgs: dict[str, Scope]
) -> None:
    """Rival's RED factory-9 must not make Acme's report of an id 'factory-9' fail."""
    gql(
        services,
        orgs["rival"],
        SUBMIT,
        {"input": report("r", "RED", [{"id": "factory-9", "kind": "FACTORY"}])},
    )
    mine = report("a", "AMBER", [{"id": "factory-9", "kind": "WAREHOUSE"}])
    assert gql(services, orgs["acme"], SUBMIT, {"input": mine})["data"]["submitReport"]["created"]
    clash = report("b", "AMBER", [{"id": "factory-9", "kind": "SELLER"}])
    assert codes(gql(services, orgs["acme"], SUBMIT, {"input": clash})) == ["BAD_USER_INPUT"]
    seen = gql(services, orgs["acme"], '{ entity(id: "factory-9") { kind } }')
    assert seen["data"]["entity"]["kind"] == "WAREHOUSE"


def test_an_endpoint_invisible_to_the_reporter_is_refused_like_a_missing_one(
    services: Services, orgs: dict[str, Scope]
) -> None:
    gql(
        services,
        orgs["rival"],
        SUBMIT,
        {"input": report("r", "RED", [{"id": "factory-9", "kind": "FACTORY"}])},
    )

    def link(to: str) -> dict[str, Any]:
        return report(
            "x",
            "AMBER",
            [{"id": "s", "kind": "SELLER"}],
            [{"kind": "OPERATES", "from": "s", "to": to}],
        )

    hidden = gql(services, orgs["acme"], SUBMIT, {"input": link("factory-9")})
    missing = gql(services, orgs["acme"], SUBMIT, {"input": link("factory-0")})
    assert codes(hidden) == codes(missing) == ["BAD_USER_INPUT"]
    assert hidden["errors"][0]["message"].replace("factory-9", "X") == missing["errors"][0][
        "message"
    ].replace("factory-0", "X")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ entities(first: 100000) { totalCount } }", "LIMIT_EXCEEDED"),
        ("{ entities(first: -1) { totalCount } }", "BAD_USER_INPUT"),
        ("{ " + " ".join(f"a{i}: me {{ role }}" for i in range(40)) + " }", "LIMIT_EXCEEDED"),
        ("{ nope }", "BAD_USER_INPUT"),
        ("{ entities(kind: PIRATE) { totalCount } }", "BAD_USER_INPUT"),
    ],
)
def test_limits_and_malformed_queries(
    services: Services, orgs: dict[str, Scope], query: str, code: str
) -> None:
    assert codes(gql(services, orgs["acme"], query)) == [code]


def test_depth_is_limited(services: Services, orgs: dict[str, Scope]) -> None:
    nested = "id"
    for _ in range(14):
        nested = f"relations {{ edges {{ node {{ to {{ {nested} }} }} }} }}"
    answer = gql(services, orgs["acme"], f'{{ entity(id: "x") {{ {nested} }} }}')
    assert codes(answer) == ["LIMIT_EXCEEDED"]


def test_roles_without_report_may_not_submit(services: Services, orgs: dict[str, Scope]) -> None:
    org = services.find_org("bazaar")
    principal, _ = services.issue_token(org, "reviewer")
    answer = gql(services, services.scope_for(principal), SUBMIT, {"input": acme_ring()})
    assert codes(answer) == ["FORBIDDEN"]
