"""What the generator planted: the answers the analytics tests and benchmarks check."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Truth:
    """What the generator planted, computed over all assertions of all reports."""

    rings: dict[str, int] = field(default_factory=dict)  # ring seller/storefront id -> ring index
    sources: dict[str, dict[str, float]] = field(default_factory=dict)  # sampled listings only
    region_shares: dict[str, float] = field(default_factory=dict)  # share of infringing listings
    recidivists: dict[str, str] = field(default_factory=dict)  # new seller/storefront -> banned
    banned: list[str] = field(default_factory=list)
    known_rings: dict[str, int] = field(default_factory=dict)  # RING entity id -> ring index
    counts: dict[str, int] = field(default_factory=dict)  # distinct entities/relations, lines

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
