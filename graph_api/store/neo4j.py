"""The scale-out store: Neo4j through the official driver, every query in ``cypher/``.

The API is stateless over it: orgs, principals, reports, facts and the audit
ledger live in the database, so any number of workers and replicas serve one
database. Reads filter by visibility inside Cypher (``cypher/_visible.cypher``)
and come back as node data shaped like the embedded graph's, so the shared
reads (``GraphReads``) and the analytics run unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import networkx as nx
import orjson
from neo4j import Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError

from graph_api import deadline
from graph_api.access import Scope, VisibilityClass
from graph_api.audit import GENESIS, AuditEntry, AuditRecord, chain_hash
from graph_api.config import Settings
from graph_api.errors import BadUserInput, Conflict
from graph_api.model import (
    Assertion,
    EntityKind,
    Evidence,
    Marking,
    Org,
    OrgType,
    Principal,
    RelationKind,
    Report,
    SourceKind,
)
from graph_api.reports import check_against_view, mentioned_ids
from graph_api.store.base import Page, RelationRecord, SubmitResult
from graph_api.store.cypher import query, schema_statements
from graph_api.store.neo4j_faults import outage
from graph_api.store.neo4j_rows import batch_rows, chunks, graph_from_rows, nodes_from_rows
from graph_api.store.reads import GraphReads
from graph_api.store.scoped_view import VisibilityMask

__all__ = ["Neo4jStore"]

T = TypeVar("T")
Data = dict[str, Any]
ALL_VISIBLE = VisibilityMask(lambda _: True)  # what Cypher returns is already filtered
RETRIES = 5


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Neo4jStore(GraphReads):
    def __init__(self, settings: Settings) -> None:
        self.database = settings.neo4j_database
        # While the database is down a request answers UNAVAILABLE within seconds
        # instead of retrying for the driver's default 30 s; the pool reconnects after.
        self.driver: Driver = GraphDatabase.driver(
            settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password),
            connection_timeout=5.0, max_transaction_retry_time=5.0,
            connection_acquisition_timeout=10.0,
        )
        self._orgs: dict[str, Org] = {}
        self._write(lambda tx: [tx.run(s).consume() for s in schema_statements()])

    def close(self) -> None:
        self.driver.close()

    # -- plumbing ---------------------------------------------------------------
    def _write(self, work: Callable[[ManagedTransaction], T]) -> T:
        """One write transaction, retried on transient errors and MERGE races."""
        for attempt in range(RETRIES):
            try:
                with self.driver.session(database=self.database) as session:
                    return session.execute_write(work)
            except ConstraintError:
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
            except (Neo4jError, DriverError) as exc:
                if (fault := outage(exc)) is None:
                    raise
                raise fault from None
        raise AssertionError("unreachable")

    def _read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        deadline.check()  # every round trip is a chance to stop a runaway request
        try:
            with self.driver.session(database=self.database) as session:
                return session.execute_read(
                    lambda tx: [r.data() for r in tx.run(query(name), params)]
                )
        except (Neo4jError, DriverError) as exc:
            if (fault := outage(exc)) is None:
                raise
            raise fault from None

    @staticmethod
    def _who(scope: Scope) -> dict[str, str]:
        return {"org": scope.org_id, "org_type": scope.org_type.value}

    def reset(self) -> None:
        """Empty the database (tests only)."""
        self._write(lambda tx: tx.run(query("delete_everything")).consume())
        self._orgs.clear()

    # -- orgs and principals ----------------------------------------------------
    def add_org(self, org: Org, audit: AuditEntry | None = None) -> Org:
        def work(tx: ManagedTransaction) -> None:
            clashes = tx.run(query("count_org_clashes"), id=org.id, name=org.name).single()
            if clashes is not None and clashes["clashes"]:
                raise ValueError(f"an org with id {org.id!r} or name {org.name!r} exists")
            tx.run(query("create_org"), id=org.id, name=org.name, type=org.type.value,
                   trusted=org.trusted, created_at=_now()).consume()
            if audit is not None:
                self._append_audit(tx, audit)

        self._write(work)
        self._orgs.clear()
        return org

    def orgs(self) -> list[Org]:
        if not self._orgs:
            rows = self._read("list_orgs")
            self._orgs = {r["id"]: Org(r["id"], r["name"], OrgType(r["type"]), bool(r["trusted"]))
                          for r in rows}
        return list(self._orgs.values())

    def org(self, org_id: str) -> Org | None:
        if org_id not in self._orgs:
            self._orgs.clear()
            self.orgs()
        return self._orgs.get(org_id)

    def add_principal(
        self, principal: Principal, token_hash: str, audit: AuditEntry | None = None
    ) -> None:
        def work(tx: ManagedTransaction) -> None:
            tx.run(query("create_principal"), id=principal.id, org=principal.org.id,
                   role=principal.role, token_hash=token_hash, created_at=_now()).consume()
            if audit is not None:
                self._append_audit(tx, audit)

        self._write(work)

    def _principal(self, rows: list[dict[str, Any]]) -> Principal | None:
        if not rows:
            return None
        org = self.org(rows[0]["org"])
        return None if org is None else Principal(rows[0]["id"], org, rows[0]["role"])

    def principal_by_token_hash(self, token_hash: str) -> Principal | None:
        return self._principal(self._read("find_principal_by_token", token_hash=token_hash))

    def principal(self, principal_id: str) -> Principal | None:
        return self._principal(self._read("find_principal", id=principal_id))

    def revoke_principal(self, principal_id: str, audit: AuditEntry | None = None) -> bool:
        def work(tx: ManagedTransaction) -> bool:
            row = tx.run(query("revoke_principal"), id=principal_id, revoked_at=_now()).single()
            revoked = bool(row and row["revoked"])
            if revoked and audit is not None:
                self._append_audit(tx, audit)
            return revoked

        return self._write(work)

    # -- audit -------------------------------------------------------------------
    def _append_audit(self, tx: ManagedTransaction, entry: AuditEntry) -> None:
        head = tx.run(query("lock_audit_head"), genesis=GENESIS, at=_now()).single()
        assert head is not None
        seq, prev = int(head["seq"]) + 1, str(head["hash"])
        tx.run(query("create_audit"), seq=seq, at=entry.at.isoformat(),
               principal_id=entry.principal_id, org_id=entry.org_id, operation=entry.operation,
               digest=entry.digest, prev_hash=prev, hash=chain_hash(prev, seq, entry)).consume()

    def append_audit(self, entry: AuditEntry) -> None:
        self._write(lambda tx: self._append_audit(tx, entry))

    def audit_records(self, after: int = 0, limit: int | None = None) -> list[AuditRecord]:
        rows = self._read("list_audit", after=after, limit=limit or 10**9)
        out = []
        for r in rows:
            try:
                at = datetime.fromisoformat(r["at"])
            except (TypeError, ValueError):
                at = datetime(1970, 1, 1, tzinfo=UTC)
            out.append(AuditRecord(r["seq"], at, r["principal_id"], r["org_id"], r["operation"],
                                   r["digest"], r["prev_hash"], r["hash"]))
        return out

    # -- writes ------------------------------------------------------------------
    def _replay(self, report: Report, known: dict[tuple[str, str], Any] | None = None
                ) -> SubmitResult | None:
        if known is not None:
            row = known.get((report.org_id, report.id))
            rows = [row] if row else []
        else:
            rows = self._read("find_report", org=report.org_id, report_id=report.id)
        if not rows:
            return None
        if rows[0]["digest"] != report.digest:
            raise Conflict(
                f"reportId {report.id!r} was already used for a different report", field="reportId"
            )
        return SubmitResult(report.id, rows[0]["entities"], rows[0]["relations"], False)

    def visible_kinds(self, scope: Scope, ids: list[str]) -> dict[str, EntityKind]:
        """One row per id (hubs such as brands carry thousands of facts)."""
        if not ids:
            return {}
        rows = self._read("read_entity_kinds", ids=ids, **self._who(scope))
        return {r["id"]: EntityKind(r["kind"]) for r in rows}

    def _write_reports(self, tx: ManagedTransaction, reports: list[Report]) -> None:
        """A batch of reports in four UNWIND statements (chunked): report heads, the
        entities named (each id once), entity facts and relation facts."""
        row = tx.run(query("next_counter"), key="seq", by=len(reports)).single()
        assert row is not None
        rows = batch_rows(reports, int(row["value"]) - len(reports) + 1)
        for part in chunks(rows.heads):
            tx.run(query("create_reports"), rows=part).consume()
        for ids in chunks(rows.ids):
            tx.run(query("merge_entities"), ids=ids).consume()
        for part in chunks(rows.entities):
            tx.run(query("create_entity_facts"), rows=part).consume()
        for part in chunks(rows.relations):
            tx.run(query("create_relation_facts"), rows=part).consume()

    def submit(self, scope: Scope, report: Report, audit: AuditEntry | None = None) -> SubmitResult:
        replay = self._replay(report)
        if replay is not None:
            if audit is not None:
                self.append_audit(audit)
            return replay
        check_against_view(report, self.visible_kinds(scope, mentioned_ids(report)))

        def work(tx: ManagedTransaction) -> None:
            self._write_reports(tx, [report])
            if audit is not None:
                self._append_audit(tx, audit)

        self._write(work)
        return SubmitResult(report.id, len(report.entities), len(report.relations), True)

    def submit_many(
        self, reports: list[tuple[Scope, Report]], audit: AuditEntry | None = None
    ) -> list[SubmitResult | Exception]:
        """Each report checked alone; the good ones written in one transaction.

        The lookups are batched: one query for known report ids, one per reporting
        org for the kinds its reports mention.
        """
        results: list[SubmitResult | Exception] = []
        good: list[Report] = []
        batch_ids: set[tuple[str, str]] = set()
        known = {
            (r["org"], r["report_id"]): r
            for r in self._read("find_reports", keys=[
                {"org": rep.org_id, "report_id": rep.id} for _, rep in reports
            ])
        }
        by_scope: dict[str, tuple[Scope, list[str]]] = {}
        for scope, report in reports:
            by_scope.setdefault(scope.view_key, (scope, []))[1].extend(mentioned_ids(report))
        seen_by_scope = {
            key: self.visible_kinds(scope, list(dict.fromkeys(ids)))
            for key, (scope, ids) in by_scope.items()
        }
        pending: dict[str, dict[str, EntityKind]] = {}  # what earlier reports of the batch add
        for scope, report in reports:
            try:
                if (report.org_id, report.id) in batch_ids:
                    raise Conflict(f"reportId {report.id!r} repeats in this import",
                                   field="reportId")
                replay = self._replay(report, known)
                if replay is not None:
                    results.append(replay)
                    continue
                seen = dict(pending.get(scope.view_key, {}))
                seen.update(seen_by_scope[scope.view_key])
                check_against_view(report, seen)
                for entity in report.entities:  # visible to every scope that sees this report
                    for key, (other, _) in by_scope.items():
                        if other.sees(VisibilityClass(report.org_id, report.marking,
                                                      frozenset(report.shared_with))):
                            pending.setdefault(key, {}).setdefault(entity.id, entity.kind)
                batch_ids.add((report.org_id, report.id))
                good.append(report)
                results.append(
                    SubmitResult(report.id, len(report.entities), len(report.relations), True)
                )
            except (BadUserInput, Conflict) as exc:
                results.append(exc)

        def work(tx: ManagedTransaction) -> None:
            if good:
                self._write_reports(tx, good)
            if audit is not None:
                self._append_audit(tx, audit)

        if good or audit is not None:
            self._write(work)
        return results

    # -- reads ---------------------------------------------------------------------
    def mask(self, scope: Scope) -> VisibilityMask:
        return ALL_VISIBLE

    def reporters(self, data: Data) -> list[str]:
        reporters: list[str] = data.get("reporters") or []
        return reporters

    def node_data(self, scope: Scope, ids: list[str]) -> dict[str, Data]:
        if not ids:
            return {}
        return nodes_from_rows(self._read("read_entity_facts", ids=list(ids), **self._who(scope)))

    def all_node_data(self, scope: Scope) -> dict[str, Data]:
        return nodes_from_rows(self._read("read_all_entity_facts", **self._who(scope)))

    def ids_in_order(self, scope: Scope) -> list[str]:
        return [r["id"] for r in self._read("list_entity_ids", **self._who(scope))]

    def view(
        self,
        scope: Scope,
        seeds: list[str] | None = None,
        hops: int | None = None,
        kinds: frozenset[RelationKind] | None = None,
        upstream: bool = False,
    ) -> nx.MultiDiGraph:
        """The caller's visible graph: all of it, or the subgraph induced by the nodes
        within ``hops`` of the seeds over ``kinds``: breadth first, a relations query and
        a facts query per hop, and one relations query for the relations among the last
        ring. (One query per hop joining facts to the relations found measured 10-400x
        slower on ArcadeDB than these two index lookups.)"""
        who = self._who(scope)
        if seeds is None:
            nodes = nodes_from_rows(self._read("read_all_entity_facts", **who))
            return graph_from_rows(nodes, self._read("read_all_relations", **who))
        kind_names = None if kinds is None else sorted(k.value for k in kinds)
        nodes = self.node_data(scope, list(dict.fromkeys(seeds)))
        fetched = set(seeds)  # ids whose visible facts are in nodes, or known to be none
        frontier = list(nodes)
        rows: dict[tuple[str, str, str, int], dict[str, Any]] = {}
        steps = hops if hops is not None else 8
        for step in range(steps + 1):
            if not frontier:
                break
            if upstream:
                found = self._read("read_upstream_around", ids=frontier, **who)
            else:
                found = self._read("read_relations_around", ids=frontier, kinds=kind_names,
                                   **who)
            new: dict[str, None] = {}
            for r in found:
                rows[(r["source"], r["target"], r["kind"], r["seq"])] = r
                for end in (r["source"], r["target"]):
                    if end not in fetched:
                        new[end] = None
            if step == steps:
                break  # the last round only adds relations among the nodes already reached
            fetched.update(new)
            reached = self.node_data(scope, list(new))
            nodes.update(reached)
            frontier = list(reached)
        return graph_from_rows(nodes, list(rows.values()))

    def relations_of(
        self,
        scope: Scope,
        entity_id: str,
        direction: str,
        kinds: frozenset[RelationKind] | None,
        first: int,
        after: str | None,
        count: bool,
    ) -> Page[RelationRecord]:
        """Only the entity's own relations and whether their other ends are visible:
        a hub neighbour's facts are not fetched."""
        kind_names = None if kinds is None else sorted(k.value for k in kinds)
        rows = self._read("read_relations_around", ids=[entity_id], kinds=kind_names,
                          **self._who(scope))
        ends = {entity_id} | {r[end] for r in rows for end in ("source", "target")}
        visible = self.visible_kinds(scope, sorted(ends))
        nodes: dict[str, Data] = {
            eid: {"kind": kind.value, "facts": []} for eid, kind in visible.items()
        }
        return self.relations_page(graph_from_rows(nodes, rows), entity_id, direction, kinds,
                                   first, after, count)

    def view_version(self) -> int:
        return int(self._read("read_counter", key="seq")[0]["value"])

    def envelopes(self, keys: list[int]) -> dict[int, Assertion]:
        out: dict[int, Assertion] = {}
        for r in self._read("read_envelopes", seqs=list(dict.fromkeys(keys))):
            out[r["seq"]] = Assertion(
                report_id=r["report_id"], reported_by=r["org"],
                reported_at=datetime.fromisoformat(r["received_at"]),
                source=SourceKind(r["source"]), confidence=r["confidence"],
                marking=Marking(r["marking"]), shared_with=tuple(sorted(r["shared"] or [])),
                evidence=tuple(
                    Evidence(e["id"], e["kind"], e.get("description"), e.get("sha256"),
                             e.get("uri"))
                    for e in orjson.loads(r["evidence"])
                ),
            )
        return out
