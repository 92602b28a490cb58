"""Pure analytics over a caller's networkx view: upstream, networks, rings, hotspots.

Every function takes the view ``G`` first, reads it through the standard
networkx API only, never mutates it, and returns frozen results
(`graph_api.analytics.results`) that name entities by id.
"""

from __future__ import annotations

from graph_api.analytics.hotspots import hotspots
from graph_api.analytics.networks import connections, linked_entities, network
from graph_api.analytics.results import (
    HotspotReport,
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
    "HotspotReport",
    "Linkage",
    "Path",
    "RankedEntity",
    "Rel",
    "RegionShare",
    "RingCandidate",
    "Source",
    "SourceTrace",
    "Subgraph",
    "connections",
    "hotspots",
    "linked_entities",
    "network",
    "ring_candidates",
    "top_sources",
    "trace_to_source",
]
