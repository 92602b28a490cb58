"""The embedded system of record: one SQLite file in WAL mode.

Reports are append-only and numbered by ``seq``; the in-memory graph is the
fold of all reports up to some ``seq``, so a server follows writes made by
other processes by reading reports past the last ``seq`` it applied. The audit
ledger's table is read and appended by `graph_api.store.embedded.audit_ledger`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from graph_api.access import VisibilityClass
from graph_api.model import (
    Assertion,
    Evidence,
    Marking,
    Org,
    OrgType,
    Principal,
    Report,
    SourceKind,
)
from graph_api.store.embedded.audit_ledger import AuditLedger
from graph_api.store.embedded.faults import write_transaction

__all__ = ["Database", "EntityRow", "RelationRow", "require_database"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    trusted INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS principals (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS vclasses (
    id INTEGER PRIMARY KEY, reporter TEXT NOT NULL, marking TEXT NOT NULL,
    shared_with TEXT NOT NULL, UNIQUE (reporter, marking, shared_with));
CREATE TABLE IF NOT EXISTS reports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, report_id TEXT NOT NULL,
    principal_id TEXT NOT NULL, received_at TEXT NOT NULL, source TEXT NOT NULL,
    confidence REAL NOT NULL, vclass INTEGER NOT NULL REFERENCES vclasses(id),
    digest TEXT NOT NULL, evidence TEXT NOT NULL, entities INTEGER NOT NULL,
    relations INTEGER NOT NULL, UNIQUE (org_id, report_id));
CREATE TABLE IF NOT EXISTS entity_facts (
    seq INTEGER NOT NULL, entity_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT,
    region TEXT, status TEXT, properties TEXT, identifier_kind TEXT, value TEXT,
    PRIMARY KEY (seq, entity_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, principal_id TEXT NOT NULL,
    org_id TEXT NOT NULL, operation TEXT NOT NULL, digest TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    audience TEXT NOT NULL DEFAULT '', org_seq INTEGER NOT NULL DEFAULT 0,
    org_hash TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS relation_facts (
    seq INTEGER NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
    confidence REAL NOT NULL, PRIMARY KEY (seq, source, kind, target)) WITHOUT ROWID;
"""

# (seq, entity id, kind, name, region, status, properties JSON, identifier kind, value)
EntityRow = tuple[
    int, str, str, str | None, str | None, str | None, str | None, str | None, str | None
]
# (seq, source, kind, target, confidence)
RelationRow = tuple[int, str, str, str, float]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def require_database(path: Path) -> None:
    """Raise ValueError unless ``path`` is a graph_api database: a command that does not
    make one must not make one by a mistyped ``--db`` either."""
    if not path.is_file():
        raise ValueError(f"no database at {path}: check --db (or GRAPH_API_DB); only serve, "
                         "org add, org load, import and restore make a database")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{path} is not a graph_api database ({exc})") from None
    if found is None:
        raise ValueError(f"{path} is not a graph_api database (no audit ledger in it)")


