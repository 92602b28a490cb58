"""The embedded store's audit ledger: its table's hash chains, read and appended.

Every record is in one chain over the whole ledger (``seq``, ``hash``) and in its
audience's own (``org_seq``, ``org_hash``); a ledger written before org-local
numbering is given the second once, in chain order, when a database is opened.
`AuditLedger` is the part of `graph_api.store.embedded.sqlite.Database` that reads
and writes it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from graph_api.audit import GENESIS, AuditEntry, AuditHead, AuditRecord, chain_hash
from graph_api.store.embedded.faults import write_transaction

__all__ = ["AuditLedger"]


# The columns an audit table written before org-local numbering lacks (added, then
# filled in chain order, by `AuditLedger._number_audit`).
AUDIT_ORG_COLUMNS = (
    "ALTER TABLE audit ADD COLUMN audience TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit ADD COLUMN org_seq INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE audit ADD COLUMN org_hash TEXT NOT NULL DEFAULT ''",
)
AUDIT_ORG_INDEX = "CREATE INDEX IF NOT EXISTS audit_org ON audit (audience, org_seq)"
AUDIT_COLUMNS = ("seq, at, principal_id, org_id, operation, digest, prev_hash, hash, audience, "
                 "org_seq, org_hash")


class AuditLedger:
    """The audit table of a `Database`'s connection (``conn``)."""

    conn: sqlite3.Connection

    def _number_audit(self) -> None:
        """Give a ledger written before org-local numbering its audiences and numbers,
        in chain order, once (the first process to open the database does it)."""
        if self._has_audit_org_columns():
            self.conn.execute(AUDIT_ORG_INDEX)
            return
        with write_transaction(self.conn):
            if not self._has_audit_org_columns():  # another process may have done it
                for statement in AUDIT_ORG_COLUMNS:
                    self.conn.execute(statement)
                heads: dict[str, tuple[int, str]] = {}
                updates = []
                for record in self.audit_records():
                    entry = record.entry
                    org_seq = heads.get(entry.audience, (0, GENESIS))[0] + 1
                    org_hash = chain_hash(heads.get(entry.audience, (0, GENESIS))[1], org_seq,
                                          entry)
                    heads[entry.audience] = (org_seq, org_hash)
                    updates.append((entry.audience, org_seq, org_hash, record.seq))
                self.conn.executemany(
                    "UPDATE audit SET audience = ?, org_seq = ?, org_hash = ? WHERE seq = ?",
                    updates)
            self.conn.execute(AUDIT_ORG_INDEX)

    def _has_audit_org_columns(self) -> bool:
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(audit)")}
        return "org_hash" in columns

    def append_audit(self, entry: AuditEntry) -> int:
        """Append one record inside the caller's open (IMMEDIATE) transaction."""
        row = self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        audience = entry.audience
        org_row = self.conn.execute(
            "SELECT org_seq, org_hash FROM audit WHERE audience = ? ORDER BY org_seq DESC LIMIT 1",
            (audience,),
        ).fetchone()
        org_seq, org_prev = (org_row[0] + 1, org_row[1]) if org_row else (1, GENESIS)
        self.conn.execute(
            f"INSERT INTO audit ({AUDIT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                seq,
                entry.at.isoformat(),
                entry.principal_id,
                entry.org_id,
                entry.operation,
                entry.digest,
                prev,
                chain_hash(prev, seq, entry),
                audience,
                org_seq,
                chain_hash(org_prev, org_seq, entry),
            ),
        )
        return int(seq)

    def audit_head(self, audience: str = "") -> AuditHead:
        """The newest record's seq and hash, and those of ``audience``'s chain."""
        row = self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        org_row = self.conn.execute(
            "SELECT org_seq, org_hash FROM audit WHERE audience = ? ORDER BY org_seq DESC LIMIT 1",
            (audience,),
        ).fetchone()
        return AuditHead(*(row or (0, GENESIS)), *(org_row or (0, GENESIS)))

    def audit_records(self, after: int = 0, limit: int | None = None) -> Iterator[AuditRecord]:
        """The whole chain: records with seq > after, oldest first."""
        rows = self.conn.execute(
            f"SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit or -1),
        )
        yield from map(_audit_record, rows)

    def org_audit_records(
        self, audience: str, after: int = 0, limit: int | None = None
    ) -> Iterator[AuditRecord]:
        """One org's records with org_seq > after, oldest first."""
        rows = self.conn.execute(
            f"SELECT {AUDIT_COLUMNS} FROM audit WHERE audience = ? AND org_seq > ? "
            "ORDER BY org_seq LIMIT ?",
            (audience, after, limit or -1),
        )
        yield from map(_audit_record, rows)


def _audit_record(row: tuple[Any, ...]) -> AuditRecord:
    seq, at, principal, org, operation, digest, prev, hash_, audience, org_seq, org_hash = row
    return AuditRecord(seq, _parse_time(at), principal, org, operation, digest, prev, hash_,
                       audience, org_seq, org_hash)


def _parse_time(text: str) -> datetime:
    """A stored time; an unreadable one (a tampered row) becomes the epoch, so its hash fails."""
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=UTC)
