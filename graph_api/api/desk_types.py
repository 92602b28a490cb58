"""GraphQL types of the rights holder's desk that notices carry: rights, per-listing
outcomes and counter-notices (contract-next.graphql)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry

from graph_api import model
from graph_api.api.types import Entity, Node, load_entity
from graph_api.api.value_types import Evidence, Info, Org, org_of
from graph_api.workflow import model as wf
from graph_api.workflow import queries as wf_queries
from graph_api.workflow import rights as wf_rights
from graph_api.workflow.runtime import reading_time

__all__ = [
    "AppealStatus",
    "CounterNotice",
    "ListingOutcome",
    "NoticeReason",
    "Right",
    "RightKind",
    "RightStatus",
    "counter_notices_of",
    "at_or_none",
    "evidence_list",
    "outcomes_of",
    "rights_of",
]

strawberry.enum(wf.NoticeStatus)
NoticeStatus = wf.NoticeStatus

strawberry.enum(wf.RightKind)
RightKind = wf.RightKind
strawberry.enum(wf.RightStatus)
RightStatus = wf.RightStatus
strawberry.enum(wf.NoticeReason)
NoticeReason = wf.NoticeReason
strawberry.enum(wf.AppealStatus)
AppealStatus = wf.AppealStatus


def at_or_none(key: str | None) -> datetime | None:
    return None if key is None else wf.from_key(key)


def evidence_list(items: list[Mapping[str, Any]]) -> list[Evidence]:
    return [
        Evidence.from_model(model.Evidence(e["id"], e["kind"], e.get("description"),
                                           e.get("sha256"), e.get("uri")))
        for e in items
    ]


@strawberry.type
class Right(Node):
    id: strawberry.ID
    kind: RightKind
    registration: str
    jurisdiction: str
    goods_classes: list[str]
    valid_until: datetime | None
    status: RightStatus
    reason: str | None
    evidence: list[Evidence]
    _doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_doc(cls, doc: dict[str, Any], now: datetime) -> Right:
        return cls(
            id=strawberry.ID(doc["id"]), kind=RightKind(doc["kind"]),
            registration=doc["registration"], jurisdiction=doc["jurisdiction"],
            goods_classes=list(doc["goodsClasses"]), valid_until=at_or_none(doc.get("validUntil")),
            status=RightStatus(wf_rights.right_status(doc, now)), reason=doc.get("reason"),
            evidence=evidence_list(doc["evidence"]), _doc=doc,
        )

    @strawberry.field
    def holder(self, info: Info) -> Org:
        return org_of(info, self._doc["holder"])


@strawberry.type
class ListingOutcome:
    status: NoticeStatus
    refute_by: datetime
    decided_at: datetime | None
    reason: str | None
    _listing: strawberry.Private[str]

    @strawberry.field
    async def listing(self, info: Info) -> Entity:
        return await load_entity(info, self._listing)


@strawberry.type
class CounterNotice:
    id: strawberry.ID
    statement: str
    evidence: list[Evidence]
    filed_at: datetime
    _listings: strawberry.Private[list[str]]

    @strawberry.field
    async def listings(self, info: Info) -> list[Entity]:
        records = await info.context.entity_loader.load_many(self._listings)
        return [Entity.from_record(r) for r in records if r is not None]


def outcomes_of(doc: dict[str, Any]) -> list[ListingOutcome]:
    return [ListingOutcome(status=wf.NoticeStatus(o["status"]),
                           refute_by=wf.from_key(o["refuteBy"]),
                           decided_at=at_or_none(o.get("decidedAt")), reason=o.get("reason"),
                           _listing=o["listing"])
            for o in doc.get("outcomes", [])]


def counter_notices_of(doc: dict[str, Any]) -> list[CounterNotice]:
    return [CounterNotice(id=strawberry.ID(c["id"]), statement=c["statement"],
                          evidence=evidence_list(c["evidence"]), filed_at=wf.from_key(c["filedAt"]),
                          _listings=list(c["listings"]))
            for c in doc.get("counterNotices", [])]



def rights_of(info: Info, doc: dict[str, Any]) -> list[Right]:
    """The notice's cited rights that the caller may see."""
    services, scope = info.context.services, info.context.scope
    now = reading_time(services, scope)
    return [Right.from_doc(right, now)
            for right in wf_queries.cited_rights(services, scope, doc.get("rights", []))]
