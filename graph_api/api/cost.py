"""What an operation costs, known before it runs, and each token's budget of cost per hour.

The model is GitHub's GraphQL API's (a connection's page size multiplies what is
below it), counted in whole requests and computed from the document and the
variables alone — never from what the store holds, so a caller's cost and budget
tell it nothing about data it may not read. docs/limits.md states the rules for
clients; in short, for the operation that runs:

1. **Counted fields.** Each root field (but ``rateLimit`` and ``__typename``), each
   field with a page argument (``first`` or ``limit``; ``ids`` on a list such as
   ``nodes``), and each list of objects that no page argument sizes.
2. **Runs.** A counted field costs one request each time it runs: the product of the
   sizes of the lists above it (1 for a root field).
3. **Sizes.** A field's page argument sizes the field itself if it returns a list,
   else the lists of objects directly inside what it returns (a connection's
   ``edges``, a subgraph's ``nodes`` and ``relations``): those are not counted
   again. The value is the document's, else the variable's (else the variable's
   default), else the argument's default; negative counts as 0 and anything over
   ``MAX_SIZE`` as ``MAX_SIZE`` (the field refuses it anyway). ``ids`` counts the ids
   given. A list of objects without a page argument counts as ``UNPAGED`` items.
4. Fragments count where they are spread, every branch of an abstract type counts,
   and ``@skip``/``@include`` are not looked at. Scalars, enums and single objects
   below a counted field are free.

So ``entities(first: 100) { edges { node { relations(first: 50) { edges { node
{ id } } } } } }`` costs 1 + 100 = 101: ``entities`` once, ``relations`` once per
entity. ``Costing`` is made once per document and operation (``costing``); what it
costs for given variables is one multiplication per counted field whose size comes
from a variable.

``CostBudgets`` keeps each caller's spending per window of an hour: the first
operation of a window starts it, ``reset_at`` ends it. Keyed by
``ratelimit.caller_key`` (the token as ``graph_api.bearer`` reads it, hashed), as the
rate buckets are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_composite_type,
    is_list_type,
    value_from_ast,
)

__all__ = [
    "FREE_ROOT_FIELDS", "MAX_SIZE", "UNPAGED", "CostBudgets", "Costing", "Spend", "costing",
]

UNPAGED = 10  # items assumed of a list of objects that no argument sizes
MAX_SIZE = 10_000  # the largest page any field accepts (``network``'s limit)
PAGE_ARGUMENTS = ("first", "limit")
FREE_ROOT_FIELDS = frozenset({"rateLimit", "__typename"})  # reading one's budget is free
MAX_ACCOUNTS = 100_000
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class VariableSize:
    """A size given by a variable: its value when it is a number (or, for ``ids``, a
    list), ``absent`` when the request leaves it out, ``null`` when it is null."""

    name: str
    absent: int
    null: int
    count: bool  # the length of a list (``ids``), not a number

    def value(self, variables: Mapping[str, Any]) -> int:
        given = variables.get(self.name, Undefined)
        if given is Undefined:
            return self.absent
        if given is None:
            return self.null
        if self.count:
            return len(given) if isinstance(given, list) else 1
        if isinstance(given, int) and not isinstance(given, bool):
            return _bounded(given)
        return self.null  # refused when its variables are coerced: nothing runs


Factor = int | VariableSize


@dataclass(frozen=True, slots=True)
class Costing:
    """The cost of one operation of one document: ``constant`` plus, per counted field
    whose runs depend on variables, the product of its factors."""

    constant: int
    terms: tuple[tuple[int, tuple[VariableSize, ...]], ...] = ()

    def __call__(self, variables: Mapping[str, Any] | None = None) -> int:
        total = self.constant
        if self.terms:
            given = variables or {}
            for product, sizes in self.terms:
                for size in sizes:
                    product *= size.value(given)
                total += product
        return total


def costing(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None
) -> Costing:
    """The cost rules applied to the operation of a valid ``document`` (see the module).

    >>> from graphql import build_schema, parse
    >>> schema = build_schema('''type Query { items(first: Int = 20): [Item!]! me: Item }
    ...   type Item { id: ID! parts(first: Int = 5): [Item!]! tags: [Tag!]! }
    ...   type Tag { name: String! }''')
    >>> costing(schema, parse("{ items(first: 100) { parts { id } } }"))()
    101
    >>> costing(schema, parse("{ me { tags { name } parts { tags { name } } } }"))()
    8
    >>> by = costing(schema, parse("query($n: Int) { items(first: $n) { parts { id } } }"))
    >>> by({"n": 3}), by({}), by({"n": None})
    (4, 21, 21)
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return Costing(0)
    root = schema.get_root_type(operation.operation)
    if root is None:
        return Costing(0)
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, operation, fragments)
    walk.selections(operation.selection_set, root, (), None, at_root=True)
    constant = 0
    terms: list[tuple[int, tuple[VariableSize, ...]]] = []
    for factors in walk.runs:
        product = math.prod(f for f in factors if isinstance(f, int))
        sizes = tuple(f for f in factors if isinstance(f, VariableSize))
        if not sizes:
            constant += product
        elif product:
            terms.append((product, sizes))
    return Costing(constant, tuple(terms))


