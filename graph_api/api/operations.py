"""Queries and mutations executed on graphql-core directly, documents cached by text.

strawberry builds the schema and its resolvers; running an operation through
``strawberry.Schema.execute`` adds its extension hooks (four context managers per
extension, per operation) to every request, about as much as executing a small
query (PERFORMANCE.md: +40 % over graphql-core). ``Operations.run`` does what
those extensions did for us in one pass: parse with the token limit, validate
with the depth and alias rules (both once per distinct query text), audit and
bound the time of the execution (``auditing.audited``). A query then runs on its
plan (``api.compiled``, made once per query text) when it has one, else, and
whenever the plan gives it back, on graphql-core. Subscriptions stay on
strawberry's WebSocket path, which keeps the same rules as schema extensions.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
)
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import validate_document

from graph_api.api.auditing import audited, operation_label
from graph_api.api.compiled import Plan, Unplanned, plan_for
from graph_api.api.context import Context
from graph_api.api.schema import limit_rules
from graph_api.config import Settings

__all__ = ["Operations"]

CACHED_DOCUMENTS = 512


@dataclass(frozen=True, slots=True)
class Prepared:
    """A query text parsed and validated: its document, or the errors that refuse it."""

    document: DocumentNode | None
    errors: list[GraphQLError]


class Operations:
    def __init__(self, schema: strawberry.Schema, settings: Settings, plans: bool = True) -> None:
        self.schema = schema
        self.settings = settings
        self.rules = (*specified_rules, *limit_rules(settings))
        self.plans = plans  # False: every operation on graphql-core (to compare answers)
        self._prepared: OrderedDict[str, Prepared] = OrderedDict()
        self._labels: dict[tuple[str, str | None], str] = {}
        self._plans: dict[tuple[str, str | None], Plan | None] = {}
        self.given_back = 0  # runs a plan handed to graphql-core (an error, a null, ...)

    def prepare(self, query: str) -> Prepared:
        """Parse and validate ``query``, once per distinct text (clients repeat theirs)."""
        found = self._prepared.get(query)
        if found is not None:
            self._prepared.move_to_end(query)
            return found
        try:
            document = parse(query, max_tokens=self.settings.max_tokens)
        except GraphQLError as error:
            found = Prepared(None, [error])
        else:
            errors = validate_document(self.schema._schema, document, self.rules)
            found = Prepared(None if errors else document, errors)
        self._prepared[query] = found
        if len(self._prepared) > CACHED_DOCUMENTS:
            self._prepared.popitem(last=False)
        return found

    async def run(
        self,
        context: Context,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> ExecutionResult:
        """Execute a query or mutation as POST /graphql does; never raises for bad input."""
        prepared = self.prepare(query)
        if prepared.document is None:
            return ExecutionResult(None, prepared.errors)
        document = prepared.document
        operation = get_operation_ast(document, operation_name)
        if operation is not None and operation.operation is OperationType.SUBSCRIPTION:
            return ExecutionResult(None, [GraphQLError(
                "subscriptions run over a WebSocket on /graphql (graphql-transport-ws)"
            )])
        label = self._label(query, operation_name, document)
        with audited(context, label, variables) as outcome:
            planned = await self._planned(context, query, document, variables, operation_name)
            result = planned if planned is not None else await _awaited(execute(
                self.schema._schema,
                document,
                variable_values=variables,
                operation_name=operation_name,
                context_value=context,
                executor_class=self.schema.execution_context_class,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            ))
            outcome.result = result
        if result.errors:
            self.schema.process_errors(result.errors)  # logs only the unexpected ones
        return result

    async def _planned(
        self,
        context: Context,
        query: str,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> ExecutionResult | None:
        """The answer of the query's plan; None when graphql-core is to answer."""
        key = (query, operation_name)
        if not self.plans or (key in self._plans and self._plans[key] is None):
            return None
        plan = self._plans.get(key)
        if plan is None:
            executor = self.schema.execution_context_class.build(
                self.schema._schema,
                document,
                context_value=context,
                raw_variable_values=variables,
                operation_name=operation_name,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            )
            if isinstance(executor, list):
                return None  # graphql-core reports the variables' or the operation's errors
            try:
                plan = plan_for(self.schema._schema, document, executor)
            except Unplanned:
                plan = None
            if len(self._plans) < CACHED_DOCUMENTS:
                self._plans[key] = plan
            if plan is None:
                return None
        coerced = plan.variables(variables)
        if coerced is None:
            return None
        try:
            return await plan.execute(context, coerced, optimized_is_awaitable)
        except Exception:  # noqa: BLE001 - graphql-core answers, errors and all
            self.given_back += 1
            return None

    def plan_of(self, query: str, operation_name: str | None = None) -> Plan | None:
        """The plan a query text has run on, if it has one."""
        return self._plans.get((query, operation_name))

    def _label(self, query: str, operation_name: str | None, document: DocumentNode) -> str:
        key = (query, operation_name)
        label = self._labels.get(key)
        if label is None:
            label = operation_label(document, operation_name)
            if len(self._labels) < CACHED_DOCUMENTS:
                self._labels[key] = label
        return label


async def _awaited(result: Any) -> ExecutionResult:
    if optimized_is_awaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    return result
