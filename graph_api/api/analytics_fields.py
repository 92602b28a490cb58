"""GraphQL for link analysis: trace to source, networks, rings, hotspots.

Every resolver runs an analytics function on the caller's view; whole-graph
results are cached per view and store version and computed off the request loop
(``graph_api.whole_graph``), so other callers' reads answer meanwhile.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from graph_api import analytics
from graph_api.access import Action
from graph_api.analytics import results
from graph_api.analytics.walks import UPSTREAM_KINDS
from graph_api.api.context import MAX_HOPS, MAX_LIMIT, check_limit
from graph_api.api.typed import typed_field
from graph_api.api.types import Entity, Relation, entities_of, load_entity
from graph_api.api.value_types import Info, RelationKind
from graph_api.errors import BadUserInput, NotFound
from graph_api.model import RelationKind as DomainRelationKind
from graph_api.model import relation_id
from graph_api.store.base import RelationRecord

__all__ = ["AnalyticsQuery"]

MAX_FIRST = 1000
RANKED = 20
"""Rings whose key players are ranked with them, off the loop (rings' default ``first``);
a request for more ranks the rest off the loop too before it answers."""


def _rings(size: int) -> Any:
    def compute(G: Any) -> list[results.RingCandidate]:
        found = analytics.ring_candidates(G, min_size=size)
        _rank(found[:RANKED])
        return found

    return compute


def _rank(candidates: list[results.RingCandidate]) -> None:
    """Rank the key players of ``candidates`` now (they are ranked when first read)."""
    for candidate in candidates:
        len(candidate.key_players)


def relation_record(G: object, rel: results.Rel) -> RelationRecord:
    """The caller's record of a relation, read from the view the analytics walked."""
    source, target, kind = rel
    data = G.succ[source][target][kind]  # type: ignore[attr-defined]
    return RelationRecord(
        id=relation_id(source, kind, target),
        kind=DomainRelationKind(kind),
        source=source,
        target=target,
        confidence=data["confidence"],
        facts=data["facts"],
    )


def _confidence_arg(value: float | None) -> float:
    value = 0.0 if value is None else value
    if not 0.0 <= value <= 1.0:
        raise BadUserInput("minConfidence must be from 0 to 1", field="minConfidence")
    return value


def _first(value: int | None, default: int) -> int:
    return check_limit("first", default if value is None else value, MAX_FIRST)


@strawberry.type(
    description="A walk through the caller's visible graph; "
    "relations[i] joins nodes[i] and nodes[i+1]."
)
class Path:
    confidence: float
    _path: strawberry.Private[results.Path]
    _relations: strawberry.Private[list[RelationRecord]]

    @classmethod
    def build(cls, G: object, path: results.Path) -> Path:
        records = [relation_record(G, rel) for rel in path.relations]
        return cls(confidence=path.confidence, _path=path, _relations=records)

    @strawberry.field
    def nodes(self, info: Info) -> list[Entity]:
        return entities_of(info, self._path.nodes, all_visible=True)

    @strawberry.field
    def relations(self) -> list[Relation]:
        return Relation.from_records(self._relations)


@strawberry.type
class Source:
    score: float = strawberry.field(
        description="Confidence of the most confident path (product of relation confidences)."
    )
    depth: int = strawberry.field(description="Hops on the shortest path.")
    _source: strawberry.Private[results.Source]
    _graph: strawberry.Private[object]

    @strawberry.field
    async def entity(self, info: Info) -> Entity:
        return await load_entity(info, self._source.entity)

    @strawberry.field
    def paths(self, first: int | None = 3) -> list[Path]:
        return [Path.build(self._graph, p) for p in self._source.paths[: _first(first, 3)]]


@strawberry.type
class SourceTrace:
    sources: list[Source]
    _origin: strawberry.Private[str]

    @strawberry.field
    async def origin(self, info: Info) -> Entity:
        return await load_entity(info, self._origin)


@strawberry.type
class Subgraph:
    truncated: bool
    _nodes: strawberry.Private[tuple[str, ...]]
    _relations: strawberry.Private[list[RelationRecord]]

    @strawberry.field
    def nodes(self, info: Info) -> list[Entity]:
        return entities_of(info, self._nodes)

    @strawberry.field
    def relations(self) -> list[Relation]:
        return Relation.from_records(self._relations)


@strawberry.type
class RankedEntity:
    score: float
    _entity: strawberry.Private[str]

    @strawberry.field
    async def entity(self, info: Info) -> Entity:
        return await load_entity(info, self._entity)


@strawberry.type
class RingCandidate:
    id: strawberry.ID
    size: int
    regions: list[str]
    _ring: strawberry.Private[results.RingCandidate]

    @strawberry.field
    def members(self, info: Info) -> list[Entity]:
        return entities_of(info, self._ring.members, all_visible=True)

    @strawberry.field
    def key_players(self, first: int | None = 5) -> list[RankedEntity]:
        ranked = self._ring.key_players[: _first(first, 5)]
        return [RankedEntity(score=r.score, _entity=r.entity) for r in ranked]

    @typed_field(
        description="Warehouses and factories that supply the ring's storefronts."
    )
    def sources(self, info: Info) -> list[Entity]:
        return entities_of(info, self._ring.sources, all_visible=True)

    @typed_field(
        description="A RING entity already recorded for most of these members, if any."
    )
    async def known_ring(self, info: Info) -> Entity | None:
        if self._ring.known_ring is None:
            return None
        return await load_entity(info, self._ring.known_ring)


@strawberry.type
class Linkage:
    path: Path
    _linkage: strawberry.Private[results.Linkage]

    @strawberry.field
    async def entity(self, info: Info) -> Entity:
        return await load_entity(info, self._linkage.entity)

    @strawberry.field
    def shared_identifiers(self, info: Info) -> list[Entity]:
        return entities_of(info, self._linkage.shared_identifiers, all_visible=True)


@strawberry.type
class RegionShare:
    region: str
    listings: int
    sources: int
    share: float
    cumulative_share: float


@strawberry.type
class HotspotReport:
    total_listings: int
    regions: list[RegionShare]


def _kinds(kinds: list[Any] | None) -> frozenset[DomainRelationKind] | None:
    return None if kinds is None else frozenset(DomainRelationKind(k.value) for k in kinds)


@strawberry.type
class AnalyticsQuery:
    @strawberry.field
    def trace_to_source(
        self,
        info: Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        max_depth: int | None = 6,
        min_confidence: float | None = 0,
    ) -> SourceTrace:
        scope = info.context.require(Action.READ)
        depth = check_limit("maxDepth", 6 if max_depth is None else max_depth, MAX_HOPS)
        floor = _confidence_arg(min_confidence)
        G = info.context.store.view(scope, [str(from_)], depth, UPSTREAM_KINDS, upstream=True)
        if str(from_) not in G:
            raise NotFound(f"no entity {from_!r}", field="from")
        trace = analytics.trace_to_source(G, str(from_), max_depth=depth, min_confidence=floor)
        return SourceTrace(
            sources=[
                Source(score=s.score, depth=s.depth, _source=s, _graph=G) for s in trace.sources
            ],
            _origin=trace.origin,
        )

    @typed_field(
        description="Warehouses and factories ranked by how many visible infringing "
        "listings of the brand they feed."
    )
    async def top_sources(
        self, info: Info, brand: strawberry.ID | None = None, first: int | None = 10
    ) -> list[RankedEntity]:
        info.context.require(Action.READ)
        count = _first(first, 10)
        key = str(brand) if brand is not None else None
        ranked = await info.context.whole_graph(
            info.path, "topSources", key, lambda G: analytics.top_sources(G, key)
        )
        return [RankedEntity(score=r.score, _entity=r.entity) for r in ranked[:count]]

    @strawberry.field
    def network(
        self,
        info: Info,
        seeds: list[strawberry.ID],
        max_hops: int | None = 2,
        kinds: list[RelationKind] | None = None,
        min_confidence: float | None = 0,
        limit: int | None = 2000,
    ) -> Subgraph:
        scope = info.context.require(Action.READ)
        hops = check_limit("maxHops", 2 if max_hops is None else max_hops, MAX_HOPS)
        cap = check_limit("limit", 2000 if limit is None else limit, MAX_LIMIT, minimum=1)
        check_limit("seeds", len(seeds), MAX_FIRST)
        wanted = _kinds(kinds)
        floor = _confidence_arg(min_confidence)
        G = info.context.store.view(scope, [str(s) for s in seeds], hops, wanted)
        for i, seed in enumerate(seeds):  # as traceToSource: no silent empty graph
            if str(seed) not in G:
                raise NotFound(f"no entity {seed!r}", field=f"seeds[{i}]")
        found = analytics.network(
            G,
            [str(s) for s in seeds],
            max_hops=hops,
            kinds=None if wanted is None else [k.value for k in wanted],
            min_confidence=floor,
            limit=cap,
        )
        return Subgraph(
            truncated=found.truncated,
            _nodes=found.nodes,
            _relations=[relation_record(G, r) for r in found.relations],
        )

    @strawberry.field
    def connections(
        self,
        info: Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
        max_hops: int | None = 6,
        first: int | None = 5,
    ) -> list[Path]:
        scope = info.context.require(Action.READ)
        hops = check_limit("maxHops", 6 if max_hops is None else max_hops, MAX_HOPS)
        count = _first(first, 5)
        G = info.context.store.view(scope, [str(from_), str(to)], hops, None)
        for field, end in (("from", from_), ("to", to)):
            if str(end) not in G:
                raise NotFound(f"no entity {end!r}", field=field)
        paths = analytics.connections(G, str(from_), str(to), max_hops=hops, first=count)
        return [Path.build(G, p) for p in paths]

    @strawberry.field
    def linked_entities(
        self, info: Info, id: strawberry.ID, max_hops: int | None = 2
    ) -> list[Linkage]:
        scope = info.context.require(Action.READ)
        hops = check_limit("maxHops", 2 if max_hops is None else max_hops, MAX_HOPS)
        G = info.context.store.view(
            scope, [str(id)], 2 * hops, frozenset({DomainRelationKind.USES})
        )
        if str(id) not in G:
            raise NotFound(f"no entity {id!r}", field="id")
        return [
            Linkage(path=Path.build(G, link.path), _linkage=link)
            for link in analytics.linked_entities(G, str(id), max_hops=hops)
        ]

    @strawberry.field
    async def rings(
        self, info: Info, min_size: int | None = 3, first: int | None = 20
    ) -> list[RingCandidate]:
        scope = info.context.require(Action.READ)
        size = check_limit("minSize", 3 if min_size is None else min_size, MAX_LIMIT, minimum=1)
        count = _first(first, 20)
        found = await info.context.whole_graph(info.path, "rings", size, _rings(size))
        if count > RANKED and len(found) > RANKED:
            await info.context.services.whole_graph.off_loop(
                scope, lambda: _rank(found[:count]), info.context.caller)
        return [
            RingCandidate(id=strawberry.ID(r.id), size=r.size, regions=list(r.regions), _ring=r)
            for r in found[:count]
        ]

    @strawberry.field
    async def hotspots(self, info: Info, first: int | None = 10) -> HotspotReport:
        info.context.require(Action.READ)
        count = _first(first, 10)
        report = await info.context.whole_graph(
            info.path, "hotspots", None, lambda G: analytics.hotspots(G, first=None)
        )
        return HotspotReport(
            total_listings=report.total_listings,
            regions=[
                RegionShare(
                    region=r.region,
                    listings=r.listings,
                    sources=r.sources,
                    share=r.share,
                    cumulative_share=r.cumulative_share,
                )
                for r in report.regions[:count]
            ],
        )
