"""Which arguments (and input fields) of the schema the leak matrix has exercised.

``record(query, variables)`` notes every ``Type.field(argument)`` a query passes,
every argument of the schema's own directives (``@asOf(at)``), and every input
field inside those arguments (``EntityFilter.region``), whether written in the
document or sent as variables. ``schema_arguments()`` lists all of them for the
served schema, so a test can name the ones never asked.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    parse,
    specified_directives,
    visit,
)
from graphql.language import ArgumentNode, ObjectFieldNode, VariableNode

from graph_api.api.schema import build_schema

__all__ = ["EXERCISED", "record", "schema_arguments"]

EXERCISED: set[str] = set()


@cache
def _schema() -> GraphQLSchema:
    return build_schema()._schema


def _walk_value(kind: GraphQLInputType, value: Any) -> None:
    """Note the input fields present in a variable's value, recursively."""
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if isinstance(kind, GraphQLList):
        for item in value if isinstance(value, list) else [value]:
            _walk_value(kind.of_type, item)
        return
    if isinstance(kind, GraphQLInputObjectType) and isinstance(value, dict):
        for name, inner in value.items():
            if name in kind.fields:
                EXERCISED.add(f"{kind.name}.{name}")
                _walk_value(kind.fields[name].type, inner)


class _Recorder(Visitor):
    def __init__(self, info: TypeInfo, variables: dict[str, Any]) -> None:
        super().__init__()
        self.info = info
        self.variables = variables

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        directive = self.info.get_directive()
        if directive is not None:
            EXERCISED.add(f"@{directive.name}({node.name.value})")
            return
        parent, field, argument = (self.info.get_parent_type(), self.info.get_field_def(),
                                   self.info.get_argument())
        if parent is None or field is None or argument is None:
            return
        name = next(n for n, f in parent.fields.items() if f is field)  # type: ignore[union-attr]
        EXERCISED.add(f"{parent.name}.{name}({node.name.value})")
        if isinstance(node.value, VariableNode) and node.value.name.value in self.variables:
            _walk_value(argument.type, self.variables[node.value.name.value])

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        parent = get_named_type(self.info.get_parent_input_type())
        if isinstance(parent, GraphQLInputObjectType):
            EXERCISED.add(f"{parent.name}.{node.name.value}")
            if isinstance(node.value, VariableNode) and node.value.name.value in self.variables:
                _walk_value(parent.fields[node.name.value].type,
                            self.variables[node.value.name.value])


def record(query: str, variables: dict[str, Any] | None) -> None:
    info = TypeInfo(_schema())
    visit(parse(query), TypeInfoVisitor(info, _Recorder(info, variables or {})))


def schema_arguments() -> set[str]:
    """Every argument of every object type's field and of the schema's own directives,
    and every input object's field."""
    out: set[str] = set()
    builtin = {d.name for d in specified_directives}
    for directive in _schema().directives:
        if directive.name not in builtin:
            out.update(f"@{directive.name}({arg})" for arg in directive.args)
    for kind in _schema().type_map.values():
        if kind.name.startswith("__"):
            continue
        if isinstance(kind, GraphQLObjectType):
            for name, field in kind.fields.items():
                out.update(f"{kind.name}.{name}({arg})" for arg in field.args)
        elif isinstance(kind, GraphQLInputObjectType):
            out.update(f"{kind.name}.{name}" for name in kind.fields)
    return out
