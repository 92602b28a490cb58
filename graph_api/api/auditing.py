"""Every GraphQL operation goes into the audit ledger.

A write records itself in its own transaction through ``Context.take_audit``;
whatever was not recorded that way (reads, refused writes) is appended when
the operation ends (``audited``). On a store whose append waits on a server
(``AuditAhead``: Neo4j), a query's record, known in full before it runs, is
appended while it runs instead, and waited for before the answer leaves.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from graph_api import deadline
from graph_api.api.context import Context
from graph_api.audit import AuditEntry
from graph_api.errors import GraphAPIError
from graph_api.store.base import AuditAhead

__all__ = ["AuditExtension", "audited", "operation_label"]


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


class Outcome:
    """What ``audited`` guards: the result it withholds if its audit record is refused."""

    result: GraphQLExecutionResult | None = None


@contextlib.contextmanager
def audited(
    context: Context, label: str, variables: Mapping[str, Any] | None
) -> Iterator[Outcome]:
    """Run one operation within the request's time budget and record it in the ledger.

    A write records itself in its own transaction (``Context.take_audit``); anything
    else is appended afterwards, and if that append fails the answer is withheld:
    nothing is answered that is not in the ledger. A query on an ``AuditAhead`` store
    begins its append before it runs (its entry taken, so nothing records it twice)
    and waits for it after, to the same effect.
    """
    scope = context._scope
    entry = context.pending_audit = AuditEntry(
        at=context.services.clock(),
        principal_id=scope.principal_id if scope else "anonymous",
        org_id=scope.org_id if scope else "",
        operation=label,
        digest=context.services.audit_digest(variables),
    )
    outcome = Outcome()
    store = context.services.store
    recorded: Callable[[], None] | None = None
    with deadline.budget(context.services.settings.request_seconds):
        # the flag first: isinstance on a runtime Protocol walks its members (~30 us)
        ahead = label.startswith("query ") and getattr(store, "AUDITS_AHEAD", False)
        if ahead and isinstance(store, AuditAhead):
            context.take_audit()
            recorded = store.begin_audit(entry)  # keyed by this operation's budget
        try:
            yield outcome
        except BaseException:
            if recorded is not None:
                with contextlib.suppress(Exception):
                    recorded()  # the operation's own error is the answer
            raise
    if recorded is None:
        taken = context.take_audit()
        if taken is None:
            return
        recorded = functools.partial(store.append_audit, taken)
    _withheld_unless(recorded, outcome)


def _withheld_unless(recorded: Callable[[], None], outcome: Outcome) -> None:
    """Run (or wait for) the append; if it is refused, the answer is withheld."""
    try:
        recorded()
    except GraphAPIError as exc:
        result = outcome.result
        if result is not None:
            result.data = None
            errors = list(result.errors or [])
            if all(getattr(e.original_error, "code", None) != exc.code for e in errors):
                errors.append(GraphQLError(exc.message, original_error=exc))
            result.errors = errors  # a refused write's own UNAVAILABLE says it already


class AuditExtension(SchemaExtension):
    """``audited`` for operations run by strawberry itself (subscriptions on the WebSocket)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if not isinstance(context, Context):
            yield
            return
        label = operation_label(
            self.execution_context.graphql_document, self.execution_context.operation_name
        )
        with audited(context, label, self.execution_context.variables) as outcome:
            yield
            result = self.execution_context.result
            if isinstance(result, GraphQLExecutionResult):
                outcome.result = result
