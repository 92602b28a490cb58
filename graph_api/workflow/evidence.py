"""Evidence files attached to workflow records, and their chain of custody.

    attachEvidence(to, file)  --> an EvidenceFile: the bytes kept by SHA-256
                                  (``store.evidence_files``), the record here
    recordCustody(evidence, action, holder, location, note)
                              --> one more custody event (SAMPLE_RECEIVED,
                                  TRANSFERRED, STORED, EXAMINED, RELEASED,
                                  DESTROYED; nothing after DESTROYED)

**Who reads it**: whoever may read the record it is attached to — a notice
(``sees_notice``), a counter-notice (its notice's), a test buy, a case, a right —
each by that record's own rule; to anyone else an evidence id answers exactly like
a missing one. **Who adds to it**: whoever acts on that record: the filing brand's
investigators or a platform reviewer for a notice, a platform reviewer for a
counter-notice (it records them for sellers), the buying org's investigators for a
test buy, the opening org's liaison for a case, the holder's investigators,
analysts or admins for a right.

**Custody in the audit chain.** Attaching a file and each custody event append a
record to the audit ledger (``evidence evd-… attached``, ``custody evd-… STORED``)
whose digest is the HMAC, under the audit digest key, of the event (or of the
file's name, size and SHA-256) and of the digest of the file's previous record: the
events of a file are a chain of their own inside the ledger's. (Of the previous
record's digest, not its hash: a record's hash rests on every record before it, and
an org's own chain in the ledger must rest on nothing but its own acts.) ``verify_custody``
checks each of them — the record at the event's sequence number carries the
event's digest and principal, hashes right, and links to its neighbours — without
walking the ledger: a few records per event. An event edited or removed in the
record store, or a record edited or removed in the ledger, no longer verifies.
(Cutting the newest events off a file's record leaves the rest verifying; the
ledger still holds their records: ``graph-api audit verify`` and its checkpoints
keep the ledger whole.) The digests and ``verify_custody`` are
``graph_api.workflow.custody_chain``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.audit import GENESIS, AuditEntry
from graph_api.errors import BadUserInput, Conflict, Forbidden, LimitExceeded, NotFound
from graph_api.model import OrgType
from graph_api.store.evidence_files import EvidenceFolder, Staged
from graph_api.workflow.cases import CASE, sees_case
from graph_api.workflow.custody_chain import _attached_link, _digest, _event_link, _links
from graph_api.workflow.enforcement import sees_notice
from graph_api.workflow.model import time_key
from graph_api.workflow.penalties import NOTICE
from graph_api.workflow.rights import RIGHT, sees_right
from graph_api.workflow.runtime import records_for, workflow_for
from graph_api.workflow.testbuys import TEST_BUY, sees_test_buy

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "EVIDENCE",
    "CustodyAction",
    "evidence_of",
    "Target",
    "attach_evidence",
    "evidence_folder",
    "find_target",
    "get_evidence",
    "list_evidence",
    "record_custody",
]

EVIDENCE = "evidence"
MAX_NAME = 255
MAX_TEXT = 1_000
MAX_NOTE = 10_000
MAX_FILES_PER_RECORD = 1_000
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}"
_MEDIA_TYPE = re.compile(f"^{_TOKEN}/{_TOKEN}$")
DEFAULT_MEDIA_TYPE = "application/octet-stream"


class CustodyAction(str, Enum):
    SAMPLE_RECEIVED = "SAMPLE_RECEIVED"
    TRANSFERRED = "TRANSFERRED"
    STORED = "STORED"
    EXAMINED = "EXAMINED"
    RELEASED = "RELEASED"
    DESTROYED = "DESTROYED"


@dataclass(frozen=True, slots=True)
class Target:
    """The record a file is (to be) attached to, as the caller may read it."""

    kind: str  # notice, counter-notice, testbuy, case, right
    id: str
    doc: Mapping[str, Any]  # the record (a counter-notice: its entry in the notice)
    notice: Mapping[str, Any] | None = None  # a counter-notice's notice


def evidence_folder(services: Services) -> EvidenceFolder:
    return EvidenceFolder(services.settings.evidence_folder)


# -- the records files are attached to ---------------------------------------------
def find_target(services: Services, scope: Scope, target_id: str) -> Target | None:
    """The record ``target_id`` names if the caller may read it, else None (also for an
    id of no record: both answer alike; as of the time ``scope`` reads, if any)."""
    records = records_for(services, scope)
    if target_id.startswith("cn-"):
        for record in records.find(NOTICE, term=f"counter:{target_id}", limit=2):
            if not sees_notice(scope, record.doc):
                return None
            for counter in record.doc.get("counterNotices", []):
                if counter["id"] == target_id:
                    return Target("counter-notice", target_id, counter, record.doc)
        return None
    for prefix, kind, sees in _READERS:
        if target_id.startswith(prefix):
            found = records.get(kind, target_id)
            if found is None or not sees(scope, found.doc):
                return None
            return Target(kind, target_id, found.doc)
    return None


def _sees_notice(scope: Scope, doc: Mapping[str, Any]) -> bool:
    return sees_notice(scope, dict(doc))


_READERS = (
    ("ntc-", NOTICE, _sees_notice),
    ("tb-", TEST_BUY, sees_test_buy),
    ("case-", CASE, sees_case),
    ("right-", RIGHT, sees_right),
)


def may_act(scope: Scope, target: Target) -> bool:
    """Whether the caller acts on the record: may attach files and record custody."""
    doc = target.doc
    platform_reviewer = scope.org_type is OrgType.PLATFORM and scope.can(Action.REVIEW)
    if target.kind == NOTICE:
        return platform_reviewer or (scope.org_id == doc["brand"] and scope.can(Action.NOTICE))
    if target.kind == "counter-notice":
        return platform_reviewer
    if target.kind == TEST_BUY:
        return scope.org_id == doc["org"] and scope.can(Action.TEST_BUY)
    if target.kind == CASE:
        return scope.org_id == doc["org"] and scope.can(Action.CASE)
    if target.kind == RIGHT:
        return scope.org_id == doc["holder"] and (
            scope.can(Action.REPORT) or scope.can(Action.ADMIN))
    return False


_LABELS = {NOTICE: "notice", "counter-notice": "counter-notice", TEST_BUY: "test buy",
           CASE: "case", RIGHT: "right"}


def _acting_on(services: Services, scope: Scope, target_id: str, field: str) -> Target:
    target = find_target(services, scope, target_id)
    if target is None:
        raise NotFound(f"no record {target_id!r}", field=field)
    if not may_act(scope, target):
        raise Forbidden(f"role {scope.role!r} of {scope.org_id} may not add evidence to this "
                        f"{_LABELS[target.kind]}")
    return target


# -- reading -------------------------------------------------------------------------
def get_evidence(services: Services, scope: Scope, evidence_id: str) -> dict[str, Any] | None:
    """The evidence file's record if the caller may read the record it is attached to."""
    if not evidence_id.startswith("evd-"):
        return None
    found = records_for(services, scope).get(EVIDENCE, evidence_id)
    if found is None or find_target(services, scope, found.doc["attachedTo"]) is None:
        return None
    return found.doc


