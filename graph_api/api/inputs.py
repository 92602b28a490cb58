"""GraphQL input types, turned back into the plain ``ReportInput`` mapping the
domain validates (the same shape as an NDJSON import line)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from graph_api.api.value_types import EntityKind, IdentifierKind, Marking, RelationKind, SourceKind

__all__ = ["EntityInput", "EvidenceInput", "RelationInput", "ReportInput", "report_mapping"]


@strawberry.input
class EntityInput:
    id: strawberry.ID | None = None
    kind: EntityKind
    name: str | None = None
    region: str | None = None
    status: str | None = None
    properties: JSON | None = None
    identifier_kind: IdentifierKind | None = None
    value: str | None = None


@strawberry.input
class RelationInput:
    kind: RelationKind
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    confidence: float | None = None


@strawberry.input
class EvidenceInput:
    kind: str
    description: str | None = None
    sha256: str | None = None
    uri: str | None = None


@strawberry.input(
    description="One organisation's shared intelligence: a bundle with one provenance envelope."
)
class ReportInput:
    report_id: strawberry.ID | None = None
    source: SourceKind
    confidence: float
    marking: Marking
    shared_with: list[strawberry.ID] | None = None
    entities: list[EntityInput]
    relations: list[RelationInput]
    evidence: list[EvidenceInput] | None = None


def _value(v: Any) -> Any:
    return v.value if hasattr(v, "value") and not isinstance(v, str) else v


def evidence_mapping(items: list[EvidenceInput] | None) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    return [
        {"kind": e.kind, "description": e.description, "sha256": e.sha256, "uri": e.uri}
        for e in items
    ]


def report_mapping(r: ReportInput) -> dict[str, Any]:
    """The input as GraphQL field names, with nulls dropped (so it digests like NDJSON)."""

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if v is not None}

    return clean(
        {
            "reportId": r.report_id,
            "source": _value(r.source),
            "confidence": r.confidence,
            "marking": _value(r.marking),
            "sharedWith": list(r.shared_with) if r.shared_with is not None else None,
            "entities": [
                clean(
                    {
                        "id": e.id,
                        "kind": _value(e.kind),
                        "name": e.name,
                        "region": e.region,
                        "status": e.status,
                        "properties": e.properties,
                        "identifierKind": _value(e.identifier_kind),
                        "value": e.value,
                    }
                )
                for e in r.entities
            ],
            "relations": [
                clean(
                    {
                        "kind": _value(x.kind),
                        "from": x.from_,
                        "to": x.to,
                        "confidence": x.confidence,
                    }
                )
                for x in r.relations
            ],
            "evidence": [clean(e) for e in evidence_mapping(r.evidence) or []] or None,
        }
    )
