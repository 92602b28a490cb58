"""GraphQL for the rights holder's desk: rights, per-listing outcomes, counter-notices,
appeals and notifier accuracy (contract-next.graphql).

Thin adapters over ``graph_api.workflow.rights``, ``appeals`` and ``notifiers``;
entities inside go through the request's ``entity_loader`` (an entity the caller
cannot see is left out).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from graph_api.access import Action
from graph_api.api.desk_types import (
    AppealStatus,
    Right,
    RightKind,
    RightStatus,
    at_or_none,
    evidence_list,
)
from graph_api.api.inputs import EvidenceInput, evidence_mapping
from graph_api.api.typed import typed_field
from graph_api.api.types import Node
from graph_api.api.value_types import Evidence, Info, Org, org_of
from graph_api.api.workflow_types import Notice, Penalty, penalty_of
from graph_api.workflow import appeals as wf_appeals
from graph_api.workflow import model as wf
from graph_api.workflow import notices as wf_notices
from graph_api.workflow import notifiers as wf_notifiers
from graph_api.workflow import rights as wf_rights
from graph_api.workflow.runtime import reading_time

__all__ = ["Appeal", "DeskMutation", "DeskQuery", "NotifierStats", "RightInput"]

@strawberry.type
class Appeal(Node):
    id: strawberry.ID
    statement: str
    evidence: list[Evidence]
    status: AppealStatus
    filed_at: datetime
    decided_at: datetime | None
    reason: str | None
    _doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Appeal:
        return cls(id=strawberry.ID(doc["id"]), statement=doc["statement"],
                   evidence=evidence_list(doc["evidence"]), status=AppealStatus(doc["status"]),
                   filed_at=wf.from_key(doc["filedAt"]),
                   decided_at=at_or_none(doc.get("decidedAt")), reason=doc.get("reason"),
                   _doc=doc)

    @typed_field(
        description="The penalty appealed, as the caller's own ledger holds it."
    )
    async def penalty(self, info: Info) -> Penalty:
        org = info.context.scope.org_id
        found = await penalty_of(info, f"{org}/{self._doc['local']}")
        if found is None:
            raise LookupError("the appealed penalty's subject is not visible")
        return found


@strawberry.type
class NotifierStats:
    since: datetime | None
    notices: int
    listings: int
    upheld: int
    reversed: int
    withdrawn: int
    accuracy: float | None
    median_hours_to_decision: float | None
    trusted: bool
    _org: strawberry.Private[str]

    @strawberry.field
    def org(self, info: Info) -> Org:
        return org_of(info, self._org)


@strawberry.input
class RightInput:
    kind: RightKind
    registration: str
    jurisdiction: str
    evidence: list[EvidenceInput]
    goods_classes: list[str] | None = strawberry.field(default_factory=list)
    valid_until: datetime | None = None
    shared_with: list[strawberry.ID] | None = strawberry.field(default_factory=list)


@strawberry.type
class DeskQuery:
    @typed_field(
        description="Rights the caller may see: its own, shared with it, or all for "
        "PLATFORM and REGULATOR orgs."
    )
    def rights(
        self, info: Info, holder: strawberry.ID | None = None,
        status: RightStatus | None = None,
    ) -> list[Right]:
        scope = info.context.require(Action.READ)
        services = info.context.services
        docs = wf_rights.list_rights(services, scope, None if holder is None else str(holder),
                                     None if status is None else str(status.value))
        now = reading_time(services, scope)
        return [Right.from_doc(d, now) for d in docs]

    @strawberry.field
    def appeals(
        self, info: Info, status: AppealStatus | None = None
    ) -> list[Appeal]:
        scope = info.context.require(Action.READ)
        docs = wf_appeals.list_appeals(info.context.services, scope,
                                       None if status is None else str(status.value))
        return [Appeal.from_doc(d) for d in docs]

    @strawberry.field
    def notifier_stats(
        self, info: Info, org: strawberry.ID | None = None, since: datetime | None = None
    ) -> list[NotifierStats]:
        scope = info.context.require(Action.READ)
        rows = wf_notifiers.notifier_stats(info.context.services, scope,
                                           None if org is None else str(org), since)
        return [NotifierStats(
            since=r["since"], notices=r["notices"], listings=r["listings"], upheld=r["upheld"],
            reversed=r["reversed"], withdrawn=r["withdrawn"], accuracy=r["accuracy"],
            median_hours_to_decision=r["medianHoursToDecision"], trusted=r["trusted"],
            _org=r["org"]) for r in rows]


@strawberry.type
class DeskMutation:
    @strawberry.mutation
    def register_right(self, info: Info, input: RightInput) -> Right:
        services = info.context.services
        doc = wf_rights.register_right(
            services, info.context.scope, wf.RightKind(input.kind).value, input.registration,
            input.jurisdiction, list(input.goods_classes or []), input.valid_until,
            list(evidence_mapping(input.evidence) or []),
            [str(o) for o in input.shared_with or []],
        )
        return Right.from_doc(doc, services.clock())

    @strawberry.mutation
    def verify_right(self, info: Info, id: strawberry.ID, verified: bool, reason: str) -> Right:
        services = info.context.services
        doc = wf_rights.verify_right(services, info.context.scope, str(id), verified, reason)
        return Right.from_doc(doc, services.clock())

    @strawberry.mutation
    def decide_listings(
        self, info: Info, notice: strawberry.ID, listings: list[strawberry.ID], upheld: bool,
        reason: str,
    ) -> Notice:
        doc = wf_notices.decide_listings(info.context.services, info.context.scope,
                                         str(notice), [str(x) for x in listings], upheld, reason)
        return Notice.from_doc(doc)

    @strawberry.mutation
    def file_counter_notice(
        self, info: Info, notice: strawberry.ID, listings: list[strawberry.ID], statement: str,
        evidence: list[EvidenceInput] | None = None,
    ) -> Notice:
        doc = wf_notices.counter_notice(info.context.services, info.context.scope, str(notice),
                                        [str(x) for x in listings], statement,
                                        evidence_mapping(evidence))
        return Notice.from_doc(doc)

    @strawberry.mutation
    def appeal_penalty(
        self, info: Info, penalty: strawberry.ID, statement: str,
        evidence: list[EvidenceInput] | None = None,
    ) -> Appeal:
        doc = wf_appeals.appeal_penalty(info.context.services, info.context.scope, str(penalty),
                                        statement, evidence_mapping(evidence))
        return Appeal.from_doc(doc)

    @strawberry.mutation
    def decide_appeal(self, info: Info, id: strawberry.ID, upheld: bool, reason: str) -> Appeal:
        doc = wf_appeals.decide_appeal(info.context.services, info.context.scope, str(id),
                                       upheld, reason)
        return Appeal.from_doc(doc)


