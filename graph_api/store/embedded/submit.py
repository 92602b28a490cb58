"""The embedded store's reports in: `submit` and `submit_many` run the submit sequence
(``store.submit_checks``) inside their SQLite transaction, so that no other process
writes between the checks and the write, against the two narrow reads it asks of a
store: the written reports' digests by key, and the kinds a scope sees
(`visible_kinds`: from the graph; without it, the bulk importer's mode, from each
entity's (visibility class, kind) facts, read when first asked and kept in step with
what it writes). The same ``catch_up`` that follows other processes' writes then
applies them to memory (``store.MemoryStore``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from graph_api.access import Scope
from graph_api.audit import AuditEntry
from graph_api.model import EntityKind, Report
from graph_api.store.base import CheckedBatch, SubmitResult
from graph_api.store.embedded.sqlite import Database
from graph_api.store.masks import VisibilityMask
from graph_api.store.submit_checks import KnownReport, answer_of, check_reports

__all__ = ["SqliteSubmit"]

_KINDS = {kind.value: kind for kind in EntityKind}


class SqliteSubmit:
    """Reports checked and written, and the kinds they are checked against (a mixin of
    ``MemoryStore``, which provides what is declared here)."""

    db: Database
    graph: nx.MultiDiGraph
    with_graph: bool
    applied_seq: int
    _kinds: dict[str, list[tuple[int, EntityKind]]]
    _kinds_upto: int

    if TYPE_CHECKING:  # provided by the class this is mixed into (declared for mypy:
        # nothing here shadows it at run time)
        def catch_up(self) -> int:
            ...

        def mask(self, scope: Scope) -> VisibilityMask:
            ...

    # -- the kinds a scope sees (what a report is checked against) -------------
    def visible_kind(self, scope: Scope, entity_id: str) -> EntityKind | None:
        """The kind the caller knows an entity by (its first visible fact's), or None."""
        return self.visible_kinds(scope, [entity_id]).get(entity_id)

    def visible_kinds(self, scope: Scope, ids: list[str]) -> dict[str, EntityKind]:
        """``visible_kind`` of each id the caller sees."""
        mask = self.mask(scope)
        seen: dict[str, EntityKind] = {}
        if self.with_graph:  # the first visible fact: a hub's 200,000 are not all read
            nodes = self.graph._node
            for eid in ids:
                data = nodes.get(eid)
                for fact in data["facts"] if data is not None else ():
                    if mask[fact.vclass]:
                        seen[eid] = _KINDS[fact.kind]
                        break
        else:
            self._read_kinds()
            kinds = self._kinds
            for eid in ids:
                for vclass, kind in kinds.get(eid, ()):
                    if mask[vclass]:
                        seen[eid] = kind
                        break
        return seen

    def _read_kinds(self) -> None:
        """Without the graph: each entity's (visibility class, kind) facts, read up to
        the applied seq (only a writer that checks reports needs them; ``org`` and
        ``token`` commands open the store without reading a million entities)."""
        after, upto = self._kinds_upto, self.applied_seq
        if upto <= after:
            return
        classes = {seq: vclass for seq, vclass, _, _ in self.db.report_heads(after, upto)}
        for seq, eid, kind in self.db.entity_kinds(after, upto):
            self._kinds.setdefault(eid, []).append((classes[seq], _KINDS[kind]))
        self._kinds_upto = upto

    def _keep_kinds(self, written: list[tuple[int, int, Report]]) -> None:
        """Without the graph: the kinds of reports just written as (seq, class id, report),
        straight into ``_kinds`` when they directly follow what was read (else they are
        read back like another process's)."""
        if self.with_graph or not written or written[0][0] != self._kinds_upto + 1:
            return
        kinds = self._kinds
        for _, vclass, report in written:
            for entity in report.entities:
                kinds.setdefault(entity.id, []).append((vclass, entity.kind))
        self._kinds_upto = written[-1][0]

    # -- writes --------------------------------------------------------------
    def submit(self, scope: Scope, report: Report, audit: AuditEntry | None = None) -> SubmitResult:
        self.catch_up()
        with self.db.transaction():  # checked inside: no other process writes between
            answer = answer_of(self._checked([(scope, report)]))
            if answer.created:
                self.db.insert_report(report)
            if audit is not None:
                self.db.append_audit(audit)
        self.catch_up()
        return answer

    def submit_many(
        self, reports: list[tuple[Scope, Report]], audit: AuditEntry | None = None
    ) -> list[SubmitResult | Exception]:
        """Bulk import: each report checked alone, the good ones written in one transaction."""
        self.catch_up()
        written: list[tuple[int, int, Report]] = []  # seq, class id, report
        with self.db.transaction():
            checked = self._checked(reports)
            for report in checked.good:
                seq, vclass = self.db.insert_report(report)
                written.append((seq, vclass, report))
            if audit is not None:
                self.db.append_audit(audit)
        self._keep_kinds(written)
        self.catch_up()
        return checked.results

    def _checked(self, reports: list[tuple[Scope, Report]]) -> CheckedBatch:
        """The submit sequence (``store.submit_checks``) over this file, read within the
        caller's transaction."""
        report_digest = self.db.report_digest

        def known(keys: list[tuple[str, str]]) -> dict[tuple[str, str], KnownReport]:
            found = ((key, report_digest(*key)) for key in dict.fromkeys(keys))
            return {key: row for key, row in found if row is not None}

        return check_reports(reports, known, self.visible_kinds)
