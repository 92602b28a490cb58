"""GraphQL types of the workflows: notices, penalties, publications, alerts, test buys,
cases.

Thin adapters over the workflow records (``graph_api.workflow``). Entities
inside them go through the request's ``entity_loader``, so an entity the
caller cannot see is left out (or, where the contract needs it, the object
that names it is hidden). The root fields that return them are
``graph_api.api.workflow_fields``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry

from graph_api import model
from graph_api.analytics.results import Path as PathResult
from graph_api.api.analytics_fields import Path
from graph_api.api.desk_types import (
    CounterNotice,
    ListingOutcome,
    NoticeReason,
    NoticeStatus,
    Right,
    counter_notices_of,
    outcomes_of,
    rights_of,
)
from graph_api.api.typed import typed_field
from graph_api.api.types import Entity, Node, load_entity
from graph_api.api.value_types import Evidence, Info, Marking, Org, org_of
from graph_api.workflow import model as wf
from graph_api.workflow import queries as wf_queries

__all__ = [
    "Alert",
    "AlertKind",
    "Case",
    "CaseOutcome",
    "CaseOutcomeKind",
    "Notice",
    "NoticeStats",
    "Penalty",
    "Publication",
    "TestBuy",
    "alert_of",
    "penalty_of",
]

strawberry.enum(wf.AlertKind)
AlertKind = wf.AlertKind
strawberry.enum(wf.OutcomeKind, name="CaseOutcomeKind")
CaseOutcomeKind = wf.OutcomeKind


def _at(key: str | None) -> datetime | None:
    return None if key is None else wf.from_key(key)


def _evidence(items: list[Mapping[str, Any]]) -> list[Evidence]:
    return [
        Evidence.from_model(model.Evidence(e["id"], e["kind"], e.get("description"),
                                           e.get("sha256"), e.get("uri")))
        for e in items
    ]


async def _entities(info: Info, ids: list[str]) -> list[Entity]:
    records = await info.context.entity_loader.load_many(ids)
    return [Entity.from_record(r) for r in records if r is not None]


@strawberry.type
class Penalty:
    id: strawberry.ID = strawberry.field(
        description="The penalty in the caller's org's ledger (appealPenalty names the "
        "platform's)")
    kind: str
    subject: Entity
    applied_at: datetime
    until: datetime | None
    lifted_at: datetime | None


async def _penalties(info: Info, docs: list[dict[str, Any]]) -> list[Penalty]:
    """Penalties whose subject the caller can see."""
    subjects = await info.context.entity_loader.load_many([d["subject"] for d in docs])
    return [
        Penalty(id=strawberry.ID(d["id"]), kind=d["kind"], subject=Entity.from_record(s),
                applied_at=wf.from_key(d["appliedAt"]), until=_at(d.get("until")),
                lifted_at=_at(d.get("liftedAt")))
        for d, s in zip(docs, subjects, strict=True) if s is not None
    ]


async def penalty_of(info: Info, penalty_id: str) -> Penalty | None:
    """One penalty of the caller's org's ledger, by id (None: not in it, or its subject
    is not visible)."""
    doc = wf_queries.penalty(info.context.services, info.context.scope, penalty_id)
    found = [] if doc is None else await _penalties(info, [doc])
    return found[0] if found else None


@strawberry.type
class Notice(Node):
    id: strawberry.ID
    status: NoticeStatus
    filed_at: datetime
    refute_by: datetime
    decided_at: datetime | None
    grounds: str
    refutation: str | None
    marking: Marking
    reason: str | None
    evidence: list[Evidence]
    _doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Notice:
        return cls(
            id=strawberry.ID(doc["id"]), status=wf.NoticeStatus(doc["status"]),
            filed_at=wf.from_key(doc["filedAt"]), refute_by=wf.from_key(doc["refuteBy"]),
            decided_at=_at(doc.get("decidedAt")), grounds=doc["grounds"],
            refutation=doc.get("refutation"), marking=model.Marking(doc["marking"]),
            reason=doc.get("reason"), evidence=_evidence(doc["evidence"]), _doc=doc,
        )

    @strawberry.field
    def brand(self, info: Info) -> Org:
        return org_of(info, self._doc["brand"])

    @strawberry.field
    async def listings(self, info: Info) -> list[Entity]:
        return await _entities(info, self._doc["listings"])

    @strawberry.field
    def rights(self, info: Info) -> list[Right]:
        return rights_of(info, self._doc)

    @strawberry.field
    def reason_code(self) -> NoticeReason | None:
        code = self._doc.get("reasonCode")
        return None if code is None else NoticeReason(code)

    @typed_field(description="One per listing named, in the order filed.")
    def outcomes(self) -> list[ListingOutcome]:
        return outcomes_of(self._doc)

    @strawberry.field
    def counter_notices(self) -> list[CounterNotice]:
        return counter_notices_of(self._doc)

    @typed_field(
        description="What the notice caused, in the caller's own ledger: the ladder over "
        "the notices the caller's org may see."
    )
    async def penalties(self, info: Info) -> list[Penalty]:
        docs = wf_queries.penalties_of_notice(info.context.services, info.context.scope,
                                              self._doc["id"])
        return await _penalties(info, docs)


@strawberry.type(description="A public state the platform published: id, kind and status only.")
class Publication:
    id: strawberry.ID
    status: str
    published_at: datetime
    reason: str | None
    _doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Publication:
        return cls(id=strawberry.ID(doc["id"]), status=doc["status"],
                   published_at=wf.from_key(doc["publishedAt"]), reason=doc.get("reason"),
                   _doc=doc)

    @strawberry.field
    async def entity(self, info: Info) -> Entity:
        return await load_entity(info, self._doc["entity"])


@strawberry.type
class NoticeStats:
    filed: int
    open: int
    refuted: int
    upheld: int
    reversed: int
    withdrawn: int
    median_time_to_takedown_seconds: float | None
    accuracy: float | None = strawberry.field(description="Upheld / (upheld + reversed).")


@strawberry.type
class Alert(Node):
    id: strawberry.ID
    kind: AlertKind
    raised_at: datetime
    subject: Entity
    explanation: list[Path]


def alert_of(info: Info, G: Any, doc: Mapping[str, Any], paths: list[PathResult]) -> Alert:
    """The GraphQL alert of a record's ``doc``, its explanation ``paths`` in the
    caller's view ``G``."""
    scope = info.context.scope
    subject = info.context.store.entities_by_id(scope, [doc["subject"]])
    return Alert(
        id=strawberry.ID(doc["id"]), kind=wf.AlertKind(doc["kind"]),
        raised_at=wf.from_key(doc["raisedAt"]),
        subject=Entity.from_record(subject[doc["subject"]]),
        explanation=[Path.build(G, p) for p in paths],
    )


