"""The GraphQL schema: root resolvers, limits and error codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig

from graph_api.access import Action
from graph_api.api.analytics_fields import AnalyticsQuery
from graph_api.api.as_of import as_of_directive
from graph_api.api.desk_fields import DeskMutation, DeskQuery
from graph_api.api.direct import use_direct_resolvers
from graph_api.api.evidence_fields import UPLOAD_SCALAR, EvidenceMutation, EvidenceQuery, Upload
from graph_api.api.export_fields import ExportMutation
from graph_api.api.inputs import ReportInput, report_mapping
from graph_api.api.interdiction_fields import InterdictionQuery
from graph_api.api.rate_limit_fields import RateLimitQuery
from graph_api.api.relay import NodeQuery
from graph_api.api.types import Entity, EntityConnection, check_first, connection, wants_total
from graph_api.api.value_types import EntityKind, Info, Org, OrgType, Principal, ReportResult
from graph_api.api.workflow_fields import WorkflowMutation, WorkflowQuery, WorkflowSubscription
from graph_api.config import Settings
from graph_api.errors import GraphAPIError, Unauthenticated
from graph_api.model import EntityKind as DomainEntityKind
from graph_api.store.base import EntityFilter

__all__ = ["Mutation", "Query", "build_schema", "error_extensions", "limit_rules"]


@strawberry.type
class CoreQuery:
    @strawberry.field
    def me(self, info: Info) -> Principal:
        scope = info.context.scope
        org = info.context.store.org(scope.org_id)
        if org is None:
            raise Unauthenticated("the token's org no longer exists")
        return Principal(
            id=strawberry.ID(scope.principal_id), org=Org.from_model(org), role=scope.role
        )

    @strawberry.field
    def entity(self, info: Info, id: strawberry.ID) -> Entity | None:
        info.context.require(Action.READ)
        record = info.context.entity_records([str(id)])[0]
        return None if record is None else Entity.from_record(record)

    @strawberry.field
    def entities(
        self,
        info: Info,
        kind: EntityKind | None = None,
        search: str | None = None,
        region: str | None = None,
        status: str | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> EntityConnection:
        scope = info.context.require(Action.READ)
        where = EntityFilter(
            kind=DomainEntityKind(kind.value) if kind is not None else None,
            search=search or None,
            region=region,
            status=status,
        )
        page = info.context.store.find_entities(
            scope, where, check_first(first), after, wants_total(info)
        )
        return connection(page, Entity.from_record)


@strawberry.type
class CoreMutation:
    @strawberry.mutation
    def submit_report(self, info: Info, input: ReportInput) -> ReportResult:
        scope = info.context.require(Action.REPORT)
        raw = report_mapping(input)
        parsed = info.context.services.parse(scope, raw)  # refused input: audited as a read
        entry = info.context.take_audit()
        try:
            result = info.context.services.commit_report(scope, parsed, entry)
        except GraphAPIError:
            info.context.pending_audit = entry  # refused: recorded after the operation
            raise
        return ReportResult(
            report_id=strawberry.ID(result.report_id),
            entities=result.entities,
            relations=result.relations,
            created=result.created,
        )


@strawberry.type
class AuditRecord:
    seq: int
    at: datetime
    operation: str
    digest: str
    hash: str
    _principal_id: strawberry.Private[str]

    @strawberry.field
    def principal(self, info: Info) -> Principal:
        found = info.context.store.principal(self._principal_id)
        if found is None:  # anonymous or operator records name no stored principal
            org = Org(id=strawberry.ID(""), name="", type=OrgType.PLATFORM, trusted=False)
            return Principal(id=strawberry.ID(self._principal_id), org=org, role="")
        return Principal(id=strawberry.ID(found.id), org=Org.from_model(found.org), role=found.role)


@strawberry.type
class AuditQuery:
    @strawberry.field
    def audit_log(
        self, info: Info, first: int | None = 100, after: int | None = None
    ) -> list[AuditRecord]:
        """The records of the caller's own org, oldest first, numbered (``seq``, and
        ``after``) by the org's own sequence and chained by its own hashes: for an admin
        of any org type. Other orgs' records and the operator's are the operator's
        (``graph-api audit verify``)."""
        scope = info.context.require(Action.ADMIN)
        records = info.context.store.org_audit_records(
            scope.org_id, after or 0, check_first(first, 100)
        )
        return [
            AuditRecord(
                seq=r.org_seq,
                at=r.at,
                operation=r.operation,
                digest=r.digest,
                hash=r.org_hash,
                _principal_id=r.principal_id,
            )
            for r in records
        ]


@strawberry.type
class Query(
    DeskQuery, WorkflowQuery, AuditQuery, AnalyticsQuery, InterdictionQuery, CoreQuery, NodeQuery,
    EvidenceQuery, RateLimitQuery,
):
    """Every read: the core (entities), link analysis, Relay's ``node``/``nodes``, and the
    caller's ``rateLimit``."""


@strawberry.type
class Mutation(DeskMutation, ExportMutation, WorkflowMutation, CoreMutation, EvidenceMutation):
    """Every write: reports and the enforcement workflows."""


_LIMIT_MESSAGES = ("exceeds maximum operation depth", "aliases found", "more than", "token")


def error_extensions(error: GraphQLError) -> dict[str, str]:
    """The ``extensions`` of an error: our own codes, never a stack trace."""
    original = error.original_error
    if isinstance(original, GraphAPIError):
        return original.extensions()
    if original is None or isinstance(original, GraphQLError):  # parse, validate, coerce
        message = error.message
        if "Document contains more than" in message:  # the token limit, raised as a parse error
            return {"code": "LIMIT_EXCEEDED"}
        if any(m in message for m in _LIMIT_MESSAGES) and "Syntax Error" not in message:
            return {"code": "LIMIT_EXCEEDED"}
        return {"code": "BAD_USER_INPUT"}
    return {"code": "INTERNAL"}


class QuietSchema(strawberry.Schema):
    """Our own errors are answers, not incidents: log only the unexpected."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [e for e in errors if error_extensions(e)["code"] == "INTERNAL"]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def limit_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """Validation rules beyond the specification's: query depth and aliases."""
    return [depth_rule(settings.max_depth, None, None), alias_rule(settings.max_aliases)]


def build_schema(direct: bool = True) -> strawberry.Schema:
    """The schema, without extensions: the executor (``operations.Operations``) parses,
    validates with ``limit_rules``, audits and bounds the time of every operation, on
    every transport, once. ``direct=False`` keeps strawberry's own resolver wrapping
    (``api.direct``)."""
    schema = QuietSchema(query=Query, mutation=Mutation, subscription=WorkflowSubscription,
                         directives=[as_of_directive],
                         config=StrawberryConfig(scalar_map={Upload: UPLOAD_SCALAR}))
    if direct:
        use_direct_resolvers(schema)
    return schema
