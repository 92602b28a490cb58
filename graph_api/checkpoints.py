"""Signed checkpoints of the audit chain's head: cutting the newest records shows.

The hash chain (``graph_api.audit``) proves that no record was edited, inserted
or removed *before* the last one, but not that the last ones are all there: cut
the newest records and what remains is a whole chain. A checkpoint anchors the
head: its sequence number and hash at a time, signed with the server's Ed25519
signing key (the export signing key, ``graph_api.export.keys``). A ledger that
no longer holds a checkpoint's record, or holds another one there, was cut or
rewritten after it (``anchor_problems``).

Two scopes, one format:

- **the ledger's** (``chain: "all"``), the operator's: made at least every
  ``Settings.audit_checkpoint_records`` records (``checkpoint_forever`` in the
  server) and at every export, kept in ``graph.db.d/audit-checkpoints.jsonl``,
  answered by ``GET /audit-head`` to the operator only (the same credential as
  ``/metrics``: the global sequence would tell any org the volume of others'
  activity) and printed by ``graph-api audit head``;
- **an org's** (``chain: "org"``): the head of the exporting org's own chain,
  carried by every case package's manifest, so the police hold a signed anchor
  that nothing else of the ledger can move (and nothing in it depends on other
  orgs' activity: DESIGN, "Derived facts").

An operator keeps checkpoints where whoever could cut the ledger cannot reach
them (docs/security.md): the server's file alone sits beside the database.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from graph_api.audit import AuditRecord
from graph_api.export.keys import key_fingerprint, public_key_pem
from graph_api.export.package import MANIFEST_FILE
from graph_api.keyfiles import CHECKPOINTS_FILE, private_folder

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "Checkpoint",
    "anchor_problems",
    "checkpoint_forever",
    "fetch_checkpoint",
    "latest_checkpoint",
    "load_checkpoints",
    "make_checkpoint",
    "org_checkpoint",
    "read_checkpoints",
    "signature_problem",
    "take_checkpoint",
]

Checkpoint = dict[str, Any]
log = logging.getLogger(__name__)
TAIL_BYTES = 4096  # a checkpoint line is about 400 bytes


def _signed_bytes(checkpoint: Mapping[str, Any]) -> bytes:
    return orjson.dumps({k: v for k, v in checkpoint.items() if k != "signature"},
                        option=orjson.OPT_SORT_KEYS)


def make_checkpoint(key: Ed25519PrivateKey, seq: int, hash_: str, at: datetime,
                    org: str | None = None) -> Checkpoint:
    """A signed checkpoint of the ledger's head (or of ``org``'s own chain).

    >>> key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    >>> point = make_checkpoint(key, 7, "ab" * 32, datetime(2026, 1, 1))
    >>> point["chain"], point["seq"], signature_problem(point, public_key_pem(key))
    ('all', 7, None)
    """
    checkpoint: Checkpoint = {"chain": "all" if org is None else "org", "seq": seq,
                              "hash": hash_, "at": at.isoformat(),
                              "key": key_fingerprint(public_key_pem(key))}
    if org is not None:
        checkpoint["org"] = org
    checkpoint["signature"] = base64.b64encode(key.sign(_signed_bytes(checkpoint))).decode()
    return checkpoint


def signature_problem(checkpoint: Mapping[str, Any], public_pem: bytes) -> str | None:
    """Why ``checkpoint`` is not signed by the key of ``public_pem``, or None."""
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        return "the key is not an Ed25519 key"
    if checkpoint.get("key") != key_fingerprint(public_pem):
        return f"signed by another key ({checkpoint.get('key')})"
    try:
        key.verify(base64.b64decode(str(checkpoint.get("signature", "")), validate=True),
                   _signed_bytes(checkpoint))
    except (InvalidSignature, ValueError):
        return "its signature does not hold (the checkpoint was changed)"
    return None


def _describe(checkpoint: Mapping[str, Any]) -> str:
    chain = f"org {checkpoint.get('org')}" if checkpoint.get("chain") == "org" else "ledger"
    return f"checkpoint of the {chain} at {checkpoint.get('seq')} ({checkpoint.get('at')})"


def anchor_problems(records: Sequence[AuditRecord], checkpoints: Iterable[Mapping[str, Any]],
                    public_pem: bytes) -> list[str]:
    """What each checkpoint says is wrong with ``records`` (the whole chain, oldest
    first, already checked by ``verify_chain``): a record cut after it or rewritten, or
    a checkpoint that is not the server's."""
    by_seq = {r.seq: r for r in records}
    by_org = {(r.audience, r.org_seq): r for r in records}
    last = records[-1].seq if records else 0
    org_ends = {r.audience: r.org_seq for r in records}  # the last of each org's chain
    problems = []
    for checkpoint in checkpoints:
        what = _describe(checkpoint)
        wrong = signature_problem(checkpoint, public_pem)
        if wrong is not None:
            problems.append(f"{what}: {wrong}")
            continue
        seq, org = int(checkpoint["seq"]), str(checkpoint.get("org", ""))
        if checkpoint.get("chain") == "org":
            record, end = by_org.get((org, seq)), org_ends.get(org, 0)
            found = None if record is None else record.org_hash
        else:
            record, end = by_seq.get(seq), last
            found = None if record is None else record.hash
        if seq == 0:
            continue  # an empty ledger anchors nothing
        if end < seq:
            problems.append(f"{what}: the chain ends at {end}: records after it were removed")
        elif found != checkpoint["hash"]:
            problems.append(f"{what}: its record was rewritten (another hash there)")
    return problems


