"""GraphQL for planning the raid: chokepoints, interdiction plans and what-if cuts.

DESIGN.md "Interdiction and time"; the computations are
`graph_api.analytics.interdiction`'s, over the caller's whole view, cached per view
and version and computed off the request loop (``graph_api.whole_graph``) like
topSources, on either store (on Neo4j over
the view fetched once per version). An id the caller may not see — in ``brand``,
``candidates`` or ``remove`` — is ignored exactly as one that does not exist.
"""

from __future__ import annotations

import strawberry

from graph_api import analytics
from graph_api.access import Action
from graph_api.analytics import results
from graph_api.api.analytics_fields import MAX_FIRST, RegionShare
from graph_api.api.context import MAX_HOPS, MAX_LIMIT, check_limit
from graph_api.api.typed import typed_field
from graph_api.api.types import Entity, entities_of, load_entity
from graph_api.api.value_types import Info

__all__ = ["InterdictionQuery", "MAX_BUDGET"]

MAX_BUDGET = 100
"""interdictionPlan's largest ``budget``: each pick is one pass over the brand's listings."""


def _first(name: str, value: int | None, default: int) -> int:
    return check_limit(name, default if value is None else value, MAX_FIRST)


def _depth(value: int | None) -> int:
    return check_limit("maxDepth", 6 if value is None else value, MAX_HOPS)


def _brand(value: strawberry.ID | None) -> str | None:
    return None if value is None else str(value)


def _shares(report: results.HotspotReport) -> list[RegionShare]:
    return [
        RegionShare(
            region=r.region,
            listings=r.listings,
            sources=r.sources,
            share=r.share,
            cumulative_share=r.cumulative_share,
        )
        for r in report.regions
    ]


@strawberry.type(
    description="A warehouse or factory whose removal alone cuts the brand's listings off "
    "every source (DESIGN.md, Interdiction and time)."
)
class Chokepoint:
    cut: int = strawberry.field(
        description="The brand's listings cut off by removing this node alone."
    )
    regions: list[str] = strawberry.field(
        description="Regions of the cut listings (their storefronts' and sources', as "
        "hotspots counts them), the region of most cut listings first."
    )
    _point: strawberry.Private[results.Chokepoint]

    @strawberry.field
    async def entity(self, info: Info) -> Entity:
        return await load_entity(info, self._point.entity)

    @typed_field(description="The cut listings, by id.")
    def listings(self, info: Info, first: int | None = 50) -> list[Entity]:
        ids = self._point.listings[: _first("first", first, 50)]
        return entities_of(info, ids, all_visible=True)

    @typed_field(
        description="Storefronts that LIST a cut listing, by id."
    )
    def storefronts(self, info: Info, first: int | None = 50) -> list[Entity]:
        ids = self._point.storefronts[: _first("first", first, 50)]
        return entities_of(info, ids, all_visible=True)


@strawberry.type
class InterdictionStep:
    cut_after: int = strawberry.field(
        description="Listings cut off once this and every earlier pick are removed."
    )
    _entity: strawberry.Private[str]

    @strawberry.field
    async def entity(self, info: Info) -> Entity:
        return await load_entity(info, self._entity)


@strawberry.type(
    description="Greedy picks, each the candidate that cuts the most listings together "
    "with the earlier ones (ties: smallest id), until the budget or a gain of 0."
)
class InterdictionPlan:
    steps: list[InterdictionStep]
    listings_considered: int = strawberry.field(
        description="The brand's visible infringing listings that have a source."
    )
    cut: int
    remaining: int


@strawberry.type(description="What removing the given entities would cut; nothing is written.")
class InterdictionImpact:
    hotspots_before: list[RegionShare]
    hotspots_after: list[RegionShare]
    _impact: strawberry.Private[results.InterdictionImpact]

    @typed_field(
        description="The ids of remove the caller can see, in the order given, once each."
    )
    def removed(self, info: Info) -> list[Entity]:
        return entities_of(info, self._impact.removed, all_visible=True)

    @strawberry.field
    def listings_cut(self, info: Info, first: int | None = 100) -> list[Entity]:
        ids = self._impact.listings_cut[: _first("first", first, 100)]
        return entities_of(info, ids, all_visible=True)

    @strawberry.field
    def storefronts_cut(self, info: Info, first: int | None = 100) -> list[Entity]:
        ids = self._impact.storefronts_cut[: _first("first", first, 100)]
        return entities_of(info, ids, all_visible=True)

    @strawberry.field
    def sources_remaining(self, info: Info, first: int | None = 100) -> list[Entity]:
        ids = self._impact.sources_remaining[: _first("first", first, 100)]
        return entities_of(info, ids, all_visible=True)


@strawberry.type
class InterdictionQuery:
    @typed_field(
        description="Warehouses and factories ranked by the brand's listings (all brands' "
        "when null) that removing each alone cuts off every source."
    )
    async def chokepoints(
        self,
        info: Info,
        brand: strawberry.ID | None = None,
        first: int | None = 10,
        max_depth: int | None = 6,
    ) -> list[Chokepoint]:
        info.context.require(Action.READ)
        count = _first("first", first, 10)
        key = (_brand(brand), _depth(max_depth))
        found = await info.context.whole_graph(
            info.path,
            "chokepoints",
            key,
            lambda G: analytics.chokepoints(G, key[0], MAX_FIRST, max_depth=key[1]),
        )
        return [
            Chokepoint(cut=c.cut, regions=list(c.regions), _point=c) for c in found[:count]
        ]

    @typed_field(
        description="Up to budget warehouses/factories (from candidates, or every visible "
        "one) that together cut off the most listings, chosen greedily."
    )
    async def interdiction_plan(
        self,
        info: Info,
        brand: strawberry.ID | None = None,
        *,
        budget: int,
        candidates: list[strawberry.ID] | None = None,
        max_depth: int | None = 6,
    ) -> InterdictionPlan:
        info.context.require(Action.READ)
        picks = check_limit("budget", budget, MAX_BUDGET, minimum=1)
        pool = None
        if candidates is not None:
            check_limit("candidates", len(candidates), MAX_LIMIT)
            pool = tuple(sorted({str(c) for c in candidates}))
        key = (_brand(brand), picks, pool, _depth(max_depth))
        plan = await info.context.whole_graph(
            info.path,
            "interdictionPlan",
            key,
            lambda G: analytics.interdiction_plan(G, key[0], key[1], key[2], max_depth=key[3]),
        )
        return InterdictionPlan(
            steps=[InterdictionStep(cut_after=s.cut_after, _entity=s.entity) for s in plan.steps],
            listings_considered=plan.listings_considered,
            cut=plan.cut,
            remaining=plan.remaining,
        )

    @typed_field(
        description="What removing these entities (any kind) would cut off, without "
        "writing anything; ids the caller cannot see are ignored as missing ones."
    )
    async def simulate_interdiction(
        self,
        info: Info,
        remove: list[strawberry.ID],
        brand: strawberry.ID | None = None,
        max_depth: int | None = 6,
    ) -> InterdictionImpact:
        info.context.require(Action.READ)
        check_limit("remove", len(remove), MAX_FIRST)
        key = (tuple(str(r) for r in remove), _brand(brand), _depth(max_depth))
        impact = await info.context.whole_graph(
            info.path,
            "simulateInterdiction",
            key,
            lambda G: analytics.simulate_interdiction(G, key[0], key[1], max_depth=key[2]),
        )
        return InterdictionImpact(
            hotspots_before=_shares(impact.hotspots_before),
            hotspots_after=_shares(impact.hotspots_after),
            _impact=impact,
        )
