"""Every GraphQL operation goes into the audit ledger, once, whatever its transport.

``audited`` is the one place that records an operation and bounds its time: the
executor (``graph_api.api.operations``) runs every query, mutation and
subscription inside it, each with its own ``Operation``. A write records itself
in its own transaction through ``Operation.take_audit``; whatever was not
recorded that way (reads, refused writes) is appended when the operation ends.
On a store whose append waits on a server (``AuditAhead``: Neo4j), a query's
record, known in full before it runs, is appended while it runs instead, and
waited for before the answer leaves.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, OperationDefinitionNode

from graph_api import deadline
from graph_api.api.context import Operation
from graph_api.errors import GraphAPIError

__all__ = ["audited", "operation_label"]


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
def audited(operation: Operation, variables: Mapping[str, Any] | None) -> Iterator[Outcome]:
    """Run ``operation`` within its time budget and record it in the ledger.

    A write records itself in its own transaction (``Operation.take_audit``); anything
    else is appended afterwards, and if that append fails the answer is withheld:
    nothing is answered that is not in the ledger. A query on an ``AuditAhead`` store
    begins its append before it runs (its entry taken, so nothing records it twice)
    and waits for it after, to the same effect.
    """
    services, label = operation.services, operation.label
    entry = operation.pending_audit = services.audit_entry(operation._scope, label, variables)
    outcome = Outcome()
    store = services.store
    audit_ahead = services.backend.audit_ahead
    recorded: Callable[[], None] | None = None
    with deadline.budget(services.settings.request_seconds):
        operation.budget = deadline.current()
        if audit_ahead is not None and label.startswith("query "):
            operation.take_audit()
            recorded = audit_ahead.begin_audit(entry)  # keyed by this operation's budget
        try:
            yield outcome
        except BaseException:  # an error, or cancelled (a WebSocket client's complete)
            with contextlib.suppress(Exception):  # the operation's own error is the answer
                if recorded is None:
                    taken = operation.take_audit()
                    recorded = None if taken is None else functools.partial(
                        store.append_audit, taken)
                if recorded is not None:
                    recorded()  # recorded all the same: it may have read before it ended
            raise
    if recorded is None:
        taken = operation.take_audit()
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
