"""Every GraphQL operation goes into the audit ledger.

A write records itself in its own transaction through ``Context.take_audit``;
whatever was not recorded that way (reads, refused writes) is appended when
the operation ends.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from graph_api import deadline
from graph_api.api.context import Context
from graph_api.audit import AuditEntry, digest_of
from graph_api.errors import GraphAPIError

__all__ = ["AuditExtension"]


def operation_label(document: object, operation_name: str | None) -> str:
    """``query entity`` / ``mutation submitReport``: type and name (or root fields)."""
    for node in getattr(document, "definitions", ()):
        if isinstance(node, OperationDefinitionNode):
            if operation_name and (node.name is None or node.name.value != operation_name):
                continue
            fields = [
                sel.name.value for sel in node.selection_set.selections if hasattr(sel, "name")
            ]
            name = node.name.value if node.name else "+".join(fields)
            return f"{node.operation.value} {name}"[:200]
    return "invalid"


_labels: dict[tuple[str, str | None], str] = {}


def cached_label(query: str, operation_name: str | None, document: object) -> str:
    """``operation_label`` once per distinct query text (clients repeat theirs)."""
    key = (query, operation_name)
    label = _labels.get(key)
    if label is None:
        label = operation_label(document, operation_name)
        if len(_labels) < 4096:
            _labels[key] = label
    return label


class AuditExtension(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if not isinstance(context, Context):
            yield
            return
        scope = context._scope
        context.pending_audit = AuditEntry(
            at=context.services.clock(),
            principal_id=scope.principal_id if scope else "anonymous",
            org_id=scope.org_id if scope else "",
            operation=cached_label(
                self.execution_context.query or "", self.execution_context.operation_name,
                self.execution_context.graphql_document,
            ),
            digest=digest_of(self.execution_context.variables),
        )
        with deadline.budget(context.services.settings.request_seconds):
            yield
        entry = context.take_audit()
        if entry is None:
            return
        try:
            context.services.store.append_audit(entry)
        except GraphAPIError as exc:  # no answer that is not in the ledger
            result = self.execution_context.result
            if isinstance(result, GraphQLExecutionResult):
                result.data = None
                errors = list(result.errors or [])
                if all(getattr(e.original_error, "code", None) != exc.code for e in errors):
                    errors.append(GraphQLError(exc.message, original_error=exc))
                result.errors = errors  # a refused write's own UNAVAILABLE says it already