def list_evidence(services: Services, scope: Scope, target_id: str) -> list[dict[str, Any]]:
    """The files attached to a record the caller may read (none otherwise), oldest first."""
    if find_target(services, scope, target_id) is None:
        return []
    records = records_for(services, scope)
    return [r.doc for r in records.find(EVIDENCE, term=f"to:{target_id}",
                                        limit=MAX_FILES_PER_RECORD)]


# -- writing -------------------------------------------------------------------------
def _text(value: str | None, field: str, limit: int, required: bool = True) -> str | None:
    if value is None or not value.strip():
        if required:
            raise BadUserInput(f"{field} must not be empty", field=field)
        return None
    if len(value) > limit:
        raise LimitExceeded(f"{field} is longer than {limit} characters", field=field)
    return value.strip()


def file_name(name: str) -> str:
    """The name to keep: the last part of what the client sent, without a path.

    >>> file_name("C:\\\\Users\\\\me\\\\parcel.jpg"), file_name("../../etc/passwd"), file_name("")
    ('parcel.jpg', 'passwd', 'upload')
    """
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = "".join(c for c in base if c.isprintable()).strip()
    return base[:MAX_NAME] or "upload"


def media_type(value: str) -> str:
    """``type/subtype`` as sent (parameters dropped), else application/octet-stream.

    >>> media_type("image/jpeg; q=1"), media_type("<script>")
    ('image/jpeg', 'application/octet-stream')
    """
    head = value.split(";", 1)[0].strip().lower()
    return head if _MEDIA_TYPE.match(head) else DEFAULT_MEDIA_TYPE


def _append(services: Services, entry: AuditEntry) -> tuple[int, str]:
    """Append ``entry`` to the ledger in a transaction of its own: its seq and hash."""
    seq = services.store.append_audit_seq(entry)
    (record,) = services.store.audit_records(after=seq - 1, limit=1)
    return seq, record.hash