@strawberry.type
class TestBuy(Node):
    __test__ = False  # not a pytest class

    id: strawberry.ID
    result: str
    ordered_at: datetime
    marking: Marking
    evidence: list[Evidence]
    _doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TestBuy:
        return cls(id=strawberry.ID(doc["id"]), result=doc["result"],
                   ordered_at=wf.from_key(doc["orderedAt"]), marking=model.Marking(doc["marking"]),
                   evidence=_evidence(doc["evidence"]), _doc=doc)

    @strawberry.field
    async def listing(self, info: Info) -> Entity:
        # The test buy's own report asserts the listing under the same marking.
        return await load_entity(info, self._doc["listing"])

    @strawberry.field
    async def shipped_from(self, info: Info) -> Entity | None:
        if not self._doc.get("shippedFrom"):
            return None
        record = await info.context.entity_loader.load(self._doc["shippedFrom"])
        return None if record is None else Entity.from_record(record)


@strawberry.type
class CaseOutcome:
    kind: CaseOutcomeKind
    description: str
    value: float | None
    at: datetime
    _entity: strawberry.Private[str | None]

    @strawberry.field
    async def entity(self, info: Info) -> Entity | None:
        if self._entity is None:
            return None
        record = await info.context.entity_loader.load(self._entity)
        return None if record is None else Entity.from_record(record)


@strawberry.type
class Case(Node):
    id: strawberry.ID
    title: str
    status: str
    opened_at: datetime
    marking: Marking
    outcomes: list[CaseOutcome]
    _doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Case:
        return cls(
            id=strawberry.ID(doc["id"]), title=doc["title"], status=doc["status"],
            opened_at=wf.from_key(doc["openedAt"]), marking=model.Marking(doc["marking"]),
            outcomes=[
                CaseOutcome(kind=wf.OutcomeKind(o["kind"]), description=o["description"],
                            value=o["value"], at=wf.from_key(o["at"]), _entity=o["entity"])
                for o in doc["outcomes"]
            ],
            _doc=doc,
        )

    @strawberry.field
    def opened_by(self, info: Info) -> Org:
        return org_of(info, self._doc["org"])

    @strawberry.field
    async def entities(self, info: Info) -> list[Entity]:
        return await _entities(info, self._doc["entities"])

    @strawberry.field
    def shared_with(self, info: Info) -> list[Org]:
        return [org_of(info, o) for o in self._doc["sharedWith"]]
