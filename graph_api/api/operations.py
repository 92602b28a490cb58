"""The one executor: every query, mutation and subscription, on graphql-core directly.

strawberry builds the schema and its resolvers; running an operation through
``strawberry.Schema.execute`` adds its extension hooks (four context managers per
extension, per operation) to every request, about as much as executing a small
query (PERFORMANCE.md: +40 % over graphql-core). ``Operations`` does what those
extensions did in one pass, for every transport:

1. the document: the request's text, or the one its ``persistedQuery`` hash names
   (``api.persisted``: Apollo's automatic persisted queries, registered here once
   the text hashes to it and validates; with ``GRAPH_API_PERSISTED_ONLY`` only
   registered documents run);
2. parse with the token limit, validate with the depth and alias rules (both once
   per distinct text: a persisted document's text is the same string every time, so
   a hash's hit costs one dictionary lookup);
3. refuse an operation its transport may not run;
4. its cost (``api.cost``, made once per text and operation) charged to the
   caller's budget, or RATE_LIMITED before anything runs;
5. audit and bound the time of the execution (``auditing.audited``: one record per
   operation). A query runs on its plan (``api.compiled``, made once per query text)
   when it has one, else, and whenever the plan gives it back, on graphql-core. A
   subscription's stream is graphql-core's, each event executed within a time
   budget of its own.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import nullcontext
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
from graph_api.access import Action
from graph_api.api.as_of import operation_time
from graph_api.api.auditing import audited, operation_label
from graph_api.api.compiled import Plan, Unplanned, plan_for
from graph_api.api.context import Operation
from graph_api.api.cost import CostBudgets, Costing, costing
from graph_api.api.exchange import Answer, GraphQLRequest, Status
from graph_api.api.persisted import FOLDER, PersistedDocuments, is_hash, sha256_of
from graph_api.api.schema import limit_rules
from graph_api.clock import one_instant
from graph_api.config import Settings
from graph_api.model import OrgType

__all__ = ["EVERY_OPERATION", "Operations", "QUERIES", "QUERIES_AND_MUTATIONS"]

CACHED_DOCUMENTS = 512
QUERIES = frozenset({OperationType.QUERY})  # GET
QUERIES_AND_MUTATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})  # POST
EVERY_OPERATION = frozenset(OperationType)  # a WebSocket

_SUBSCRIPTIONS_BY_WEBSOCKET = (
    "subscriptions run over a WebSocket on /graphql (graphql-transport-ws)"
)
_NOT_IN_LIST = ("only registered documents run on this server (GRAPH_API_PERSISTED_ONLY): "
                "ask its operator to register this one (docs/limits.md)")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A query text parsed and validated: its document, or the errors that refuse it."""

    document: DocumentNode | None
    errors: list[GraphQLError]


