"""The leak matrix for evidence files and their custody (issue 24 item 6): twin stores as
in test_leak_matrix.py, with files attached to records each caller may or may not read —
Rival's RED notice, the counter-notice the platform recorded on Rival's bulk notice,
Rival's RED test buy, the police's secret case, and Acme's AMBER notice (which Rival may
not read) — each with custody recorded. ``evidence``, ``evidenceFiles``,
``attachEvidence`` and ``recordCustody`` must answer every caller alike with and without
what it may not read: an evidence id on a hidden record exactly like a missing one.

The files are handed to ``attachEvidence`` as ``api.uploads`` hands them (a staged upload
in the ``Upload`` variable), so the twins ask in process; the multipart request itself is
tested over HTTP in tests/e2e/test_evidence_upload.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from graph_api.services import Services
from graph_api.store.evidence_files import Staged
from graph_api.workflow import cases as wf_cases
from graph_api.workflow import evidence as wf_evidence
from graph_api.workflow.penalties import NOTICE
from graph_api.workflow.runtime import workflow_for
from tests.security.conftest import MakeTwins
from tests.security.support import Scopes, Secret, Twins, phase_uuid
from tests.security.test_desk_leaks import DESK_SECRETS
from tests.security.test_leak_matrix import SECRET_CASE, SECRET_NOTICES
from tests.security.world import SECRETS

CALLERS = ["acme", "rival", "police", "bazaar"]
ACTORS = {"acme": "acme", "rival": "rival", "police": "police:liaison",
          "bazaar": "bazaar:reviewer"}
FILE = """id name mediaType bytes sha256 attachedTo description attachedAt chainVerified
  downloadUrl attachedBy { id role org { id } }
  custody { action at holder location note recordedBy { id role org { id } } }"""


def staged(services: Services, data: bytes, name: str = "photo.jpg") -> Staged:
    upload = wf_evidence.evidence_folder(services).stage(name, "image/jpeg", 10**9)
    upload.write(data)
    upload.finish()
    return upload


def _attach(services: Services, s: Scopes, who: str, target: str, data: bytes) -> None:
    doc = wf_evidence.attach_evidence(services, s[who], target, staged(services, data),
                                      "secret file")
    wf_evidence.record_custody(services, s[who], doc["id"], "SAMPLE_RECEIVED", "secret holder",
                               "secret place", "secret note")
    wf_evidence.record_custody(services, s[who], doc["id"], "STORED", "locker", "basement")


def rival_notice_evidence(services: Services, s: Scopes) -> None:
    _attach(services, s, "rival", SECRET_NOTICES[0], b"rival's notice photo")


def counter_notice_evidence(services: Services, s: Scopes) -> None:
    _attach(services, s, "bazaar:reviewer", counter_notice_id(services), b"seller's licence")


def rival_test_buy_evidence(services: Services, s: Scopes) -> None:
    _attach(services, s, "rival", RIVAL_TEST_BUY, b"rival's parcel")


def police_case_evidence(services: Services, s: Scopes) -> None:
    _attach(services, s, "police:liaison", SECRET_CASE, b"seized goods")


def acme_notice_evidence(services: Services, s: Scopes) -> None:
    _attach(services, s, "acme", acme_notice_id(services), b"acme's photo")


def police_listing_case(services: Services, s: Scopes) -> None:
    """A police case on listing-2, where Rival's RED test buy (and its file) lies."""
    case = wf_cases.open_case(services, s["police:liaison"], "Listing two", ["listing-2"])
    _attach(services, s, "police:liaison", case["id"], b"police photo of listing-2")


def counter_notice_id(services: Services) -> str:
    bulk = f"ntc-{phase_uuid('secret-rival-bulk-notice').hex[:20]}"
    found = workflow_for(services).records.get(NOTICE, bulk)
    return "cn-missing" if found is None else str(found.doc["counterNotices"][0]["id"])


def acme_notice_id(services: Services) -> str:
    (found,) = workflow_for(services).records.find(NOTICE, term="brand:acme")
    return found.id


RIVAL_TEST_BUY = f"tb-{phase_uuid('secret-rival-red-test-buy').hex[:20]}"
EVIDENCE_SECRETS = [
    Secret("rival-notice-evidence", frozenset({"rival", "bazaar"}), rival_notice_evidence),
    Secret("counter-notice-evidence", frozenset({"rival", "bazaar"}), counter_notice_evidence),
    Secret("rival-test-buy-evidence", frozenset({"rival"}), rival_test_buy_evidence),
    Secret("police-case-evidence", frozenset({"police", "bazaar"}), police_case_evidence),
    Secret("acme-notice-evidence", frozenset({"acme", "bazaar", "police"}),
           acme_notice_evidence),
    Secret("police-listing-case", frozenset({"police", "bazaar"}), police_listing_case),
]
LISTING_CASE = f"case-{phase_uuid('secret-police-listing-case').hex[:20]}"


