"""``RecordStore`` over its own tables of the embedded store's SQLite file.

``SqliteRecordStore`` keeps its own tables in the embedded store's file (own
connection, WAL): the graph store's tables are untouched. Never call a
graph-store write while holding one of its transactions: both take the same
file's write lock.

A record's current version is its ``wf_records`` row, with the time it was
written (``at``); ``wf_history`` keeps the versions it replaced, each with its
own time, so a record written once (most penalties, publications) is one row.
Rows written before ``at`` existed have none, and their current version is in
the history too (every version was, then).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from graph_api.access import instant
from graph_api.errors import Conflict
from graph_api.store.embedded.faults import write_transaction
from graph_api.store.record_history import KeptKinds, RecordsAsOf, pack, unpack
from graph_api.store.records import PutItem, Record, RecordStore

__all__ = ["SqliteRecordStore"]


SCHEMA = """
CREATE TABLE IF NOT EXISTS wf_records (
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, sort TEXT NOT NULL,
    terms TEXT NOT NULL, doc TEXT NOT NULL, at INTEGER, PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wf_records_sort ON wf_records (kind, sort, id);
CREATE TABLE IF NOT EXISTS wf_terms (
    kind TEXT NOT NULL, term TEXT NOT NULL, sort TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (kind, term, sort, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wf_history (
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, at INTEGER NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (kind, id, version));
CREATE INDEX IF NOT EXISTS wf_history_at ON wf_history (kind, id, at, version);
CREATE TABLE IF NOT EXISTS wf_meta (
    name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""
COUNT_WRITE = ("INSERT INTO wf_meta VALUES ('writes', 1) "
               "ON CONFLICT (name) DO UPDATE SET value = value + 1")

_COLUMNS = "r.kind, r.id, r.version, r.sort, r.terms, r.doc"


def _record(row: tuple[Any, ...]) -> Record:
    kind, id_, version, sort, terms, doc = row
    return Record(kind, id_, int(version), sort, tuple(orjson.loads(terms)), orjson.loads(doc))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _past(kind: str, id_: str, version: int, data: bytes) -> Record:
    sort, terms, doc = unpack(data)
    return Record(kind, id_, int(version), sort, terms, doc)


Current = tuple[int, str, str, str, int | None]  # a row's version, sort, terms, doc, at
HistoryRow = tuple[str, str, int, int, bytes]  # kind, id, version, at, packed
HISTORY_INSERT = ("INSERT OR REPLACE INTO wf_history (kind, id, version, at, data) "
                  "VALUES (?, ?, ?, ?, ?)")
_CURRENT = "SELECT id, version, sort, terms, doc, at FROM wf_records WHERE kind = ?"


def _replaced(kind: str, id_: str, current: Current) -> list[HistoryRow]:
    """The history row of a current version about to be replaced; none when the row
    has no time (written when every version went to the history, it is there)."""
    version, sort, terms, doc, at = current
    if at is None:
        return []
    return [(kind, id_, int(version), int(at), pack(sort, orjson.loads(terms), doc))]


def _current_at(kind: str, row: tuple[Any, ...], at: int) -> Record | None:
    """A current row as a record, when it was written at or before ``at``."""
    written = row[5]
    return None if written is None or written > at else _record((kind, *row[:5]))


class SqliteRecordStore:
    """``RecordStore`` over its own tables of a SQLite file (WAL, one connection).

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     rs = SqliteRecordStore(pathlib.Path(d) / "g.db")
    ...     _ = rs.put("notice", "n1", {"status": "OPEN"}, sort="a", terms=["status:OPEN"])
    ...     _ = rs.put("notice", "n2", {"status": "UPHELD"}, sort="b", terms=["status:UPHELD"])
    ...     open_ids = [r.id for r in rs.find("notice", term="status:OPEN")]
    ...     print(open_ids, rs.get("notice", "n2").version)
    ...     rs.close()
    ['n1'] 1
    """

    def __init__(self, path: Path, clock: Callable[[], datetime] = _utc_now) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: term index pages stay hot
        self.conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0
        self.clock = clock  # the time each version is written at (the history's)
        self.kept_kinds = KeptKinds()
        self._migrate()

    def _has_times(self) -> bool:
        return any(row[1] == "at" for row in self.conn.execute("PRAGMA table_info(wf_records)"))

    def _migrate(self) -> None:
        """A file written before records carried their time: the column added, and the
        records written before the history existed entered in it, as of now (once)."""
        if self._has_times():
            return
        at = instant(self.clock())
        with self.transaction():
            if self._has_times():  # another process did it meanwhile
                return
            self.conn.execute("ALTER TABLE wf_records ADD COLUMN at INTEGER")
            rows = self.conn.execute(
                f"SELECT {_COLUMNS} FROM wf_records r WHERE NOT EXISTS (SELECT 1 FROM "
                "wf_history h WHERE h.kind = r.kind AND h.id = r.id)").fetchall()
            self.conn.executemany(
                "INSERT INTO wf_history (kind, id, version, at, data) VALUES (?, ?, ?, ?, ?)",
                [(kind, id_, version, at, pack(sort, orjson.loads(terms), doc))
                 for kind, id_, version, sort, terms, doc in rows])

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with write_transaction(self.conn):
                    yield
            finally:
                self._depth = 0

    def get(self, kind: str, id: str) -> Record | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM wf_records r WHERE kind = ? AND id = ?", (kind, id)
        ).fetchone()
        return None if row is None else _record(row)

    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, Record]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, Record] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT {_COLUMNS} FROM wf_records r WHERE kind = ? AND id IN ({marks})",
                (kind, *chunk),
            )
            for row in rows:
                out[row[1]] = _record(row)
        return out

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
        with self.transaction():
            old = self.conn.execute(
                "SELECT version, sort, terms, doc, at FROM wf_records WHERE kind = ? AND id = ?",
                (kind, id),
            ).fetchone()
            version = 0 if old is None else int(old[0])
            if expect is not None and expect != version:
                raise Conflict(f"{kind} {id!r} changed meanwhile; read it again")
            if old is not None:
                self.conn.executemany(
                    "DELETE FROM wf_terms WHERE kind = ? AND term = ? AND sort = ? AND id = ?",
                    [(kind, t, old[1], id) for t in orjson.loads(old[2])],
                )
                self.conn.executemany(HISTORY_INSERT, _replaced(kind, id, old))
            encoded = orjson.dumps(dict(doc)).decode()
            self.conn.execute(
                "INSERT OR REPLACE INTO wf_records VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, id, version + 1, sort, orjson.dumps(list(new_terms)).decode(), encoded,
                 instant(self.clock())),
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO wf_terms VALUES (?, ?, ?, ?)",
                [(kind, t, sort, id) for t in new_terms],
            )
            self.conn.execute(COUNT_WRITE)
        return Record(kind, id, version + 1, sort, new_terms, orjson.loads(encoded))

    def put_many(self, items: Iterable[PutItem]) -> None:
        todo = list(items)
        with self.transaction():
            old: dict[tuple[str, str], Current] = {}
            by_kind: dict[str, list[str]] = {}
            for kind, id_, *_, expect in todo:
                if expect != 0:  # a record expected to be new is not read: INSERT checks it
                    by_kind.setdefault(kind, []).append(id_)
            for kind, ids in by_kind.items():
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = self.conn.execute(
                        f"SELECT id, version, sort, terms, doc, at FROM wf_records "
                        f"WHERE kind = ? AND id IN ({marks})",
                        (kind, *chunk),
                    )
                    for id_, *current in rows:
                        old[(kind, id_)] = tuple(current)
            deletes: list[tuple[str, str, str, str]] = []
            inserts: list[tuple[str, str, str, str]] = []
            records: list[tuple[str, str, int, str, str, str, int]] = []
            created: list[tuple[str, str, int, str, str, str, int]] = []
            history: list[HistoryRow] = []
            at = instant(self.clock())
            for kind, id_, doc, sort, terms, expect in todo:
                prev = old.get((kind, id_))
                version = 0 if prev is None else int(prev[0])
                if expect is not None and expect != version:
                    raise Conflict(f"{kind} {id_!r} changed meanwhile; read it again")
                new_terms = list(dict.fromkeys(terms))
                kept: set[str] = set()
                if prev is not None:
                    before = orjson.loads(prev[2])
                    if prev[1] == sort:  # only the terms that changed are rewritten
                        kept = set(before) & set(new_terms)
                    deletes += [(kind, t, prev[1], id_) for t in before if t not in kept]
                    history += _replaced(kind, id_, prev)
                row = (kind, id_, version + 1, sort, orjson.dumps(new_terms).decode(),
                       orjson.dumps(doc).decode(), at)
                old[(kind, id_)] = row[2:]
                (created if expect == 0 else records).append(row)
                inserts += [(kind, t, sort, id_) for t in new_terms if t not in kept]
            self.conn.executemany(
                "DELETE FROM wf_terms WHERE kind = ? AND term = ? AND sort = ? AND id = ?", deletes
            )
            self.conn.executemany(
                "INSERT OR REPLACE INTO wf_records VALUES (?, ?, ?, ?, ?, ?, ?)", records
            )
            try:
                self.conn.executemany("INSERT INTO wf_records VALUES (?, ?, ?, ?, ?, ?, ?)",
                                      created)
            except sqlite3.IntegrityError:
                raise Conflict("a record expected to be new exists; read it again") from None
            self.conn.executemany("INSERT OR IGNORE INTO wf_terms VALUES (?, ?, ?, ?)", inserts)
            # one id twice in a batch: the earlier version is kept (the later is the record's)
            self.conn.executemany(HISTORY_INSERT, history)
            self.conn.execute(COUNT_WRITE)

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
        src = "wf_records r" if term is None else (
            "wf_terms t JOIN wf_records r ON r.kind = t.kind AND r.id = t.id"
        )
        key = "r" if term is None else "t"
        where = [f"{key}.kind = ?"]
        params: list[Any] = [kind]
        if term is not None:
            where.append("t.term = ?")
            params.append(term)
        if sort_max is not None:
            where.append(f"{key}.sort <= ?")
            params.append(sort_max)
        if after is not None:
            where.append(f"({key}.sort, {key}.id) {'<' if descending else '>'} (?, ?)")
            params.extend(after)
        order = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {_COLUMNS} FROM {src} WHERE {' AND '.join(where)} "
            f"ORDER BY {key}.sort {order}, {key}.id {order} LIMIT ?"
        )
        params.append(-1 if limit is None else limit)
        return [_record(row) for row in self.conn.execute(sql, params)]

    def count(self, kind: str, term: str | None = None) -> int:
        if term is None:
            row = self.conn.execute("SELECT COUNT(*) FROM wf_records WHERE kind = ?", (kind,))
        else:
            row = self.conn.execute(
                "SELECT COUNT(*) FROM wf_terms WHERE kind = ? AND term = ?", (kind, term)
            )
        return int(row.fetchone()[0])

    # -- the history: records as of a time ------------------------------------------
    def as_of(self, at: int) -> RecordStore:
        return RecordsAsOf(self, at)

    def versions_at(self, kind: str, ids: list[str], at: int) -> dict[str, Record]:
        out: dict[str, Record] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            older = []  # current rows newer than ``at``: their version then is a replaced one
            for row in self.conn.execute(f"{_CURRENT} AND id IN ({marks})", (kind, *chunk)):
                found = _current_at(kind, row, at)
                if found is None:
                    older.append(row[0])
                else:
                    out[row[0]] = found
            if not older:
                continue
            marks = ",".join("?" * len(older))
            rows = self.conn.execute(
                "SELECT h.id, h.version, h.data FROM wf_history h JOIN ("
                "SELECT id, MAX(version) AS version FROM wf_history "
                f"WHERE kind = ? AND id IN ({marks}) AND at <= ? GROUP BY id) m "
                "ON h.kind = ? AND h.id = m.id AND h.version = m.version",
                (kind, *older, at, kind))
            for id_, version, data in rows:
                out[id_] = _past(kind, id_, version, data)
        return out

    def versions(self, kind: str, id: str) -> list[Record]:
        return self.versions_upto(kind, id, None)

    def versions_upto(self, kind: str, id: str, at: int | None) -> list[Record]:
        rows = self.conn.execute(
            "SELECT version, data FROM wf_history WHERE kind = ? AND id = ? "
            "AND (? IS NULL OR at <= ?) ORDER BY version", (kind, id, at, at))
        out = [_past(kind, id, version, data) for version, data in rows]
        row = self.conn.execute(f"{_CURRENT} AND id = ?", (kind, id)).fetchone()
        current = None if row is None else _current_at(kind, row, 2**63 - 1 if at is None else at)
        if current is not None and (not out or out[-1].version < current.version):
            out.append(current)
        return out

    def kind_at(self, kind: str, at: int) -> list[Record]:
        out: dict[str, Record] = {}
        for row in self.conn.execute(_CURRENT, (kind,)):
            found = _current_at(kind, row, at)
            if found is not None:
                out[row[0]] = found
        rows = self.conn.execute(
            "SELECT h.id, h.version, h.data FROM wf_history h JOIN ("
            "SELECT id, MAX(version) AS version FROM wf_history WHERE kind = ? AND at <= ? "
            "GROUP BY id) m ON h.kind = ? AND h.id = m.id AND h.version = m.version",
            (kind, at, kind))
        for id_, version, data in rows:
            if id_ not in out:
                out[id_] = _past(kind, id_, version, data)
        return list(out.values())

    def history_mark(self) -> Any:
        """How many writes the records have had (every put and put_many counts one)."""
        row = self.conn.execute("SELECT value FROM wf_meta WHERE name = 'writes'").fetchone()
        return None if row is None else row[0]