class Operations:
    def __init__(
        self,
        schema: strawberry.Schema,
        settings: Settings,
        plans: bool = True,
        documents: PersistedDocuments | None = None,
        budgets: CostBudgets | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.rules = (*specified_rules, *limit_rules(settings))
        self.plans = plans  # False: every operation on graphql-core (to compare answers)
        self.documents = documents or PersistedDocuments(
            settings.secrets_dir / FOLDER, settings.persisted_only)
        self.budgets = budgets or CostBudgets(settings.cost_per_hour)
        self._prepared: OrderedDict[str, Prepared] = OrderedDict()
        self._descriptions: dict[tuple[str, str | None], tuple[OperationType | None, str]] = {}
        self._plans: dict[tuple[str, str | None], Plan | None] = {}
        self._costings: dict[tuple[str, str | None], Costing] = {}
        self.given_back = 0  # runs a plan handed to graphql-core (an error, a null, ...)
        self.refused_for_cost = 0  # operations refused by their caller's budget

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
        request: GraphQLRequest | str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        allowed: frozenset[OperationType] = QUERIES_AND_MUTATIONS,
    ) -> Answer:
        """Execute a query or mutation; never raises for bad input. ``request`` is what
        the client sent, or a query text (with ``variables`` and ``operation_name``)."""
        outcome = await self.stream(operation, request, variables, operation_name, allowed)
        if isinstance(outcome, Answer):
            return outcome
        await outcome.aclose()  # not reached: ``allowed`` without subscriptions
        raise AssertionError("a subscription where none is allowed")

    async def stream(
        self,
        operation: Operation,
        request: GraphQLRequest | str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        allowed: frozenset[OperationType] = EVERY_OPERATION,
    ) -> Answer | AsyncGenerator[Answer, None]:
        """Execute any operation ``allowed``: the answer of a query or mutation, the
        stream of answers of a subscription (or the answer refusing it)."""
        if isinstance(request, str):
            request = GraphQLRequest(request, variables, operation_name)
        else:
            variables, operation_name = request.variables, request.operation_name
        found = self._document(operation, request)
        if isinstance(found, Answer):
            return found
        query, prepared = found
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
        if operation.caller is not None and self.budgets.enabled:
            refused = self._charge(operation, query, document, variables, operation_name)
            if refused is not None:
                return refused
        refused = self._as_of(operation, document, variables, operation_name)
        if refused is not None:
            return refused
        operation.label = label
        if kind is OperationType.SUBSCRIPTION:
            return await self._subscribe(operation, document, variables, operation_name)
        status = Status.EXECUTED
        # A mutation happens at one instant: the times it writes are the history's.
        instant = one_instant() if kind is OperationType.MUTATION else nullcontext()
        with instant, audited(operation, variables) as outcome:
            result = await self._planned(operation, query, document, variables, operation_name)
            if result is None:
                executor = self._executor(operation, document, variables, operation_name)
                if isinstance(executor, list):  # variables or operationName refused
                    result, status = ExecutionResult(None, executor), Status.INVALID
                else:
                    result = await _awaited(executor.execute_operation())
            outcome.result = result
        return Answer(result.data, list(result.errors or ()), status,
                      extensions=operation.take_extensions())

    def _as_of(
        self,
        operation: Operation,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Answer | None:
        """Narrow the caller's scope to the query's ``@asOf`` time, if it has one
        (``api.as_of``); the answer refusing a time that is not one."""
        try:
            at = operation_time(self.schema._schema, document, operation_name, variables)
        except GraphQLError as error:
            return Answer(None, [error], Status.INVALID)
        if at is not None and operation._scope is not None:
            operation._scope = operation._scope.at(at)
        return None

    def _document(
        self, operation: Operation, request: GraphQLRequest
    ) -> tuple[str, Prepared] | Answer:
        """The text of the request's document and its parse, or the answer refusing it.
        A persisted document is run by its stored text (the same string object each time:
        its lookups in the caches below hash it once)."""
        documents = self.documents
        persisted = request.extensions.get("persistedQuery") if request.extensions else None
        if persisted is None:
            if request.query is None:
                return Answer.refused(Status.MALFORMED, "the request has no query",
                                      "BAD_USER_INPUT")
            if documents.only and documents.text(sha256_of(request.query)) is None:
                return Answer.refused(Status.INVALID, _NOT_IN_LIST, "PERSISTED_QUERY_NOT_IN_LIST")
            return request.query, self.prepare(request.query)
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return Answer.refused(Status.MALFORMED, "Unsupported persisted query version "
                                  "(extensions.persistedQuery.version is 1)", "BAD_USER_INPUT")
        sha256 = persisted.get("sha256Hash")
        if not is_hash(sha256):
            return Answer.refused(Status.MALFORMED, "extensions.persistedQuery.sha256Hash is "
                                  "a SHA-256 in 64 lowercase hex digits", "BAD_USER_INPUT")
        assert isinstance(sha256, str)
        known = documents.text(sha256)
        if request.query is None:
            if known is None:
                return Answer.refused(Status.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound",
                                      "PERSISTED_QUERY_NOT_FOUND")
            return known, self.prepare(known)
        if sha256_of(request.query) != sha256:
            return Answer.refused(Status.MALFORMED, "provided sha does not match query",
                                  "BAD_USER_INPUT")
        if known is not None:
            return known, self.prepare(known)
        prepared = self.prepare(request.query)
        if prepared.document is not None:  # only a document that validates is kept
            if not documents.only:
                documents.remember(sha256, request.query)
            elif _operator(operation):
                documents.register(sha256, request.query)
            else:
                return Answer.refused(Status.INVALID, _NOT_IN_LIST, "PERSISTED_QUERY_NOT_IN_LIST")
        return request.query, prepared

    def _charge(
        self,
        operation: Operation,
        query: str,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Answer | None:
        """Charge the operation's cost to its caller's budget; the answer refusing it when
        the budget has not that much left (None: charged, and ``operation.rate_limit``
        says so)."""
        key = (query, operation_name)
        found = self._costings.get(key)
        if found is None:
            found = costing(self.schema._schema, document, operation_name)
            if len(self._costings) < CACHED_DOCUMENTS:
                self._costings[key] = found
        cost = found(variables)
        assert operation.caller is not None
        now = operation.services.clock()
        limit = self.budgets.limit
        if cost > limit:
            return Answer.refused(
                Status.INVALID, f"this operation costs {cost}, more than the {limit} a token may "
                "spend in an hour (docs/limits.md)", "LIMIT_EXCEEDED")
        spend = self.budgets.charge(operation.caller, cost, now)
        if not spend.granted:
            self.refused_for_cost += 1
            wait = math.ceil(spend.seconds_to_reset(now)) or 1
            extensions = {"code": "RATE_LIMITED", "cost": cost, "remaining": spend.remaining,
                          "resetAt": spend.reset_at.isoformat()}
            message = (f"this operation costs {cost} and this token has {spend.remaining} left "
                       f"of its {limit} an hour: retry after {wait} s (docs/limits.md)")
            return Answer(None, [GraphQLError(message, extensions=extensions)],
                          Status.RATE_LIMITED, wait)
        operation.rate_limit = spend
        return None

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
        return _answers(events, operation)

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
            operation.take_extensions()  # of a run whose answer is not given: run again
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


def _operator(operation: Operation) -> bool:
    """Whether the caller may add to the safelist: a PLATFORM org's admin."""
    scope = operation._scope
    return scope is not None and scope.org_type is OrgType.PLATFORM and scope.can(Action.ADMIN)


async def _answers(events: AsyncGenerator[ExecutionResult, None], operation: Operation
                   ) -> AsyncGenerator[Answer, None]:
    """A subscription's results as answers; an error that ends its stream is its last."""
    try:
        async for result in events:
            yield Answer(result.data, list(result.errors or ()),
                         extensions=operation.take_extensions())
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
