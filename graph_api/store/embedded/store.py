"""The embedded store: SQLite as system of record, a networkx graph in memory.

The graph is the fold of every report up to ``applied_seq``. Writes commit to
SQLite first (reports: ``submit``) and are then applied by the same ``catch_up``
that follows writes made by other processes (``graph-api import``), so there is
one path from the database to memory.
"""

from __future__ import annotations

import gc
from collections import OrderedDict, deque
from pathlib import Path

import networkx as nx

from graph_api import deadline
from graph_api.access import Scope, VisibilityClass
from graph_api.audit import AuditEntry, AuditHead, AuditRecord
from graph_api.model import (
    Assertion,
    EntityKind,
    Org,
    Principal,
    RelationKind,
)
from graph_api.store.base import PrincipalRecord
from graph_api.store.columns import FactColumns
from graph_api.store.embedded.entity_index import EntityIndex
from graph_api.store.embedded.events import SqliteReportLog
from graph_api.store.embedded.indexed_reads import IndexedReads
from graph_api.store.embedded.sqlite import Database, EntityRow
from graph_api.store.embedded.submit import SqliteSubmit
from graph_api.store.embedded.text_index import ID, NAME, PROPERTIES, TextIndex
from graph_api.store.embedded.versions import ClassVersions
from graph_api.store.facts import Data, EntityFact, RelationFact
from graph_api.store.horizon import Horizon, ReportTimes
from graph_api.store.masks import AsOfMask, VisibilityMask, merged_node
from graph_api.store.visible import VisibleGraph

__all__ = ["MemoryStore"]

Changes = tuple[set[str], set[tuple[str, str]]]
"""Entities and (source, target) relation pairs that gained facts."""
# Catch-ups whose changes `changes_since` can still tell, and the entities and pairs
# they may hold together: a view's version stays put over the writes it may not see,
# so its kept snapshot may be many catch-ups behind when it is next asked.
CHANGES_KEPT = 1024
CHANGED_KEPT = 100_000
AS_OF_MASKS = 16  # views as of a time kept (their hubs' merges go with them: weakly kept)


