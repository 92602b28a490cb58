"""The leak matrix for the rights holder's desk: rights, per-listing outcomes,
counter-notices, appeals and notifier stats (issue 24; DESIGN "Rights and notices at
scale"). Twin stores as in test_leak_matrix.py, with the desk's secrets added: a
right Rival keeps to itself, Rival's RED bulk notice (decided listing by listing,
counter-noticed, a penalty of it appealed), and Acme's right shared with Rival.
Every answer of the caller must be equal with and without what it may not read.
"""

from __future__ import annotations

from typing import Any

import pytest

from graph_api.services import Services
from graph_api.workflow import appeals as wf_appeals
from graph_api.workflow import notices as wf_notices
from graph_api.workflow import rights as wf_rights
from graph_api.workflow.runtime import workflow_for
from tests.security.conftest import MakeTwins
from tests.security.support import Scopes, Secret, Twins, phase_uuid
from tests.security.world import SECRETS, SHA

CALLERS = ["acme", "rival", "police", "bazaar"]
PROOF = [{"kind": "certificate", "sha256": SHA}]


def rival_right(services: Services, s: Scopes) -> None:
    """A right Rival shares with nobody: the platform and regulators read it, Acme not."""
    made = wf_rights.register_right(services, s["rival"], "DESIGN", "RCD-SECRET", "EU", ["18"],
                                    None, PROOF, [])
    wf_rights.verify_right(services, s["bazaar:reviewer"], made["id"], True, "checked")


def acme_shared_right(services: Services, s: Scopes) -> None:
    """Acme's right shared with Rival (every caller here may read it but none other)."""
    wf_rights.register_right(services, s["acme"], "TRADEMARK", "EU-ACME", "EU", ["25"], None,
                             PROOF, ["rival"])


def rival_bulk_notice(services: Services, s: Scopes) -> None:
    """Rival's RED notice of two listings: one upheld, one counter-noticed, then the
    notice decided; the strike it gave appealed and the appeal upheld."""
    reviewer = s["bazaar:reviewer"]
    doc = wf_notices.file_notice(services, s["rival"], ["listing-1", "listing-3"], "bulk",
                                 marking="RED")
    wf_notices.decide_listings(services, reviewer, doc["id"], ["listing-1"], True, "seen")
    wf_notices.counter_notice(services, reviewer, doc["id"], ["listing-3"], "licence", PROOF)
    wf_notices.decide_notice(services, reviewer, doc["id"], True, "rejected the counter")
    strikes = [r.doc for r in workflow_for(services).records.find(
        "penalty", term=f"notice:bazaar:{doc['id']}") if r.doc["kind"] == "STRIKE"]
    for strike in strikes[:1]:
        appeal = wf_appeals.appeal_penalty(services, reviewer, strike["id"], "first time", PROOF)
        wf_appeals.decide_appeal(services, reviewer, appeal["id"], True, "granted")


DESK_SECRETS = [
    Secret("rival-right", frozenset({"rival", "bazaar", "police"}), rival_right),
    Secret("acme-shared-right", frozenset({"acme", "rival", "bazaar", "police"}),
           acme_shared_right),
    Secret("rival-bulk-notice", frozenset({"rival", "bazaar"}), rival_bulk_notice),
]


def hidden_ids() -> dict[str, str]:
    """Ids the secret phases make (deterministic per phase), and missing ones alike."""
    notice = f"ntc-{phase_uuid('secret-rival-bulk-notice').hex[:20]}"
    return {
        "right": f"right-{phase_uuid('secret-rival-right').hex[:20]}",
        "notice": notice,
        "appeal": f"apl-{phase_uuid('secret-rival-bulk-notice', 2).hex[:20]}",
        "strike": f"bazaar/{notice}.STRIKE.seller-1",
        "missing-right": "right-00000000000000000000",
        "missing-appeal": "apl-00000000000000000000",
    }


@pytest.fixture
def desk_twins(twins_for: MakeTwins) -> Any:
    return lambda caller: twins_for(caller, [*SECRETS, *DESK_SECRETS])


RIGHT = "id kind registration jurisdiction goodsClasses validUntil status reason holder { id } " \
        "evidence { kind sha256 }"
OUTCOMES = """id status reasonCode rights { id } outcomes { listing { id } status refuteBy
  decidedAt reason } counterNotices { id listings { id } statement filedAt }
  penalties { id kind subject { id } liftedAt }"""


