"""Queries run on a plan made once per document: graphql-core's answer for less work.

graphql-core executes every field of every object through a score of calls of its
own (a resolve info, a path, argument coercion, completion chosen by type, checks
for awaitables) that depend only on the document. An ``entity`` with its relations
and assertions resolves about sixty fields, and that machinery was half of its
request. A ``Plan`` does the document's part once: fields collected and merged by
graphql-core's own ``collect_fields``, each field's completion chosen from its type.
Running it calls the same resolvers with the same arguments and coerces leaves with
the same ``coerce_output_value``, so it answers what graphql-core answers.

Whatever a plan does not cover it gives back to graphql-core, which then executes
the whole operation as before: when it is made, a document with directives, fragment
variables, abstract types or introspection; when it runs, any error, a null where the
type forbids one, a value that is not a list where one is due, or an awaitable below
the root fields. Errors, their paths and null propagation are therefore always
graphql-core's. Only queries get plans (a retried mutation would write twice), and
the retry is safe because resolvers of queries only read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    get_argument_values,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_variable_values
from graphql.pyutils import Path, is_iterable
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from graph_api.api.as_of import AS_OF
from graph_api.api.direct import attribute_read_by

__all__ = ["Plan", "Unplanned", "plan_for"]

Completer = Callable[[Any, "Run"], Any]
IsAwaitable = Callable[[Any], bool]


class Unplanned(Exception):
    """This operation, or this run of it, is graphql-core's to answer."""


class Run:
    """One execution of a plan: what the executor's ``build_resolve_info`` reads of an
    executor (this request's context and variables, the plan's document), and the
    infos and arguments this run has built, one per planned field."""

    __slots__ = (
        "arguments", "async_helpers", "build_resolve_info", "context_value", "fragment_definitions",
        "infos", "is_awaitable", "operation", "root_value", "schema", "variable_values",
    )
    abort_signal: Final = None
    operation_extensions: Final = None

    def __init__(
        self, plan: Plan, context: Any, variables: VariableValues, is_awaitable: IsAwaitable
    ) -> None:
        self.schema = plan.schema
        self.operation = plan.operation
        self.fragment_definitions = plan.fragment_definitions
        self.build_resolve_info = functools.partial(plan.build_resolve_info, self)
        self.root_value = None
        self.context_value = context
        self.variable_values = variables
        self.is_awaitable = is_awaitable
        self.async_helpers = NO_ASYNC_WORK
        self.infos: list[GraphQLResolveInfo[Any] | None] = [None] * plan.size
        self.arguments: list[dict[str, Any] | None] = [None] * plan.size


def _unplanned(*_: Any) -> Any:
    raise Unplanned  # async work below a planned root is graphql-core's


NO_ASYNC_WORK = GraphQLResolveInfoHelpers(gather=_unplanned, track=_unplanned)


@dataclass(slots=True, eq=False)
class FieldPlan:
    """One response key of one object type: what to call and how to complete it."""

    index: int
    key: str
    definition: GraphQLField
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    path: Path
    attribute: str | None
    complete: Completer = field(init=False)  # of the value
    execute: Completer = field(init=False)  # on the source: resolve, then complete

    def info(self, run: Run) -> GraphQLResolveInfo[Any]:
        info = run.infos[self.index]
        if info is None:
            info = run.build_resolve_info(
                self.definition, self.nodes, self.parent_type, self.path
            )
            run.infos[self.index] = info
        return info

    def arguments(self, run: Run) -> dict[str, Any]:
        arguments = run.arguments[self.index]
        if arguments is None:
            arguments = (
                get_argument_values(self.definition, self.nodes[0], run.variable_values)
                if self.definition.args or self.nodes[0].arguments
                else {}
            )
            run.arguments[self.index] = arguments
        return arguments

    def resolve(self, source: Any, run: Run) -> Any:
        """The field's value on ``source``, as graphql-core's ``execute_field`` gets it."""
        if self.attribute is not None:
            return getattr(source, self.attribute)
        return self.definition.resolve(source, self.info(run), **self.arguments(run))  # type: ignore[misc]