def attach_evidence(services: Services, scope: Scope, target_id: str, upload: Staged,
                    description: str | None = None) -> dict[str, Any]:
    """Keep an uploaded (staged, finished) file by its SHA-256 and record it attached to
    ``target_id``. Refused (nothing written) unless the caller acts on that record."""
    scope.require(Action.READ)
    description = _text(description, "description", MAX_TEXT, required=False)
    target = _acting_on(services, scope, target_id, "to")
    records = workflow_for(services).records
    if records.count(EVIDENCE, f"to:{target_id}") >= MAX_FILES_PER_RECORD:
        raise LimitExceeded(f"a record holds at most {MAX_FILES_PER_RECORD} evidence files",
                            field="to")
    folder = evidence_folder(services)
    placed = folder.place(upload)
    now = services.clock()
    evidence_id = f"evd-{uuid.uuid4().hex[:20]}"
    doc: dict[str, Any] = {
        "id": evidence_id, "attachedTo": target_id, "targetKind": target.kind,
        "name": file_name(upload.name), "mediaType": media_type(upload.media_type),
        "bytes": upload.size, "sha256": upload.sha256, "description": description,
        "org": scope.org_id, "attachedBy": scope.principal_id, "attachedAt": time_key(now),
        "custody": [],
    }
    try:
        entry = AuditEntry(now, scope.principal_id, scope.org_id,
                           f"evidence {evidence_id} attached",
                           _digest(services, evidence_id, upload.sha256, _attached_link(doc),
                                   GENESIS))
        seq, hash_ = _append(services, entry)
        doc["audit"] = {"seq": seq, "hash": hash_}
        records.put(EVIDENCE, evidence_id, doc, sort=doc["attachedAt"],
                    terms=("all", f"to:{target_id}", f"sha256:{upload.sha256}"), expect=0)
    except BaseException:
        if placed and records.count(EVIDENCE, f"sha256:{upload.sha256}") == 0:
            folder.remove(upload.sha256)
        raise
    return doc


def record_custody(
    services: Services, scope: Scope, evidence_id: str, action: str, holder: str,
    location: str, note: str | None = None,
) -> dict[str, Any]:
    """Append one custody event to the file's history and to the audit chain."""
    scope.require(Action.READ)
    records = workflow_for(services).records
    found = records.get(EVIDENCE, evidence_id) if evidence_id.startswith("evd-") else None
    target = None if found is None else find_target(services, scope, found.doc["attachedTo"])
    if found is None or target is None:
        raise NotFound(f"no evidence {evidence_id!r}", field="evidence")
    if not may_act(scope, target):
        raise Forbidden(f"role {scope.role!r} of {scope.org_id} may not record custody of "
                        f"evidence on this {_LABELS[target.kind]}")
    try:
        step = CustodyAction(action)
    except ValueError:
        names = ", ".join(a.value for a in CustodyAction)
        raise BadUserInput(f"action: {action!r} is not one of {names}", field="action") from None
    holder_text = _text(holder, "holder", MAX_TEXT)
    location_text = _text(location, "location", MAX_TEXT)
    note_text = _text(note, "note", MAX_NOTE, required=False)
    doc = dict(found.doc)
    custody = list(doc["custody"])
    if custody and custody[-1]["action"] == CustodyAction.DESTROYED.value:
        raise Conflict(f"evidence {evidence_id!r} was DESTROYED: its custody has ended")
    now = services.clock()
    event: dict[str, Any] = {
        "action": step.value, "at": time_key(now), "holder": holder_text,
        "location": location_text, "note": note_text, "recordedBy": scope.principal_id,
        "org": scope.org_id,
    }
    links = _links(services, doc)
    if links is None:
        raise Conflict(f"evidence {evidence_id!r}: its record is not as written; "
                       "see chainVerified")
    prev = links[-1].entry.digest
    entry = AuditEntry(now, scope.principal_id, scope.org_id,
                       f"custody {evidence_id} {step.value}",
                       _digest(services, evidence_id, doc["sha256"], _event_link(event), prev))
    seq, hash_ = _append(services, entry)
    event.update(seq=seq, hash=hash_)
    doc["custody"] = [*custody, event]
    records.put(EVIDENCE, evidence_id, doc, sort=doc["attachedAt"], terms=found.terms,
                expect=found.version)
    return doc


def evidence_of(services: Services, scope: Scope, target_ids: Iterable[str]
                ) -> list[dict[str, Any]]:
    """Every file attached to the records among ``target_ids`` the caller may read."""
    out: list[dict[str, Any]] = []
    for target_id in dict.fromkeys(target_ids):
        out += list_evidence(services, scope, target_id)
    return out
