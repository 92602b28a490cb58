"""Pure analytics over a caller's networkx view: upstream, networks, rings, hotspots,
interdiction.

Every function takes the view ``G`` first, reads it through the standard
networkx API only, never mutates it, and returns frozen results
(`graph_api.analytics.results`) that name entities by id.
"""

from __future__ import annotations

from graph_api.analytics._cluster import warm_up, warmed
from graph_api.analytics.hotspots import hotspots
from graph_api.analytics.interdiction import (
    chokepoints,
    interdiction_plan,
    simulate_interdiction,
)
from graph_api.analytics.networks import connections, linked_entities, network
from graph_api.analytics.results import (
    Chokepoint,
    HotspotReport,
    InterdictionImpact,
    InterdictionPlan,
    InterdictionStep,
    Linkage,
    Path,
    RankedEntity,
    RegionShare,
    Rel,
    RingCandidate,
    Source,
    SourceTrace,
    Subgraph,
)
from graph_api.analytics.rings import ring_candidates
from graph_api.analytics.upstream import top_sources, trace_to_source

__all__ = [
    "Chokepoint",
    "HotspotReport",
    "InterdictionImpact",
    "InterdictionPlan",
    "InterdictionStep",
    "Linkage",
    "Path",
    "RankedEntity",
    "Rel",
    "RegionShare",
    "RingCandidate",
    "Source",
    "SourceTrace",
    "Subgraph",
    "chokepoints",
    "connections",
    "hotspots",
    "interdiction_plan",
    "linked_entities",
    "network",
    "ring_candidates",
    "simulate_interdiction",
    "top_sources",
    "trace_to_source",
    "warm_up",
    "warmed",
]
