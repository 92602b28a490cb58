"""GraphQL's enums and the small types around entities and relations: orgs,
principals, assertions with their evidence, timeline events and a report's result.
Thin adapters over domain records (``from_model``, ``from_event``); the entity
graph's types are `graph_api.api.types`.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graph_api import model
from graph_api.api.context import Context
from graph_api.workflow.model import from_key
from graph_api.workflow.timeline import Event

__all__ = [
    "Assertion",
    "Direction",
    "Evidence",
    "Org",
    "Principal",
    "ReportResult",
    "TimelineEvent",
]


strawberry.enum(model.EntityKind)
EntityKind = model.EntityKind
strawberry.enum(model.RelationKind)
RelationKind = model.RelationKind
strawberry.enum(model.IdentifierKind)
IdentifierKind = model.IdentifierKind
strawberry.enum(model.Marking)
Marking = model.Marking
strawberry.enum(model.SourceKind)
SourceKind = model.SourceKind
strawberry.enum(model.OrgType)
OrgType = model.OrgType


@strawberry.enum
class Direction(Enum):
    OUT = "OUT"
    IN = "IN"
    BOTH = "BOTH"


Info = strawberry.Info[Context, None]


@strawberry.type
class Org:
    id: strawberry.ID
    name: str
    type: OrgType
    trusted: bool

    @classmethod
    def from_model(cls, org: model.Org) -> Org:
        return cls(id=strawberry.ID(org.id), name=org.name, type=org.type, trusted=org.trusted)


@strawberry.type
class Principal:
    id: strawberry.ID
    org: Org
    role: str


@strawberry.type
class Evidence:
    id: strawberry.ID
    kind: str
    description: str | None
    sha256: str | None
    uri: str | None

    @classmethod
    def from_model(cls, ev: model.Evidence) -> Evidence:
        return cls(
            id=strawberry.ID(ev.id),
            kind=ev.kind,
            description=ev.description,
            sha256=ev.sha256,
            uri=ev.uri,
        )


@strawberry.type(
    description=(
        "One organisation's statement that an entity or relation exists, with its provenance."
    )
)
class Assertion:
    report_id: strawberry.ID
    reported_at: datetime
    source: SourceKind
    confidence: float
    marking: Marking
    evidence: list[Evidence]
    _assertion: strawberry.Private[model.Assertion]

    @classmethod
    def from_model(cls, a: model.Assertion, confidence: float) -> Assertion:
        return cls(
            report_id=strawberry.ID(a.report_id),
            reported_at=a.reported_at,
            source=a.source,
            confidence=confidence,
            marking=a.marking,
            evidence=[Evidence.from_model(e) for e in a.evidence],
            _assertion=a,
        )

    @strawberry.field
    def reported_by(self, info: Info) -> Org:
        return org_of(info, self._assertion.reported_by)

    @strawberry.field
    def shared_with(self, info: Info) -> list[Org]:
        # Only orgs are named here, never what they were sent: the list is the
        # report's own envelope, visible with the report.
        return [org_of(info, o) for o in self._assertion.shared_with]


@strawberry.type(description="One thing that happened to an entity, as the caller may read "
                 "it: an assertion, a notice or an outcome of it, a penalty, a test buy or a "
                 "publication (graph_api.workflow.timeline).")
class TimelineEvent:
    at: datetime
    kind: str = strawberry.field(
        description="ASSERTION, NOTICE, OUTCOME, PENALTY, TEST_BUY or PUBLICATION.")
    summary: str
    marking: Marking | None
    record_id: strawberry.ID | None = strawberry.field(
        description="The report (ASSERTION), notice (NOTICE, OUTCOME), penalty, test buy or "
        "publication.")
    cursor: str
    _reported_by: strawberry.Private[str | None]

    @classmethod
    def from_event(cls, event: Event) -> TimelineEvent:
        return cls(
            at=from_key(event.at), kind=event.kind, summary=event.summary,
            marking=event.marking,
            record_id=None if event.record_id is None else strawberry.ID(event.record_id),
            cursor=event.cursor, _reported_by=event.reported_by,
        )

    @strawberry.field
    def reported_by(self, info: Info) -> Org | None:
        return None if self._reported_by is None else org_of(info, self._reported_by)


def org_of(info: Info, org_id: str) -> Org:
    found = info.context.store.org(org_id)
    if found is None:  # orgs are never deleted; a missing one is a broken database
        raise RuntimeError(f"assertion names unknown org {org_id!r}")
    return Org.from_model(found)



@strawberry.type
class ReportResult:
    report_id: strawberry.ID
    entities: int
    relations: int
    created: bool
