"""SQLite's storage faults as answers: a read-only file, a full disk, an I/O error.

A write that meets one of them is rolled back whole and raised as
:class:`~graph_api.errors.Unavailable` with a message saying which, so the
caller sees UNAVAILABLE (retry later) instead of INTERNAL, and nothing of the
write remains. Any other database error is left as it is: it is a bug.

>>> import sqlite3
>>> from graph_api.store.embedded.faults import storage_fault
>>> storage_fault(sqlite3.OperationalError("database or disk is full")).code
'UNAVAILABLE'
>>> storage_fault(sqlite3.OperationalError("no such table: x")) is None
True
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from graph_api.errors import Unavailable

__all__ = ["storage_fault", "write_transaction"]

_FAULTS = (
    ("readonly", "the database is read-only: nothing was written; retry when it is writable"),
    ("read-only", "the database is read-only: nothing was written; retry when it is writable"),
    ("disk is full", "the database disk is full: nothing was written; retry when space is freed"),
    ("disk i/o error", "the database had a disk I/O error: nothing was written; retry"),
    ("unable to open", "the database cannot be opened for writing: nothing was written; retry"),
)


def storage_fault(exc: BaseException) -> Unavailable | None:
    """The UNAVAILABLE answer for a storage fault, or None for any other error."""
    if not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return None
    text = str(exc).lower()
    for needle, message in _FAULTS:
        if needle in text:
            return Unavailable(message)
    return None


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite may already have ended it)."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the fault that brought us here is the one to report


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; on any error ROLLBACK, faults as Unavailable."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        _rollback(conn)
        fault = storage_fault(exc)
        if fault is not None:
            raise fault from exc
        raise