def load_checkpoints(path: Path) -> list[Checkpoint]:
    """The checkpoints of a file (``read_checkpoints``) or of a case package's manifest.
    ValueError when it holds none."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                data = archive.read(MANIFEST_FILE)
        else:
            data = path.read_bytes()
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ValueError(f"cannot read checkpoints from {path}: {exc}") from None
    try:
        return read_checkpoints(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def fetch_checkpoint(url: str, token: str | None, timeout: float = 10.0) -> Checkpoint:
    """The checkpoint a server answers at ``url`` (its ``/audit-head``, or the server's
    address, to which ``/audit-head`` is added), asked with the operator's ``token``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--url {url!r}: give the server's http(s) address or its /audit-head")
    if parts.path in ("", "/"):
        url = urlunsplit(parts._replace(path="/audit-head"))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = httpx.get(url, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ValueError(f"cannot fetch the audit head from {url}: {exc}") from None
    if answer.status_code != 200:
        raise ValueError(f"cannot fetch the audit head from {url}: HTTP {answer.status_code} "
                         "(it answers a PLATFORM admin's token or GRAPH_API_METRICS_TOKEN)")
    return read_checkpoints(answer.content)[0]


def read_checkpoints(data: bytes) -> list[Checkpoint]:
    """Checkpoints from a file's bytes: one JSON checkpoint, a JSON list of them, JSON
    lines (the server's file), or a case package's manifest.json (its own)."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            return [orjson.loads(line) for line in data.splitlines() if line.strip()]
        except orjson.JSONDecodeError:
            raise ValueError("not JSON, nor JSON lines, of checkpoints") from None
    if isinstance(document, dict) and "audit_checkpoint" in document:
        document = document["audit_checkpoint"]  # a manifest
    found = document if isinstance(document, list) else [document]
    if not all(isinstance(c, dict) and {"seq", "hash", "signature"} <= c.keys()
               for c in found):
        raise ValueError("not a checkpoint (seq, hash, signature)")
    return found


# -- the server's checkpoints ---------------------------------------------------------
def _signing_key(services: Services) -> Ed25519PrivateKey:
    from graph_api.export.keys import load_or_create_signing_key

    return load_or_create_signing_key(services.settings.secrets_dir)


def latest_checkpoint(path: Path) -> Checkpoint | None:
    """The last checkpoint of the server's file, if any (read from its end)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - TAIL_BYTES))
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return None
    for line in reversed(lines):
        try:
            checkpoint: Checkpoint = orjson.loads(line)
            return checkpoint
        except orjson.JSONDecodeError:  # a line cut by a crash
            continue
    return None


def take_checkpoint(services: Services, key: Ed25519PrivateKey | None = None) -> Checkpoint:
    """A checkpoint of the ledger's head now, kept in the server's file (once per head)."""
    head = services.store.audit_head()
    checkpoint = make_checkpoint(key or _signing_key(services), head.seq, head.hash,
                                 services.clock())
    path = services.settings.secrets_dir / CHECKPOINTS_FILE
    last = latest_checkpoint(path)
    if last is None or last.get("hash") != head.hash:
        private_folder(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as handle:  # one write of one line: appends do not mix
            handle.write(orjson.dumps(checkpoint) + b"\n")
    return checkpoint


def org_checkpoint(services: Services, org_id: str, at: datetime,
                   key: Ed25519PrivateKey | None = None) -> Checkpoint:
    """A checkpoint of ``org_id``'s own chain (what its admins see in ``auditLog``)."""
    head = services.store.audit_head(org_id)
    return make_checkpoint(key or _signing_key(services), head.org_seq, head.org_hash, at,
                           org=org_id)


async def checkpoint_forever(services: Services, every: float = 1.0) -> None:
    """The server's checkpoints: one whenever the ledger has grown by
    ``audit_checkpoint_records`` since the last (looked at every ``every`` seconds)."""
    records = services.settings.audit_checkpoint_records
    last = latest_checkpoint(services.settings.secrets_dir / CHECKPOINTS_FILE)
    last_seq = 0 if last is None else int(last["seq"])
    while True:
        await asyncio.sleep(every)
        try:
            if services.store.audit_head().seq >= last_seq + records:
                last_seq = take_checkpoint(services)["seq"]
        except Exception:  # keep going; the next tick retries
            log.exception("the audit checkpoint failed")
