"""The Neo4j store's change log (``store.events``): one ``(:ReportLog)`` per report.

Written by ``write_report_log`` in the transaction that writes the reports, so a
report is logged exactly when it is stored; read by key range through the
``report_log_seq`` index, filtered by the visibility fragment like every read of
assertions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from neo4j import ManagedTransaction

from graph_api.access import Scope
from graph_api.store.events import LoggedReport, ReportChanges
from graph_api.store.neo4j.cypher import query
from graph_api.store.neo4j.rows import BatchRows, chunks

__all__ = ["Neo4jReportLog", "report_log_rows", "write_report_log"]


def report_log_rows(rows: BatchRows) -> list[dict[str, Any]]:
    """One row per report of a batch: its class and the ids of what it stated."""
    out: dict[int, dict[str, Any]] = {}
    for head in rows.heads:
        out[head["seq"]] = {"seq": head["seq"], "org": head["org"], "marking": head["marking"],
                            "shared": head["shared"], "at": head["at"], "entities": [],
                            "sources": [],
                            "kinds": [], "targets": []}
    for e in rows.entities:
        out[e["seq"]]["entities"].append(e["id"])
    for r in rows.relations:
        row = out[r["seq"]]
        row["sources"].append(r["source"])
        row["kinds"].append(r["kind"])
        row["targets"].append(r["target"])
    return list(out.values())


def write_report_log(tx: ManagedTransaction, rows: BatchRows) -> None:
    """Log a batch of reports inside the transaction that writes them."""
    for part in chunks(report_log_rows(rows)):
        tx.run(query("create_report_log"), rows=part).consume()


class Neo4jReportLog:
    """The log's reads (a mixin of ``Neo4jStore``, which provides ``_read``)."""

    if TYPE_CHECKING:  # provided by the class this is mixed into (declared for mypy:
        # nothing here shadows it at run time)
        def _read(self, name: str, **params: Any) -> list[dict[str, Any]]: ...

        @staticmethod
        def _who(scope: Scope) -> dict[str, Any]: ...

    def visible_reports(self, scope: Scope, after: int) -> list[LoggedReport]:
        rows = self._read("read_visible_reports", after=after, **self._who(scope))
        return [LoggedReport(r["seq"], r["org"], datetime.fromisoformat(r["received_at"]))
                for r in rows]

    def report_changes(self, scope: Scope, after: int, upto: int) -> ReportChanges:
        changes = ReportChanges()
        for r in self._read("read_report_changes", after=after, upto=upto, **self._who(scope)):
            changes.add(r["entities"] or (),
                        zip(r["sources"] or (), r["kinds"] or (), r["targets"] or (),
                            strict=True))
        return changes
