"""The strike ladder to a ban, name-and-shame for everyone, and a reversal back."""

from __future__ import annotations

from typing import Any

from graph_api.services import Services
from tests.workflow.support import codes, gql, later, ok
from tests.workflow.test_notices import DECIDE, file, kinds, status

SHAME = "{ nameAndShame { id name status } }"
PENALTIES = """query($id: ID!) { penalties(entity: $id) { kind subject { id } until liftedAt } }"""


def uphold(services: Services, world: dict[str, Any], listing: str) -> dict[str, Any]:
    notice = file(services, world["rival"], listing)
    later(services.clock, hours=1)
    decided: dict[str, Any] = ok(gql(services, world["reviewer"], DECIDE,
                                     {"id": notice["id"], "upheld": True}))["decideNotice"]
    return decided


def test_three_strikes_ban_and_a_reversal_restores(
    services: Services, world: dict[str, Any]
) -> None:
    first = uphold(services, world, "listing-1")
    assert status(services, world["bazaar"], "seller-1") == "WARNED"
    second = uphold(services, world, "listing-2")
    assert status(services, world["bazaar"], "seller-1") == "RESTRICTED"
    restriction = [p for p in second["penalties"] if p["kind"] == "RESTRICTION"]
    assert restriction[0]["until"] == "2026-12-01T11:00:00+00:00"  # 30 days
    assert ok(gql(services, world["acme"], SHAME))["nameAndShame"] == []

    third = uphold(services, world, "listing-3")
    assert kinds(third) == [
        ("BAN", "seller-1"), ("BUYER_REIMBURSEMENT", "listing-3"), ("DELISTED", "listing-3"),
        ("DEPOSIT_FORFEITED", "seller-1"), ("STOREFRONT_CLOSED", "store-1"),
        ("STOREFRONT_CLOSED", "store-2"), ("STRIKE", "seller-1"),
    ]
    assert status(services, world["bazaar"], "seller-1") == "BANNED"
    assert status(services, world["bazaar"], "store-1") == "CLOSED"
    assert status(services, world["bazaar"], "store-2") == "CLOSED"
    assert status(services, world["bazaar"], "store-3") == "OPEN"  # another seller's
    # Named and shamed: CLEAR, so every org sees it, competitors and regulators included.
    for org in ("acme", "rival", "bazaar", "police"):
        shamed = ok(gql(services, world[org], SHAME))["nameAndShame"]
        assert shamed == [{"id": "seller-1", "name": "Shoe King", "status": "BANNED"}], org
    # The ban is public (published: status and nameAndShame); the penalties are each
    # org's own ledger over the notices it may see: Acme sees none of Rival's notices.
    acme_view = ok(gql(services, world["acme"], PENALTIES, {"id": "seller-1"}))["penalties"]
    assert acme_view == []
    assert status(services, world["acme"], "seller-1") == "BANNED"
    rival_view = ok(gql(services, world["rival"], PENALTIES, {"id": "seller-1"}))["penalties"]
    assert sorted(p["kind"] for p in rival_view) == [
        "BAN", "DEPOSIT_FORFEITED", "RESTRICTION", "STRIKE", "STRIKE", "STRIKE", "WARNING"]

    # A fourth upheld notice adds a strike and nothing else.
    fourth = uphold(services, world, "listing-4")
    assert kinds(fourth) == [("BUYER_REIMBURSEMENT", "listing-4"), ("DELISTED", "listing-4"),
                             ("STRIKE", "seller-1")]
    for notice in (fourth, third):  # reversing back below three strikes lifts the ban
        ok(gql(services, world["reviewer"], DECIDE, {"id": notice["id"], "upheld": False}))
    assert status(services, world["bazaar"], "seller-1") == "RESTRICTED"
    # Acme knows only the public state: the ban published, then withdrawn by a
    # publication; the restriction the platform keeps is not public.
    assert status(services, world["acme"], "seller-1") == "ACTIVE"
    assert status(services, world["rival"], "seller-1") == "RESTRICTED"  # its own ledger
    assert status(services, world["bazaar"], "store-1") == "OPEN"
    assert status(services, world["bazaar"], "listing-3") == "LIVE"
    assert status(services, world["bazaar"], "listing-2") == "DELISTED"  # still upheld
    for org in ("acme", "rival", "police"):
        assert ok(gql(services, world[org], SHAME))["nameAndShame"] == []
    lifted = ok(gql(services, world["rival"], PENALTIES, {"id": "seller-1"}))["penalties"]
    by_kind = {p["kind"]: p for p in lifted}
    assert by_kind["BAN"]["liftedAt"] and by_kind["DEPOSIT_FORFEITED"]["liftedAt"]
    assert by_kind["RESTRICTION"]["liftedAt"] is None  # two strikes stand
    # Reversing the first notice too: one strike left, the restriction goes.
    ok(gql(services, world["reviewer"], DECIDE, {"id": first["id"], "upheld": False}))
    assert status(services, world["bazaar"], "seller-1") == "WARNED"
    assert codes(gql(services, world["reviewer"], DECIDE,
                     {"id": first["id"], "upheld": False})) == ["CONFLICT"]


def test_a_restriction_ends_after_thirty_days_and_the_next_strike_still_bans(
    services: Services, world: dict[str, Any]
) -> None:
    from graph_api.workflow import sweep_command

    competitor_saw = status(services, world["acme"], "seller-1")
    uphold(services, world, "listing-1")
    second = uphold(services, world, "listing-2")
    assert status(services, world["bazaar"], "seller-1") == "RESTRICTED"
    until = next(p["until"] for p in second["penalties"] if p["kind"] == "RESTRICTION")
    assert sweep_command(services, "2026-12-01T10:59:59Z").startswith("upheld 0 notices")
    assert status(services, world["bazaar"], "seller-1") == "RESTRICTED"  # a second early
    line = sweep_command(services, "2026-12-01T11:00:00Z")
    assert line.endswith("; 1 restrictions served"), line
    assert status(services, world["bazaar"], "seller-1") == "WARNED"
    assert status(services, world["rival"], "seller-1") == "WARNED"  # the filing brand hears
    assert status(services, world["acme"], "seller-1") == competitor_saw  # a competitor does not
    served = ok(gql(services, world["rival"], PENALTIES, {"id": "seller-1"}))["penalties"]
    restriction = next(p for p in served if p["kind"] == "RESTRICTION")
    assert restriction["liftedAt"] == until
    again = sweep_command(services, "2026-12-02T11:00:00Z")
    assert again.endswith("as of 2026-12-02T11:00:00+00:00"), again  # served once only
    uphold(services, world, "listing-3")  # two strikes stand: the third bans
    assert status(services, world["bazaar"], "seller-1") == "BANNED"
