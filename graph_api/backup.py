"""Online backups of the embedded store, and their restore.

``backup`` copies the SQLite database with SQLite's online backup API (one
consistent snapshot, taken while the server keeps serving and writing), plus
the secrets kept beside it — the pseudonym key, without which identifier ids
cannot be recomputed, the export signing key pair, and the audit digest key,
without which the ledger's digests cannot be checked against variables — and
the export packages. ``backup.json`` lists every file with its SHA-256. Secret files are
written with mode 0600.

``restore`` checks those hashes and the database's integrity, then puts the
copy in place; it refuses to overwrite an existing database (or secrets that
differ) unless forced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

__all__ = ["BackupInfo", "backup", "restore"]

SECRET_FILES = ("pseudonym.key", "export-signing-key.pem", "export-signing-key.pub.pem",
                "audit-digest.key")
EXPORTS = "exports"
MANIFEST = "backup.json"
PRIVATE = 0o600


@dataclass(frozen=True)
class BackupInfo:
    folder: Path
    database: str
    reports: int
    files: tuple[str, ...]

    def line(self) -> str:
        return f"backed up {self.reports} reports and {len(self.files)} files to {self.folder}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_private(source: Path, target: Path) -> None:
    """Copy a file so that it is never readable by others, not even while being written."""
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, PRIVATE)
    os.replace(tmp, target)


def _check_database(path: Path) -> int:
    """``PRAGMA integrity_check`` on a database file; returns its report count."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (result,) = conn.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise ValueError(f"{path}: integrity check failed: {result}")
        has_reports = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='reports'"
        ).fetchone()
        if has_reports is None:
            return 0
        return int(conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
    finally:
        conn.close()


def _snapshot(source: Path, target: Path) -> None:
    """One consistent copy of a live database (WAL included), via SQLite's backup API."""
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source)  # read-write: a WAL reader may need to create the -shm
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    os.close(fd)
    dst = sqlite3.connect(tmp)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # all pages in one step: a single read transaction, one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal beside it
    finally:
        dst.close()
        src.close()
    os.replace(tmp, target)


def backup(db_path: Path, dest_dir: Path) -> BackupInfo:
    """Back up the database at ``db_path`` and the secrets beside it into ``dest_dir``.

    ``dest_dir`` must be new or empty; the server may keep running and writing.
    """
    if not db_path.is_file():
        raise ValueError(f"no database at {db_path}")
    if dest_dir.exists() and any(dest_dir.iterdir()):
        raise ValueError(f"{dest_dir} is not empty: back up into a new folder")
    dest_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(dest_dir, 0o700)
    _snapshot(db_path, dest_dir / db_path.name)
    reports = _check_database(dest_dir / db_path.name)
    files = [db_path.name]
    beside = db_path.parent
    for name in SECRET_FILES:
        if (beside / name).is_file():
            _copy_private(beside / name, dest_dir / name)
            files.append(name)
    if (beside / EXPORTS).is_dir():
        (dest_dir / EXPORTS).mkdir(mode=0o700)
        for item in sorted((beside / EXPORTS).iterdir()):
            if item.is_file() and not item.name.endswith(".tmp"):
                _copy_private(item, dest_dir / EXPORTS / item.name)
                files.append(f"{EXPORTS}/{item.name}")
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "source": str(db_path.resolve()),
        "database": db_path.name,
        "reports": reports,
        "files": {name: _sha256(dest_dir / name) for name in files},
    }
    (dest_dir / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return BackupInfo(dest_dir, db_path.name, reports, tuple(files))


def restore(src_dir: Path, db_path: Path, force: bool = False) -> BackupInfo:
    """Restore a ``backup`` folder so that ``db_path`` is its database.

    Refuses when ``db_path`` exists, or a secret beside it differs from the
    backup's, unless ``force``; a forced restore replaces them. Stop servers
    over ``db_path`` first.
    """
    manifest_path = src_dir / MANIFEST
    if not manifest_path.is_file():
        raise ValueError(f"{src_dir} is not a backup (no {MANIFEST})")
    manifest = orjson.loads(manifest_path.read_bytes())
    files: dict[str, str] = manifest["files"]
    for name, digest in files.items():
        if not (src_dir / name).is_file() or _sha256(src_dir / name) != digest:
            raise ValueError(f"backup file {name} is missing or changed since the backup")
    reports = _check_database(src_dir / manifest["database"])
    beside = db_path.parent
    clashes = [db_path] if db_path.exists() else []
    clashes += [
        beside / name for name in files
        if name != manifest["database"] and (beside / name).is_file()
        and _sha256(beside / name) != files[name]
    ]
    if clashes and not force:
        names = ", ".join(str(p) for p in clashes)
        raise ValueError(f"restore would overwrite {names}: pass --force to replace them")
    beside.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):  # a stale log must not be replayed over the restored file
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    _copy_private(src_dir / manifest["database"], db_path)
    restored = [db_path.name]
    for name in files:
        if name == manifest["database"]:
            continue
        target = beside / name
        target.parent.mkdir(mode=0o700, exist_ok=True)
        _copy_private(src_dir / name, target)
        restored.append(name)
    return BackupInfo(src_dir, db_path.name, reports, tuple(restored))
