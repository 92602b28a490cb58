"""The operations of the non-interference machine: GraphQL documents and strategies.

Each operation is run by the principal that would run it on the server. Which
world receives it is decided by ``noninterference_world.sees`` on the fact it
leaves behind (a report's marking and sharing, a notice's filing brand and
marking, a case's marking and sharing), never by what the product code does.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import strategies as st

from tests.security.noninterference_battery import NOTICE, RIGHT
from tests.security.noninterference_world import (
    BASE_LISTINGS,
    BASE_RELATIONS,
    BRANDS,
    KINDS,
    POOL_RELATIONS,
    REPORTERS,
    entity_input,
)
from tests.security.test_leak_matrix import CASE, TEST_BUY

__all__ = ["MARKINGS", "SWARMED", "probe", "probes", "report_inputs", "swarm", "swarms"]

MARKINGS = ("CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED")
STATUSES = {
    "SELLER": ("ACTIVE", "WARNED", "BANNED"), "STOREFRONT": ("OPEN", "CLOSED"),
    "LISTING": ("LIVE", "DELISTED"), "WAREHOUSE": ("OPERATING", "RAIDED"),
    "FACTORY": ("OPERATING", "CLOSED"), "RING": ("SUSPECTED", "DISMANTLED"),
}
PUBLIC = {"SELLER": ("BANNED", "ACTIVE"), "STOREFRONT": ("CLOSED", "OPEN"),
          "LISTING": ("DELISTED", "LIVE")}
REGIONS = ("Pearl River Delta", "Fujian", "Secret Region")
NAMED = sorted(k for k, kind in KINDS.items() if kind != "IDENTIFIER")
BASE_NAMED = sorted({e for _, a, b in BASE_RELATIONS for e in (a, b)} - {"p1"})
PUBLISHABLE = sorted(k for k in BASE_NAMED if KINDS[k] in PUBLIC)

SUBMIT = """mutation Report($r: ReportInput!) { submitReport(input: $r) {
  reportId entities relations created } }"""
FILE = "mutation File($i: NoticeInput!) { fileNotice(input: $i) { %s } }" % NOTICE
WITHDRAW = "mutation Withdraw($id: ID!) { withdrawNotice(id: $id) { %s } }" % NOTICE
REFUTE = """mutation Refute($id: ID!) { refuteNotice(id: $id, statement: "genuine goods") {
  id status } }"""
DECIDE = """mutation Decide($id: ID!, $up: Boolean!) {
  decideNotice(id: $id, upheld: $up, reason: "reviewed") { id status } }"""
DECIDE_LISTINGS = """mutation DecideListings($id: ID!, $l: [ID!]!, $up: Boolean!) {
  decideListings(notice: $id, listings: $l, upheld: $up, reason: "reviewed") { id status } }"""
COUNTER = """mutation Counter($id: ID!, $l: [ID!]!) { fileCounterNotice(notice: $id, listings: $l,
  statement: "licensed stock", evidence: [{kind: "invoice", sha256: "%s"}]) { id status } }""" % (
    "e" * 64)
APPEAL_PENALTY = """mutation Appeal($p: ID!) { appealPenalty(penalty: $p,
  statement: "wrongly struck") { id status } }"""
DECIDE_APPEAL = """mutation DecideAppeal($id: ID!, $up: Boolean!) {
  decideAppeal(id: $id, upheld: $up, reason: "reviewed") { id status } }"""
REGISTER = "mutation Register($i: RightInput!) { registerRight(input: $i) { %s } }" % RIGHT
VERIFY = """mutation Verify($id: ID!, $ok: Boolean!) {
  verifyRight(id: $id, verified: $ok, reason: "registry checked") { id status } }"""
# The platform's own penalties (what its reviewer may appeal), read in world A.
PLATFORM_PENALTIES = "query Penalties { notices(first: 1000) { penalties { id kind liftedAt } } }"
REASONS = ("COUNTERFEIT", "TRADEMARK_MISUSE", "DESIGN_COPY", "COPYRIGHT_IMAGE",
           "UNAUTHORISED_SALE")
BUY = "mutation Buy($i: TestBuyInput!) { recordTestBuy(input: $i) { %s } }" % TEST_BUY
OPEN_CASE = "mutation Open($i: CaseInput!) { openCase(input: $i) { %s } }" % CASE
OUTCOME = """mutation Outcome($id: ID!, $i: CaseOutcomeInput!) {
  addCaseOutcome(id: $id, input: $i) { %s } }""" % CASE
EXPORT = """mutation Export($id: ID!) { exportCase(id: $id, recipient: "Court") {
  id createdAt files { name sha256 bytes } manifestSha256 downloadUrl case { id } } }"""
PUBLISH = """mutation Publish($e: ID!, $s: String!, $r: String) {
  publish(entity: $e, status: $s, reason: $r) { id entity { id } status publishedAt reason } }"""
# What another org reads (A only): each leaves an audit record of that org.
OTHER_READS = (
    ("rival", "{ me { id } }"), ("trusty", "{ alerts { id } }"),
    ("acme:admin", "{ auditLog(first: 5) { seq } }"), ("bazaar:reviewer", "{ notices { id } }"),
    ("police:liaison", "{ cases { id } }"), ("bazaar:admin", "{ auditLog(first: 5) { seq } }"),
)


@st.composite
def entity_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A named entity with what a report may say of it."""
    entity_id = draw(st.sampled_from(NAMED))
    kind = KINDS[entity_id]
    out: dict[str, Any] = {"id": entity_id, "kind": kind}
    statuses = STATUSES.get(kind)
    if statuses and draw(st.booleans()):
        out["status"] = draw(st.sampled_from(statuses))
    if draw(st.booleans()):
        out["name"] = draw(st.sampled_from(["Alias A", "Shoe King II"]))
    if draw(st.booleans()):
        out["region"] = draw(st.sampled_from(REGIONS))
    if draw(st.booleans()):
        out["properties"] = {"note": draw(st.sampled_from(["n1", "n2"]))}
    return out


