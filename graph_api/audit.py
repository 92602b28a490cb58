"""The tamper-evident audit ledger: every operation, chained by SHA-256.

Each record's hash covers its own fields and the hash of the record before
it, so editing, inserting or deleting any record breaks every hash after it.
``verify_chain`` names the first record that does not hold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

__all__ = ["GENESIS", "AuditEntry", "AuditRecord", "chain_hash", "digest_of", "verify_chain"]

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What is about to be recorded; the store gives it a seq and hashes."""

    at: datetime
    principal_id: str
    org_id: str
    operation: str
    digest: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at: datetime
    principal_id: str
    org_id: str
    operation: str
    digest: str
    prev_hash: str
    hash: str


def digest_of(variables: Mapping[str, Any] | None) -> str:
    """SHA-256 of the canonical JSON of an operation's variables.

    >>> digest_of({"b": 1, "a": [2]}) == digest_of({"a": [2], "b": 1})
    True
    """
    data = orjson.dumps(dict(variables or {}), option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(data).hexdigest()


def chain_hash(prev_hash: str, seq: int, entry: AuditEntry) -> str:
    fields = [
        prev_hash,
        str(seq),
        entry.at.isoformat(),
        entry.principal_id,
        entry.org_id,
        entry.operation,
        entry.digest,
    ]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def verify_chain(records: Iterable[AuditRecord]) -> tuple[int, int | None]:
    """(records checked, seq of the first broken record or None)."""
    prev, expected_seq, checked = GENESIS, None, 0
    for record in records:
        entry = AuditEntry(
            record.at, record.principal_id, record.org_id, record.operation, record.digest
        )
        if expected_seq is not None and record.seq != expected_seq:
            return checked, record.seq  # a record was deleted or inserted before this one
        if record.prev_hash != prev or chain_hash(prev, record.seq, entry) != record.hash:
            return checked, record.seq
        prev, expected_seq, checked = record.hash, record.seq + 1, checked + 1
    return checked, None
