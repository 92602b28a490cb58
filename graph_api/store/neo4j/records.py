"""Workflow records in Neo4j: the ``RecordStore`` of ``records.py`` over Bolt.

With the Neo4j store every replica and worker shares one database, so the
workflows' own state (notices, penalties, test buys, cases, alerts) lives
there too, next to the graph it describes:

- a record is ``(:Record {key, kind, id, version, sort, terms, doc})``, ``key``
  being ``kind`` and ``id`` joined (unique), ``doc`` the JSON text;
- each index term is ``(:Term {tkey, sort, rid})-[:OF]->(record)`` (``tkey`` is
  ``kind`` and the term joined, indexed), rewritten with its record, so ``find``
  walks one term's entries in ``(sort, id)`` order;
- each version written is also ``(:RecordVersion {hkey, kind, id, version, at, sort,
  terms, doc})``, never changed: the history ``as_of`` reads
  (``graph_api.store.record_history``).

A write locks its records first (``MERGE`` + ``SET``: Neo4j takes the write lock,
ArcadeDB fails the later of two concurrent commits), reads their versions under
the lock, and only then writes: a version that differs from the one expected
raises ``Conflict`` and the transaction rolls back, as ``SqliteRecordStore`` does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from neo4j import Driver, ManagedTransaction, Session, Transaction
from neo4j.api import BookmarkManager
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError, TransientError

from graph_api.access import instant
from graph_api.errors import Conflict
from graph_api.store.neo4j.cypher import query
from graph_api.store.neo4j.faults import outage
from graph_api.store.neo4j.rows import rows_of
from graph_api.store.record_history import KeptKinds, RecordsAsOf
from graph_api.store.records import PutItem, Record, RecordStore

__all__ = ["Neo4jRecordStore"]

T = TypeVar("T")
SEP = "\x1f"  # joins kind and id (or term) into one indexed key; never in either
RETRIES = 5
NO_LIMIT = 10**9  # ArcadeDB rejects a LIMIT of 2**31 - 1 and answers nothing above


def _fault(exc: Neo4jError | DriverError) -> Exception:
    """UNAVAILABLE for an outage, the error itself for anything else (a bug)."""
    return outage(exc) or exc


def _key(kind: str, id_: str) -> str:
    return f"{kind}{SEP}{id_}"


def _record(row: Mapping[str, Any]) -> Record:
    return Record(row["kind"], row["id"], int(row["version"]), row["sort"],
                  tuple(row["terms"] or ()), orjson.loads(row["doc"]))


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Neo4jRecordStore:
    """``RecordStore`` over the Neo4j store's driver (which it does not close)."""

    def __init__(self, driver: Driver, database: str,
                 bookmarks: BookmarkManager | None = None,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self.driver = driver
        self.database = database
        self.bookmarks = bookmarks  # shared with the graph store: reads see its writes
        self._lock = threading.RLock()
        self._local = threading.local()  # the open transaction of this thread, if any
        self.clock = clock  # the time each version is written at (the history's)
        self.kept_kinds = KeptKinds()
        self._backfill()

    def _backfill(self) -> None:
        """Enter records written before the history existed, once, as of now."""
        if self.history_mark():
            return
        at = instant(self.clock())
        self._call(lambda tx: tx.run(query("backfill_record_history"), at=at).consume())

    def close(self) -> None:
        """Nothing to release: the driver belongs to the graph store."""

    # -- plumbing ---------------------------------------------------------------
    def _tx(self) -> Transaction | None:
        tx: Transaction | None = getattr(self._local, "tx", None)
        return tx

    def _call(self, work: Callable[[Any], T]) -> T:
        """``work(tx)`` in the open transaction of this thread, else in one of its own
        (retried on transient errors and MERGE races, which re-check every version)."""
        tx = self._tx()
        if tx is not None:
            return work(tx)
        for attempt in range(RETRIES):
            try:
                with self._open() as session:
                    return session.execute_write(lambda t: work(t))
            except (ConstraintError, TransientError):
                if attempt == RETRIES - 1:
                    raise Conflict("records changed meanwhile; read them again") from None
                time.sleep(0.02 * 2**attempt)
            except (Neo4jError, DriverError) as exc:
                raise _fault(exc) from None
        raise AssertionError("unreachable")

    def _open(self) -> Session:
        return self.driver.session(database=self.database, bookmark_manager=self.bookmarks)

    @staticmethod
    def _rows(tx: Any, text: str, **params: Any) -> list[dict[str, Any]]:
        return rows_of(tx.run(text, params))

    def _read(self, work: Callable[[Any], T]) -> T:
        """A read: inside this thread's transaction (it sees its writes), else alone."""
        tx = self._tx()
        if tx is not None:
            return work(tx)
        try:
            with self._open() as session:
                return session.execute_read(lambda t: work(t))
        except (Neo4jError, DriverError) as exc:
            raise _fault(exc) from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._tx() is not None:  # nested: join the outer transaction
                yield
                return
            session = self._open()
            try:
                tx = session.begin_transaction()
            except (Neo4jError, DriverError) as exc:
                session.close()
                raise _fault(exc) from None
            self._local.tx = tx
            try:
                yield
                tx.commit()
            except (ConstraintError, TransientError):
                raise Conflict("records changed meanwhile; read them again") from None
            except (Neo4jError, DriverError) as exc:
                raise _fault(exc) from None
            finally:
                self._local.tx = None
                if tx.closed() is False:
                    tx.close()  # rolls back whatever did not commit
                session.close()

    # -- reads --------------------------------------------------------------------
    def get(self, kind: str, id: str) -> Record | None:
        found = self.get_many(kind, [id])
        return found.get(id)

    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, Record]:
        keys = [_key(kind, i) for i in dict.fromkeys(ids)]
        if not keys:
            return {}
        rows = self._read(lambda tx: self._rows(tx, query("read_records"), keys=keys))
        return {row["id"]: _record(row) for row in rows}

    def find(
        self,
        kind: str,
        *,
        term: str | None = None,
        sort_max: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[Record]:
        a_sort, a_id = after if after is not None else (None, None)
        top = NO_LIMIT if limit is None else limit
        tkey = None if term is None else _key(kind, term)

        def work(tx: Any) -> list[dict[str, Any]]:
            # ORDER BY's direction is not a parameter: a query file each way
            if tkey is None and not descending:
                return self._rows(tx, query("list_records"), kind=kind, sort_max=sort_max,
                                  after_sort=a_sort, after_id=a_id, limit=top)
            if tkey is None:
                return self._rows(tx, query("list_records_desc"), kind=kind, sort_max=sort_max,
                                  after_sort=a_sort, after_id=a_id, limit=top)
            if not descending:
                return self._rows(tx, query("find_records_by_term"), tkey=tkey,
                                  sort_max=sort_max, after_sort=a_sort, after_id=a_id, limit=top)
            return self._rows(tx, query("find_records_by_term_desc"), tkey=tkey,
                              sort_max=sort_max, after_sort=a_sort, after_id=a_id, limit=top)

        rows = self._read(work)
        return [_record(row) for row in rows]

    def count(self, kind: str, term: str | None = None) -> int:
        if term is None:
            rows = self._read(lambda tx: self._rows(tx, query("count_records"), kind=kind))
        else:
            tkey = _key(kind, term)
            rows = self._read(lambda tx: self._rows(tx, query("count_records_by_term"), tkey=tkey))
        return int(rows[0]["count"]) if rows else 0

    # -- writes -------------------------------------------------------------------
    def put(
        self,
        kind: str,
        id: str,
        doc: Mapping[str, Any],
        *,
        sort: str = "",
        terms: Iterable[str] = (),
        expect: int | None = None,
    ) -> Record:
        new_terms = tuple(dict.fromkeys(terms))
        versions = self._call(lambda tx: self._write(tx, [(kind, id, doc, sort, new_terms,
                                                           expect)]))
        encoded = orjson.loads(orjson.dumps(dict(doc)))
        return Record(kind, id, versions[_key(kind, id)], sort, new_terms, encoded)

    def put_many(self, items: Iterable[PutItem]) -> None:
        todo = list(items)
        if todo:
            self._call(lambda tx: self._write(tx, todo))

    def _write(self, tx: ManagedTransaction | Transaction, items: list[PutItem]
               ) -> dict[str, int]:
        """Lock every record, check the versions expected, write: the new versions."""
        keys = {_key(kind, id_): {"key": _key(kind, id_), "kind": kind, "id": id_}
                for kind, id_, *_ in items}
        locked = self._rows(tx, query("lock_records"), rows=list(keys.values()))
        versions = {r["key"]: int(r["version"]) for r in locked}
        rows: dict[str, dict[str, Any]] = {}  # one id twice in a batch: the later wins
        for kind, id_, doc, sort, terms, expect in items:
            key = _key(kind, id_)
            version = versions[key]
            if expect is not None and expect != version:
                if expect == 0:
                    raise Conflict("a record expected to be new exists; read it again")
                raise Conflict(f"{kind} {id_!r} changed meanwhile; read it again")
            versions[key] = version + 1
            new_terms = list(dict.fromkeys(terms))
            rows[key] = {"key": key, "version": version + 1, "sort": sort, "terms": new_terms,
                         "tkeys": [_key(kind, t) for t in new_terms], "id": id_,
                         "doc": orjson.dumps(dict(doc)).decode()}
        tx.run(query("delete_record_terms"), keys=list(rows)).consume()
        tx.run(query("write_records"), rows=list(rows.values())).consume()
        at = instant(self.clock())
        tx.run(query("write_record_history"), rows=[
            {"hkey": _key(kind, id_), "kind": kind, "id": id_, "version": version, "at": at,
             "sort": sort, "terms": list(dict.fromkeys(terms)),
             "doc": orjson.dumps(dict(doc)).decode()}
            for (kind, id_, doc, sort, terms, _), version in zip(
                items, _numbered(items, versions), strict=True)]).consume()
        return versions

    # -- the history: records as of a time -------------------------------------------
    def as_of(self, at: int) -> RecordStore:
        return RecordsAsOf(self, at)

    def versions_at(self, kind: str, ids: list[str], at: int) -> dict[str, Record]:
        keys = [_key(kind, i) for i in ids]
        rows = self._read(lambda tx: self._rows(tx, query("read_record_versions"), keys=keys,
                                                at=at))
        return {row["id"]: _record(row) for row in rows}

    def versions(self, kind: str, id: str) -> list[Record]:
        return self.versions_upto(kind, id, None)

    def versions_upto(self, kind: str, id: str, at: int | None) -> list[Record]:
        key = _key(kind, id)
        rows = self._read(lambda tx: self._rows(tx, query("read_record_history"), key=key,
                                                at=at))
        return [_record(row) for row in rows]

    def kind_at(self, kind: str, at: int) -> list[Record]:
        rows = self._read(lambda tx: self._rows(tx, query("read_kind_history"), kind=kind,
                                                at=at))
        return [_record(row) for row in rows]

    def history_mark(self) -> Any:
        rows = self._read(lambda tx: self._rows(tx, query("count_record_versions")))
        return int(rows[0]["count"]) if rows else 0


def _numbered(items: list[PutItem], versions: dict[str, int]) -> list[int]:
    """The version each item of a batch writes (one id twice: each its own, in order)."""
    last = dict(versions)
    out = []
    for kind, id_, *_ in reversed(items):
        key = _key(kind, id_)
        out.append(last[key])
        last[key] -= 1
    return out[::-1]
