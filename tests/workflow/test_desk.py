"""The rights holder's desk: rights, bulk notices with per-listing outcomes, counter-notices,
appeals and notifier accuracy (issue 24; DESIGN "Rights and notices at scale")."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from graph_api.services import Services
from graph_api.workflow import sweep
from tests.workflow.support import codes, gql, later, ok
from tests.workflow.test_notices import DECIDE, status

SHA = "ab" * 32
REGISTER = """mutation($i: RightInput!) { registerRight(input: $i) {
  id kind registration jurisdiction goodsClasses validUntil status reason holder { id }
  evidence { kind sha256 } } }"""
VERIFY = """mutation($id: ID!, $ok: Boolean!) { verifyRight(id: $id, verified: $ok,
  reason: "registry checked") { id status reason } }"""
RIGHTS = """query($h: ID, $s: RightStatus) { rights(holder: $h, status: $s) { id status
  holder { id } } }"""
OUTCOMES = """id status decidedAt reasonCode rights { id }
  outcomes { listing { id } status refuteBy decidedAt reason }
  counterNotices { id listings { id } statement evidence { sha256 } filedAt }
  penalties { id kind subject { id } liftedAt }"""
FILE = "mutation($i: NoticeInput!) { fileNotice(input: $i) { %s } }" % OUTCOMES
DECIDE_LISTINGS = """mutation($n: ID!, $l: [ID!]!, $up: Boolean!) { decideListings(notice: $n,
  listings: $l, upheld: $up, reason: "reviewed") { %s } }""" % OUTCOMES
COUNTER = """mutation($n: ID!, $l: [ID!]!) { fileCounterNotice(notice: $n, listings: $l,
  statement: "we hold a licence", evidence: [{kind: "licence", sha256: "%s"}]) { %s } }""" % (
    SHA, OUTCOMES)
APPEAL = """mutation($p: ID!) { appealPenalty(penalty: $p, statement: "first offence",
  evidence: [{kind: "letter", sha256: "%s"}]) { id status penalty { id kind } } }""" % SHA
DECIDE_APPEAL = """mutation($id: ID!, $up: Boolean!) { decideAppeal(id: $id, upheld: $up,
  reason: "on review") { id status decidedAt reason penalty { id kind liftedAt } } }"""
APPEALS = "query($s: AppealStatus) { appeals(status: $s) { id status penalty { id kind } } }"
STATS = """query($o: ID) { notifierStats(org: $o) { org { id } notices listings upheld reversed
  withdrawn accuracy medianHoursToDecision trusted } }"""
PENALTIES = "query($id: ID!) { penalties(entity: $id) { id kind liftedAt } }"


def right(services: Services, world: dict[str, Any], brand: str, verify: bool | None = True,
          **extra: Any) -> str:
    """A right of ``brand``, verified (or rejected, or left PENDING) by the reviewer."""
    given = {"kind": "TRADEMARK", "registration": f"EU-{brand}-001", "jurisdiction": "EU",
             "goodsClasses": ["25"], "evidence": [{"kind": "certificate", "sha256": SHA}],
             **extra}
    made = ok(gql(services, world[brand], REGISTER, {"i": given}))["registerRight"]
    if verify is not None:
        ok(gql(services, world["reviewer"], VERIFY, {"id": made["id"], "ok": verify}))
    return str(made["id"])


def required(services: Services) -> None:
    services.settings = replace(services.settings, notice_rights="required")


def notice(services: Services, scope: Any, *listings: str, **extra: Any) -> dict[str, Any]:
    variables = {"i": {"listings": list(listings), "grounds": "fake logo", **extra}}
    filed: dict[str, Any] = ok(gql(services, scope, FILE, variables))["fileNotice"]
    return filed


def test_rights_are_registered_verified_and_seen_by_their_audience(
    services: Services, world: dict[str, Any]
) -> None:
    pending = ok(gql(services, world["rival"], REGISTER, {"i": {
        "kind": "DESIGN", "registration": "RCD-0042", "jurisdiction": "EU",
        "goodsClasses": ["18", "25"], "validUntil": "2030-01-01T00:00:00+00:00",
        "evidence": [{"kind": "certificate", "sha256": SHA}]}}))["registerRight"]
    assert (pending["status"], pending["holder"], pending["goodsClasses"]) == (
        "PENDING", {"id": "rival"}, ["18", "25"])
    shared = right(services, world, "rival", sharedWith=["acme"])
    for who, seen in (("rival", 2), ("bazaar", 2), ("police", 2), ("acme", 1)):
        assert len(ok(gql(services, world[who], RIGHTS, {"h": "rival"}))["rights"]) == seen, who
    assert [r["id"] for r in ok(gql(services, world["acme"], RIGHTS, {}))["rights"]] == [shared]
    verified = ok(gql(services, world["police"], RIGHTS, {"s": "VERIFIED"}))["rights"]
    assert [r["id"] for r in verified] == [shared]
    # Only the platform's reviewer verifies, once; a hidden right answers like a missing one.
    assert codes(gql(services, world["rival"], VERIFY, {"id": pending["id"], "ok": True})) == [
        "FORBIDDEN"]
    assert codes(gql(services, world["reviewer"], VERIFY, {"id": shared, "ok": False})) == [
        "CONFLICT"]
    assert codes(gql(services, world["reviewer"], VERIFY, {"id": "right-none", "ok": True})) == [
        "NOT_FOUND"]
    # Platform and regulators register none; a right needs proof.
    for who in ("bazaar", "police"):
        assert codes(gql(services, world[who], REGISTER, {"i": {
            "kind": "PATENT", "registration": "x", "jurisdiction": "CN",
            "evidence": [{"kind": "c", "sha256": SHA}]}})) == ["FORBIDDEN"], who
    assert codes(gql(services, world["acme"], REGISTER, {"i": {
        "kind": "PATENT", "registration": "x", "jurisdiction": "CN", "evidence": []}})) == [
        "BAD_USER_INPUT"]
    # Relay: a right is a Node, read by node(id:) exactly as rights lists it.
    node = "query($id: ID!) { node(id: $id) { __typename id } }"
    assert ok(gql(services, world["police"], node, {"id": pending["id"]}))["node"] == {
        "__typename": "Right", "id": pending["id"]}
    assert ok(gql(services, world["acme"], node, {"id": pending["id"]}))["node"] is None


def test_a_notice_cites_a_verified_unexpired_right_of_its_brand_and_a_reason(
    services: Services, world: dict[str, Any]
) -> None:
    required(services)
    good = right(services, world, "rival")
    pending = right(services, world, "rival", verify=None)
    rejected = right(services, world, "rival", verify=False)
    acmes = right(services, world, "acme", sharedWith=["rival"])
    expiring = right(services, world, "rival",
                     validUntil=(services.clock() + timedelta(days=1)).isoformat())
    base = {"listings": ["listing-1"], "grounds": "fake logo"}
    refused = [
        ({}, "reasonCode"), ({"reasonCode": "COUNTERFEIT"}, "rights"),
        ({"reasonCode": "COUNTERFEIT", "rights": [pending]}, "PENDING"),
        ({"reasonCode": "COUNTERFEIT", "rights": [rejected]}, "REJECTED"),
        ({"reasonCode": "COUNTERFEIT", "rights": [acmes]}, "not a right of the filing brand"),
        ({"reasonCode": "COUNTERFEIT", "rights": ["right-none"]}, "no right"),
    ]
    for extra, why in refused:
        answer = gql(services, world["rival"], FILE, {"i": {**base, **extra}})
        assert codes(answer) == ["BAD_USER_INPUT"], extra
        assert why in answer["errors"][0]["message"], answer
    assert ok(gql(services, world["rival"], "{ notices { id } }"))["notices"] == []
    filed = notice(services, world["rival"], "listing-1", rights=[good, expiring],
                   reasonCode="TRADEMARK_MISUSE")
    assert filed["reasonCode"] == "TRADEMARK_MISUSE"
    assert [r["id"] for r in filed["rights"]] == [good, expiring]
    later(services.clock, days=2)  # past validUntil: the right reads EXPIRED and is refused
    statuses = {r["id"]: r["status"] for r in ok(gql(services, world["rival"], RIGHTS, {}))[
        "rights"]}
    assert statuses[expiring] == "EXPIRED"
    answer = gql(services, world["rival"], FILE, {"i": {
        **base, "listings": ["listing-2"], "reasonCode": "COUNTERFEIT", "rights": [expiring]}})
    assert "EXPIRED" in answer["errors"][0]["message"]
    # Optional policy: no right needed, but a cited one must still be VERIFIED.
    services.settings = replace(services.settings, notice_rights="optional")
    notice(services, world["rival"], "listing-2")
    assert codes(gql(services, world["rival"], FILE, {"i": {
        **base, "listings": ["listing-3"], "rights": [pending]}})) == ["BAD_USER_INPUT"]


def test_a_bulk_notice_decides_listing_by_listing_and_strikes_once(
    services: Services, world: dict[str, Any]
) -> None:
    filed = notice(services, world["rival"], "listing-1", "listing-2", "listing-3", "listing-9")
    assert [o["status"] for o in filed["outcomes"]] == ["OPEN"] * 4
    later(services.clock, hours=1)
    part = ok(gql(services, world["reviewer"], DECIDE_LISTINGS,
                  {"n": filed["id"], "l": ["listing-1", "listing-2"], "up": True}))
    part = part["decideListings"]
    assert part["status"] == "OPEN"  # two outcomes are still open
    assert [o["status"] for o in part["outcomes"]] == ["UPHELD", "UPHELD", "OPEN", "OPEN"]
    assert status(services, world["rival"], "listing-1") == "DELISTED"
    assert status(services, world["rival"], "listing-3") == "NOTIFIED"
    assert not [p for p in part["penalties"] if p["kind"] == "STRIKE"]  # not UPHELD yet
    assert codes(gql(services, world["reviewer"], DECIDE_LISTINGS,
                     {"n": filed["id"], "l": ["listing-4"], "up": True})) == ["BAD_USER_INPUT"]
    assert codes(gql(services, world["reviewer"], DECIDE_LISTINGS,
                     {"n": filed["id"], "l": ["listing-1"], "up": True})) == ["CONFLICT"]
    done = ok(gql(services, world["reviewer"], DECIDE, {"id": filed["id"], "upheld": True}))
    done = done["decideNotice"]
    assert done["status"] == "UPHELD"
    strikes = sorted(p["subject"]["id"] for p in done["penalties"] if p["kind"] == "STRIKE")
    assert strikes == ["seller-1", "seller-2"]  # three listings of seller-1: one strike
    assert status(services, world["rival"], "seller-1") == "WARNED"
    # Reversing one of seller-1's three listings leaves it a strike; reversing all lifts it.
    ok(gql(services, world["reviewer"], DECIDE_LISTINGS,
           {"n": filed["id"], "l": ["listing-1"], "up": False}))
    assert status(services, world["rival"], "seller-1") == "WARNED"
    assert status(services, world["rival"], "listing-1") == "LIVE"
    back = ok(gql(services, world["reviewer"], DECIDE_LISTINGS,
                  {"n": filed["id"], "l": ["listing-2", "listing-3"], "up": False}))
    back = back["decideListings"]
    assert back["status"] == "UPHELD"  # listing-9's outcome still stands
    assert status(services, world["rival"], "seller-1") == "ACTIVE"
    assert status(services, world["rival"], "seller-2") == "WARNED"
    too_many = [f"l-{i}" for i in range(301)]
    assert codes(gql(services, world["rival"], FILE, {"i": {
        "listings": too_many, "grounds": "x"}})) == ["LIMIT_EXCEEDED"]


def test_the_sweep_upholds_each_open_outcome_past_its_deadline(
    services: Services, world: dict[str, Any]
) -> None:
    filed = notice(services, world["rival"], "listing-1", "listing-2")
    ok(gql(services, world["reviewer"], COUNTER, {"n": filed["id"], "l": ["listing-2"]}))
    assert sweep(services, services.clock() + timedelta(days=3)) == 1
    swept = ok(gql(services, world["rival"], "query($id: ID!) { notice(id: $id) { %s } }"
                   % OUTCOMES, {"id": filed["id"]}))["notice"]
    assert [o["status"] for o in swept["outcomes"]] == ["UPHELD", "REFUTED"]
    assert swept["status"] == "REFUTED"


def test_a_counter_notice_and_a_reversal_reinstate_the_listing(
    services: Services, world: dict[str, Any]
) -> None:
    filed = notice(services, world["rival"], "listing-1")
    ok(gql(services, world["reviewer"], DECIDE, {"id": filed["id"], "upheld": True}))
    assert status(services, world["bazaar"], "seller-1") == "WARNED"
    countered = ok(gql(services, world["reviewer"], COUNTER,
                       {"n": filed["id"], "l": ["listing-1"]}))["fileCounterNotice"]
    assert countered["status"] == "REFUTED"
    assert countered["counterNotices"][0]["listings"] == [{"id": "listing-1"}]
    assert status(services, world["bazaar"], "listing-1") == "DELISTED"  # stands until decided
    assert codes(gql(services, world["rival"], COUNTER,
                     {"n": filed["id"], "l": ["listing-1"]})) == ["FORBIDDEN"]
    reversed_ = ok(gql(services, world["reviewer"], DECIDE_LISTINGS,
                       {"n": filed["id"], "l": ["listing-1"], "up": False}))["decideListings"]
    assert reversed_["status"] == "REVERSED"
    for who in ("rival", "bazaar", "police"):
        assert status(services, world[who], "listing-1") == "LIVE", who
        assert status(services, world[who], "seller-1") == "ACTIVE", who
    assert all(p["liftedAt"] for p in reversed_["penalties"])


def _platform_penalty(services: Services, world: dict[str, Any], kind: str) -> str:
    found = ok(gql(services, world["reviewer"], PENALTIES, {"id": "seller-1"}))["penalties"]
    return str(next(p["id"] for p in found if p["kind"] == kind and p["liftedAt"] is None))


def test_an_upheld_appeal_lifts_a_ban_everywhere_and_its_publication(
    services: Services, world: dict[str, Any]
) -> None:
    for listing in ("listing-1", "listing-2", "listing-3"):
        filed = notice(services, world["rival"], listing)
        later(services.clock, hours=1)
        ok(gql(services, world["reviewer"], DECIDE, {"id": filed["id"], "upheld": True}))
    assert status(services, world["acme"], "seller-1") == "BANNED"  # published
    ban = _platform_penalty(services, world, "BAN")
    assert ban.startswith("bazaar/")
    appeal = ok(gql(services, world["reviewer"], APPEAL, {"p": ban}))["appealPenalty"]
    assert appeal["status"] == "OPEN" and appeal["penalty"]["kind"] == "BAN"
    assert codes(gql(services, world["reviewer"], APPEAL, {"p": ban})) == ["CONFLICT"]
    # The filer's ledger holds the ban too, a competitor's does not: it hears nothing.
    assert [a["id"] for a in ok(gql(services, world["rival"], APPEALS, {}))["appeals"]] == [
        appeal["id"]]
    assert ok(gql(services, world["acme"], APPEALS, {}))["appeals"] == []
    node = "query($id: ID!) { node(id: $id) { __typename id } }"
    assert ok(gql(services, world["rival"], node, {"id": appeal["id"]}))["node"] == {
        "__typename": "Appeal", "id": appeal["id"]}
    assert ok(gql(services, world["acme"], node, {"id": appeal["id"]}))["node"] is None
    assert codes(gql(services, world["acme"], DECIDE_APPEAL,
                     {"id": appeal["id"], "up": True})) == ["FORBIDDEN"]
    decided = ok(gql(services, world["reviewer"], DECIDE_APPEAL,
                     {"id": appeal["id"], "up": True}))["decideAppeal"]
    assert decided["status"] == "UPHELD" and decided["penalty"]["liftedAt"]
    for who in ("bazaar", "rival", "police"):
        assert status(services, world[who], "seller-1") == "RESTRICTED", who
        assert status(services, world[who], "store-1") == "OPEN", who
    assert status(services, world["acme"], "seller-1") == "ACTIVE"  # the ban's withdrawal
    assert ok(gql(services, world["acme"], "{ nameAndShame { id } }"))["nameAndShame"] == []
    assert codes(gql(services, world["reviewer"], DECIDE_APPEAL,
                     {"id": appeal["id"], "up": False})) == ["CONFLICT"]


def test_an_appealed_strike_is_taken_back(services: Services, world: dict[str, Any]) -> None:
    filed = notice(services, world["rival"], "listing-1")
    ok(gql(services, world["reviewer"], DECIDE, {"id": filed["id"], "upheld": True}))
    strike = _platform_penalty(services, world, "STRIKE")
    appeal = ok(gql(services, world["reviewer"], APPEAL, {"p": strike}))["appealPenalty"]
    rejected = ok(gql(services, world["reviewer"], DECIDE_APPEAL,
                      {"id": appeal["id"], "up": False}))["decideAppeal"]
    assert rejected["status"] == "REJECTED"
    assert status(services, world["rival"], "seller-1") == "WARNED"
    again = ok(gql(services, world["reviewer"], APPEAL, {"p": strike}))["appealPenalty"]
    ok(gql(services, world["reviewer"], DECIDE_APPEAL, {"id": again["id"], "up": True}))
    for who in ("bazaar", "rival"):
        assert status(services, world[who], "seller-1") == "ACTIVE", who
    # Only the ladder's steps and strikes are appealed, and only the platform's own.
    delisting = next(p["id"] for p in ok(gql(services, world["reviewer"], PENALTIES,
                     {"id": "listing-1"}))["penalties"] if p["kind"] == "DELISTED")
    assert codes(gql(services, world["reviewer"], APPEAL, {"p": delisting})) == [
        "BAD_USER_INPUT"]
    rival_copy = f"rival/{strike.split('/', 1)[1]}"
    assert codes(gql(services, world["reviewer"], APPEAL, {"p": rival_copy})) == ["NOT_FOUND"]


def test_notifier_stats_and_the_good_faith_policy(
    services: Services, world: dict[str, Any]
) -> None:
    services.settings = replace(services.settings, trust_min_listings=3,
                                trust_min_accuracy=0.6)
    first = notice(services, world["rival"], "listing-1", "listing-2")
    later(services.clock, hours=2)
    ok(gql(services, world["reviewer"], DECIDE, {"id": first["id"], "upheld": True}))
    assert not ok(gql(services, world["rival"], STATS, {}))["notifierStats"][0]["trusted"]
    second = notice(services, world["rival"], "listing-3", "listing-9")
    later(services.clock, hours=4)
    ok(gql(services, world["reviewer"], DECIDE_LISTINGS,
           {"n": second["id"], "l": ["listing-3"], "up": True}))
    (row,) = ok(gql(services, world["rival"], STATS, {}))["notifierStats"]
    assert row == {"org": {"id": "rival"}, "notices": 2, "listings": 4, "upheld": 3,
                   "reversed": 0, "withdrawn": 0, "accuracy": 1.0,
                   "medianHoursToDecision": 2.0, "trusted": True}
    # Trusted now: the next notice delists at once.
    third = notice(services, world["rival"], "listing-4")
    assert status(services, world["rival"], "listing-4") == "DELISTED"
    for listing_notice in (third, second, second):  # listing-4; listing-9; then listing-3
        ok(gql(services, world["reviewer"], DECIDE, {"id": listing_notice["id"],
                                                    "upheld": False}))
    (row,) = ok(gql(services, world["rival"], STATS, {}))["notifierStats"]
    assert (row["upheld"], row["reversed"], row["trusted"]) == (2, 3, False)
    # A brand reads its own row only; the platform and regulators read every brand's.
    assert ok(gql(services, world["rival"], STATS, {"o": "acme"}))["notifierStats"] == []
    rows = ok(gql(services, world["police"], STATS, {}))["notifierStats"]
    assert [r["org"]["id"] for r in rows] == ["acme", "rival"]
    assert rows[0]["notices"] == 0 and rows[0]["accuracy"] is None
    log = [r.operation for r in services.store.audit_records()]
    assert "policy grant trusted rival" in log and "policy withdraw trusted rival" in log