class _Walk:
    """One pass over an operation: the runs (their factors) of every counted field."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode,
                 fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.defaults = {
            d.variable.name.value: d.default_value for d in operation.variable_definitions or ()
        }
        self.runs: list[tuple[Factor, ...]] = []

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLCompositeType,
                   enclosing: tuple[Factor, ...], page: Factor | None, at_root: bool) -> None:
        """``page``: the size the parent's page argument gives to the lists it returns."""
        for selection in selection_set.selections:
            condition: NamedTypeNode | None
            if isinstance(selection, FieldNode):
                self.field(selection, parent, enclosing, page, at_root)
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition, inner = fragment.type_condition, fragment.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            else:
                continue
            named = self.schema.get_type(condition.name.value) if condition else parent
            if is_composite_type(named):
                self.selections(inner, named, enclosing, page, at_root)

    def field(self, node: FieldNode, parent: GraphQLCompositeType,
              enclosing: tuple[Factor, ...], page: Factor | None, at_root: bool) -> None:
        name = node.name.value
        definition = self.schema.get_field(parent, name)
        if definition is None or name == "__typename":
            return
        nullable = get_nullable_type(definition.type)
        listed = is_list_type(nullable)
        named = get_named_type(definition.type)
        composite = is_composite_type(named)
        own = self.page_size(definition, node, listed)
        sized_by_parent = listed and composite and page is not None and own is None
        if (at_root and name not in FREE_ROOT_FIELDS) or (not at_root and (
                own is not None or (listed and composite and not sized_by_parent))):
            self.runs.append(enclosing)
        if not composite or node.selection_set is None:
            return
        if listed:
            size = own if own is not None else (page if sized_by_parent else UNPAGED)
            assert size is not None
            self.selections(node.selection_set, named, (*enclosing, size), None, False)  # type: ignore[arg-type]
        else:
            self.selections(node.selection_set, named, enclosing, own, False)  # type: ignore[arg-type]

    def page_size(self, definition: GraphQLField, node: FieldNode, listed: bool) -> Factor | None:
        """The size a field's page argument gives, None when it has none."""
        names: Iterable[str] = PAGE_ARGUMENTS
        for name in names:
            if name in definition.args:
                return self.argument(definition, node, name, count=False)
        if listed and "ids" in definition.args:
            return self.argument(definition, node, "ids", count=True)
        return None

    def argument(self, definition: GraphQLField, node: FieldNode, name: str,
                 count: bool) -> Factor:
        argument = definition.args[name]
        default = _default_of(argument)
        fallback = _bounded(default) if isinstance(default, int) else (1 if count else UNPAGED)
        given = next((a.value for a in node.arguments or () if a.name.value == name), None)
        if given is None or isinstance(given, NullValueNode):
            return fallback
        if isinstance(given, VariableNode):
            variable = given.name.value
            absent = fallback
            declared = self.defaults.get(variable)
            if declared is not None:
                value = value_from_ast(declared, argument.type)
                if isinstance(value, list) and count:
                    absent = len(value)
                elif isinstance(value, int) and not isinstance(value, bool):
                    absent = _bounded(value)
            return VariableSize(variable, absent, fallback, count)
        if count:
            return len(given.values) if isinstance(given, ListValueNode) else 1
        if isinstance(given, IntValueNode):
            return _bounded(int(given.value))
        return fallback


def _default_of(argument: GraphQLArgument) -> Any:
    """An argument's default: the value strawberry sets, else (a schema built from SDL
    by graphql-core 3.3, which keeps only the literal) the literal's value."""
    if argument.default_value is not Undefined:
        return argument.default_value
    literal = argument.ast_node.default_value if argument.ast_node else None
    return Undefined if literal is None else value_from_ast(literal, argument.type)


def _bounded(size: int) -> int:
    return min(max(size, 0), MAX_SIZE)


# -- budgets ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Spend:
    """One operation's charge to its caller's budget, as ``rateLimit`` shows it:
    ``remaining`` after it (refused: what was left, unchanged)."""

    cost: int
    limit: int
    remaining: int
    reset_at: datetime
    granted: bool = True

    def seconds_to_reset(self, now: datetime) -> float:
        return max(0.0, (self.reset_at - now).total_seconds())


class Account(NamedTuple):
    used: int
    reset_at: datetime


class CostBudgets:
    """Each caller's cost spent in its current window of an hour, in this process.

    Bounded: past ``MAX_ACCOUNTS`` callers, windows that have ended are forgotten (a
    caller starts a new one anyway), then, if still too many, the accounts that spent
    least (forgetting one forgives that little). Every worker process keeps its own,
    as with the rate buckets.
    """

    def __init__(self, per_hour: int, window: timedelta = HOUR) -> None:
        if per_hour < 0:
            raise ValueError("GRAPH_API_COST_PER_HOUR must be >= 0 (0: no budget)")
        self.limit = per_hour
        self.window = window
        self.accounts: dict[str, Account] = {}

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def charge(self, key: str, cost: int, now: datetime) -> Spend:
        """Spend ``cost`` of ``key``'s budget if that much is left (``granted``)."""
        account = self.accounts.get(key)
        if account is None or now >= account.reset_at:
            account = Account(0, now + self.window)
        left = self.limit - account.used
        if cost > left:
            self.accounts[key] = account
            return Spend(cost, self.limit, left, account.reset_at, granted=False)
        self.accounts[key] = Account(account.used + cost, account.reset_at)
        if len(self.accounts) > MAX_ACCOUNTS:
            self._forget(now)
        return Spend(cost, self.limit, left - cost, account.reset_at)

    def _forget(self, now: datetime) -> None:
        for key in [k for k, a in self.accounts.items() if now >= a.reset_at]:
            del self.accounts[key]
        excess = len(self.accounts) - MAX_ACCOUNTS * 9 // 10
        if excess > 0:
            for key in sorted(self.accounts, key=lambda k: self.accounts[k].used)[:excess]:
                del self.accounts[key]
