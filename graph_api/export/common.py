"""What every export writer shares: one shape, one id namespace, one reference guard.

A writer takes the items of one `CaseView` through `write(item)` and hands back
its files from `finalize()`, as followthemoney's exporters do. Writers never
see anything but the view, and `known()` lets them refuse to point at an id the
view does not hold, so a stray reference cannot leak what the caller may not read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from graph_api.export.view import (
    CaseView,
    ExportEntity,
    ExportEvidence,
    ExportItem,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
    iso,
    iter_items,
)
from graph_api.model import Assertion, Evidence

__all__ = [
    "EXPORT_NAMESPACE",
    "Writer",
    "assertion_record",
    "assertions_json",
    "dumps",
    "evidence_record",
    "export",
    "format_confidence",
    "outcome_id",
    "stable_uuid",
    "stix_uuid",
]

# The one namespace of every derived export id: same key, same id, in every package.
EXPORT_NAMESPACE = uuid.UUID("6f1c1d52-3b0e-5c2a-9a57-0d7e2f6a4b11")


def stable_uuid(*key: str) -> uuid.UUID:
    """uuid5 over a canonical key (parts joined by the unit separator)."""
    return uuid.uuid5(EXPORT_NAMESPACE, "\x1f".join(key))


def stix_uuid(*key: str) -> str:
    """`stable_uuid` with its version bits set to 4: the STIX validator accepts only v4.

    >>> stix_uuid("a")[14]
    '4'
    >>> stix_uuid("a")[15:] == str(stable_uuid("a"))[15:]
    True
    """
    # The uuid5 digest taken directly (no UUID objects): ids are made per object.
    raw = bytearray(
        hashlib.sha1(
            EXPORT_NAMESPACE.bytes + "\x1f".join(key).encode(), usedforsecurity=False
        ).digest()[:16]
    )
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def outcome_id(case_id: str, outcome: ExportOutcome) -> str:
    """A stable node id for an outcome (outcomes carry no id of their own)."""
    key = (case_id, iso(outcome.at), outcome.kind, outcome.entity or "", outcome.description)
    return f"outcome-{stable_uuid('outcome', *key)}"


def format_confidence(value: float) -> str:
    """Confidence as written in a cell or a note: a plain decimal, up to 6 significant
    digits.

    >>> format_confidence(0.1 + 0.2), format_confidence(1.0), format_confidence(1e-07)
    ('0.3', '1', '0.0000001')
    """
    text = format(value, ".6g")
    if "e" in text:  # i2's import wizard reads decimals, not 1e-07
        text = format(value, ".12f").rstrip("0").rstrip(".")
    return text


def dumps(value: Any) -> str:
    """Canonical compact JSON for values embedded in a cell or attribute."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def evidence_record(evidence: Evidence) -> dict[str, str]:
    record = {"id": evidence.id, "kind": evidence.kind}
    for key in ("description", "sha256", "uri"):
        value = getattr(evidence, key)
        if value is not None:
            record[key] = value
    return record


def assertion_record(assertion: Assertion) -> dict[str, Any]:
    """The provenance of one assertion as plain JSON values."""
    return {
        "report_id": assertion.report_id,
        "reported_by": assertion.reported_by,
        "reported_at": iso(assertion.reported_at),
        "source": assertion.source.value,
        "confidence": assertion.confidence,
        "marking": assertion.marking.value,
        "shared_with": list(assertion.shared_with),
        "evidence": [evidence_record(e) for e in assertion.evidence],
    }


@functools.lru_cache(maxsize=1 << 17)
def assertions_json(assertions: tuple[Assertion, ...]) -> str:
    """`dumps` of the assertions' records; shared by the formats that embed it as text."""
    return dumps([assertion_record(a) for a in assertions])


class Writer(ABC):
    """One export format: feed it every item of a view, then take its files."""

    format: ClassVar[str]

    def __init__(self, view: CaseView) -> None:
        self.view = view
        self._known = {e.id for e in view.entities}

    def known(self, entity_id: str | None) -> bool:
        """Whether the view holds this entity (so a reference to it may be written)."""
        return entity_id is not None and entity_id in self._known

    def org_name(self, org_id: str) -> str:
        org = self.view.orgs.get(org_id)
        return org.name if org is not None else org_id

    def write(self, item: ExportItem) -> None:
        if isinstance(item, ExportEntity):
            self.write_entity(item)
        elif isinstance(item, ExportRelation):
            if self.known(item.source) and self.known(item.target):
                self.write_relation(item)
        elif isinstance(item, ExportTestBuy):
            if self.known(item.listing):
                self.write_test_buy(item)
        elif isinstance(item, ExportEvidence):
            self.write_evidence(item)
        else:
            self.write_outcome(item)

    @abstractmethod
    def write_entity(self, entity: ExportEntity) -> None: ...

    @abstractmethod
    def write_relation(self, relation: ExportRelation) -> None: ...

    @abstractmethod
    def write_test_buy(self, buy: ExportTestBuy) -> None: ...

    @abstractmethod
    def write_outcome(self, outcome: ExportOutcome) -> None: ...

    def write_evidence(self, evidence: ExportEvidence) -> None:  # noqa: B027 - optional
        """An evidence file and its custody: the package lists every file with its hashes
        and custody (``evidence/custody.json``); a format that has a place for them adds
        them too (STIX: ``observed-data`` and ``note``)."""

    @abstractmethod
    def finalize(self) -> dict[str, bytes]:
        """The files of this format: name inside the package -> bytes."""


def export(view: CaseView, writer_class: type[Writer]) -> dict[str, bytes]:
    """Run one writer over every item of the view."""
    writer = writer_class(view)
    for item in iter_items(view):
        writer.write(item)
    return writer.finalize()
