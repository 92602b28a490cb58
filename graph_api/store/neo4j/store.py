"""The scale-out store: Neo4j through the official driver, every query in ``cypher/``.

The API is stateless over it: orgs, principals, reports, facts, workflow
records and the audit ledger live in the database, so any number of workers
and replicas serve one database. Reads (``reads``, ``views``) filter by visibility
inside Cypher (``cypher/_visible.cypher``) and come back as node data shaped
like the embedded graph's, so the shared reads and the analytics run unchanged.

A round trip costs more than most queries here, so: reads are auto-commit
queries on a session each thread keeps (one round trip each, retried on
transient errors); an audit record is one statement chained to the ledger head
this process saw last (re-read under lock when another process moved it), and a
query's record rides with its first read or beside it (``audit``); a
batch of reports writes entity facts as per-class summaries (``summaries``)
that reads merge from a handful of rows.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from neo4j import (
    READ_ACCESS,
    WRITE_ACCESS,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    Query,
    Session,
)
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError, TransientError

from graph_api import deadline
from graph_api.access import Scope
from graph_api.audit import AuditEntry
from graph_api.config import Settings
from graph_api.errors import LimitExceeded
from graph_api.model import Org, OrgType, Principal, Report
from graph_api.store.base import CheckedBatch, PrincipalRecord, SubmitResult
from graph_api.store.neo4j.audit import Neo4jAudit, now_text
from graph_api.store.neo4j.cypher import query, schema_statements
from graph_api.store.neo4j.events import Neo4jReportLog, write_report_log
from graph_api.store.neo4j.faults import outage, timed_out
from graph_api.store.neo4j.migrate import migrate, migrate_as_of, migrate_audit
from graph_api.store.neo4j.rows import (
    batch_rows,
    chunks,
    class_keys,
    quiet,
    relation_chunks,
    rows_of,
    summary_rows,
)
from graph_api.store.neo4j.summaries import ClassState, class_versions, header_and_state
from graph_api.store.neo4j.views import Neo4jViews
from graph_api.store.submit_checks import KnownReport, answer_of, check_reports

__all__ = ["Neo4jStore"]

T = TypeVar("T")
RETRIES = 5
MIN_TIMEOUT = 0.001  # seconds: a server timeout of 0 means none, so never ask for 0


def _close_quietly(session: Session) -> None:
    try:
        session.close()
    except Exception:  # noqa: BLE001 - a broken session is being thrown away
        pass


class Neo4jStore(Neo4jAudit, Neo4jViews, Neo4jReportLog):
    # A bulk import parses the next batch while this store writes one (graph_api.bulk):
    # a write here is mostly waiting on the server, with the GIL released.

    def __init__(self, settings: Settings, create: bool = True) -> None:
        """``create=False``: the database must hold a graph_api graph already (ValueError
        otherwise; nothing is written to it then)."""
        super().__init__()  # the reads' caches (`Neo4jReads`, under `Neo4jViews`)
        self.database = settings.neo4j_database
        # While the database is down a request answers UNAVAILABLE within seconds
        # instead of retrying for the driver's default 30 s; the pool reconnects after.
        self.driver: Driver = GraphDatabase.driver(
            settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password),
            connection_timeout=5.0, max_transaction_retry_time=5.0,
            connection_acquisition_timeout=10.0,
        )
        # every session of this store chains its bookmarks: a read after a write of
        # this process sees it, also on a cluster's followers
        self.bookmarks = GraphDatabase.bookmark_manager()
        self._local = threading.local()
        self._sessions: list[Session] = []  # every thread's, closed with the store
        self._sessions_lock = threading.Lock()
        self._orgs: dict[str, Org] = {}
        self._audit_head = None
        self._org_heads = {}
        # one thread appends the records begun ahead that no read carries (begin_audit):
        # in order, on its own session; by operation (its time budget), its record
        self._audit_thread = None
        self._ahead = {}
        # one server answers reads and appends alike: a query's first read carries its
        # record (a routing driver sends reads to followers and appends to the leader)
        self.CARRIES_AUDIT = urlsplit(settings.neo4j_uri).scheme.startswith("bolt")
        if not create and not self._initialised():
            self.close()
            raise ValueError(f"no graph_api database {self.database!r} at "
                             f"{settings.neo4j_uri}: check the store settings; only serve, "
                             "org add, org load and import make one")
        self._write(lambda tx: [tx.run(s).consume() for s in schema_statements()])
        migrate(self)  # a database written before entity summaries gets them, once
        migrate_audit(self)  # a ledger written before org-local numbers gets them, once
        migrate_as_of(self)  # a database written before views as of a time: their times

    def _initialised(self) -> bool:
        """Whether a store has written to this database before (it marks the layout at
        once, and every counter and the ledger head are marks too)."""
        return bool(self._run(READ_ACCESS, query("find_meta")))

    def close(self) -> None:
        with self._sessions_lock:
            thread, self._audit_thread = self._audit_thread, None
        if thread is not None:
            thread.shutdown(wait=True)  # a record begun is written (or fails) before we go
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            _close_quietly(session)
        self.driver.close()

    # -- plumbing ---------------------------------------------------------------
    def _session(self, mode: str) -> Session:
        """This thread's session for ``mode`` (made once: sessions are cheap to keep and
        not free to open)."""
        session: Session | None = getattr(self._local, mode, None)
        if session is None:
            session = self.driver.session(database=self.database, default_access_mode=mode,
                                          bookmark_manager=self.bookmarks)
            setattr(self._local, mode, session)
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _drop_session(self, mode: str) -> None:
        """Forget this thread's session after an error (the next call opens another)."""
        session: Session | None = getattr(self._local, mode, None)
        setattr(self._local, mode, None)
        if session is not None:
            with self._sessions_lock:
                if session in self._sessions:
                    self._sessions.remove(session)
            _close_quietly(session)

    def _write(self, work: Callable[[ManagedTransaction], T], facts: bool = True) -> T:
        """One write transaction, retried on transient errors and MERGE races; unless it
        writes no ``facts`` (an audit record), what reads kept is forgotten."""
        if facts:
            self._forget()
        self._written(committed=False)  # nothing appended by this transaction yet
        for attempt in range(RETRIES):
            try:
                done: T = self._session(WRITE_ACCESS).execute_write(work)
                self._written(committed=True)
                return done
            except ConstraintError:
                self._drop_session(WRITE_ACCESS)
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
            except (Neo4jError, DriverError) as exc:
                self._drop_session(WRITE_ACCESS)
                if (fault := outage(exc)) is None:
                    raise
                raise fault from None
            except BaseException:
                self._drop_session(WRITE_ACCESS)
                raise
        raise AssertionError("unreachable")

    def _run(self, mode: str, text: str, *, timeout: float | None = None, **params: Any
             ) -> list[dict[str, Any]]:
        """One auto-commit query (one round trip), retried like a managed transaction:
        on transient errors, and once on a connection that died with a restart.
        ``timeout``: seconds the server may run it (Neo4j ends it past them; ArcadeDB
        ignores the driver's timeout and applies its ``arcadedb.command.timeout``);
        either server's timeout answers LIMIT_EXCEEDED."""
        work = text if timeout is None else Query(text, timeout=timeout)
        for attempt in range(RETRIES):
            try:
                return rows_of(self._session(mode).run(work, quiet(params)))
            except (Neo4jError, DriverError) as exc:
                self._drop_session(mode)
                if timed_out(exc):
                    raise self._time_limit() from None
                fault = outage(exc)
                if fault is None:
                    raise
                if attempt == RETRIES - 1 or not (isinstance(exc, TransientError) or attempt == 0):
                    raise fault from None
                time.sleep(0.02 * 2**attempt)
            except BaseException:
                self._drop_session(mode)
                raise
        raise AssertionError("unreachable")

    @staticmethod
    def _time_limit() -> LimitExceeded:
        """The error of a query the server ended at its time limit: the request's, or
        the server's own (ArcadeDB's is one setting for every query)."""
        budget = deadline.current()
        if budget is not None and budget.remaining() <= 0.05:
            return deadline.exceeded()
        return LimitExceeded("the query ran past the graph database's time limit; narrow it "
                             "(fewer hops, a lower limit, a higher minConfidence)")

    def _read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """A read query; inside a request's time budget the server gets what is left of
        it (a variable-length trace over a dense cluster can run long)."""
        deadline.check()  # every round trip is a chance to stop a runaway request
        budget = deadline.current()
        timeout = None if budget is None else max(budget.remaining(), MIN_TIMEOUT)
        if budget is not None and self._ahead:
            carried = self._read_carrying(name, timeout, params)
            if carried is not None:
                return carried
        return self._run(READ_ACCESS, query(name), timeout=timeout, **params)

    def reset(self) -> None:
        """Empty the database (tests only)."""
        self._write(lambda tx: tx.run(query("delete_everything")).consume())
        self._orgs.clear()
        self._audit_head = None
        self._envelopes.clear()
        self._kept.clear()
        self._merged.clear()

    # -- orgs and principals ----------------------------------------------------
    def add_org(self, org: Org, audit: AuditEntry | None = None) -> Org:
        def work(tx: ManagedTransaction) -> None:
            clashes = tx.run(query("count_org_clashes"), id=org.id, name=org.name).single()
            if clashes is not None and clashes["clashes"]:
                raise ValueError(f"an org with id {org.id!r} or name {org.name!r} exists")
            tx.run(query("create_org"), id=org.id, name=org.name, type=org.type.value,
                   trusted=org.trusted, created_at=now_text()).consume()
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
                   role=principal.role, token_hash=token_hash, created_at=now_text()).consume()
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

    def principal_records(self, org_id: str | None = None) -> list[PrincipalRecord]:
        acted = {r["principal_id"]: r["at"] for r in self._read("read_last_acted")}
        return [PrincipalRecord(r["id"], r["org"], r["role"], r["created_at"], r["revoked_at"],
                                acted.get(r["id"]))
                for r in self._read("list_principals", org=org_id)]

    def revoke_principal(self, principal_id: str, audit: AuditEntry | None = None) -> bool:
        def work(tx: ManagedTransaction) -> bool:
            row = tx.run(query("revoke_principal"), id=principal_id, revoked_at=now_text()).single()
            revoked = bool(row and row["revoked"])
            if revoked and audit is not None:
                self._append_audit(tx, audit)
            return revoked

        return self._write(work)

    # -- writes ------------------------------------------------------------------
    def _write_reports(self, tx: ManagedTransaction, reports: list[Report]) -> None:
        """A batch of reports in a few UNWIND statements (chunked): report heads, the
        summaries of the entity classes stated (read, folded in Python, written back),
        the facts of hub classes, and the relation facts with their ends (each entity
        id looked up once per chunk; entities without relations on their own). Writers
        queue on the report counter first, so no summary is folded from a stale read."""
        row = tx.run(query("next_counter"), key="seq", by=len(reports),
                     epoch=uuid.uuid4().hex).single()
        assert row is not None
        rows = batch_rows(reports, int(row["value"]) - len(reports) + 1)
        existing: dict[str, tuple[dict[str, Any], ClassState]] = {}
        for keys in chunks(class_keys(rows.entities)):
            for found in tx.run(query("load_entity_summaries"), keys=keys):
                existing[found["skey"]] = header_and_state(found["data"])
        sums = summary_rows(rows.entities, existing)
        for part in chunks(rows.heads):
            tx.run(query("create_reports"), rows=part).consume()
        for part in chunks(class_versions(rows.heads)):  # each view's version
            tx.run(query("update_class_versions"), rows=part).consume()
        ends = {end for r in rows.relations for end in (r["source"], r["target"])}
        for ids in chunks([i for i in rows.ids if i not in ends]):  # the rest come with
            tx.run(query("merge_entities"), ids=ids).consume()       # their relations
        for part in chunks(sums.creates):
            tx.run(query("create_entity_summaries"), rows=part).consume()
        for part in chunks(sums.updates):
            tx.run(query("update_entity_summaries"), rows=part).consume()
        for part in chunks(sums.facts):
            tx.run(query("create_entity_facts"), rows=part).consume()
        for ids, part in relation_chunks(rows.relations):
            tx.run(query("create_relation_facts"), ends=ids, rows=part).consume()
        write_report_log(tx, rows)  # the feeds' change log (store.events)

    def submit(self, scope: Scope, report: Report, audit: AuditEntry | None = None) -> SubmitResult:
        answer = answer_of(self.check_many([(scope, report)]))
        if not answer.created:
            if audit is not None:
                self.append_audit(audit)
            return answer

        def work(tx: ManagedTransaction) -> None:
            self._write_reports(tx, [report])
            if audit is not None:
                self._append_audit(tx, audit)

        self._write(work)
        return answer

    def submit_many(
        self, reports: list[tuple[Scope, Report]], audit: AuditEntry | None = None
    ) -> list[SubmitResult | Exception]:
        """Each report checked alone; the good ones written in one transaction."""
        checked = self.check_many(reports)
        self.write_checked(checked, audit)
        return checked.results

    def check_many(
        self, reports: list[tuple[Scope, Report]], ahead: Sequence[CheckedBatch] = ()
    ) -> CheckedBatch:
        """Check each report alone against what its reporter sees, as ``submit_many``
        does, writing nothing (`WriteAhead`; the sequence is ``store.submit_checks``):
        the database, then the good reports of ``ahead`` (batches checked before,
        perhaps not committed yet) and of this batch before it count as written. One
        query for the known report ids, one per reporting org for the kinds its
        reports mention."""
        return check_reports(reports, self._known_reports, self.visible_kinds,
                             [rep for batch in ahead for rep in batch.good])

    def _known_reports(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], KnownReport]:
        rows = self._read("find_reports", keys=[{"org": org, "report_id": rid}
                                                for org, rid in keys])
        return {(r["org"], r["report_id"]): (r["digest"], r["entities"], r["relations"])
                for r in rows}

    def write_checked(self, checked: CheckedBatch, audit: AuditEntry | None = None) -> None:
        """Write the good reports of a checked batch in one transaction, with ``audit``;
        then mark it ``written``."""
        good = checked.good

        def work(tx: ManagedTransaction) -> None:
            if good:
                self._write_reports(tx, good)
            if audit is not None:
                self._append_audit(tx, audit)

        if good or audit is not None:
            self._write(work)
        checked.written = True