@dataclass(slots=True, eq=False)
class Plan:
    """A query's root fields, each with its completion planned down to the leaves."""

    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragment_definitions: dict[str, FragmentDefinitionNode]
    build_resolve_info: Callable[..., GraphQLResolveInfo[Any]]  # the executor class's
    fields: list[FieldPlan]
    size: int

    def variables(self, raw: dict[str, Any] | None) -> VariableValues | None:
        """The request's variables coerced as graphql-core does; None if any is refused
        (graphql-core then answers with its errors)."""
        coerced = get_variable_values(
            self.schema, self.operation.variable_definitions or (), raw or {}, max_errors=50
        )
        return None if isinstance(coerced, list) else coerced

    async def execute(
        self, context: Any, variables: VariableValues, is_awaitable: IsAwaitable
    ) -> ExecutionResult:
        run = Run(self, context, variables, is_awaitable)
        data: dict[str, Any] = {}
        for planned in self.fields:
            value = planned.resolve(None, run)
            if is_awaitable(value):
                value = await value
            data[planned.key] = planned.complete(value, run)
        return ExecutionResult(data, None)


def plan_for(schema: GraphQLSchema, document: DocumentNode, executor: Executor[Any]) -> Plan:
    """The plan of ``executor``'s operation, or ``Unplanned`` for graphql-core's."""
    operation = executor.operation
    if operation.operation is not OperationType.QUERY or _has_directives(document):
        raise Unplanned
    root_type = schema.query_type
    if root_type is None:
        raise Unplanned
    builder = _Builder(schema, executor)
    grouped = collect_fields(
        schema, executor.fragments, executor.variable_values, root_type, operation
    ).grouped_field_set
    fields = builder.fields(root_type, grouped, None)
    return Plan(
        schema, operation, executor.fragment_definitions,
        type(executor).build_resolve_info, fields, builder.count,
    )


class _Builder:
    def __init__(self, schema: GraphQLSchema, executor: Executor[Any]) -> None:
        self.schema = schema
        self.executor = executor
        self.count = 0

    def fields(
        self,
        parent_type: GraphQLObjectType,
        grouped: dict[str, list[FieldDetails]],
        parent_path: Path | None,
    ) -> list[FieldPlan]:
        planned = []
        for key, details in grouped.items():
            if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
                raise Unplanned
            name = details[0].node.name.value
            if name.startswith("__") and name != "__typename":
                raise Unplanned  # introspection
            definition = self.schema.get_field(parent_type, name)
            if definition is None or definition.resolve is None:
                raise Unplanned  # only fields with their own resolver (strawberry's all do)
            if parent_path is not None and _is_async(definition):
                raise Unplanned  # awaited below the root: graphql-core gathers those
            path = Path(parent_path, key, parent_type.name)
            plan = FieldPlan(
                self.count,
                key,
                definition,
                [d.node for d in details],
                parent_type,
                path,
                attribute_read_by(definition.resolve),
            )
            self.count += 1
            plan.complete = self.completer(definition.type, details, plan)
            plan.execute = self._execute(plan)
            planned.append(plan)
        return planned

    def _execute(self, plan: FieldPlan) -> Completer:
        """``execute_field``: an attribute that holds a leaf is read and coerced in one
        step (most fields of an answer); anything else resolves, then completes."""
        type_: Any = plan.definition.type
        attribute = plan.attribute
        required = is_non_null_type(type_)
        named = type_.of_type if required else type_
        if attribute is None or not is_leaf_type(named):
            complete = plan.complete

            def resolved(source: Any, run: Run) -> Any:
                value = plan.resolve(source, run)
                if run.is_awaitable(value):
                    _discard(value)
                    raise Unplanned
                return complete(value, run)

            return resolved
        coerce = _leaf_coercion(named)
        plain = PLAIN_VALUES | {getattr(named, "wrapped_cls", str)}

        def attribute_leaf(source: Any, run: Run) -> Any:
            value = getattr(source, attribute)
            if value is None or value is Undefined:
                if required:
                    raise Unplanned
                return None
            if value.__class__ not in plain and (
                isinstance(value, Exception) or run.is_awaitable(value)
            ):
                _discard(value)
                raise Unplanned
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise Unplanned
            return coerced

        return attribute_leaf

    def completer(
        self, type_: GraphQLOutputType, details: list[FieldDetails], owner: FieldPlan
    ) -> Completer:
        """graphql-core's ``complete_value`` for ``type_``, decided now instead of per value."""
        if is_non_null_type(type_):
            inner = self.completer(type_.of_type, details, owner)

            def non_null(value: Any, run: Run) -> Any:
                completed = inner(value, run)
                if completed is None:
                    raise Unplanned
                return completed

            return non_null
        core = self._core(type_, details, owner)

        def nullable(value: Any, run: Run) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise Unplanned
            return core(value, run)

        return nullable

    def _core(
        self, type_: GraphQLOutputType, details: list[FieldDetails], owner: FieldPlan
    ) -> Completer:
        if is_list_type(type_):
            item = self.completer(type_.of_type, details, owner)

            def listed(value: Any, run: Run) -> Any:
                if not is_iterable(value):
                    raise Unplanned
                is_awaitable = run.is_awaitable
                completed = []
                for element in value:
                    if is_awaitable(element):
                        _discard(element)
                        raise Unplanned
                    completed.append(item(element, run))
                return completed

            return listed
        if is_leaf_type(type_):
            coerce = _leaf_coercion(type_)

            def leaf(value: Any, run: Run) -> Any:
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise Unplanned
                return coerced

            return leaf
        if is_abstract_type(type_) or not is_object_type(type_):
            raise Unplanned
        return self._object(type_, details, owner)

    def _object(
        self, type_: GraphQLObjectType, details: list[FieldDetails], owner: FieldPlan
    ) -> Completer:
        executor = self.executor
        grouped = collect_subfields(
            self.schema, executor.fragments, executor.variable_values, executor.operation,
            type_, details,
        ).grouped_field_set
        fields = self.fields(type_, grouped, owner.path)
        is_type_of = type_.is_type_of

        def object_value(value: Any, run: Run) -> Any:
            if is_type_of is not None:
                belongs = is_type_of(value, owner.info(run))
                if belongs is not True and (not belongs or run.is_awaitable(belongs)):
                    raise Unplanned
            return {planned.key: planned.execute(value, run) for planned in fields}

        return object_value


