"""The notice lifecycle with an injected clock: file, refute, decide, sweep, withdraw."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from graph_api.services import Services
from graph_api.workflow import sweep
from tests.workflow.support import NOTICE_FIELDS, codes, gql, later, ok

FILE = "mutation($input: NoticeInput!) { fileNotice(input: $input) { %s } }" % NOTICE_FIELDS
REFUTE = """mutation($id: ID!) { refuteNotice(id: $id, statement: "authentic stock",
  evidence: [{kind: "invoice", sha256: "%s"}]) { %s } }""" % ("cd" * 32, NOTICE_FIELDS)
DECIDE = """mutation($id: ID!, $upheld: Boolean!) {
  decideNotice(id: $id, upheld: $upheld, reason: "reviewed") { %s } }""" % NOTICE_FIELDS
WITHDRAW = "mutation($id: ID!) { withdrawNotice(id: $id) { %s } }" % NOTICE_FIELDS
NOTICE = "query($id: ID!) { notice(id: $id) { %s } }" % NOTICE_FIELDS
STATUS = "query($id: ID!) { entity(id: $id) { status } }"


def file(services: Services, scope: Any, *listings: str, **extra: Any) -> dict[str, Any]:
    variables = {"input": {"listings": list(listings), "grounds": "fake logo", **extra}}
    notice: dict[str, Any] = ok(gql(services, scope, FILE, variables))["fileNotice"]
    return notice


def status(services: Services, scope: Any, entity: str) -> str | None:
    found = ok(gql(services, scope, STATUS, {"id": entity}))["entity"]
    return None if found is None else found["status"]


def kinds(notice: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((p["kind"], p["subject"]["id"]) for p in notice["penalties"])


def test_file_refute_decide(services: Services, world: dict[str, Any]) -> None:
    notice = file(services, world["rival"], "listing-1")
    assert notice["status"] == "OPEN" and notice["brand"] == {"id": "rival"}
    assert notice["refuteBy"] == "2026-11-04T09:00:00+00:00"
    assert notice["listings"] == [{"id": "listing-1", "status": "NOTIFIED"}]
    assert notice["penalties"] == []  # an untrusted notifier: nothing until the decision

    later(services.clock, days=1)
    refuted = ok(gql(services, world["reviewer"], REFUTE, {"id": notice["id"]}))["refuteNotice"]
    assert (refuted["status"], refuted["refutation"]) == ("REFUTED", "authentic stock")

    decided = ok(gql(services, world["reviewer"], DECIDE, {"id": notice["id"], "upheld": True}))
    upheld = decided["decideNotice"]
    assert upheld["status"] == "UPHELD" and upheld["decidedAt"] == "2026-11-02T09:00:00+00:00"
    assert upheld["listings"] == [{"id": "listing-1", "status": "DELISTED"}]
    assert kinds(upheld) == [
        ("BUYER_REIMBURSEMENT", "listing-1"), ("DELISTED", "listing-1"),
        ("STRIKE", "seller-1"), ("WARNING", "seller-1"),
    ]
    assert status(services, world["bazaar"], "seller-1") == "WARNED"
    assert status(services, world["rival"], "seller-1") == "WARNED"  # shared with the filer
    assert status(services, world["acme"], "seller-1") == "ACTIVE"  # a competitor: not shared
    # The effects are ordinary reports, with provenance: each org's ledger its own RED
    # assertions (source NOTICE); the delisting, published by the platform's policy, a
    # CLEAR assertion of the platform that every org reads.
    q = """query($id: ID!) { entity(id: $id) { assertions { reportId reportedBy { id } source
      marking } } }"""
    for org in ("bazaar", "rival"):
        seller = ok(gql(services, world[org], q, {"id": "seller-1"}))["entity"]["assertions"]
        assert {"reportId": f"notice-{notice['id']}-3-upheld", "reportedBy": {"id": org},
                "source": "NOTICE", "marking": "RED"} in seller, org
    listing = ok(gql(services, world["acme"], q, {"id": "listing-1"}))["entity"]["assertions"]
    assert [(a["reportedBy"], a["source"], a["marking"]) for a in listing][-1] == (
        {"id": "bazaar"}, "PLATFORM_DATA", "CLEAR")


def test_sweep_upholds_unrefuted_notices_past_the_deadline(
    services: Services, world: dict[str, Any]
) -> None:
    open_one = file(services, world["rival"], "listing-1")
    refuted = file(services, world["rival"], "listing-2")
    ok(gql(services, world["reviewer"], REFUTE, {"id": refuted["id"]}))
    deadline = services.clock() + timedelta(days=3)
    assert sweep(services, deadline - timedelta(seconds=1)) == 0
    assert sweep(services, deadline) == 1
    assert sweep(services, deadline + timedelta(days=1)) == 0
    swept = ok(gql(services, world["rival"], NOTICE, {"id": open_one["id"]}))["notice"]
    assert swept["status"] == "UPHELD" and swept["decidedAt"] == deadline.isoformat()
    assert ("DELISTED", "listing-1") in kinds(swept)
    waiting = ok(gql(services, world["rival"], NOTICE, {"id": refuted["id"]}))["notice"]
    assert waiting["status"] == "REFUTED"  # a refuted notice waits for the decision


def test_withdraw_restores_the_listing(services: Services, world: dict[str, Any]) -> None:
    notice = file(services, world["rival"], "listing-3")
    gone = ok(gql(services, world["rival"], WITHDRAW, {"id": notice["id"]}))["withdrawNotice"]
    assert gone["status"] == "WITHDRAWN"
    assert gone["listings"] == [{"id": "listing-3", "status": "LIVE"}]
    assert codes(gql(services, world["rival"], WITHDRAW, {"id": notice["id"]})) == ["CONFLICT"]
    assert sweep(services, services.clock() + timedelta(days=30)) == 0


def test_trusted_notifier_delists_at_filing_and_reversal_reinstates(
    services: Services, world: dict[str, Any]
) -> None:
    notice = file(services, world["acme"], "listing-1")
    assert notice["listings"] == [{"id": "listing-1", "status": "DELISTED"}]
    assert kinds(notice) == [("DELISTED", "listing-1")]
    assert status(services, world["bazaar"], "listing-1") == "DELISTED"

    upheld = ok(gql(services, world["reviewer"], DECIDE, {"id": notice["id"], "upheld": True}))
    assert ("STRIKE", "seller-1") in kinds(upheld["decideNotice"])
    reversed_ = ok(gql(services, world["reviewer"], DECIDE,
                       {"id": notice["id"], "upheld": False}))["decideNotice"]
    assert reversed_["status"] == "REVERSED"
    assert reversed_["listings"] == [{"id": "listing-1", "status": "LIVE"}]
    assert all(p["liftedAt"] for p in reversed_["penalties"]
               if p["kind"] in ("DELISTED", "STRIKE", "WARNING", "BUYER_REIMBURSEMENT"))
    assert status(services, world["bazaar"], "seller-1") == "ACTIVE"
    assert status(services, world["acme"], "listing-1") == "LIVE"


def test_rejecting_an_open_trusted_notice_reinstates(
    services: Services, world: dict[str, Any]
) -> None:
    notice = file(services, world["acme"], "listing-2")
    rejected = ok(gql(services, world["reviewer"], DECIDE,
                      {"id": notice["id"], "upheld": False}))["decideNotice"]
    assert rejected["status"] == "REVERSED"
    assert rejected["listings"] == [{"id": "listing-2", "status": "LIVE"}]
    assert status(services, world["bazaar"], "seller-1") == "ACTIVE"


def test_two_notices_on_one_listing_keep_it_delisted(
    services: Services, world: dict[str, Any]
) -> None:
    first = file(services, world["acme"], "listing-4")
    file(services, world["rival"], "listing-4")
    ok(gql(services, world["reviewer"], DECIDE, {"id": first["id"], "upheld": False}))
    assert status(services, world["bazaar"], "listing-4") == "NOTIFIED"  # rival's is still open


NOTICES = """query($status: NoticeStatus, $after: String) {
  notices(status: $status, first: 2, after: $after) { id status } }"""


def test_notices_page_and_filter(services: Services, world: dict[str, Any]) -> None:
    ids = []
    for listing in ("listing-1", "listing-2", "listing-3"):
        ids.append(file(services, world["rival"], listing)["id"])
        later(services.clock, minutes=1)
    page = ok(gql(services, world["rival"], NOTICES, {}))["notices"]
    assert [n["id"] for n in page] == ids[:2]
    rest = ok(gql(services, world["rival"], NOTICES, {"after": page[-1]["id"]}))["notices"]
    assert [n["id"] for n in rest] == ids[2:]
    ok(gql(services, world["rival"], WITHDRAW, {"id": ids[1]}))
    withdrawn = ok(gql(services, world["bazaar"], NOTICES, {"status": "WITHDRAWN"}))["notices"]
    assert [n["id"] for n in withdrawn] == [ids[1]]
    assert ok(gql(services, world["acme"], NOTICES, {}))["notices"] == []


STATS = """query($brand: ID) { noticeStats(brand: $brand) {
  filed open refuted upheld reversed withdrawn medianTimeToTakedownSeconds accuracy } }"""


def test_notice_stats(services: Services, world: dict[str, Any]) -> None:
    a = file(services, world["rival"], "listing-1")
    b = file(services, world["rival"], "listing-2")
    file(services, world["rival"], "listing-3")
    later(services.clock, hours=2)
    ok(gql(services, world["reviewer"], DECIDE, {"id": a["id"], "upheld": True}))
    later(services.clock, hours=2)
    ok(gql(services, world["reviewer"], DECIDE, {"id": b["id"], "upheld": False}))
    stats = ok(gql(services, world["rival"], STATS, {"brand": "rival"}))["noticeStats"]
    assert stats == {"filed": 3, "open": 1, "refuted": 0, "upheld": 1, "reversed": 1,
                     "withdrawn": 0, "medianTimeToTakedownSeconds": 7200.0, "accuracy": 0.5}
    platform = ok(gql(services, world["bazaar"], STATS, {}))["noticeStats"]
    assert platform["filed"] == 3
    # Another brand counts only what it may see: nothing of rival's AMBER notices.
    assert ok(gql(services, world["acme"], STATS, {"brand": "rival"}))["noticeStats"]["filed"] == 0


def test_sweep_command_and_background_task(services: Services, world: dict[str, Any]) -> None:
    import asyncio

    from graph_api.workflow import sweep_command, sweep_forever

    file(services, world["rival"], "listing-1")
    assert sweep_command(services, "2026-11-04T08:59:59") == (
        "upheld 0 notices past their deadline as of 2026-11-04T08:59:59+00:00")
    assert sweep_command(services, "2026-11-04T09:00:00Z").startswith("upheld 1 notices")
    file(services, world["rival"], "listing-2")
    later(services.clock, days=4)

    async def tick() -> None:
        task = asyncio.create_task(sweep_forever(services, every=0.01))
        await asyncio.sleep(0.2)
        task.cancel()

    asyncio.run(tick())
    upheld = ok(gql(services, world["bazaar"], '{ notices(status: UPHELD) { id } }'))["notices"]
    assert len(upheld) == 2
