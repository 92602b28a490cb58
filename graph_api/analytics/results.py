"""Frozen result types of the analytics functions.

Entities are referred to by id; the API layer turns ids into `Entity` objects
with one batched store call. A relation is the triple ``(source, target, kind)``
in its stored direction, whatever direction a walk crossed it in, so that
``graph_api.model.relation_id(*rel)`` finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
]

Rel = tuple[str, str, str]
"""A relation as ``(source id, target id, relation kind)``, in its stored direction."""


@dataclass(frozen=True, slots=True)
class Path:
    """A walk; ``relations[i]`` joins ``nodes[i]`` and ``nodes[i + 1]``."""

    nodes: tuple[str, ...]
    relations: tuple[Rel, ...]
    confidence: float


@dataclass(frozen=True, slots=True)
class Source:
    """An upstream source: best path confidence, fewest hops, top paths."""

    entity: str
    score: float
    depth: int
    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class SourceTrace:
    origin: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class RankedEntity:
    entity: str
    score: float


@dataclass(frozen=True, slots=True)
class Subgraph:
    nodes: tuple[str, ...]
    relations: tuple[Rel, ...]
    truncated: bool


@dataclass(frozen=True, slots=True)
class Linkage:
    """An entity linked through shared identifiers, with the explaining path."""

    entity: str
    shared_identifiers: tuple[str, ...]
    path: Path


@dataclass(frozen=True, slots=True)
class RingCandidate:
    """A community of sellers and storefronts, with what explains it.

    ``members`` are the sellers and storefronts (``size == len(members)``);
    warehouses and factories that feed them are in ``sources``.
    """

    id: str
    size: int
    members: tuple[str, ...]
    key_players: Sequence[RankedEntity]  # a tuple, or one ranked when first read
    sources: tuple[str, ...]
    regions: tuple[str, ...]
    known_ring: str | None


@dataclass(frozen=True, slots=True)
class RegionShare:
    region: str
    listings: int
    sources: int
    share: float
    cumulative_share: float


@dataclass(frozen=True, slots=True)
class HotspotReport:
    total_listings: int
    regions: tuple[RegionShare, ...]


@dataclass(frozen=True, slots=True)
class Chokepoint:
    """A warehouse or factory and what removing it alone cuts off (DESIGN.md
    "Interdiction and time"): ``cut == len(listings)``; ``storefronts`` LIST a cut
    listing; ``regions`` are the cut listings' (as in `HotspotReport`), most cut
    listings first."""

    entity: str
    cut: int
    listings: tuple[str, ...]
    storefronts: tuple[str, ...]
    regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InterdictionStep:
    """One pick of a plan: listings cut once it and every earlier pick are removed."""

    entity: str
    cut_after: int


@dataclass(frozen=True, slots=True)
class InterdictionPlan:
    """Greedy picks in order; ``listings_considered`` = |L(B)|, ``cut`` = the listings
    the whole plan cuts, ``remaining`` = those still connected to a source."""

    steps: tuple[InterdictionStep, ...]
    listings_considered: int
    cut: int
    remaining: int


@dataclass(frozen=True, slots=True)
class InterdictionImpact:
    """What removing ``removed`` would do, nothing written (DESIGN.md)."""

    removed: tuple[str, ...]
    listings_cut: tuple[str, ...]
    storefronts_cut: tuple[str, ...]
    sources_remaining: tuple[str, ...]
    hotspots_before: HotspotReport
    hotspots_after: HotspotReport
