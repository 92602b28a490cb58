"""A database's own files: its secrets and export packages, in a folder of its own.

Beside ``data/graph.db`` lies ``data/graph.db.d/`` (mode 0700), and nothing of it
is shared with another database in ``data/``::

    graph.db.d/pseudonym.key                identifier pseudonyms (HMAC key)
    graph.db.d/audit-digest.key             the audit ledger's variables digests (HMAC key)
    graph.db.d/export-signing-key.pem       Ed25519, signs case packages and audit checkpoints
    graph.db.d/export-signing-key.pub.pem   its public key (GET /export-key)
    graph.db.d/audit-checkpoints.jsonl      signed heads of the audit chain
    graph.db.d/exports/                     case packages (zip) and who made them (json)

Secrets are made at first start with mode 0600 (``load_or_create_secret``).
Before this layout the secrets and ``exports/`` lay in the database's folder
itself, shared by every database there; ``adopt_folder_files`` moves an existing
database onto its own copy (``Services.open`` calls it).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

import orjson

__all__ = [
    "AUDIT_KEY_FILE",
    "CHECKPOINTS_FILE",
    "EXPORTS_DIR",
    "PSEUDONYM_KEY_FILE",
    "SECRET_FILES",
    "SIGNING_KEY_FILE",
    "SIGNING_PUBLIC_FILE",
    "adopt_folder_files",
    "copy_private",
    "database_folder",
    "load_or_create_secret",
    "private_folder",
    "write_private",
]

PSEUDONYM_KEY_FILE = "pseudonym.key"  # identifier pseudonyms (HMAC), graph_api.reports
AUDIT_KEY_FILE = "audit-digest.key"  # the audit ledger's variables digests (HMAC)
SIGNING_KEY_FILE = "export-signing-key.pem"  # graph_api.export.keys
SIGNING_PUBLIC_FILE = "export-signing-key.pub.pem"
SECRET_FILES = (PSEUDONYM_KEY_FILE, AUDIT_KEY_FILE, SIGNING_KEY_FILE, SIGNING_PUBLIC_FILE)
CHECKPOINTS_FILE = "audit-checkpoints.jsonl"  # graph_api.checkpoints
EXPORTS_DIR = "exports"
PRIVATE = 0o600


def database_folder(db: Path) -> Path:
    """The folder of ``db``'s own files: ``graph.db`` -> ``graph.db.d``.

    >>> database_folder(Path("data/b.db")).as_posix()
    'data/b.db.d'
    """
    return db.with_name(db.name + ".d")


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 (never readable by others, not even for a moment)."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
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


def copy_private(source: Path, target: Path) -> None:
    """Copy a file so that it is never readable by others, not even while being written;
    the copy replaces ``target`` whole."""
    private_folder(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, PRIVATE)
    os.replace(tmp, target)


def private_folder(folder: Path) -> None:
    """Make ``folder`` (mode 0700) unless it is there."""
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def adopt_folder_files(db: Path, existed: bool, made_here: Callable[[str], bool]) -> list[str]:
    """Give an existing database its own copy of the secrets that lay in its folder
    (the layout before ``database_folder``), and move into its folder the export
    packages its principals made (``made_here(principal_id)``); the files adopted.

    Only a database that ``existed`` before this start adopts anything: it was using
    those secrets (its identifier ids and signatures rest on them), and so was every
    other database of that folder, which each get a copy when they first start. A new
    database gets secrets of its own. The folder's files stay until the operator
    removes them (docs/deploy.md); nothing is adopted once the database has a
    pseudonym key of its own.
    """
    own, shared = database_folder(db), db.parent
    if not existed or (own / PSEUDONYM_KEY_FILE).exists():
        return []
    adopted = []
    for name in SECRET_FILES:
        if (shared / name).is_file() and not (own / name).exists():
            copy_private(shared / name, own / name)
            adopted.append(name)
    for meta_path in sorted((shared / EXPORTS_DIR).glob("*.json")):
        package = meta_path.with_suffix(".zip")
        try:
            principal = orjson.loads(meta_path.read_bytes())["principal"]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
            continue  # not a package's record
        if not isinstance(principal, str) or not made_here(principal):
            continue
        private_folder(own / EXPORTS_DIR)
        for path in (package, meta_path):
            if path.is_file():
                os.replace(path, own / EXPORTS_DIR / path.name)
                adopted.append(f"{EXPORTS_DIR}/{path.name}")
    return adopted
