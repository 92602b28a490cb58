"""GraphQL root fields of the workflows: the queries, mutations and the alert
subscription over notices, penalties, publications, alerts, test buys and cases, and
the inputs the mutations take. Their types are ``graph_api.api.workflow_types``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry

from graph_api import model
from graph_api.access import Action, public_scope
from graph_api.api.desk_types import NoticeReason, NoticeStatus
from graph_api.api.inputs import EvidenceInput, evidence_mapping
from graph_api.api.typed import typed_field, typed_mutation
from graph_api.api.types import Entity, check_first
from graph_api.api.value_types import Info, Marking
from graph_api.api.workflow_types import (
    Alert,
    AlertKind,
    Case,
    CaseOutcomeKind,
    Notice,
    NoticeStats,
    Penalty,
    Publication,
    TestBuy,
    _penalties,
    alert_of,
)
from graph_api.errors import BadUserInput
from graph_api.workflow import alerts as wf_alerts
from graph_api.workflow import cases as wf_cases
from graph_api.workflow import model as wf
from graph_api.workflow import notice_reads as wf_notice_reads
from graph_api.workflow import notices as wf_notices
from graph_api.workflow import publication as wf_publication
from graph_api.workflow import queries as wf_queries
from graph_api.workflow import testbuys as wf_testbuys
from graph_api.workflow.publication import published_bans

__all__ = ["WorkflowMutation", "WorkflowQuery", "WorkflowSubscription"]


def _alerts(info: Info, kind: str | None, first: int) -> list[Alert]:
    scope = info.context.require(Action.READ)
    G = info.context.store.view(scope)
    found = wf_alerts.list_alerts(info.context.services, scope, G, kind, first)
    return [alert_of(info, G, record.doc, paths) for record, paths in found]


@strawberry.input
class NoticeInput:
    listings: list[strawberry.ID]
    grounds: str
    evidence: list[EvidenceInput] | None = None
    marking: Marking | None = model.Marking.AMBER
    rights: list[strawberry.ID] | None = None
    reason_code: NoticeReason | None = None


@strawberry.input
class TestBuyInput:
    __test__ = False

    listing: strawberry.ID
    result: str
    ordered_at: datetime
    shipped_from: strawberry.ID | None = None
    evidence: list[EvidenceInput] | None = None
    marking: Marking | None = model.Marking.AMBER


@strawberry.input
class CaseInput:
    title: str
    entities: list[strawberry.ID]
    marking: Marking | None = model.Marking.AMBER_STRICT
    shared_with: list[strawberry.ID] | None = None


@strawberry.input
class CaseOutcomeInput:
    kind: CaseOutcomeKind
    entity: strawberry.ID | None = None
    description: str | None = None
    value: float | None = None


def _marking(value: Any, default: model.Marking) -> str:
    return (default if value is None else model.Marking(value)).value


@strawberry.type
class WorkflowQuery:
    @strawberry.field
    def notices(
        self, info: Info, status: NoticeStatus | None = None,
        first: int | None = 50, after: str | None = None,
    ) -> list[Notice]:
        scope = info.context.require(Action.READ)
        cursor = None
        if after is not None:  # the id of the last notice of the previous page
            doc = wf_notice_reads.get_notice(info.context.services, scope, after)
            if doc is None:
                raise BadUserInput("after: not a notice id you were given", field="after")
            cursor = (doc["refuteBy"], doc["id"])
        docs = wf_notice_reads.list_notices(
            info.context.services, scope, None if status is None else status.value,
            check_first(first), cursor,
        )
        return [Notice.from_doc(d) for d in docs]

    @strawberry.field
    def notice(self, info: Info, id: strawberry.ID) -> Notice | None:
        scope = info.context.require(Action.READ)
        doc = wf_notice_reads.get_notice(info.context.services, scope, str(id))
        return None if doc is None else Notice.from_doc(doc)

    @typed_field(
        description="Counts over the caller's visible notices (of one brand)."
    )
    def notice_stats(self, info: Info, brand: strawberry.ID | None = None) -> NoticeStats:
        scope = info.context.require(Action.READ)
        stats = wf_notice_reads.notice_stats(info.context.services, scope,
                                        None if brand is None else str(brand))
        c = stats["counts"]
        return NoticeStats(
            filed=stats["filed"], open=c["OPEN"], refuted=c["REFUTED"], upheld=c["UPHELD"],
            reversed=c["REVERSED"], withdrawn=c["WITHDRAWN"],
            median_time_to_takedown_seconds=stats["medianTakedownSeconds"],
            accuracy=stats["accuracy"],
        )

    @strawberry.field
    def alerts(
        self, info: Info, kind: AlertKind | None = None,
        first: int | None = 50,
    ) -> list[Alert]:
        return _alerts(info, None if kind is None else kind.value, check_first(first))

    @strawberry.field
    def cases(self, info: Info) -> list[Case]:
        scope = info.context.require(Action.READ)
        return [Case.from_doc(d) for d in wf_cases.list_cases(info.context.services, scope)]

    @strawberry.field
    def case(self, info: Info, id: strawberry.ID) -> Case | None:
        scope = info.context.require(Action.READ)
        doc = wf_cases.get_case(info.context.services, scope, str(id))
        return None if doc is None else Case.from_doc(doc)

    @typed_field(
        description="Sellers banned for counterfeiting; CLEAR to every caller."
    )
    async def name_and_shame(self, info: Info, first: int | None = 100) -> list[Entity]:
        """The platform's published bans, each seller as the public reads it (names from
        CLEAR and GREEN assertions only)."""
        scope = info.context.require(Action.READ)
        services = info.context.services
        ids = list(dict.fromkeys(published_bans(services, scope, check_first(first, 100))))
        found = services.store.entities_by_id(public_scope().at(scope.as_of), ids)
        return [Entity.from_record(found[i]) for i in ids if i in found]

    @typed_field(
        description="Penalties on an entity in the caller's own ledger: the ladder over "
        "the notices the caller's org may see."
    )
    async def penalties(self, info: Info, entity: strawberry.ID) -> list[Penalty]:
        scope = info.context.require(Action.READ)
        return await _penalties(info, wf_queries.penalties_on(info.context.services, scope,
                                                               entity))

    @typed_field(
        description="The platform's publications of public states, newest first (public)."
    )
    def publications(self, info: Info, first: int | None = 50) -> list[Publication]:
        scope = info.context.require(Action.READ)
        docs = wf_publication.list_publications(info.context.services, scope,
                                                check_first(first))
        return [Publication.from_doc(d) for d in docs]

    @strawberry.field
    def test_buys(
        self, info: Info, listing: strawberry.ID | None = None, first: int | None = 50
    ) -> list[TestBuy]:
        scope = info.context.require(Action.READ)
        docs = wf_testbuys.list_test_buys(
            info.context.services, scope, None if listing is None else str(listing),
            check_first(first),
        )
        return [TestBuy.from_doc(d) for d in docs]


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation
    def file_notice(self, info: Info, input: NoticeInput) -> Notice:
        doc = wf_notices.file_notice(
            info.context.services, info.context.scope, [str(x) for x in input.listings],
            input.grounds, evidence_mapping(input.evidence),
            _marking(input.marking, model.Marking.AMBER),
            None if input.rights is None else [str(r) for r in input.rights],
            None if input.reason_code is None else str(input.reason_code.value),
        )
        return Notice.from_doc(doc)

    @strawberry.mutation
    def refute_notice(
        self, info: Info, id: strawberry.ID, statement: str,
        evidence: list[EvidenceInput] | None = None,
    ) -> Notice:
        doc = wf_notices.refute_notice(info.context.services, info.context.scope, str(id),
                                       statement, evidence_mapping(evidence))
        return Notice.from_doc(doc)

    @strawberry.mutation
    def decide_notice(self, info: Info, id: strawberry.ID, upheld: bool, reason: str) -> Notice:
        doc = wf_notices.decide_notice(info.context.services, info.context.scope, str(id),
                                       upheld, reason)
        return Notice.from_doc(doc)

    @strawberry.mutation
    def withdraw_notice(self, info: Info, id: strawberry.ID) -> Notice:
        doc = wf_notices.withdraw_notice(info.context.services, info.context.scope, str(id))
        return Notice.from_doc(doc)

    @typed_mutation(
        description="A platform reviewer publishes an entity's public state (LISTING "
        "DELISTED/LIVE, STOREFRONT CLOSED/OPEN, SELLER BANNED/ACTIVE) as a CLEAR assertion."
    )
    def publish(
        self, info: Info, entity: strawberry.ID, status: str, reason: str | None = None
    ) -> Publication:
        doc = wf_publication.publish(info.context.services, info.context.scope, str(entity),
                                     status, reason)
        return Publication.from_doc(doc)

    @strawberry.mutation
    def record_test_buy(self, info: Info, input: TestBuyInput) -> TestBuy:
        doc = wf_testbuys.record_test_buy(
            info.context.services, info.context.scope, str(input.listing), input.result,
            input.ordered_at, None if input.shipped_from is None else str(input.shipped_from),
            evidence_mapping(input.evidence), _marking(input.marking, model.Marking.AMBER),
        )
        return TestBuy.from_doc(doc)

    @strawberry.mutation
    def open_case(self, info: Info, input: CaseInput) -> Case:
        doc = wf_cases.open_case(
            info.context.services, info.context.scope, input.title,
            [str(x) for x in input.entities], _marking(input.marking, model.Marking.AMBER_STRICT),
            [str(x) for x in input.shared_with or []],
        )
        return Case.from_doc(doc)

    @strawberry.mutation
    def add_case_outcome(self, info: Info, id: strawberry.ID, input: CaseOutcomeInput) -> Case:
        doc = wf_cases.add_outcome(
            info.context.services, info.context.scope, str(id), wf.OutcomeKind(input.kind).value,
            None if input.entity is None else str(input.entity), input.description or "",
            input.value,
        )
        return Case.from_doc(doc)


@strawberry.type(name="Subscription")
class WorkflowSubscription:
    @strawberry.subscription
    async def alert_raised(
        self, info: Info, kind: AlertKind | None = None
    ) -> AsyncGenerator[Alert, None]:
        """Alerts as they are raised, those whose whole explanation the caller can see."""
        scope = info.context.require(Action.READ)
        services = info.context.services
        with wf_queries.raised_alerts(services) as queue:
            while True:
                key = await queue.get()
                doc = wf_queries.alert_by_key(services, scope, key)
                if doc is None or (kind is not None and doc["kind"] != kind.value):
                    continue
                G = services.store.view(scope)
                paths = wf_alerts.visible_paths(G, doc)
                if paths is None:
                    continue
                info.context.forget_entities()
                yield alert_of(info, G, doc, paths)