@st.composite
def report_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A report's body (its reporter and id are the rule's): a few entities and
    relations of the pool, every end of a relation among its entities."""
    entities = {e["id"]: e for e in draw(st.lists(entity_inputs(), max_size=2))}
    relations = draw(st.lists(st.sampled_from(POOL_RELATIONS + BASE_RELATIONS), max_size=3,
                              unique=True))
    for _, a, b in relations:
        for end in (a, b):
            entities.setdefault(end, entity_input(end))
    if not entities:
        entities["l1"] = {"id": "l1", "kind": "LISTING"}
    return {
        "source": draw(st.sampled_from(["OSINT", "INVESTIGATION", "TEST_BUY"])),
        "confidence": draw(st.sampled_from([0.5, 0.9])),
        "entities": sorted(entities.values(), key=lambda e: e["id"]),
        "relations": [
            {"kind": k, "from": a, "to": b,
             **({"confidence": c} if (c := draw(st.sampled_from([None, 0.4, 0.95]))) else {})}
            for k, a, b in relations
        ],
    }


def marking_and_sharing(
    markings: tuple[str, ...] = MARKINGS,
) -> st.SearchStrategy[tuple[str, list[str]]]:
    return st.tuples(st.sampled_from(markings),
                     st.lists(st.sampled_from(REPORTERS), max_size=1, unique=True))


# Competitors' intelligence is what must not leak: a link or a claim is RED or
# AMBER_STRICT more often than not.
SECRET_LEANING = ("RED", "AMBER_STRICT", "AMBER", "RED", "AMBER_STRICT", "GREEN", "CLEAR")


listings = st.lists(st.sampled_from(BASE_LISTINGS), min_size=1, max_size=2, unique=True)
reporters = st.sampled_from(REPORTERS)
brands = st.sampled_from(BRANDS)
buyers = st.sampled_from(REPORTERS)  # every org's investigator may test-buy
case_entities = st.lists(st.sampled_from(BASE_NAMED), min_size=1, max_size=3, unique=True)
outcomes = st.tuples(st.sampled_from(["ARREST", "SEIZURE", "CLOSURE", "RAID"]),
                     st.sampled_from([None, *BASE_NAMED]))
publications = st.sampled_from([(e, s) for e in PUBLISHABLE for s in PUBLIC[KINDS[e]]])
other_reads = st.sampled_from(OTHER_READS)
reasons = st.sampled_from(REASONS)
# A status claim that workflows and detection act on (a ban, a closure, a delisting, a
# raid), and one relation of the pool: short reports, so hidden facts come often.
CLAIMS = [(e, s) for e in NAMED for s in {"SELLER": ("BANNED", "ACTIVE"),
                                         "STOREFRONT": ("CLOSED",), "LISTING": ("DELISTED",),
                                         "WAREHOUSE": ("RAIDED",)}.get(KINDS[e], ())]
claims = st.sampled_from(CLAIMS)
links = st.lists(st.sampled_from(POOL_RELATIONS), min_size=1, max_size=3, unique=True)
subsets = st.integers(1, 3)  # a non-empty subset of a notice's listings, as a bit mask
# The rules an example may run besides the sweep (noninterference_machine.swarmed).
SWARMED = ("report", "claim_status", "link", "test_buy", "someone_reads", "register_right",
           "verify_right", "file_notice", "file_and_decide", "withdraw_notice", "refute_notice",
           "decide_notice", "decide_listings", "counter_notice", "appeal_penalty", "decide_appeal",
           "open_case", "case_outcome", "export_case", "publish")


def swarm(seed: int) -> frozenset[str]:
    """Each rule in or out with even odds, from one seed (hypothesis's own booleans lean
    to False, its simplest value, which would leave most examples nearly empty)."""
    rng = random.Random(seed)
    return frozenset(name for name in SWARMED if rng.random() < 0.5)


swarms = st.integers(0, 2**32 - 1)
right_holders = st.sampled_from(BRANDS)
sharing = st.lists(st.sampled_from(REPORTERS), max_size=1, unique=True)
hours = st.sampled_from([24, 80, 31 * 24])
indexes = st.integers(0, 40)

# -- the battery's arguments -----------------------------------------------------
ENTITY_IDS = [*sorted(KINDS), "nope"]
PENALISED = sorted(k for k, v in KINDS.items() if v in ("SELLER", "STOREFRONT", "LISTING"))
SOURCES = [*sorted(k for k, v in KINDS.items() if v in ("WAREHOUSE", "FACTORY")), "l1", "nope"]


def probe(seed: int) -> dict[str, Any]:
    """Arguments of one battery, symbolic (pool ids, identifiers by handle; indexes
    into the notices, cases, test buys made so far, any org's), from one seed: a
    failing step shows one number, and shrinking has one choice per step to try."""
    rng = random.Random(seed)
    ids = ENTITY_IDS
    pick = rng.choice
    return {
        "e1": pick(ids),
        "kind": pick([None, "SELLER", "STOREFRONT", "LISTING", "WAREHOUSE"]),
        "search": pick([None, "King", "s", "Alias"]),
        "region": pick([None, *REGIONS]),
        "status": pick([None, "BANNED", "CLOSED", "DELISTED", "NOTIFIED", "WARNED",
                        "RESTRICTED", "LIVE", "RAIDED"]),
        "first": pick([0, 1, 3, 50]),
        "after": pick([None, rng.randrange(1000)]),  # a cursor C was given
        "from": pick(ids), "to": pick(ids),
        "depth": rng.randint(1, 6), "conf": pick([0.0, 0.5, 0.9]),
        "brand": pick([None, "b-acme", "b-rival", "b-trusty", "nope"]),
        "seeds": rng.sample(ids, rng.randint(1, 2)),
        "hops": rng.randint(1, 3),
        "relKinds": pick([None, ["SHIPS_FROM", "SUPPLIED_BY"], ["USES"], ["OPERATES", "LISTS"]]),
        "limit": pick([3, 2000]),
        "minSize": rng.randint(1, 3),
        "noticeStatus": pick([None, "OPEN", "REFUTED", "UPHELD", "WITHDRAWN", "REVERSED"]),
        "noticeAfter": pick([None, rng.randrange(1000)]),
        "notice": rng.randrange(1000),
        "statsBrand": pick([None, *BRANDS, "nobody"]),
        "alertKind": pick([None, "RECIDIVISM", "NEW_SOURCE", "RING_GROWTH"]),
        "case": rng.randrange(1000),
        "penaltyOf": pick(PENALISED),
        "buysOf": pick([None, *BASE_LISTINGS]),
        "auditAfter": rng.randrange(150),
        "node": rng.randrange(1000),
        "rightsHolder": pick([None, *BRANDS, "police"]),
        "rightStatus": pick([None, "PENDING", "VERIFIED", "REJECTED", "EXPIRED"]),
        "appealStatus": pick([None, "OPEN", "UPHELD", "REJECTED"]),
        "since": pick([None, "2026-11-01T09:00:00+00:00", "2026-11-05T00:00:00+00:00"]),
        "budget": rng.randint(1, 3),
        "candidates": pick([None, rng.sample(SOURCES, rng.randint(1, 3))]),
        "remove": rng.sample(ids, rng.randint(1, 2)),
    }


probes = st.integers(0, 2**32 - 1)

