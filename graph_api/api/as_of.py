"""``@asOf(at:)``: a whole query answered as the store stood at a time.

A query operation may carry ``@asOf(at: DateTime!)``. The operation pipeline reads
it once, before anything runs (``operations.Operations``), and narrows the caller's
``Scope`` to that time (``Scope.at``): every store read, cache and workflow record
read of the operation then answers from the assertions reported at or before
``at`` and the records as they stood then (DESIGN, "Interdiction and time"), with
today's orgs, roles and visibility rules. Nothing else reads the directive.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution.values import get_directive_values, get_variable_values
from strawberry.directive import DirectiveLocation

from graph_api.access import instant

__all__ = ["AS_OF", "as_of_directive", "operation_time"]

AS_OF = "asOf"


@strawberry.directive(
    locations=[DirectiveLocation.QUERY], name=AS_OF,
    description="The whole query answered as of `at`: from the assertions reported at or "
    "before it and the workflow records (notices, penalties, statuses, publications) as "
    "they stood then, with today's orgs, roles and visibility rules.",
)
def as_of_directive(at: datetime) -> None:
    """Declared only: the operation pipeline reads it (``operation_time``)."""


def _definition(document: DocumentNode, operation_name: str | None
                ) -> OperationDefinitionNode | None:
    definition = get_operation_ast(document, operation_name)
    if definition is None or definition.operation is not OperationType.QUERY:
        return None
    if not any(d.name.value == AS_OF for d in definition.directives or ()):
        return None
    return definition


def operation_time(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
    variables: dict[str, Any] | None,
) -> int | None:
    """The time (``access.instant``) the operation asks to be answered as of, None when
    it carries no ``@asOf``. Raises GraphQLError for a variable that does not coerce
    (graphql-core would refuse it too, with the same message)."""
    definition = _definition(document, operation_name)
    if definition is None:
        return None
    directive = schema.get_directive(AS_OF)
    assert directive is not None
    coerced = get_variable_values(schema, definition.variable_definitions or (),
                                  variables or {})
    if isinstance(coerced, list):
        raise coerced[0]
    values = get_directive_values(directive, definition, coerced)
    at = None if values is None else values.get("at")
    if not isinstance(at, datetime):
        raise GraphQLError("@asOf(at:) must be a DateTime")
    return instant(at)
