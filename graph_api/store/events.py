"""The change log of STIX feeds: reports by key, and what each one stated.

Reports are append-only and numbered by the store's report key (``seq``); a
report's assertions all share its visibility class. So the log of what changed
in a caller's view is the list of the reports it may see, each with the
entities and relations it stated, and nothing else: the TAXII collections and
the change stream (``graph_api.taxii.feed``) fold it into per-view positions.
It is durable because the reports are.

- The embedded store already keeps it: ``reports`` (key, class, time) and the
  ``entity_facts`` / ``relation_facts`` tables, whose primary keys start with the
  report key, so a range of keys is an index range (``embedded.events``).
- The Neo4j store writes one ``(:ReportLog)`` node per report in the report's own
  transaction (``neo4j.events``), read by key through its index.

Both return only reports of classes the caller may see (its ``Scope``, capped
or not): a feed never holds a key of a report it may not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["LoggedReport", "ReportChanges"]


@dataclass(frozen=True, slots=True)
class LoggedReport:
    """A report the caller may see: its key, reporting org and arrival time."""

    seq: int
    org: str
    received_at: datetime


@dataclass(slots=True)
class ReportChanges:
    """What a range of the caller's visible reports stated: entity ids and relations
    as (source, kind, target)."""

    entities: set[str] = field(default_factory=set)
    relations: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, entities: Iterable[str], relations: Iterable[tuple[str, str, str]]) -> None:
        self.entities.update(entities)
        self.relations.update(relations)
