"""The embedded store's change log of STIX feeds (``graph_api.store.events``): its
``reports`` table and fact tables, whose primary keys start with the report key."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from graph_api.access import Scope
from graph_api.store.embedded.sqlite import Database
from graph_api.store.events import LoggedReport, ReportChanges
from graph_api.store.masks import VisibilityMask

__all__ = ["SqliteReportLog"]


class SqliteReportLog:
    """The log over the embedded store's tables (a mixin of ``MemoryStore``)."""

    db: Database

    if TYPE_CHECKING:  # provided by the class this is mixed into (declared for mypy:
        # nothing here shadows it at run time)
        def mask(self, scope: Scope) -> VisibilityMask: ...

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