class Database(AuditLedger):
    """Thin, typed access to the SQLite file. One connection, one thread. The audit
    ledger's reads and appends are `AuditLedger`'s.

    ``create=False``: the file must be a graph_api database already (``require_database``).
    """

    def __init__(self, path: Path, create: bool = True) -> None:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            require_database(path)
        self.path = path
        self.conn = self._connect()
        self.conn.executescript(SCHEMA)
        self._number_audit()
        self._vclass_ids: dict[VisibilityClass, int] = {}  # classes are never deleted

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def close(self) -> None:
        self.conn.close()

    def reopen(self) -> None:
        """A connection of this process's own to the same file, in place of one closed
        before this process was forked (a SQLite connection must not cross a fork:
        graph_api.prefork)."""
        self.conn = self._connect()

    # -- orgs and principals -------------------------------------------------
    def insert_org(self, org: Org) -> None:
        try:
            self.conn.execute(
                "INSERT INTO orgs (id, name, type, trusted, created_at) VALUES (?, ?, ?, ?, ?)",
                (org.id, org.name, org.type.value, int(org.trusted), _now()),
            )
        except sqlite3.IntegrityError:
            raise ValueError(f"an org with id {org.id!r} or name {org.name!r} exists") from None

    def orgs(self) -> list[Org]:
        rows = self.conn.execute("SELECT id, name, type, trusted FROM orgs ORDER BY id")
        return [Org(r[0], r[1], OrgType(r[2]), bool(r[3])) for r in rows]

    def insert_principal(self, principal: Principal, token_hash: str) -> None:
        self.conn.execute(
            "INSERT INTO principals (id, org_id, role, token_hash, created_at) VALUES (?,?,?,?,?)",
            (principal.id, principal.org.id, principal.role, token_hash, _now()),
        )

    def principal_by_token_hash(self, token_hash: str) -> tuple[str, str, str] | None:
        row = self.conn.execute(
            "SELECT id, org_id, role FROM principals WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def principal_rows(
        self, org_id: str | None = None
    ) -> list[tuple[str, str, str, str, str | None]]:
        """(id, org, role, created, revoked) of every principal (of ``org_id``)."""
        rows = self.conn.execute(
            "SELECT id, org_id, role, created_at, revoked_at FROM principals "
            "WHERE ? IS NULL OR org_id = ? ORDER BY org_id, created_at, id", (org_id, org_id))
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def last_acted(self) -> dict[str, str]:
        """Each principal's newest audit record's time, by principal id (one pass over
        the ledger: no index is kept for it on the path of every operation)."""
        rows = self.conn.execute(
            "SELECT principal_id, at FROM audit WHERE seq IN "
            "(SELECT MAX(seq) FROM audit GROUP BY principal_id)")
        return {r[0]: r[1] for r in rows}

    def revoke_principal(self, principal_id: str) -> bool:
        cur = self.conn.execute(
            "UPDATE principals SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (_now(), principal_id),
        )
        return cur.rowcount > 0

    # -- visibility classes --------------------------------------------------
    def vclasses(self, known: list[VisibilityClass] | None = None) -> list[VisibilityClass]:
        """Every visibility class by id; given the ``known`` ones, reads only the new."""
        out: list[VisibilityClass] = list(known or [])
        rows = self.conn.execute(
            "SELECT id, reporter, marking, shared_with FROM vclasses WHERE id >= ? ORDER BY id",
            (len(out),),
        )
        for cid, reporter, marking, shared in rows:
            while len(out) < cid:  # ids are dense from 0; keep positions exact regardless
                out.append(VisibilityClass("", Marking.RED, frozenset()))
            out.append(VisibilityClass(reporter, Marking(marking), frozenset(orjson.loads(shared))))
        return out

    def intern_vclass(self, vc: VisibilityClass) -> int:
        known = self._vclass_ids.get(vc)
        if known is not None:
            return known
        known = self._vclass_ids[vc] = self._intern_vclass(vc)
        return known

    def _intern_vclass(self, vc: VisibilityClass) -> int:
        shared = orjson.dumps(sorted(vc.shared_with)).decode()
        row = self.conn.execute(
            "SELECT id FROM vclasses WHERE reporter=? AND marking=? AND shared_with=?",
            (vc.reporter, vc.marking.value, shared),
        ).fetchone()
        if row is not None:
            return int(row[0])
        next_id = self.conn.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM vclasses").fetchone()[0]
        self.conn.execute(
            "INSERT INTO vclasses (id, reporter, marking, shared_with) VALUES (?, ?, ?, ?)",
            (next_id, vc.reporter, vc.marking.value, shared),
        )
        return int(next_id)

    # -- reports -------------------------------------------------------------
    def report_digest(self, org_id: str, report_id: str) -> tuple[str, int, int] | None:
        row = self.conn.execute(
            "SELECT digest, entities, relations FROM reports WHERE org_id=? AND report_id=?",
            (org_id, report_id),
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def insert_report(self, report: Report) -> tuple[int, int]:
        """Write one report inside the caller's open transaction; returns its seq and
        visibility class id."""
        vclass = self.intern_vclass(
            VisibilityClass(report.org_id, report.marking, frozenset(report.shared_with))
        )
        evidence = orjson.dumps(
            [
                {
                    "id": e.id,
                    "kind": e.kind,
                    "description": e.description,
                    "sha256": e.sha256,
                    "uri": e.uri,
                }
                for e in report.evidence
            ]
        ).decode()
        cur = self.conn.execute(
            "INSERT INTO reports (org_id, report_id, principal_id, received_at, source, "
            "confidence, vclass, digest, evidence, entities, relations) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                report.org_id,
                report.id,
                report.principal_id,
                report.received_at.isoformat(),
                report.source.value,
                report.confidence,
                vclass,
                report.digest,
                evidence,
                len(report.entities),
                len(report.relations),
            ),
        )
        seq = int(cur.lastrowid or 0)
        # ``_value_`` (enum's plain attribute) rather than ``.value`` (a property): a
        # bulk import writes millions of kinds.
        self.conn.executemany(
            "INSERT INTO entity_facts VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    seq,
                    e.id,
                    e.kind._value_,
                    e.name,
                    e.region,
                    e.status,
                    orjson.dumps(e.properties).decode() if e.properties else None,
                    e.identifier_kind._value_ if e.identifier_kind else None,
                    e.value,
                )
                for e in report.entities
            ],
        )
        self.conn.executemany(
            "INSERT INTO relation_facts VALUES (?,?,?,?,?)",
            [(seq, r.source, r.kind._value_, r.target, r.confidence) for r in report.relations],
        )
        return seq, vclass

    def max_seq(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM reports").fetchone()[0])

    def report_heads(self, after: int, upto: int) -> Iterator[tuple[int, int, float, str]]:
        """(seq, vclass, confidence, org) of reports in (after, upto]."""
        yield from self.conn.execute(
            "SELECT seq, vclass, confidence, org_id FROM reports WHERE seq > ? AND seq <= ? "
            "ORDER BY seq",
            (after, upto),
        )

    def report_times(self, after: int, upto: int) -> Iterator[tuple[int, str]]:
        """(seq, received_at) of reports in (after, upto]: views as of a time."""
        yield from self.conn.execute(
            "SELECT seq, received_at FROM reports WHERE seq > ? AND seq <= ?", (after, upto))

    def entity_rows(self, after: int, upto: int) -> Iterator[EntityRow]:
        yield from self.conn.execute(
            "SELECT * FROM entity_facts WHERE seq > ? AND seq <= ? ORDER BY seq", (after, upto)
        )

    def entity_kinds(self, after: int, upto: int) -> Iterator[tuple[int, str, str]]:
        yield from self.conn.execute(
            "SELECT seq, entity_id, kind FROM entity_facts WHERE seq > ? AND seq <= ? ORDER BY seq",
            (after, upto),
        )

    def relation_rows(self, after: int, upto: int) -> Iterator[RelationRow]:
        yield from self.conn.execute(
            "SELECT * FROM relation_facts WHERE seq > ? AND seq <= ? ORDER BY seq", (after, upto)
        )

    def envelopes(self, seqs: list[int], vclasses: list[VisibilityClass]) -> dict[int, Assertion]:
        out: dict[int, Assertion] = {}
        for chunk_start in range(0, len(seqs), 500):
            chunk = seqs[chunk_start : chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT seq, report_id, org_id, received_at, source, confidence, vclass, "
                f"evidence FROM reports WHERE seq IN ({marks})",
                chunk,
            )
            for seq, rid, org, at, source, conf, vclass, evidence in rows:
                vc = vclasses[vclass]
                out[seq] = Assertion(
                    report_id=rid,
                    reported_by=org,
                    reported_at=datetime.fromisoformat(at),
                    source=SourceKind(source),
                    confidence=conf,
                    marking=vc.marking,
                    shared_with=tuple(sorted(vc.shared_with)),
                    evidence=tuple(_evidence(e) for e in orjson.loads(evidence)),
                )
        return out

    def principal(self, principal_id: str) -> tuple[str, str, str] | None:
        row = self.conn.execute(
            "SELECT id, org_id, role FROM principals WHERE id = ?", (principal_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``with db.transaction():`` one write; storage faults raise Unavailable."""
        try:
            with write_transaction(self.conn) as conn:
                yield conn
        except BaseException:
            self._vclass_ids.clear()  # a class interned by the rolled-back write is gone
            raise



def _evidence(item: dict[str, Any]) -> Evidence:
    return Evidence(
        id=item["id"],
        kind=item["kind"],
        description=item.get("description"),
        sha256=item.get("sha256"),
        uri=item.get("uri"),
    )
