"""Evidence files and their chain of custody (issue 24 item 6; DESIGN "Rights and notices
at scale"): who reads and who adds, content addressing, custody in the audit chain and
what tampering with either does to ``chainVerified``. The files reach the resolvers as
``api.uploads`` hands them over (a staged upload in the ``Upload`` variable); the
multipart request itself is tested over HTTP in tests/e2e/test_evidence_upload.py.
Also run on Neo4j (tests/conformance/test_workflow_on_neo4j.py)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from graph_api.audit import verify_chain
from graph_api.services import Services
from graph_api.store.evidence_files import Staged
from graph_api.workflow import cases, notices, rights, testbuys
from graph_api.workflow.evidence import EVIDENCE, evidence_folder
from graph_api.workflow.runtime import workflow_for
from tests.workflow.support import codes, gql, ok, role

PHOTO = b"\xff\xd8\xff\xe0 parcel label, lot 7 " * 500
RECEIPT = b"%PDF-1.7 receipt of the test buy\n" * 100

ATTACH = """mutation($to: ID!, $f: Upload!, $d: String) {
  attachEvidence(to: $to, file: $f, description: $d) {
    id name mediaType bytes sha256 attachedTo description chainVerified downloadUrl
    attachedBy { id org { id } } custody { action } } }"""
CUSTODY = """mutation($e: ID!, $a: CustodyAction!, $h: String!, $l: String!, $n: String) {
  recordCustody(evidence: $e, action: $a, holder: $h, location: $l, note: $n) {
    id chainVerified custody { action at holder location note recordedBy { id org { id } } } } }"""
READ = """query($id: ID!) { evidence(id: $id) { id sha256 bytes chainVerified
  custody { action holder } } }"""
LIST = "query($to: ID!) { evidenceFiles(attachedTo: $to) { id sha256 } }"


def upload(services: Services, data: bytes, name: str = "label.jpg",
           media: str = "image/jpeg") -> Staged:
    """A file as api.uploads stages it from a multipart request."""
    staged = evidence_folder(services).stage(name, media, 10**9)
    staged.write(data)
    staged.finish()
    return staged


def attach(services: Services, scope: Any, to: str, data: bytes = PHOTO,
           **kw: Any) -> dict[str, Any]:
    return gql(services, scope, ATTACH, {"to": to, "f": upload(services, data, **kw)})


def custody(services: Services, scope: Any, evidence_id: str, action: str = "STORED",
            holder: str = "Evidence locker 4", location: str = "Acme HQ, Paris",
            note: str | None = None) -> dict[str, Any]:
    return gql(services, scope, CUSTODY, {"e": evidence_id, "a": action, "h": holder,
                                          "l": location, "n": note})


def kept(services: Services) -> list[str]:
    root = evidence_folder(services).root / "sha256"
    return sorted(p.name for p in root.glob("*/*")) if root.is_dir() else []


def test_attach_keeps_the_file_by_its_hash_for_the_notices_audience(
    services: Services, world: dict[str, Any]
) -> None:
    notice = notices.file_notice(services, world["acme"], ["listing-1"], "fake soles")
    made = ok(attach(services, world["acme"], notice["id"], name="C:\\cam\\IMG 1.jpg"))
    ev = made["attachEvidence"]
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert ev["sha256"] == digest and ev["bytes"] == len(PHOTO)
    assert (ev["name"], ev["mediaType"], ev["attachedTo"]) == ("IMG 1.jpg", "image/jpeg",
                                                                notice["id"])
    assert ev["chainVerified"] is True and ev["custody"] == []
    assert ev["downloadUrl"] == f"/evidence/{ev['id']}"
    assert ev["attachedBy"]["org"]["id"] == "acme"
    path = evidence_folder(services).path_of(digest)
    assert path.read_bytes() == PHOTO and kept(services) == [digest]
    # the notice is AMBER: the brand, the platform and regulators read the file
    for who in ("acme", "bazaar", "police"):
        assert ok(gql(services, world[who], READ, {"id": ev["id"]}))["evidence"]["sha256"] \
            == digest
        assert ok(gql(services, world[who], LIST, {"to": notice["id"]}))["evidenceFiles"] \
            == [{"id": ev["id"], "sha256": digest}]
    # a competing brand: exactly as for an id of no file, or of no record
    for asked in (ev["id"], "evd-00000000000000000000"):
        assert gql(services, world["rival"], READ, {"id": asked}) == {"data": {"evidence": None}}
    for to in (notice["id"], "ntc-missing"):
        assert gql(services, world["rival"], LIST, {"to": to}) == {"data": {"evidenceFiles": []}}


def test_the_same_bytes_are_kept_once(services: Services, world: dict[str, Any]) -> None:
    first = notices.file_notice(services, world["acme"], ["listing-1"], "one")
    second = notices.file_notice(services, world["acme"], ["listing-2"], "two")
    a = ok(attach(services, world["acme"], first["id"]))["attachEvidence"]
    b = ok(attach(services, world["acme"], second["id"], name="copy.jpg"))["attachEvidence"]
    assert a["id"] != b["id"] and a["sha256"] == b["sha256"]
    assert kept(services) == [a["sha256"]]


def test_who_attaches_to_each_kind_of_record(services: Services, world: dict[str, Any]) -> None:
    reviewer, liaison = world["reviewer"], world["liaison"]
    notice = notices.file_notice(services, world["acme"], ["listing-1", "listing-2"], "fake")
    countered = notices.counter_notice(services, reviewer, notice["id"], ["listing-2"],
                                       "licensed stock")
    counter_id = countered["counterNotices"][0]["id"]
    buy = testbuys.record_test_buy(services, world["acme"], "listing-1", "COUNTERFEIT",
                                   services.clock(), marking="AMBER")
    case = cases.open_case(services, liaison, "Kicks ring", ["seller-1"])
    right = rights.register_right(services, world["acme"], "TRADEMARK", "EU-1", "EU", ["25"],
                                  None, [{"kind": "certificate", "sha256": "ab" * 32}], [])
    allowed = [(world["acme"], notice["id"]), (reviewer, notice["id"]),
               (reviewer, counter_id), (world["acme"], buy["id"]), (liaison, case["id"]),
               (world["acme"], right["id"])]
    for scope, target in allowed:
        made = ok(attach(services, scope, target, data=target.encode()))["attachEvidence"]
        assert made["attachedTo"] == target
    # those who read the record but do not act on it: FORBIDDEN
    admin = role(services, "acme", "admin")
    forbidden = [(world["police"], notice["id"]), (world["bazaar"], notice["id"]),
                 (world["acme"], counter_id), (world["bazaar"], buy["id"]),
                 (world["bazaar"], case["id"]), (world["police"], right["id"]),
                 (world["bazaar"], right["id"])]
    for scope, target in forbidden:
        assert codes(attach(services, scope, target)) == ["FORBIDDEN"], (scope, target)
    assert ok(attach(services, admin, right["id"], data=b"admin"))  # the holder's admin
    # those who may not read it: NOT_FOUND, as for a record that does not exist
    for target in (notice["id"], counter_id, buy["id"], case["id"], right["id"],
                   "ntc-missing", "cn-missing", "tb-missing", "case-missing", "right-missing",
                   "listing-1", "evd-x"):
        answer = attach(services, world["rival"], target)
        assert codes(answer) == ["NOT_FOUND"], (target, answer)
        assert answer["errors"][0]["message"] == f"no record {target!r}"


def test_a_refused_attachment_writes_nothing(services: Services, world: dict[str, Any]) -> None:
    notice = notices.file_notice(services, world["acme"], ["listing-1"], "fake")
    records = workflow_for(services).records
    before = len(services.store.audit_records())
    for scope, target in ((world["rival"], notice["id"]), (world["police"], notice["id"]),
                          (world["acme"], "ntc-missing")):
        staged = upload(services, b"refused " + target.encode())
        answer = gql(services, scope, ATTACH, {"to": target, "f": staged,
                                               "d": "x" * 10})
        assert codes(answer) in (["NOT_FOUND"], ["FORBIDDEN"])
        assert staged.path.is_file()  # the request's own: api.uploads removes it after
        staged.discard()
    long = gql(services, world["acme"], ATTACH, {"to": notice["id"], "d": "x" * 1001,
                                                 "f": upload(services, b"long")})
    assert codes(long) == ["LIMIT_EXCEEDED"]
    assert kept(services) == [] and records.count(EVIDENCE) == 0
    # the operations' own records only: no attachment record
    records_now = services.store.audit_records(after=before)
    assert [r.operation for r in records_now] == ["mutation attachEvidence"] * 4


def test_custody_goes_into_the_audit_chain(services: Services, world: dict[str, Any]) -> None:
    buy = testbuys.record_test_buy(services, world["acme"], "listing-1", "COUNTERFEIT",
                                   services.clock(), marking="AMBER")
    ev = ok(attach(services, world["acme"], buy["id"], data=RECEIPT, name="receipt.pdf",
                   media="application/pdf"))["attachEvidence"]
    steps = [("SAMPLE_RECEIVED", "J. Martin", "Acme lab, Lyon", "parcel 7, sealed bag 12"),
             ("EXAMINED", "Dr R. Chen", "Acme lab, Lyon", None),
             ("TRANSFERRED", "Officer Wu", "Fujian EconCrime", "handed over in person"),
             ("STORED", "Evidence room", "Fujian EconCrime, shelf 3", None)]
    for action, holder, location, note in steps:
        answer = ok(custody(services, world["acme"], ev["id"], action, holder, location, note))
        assert answer["recordCustody"]["chainVerified"] is True
    read = ok(gql(services, world["police"], READ, {"id": ev["id"]}))["evidence"]
    assert [(c["action"], c["holder"]) for c in read["custody"]] == [s[:2] for s in steps]
    assert read["chainVerified"] is True
    operations = [r.operation for r in services.store.audit_records()]
    assert f"evidence {ev['id']} attached" in operations
    assert [o for o in operations if o.startswith(f"custody {ev['id']}")] == [
        f"custody {ev['id']} {s[0]}" for s in steps]
    assert verify_chain(services.store.audit_records())[1] is None  # the ledger still whole
    # the buying org's own admins see its custody records in auditLog, nobody else's
    own = services.store.org_audit_records("acme")
    assert sum(r.operation.startswith("custody ") for r in own) == len(steps)
    assert not any(r.operation.startswith("custody ")
                   for r in services.store.org_audit_records("police"))
    # the end of custody
    ok(custody(services, world["acme"], ev["id"], "DESTROYED", "Lab", "Incinerator 2"))
    assert codes(custody(services, world["acme"], ev["id"], "STORED")) == ["CONFLICT"]
    # who may record: who acts on the record; who may not read it: as for no file
    assert codes(custody(services, world["police"], ev["id"])) == ["FORBIDDEN"]
    for asked in (ev["id"], "evd-00000000000000000000"):
        answer = custody(services, world["rival"], asked)
        assert codes(answer) == ["NOT_FOUND"]
        assert answer["errors"][0]["message"] == f"no evidence {asked!r}"


def test_custody_input_is_checked(services: Services, world: dict[str, Any]) -> None:
    notice = notices.file_notice(services, world["acme"], ["listing-1"], "fake")
    ev = ok(attach(services, world["acme"], notice["id"]))["attachEvidence"]
    assert codes(custody(services, world["acme"], ev["id"], holder=" ")) == ["BAD_USER_INPUT"]
    assert codes(custody(services, world["acme"], ev["id"], location="")) == ["BAD_USER_INPUT"]
    assert codes(custody(services, world["acme"], ev["id"], note="n" * 10_001)) == [
        "LIMIT_EXCEEDED"]
    assert codes(custody(services, world["acme"], ev["id"], action="LOST")) == ["BAD_USER_INPUT"]
    assert ok(gql(services, world["acme"], READ, {"id": ev["id"]}))["evidence"]["custody"] == []
    # an upload is a multipart request's file: a JSON value in its place is refused
    refused = gql(services, world["acme"], ATTACH, {"to": notice["id"], "f": "bytes"})
    assert codes(refused) == ["BAD_USER_INPUT"] and "multipart" in refused["errors"][0]["message"]


# -- tampering -----------------------------------------------------------------------
def _evidence_with_custody(services: Services, world: dict[str, Any]) -> str:
    notice = notices.file_notice(services, world["acme"], ["listing-1"], "fake")
    ev = ok(attach(services, world["acme"], notice["id"]))["attachEvidence"]
    for action in ("SAMPLE_RECEIVED", "STORED", "EXAMINED"):
        ok(custody(services, world["acme"], ev["id"], action))
    gql(services, world["acme"], "{ me { id } }")  # a record after the last event
    return str(ev["id"])


def _verified(services: Services, world: dict[str, Any], evidence_id: str) -> bool:
    answer = ok(gql(services, world["acme"], READ, {"id": evidence_id}))
    return bool(answer["evidence"]["chainVerified"])


def _edit_record(services: Services, evidence_id: str, change: Any) -> None:
    records = workflow_for(services).records
    found = records.get(EVIDENCE, evidence_id)
    assert found is not None
    doc = dict(found.doc)
    change(doc)
    records.put(EVIDENCE, evidence_id, doc, sort=found.sort, terms=found.terms)


@pytest.mark.parametrize("edit", ["holder", "time", "drop-middle", "drop-first", "reorder",
                                  "sha256", "name", "seq"])
def test_an_edited_custody_history_does_not_verify(
    services: Services, world: dict[str, Any], edit: str
) -> None:
    evidence_id = _evidence_with_custody(services, world)
    assert _verified(services, world, evidence_id)

    def change(doc: dict[str, Any]) -> None:
        events = [dict(e) for e in doc["custody"]]
        if edit == "holder":
            events[1]["holder"] = "someone else"
        elif edit == "time":
            events[1]["at"] = events[1]["at"].replace("2026", "2025")
        elif edit == "drop-middle":
            del events[1]
        elif edit == "drop-first":
            del events[0]
        elif edit == "reorder":
            events[0], events[1] = events[1], events[0]
        elif edit == "sha256":
            doc["sha256"] = hashlib.sha256(b"another file").hexdigest()
        elif edit == "name":
            doc["name"] = "innocent.jpg"
        elif edit == "seq":
            events[2]["seq"] = events[2]["seq"] + 1
        doc["custody"] = events

    _edit_record(services, evidence_id, change)
    assert not _verified(services, world, evidence_id)


@pytest.mark.parametrize("edit", ["digest", "principal", "removed"])
def test_an_edited_ledger_does_not_verify(
    services: Services, world: dict[str, Any], edit: str
) -> None:
    evidence_id = _evidence_with_custody(services, world)
    record = workflow_for(services).records.get(EVIDENCE, evidence_id)
    assert record is not None
    seq = record.doc["custody"][1]["seq"]
    if edit == "removed":
        tamper_ledger(services, "DELETE", seq)
    else:
        column = {"digest": "digest", "principal": "principal_id"}[edit]
        tamper_ledger(services, column, seq)
    assert not _verified(services, world, evidence_id)


def tamper_ledger(services: Services, column: str, seq: int) -> None:
    """Edit (or delete) one audit record in the store itself, as an intruder would."""
    db = getattr(services.store, "db", None)
    if db is not None:  # the embedded store: SQLite
        with db.conn:
            if column == "DELETE":
                db.conn.execute("DELETE FROM audit WHERE seq = ?", (seq,))
            else:
                db.conn.execute(f"UPDATE audit SET {column} = 'tampered' WHERE seq = ?", (seq,))
        return
    from neo4j import WRITE_ACCESS

    run = services.store._run  # type: ignore[attr-defined]
    if column == "DELETE":
        run(WRITE_ACCESS, "MATCH (a:Audit) WHERE a.seq = $seq DETACH DELETE a", seq=seq)
    else:
        run(WRITE_ACCESS, f"MATCH (a:Audit) WHERE a.seq = $seq SET a.{column} = 'tampered'",
            seq=seq)