PLAIN_VALUES: frozenset[type] = frozenset({str, int, float, bool})


def _leaf_coercion(type_: Any) -> Callable[[Any], Any]:
    coerce: Callable[[Any], Any] = type_.coerce_output_value
    return _enum_names(type_) or coerce


def _enum_names(type_: Any) -> Callable[[Any], Any] | None:
    """strawberry's enum ``coerce_output_value`` as a lookup: it compares the member
    with each value in turn (the first equal one's name), the same answer per member."""
    wrapped = getattr(type_, "wrapped_cls", None)
    if not isinstance(type_, GraphQLEnumType) or wrapped is None:
        return None
    names: dict[Any, str] = {}
    for member in wrapped:
        for name, value in type_.values.items():
            if member.value == value.value:
                names[member] = name
                break
    coerce = type_.coerce_output_value

    def by_member(value: Any) -> Any:
        name = names.get(value) if isinstance(value, wrapped) else None
        return coerce(value) if name is None else name

    return by_member


def _is_async(definition: GraphQLField) -> bool:
    field = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return isinstance(field, StrawberryField) and field.is_async


def _discard(awaitable: Any) -> None:
    """Close a coroutine the plan will not await (graphql-core makes its own)."""
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()


def _has_directives(document: DocumentNode) -> bool:
    """Any directive, or a fragment with variables: a plan would have to decide per run.
    (``@asOf`` is decided before the run: ``api.as_of``.)"""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if any(d.name.value != AS_OF for d in definition.directives or ()) or any(
                v.directives for v in definition.variable_definitions or ()
            ):
                return True
        elif isinstance(definition, FragmentDefinitionNode):
            if definition.directives or definition.variable_definitions:
                return True
        selection_set = getattr(definition, "selection_set", None)
        if selection_set is not None and _selections_have_directives(selection_set):
            return True
    return False


def _selections_have_directives(selection_set: SelectionSetNode) -> bool:
    for selection in selection_set.selections:
        if selection.directives:
            return True
        if isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
            if _selections_have_directives(selection.selection_set):
                return True
    return False

