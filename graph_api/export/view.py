"""The one visibility-filtered input every export format reads.

The store builds a `CaseView` from the exporting caller's visible assertions
only; the writers consume it and nothing else, so no format can show what
another hides (STYLE habit 8). Nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph_api.model import (
    Assertion,
    EntityKind,
    Evidence,
    IdentifierKind,
    Marking,
    Org,
    RelationKind,
)

__all__ = [
    "CaseView",
    "ExportCustody",
    "ExportEntity",
    "ExportEvidence",
    "ExportItem",
    "ExportOutcome",
    "ExportRelation",
    "ExportTestBuy",
    "counts",
    "first_reported",
    "highest_marking",
    "iso",
    "iter_items",
    "last_reported",
    "marking_of",
    "reporters",
]


@dataclass(frozen=True, slots=True)
class ExportEntity:
    id: str
    kind: EntityKind
    name: str | None
    region: str | None
    status: str | None
    properties: dict[str, Any]
    confidence: float
    assertions: tuple[Assertion, ...]
    identifier_kind: IdentifierKind | None = None
    value: str | None = None  # the clear value, or None where the caller may not see it


@dataclass(frozen=True, slots=True)
class ExportRelation:
    id: str
    kind: RelationKind
    source: str
    target: str
    confidence: float
    assertions: tuple[Assertion, ...]


@dataclass(frozen=True, slots=True)
class ExportTestBuy:
    id: str
    listing: str
    result: str
    ordered_at: datetime
    shipped_from: str | None
    evidence: tuple[Evidence, ...]
    marking: Marking
    reported_by: str  # org id


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    kind: str  # ARREST, SEIZURE, CLOSURE, ...
    entity: str | None
    description: str
    value: float | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ExportCustody:
    """One custody event of an evidence file. (The audit record that holds it is not
    exported: its sequence number and hash would tell the ledger's volume of others'
    activity; ``chain_verified`` says whether it was in place.)"""

    action: str  # SAMPLE_RECEIVED, TRANSFERRED, STORED, EXAMINED, RELEASED, DESTROYED
    at: datetime
    holder: str
    location: str
    note: str | None
    recorded_by: str  # principal id
    org: str  # the recording principal's org id


@dataclass(frozen=True, slots=True)
class ExportEvidence:
    """An evidence file attached to the case or to one of its test buys."""

    id: str
    attached_to: str  # the case's or a test buy's id
    target_kind: str  # case, testbuy
    name: str
    media_type: str
    bytes: int
    sha256: str
    description: str | None
    attached_at: datetime
    attached_by: str  # principal id
    org: str  # the attaching org's id
    marking: Marking  # the marking of the record it is attached to
    custody: tuple[ExportCustody, ...]
    chain_verified: bool  # when exported (graph_api.workflow.custody_chain.verify_custody)
    path: Path | None = None  # the file's bytes (the evidence folder), for a package
    # that includes them


@dataclass(frozen=True, slots=True)
class CaseView:
    case_id: str
    title: str
    status: str
    opened_by: Org
    opened_at: datetime
    marking: Marking
    exporter: Org
    exporter_principal: str
    recipient: str
    created_at: datetime
    entities: tuple[ExportEntity, ...]
    relations: tuple[ExportRelation, ...]
    test_buys: tuple[ExportTestBuy, ...] = ()
    outcomes: tuple[ExportOutcome, ...] = ()
    orgs: dict[str, Org] = field(default_factory=dict)  # every org an assertion names
    max_marking: Marking | None = None  # the export's ceiling: nothing above it is in the view
    evidence: tuple[ExportEvidence, ...] = ()  # files of the case and of its test buys
    as_of: datetime | None = None  # the view as of a time (exportCase(asOf:)), else today's


ExportItem = ExportEntity | ExportRelation | ExportTestBuy | ExportOutcome | ExportEvidence


def iter_items(view: CaseView) -> Iterator[ExportItem]:
    """Every item of the view in a stable order: entities, relations, test buys, outcomes,
    evidence files."""
    yield from sorted(view.entities, key=lambda e: e.id)
    yield from sorted(view.relations, key=lambda r: r.id)
    yield from sorted(view.test_buys, key=lambda t: t.id)
    yield from sorted(view.outcomes, key=lambda o: (o.at, o.kind, o.entity or "", o.description))
    yield from sorted(view.evidence, key=lambda e: (e.attached_at, e.id))


def marking_of(assertions: Iterable[Assertion], default: Marking) -> Marking:
    """The narrowest marking among the assertions (`default` when there are none)."""
    ranks = [a.marking.rank for a in assertions]
    return list(Marking)[max(ranks)] if ranks else default


def highest_marking(view: CaseView) -> Marking:
    """The narrowest marking of anything the package holds, the case itself included."""
    rank = view.marking.rank
    for entity in view.entities:
        for a in entity.assertions:
            rank = max(rank, a.marking.rank)
    for relation in view.relations:
        for a in relation.assertions:
            rank = max(rank, a.marking.rank)
    for buy in view.test_buys:
        rank = max(rank, buy.marking.rank)
    for item in view.evidence:
        rank = max(rank, item.marking.rank)
    return list(Marking)[rank]


def counts(view: CaseView) -> dict[str, int]:
    return {
        "entities": len(view.entities),
        "relations": len(view.relations),
        "test_buys": len(view.test_buys),
        "outcomes": len(view.outcomes),
        "evidence": len(view.evidence),
    }


def reporters(assertions: Iterable[Assertion]) -> list[str]:
    """Distinct reporting org ids, in order of first report."""
    ordered = sorted(assertions, key=lambda a: (a.reported_at, a.reported_by))
    return list(dict.fromkeys(a.reported_by for a in ordered))


def first_reported(assertions: Iterable[Assertion], default: datetime) -> datetime:
    return min((a.reported_at for a in assertions), default=default)


def last_reported(assertions: Iterable[Assertion], default: datetime) -> datetime:
    return max((a.reported_at for a in assertions), default=default)


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC with a Z; a naive time is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