def hidden_evidence() -> list[str]:
    """The ids of the secrets' files (deterministic per phase), and a missing one."""
    return [f"evd-{phase_uuid(f'secret-{s.name}').hex[:20]}" for s in EVIDENCE_SECRETS[:-1]] + [
        f"evd-{phase_uuid('secret-police-listing-case', 1).hex[:20]}",
        "evd-00000000000000000000", "ntc-not-evidence"]


def targets(twins: Twins) -> list[str]:
    """The records the secrets attach to (as store A names them), and missing ones."""
    return [SECRET_NOTICES[0], counter_notice_id(twins.a), RIVAL_TEST_BUY, SECRET_CASE,
            acme_notice_id(twins.a), LISTING_CASE, "ntc-00000000000000000000", "cn-missing",
            "tb-missing", "case-missing", "right-missing", "listing-1"]


@pytest.fixture
def evidence_twins(twins_for: MakeTwins) -> Any:
    return lambda caller: twins_for(caller, [*SECRETS, *DESK_SECRETS, *EVIDENCE_SECRETS])


@pytest.mark.parametrize("caller", CALLERS)
def test_evidence_and_evidence_files(evidence_twins: Any, caller: str) -> None:
    twins: Twins = evidence_twins(caller)
    for evidence_id in hidden_evidence():
        twins.same("query($id: ID!) { evidence(id: $id) { %s } }" % FILE, {"id": evidence_id})
    for target in targets(twins):
        twins.same("query($to: ID!) { evidenceFiles(attachedTo: $to) { %s } }" % FILE,
                   {"to": target})


@pytest.mark.parametrize("caller", CALLERS)
def test_attach_and_custody_on_hidden_records(evidence_twins: Any, caller: str) -> None:
    """Attaching to, or recording custody of, what the caller may not read is refused as
    for nothing at all; what it may act on is done alike in both stores."""
    twins: Twins = evidence_twins(caller)
    actor = ACTORS[caller]
    for target in targets(twins):
        upload = staged(twins.a, f"{caller} to {target}".encode())
        twins.same("""mutation($to: ID!, $f: Upload!, $d: String) {
            attachEvidence(to: $to, file: $f, description: $d) { %s } }""" % FILE,
                   {"to": target, "f": upload, "d": "asked"}, as_=actor)
        upload.discard()
    for evidence_id in hidden_evidence():
        twins.same("""mutation($e: ID!, $a: CustodyAction!, $h: String!, $l: String!,
            $n: String) { recordCustody(evidence: $e, action: $a, holder: $h, location: $l,
            note: $n) { %s } }""" % FILE,
                   {"e": evidence_id, "a": "TRANSFERRED", "h": "courier", "l": "depot",
                    "n": "asked"}, as_=actor)
    for target in targets(twins):
        twins.same("query($to: ID!) { evidenceFiles(attachedTo: $to) { id custody { action } } }",
                   {"to": target})


@pytest.mark.parametrize("caller", CALLERS)
def test_export_case_with_evidence(evidence_twins: Any, caller: str) -> None:
    """A package with the evidence of the case and of its test buys (and the files, asked
    for) is byte-equal with and without what the exporter may not read: Rival's RED test
    buy on the case's listing and its file stay out, and nothing in the package numbers
    the audit ledger (its sequence would tell others' volume)."""
    twins: Twins = evidence_twins(caller)
    who = ACTORS[caller]
    query = """mutation($id: ID!, $e: Boolean!) { exportCase(id: $id, recipient: "Court",
        includeEvidence: $e) { id createdAt files { name sha256 bytes } manifestSha256
        downloadUrl } }"""
    for case_id in (LISTING_CASE, SECRET_CASE, "case-missing"):
        for include in (True, False):
            twins.same(query, {"id": case_id, "e": include}, as_=who)


def test_every_evidence_argument_is_asked() -> None:
    """Runs last in this file: every argument of the evidence fields was sent by a twin
    query above."""
    from tests.security.coverage import EXERCISED
    from tests.security.test_leak_matrix import evidence_arguments

    if not any(a.startswith("Query.evidence") for a in EXERCISED):
        pytest.skip("the evidence leak tests above did not run (run the whole file)")
    missing = sorted(evidence_arguments() - EXERCISED)
    assert not missing, "no evidence leak test sends: " + ", ".join(missing)
