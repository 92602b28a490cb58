"""An evidence file's chain of custody in the audit ledger: what each of its audit
records holds (the digest of its attachment or custody event, linked to the file's
record before it), and ``verify_custody``, which checks them against the ledger.
``graph_api.workflow.evidence`` writes them; its docstring tells the whole story."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graph_api.audit import GENESIS, AuditEntry, AuditRecord, chain_hash
from graph_api.workflow.model import from_key

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["verify_custody"]


def _digest(services: Services, evidence_id: str, sha256: str, link: Mapping[str, Any],
            prev: str) -> str:
    """What a file's audit record holds: the HMAC of the link (attachment or custody
    event) with the file it is of and the digest of the file's record before it."""
    return services.audit_digest({"evidence": evidence_id, "sha256": sha256,
                                  "link": dict(link), "prev": prev})


def _attached_link(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {"attached": doc["attachedTo"], "name": doc["name"], "mediaType": doc["mediaType"],
            "bytes": doc["bytes"], "description": doc["description"],
            "at": doc["attachedAt"], "by": doc["attachedBy"]}


def _event_link(event: Mapping[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in ("action", "at", "holder", "location", "note", "recordedBy")}


@dataclass(frozen=True, slots=True)
class _Link:
    seq: int
    hash: str
    entry: AuditEntry  # what the ledger's record must hold


def _links(services: Services, doc: Mapping[str, Any]) -> list[_Link] | None:
    """The ledger records the file's record says it has, each with the entry it must
    match; None when the record is not even shaped right (edited by hand)."""
    try:
        evidence_id, sha256 = doc["id"], doc["sha256"]
        audit = doc["audit"]
        links = [_Link(int(audit["seq"]), str(audit["hash"]), AuditEntry(
            from_key(doc["attachedAt"]), doc["attachedBy"], doc["org"],
            f"evidence {evidence_id} attached",
            _digest(services, evidence_id, sha256, _attached_link(doc), GENESIS)))]
        for event in doc["custody"]:
            links.append(_Link(int(event["seq"]), str(event["hash"]), AuditEntry(
                from_key(event["at"]), event["recordedBy"], event["org"],
                f"custody {evidence_id} {event['action']}",
                _digest(services, evidence_id, sha256, _event_link(event),
                        links[-1].entry.digest))))
    except (KeyError, TypeError, ValueError):
        return None
    return links


def _hashes_right(record: AuditRecord) -> bool:
    return chain_hash(record.prev_hash, record.seq, record.entry) == record.hash


def verify_custody(services: Services, doc: Mapping[str, Any]) -> bool:
    """Whether every audit record of the file (its attachment and each custody event) is
    in the ledger as the file's record says, and the ledger verifies up to it: the
    record holds the event's digest, time, principal and org, hashes right, the record
    before it hashes right and is the one it links to, and the record after it (if
    any) links to it. A few records read per event, not the whole ledger."""
    links = _links(services, doc)
    if links is None:
        return False
    wanted: dict[int, AuditRecord] = {}
    for seq in sorted({s for link in links for s in (link.seq - 1, link.seq, link.seq + 1)}):
        if seq >= 1 and seq not in wanted:
            for read in services.store.audit_records(after=seq - 1, limit=3):
                wanted.setdefault(read.seq, read)
    for link in links:
        record = wanted.get(link.seq)
        if record is None or record.entry != link.entry or record.hash != link.hash:
            return False
        if not _hashes_right(record):
            return False
        before = wanted.get(link.seq - 1)
        if link.seq == 1:
            if record.prev_hash != GENESIS:
                return False
        elif before is None or not _hashes_right(before) or before.hash != record.prev_hash:
            return False
        after = wanted.get(link.seq + 1)
        if after is not None and after.prev_hash != record.hash:
            return False
    return True
