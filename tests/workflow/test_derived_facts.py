"""Derived facts never widen an audience (DESIGN, "Derived facts"; issue 18, findings 1-3).

Each test builds two worlds that differ only by what the observing org may not see
(world A also holds a competitor's hidden report or notice; world B does not), runs
the same visible steps in both, and asks the observer the same questions in both.
Each failed on the code before per-org ledgers and alerts (penalties, statuses and
alerts were computed in the platform's view and shown to brands).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.services import Services
from tests.conftest import MakeServices, add_orgs
from tests.workflow.support import codes, gql, later, marketplace, ok, role
from tests.workflow.test_alerts import BANK, report, submit
from tests.workflow.test_notices import DECIDE, WITHDRAW, file

LEDGER = """query($id: ID!) { entity(id: $id) { id name status }
  penalties(entity: $id) { kind subject { id } until liftedAt } }"""
SEES = """{ storefronts: entities(kind: STOREFRONT) { totalCount edges { node { id status } } }
  sellers: entities(kind: SELLER) { totalCount edges { node { id name status } } }
  nameAndShame { id name status }
  alerts { id kind subject { id } explanation { nodes { id } } } }"""


@dataclass
class World:
    services: Services
    scopes: dict[str, Scope]

    def ask(self, who: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        return ok(gql(self.services, self.scopes[who], query, variables))


Step = Callable[[World], Any]


@pytest.fixture
def worlds(make_services: MakeServices) -> tuple[World, World]:
    out = []
    for name in ("a", "b"):
        services = make_services("memory", name=name)
        scopes = add_orgs(services)
        scopes["reviewer"] = role(services, "bazaar", "reviewer")
        marketplace(services, scopes)
        out.append(World(services, scopes))
    return out[0], out[1]


def both(worlds: tuple[World, World], step: Step) -> None:
    for world in worlds:
        step(world)


def hidden(worlds: tuple[World, World], step: Step) -> None:
    step(worlds[0])


def same(worlds: tuple[World, World], who: str, query: str,
         variables: dict[str, Any] | None = None) -> Any:
    in_a, in_b = (world.ask(who, query, variables) for world in worlds)
    assert in_a == in_b, f"{who} can tell the worlds apart:\n{in_a}\n{in_b}"
    return in_a


def uphold(world: World, who: str, listing: str, **extra: Any) -> dict[str, Any]:
    notice = file(world.services, world.scopes[who], listing, **extra)
    later(world.services.clock, hours=1)
    decided: dict[str, Any] = world.ask("reviewer", DECIDE,
                                        {"id": notice["id"], "upheld": True})["decideNotice"]
    return decided


def tick(worlds: tuple[World, World]) -> None:
    for world in worlds:
        later(world.services.clock, hours=1)


def test_a_competitors_hidden_strike_does_not_raise_a_brands_ladder(
    worlds: tuple[World, World]
) -> None:
    hidden(worlds, lambda w: uphold(w, "acme", "listing-1", marking="RED"))
    tick((worlds[1],))  # the clocks stay together: world A spent an hour deciding
    notices = [uphold(w, "rival", "listing-2") for w in worlds]
    assert notices[0]["status"] == "UPHELD"
    for who in ("rival", "police"):
        seen = same(worlds, who, LEDGER, {"id": "seller-1"})
        assert seen["entity"]["status"] == "WARNED", who
        assert sorted(p["kind"] for p in seen["penalties"]) == ["STRIKE", "WARNING"], who
    # The platform enforces on all it sees: two strikes, restricted.
    assert worlds[0].ask("bazaar", LEDGER, {"id": "seller-1"})["entity"]["status"] == "RESTRICTED"
    # The filer reads the notice's penalties in its own ledger: a warning.
    mine = worlds[0].ask("rival", "query($id: ID!) { notice(id: $id) { penalties { kind } } }",
                         {"id": notices[0]["id"]})["notice"]["penalties"]
    assert sorted(p["kind"] for p in mine) == [
        "BUYER_REIMBURSEMENT", "DELISTED", "STRIKE", "WARNING"]


def test_a_hidden_operates_relation_penalises_no_second_seller_for_the_brand(
    worlds: tuple[World, World]
) -> None:
    hidden(worlds, lambda w: submit(w.services, w.scopes["acme"], report(
        "acme-op", "AMBER_STRICT", [], [{"kind": "OPERATES", "from": "seller-2",
                                          "to": "store-1"}])))
    both(worlds, lambda w: uphold(w, "rival", "listing-1"))
    for who in ("rival", "police"):
        seen = same(worlds, who, LEDGER, {"id": "seller-2"})
        assert seen["entity"]["status"] == "ACTIVE" and seen["penalties"] == [], who


def test_a_ban_reveals_no_storefront_or_name_known_only_under_amber_strict(
    worlds: tuple[World, World]
) -> None:
    def secrets(world: World) -> None:
        submit(world.services, world.scopes["acme"], report("acme-secret", "AMBER_STRICT", [
            {"id": "store-secret", "kind": "STOREFRONT", "name": "Back Room", "status": "OPEN"},
            {"id": "seller-1", "kind": "SELLER", "name": "Real Name Trading Ltd"},
        ], [{"kind": "OPERATES", "from": "seller-1", "to": "store-secret"}]))

    hidden(worlds, secrets)
    for listing in ("listing-1", "listing-2", "listing-3"):
        both(worlds, lambda w, listing=listing: uphold(w, "rival", listing))
    for who in ("rival", "police"):
        answer = same(worlds, who, SEES)
        assert answer["nameAndShame"] == [
            {"id": "seller-1", "name": "Shoe King", "status": "BANNED"}], who
        same(worlds, who, LEDGER, {"id": "store-secret"})
    # Even Acme, which reported the name, reads the public list with the public name.
    assert worlds[0].ask("acme", SEES)["nameAndShame"] == [
        {"id": "seller-1", "name": "Shoe King", "status": "BANNED"}]
    assert worlds[1].ask("rival", LEDGER, {"id": "store-secret"})["entity"] is None
    # The platform closed it in its own ledger; the closure is not public by default.
    closed = worlds[0].ask("bazaar", LEDGER, {"id": "store-secret"})["entity"]
    assert closed["status"] == "CLOSED"


def test_a_withdrawal_restores_what_the_brand_saw_not_a_hidden_status(
    worlds: tuple[World, World]
) -> None:
    hidden(worlds, lambda w: submit(w.services, w.scopes["acme"], report(
        "acme-status", "AMBER_STRICT", [{"id": "listing-3", "kind": "LISTING",
                                          "status": "UNDER_REVIEW"}], [])))
    for world in worlds:
        notice = file(world.services, world.scopes["rival"], "listing-3")
        world.ask("rival", WITHDRAW, {"id": notice["id"]})
    for who in ("rival", "police"):
        assert same(worlds, who, LEDGER, {"id": "listing-3"})["entity"]["status"] == "LIVE"


def test_a_reversal_ignores_a_competitors_hidden_open_notice(
    worlds: tuple[World, World]
) -> None:
    hidden(worlds, lambda w: file(w.services, w.scopes["rival"], "listing-4", marking="RED"))
    for world in worlds:  # Acme is a trusted notifier: delisted at once, then reversed
        notice = file(world.services, world.scopes["acme"], "listing-4")
        assert notice["listings"] == [{"id": "listing-4", "status": "DELISTED"}]
        world.ask("reviewer", DECIDE, {"id": notice["id"], "upheld": False})
    assert same(worlds, "acme", LEDGER, {"id": "listing-4"})["entity"]["status"] == "LIVE"
    # The platform still sees Rival's open notice.
    assert worlds[0].ask("bazaar", LEDGER, {"id": "listing-4"})["entity"]["status"] == "NOTIFIED"


def test_no_recidivism_alert_from_a_ban_only_a_competitor_reports(
    worlds: tuple[World, World]
) -> None:
    both(worlds, lambda w: submit(w.services, w.scopes["bazaar"], report("plat-bank", "GREEN", [
        {"id": "bank", "kind": "IDENTIFIER", "identifierKind": "BANK_ACCOUNT", "value": BANK},
    ], [{"kind": "USES", "from": "seller-2", "to": "bank", "confidence": 0.9}])))
    hidden(worlds, lambda w: submit(w.services, w.scopes["acme"], report(
        "acme-ban", "AMBER_STRICT", [{"id": "seller-2", "kind": "SELLER", "status": "BANNED"}],
        [])))
    both(worlds, lambda w: submit(w.services, w.scopes["rival"], report("rival-new", "AMBER", [
        {"id": "store-new", "kind": "STOREFRONT", "name": "Fresh Bags", "status": "OPEN"},
        {"id": "acct", "kind": "IDENTIFIER", "identifierKind": "BANK_ACCOUNT", "value": BANK},
    ], [{"kind": "USES", "from": "store-new", "to": "acct", "confidence": 0.8}])))
    for who in ("rival", "police"):
        assert same(worlds, who, SEES)["alerts"] == [], who
    # The platform sees Acme's report: alerted in its own view.
    kinds = [a["kind"] for a in worlds[0].ask("bazaar", SEES)["alerts"]]
    assert kinds == ["RECIDIVISM"]


def test_ring_growth_only_for_a_ring_the_org_knew(worlds: tuple[World, World]) -> None:
    hidden(worlds, lambda w: submit(w.services, w.scopes["acme"], report(
        "acme-ring", "AMBER_STRICT", [{"id": "ring-x", "kind": "RING", "name": "X"}], [])))
    both(worlds, lambda w: submit(w.services, w.scopes["rival"], report("rival-ring", "AMBER", [
        {"id": "ring-x", "kind": "RING", "name": "Rival's ring"}],
        [{"kind": "MEMBER_OF", "from": "seller-1", "to": "ring-x"}])))
    for who in ("rival", "police"):
        assert same(worlds, who, SEES)["alerts"] == [], who
    assert [a["kind"] for a in worlds[0].ask("bazaar", SEES)["alerts"]] == ["RING_GROWTH"]


def test_new_source_is_not_suppressed_by_a_competitors_hidden_link(
    worlds: tuple[World, World]
) -> None:
    hidden(worlds, lambda w: submit(w.services, w.scopes["acme"], report(
        "acme-wh", "AMBER_STRICT", [{"id": "wh-9", "kind": "WAREHOUSE"}],
        [{"kind": "SHIPS_FROM", "from": "listing-1", "to": "wh-9"}])))
    both(worlds, lambda w: submit(w.services, w.scopes["rival"], report("rival-wh", "AMBER", [
        {"id": "wh-9", "kind": "WAREHOUSE", "name": "Putian depot"}],
        [{"kind": "SHIPS_FROM", "from": "listing-1", "to": "wh-9"}])))
    for who in ("rival", "police"):
        alerts = same(worlds, who, SEES)["alerts"]
        assert [(a["kind"], a["subject"]["id"]) for a in alerts] == [("NEW_SOURCE", "wh-9")], who


PUBLISH = """mutation($id: ID!, $status: String!) { publish(entity: $id, status: $status,
  reason: "court order") { id status publishedAt reason entity { id status } } }"""
PUBLICATIONS = "{ publications { id status reason entity { id } } }"


def test_publication_is_the_platforms_explicit_act_of_id_kind_and_status(
    worlds: tuple[World, World]
) -> None:
    world = worlds[0]
    submit(world.services, world.scopes["acme"], report("acme-red", "RED", [
        {"id": "seller-red", "kind": "SELLER", "name": "Known to Acme only"}], []))
    submit(world.services, world.scopes["bazaar"], report("plat-strict", "AMBER_STRICT", [
        {"id": "seller-strict", "kind": "SELLER", "name": "Platform's secret",
         "properties": {"phone": "+86 138"}}], []))
    for who, status in (("rival", "FORBIDDEN"), ("police", "FORBIDDEN"), ("bazaar", "FORBIDDEN")):
        assert codes(gql(world.services, world.scopes[who], PUBLISH,
                         {"id": "seller-strict", "status": "BANNED"})) == [status], who
    reviewer = world.scopes["reviewer"]
    assert codes(gql(world.services, reviewer, PUBLISH,
                     {"id": "seller-red", "status": "BANNED"})) == ["NOT_FOUND"]
    assert codes(gql(world.services, reviewer, PUBLISH,
                     {"id": "seller-strict", "status": "DELISTED"})) == ["BAD_USER_INPUT"]
    assert world.ask("rival", PUBLICATIONS)["publications"] == []  # refusals wrote nothing
    done = world.ask("reviewer", PUBLISH, {"id": "seller-strict", "status": "BANNED"})["publish"]
    assert done["status"] == "BANNED" and done["reason"] == "court order"
    # Every org now reads the id, kind and status, and nothing else of the secret.
    for who in ("acme", "rival", "police"):
        seen = world.ask(who, "query($id: ID!) { entity(id: $id) { kind name status properties "
                         "assertions { reportedBy { id } marking source } } }",
                         {"id": "seller-strict"})["entity"]
        assert seen == {"kind": "SELLER", "name": None, "status": "BANNED", "properties": {},
                        "assertions": [{"reportedBy": {"id": "bazaar"}, "marking": "CLEAR",
                                        "source": "PLATFORM_DATA"}]}, who
        assert world.ask(who, PUBLICATIONS)["publications"] == [
            {"id": done["id"], "status": "BANNED", "reason": "court order",
             "entity": {"id": "seller-strict"}}]
        assert world.ask(who, SEES)["nameAndShame"] == [
            {"id": "seller-strict", "name": None, "status": "BANNED"}]
    # Publishing the standing state again is the same publication.
    again = world.ask("reviewer", PUBLISH, {"id": "seller-strict", "status": "BANNED"})
    assert again["publish"]["id"] == done["id"]


def test_no_publication_without_the_policy(make_services: MakeServices) -> None:
    from dataclasses import replace

    services = make_services("memory")
    services.settings = replace(services.settings, publish=frozenset())
    scopes = add_orgs(services)
    scopes["reviewer"] = role(services, "bazaar", "reviewer")
    marketplace(services, scopes)
    world = World(services, scopes)
    for listing in ("listing-1", "listing-2", "listing-3"):
        uphold(world, "rival", listing)
    assert world.ask("acme", PUBLICATIONS)["publications"] == []
    assert world.ask("acme", SEES)["nameAndShame"] == []
    assert world.ask("acme", LEDGER, {"id": "seller-1"})["entity"]["status"] == "ACTIVE"
    assert world.ask("rival", LEDGER, {"id": "seller-1"})["entity"]["status"] == "BANNED"
