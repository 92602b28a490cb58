"""Direct resolvers: graphql-core calls our fields without strawberry's wrapping.

strawberry wraps every field's resolver for what a field *may* use (field
extensions and permission classes, exception handlers, argument conversion,
async results): a plain attribute costs two calls on top of graphql-core's own
work, a resolver method seven and a ``functools.reduce`` over partials. An
``entity`` with its relations and assertions resolves about sixty fields, so
this is a fixed share of every request. ``use_direct_resolvers`` replaces, once
at start, the resolvers of the fields that use none of it with one function that
does what strawberry's chain would end up doing: read the attribute, or call the
method with ``self``, the strawberry ``Info`` and converted arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

__all__ = ["attribute_read_by", "use_direct_resolvers"]

Resolver = Callable[..., Any]

CONVERTED_ARGUMENTS = 256  # distinct argument sets kept per field


def _plain_value(value: Any) -> bool:
    """Immutable and hashable: shared between calls without anyone seeing it change."""
    return value is None or type(value) in (str, int, float, bool) or isinstance(value, Enum)


# The resolvers that only read an attribute, with its name: a plan (api.compiled) reads
# it itself instead of calling them.
_ATTRIBUTE_READS: dict[Resolver, str] = {}


def attribute_read_by(resolver: Resolver | None) -> str | None:
    """The attribute ``resolver`` returns of its source, if that is all it does."""
    return None if resolver is None else _ATTRIBUTE_READS.get(resolver)


def use_direct_resolvers(schema: strawberry.Schema) -> int:
    """Replace the resolvers of ``schema``'s plain fields; returns how many."""
    replaced = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if isinstance(field, StrawberryField) and _plain(field, schema):
                graphql_field.resolve = _direct(field, schema)
                replaced += 1
    return replaced


def _plain(field: StrawberryField, schema: strawberry.Schema) -> bool:
    """A field that uses nothing of strawberry's wrapping but arguments and ``Info``."""
    if field.extensions or field.is_async or schema.schema_converter._get_field_exception_handlers(
        field
    ):
        return False
    resolver = field.base_resolver
    return resolver is None or (
        resolver.parent_parameter is None and resolver.root_parameter is None
    )


def _direct(field: StrawberryField, schema: strawberry.Schema) -> Resolver:
    resolver = field.base_resolver
    if resolver is None:
        name = field.python_name

        def attribute(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return getattr(source, name)

        _ATTRIBUTE_READS[attribute] = name
        return attribute

    method: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]
    with_self = resolver.self_parameter is not None
    info_name = None if resolver.info_parameter is None else resolver.info_parameter.name
    info_class = schema.config.info_class
    arguments = field.arguments
    config, scalars = schema.config, schema.schema_converter.scalar_registry

    converted: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}

    def call(source: Any, raw_info: GraphQLResolveInfo[Any], **raw: Any) -> Any:
        kwargs: dict[str, Any] = {}
        if raw or info_name is not None:  # strawberry's Info only when something uses it
            info = info_class(_raw_info=raw_info, _field=field)
            if raw:
                # arguments of plain values (numbers, strings, enum members) convert to the
                # same plain values every time: converted once per distinct set
                key = tuple(raw.items()) if all(map(_plain_value, raw.values())) else None
                known = None if key is None else converted.get(key)
                if known is None:
                    kwargs = convert_arguments(
                        raw, arguments, scalar_registry=scalars, config=config, info=info
                    )
                    if key is not None and len(converted) < CONVERTED_ARGUMENTS and all(
                        map(_plain_value, kwargs.values())
                    ):
                        converted[key] = dict(kwargs)
                else:
                    kwargs = dict(known)
            if info_name is not None:
                kwargs[info_name] = info
        return method(source, **kwargs) if with_self else method(**kwargs)

    return call
