"""GraphQL types of the entity graph: entities, relations and their Relay nodes and
pages, thin adapters over store records built by ``from_record``, answered in batches
(`Batch`). The enums and small types they carry are `graph_api.api.value_types`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar, cast

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.scalars import JSON

from graph_api import model
from graph_api.api.context import check_limit
from graph_api.api.typed import typed_field
from graph_api.api.value_types import (
    Assertion,
    Direction,
    EntityKind,
    IdentifierKind,
    Info,
    RelationKind,
    TimelineEvent,
)
from graph_api.store.base import EntityRecord, Page, RelationRecord
from graph_api.store.facts import Fact
from graph_api.workflow.timeline import entity_timeline, page

__all__ = [
    "Entity",
    "EntityConnection",
    "Node",
    "PageInfo",
    "Relation",
    "RelationConnection",
]


MAX_PAGE = 1000


RelationsWhere = tuple[str, frozenset[model.RelationKind] | None, int, bool]
"""direction, kinds, first, count: the arguments of one ``relations`` field."""


class Batch:
    """Records answered in one list (a page, a path's relations): the first of them
    asked for a related read (assertion envelopes, relation ends) makes it for all,
    in one store call. Resolvers stay synchronous: no DataLoader tasks per field."""

    __slots__ = ("records", "_envelopes_read", "_ends", "_relations")

    def __init__(self, records: Sequence[EntityRecord] | Sequence[RelationRecord]) -> None:
        self.records = records
        self._envelopes_read = False
        self._ends: dict[str, Entity] | None = None
        self._relations: dict[RelationsWhere, tuple[dict[str, Page[RelationRecord]], Batch]] = {}

    def assertions(self, info: Info, facts: Sequence[Fact]) -> list[Assertion]:
        """Assertions from store facts: each report's envelope with the fact's confidence."""
        context = info.context
        if not self._envelopes_read:
            context.envelopes_of(f.seq for r in self.records for f in r.facts)
            self._envelopes_read = True
        return [Assertion.from_model(context.envelope(f.seq), f.confidence) for f in facts]

    def end(self, info: Info, entity_id: str) -> Entity:
        """A relation's end: every end of the batch's relations read at once."""
        if self._ends is None:
            ids = [i for r in self.records for i in (r.source, r.target)]  # type: ignore[union-attr]
            self._ends = {e.id: e for e in entities_of(info, ids, all_visible=True)}
        return self._ends[entity_id]

    def relations(self, info: Info, entity_id: str, where: RelationsWhere) -> RelationConnection:
        """One entity's relations page. Without a cursor, the pages of every entity of
        the batch are read together and their relations form one batch (their ends and
        assertions one read each); a cursor belongs to one entity's list only."""
        context = info.context
        direction, kinds, first, count = where
        found = self._relations.get(where)
        if found is None:
            pages = {
                r.id: context.store.relations_of(
                    context.scope, r.id, direction, kinds, first, None, count
                )
                for r in self.records
            }
            found = pages, Batch([rel for page in pages.values() for rel in page.items])
            self._relations[where] = found
        pages, batch = found
        return connection(pages[entity_id], Relation.from_record, batch)


def entities_of(info: Info, ids: Iterable[str], all_visible: bool = False) -> list[Entity]:
    """The visible ones of ``ids``, once each, in order, answered as one batch.
    ``all_visible``: ids taken from the caller's own view (a path's nodes), so a
    missing one is a broken invariant, not an answer."""
    unique = list(dict.fromkeys(ids))
    records = [r for r in info.context.entity_records(unique) if r is not None]
    if all_visible and len(records) != len(unique):
        raise RuntimeError("an entity of the caller's own view is not visible")
    batch = Batch(records)
    return [Entity.from_record(r, batch) for r in records]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_page(cls, page: Page[object]) -> PageInfo:
        return cls(
            has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
        )


def wants_total(info: Info) -> bool:
    """Whether the connection being resolved has ``totalCount`` selected: directly,
    under an alias or inside a fragment (read from the query's syntax tree, which
    costs less than strawberry's ``selected_fields`` building the whole subtree)."""
    raw = info._raw_info
    return any(
        _selects(node.selection_set, "totalCount", raw.fragments) for node in raw.field_nodes
    )


def _selects(
    selections: SelectionSetNode | None, name: str, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    for selection in selections.selections if selections is not None else ():
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _selects(selection.selection_set, name, fragments):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _selects(fragment.selection_set, name, fragments):
                return True
    return False


def check_first(first: int | None, default: int = 50) -> int:
    return check_limit("first", default if first is None else first, MAX_PAGE, minimum=0)


@strawberry.interface(
    description=(
        "An object that `node(id:)` answers by its `id` (Relay global object identification); "
        "the id is the object's own, as every other field names it."
    )
)
class Node:
    id: strawberry.ID


@strawberry.type
class Entity(Node):
    id: strawberry.ID
    kind: EntityKind
    name: str | None
    region: str | None
    status: str | None
    properties: JSON = strawberry.field(
        description="Merged from the caller's visible assertions only."
    )
    confidence: float = strawberry.field(
        description="Noisy-OR of the visible assertions' confidences: 1 - prod(1 - c)."
    )
    value: str | None = strawberry.field(
        description="Identifiers only: the clear value, or null where the caller may not see it."
    )
    identifier_kind: IdentifierKind | None
    _record: strawberry.Private[EntityRecord]
    _batch: strawberry.Private[Batch]

    @classmethod
    def from_record(cls, r: EntityRecord, batch: Batch | None = None) -> Entity:
        return cls(
            id=strawberry.ID(r.id),
            kind=r.kind,
            name=r.name,
            region=r.region,
            status=r.status,
            properties=cast(JSON, r.properties),
            confidence=r.confidence,
            value=r.value,
            identifier_kind=r.identifier_kind,
            _record=r,
            _batch=Batch((r,)) if batch is None else batch,
        )

    @strawberry.field
    def assertions(self, info: Info) -> list[Assertion]:
        return self._batch.assertions(info, self._record.facts)

    @strawberry.field
    def relations(
        self,
        info: Info,
        direction: Direction | None = Direction.BOTH,
        kinds: list[RelationKind] | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> RelationConnection:
        where = (
            (direction or Direction.BOTH).value,
            None if kinds is None else frozenset(kinds),
            check_first(first),
            wants_total(info),
        )
        if after is None:
            return self._batch.relations(info, self._record.id, where)
        page = info.context.store.relations_of(info.context.scope, self._record.id, where[0],
                                               where[1], where[2], after, where[3])
        return connection(page, Relation.from_record)

    @typed_field(
        description="What was stated about the entity and what the workflows did to it, "
        "oldest first (ties: by kind, then record id), as the caller may read each: "
        "assertions about it and its relations, notices naming it and their outcomes, "
        "penalties, test buys and publications. Paged by each event's cursor."
    )
    def timeline(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> list[TimelineEvent]:
        context = info.context

        def envelopes(keys: list[int]) -> dict[int, model.Assertion]:
            context.envelopes_of(keys)
            return {k: context.envelope(k) for k in keys}

        events = entity_timeline(context.services, context.scope, self._record, envelopes)
        return [TimelineEvent.from_event(e) for e in page(events, check_first(first), after)]


async def load_entity(info: Info, entity_id: str) -> Entity:
    record = await info.context.entity_loader.load(entity_id)
    if record is None:  # an end of a visible relation is visible by definition
        raise RuntimeError(f"relation end {entity_id!r} not visible")
    return Entity.from_record(record)


@strawberry.type
class Relation:
    id: strawberry.ID
    kind: RelationKind
    confidence: float
    _record: strawberry.Private[RelationRecord]
    _batch: strawberry.Private[Batch]

    @classmethod
    def from_record(cls, r: RelationRecord, batch: Batch | None = None) -> Relation:
        return cls(
            id=strawberry.ID(r.id), kind=r.kind, confidence=r.confidence, _record=r,
            _batch=Batch((r,)) if batch is None else batch,
        )

    @classmethod
    def from_records(cls, records: Sequence[RelationRecord]) -> list[Relation]:
        batch = Batch(records)
        return [cls.from_record(r, batch) for r in records]

    @typed_field(name="from")
    def from_(self, info: Info) -> Entity:
        return self._batch.end(info, self._record.source)

    @strawberry.field
    def to(self, info: Info) -> Entity:
        return self._batch.end(info, self._record.target)

    @strawberry.field
    def assertions(self, info: Info) -> list[Assertion]:
        return self._batch.assertions(info, self._record.facts)


NodeT = TypeVar("NodeT")
Item = TypeVar("Item")


@strawberry.type
class Edge(Generic[NodeT]):
    """Named ``EntityEdge`` / ``RelationEdge`` in the schema."""

    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    """A Relay-style page; named ``EntityConnection`` / ``RelationConnection``."""

    edges: list[Edge[NodeT]]
    page_info: PageInfo
    _total: strawberry.Private[int | None]

    @strawberry.field
    def total_count(self) -> int:
        if self._total is None:  # not computed: the resolver saw no totalCount selected
            raise RuntimeError("totalCount was not computed")
        return self._total


def connection(
    page: Page[Item], node: Callable[[Item, Batch], NodeT], batch: Batch | None = None
) -> Connection[NodeT]:
    """A page's connection; its nodes answered as ``batch`` (default: the page)."""
    batch = Batch(page.items) if batch is None else batch  # type: ignore[arg-type]
    return Connection(
        edges=[
            Edge(cursor=c, node=node(r, batch))
            for r, c in zip(page.items, page.cursors, strict=True)
        ],
        page_info=PageInfo.from_page(page),  # type: ignore[arg-type]
        _total=page.total,
    )


EntityConnection = Connection[Entity]
RelationConnection = Connection[Relation]
