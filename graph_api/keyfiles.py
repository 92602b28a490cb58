"""Secrets made at first start and kept beside the database, readable by the owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["AUDIT_KEY_FILE", "PSEUDONYM_KEY_FILE", "load_or_create_secret", "write_private"]

PSEUDONYM_KEY_FILE = "pseudonym.key"  # identifier pseudonyms (HMAC), graph_api.reports
AUDIT_KEY_FILE = "audit-digest.key"  # the audit ledger's variables digests (HMAC)


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 (never readable by others, not even for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_or_create_secret(path: Path, size: int = 32) -> bytes:
    """The random secret at ``path``, made on first use."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        try:
            write_private(path, secrets.token_bytes(size))
        except FileExistsError:  # another process made it first
            pass
        return path.read_bytes()
