"""Every transition's permissions: FORBIDDEN / NOT_FOUND / CONFLICT, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from graph_api.services import Services
from graph_api.workflow import workflow_for
from tests.workflow.support import codes, gql, later, ok
from tests.workflow.test_notices import DECIDE, NOTICE, REFUTE, WITHDRAW, file


def snapshot(services: Services, notice_id: str) -> tuple[Any, tuple[int, ...], int]:
    records = workflow_for(services).records
    record = records.get("notice", notice_id)
    assert record is not None
    versions = tuple(services.store.view_version(services.operator_scope(org))
                     for org in services.store.orgs())  # every class is its reporter's
    return record.doc, versions, records.count("penalty")


def refused(services: Services, scope: Any, query: str, variables: dict[str, Any],
            code: str, notice_id: str) -> None:
    before = snapshot(services, notice_id)
    assert codes(gql(services, scope, query, variables)) == [code]
    assert snapshot(services, notice_id) == before


def test_who_may_file(services: Services, world: dict[str, Any]) -> None:
    variables = {"input": {"listings": ["listing-1"], "grounds": "fake"}}
    query = "mutation($input: NoticeInput!) { fileNotice(input: $input) { id } }"
    for who in ("bazaar", "police", "reviewer", "liaison"):  # not a brand, or no NOTICE role
        assert codes(gql(services, world[who], query, variables)) == ["FORBIDDEN"], who
    assert codes(gql(services, None, query, variables)) == ["UNAUTHENTICATED"]
    missing = {"input": {"listings": ["listing-404"], "grounds": "fake"}}
    assert codes(gql(services, world["acme"], query, missing)) == ["NOT_FOUND"]
    not_listing = {"input": {"listings": ["store-1"], "grounds": "fake"}}
    assert codes(gql(services, world["acme"], query, not_listing)) == ["BAD_USER_INPUT"]
    empty = {"input": {"listings": ["listing-1"], "grounds": " "}}
    assert codes(gql(services, world["acme"], query, empty)) == ["BAD_USER_INPUT"]
    assert workflow_for(services).records.count("notice") == 0


def test_a_listing_the_filer_cannot_see_answers_like_a_missing_one(
    services: Services, world: dict[str, Any]
) -> None:
    services.submit_report(world["rival"], {
        "reportId": "rival-secret", "source": "OSINT", "confidence": 0.7, "marking": "RED",
        "entities": [{"id": "listing-secret", "kind": "LISTING"}], "relations": []})
    query = "mutation($input: NoticeInput!) { fileNotice(input: $input) { id } }"
    hidden = gql(services, world["acme"], query,
                 {"input": {"listings": ["listing-secret"], "grounds": "x"}})
    missing = gql(services, world["acme"], query,
                  {"input": {"listings": ["listing-nope"], "grounds": "x"}})
    assert codes(hidden) == codes(missing) == ["NOT_FOUND"]
    message = hidden["errors"][0]["message"].replace("secret", "nope")
    assert message == missing["errors"][0]["message"]


@pytest.mark.parametrize("who,code", [("rival", "FORBIDDEN"), ("acme", "FORBIDDEN"),
                                      ("police", "FORBIDDEN"), ("liaison", "FORBIDDEN")])
def test_only_a_platform_reviewer_decides_or_refutes(
    services: Services, world: dict[str, Any], who: str, code: str
) -> None:
    notice = file(services, world["rival"], "listing-1")
    for query in (DECIDE, REFUTE):
        refused(services, world[who], query, {"id": notice["id"], "upheld": True}, code,
                notice["id"])


def test_illegal_transitions_conflict_and_change_nothing(
    services: Services, world: dict[str, Any]
) -> None:
    reviewer = world["reviewer"]
    withdrawn = file(services, world["rival"], "listing-1")
    ok(gql(services, world["rival"], WITHDRAW, {"id": withdrawn["id"]}))
    for upheld in (True, False):
        refused(services, reviewer, DECIDE, {"id": withdrawn["id"], "upheld": upheld},
                "CONFLICT", withdrawn["id"])
    refused(services, reviewer, REFUTE, {"id": withdrawn["id"]}, "CONFLICT", withdrawn["id"])

    upheld = file(services, world["rival"], "listing-2")
    ok(gql(services, reviewer, DECIDE, {"id": upheld["id"], "upheld": True}))
    refused(services, reviewer, DECIDE, {"id": upheld["id"], "upheld": True}, "CONFLICT",
            upheld["id"])
    refused(services, world["rival"], WITHDRAW, {"id": upheld["id"]}, "CONFLICT", upheld["id"])
    refused(services, reviewer, REFUTE, {"id": upheld["id"]}, "CONFLICT", upheld["id"])
    ok(gql(services, reviewer, DECIDE, {"id": upheld["id"], "upheld": False}))
    for upheld_arg in (True, False):
        refused(services, reviewer, DECIDE, {"id": upheld["id"], "upheld": upheld_arg},
                "CONFLICT", upheld["id"])

    late = file(services, world["rival"], "listing-3")
    later(services.clock, days=3)
    refused(services, reviewer, REFUTE, {"id": late["id"]}, "CONFLICT", late["id"])


def test_withdraw_is_for_the_filing_brand(services: Services, world: dict[str, Any]) -> None:
    notice = file(services, world["acme"], "listing-1")
    # Rival cannot see acme's AMBER notice: it answers like a missing one.
    refused(services, world["rival"], WITHDRAW, {"id": notice["id"]}, "NOT_FOUND", notice["id"])
    # The regulator sees it (AMBER) but did not file it; the reviewer has no NOTICE role.
    refused(services, world["police"], WITHDRAW, {"id": notice["id"]}, "FORBIDDEN", notice["id"])
    refused(services, world["reviewer"], WITHDRAW, {"id": notice["id"]}, "FORBIDDEN",
            notice["id"])


def test_another_brand_cannot_see_a_notice(services: Services, world: dict[str, Any]) -> None:
    notice = file(services, world["acme"], "listing-1")
    hidden = gql(services, world["rival"], NOTICE, {"id": notice["id"]})
    missing = gql(services, world["rival"], NOTICE, {"id": "ntc-00000000000000000000"})
    assert hidden == missing == {"data": {"notice": None}}
    assert ok(gql(services, world["rival"], "{ notices { id } }"))["notices"] == []
    for org in ("acme", "bazaar", "police"):
        assert ok(gql(services, world[org], NOTICE, {"id": notice["id"]}))["notice"]["id"]
    # Nor a rival's reviewer of a decision: the penalty of acme's notice stays hidden.
    ok(gql(services, world["reviewer"], DECIDE, {"id": notice["id"], "upheld": True}))
    query = '{ penalties(entity: "seller-1") { kind } }'
    assert ok(gql(services, world["rival"], query))["penalties"] == []
    # A GREEN notice is seen by every brand.
    public = file(services, world["acme"], "listing-2", marking="GREEN")
    seen = ok(gql(services, world["rival"], "{ notices { id } }"))["notices"]
    assert [n["id"] for n in seen] == [public["id"]]
    # A RED notice: the filer and its addressee, the platform, only.
    red = file(services, world["acme"], "listing-3", marking="RED")
    assert ok(gql(services, world["police"], NOTICE, {"id": red["id"]}))["notice"] is None
    assert ok(gql(services, world["bazaar"], NOTICE, {"id": red["id"]}))["notice"]["id"]