@pytest.mark.parametrize("caller", CALLERS)
def test_rights(desk_twins: Any, caller: str) -> None:
    twins: Twins = desk_twins(caller)
    for holder in (None, "acme", "rival", "no-such-org"):
        for status in (None, "PENDING", "VERIFIED", "REJECTED", "EXPIRED"):
            twins.same("query($h: ID, $s: RightStatus) { rights(holder: $h, status: $s) { %s } }"
                       % RIGHT, {"h": holder, "s": status})
    ids = hidden_ids()
    for right_id in (ids["right"], ids["missing-right"]):
        twins.same("query($id: ID!) { node(id: $id) { id ... on Right { status } } }",
                   {"id": right_id})
        twins.same("""mutation($id: ID!) { verifyRight(id: $id, verified: false, reason: "r") {
            id status } }""", {"id": right_id}, as_="bazaar:reviewer" if caller == "bazaar"
                   else caller)


@pytest.mark.parametrize("caller", CALLERS)
def test_outcomes_appeals_and_stats(desk_twins: Any, caller: str) -> None:
    twins: Twins = desk_twins(caller)
    twins.same("{ notices(first: 100) { %s } }" % OUTCOMES)
    for status in (None, "OPEN", "UPHELD", "REJECTED"):
        twins.same("""query($s: AppealStatus) { appeals(status: $s) { id status statement
            filedAt decidedAt reason penalty { id kind liftedAt } } }""", {"s": status})
    for org in (None, "acme", "rival", "trusty", "bazaar", "no-such-org"):
        for since in (None, "2026-01-01T00:00:00+00:00", "2030-01-01T00:00:00+00:00"):
            twins.same("""query($o: ID, $since: DateTime) { notifierStats(org: $o, since: $since) {
                org { id } since notices listings upheld reversed withdrawn accuracy
                medianHoursToDecision trusted } }""", {"o": org, "since": since})
    ids = hidden_ids()
    for appeal_id in (ids["appeal"], ids["missing-appeal"]):
        twins.same("query($id: ID!) { node(id: $id) { id ... on Appeal { status } } }",
                   {"id": appeal_id})


@pytest.mark.parametrize("caller", CALLERS)
def test_desk_mutations_on_hidden_records(desk_twins: Any, caller: str) -> None:
    """Every desk mutation naming a record the caller may not read is refused exactly as
    for one that does not exist, and changes nothing the caller can see."""
    twins: Twins = desk_twins(caller)
    actor = "bazaar:reviewer" if caller == "bazaar" else caller
    ids = hidden_ids()
    for notice_id in (ids["notice"], "ntc-missing"):
        twins.same("""mutation($n: ID!) { decideListings(notice: $n, listings: ["listing-1"],
            upheld: false, reason: "r") { id status } }""", {"n": notice_id}, as_=actor)
        twins.same("""mutation($n: ID!, $e: [EvidenceInput!]) { fileCounterNotice(notice: $n,
            listings: ["listing-1"], statement: "s", evidence: $e) { id status } }""",
                   {"n": notice_id, "e": PROOF}, as_=actor)
    for penalty_id in (ids["strike"], "bazaar/ntc-missing.STRIKE.seller-1"):
        twins.same("""mutation($p: ID!, $e: [EvidenceInput!]) { appealPenalty(penalty: $p,
            statement: "s", evidence: $e) { id status } }""", {"p": penalty_id, "e": PROOF},
                   as_=actor)
    for appeal_id in (ids["appeal"], ids["missing-appeal"]):
        twins.same("""mutation($id: ID!) { decideAppeal(id: $id, upheld: true, reason: "r") {
            id status } }""", {"id": appeal_id}, as_=actor)
    twins.same("""mutation($i: RightInput!) { registerRight(input: $i) { %s } }""" % RIGHT,
               {"i": {"kind": "COPYRIGHT", "registration": "C-1", "jurisdiction": "US",
                      "goodsClasses": ["9"], "validUntil": "2031-01-01T00:00:00+00:00",
                      "evidence": PROOF, "sharedWith": ["police"]}})
    if caller in ("acme", "rival"):  # a notice citing a hidden right: refused as a missing one
        for right_id in (ids["right"], ids["missing-right"]):
            twins.same("""mutation($i: NoticeInput!) { fileNotice(input: $i) { id status } }""",
                       {"i": {"listings": ["listing-2"], "grounds": "g", "rights": [right_id],
                              "reasonCode": "COUNTERFEIT"}})
    twins.same("{ rights { id status } notices(first: 100) { id status } }")


def test_every_desk_argument_is_asked() -> None:
    """Runs last in this file: every argument and input field of the desk's fields was sent
    by a twin query above."""
    from tests.security.coverage import EXERCISED
    from tests.security.test_leak_matrix import desk_arguments

    if not any(a.startswith("Query.rights") for a in EXERCISED):
        pytest.skip("the desk's leak tests above did not run (run the whole file)")
    missing = sorted(desk_arguments() - EXERCISED)
    assert not missing, "no desk leak test sends: " + ", ".join(missing)
