"""The one executor: every query, mutation and subscription, on graphql-core directly.

strawberry builds the schema and its resolvers; running an operation through
``strawberry.Schema.execute`` adds its extension hooks (four context managers per
extension, per operation) to every request, about as much as executing a small
query (PERFORMANCE.md: +40 % over graphql-core). ``Operations`` does what those
extensions did in one pass, for every transport: parse with the token limit,
validate with the depth and alias rules (both once per distinct query text),
refuse an operation its transport may not run, then audit and bound the time of
the execution (``auditing.audited``: one record per operation). A query runs on
its plan (``api.compiled``, made once per query text) when it has one, else, and
whenever the plan gives it back, on graphql-core. A subscription's stream is
graphql-core's, each event executed within a time budget of its own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationType,
    create_source_event_stream,
    execute_subscription_event,
    get_operation_ast,
    map_source_to_response_event,
    parse,
    specified_rules,
)
from graphql.execution import Executor
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import validate_document

from graph_api import deadline
from graph_api.api.auditing import audited, operation_label
from graph_api.api.compiled import Plan, Unplanned, plan_for
from graph_api.api.context import Operation
from graph_api.api.exchange import Answer, Status
from graph_api.api.schema import limit_rules
from graph_api.config import Settings

__all__ = ["EVERY_OPERATION", "Operations", "QUERIES", "QUERIES_AND_MUTATIONS"]

CACHED_DOCUMENTS = 512
QUERIES = frozenset({OperationType.QUERY})  # GET
QUERIES_AND_MUTATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})  # POST
EVERY_OPERATION = frozenset(OperationType)  # a WebSocket

_SUBSCRIPTIONS_BY_WEBSOCKET = (
    "subscriptions run over a WebSocket on /graphql (graphql-transport-ws)"
)


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
        self._descriptions: dict[tuple[str, str | None], tuple[OperationType | None, str]] = {}
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
        operation: Operation,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        allowed: frozenset[OperationType] = QUERIES_AND_MUTATIONS,
    ) -> Answer:
        """Execute a query or mutation; never raises for bad input."""
        outcome = await self.stream(operation, query, variables, operation_name, allowed)
        if isinstance(outcome, Answer):
            return outcome
        await outcome.aclose()  # not reached: ``allowed`` without subscriptions
        raise AssertionError("a subscription where none is allowed")

    async def stream(
        self,
        operation: Operation,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        allowed: frozenset[OperationType] = EVERY_OPERATION,
    ) -> Answer | AsyncGenerator[Answer, None]:
        """Execute any operation ``allowed``: the answer of a query or mutation, the
        stream of answers of a subscription (or the answer refusing it)."""
        prepared = self.prepare(query)
        if prepared.document is None:
            return Answer(None, prepared.errors, Status.INVALID)
        document = prepared.document
        kind, label = self._described(query, operation_name, document)
        if kind is not None and kind not in allowed:
            if kind is OperationType.SUBSCRIPTION:
                return Answer.refused(Status.INVALID, _SUBSCRIPTIONS_BY_WEBSOCKET)
            return Answer.refused(
                Status.NOT_ALLOWED, f"a {kind.value} is sent by POST", "BAD_USER_INPUT"
            )
        operation.label = label
        if kind is OperationType.SUBSCRIPTION:
            return await self._subscribe(operation, document, variables, operation_name)
        status = Status.EXECUTED
        with audited(operation, variables) as outcome:
            result = await self._planned(operation, query, document, variables, operation_name)
            if result is None:
                executor = self._executor(operation, document, variables, operation_name)
                if isinstance(executor, list):  # variables or operationName refused
                    result, status = ExecutionResult(None, executor), Status.INVALID
                else:
                    result = await _awaited(executor.execute_operation())
            outcome.result = result
        return Answer(result.data, list(result.errors or ()), status)

    async def _subscribe(
        self,
        operation: Operation,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Answer | AsyncGenerator[Answer, None]:
        """The stream of a subscription, recorded once when it starts."""
        source: Any = None
        with audited(operation, variables) as outcome:
            executor = self._executor(operation, document, variables, operation_name)
            if isinstance(executor, list):
                outcome.result = ExecutionResult(None, executor)
                return Answer(None, executor, Status.INVALID)
            source = create_source_event_stream(executor)
            if optimized_is_awaitable(source):
                source = await source
            outcome.result = source if isinstance(source, ExecutionResult) else ExecutionResult({})
        result = outcome.result
        if isinstance(source, ExecutionResult) or result.errors:  # failed, or not recorded
            if not isinstance(source, ExecutionResult):
                await _close(source)
            return Answer(None, list(result.errors or ()), Status.FAILED)
        events = map_source_to_response_event(executor, source, self._event_runner(operation))
        return _answers(events)

    def _event_runner(self, operation: Operation) -> Callable[[Executor[Any]], Awaitable[Any]]:
        """Each event of a subscription: executed afresh (records read anew) within a
        time budget of its own."""
        seconds = self.settings.request_seconds

        async def run_event(executor: Executor[Any]) -> ExecutionResult:
            operation.forget_entities()
            with deadline.budget(seconds):
                operation.budget = deadline.current()
                return await _awaited(execute_subscription_event(executor))

        return run_event

    def _executor(
        self,
        operation: Operation,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Executor[Any] | list[GraphQLError]:
        built: Executor[Any] | list[GraphQLError] = self.schema.execution_context_class.build(
            self.schema._schema,
            document,
            context_value=operation,
            raw_variable_values=variables,
            operation_name=operation_name,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        )
        return built

    async def _planned(
        self,
        operation: Operation,
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
            executor = self._executor(operation, document, variables, operation_name)
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
            return await plan.execute(operation, coerced, optimized_is_awaitable)
        except Exception:  # noqa: BLE001 - graphql-core answers, errors and all
            self.given_back += 1
            return None

    def plan_of(self, query: str, operation_name: str | None = None) -> Plan | None:
        """The plan a query text has run on, if it has one."""
        return self._plans.get((query, operation_name))

    def _described(
        self, query: str, operation_name: str | None, document: DocumentNode
    ) -> tuple[OperationType | None, str]:
        """The type of the operation to run (None when the document has no such operation:
        graphql-core then says so) and its audit label, once per query text."""
        key = (query, operation_name)
        found = self._descriptions.get(key)
        if found is None:
            definition = get_operation_ast(document, operation_name)
            kind = None if definition is None else definition.operation
            found = (kind, operation_label(document, operation_name))
            if len(self._descriptions) < CACHED_DOCUMENTS:
                self._descriptions[key] = found
        return found


async def _answers(events: AsyncGenerator[ExecutionResult, None]) -> AsyncGenerator[Answer, None]:
    """A subscription's results as answers; an error that ends its stream is its last."""
    try:
        async for result in events:
            yield Answer(result.data, list(result.errors or ()))
    except Exception as error:  # noqa: BLE001 - the source ended in an error: say which
        yield Answer(None, [GraphQLError(str(error), original_error=error)], Status.FAILED)
    finally:
        await events.aclose()


async def _close(source: Any) -> None:
    close = getattr(source, "aclose", None)
    if close is not None:
        await close()


async def _awaited(result: Any) -> ExecutionResult:
    if optimized_is_awaitable(result):
        result = await result
    if not isinstance(result, ExecutionResult):
        raise TypeError(f"an operation answered {type(result).__name__}, not one result")
    return result
