"""The Neo4j store's audit ledger: records chained to the head this process saw last.

An append is one statement when the head is the one this process saw last (the
usual case for a worker that serves requests), else a transaction that reads it
under lock. A query's record is known in full before the query runs
(``begin_audit``), so it need not cost a round trip of its own:

- on a single server (``bolt://``) the query's first read that can carries it
  (``cypher.carrying_audit``: one more ``UNION ALL`` branch, one round trip and one
  commit for both);
- otherwise (a routing driver sends reads to followers, appends to the leader; or a
  read that cannot carry it) it is appended on the store's audit thread while the
  query's reads run;
- and if the operation reads nothing, when it ends.

Either way the answer waits for the record, and a record that cannot be appended
withholds the answer (``graph_api.api.auditing``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, NamedTuple

from neo4j import WRITE_ACCESS, ManagedTransaction
from neo4j.exceptions import ConstraintError

from graph_api import deadline
from graph_api.audit import GENESIS, AuditEntry, AuditHead, AuditRecord, chain_hash
from graph_api.errors import Unavailable
from graph_api.store.neo4j.cypher import AUDIT_COLUMN, carrying_audit, query

__all__ = ["Appended", "Neo4jAudit", "PendingAudit", "now_text"]

Row = dict[str, Any]
# reads that may carry a query's record: the first read of `entity` and `traceToSource`
# (each measured as fast with the branch as without it on ArcadeDB; wrapping a read in
# CALL {} instead made ArcadeDB's planner scan: 2 ms became 210 ms)
CARRIERS = frozenset({"read_entity_and_relations", "read_upstream_paths"})


def now_text() -> str:
    """The time now as the store keeps times: UTC ISO text (ArcadeDB drops time zones)."""
    return datetime.now(UTC).isoformat()


class Appended(NamedTuple):
    """A record as appended: its place in the ledger's chain and in its audience's."""

    seq: int
    hash: str
    audience: str
    org_seq: int
    org_hash: str


def _after(seq: int, hash_: str, org_seq: int, org_hash: str, entry: AuditEntry) -> Appended:
    """``entry`` as the record after those heads (the ledger's, its audience's)."""
    return Appended(seq + 1, chain_hash(hash_, seq + 1, entry), entry.audience, org_seq + 1,
                    chain_hash(org_hash, org_seq + 1, entry))


class PendingAudit:
    """A query's record begun ahead: not appended yet (a read may carry it), being
    carried by a read (claimed), carried (``seq``), or on the audit thread (``future``)."""

    def __init__(self, entry: AuditEntry) -> None:
        self.entry = entry
        self.seq: int | None = None
        self.future: Future[int] | None = None
        self._claimed = False
        self._changed = threading.Condition()

    def claim(self) -> bool:
        """Whether the caller takes the record (nobody has it yet); it then settles it."""
        with self._changed:
            if self._claimed or self.seq is not None or self.future is not None:
                return False
            self._claimed = True
            return True

    def settle(self, seq: int | None = None, future: Future[int] | None = None) -> None:
        """The claimant is done: appended as ``seq``, handed on as ``future``, or
        neither (not appended: the next claim takes it)."""
        with self._changed:
            self.seq, self.future, self._claimed = seq, future, False
            self._changed.notify_all()

    def wait_settled(self) -> None:
        """Wait while a claimant (a read in another thread) has the record."""
        with self._changed:
            self._changed.wait_for(lambda: not self._claimed)


class Neo4jAudit:
    """The audit half of ``Neo4jStore``, which provides ``_run``, ``_write`` and
    ``_read`` and sets up the attributes below."""

    # A query's audit record is appended while the query runs (begin_audit, offered as
    # Backend.audit_ahead): both wait on the server, so the record's round trip and
    # commit hide behind the reads' ... and carried by the query's first read where one
    # server answers both (Neo4jStore: a bolt:// URI); a benchmark turns it off to compare.
    CARRIES_AUDIT = False

    _audit_head: tuple[int, str] | None  # (seq, hash) this process saw last
    _org_heads: dict[str, tuple[int, str]]  # per audience: (org_seq, org_hash) seen last
    _audit_thread: ThreadPoolExecutor | None
    _ahead: dict[deadline.Budget, PendingAudit]
    _sessions_lock: threading.Lock
    _local: threading.local  # per thread: ``appended``, the head a write transaction set

    def _run(self, mode: str, text: str, *, timeout: float | None = None, **params: Any
             ) -> list[Row]:
        raise NotImplementedError

    def _write(self, work: Callable[[ManagedTransaction], Any], facts: bool = True) -> Any:
        raise NotImplementedError

    def _read(self, name: str, **params: Any) -> list[Row]:
        raise NotImplementedError

    def _append_audit(self, tx: ManagedTransaction, entry: AuditEntry) -> Appended:
        """Append under the ledger head's lock, inside a write transaction: the new heads,
        which become the ones this process saw last once the transaction commits
        (``_written``: a mutation's record does not send the next query's down the
        locked path)."""
        head = tx.run(query("lock_audit_head"), genesis=GENESIS, at=now_text(),
                      audience=entry.audience).single()
        assert head is not None
        record = _after(int(head["seq"]), str(head["hash"]), int(head["org_seq"]),
                        str(head["org_hash"]), entry)
        tx.run(query("create_audit"), seq=record.seq, at=entry.at.isoformat(),
               principal_id=entry.principal_id, org_id=entry.org_id, operation=entry.operation,
               digest=entry.digest, prev_hash=str(head["hash"]), hash=record.hash,
               audience=entry.audience, org_seq=record.org_seq,
               org_hash=record.org_hash).consume()
        self._local.appended = record  # a retried transaction sets it again
        return record

    def _written(self, committed: bool) -> None:
        """A write transaction of this thread ended: if it appended a record and
        ``committed``, that record is the head this process saw last."""
        record: Appended | None = getattr(self._local, "appended", None)
        self._local.appended = None
        if record is not None and committed:
            self._moved_to(record)

    def append_audit(self, entry: AuditEntry) -> None:
        self._append(entry)

    def append_audit_seq(self, entry: AuditEntry) -> int:
        return self._append(entry)

    def _next_record(self, entry: AuditEntry) -> tuple[int, str, int, Appended] | None:
        """``entry`` as the record after the heads this process saw last: the ledger
        head's seq and hash, the audience's head seq, and the record; None before it
        has seen both heads."""
        head, org_head = self._audit_head, self._org_heads.get(entry.audience)
        if head is None or org_head is None:
            return None
        return head[0], head[1], org_head[0], _after(*head, *org_head, entry)

    def _moved_to(self, record: Appended) -> None:
        """This process appended ``record``: the heads it saw last. (Two of its threads
        may set them out of order: a stale head costs the next append the locked
        re-read, which sets it right, also after another process emptied the ledger.)"""
        self._audit_head = (record.seq, record.hash)
        self._org_heads[record.audience] = (record.org_seq, record.org_hash)

    def _append(self, entry: AuditEntry) -> int:
        """One statement when the heads are the ones this process saw last; else a
        transaction that reads them under lock. The record's seq."""
        next_record = self._next_record(entry)
        if next_record is not None:
            prev_seq, prev_hash, prev_org_seq, record = next_record
            try:
                rows = self._run(WRITE_ACCESS, query("append_audit"), prev_seq=prev_seq,
                                 seq=record.seq, at=entry.at.isoformat(),
                                 principal_id=entry.principal_id, org_id=entry.org_id,
                                 operation=entry.operation, digest=entry.digest,
                                 prev_hash=prev_hash, hash=record.hash, audience=entry.audience,
                                 prev_org_seq=prev_org_seq, org_seq=record.org_seq,
                                 org_hash=record.org_hash)
            except (Unavailable, ConstraintError):
                rows = []  # the transaction below retries, or says unavailable
            if rows:
                self._moved_to(record)
                return record.seq
        appended: Appended = self._write(lambda tx: self._append_audit(tx, entry),
                                         facts=False)
        return appended.seq

    def _on_audit_thread(self, pending: PendingAudit) -> None:
        """Hand ``pending`` (claimed) to the audit thread (one thread: the records it
        appends keep the order they were handed in)."""
        with self._sessions_lock:
            if self._audit_thread is None:
                self._audit_thread = ThreadPoolExecutor(1, thread_name_prefix="audit")
            thread = self._audit_thread
        pending.settle(future=thread.submit(self._append, pending.entry))

    def begin_audit(self, entry: AuditEntry) -> Callable[[], None]:
        """Begin appending ``entry`` (see the module): the callable waits for it and
        raises what the append raised."""
        pending = PendingAudit(entry)
        operation = deadline.current()
        if operation is not None and self.CARRIES_AUDIT:
            self._ahead[operation] = pending  # the operation's first read may carry it
        else:
            pending.claim()
            self._on_audit_thread(pending)
            if operation is not None:
                self._ahead[operation] = pending

        def join() -> None:
            try:
                self._own_seq(pending)
            finally:
                if operation is not None:
                    self._ahead.pop(operation, None)

        return join

    def _own_seq(self, pending: PendingAudit) -> int:
        """Wait for ``pending`` to be appended (appending it here if nothing has): its seq."""
        while True:
            if pending.claim():  # no read carried it, none is carrying it
                try:
                    seq = self._append(pending.entry)
                except BaseException:
                    pending.settle()
                    raise
                pending.settle(seq=seq)
                return seq
            pending.wait_settled()
            if pending.seq is not None:
                return pending.seq
            if pending.future is not None:
                return pending.future.result()

    def _read_carrying(self, name: str, timeout: float | None, params: dict[str, Any]
                       ) -> list[Row] | None:
        """Run read ``name`` carrying the current operation's pending record, if it has
        one that no read took yet: the read's rows; None when the read is to run alone
        (a read that cannot carry it hands the record to the audit thread first, to be
        appended beside it)."""
        operation = deadline.current()
        pending = None if operation is None else self._ahead.get(operation)
        if pending is None or not pending.claim():
            return None
        record = self._next_record(pending.entry) if name in CARRIERS else None
        if record is None:
            self._on_audit_thread(pending)
            return None
        prev_seq, prev_hash, prev_org_seq, appended = record
        entry = pending.entry
        try:
            rows = self._run(WRITE_ACCESS, carrying_audit(name), timeout=timeout, **params,
                             prev_seq=prev_seq, seq=appended.seq, at=entry.at.isoformat(),
                             principal_id=entry.principal_id, org_id=entry.org_id,
                             operation=entry.operation, digest=entry.digest,
                             prev_hash=prev_hash, hash=appended.hash, audience=entry.audience,
                             prev_org_seq=prev_org_seq, org_seq=appended.org_seq,
                             org_hash=appended.org_hash)
        except BaseException:
            pending.settle()  # not appended: the operation's end appends it
            raise
        if any(r[AUDIT_COLUMN] is not None for r in rows):
            self._moved_to(appended)
            pending.settle(seq=appended.seq)
        else:  # another process moved the head: the locked append, beside the rest
            self._on_audit_thread(pending)
        return [r for r in rows if r[AUDIT_COLUMN] is None]

    def audit_records(self, after: int = 0, limit: int | None = None) -> list[AuditRecord]:
        """Oldest first. Within an operation that began its own record ahead, that
        record is left out (waited for first, so the answer does not depend on when it
        lands): the ledger as the embedded store shows it, which appends it after."""
        own, limit = self._own_record(), limit or 10**9
        rows = self._read("list_audit", after=after, limit=limit + (own is not None))
        return [_record(r) for r in rows if r["seq"] != own][:limit]

    def org_audit_records(
        self, org_id: str, after: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        """One org's records by its own numbering; the operation's own record is left
        out as by ``audit_records``."""
        own, limit = self._own_record(), limit or 10**9
        rows = self._read("list_org_audit", audience=org_id, after=after,
                          limit=limit + (own is not None))
        return [_record(r) for r in rows if r["seq"] != own][:limit]

    def audit_head(self, org_id: str = "") -> AuditHead:
        """The ledger's head and ``org_id``'s, as the heads' nodes hold them."""
        row = self._read("read_audit_head", audience=org_id, genesis=GENESIS)[0]
        return AuditHead(int(row["seq"]), str(row["hash"]), int(row["org_seq"]),
                         str(row["org_hash"]))

    def _own_record(self) -> int | None:
        """The seq of the record the current operation began ahead, once appended."""
        operation = deadline.current()
        began = None if operation is None else self._ahead.get(operation)
        return None if began is None else self._own_seq(began)


def _record(row: Row) -> AuditRecord:
    try:
        at = datetime.fromisoformat(row["at"])
    except (TypeError, ValueError):  # a tampered record: its hash fails
        at = datetime(1970, 1, 1, tzinfo=UTC)
    return AuditRecord(row["seq"], at, row["principal_id"], row["org_id"], row["operation"],
                       row["digest"], row["prev_hash"], row["hash"], row["audience"] or "",
                       row["org_seq"] or 0, row["org_hash"] or "")