class MemoryStore(IndexedReads, SqliteReportLog, SqliteSubmit):
    """SQLite (WAL) + an in-memory MultiDiGraph. Single-threaded by design.

    ``with_graph=False`` is the bulk importer's mode: it keeps only each
    entity's (visibility class, kind) facts in memory, enough to validate
    reports, and leaves the graph to the servers that follow the database.
    ``create=False``: the database must exist (ValueError otherwise).
    """

    def __init__(self, db_path: Path, with_graph: bool = True, create: bool = True) -> None:
        super().__init__()  # the reads' kept counts (`GraphReads`)
        self.db = Database(db_path, create)
        self.with_graph = with_graph
        self._kinds: dict[str, list[tuple[int, EntityKind]]] = {}
        self._kinds_upto = 0  # without the graph: kinds read up to this seq, when first asked
        self.graph = nx.MultiDiGraph()
        # Every fact also as typed columns, read with numpy when a whole view is
        # read (graph_api.analytics.snapshot): seconds instead of tens of them.
        self.graph.fact_columns = self.columns = FactColumns() if with_graph else None
        if self.columns is not None:
            self._node_fact = self.columns.add_node_fact
            self._relation_fact = self.columns.add_relation_fact
        # `entities` pages, filters, counts and searches from ordered ids, per-view
        # columns and the words of every text (`IndexedReads`)
        self.index = EntityIndex(self.columns) if self.columns is not None else None
        self.text = TextIndex() if self.columns is not None else None
        self.classes: list[VisibilityClass] = []
        self.applied_seq = 0
        # the newest report of each class and of each view asked (`view_version`);
        # without the graph, read when first asked up to ``_versions_upto``
        self._versions = ClassVersions()
        self._versions_upto = 0
        # (after, upto, what that catch-up changed), oldest first (`changes_since`)
        self._changes: deque[tuple[int, int, Changes | None]] = deque()
        self._changed = 0  # entities and pairs listed in _changes
        self._masks: dict[str, VisibilityMask] = {}
        # views as of a time: every report's time, read when such a view is first asked
        self._times: ReportTimes | None = None
        self._as_of_masks: OrderedDict[str, AsOfMask] = OrderedDict()
        self._sorted_ids: tuple[object, list[str]] | None = None
        self._orgs: dict[str, Org] = {}
        self._read_for: deadline.Budget | None = None  # the operation last caught up for
        self.catch_up()

    def close(self) -> None:
        self.db.close()

    def before_fork(self) -> None:
        """Ready to be forked (graph_api.prefork): what every worker would build on first
        use built once here, to be shared (the text index's words: cut by each worker at
        its first search, they cost it 20 s and made ~2 GiB of shared pages its own at
        1M, as cutting reads every text); the database's connection closed, as no SQLite
        connection may cross a fork; each forked process opens its own (`after_fork`)
        and follows the database from what this one had applied."""
        if self.text is not None:
            self.text.prepare()
        self.db.close()

    def after_fork(self) -> None:
        """In a process forked after `before_fork`: its own connection to the database."""
        self.db.reopen()

    # -- following the database --------------------------------------------
    def catch_up_for_read(self) -> None:
        """``catch_up`` once per operation: its reads see the database as of its first
        read (and its own writes, which catch up themselves); a request reading three
        times asked SQLite for the latest report three times."""
        operation = deadline.current()
        if operation is None or operation is not self._read_for:
            self.catch_up()
            self._read_for = operation

    def catch_up(self) -> int:
        """Apply every report committed since the last call; returns how many."""
        upto = self.db.max_seq()
        if upto <= self.applied_seq:
            return 0
        after = self.applied_seq
        self.classes = self.db.vclasses(self.classes)
        if self._times is not None:
            self._times.follow(upto)
        if not self.with_graph:  # entity kinds are read when a report is first checked
            self.applied_seq = upto
            return upto - after
        heads = {seq: (vclass, conf) for seq, vclass, conf, _ in self.db.report_heads(after, upto)}
        bulk = upto - after > 1000
        # What a small catch-up touched, for whole-graph analytics that update
        # what they derived from the previous version instead of reading the
        # whole view again (`changes_since`); a bulk one is not worth listing.
        changes: Changes | None = None if bulk else (set(), set())
        if bulk:
            gc.disable()
        try:
            if changes is None:
                for row in self.db.entity_rows(after, upto):
                    self._apply_entity(row, heads[row[0]])
                for seq, source, kind, target, conf in self.db.relation_rows(after, upto):
                    self._apply_relation(seq, heads[seq][0], source, kind, target, conf)
            else:
                entities, pairs = changes
                for row in self.db.entity_rows(after, upto):
                    self._apply_entity(row, heads[row[0]])
                    entities.add(row[1])
                for seq, source, kind, target, conf in self.db.relation_rows(after, upto):
                    self._apply_relation(seq, heads[seq][0], source, kind, target, conf)
                    pairs.add((source, target))
        finally:
            if bulk:
                gc.enable()
                gc.freeze()
        self.applied_seq = upto
        self._keep_changes(after, upto, changes)
        if self.index is not None and self.text is not None:
            self.text.flush()
            self.index.follow()
        self._versions.written({vclass: seq for seq, (vclass, _) in heads.items()})
        self._versions_upto = upto
        return len(heads)

    def _keep_changes(self, after: int, upto: int, changes: Changes | None) -> None:
        kept = self._changes
        kept.append((after, upto, changes))
        self._changed += 0 if changes is None else len(changes[0]) + len(changes[1])
        while len(kept) > CHANGES_KEPT or (self._changed > CHANGED_KEPT and len(kept) > 1):
            gone = kept.popleft()[2]
            self._changed -= 0 if gone is None else len(gone[0]) + len(gone[1])

    def changes_since(self, version: int) -> Changes | None:
        """The entities and (source, target) relation pairs that gained facts in the
        reports after ``version`` (a report key: a view's version, `view_version`),
        and maybe more; None when that is not known (a bulk catch-up, or ``version``
        older than what is kept). A fact only ever adds: what is not listed is as it
        was at ``version``."""
        entities: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        if version >= self.applied_seq:
            return entities, pairs
        if not self._changes or self._changes[0][0] > version:
            return None
        for _, upto, changes in self._changes:
            if upto <= version:
                continue
            if changes is None:
                return None
            entities |= changes[0]
            pairs |= changes[1]
        return entities, pairs

    def _apply_entity(self, row: EntityRow, head: tuple[int, float]) -> None:
        seq, eid, kind, name, region, status, props, ident_kind, value = row
        vclass, conf = head
        fact = tuple.__new__(EntityFact, (seq, vclass, conf, kind, name, region, status, props))
        G = self.graph
        number = self._node_fact(eid, vclass, kind, region, status, seq, name is not None)
        text = self.text
        assert text is not None
        if name is not None:
            text.add(number, seq, vclass, NAME, name)
        if props:
            text.add(number, seq, vclass, PROPERTIES, props)
        data = G._node.get(eid)
        if data is None:
            text.add(number, -1, -1, ID, eid)
            data = merged_node([fact])
            if ident_kind is not None:
                data["identifier_kind"] = ident_kind
                data["value"] = value
            G._node[eid] = data
            G._succ[eid] = {}
            G._pred[eid] = {}
            return
        data["facts"].append(fact)
        for key, field_value in (("name", name), ("region", region), ("status", status)):
            if field_value is not None:
                data[key] = field_value
        data["miss"] *= 1.0 - conf  # the same float steps as noisy_or over the facts
        data["confidence"] = 1.0 - data["miss"]

    def _apply_relation(
        self, seq: int, vclass: int, source: str, kind: str, target: str, conf: float
    ) -> None:
        G = self.graph
        source, target = self._relation_fact(source, kind, target, vclass, conf, seq)
        keydict = G._succ[source].get(target)
        if keydict is None:
            keydict = G._succ[source][target] = {}
            G._pred[target][source] = keydict
        fact = tuple.__new__(RelationFact, (seq, vclass, conf))
        data = keydict.get(kind)
        if data is None:
            miss = 1.0 - conf
            keydict[kind] = {"confidence": 1.0 - miss, "miss": miss, "facts": [fact]}
        else:
            data["facts"].append(fact)
            data["miss"] *= 1.0 - conf
            data["confidence"] = 1.0 - data["miss"]

    # -- orgs and principals -------------------------------------------------
    def add_org(self, org: Org, audit: AuditEntry | None = None) -> Org:
        with self.db.transaction():
            self.db.insert_org(org)
            if audit is not None:
                self.db.append_audit(audit)
        self._orgs.clear()
        return org

    def orgs(self) -> list[Org]:
        if not self._orgs:
            self._orgs = {o.id: o for o in self.db.orgs()}
        return list(self._orgs.values())

    def org(self, org_id: str) -> Org | None:
        if org_id not in self._orgs:
            self._orgs = {o.id: o for o in self.db.orgs()}
        return self._orgs.get(org_id)

    # -- audit ---------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        with self.db.transaction():
            self.db.append_audit(entry)

    def append_audit_seq(self, entry: AuditEntry) -> int:
        with self.db.transaction():
            return self.db.append_audit(entry)

    def audit_records(self, after: int = 0, limit: int | None = None) -> list[AuditRecord]:
        return list(self.db.audit_records(after, limit))

    def org_audit_records(
        self, org_id: str, after: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        return list(self.db.org_audit_records(org_id, after, limit))

    def audit_head(self, org_id: str = "") -> AuditHead:
        return self.db.audit_head(org_id)

    def principal(self, principal_id: str) -> Principal | None:
        row = self.db.principal(principal_id)
        org = None if row is None else self.org(row[1])
        return None if row is None or org is None else Principal(row[0], org, row[2])

    def add_principal(
        self, principal: Principal, token_hash: str, audit: AuditEntry | None = None
    ) -> None:
        with self.db.transaction():
            self.db.insert_principal(principal, token_hash)
            if audit is not None:
                self.db.append_audit(audit)

    def principal_by_token_hash(self, token_hash: str) -> Principal | None:
        row = self.db.principal_by_token_hash(token_hash)
        if row is None:
            return None
        org = self.org(row[1])
        return None if org is None else Principal(row[0], org, row[2])

    def principal_records(self, org_id: str | None = None) -> list[PrincipalRecord]:
        acted = self.db.last_acted()
        return [PrincipalRecord(*row, last_used=acted.get(row[0]))
                for row in self.db.principal_rows(org_id)]

    def revoke_principal(self, principal_id: str, audit: AuditEntry | None = None) -> bool:
        with self.db.transaction():
            revoked = self.db.revoke_principal(principal_id)
            if revoked and audit is not None:
                self.db.append_audit(audit)
        return revoked

    # -- visibility ----------------------------------------------------------
    def mask(self, scope: Scope) -> VisibilityMask:
        if scope.as_of is not None:
            return self._as_of_mask(scope, scope.as_of)
        mask = self._masks.get(scope.view_key)
        if mask is None:
            mask = self._masks[scope.view_key] = VisibilityMask(
                lambda cid: scope.sees(self.classes[cid])
            )
        if len(mask.bits) > len(self.classes):  # a rollback can shrink nothing, but be safe
            mask.bits.clear()
        return mask

    def _as_of_mask(self, scope: Scope, at: int) -> AsOfMask:
        """The mask of ``scope``'s view as of ``at``: its classes, and each fact's report
        received at or before ``at`` (`Horizon`). The last ``AS_OF_MASKS`` are kept."""
        key = scope.view_key
        found = self._as_of_masks.get(key)
        if found is not None and len(found.bits) <= len(self.classes):
            self._as_of_masks.move_to_end(key)
            return found
        if self._times is None:
            self._times = ReportTimes(self.db.report_times)
            self._times.follow(self.applied_seq)
        live = scope.live
        found = self._as_of_masks[key] = AsOfMask(
            lambda cid: live.sees(self.classes[cid]), Horizon(self._times, at))
        while len(self._as_of_masks) > AS_OF_MASKS:
            self._as_of_masks.popitem(last=False)
        return found

    def view(
        self,
        scope: Scope,
        seeds: list[str] | None = None,
        hops: int | None = None,
        kinds: frozenset[RelationKind] | None = None,
        upstream: bool = False,
    ) -> nx.MultiDiGraph:
        return self.visible(scope).graph()

    def visible(self, scope: Scope) -> VisibleGraph:
        """The caller's graph over the shared one, by its mask: networkx or columns."""
        self.catch_up_for_read()
        return VisibleGraph(self.graph, self.mask(scope), self.columns)

    def view_version(self, scope: Scope) -> int:
        """The newest report among the classes the caller sees (`ClassVersions`). A view
        as of a time has today's view's version: it moves with every write the caller may
        see (one received by then may still come: an import parsed before it commits
        after it), never with another."""
        scope = scope.live
        if self._versions_upto < self.applied_seq:  # without the graph: read when asked
            heads = self.db.report_heads(self._versions_upto, self.applied_seq)
            self._versions.written({vclass: seq for seq, vclass, _, _ in heads})
            self._versions_upto = self.applied_seq
        return self._versions.of(scope.view_key, self.mask(scope))

    # -- reads (the rest is IndexedReads and GraphReads) ------------------------
    def node_data(self, scope: Scope, ids: list[str]) -> dict[str, Data]:
        self.catch_up_for_read()
        nodes = self.graph._node
        return {eid: nodes[eid] for eid in ids if eid in nodes}

    def ids_in_order(self, scope: Scope) -> list[str]:
        self.catch_up_for_read()
        assert self.index is not None and self.columns is not None
        order = self.index.order
        if self._sorted_ids is None or self._sorted_ids[0] is not order:
            ids = self.columns.ids
            self._sorted_ids = (order, [ids[n] for n in order.tolist()])
        return self._sorted_ids[1]

    def _ids(self) -> list[str]:
        assert self.columns is not None
        return self.columns.ids

    def _nodes(self) -> dict[str, Data]:
        nodes: dict[str, Data] = self.graph._node
        return nodes

    def all_node_data(self, scope: Scope) -> dict[str, Data]:
        self.catch_up_for_read()
        nodes: dict[str, Data] = self.graph._node
        return nodes

    def reporters(self, data: Data) -> list[str]:
        return [self.classes[f.vclass].reporter for f in data["facts"]]

    def envelopes(self, keys: list[int]) -> dict[int, Assertion]:
        return self.db.envelopes(keys, self.classes)
