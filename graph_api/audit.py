"""The tamper-evident audit ledger: every operation, chained by SHA-256.

Each record's hash covers its own fields and the hash of the record before
it, so editing, inserting or deleting any record breaks every hash after it.
``verify_chain`` names the first record that does not hold.

A record belongs to one **audience**: the org of the principal that acted, whose
admins see it in ``auditLog``. There it is numbered by that org's own sequence
(``org_seq``: 1, 2, 3, ... in chain order) and shows the hash of the org's own
chain (``org_hash``: the same ``chain_hash`` over the org's records alone), so
that nothing an admin sees depends on another org's activity: neither a gap in
the numbers nor a hash over a record it may not see. The operator's and the
service's own records (``cli:USER``, ``system:sweep``: a principal id with a
colon, which no token's has) and anonymous ones belong to no org (audience
``""``) and are shown to none; the whole chain is the operator's
(``graph-api audit verify``).

The variables of an operation are recorded as an HMAC-SHA256 under the server's
audit digest key (``digest_of``): without the key nobody can try candidate
variables (a listing id and a marking) against a digest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import orjson

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditHead",
    "AuditRecord",
    "audience_of",
    "chain_hash",
    "digest_of",
    "verify_chain",
]

GENESIS = "0" * 64


def audience_of(principal_id: str, org_id: str) -> str:
    """The org whose admins see a record: the acting principal's; ``""`` (none) for
    the operator's and the service's records and for anonymous ones.

    >>> audience_of("p-1a2b", "acme"), audience_of("cli:ops", "acme")
    ('acme', '')
    >>> audience_of("system:sweep", "bazaar"), audience_of("anonymous", "")
    ('', '')
    """
    return "" if ":" in principal_id else org_id


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What is about to be recorded; the store gives it a seq and hashes."""

    at: datetime
    principal_id: str
    org_id: str
    operation: str
    digest: str

    @property
    def audience(self) -> str:
        return audience_of(self.principal_id, self.org_id)


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
    audience: str = ""
    org_seq: int = 0  # the record's number among its audience's
    org_hash: str = ""  # chain_hash over the audience's records alone

    @property
    def entry(self) -> AuditEntry:
        """What was recorded: the fields the hashes cover."""
        return AuditEntry(self.at, self.principal_id, self.org_id, self.operation, self.digest)


class AuditHead(NamedTuple):
    """The newest record of the ledger and of one audience's chain (0 and ``GENESIS``
    before the first): what a checkpoint anchors (``graph_api.checkpoints``)."""

    seq: int
    hash: str
    org_seq: int = 0
    org_hash: str = GENESIS


def digest_of(variables: Mapping[str, Any] | None, key: bytes) -> str:
    """HMAC-SHA256 under ``key`` of the canonical JSON of an operation's variables.

    >>> key = bytes(32)
    >>> digest_of({"b": 1, "a": [2]}, key) == digest_of({"a": [2], "b": 1}, key)
    True
    >>> digest_of({"a": 1}, key) == digest_of({"a": 1}, bytes(31) + b"\\x01")
    False
    """
    if not key:
        raise ValueError("no audit digest key: variables are never recorded unkeyed")
    data = orjson.dumps(dict(variables or {}), option=orjson.OPT_SORT_KEYS, default=str)
    return hmac.new(key, data, hashlib.sha256).hexdigest()


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
    """(records checked, seq of the first broken record or None).

    Besides each hash, a record's audience must be its principal's org (or none),
    its ``org_seq`` the next of that audience's numbers and its ``org_hash`` the
    next link of that audience's chain.
    """
    prev, expected_seq, checked = GENESIS, None, 0
    org_heads: dict[str, tuple[int, str]] = {}
    for record in records:
        entry = record.entry
        if expected_seq is not None and record.seq != expected_seq:
            return checked, record.seq  # a record was deleted or inserted before this one
        if record.prev_hash != prev or chain_hash(prev, record.seq, entry) != record.hash:
            return checked, record.seq
        org_seq, org_prev = org_heads.get(entry.audience, (0, GENESIS))
        if (record.audience != entry.audience or record.org_seq != org_seq + 1
                or record.org_hash != chain_hash(org_prev, record.org_seq, entry)):
            return checked, record.seq  # renumbered, or moved to another org's log
        org_heads[entry.audience] = (record.org_seq, record.org_hash)
        prev, expected_seq, checked = record.hash, record.seq + 1, checked + 1
    return checked, None
