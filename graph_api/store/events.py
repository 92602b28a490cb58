"""The change log of STIX feeds: reports by key, and what each one stated.

Reports are append-only and numbered by the store's report key (``seq``); a
report's assertions all share its visibility class. So the log of what changed
in a caller's view is the list of the reports it may see, each with the
entities and relations it stated, and nothing else: the TAXII collections and
the change stream (``graph_api.taxii.feed``) fold it into per-view positions.
It is durable because the reports are.

- The embedded store already keeps it: ``reports`` (key, class, time) and the
  ``entity_facts`` / ``relation_facts`` tables, whose primary keys start with the
  report key, so a range of keys is an index range (``SqliteReportLog``).
- The Neo4j store writes one ``(:ReportLog)`` node per report in the report's own
  transaction (``neo4j_events``), read by key through its index.

Both return only reports of classes the caller may see (its ``Scope``, capped
or not): a feed never holds a key of a report it may not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from graph_api.access import Scope
from graph_api.store.scoped_view import VisibilityMask
from graph_api.store.sqlite import Database

__all__ = ["LoggedReport", "ReportChanges", "SqliteReportLog"]


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


class SqliteReportLog:
    """The log over the embedded store's tables (a mixin of ``MemoryStore``)."""

    db: Database

    def mask(self, scope: Scope) -> VisibilityMask:
        raise NotImplementedError

    def visible_reports(self, scope: Scope, after: int) -> list[LoggedReport]:
        """The reports after key ``after`` that ``scope`` may see, oldest first."""
        mask = self.mask(scope)
        rows = self.db.conn.execute(
            "SELECT seq, vclass, org_id, received_at FROM reports WHERE seq > ? ORDER BY seq",
            (after,),
        )
        return [LoggedReport(seq, org, datetime.fromisoformat(at))
                for seq, vclass, org, at in rows if mask[vclass]]

    def report_changes(self, scope: Scope, after: int, upto: int) -> ReportChanges:
        """What the reports in (after, upto] that ``scope`` may see stated."""
        mask = self.mask(scope)
        visible = {seq for seq, vclass, _, _ in self.db.report_heads(after, upto) if mask[vclass]}
        changes = ReportChanges()
        if visible:
            changes.add((eid for seq, eid, _ in self.db.entity_kinds(after, upto)
                         if seq in visible),
                        ((s, k, t) for seq, s, k, t, _ in self.db.relation_rows(after, upto)
                         if seq in visible))
        return changes
