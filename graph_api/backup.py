"""Online backups of the embedded store, and their restore: one database's files.

``backup`` copies the SQLite database with SQLite's online backup API (one
consistent snapshot, taken while the server keeps serving and writing), plus
every file of the database's own folder (``graph.db.d``, ``graph_api.keyfiles``):
the pseudonym key, without which identifier ids cannot be recomputed, the
export signing key pair, the audit digest key, without which the ledger's
digests cannot be checked against variables, the audit checkpoints, and the
export packages. Nothing of another database in the same folder goes in.
``backup.json`` lists every file with its SHA-256. Files are written with mode
0600, folders 0700.

``restore`` checks those hashes and the database's integrity, then puts the
copy in place: the database at ``--db`` and its files in that database's own
folder. It refuses to overwrite an existing database (or files of its folder
that differ) unless forced; a forced restore replaces the database's folder
whole. A backup made before per-database folders (secrets and ``exports/`` at
its top) is restored into the per-database layout.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import orjson

from graph_api.keyfiles import copy_private, database_folder, private_folder

__all__ = ["BackupInfo", "backup", "restore"]

MANIFEST = "backup.json"
LAYOUT = 2  # the database's files in a folder named after it (graph_api.keyfiles)
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


def _own_files(folder: Path) -> list[Path]:
    """The files of a database's folder, relative to it, but files being written."""
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and not p.name.endswith(".tmp"))


def backup(db_path: Path, dest_dir: Path) -> BackupInfo:
    """Back up the database at ``db_path`` and its own folder's files into ``dest_dir``.

    ``dest_dir`` must be new or empty; the server may keep running and writing.
    """
    if not db_path.is_file():
        raise ValueError(f"no database at {db_path}")
    if dest_dir.exists() and any(dest_dir.iterdir()):
        raise ValueError(f"{dest_dir} is not empty: back up into a new folder")
    private_folder(dest_dir)
    os.chmod(dest_dir, 0o700)
    _snapshot(db_path, dest_dir / db_path.name)
    reports = _check_database(dest_dir / db_path.name)
    files = [db_path.name]
    own = database_folder(db_path)
    for relative in _own_files(own):
        name = f"{own.name}/{relative.as_posix()}"
        copy_private(own / relative, dest_dir / name)
        files.append(name)
    manifest = {
        "layout": LAYOUT,
        "created_at": datetime.now(UTC).isoformat(),
        "source": str(db_path.resolve()),
        "database": db_path.name,
        "reports": reports,
        "files": {name: _sha256(dest_dir / name) for name in files},
    }
    (dest_dir / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return BackupInfo(dest_dir, db_path.name, reports, tuple(files))


def _placed(manifest: dict[str, object], name: str) -> PurePosixPath:
    """Where a backed-up file goes, relative to the restored database's own folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"backup file {name!r} names a place outside the backup")
    if manifest.get("layout") == LAYOUT:
        folder = f"{manifest['database']}.d"
        if path.parts[0] != folder or len(path.parts) < 2:
            raise ValueError(f"backup file {name!r} is not in {folder}/")
        return PurePosixPath(*path.parts[1:])
    return path  # before per-database folders: secrets and exports/ at the top


def restore(src_dir: Path, db_path: Path, force: bool = False) -> BackupInfo:
    """Restore a ``backup`` folder so that ``db_path`` is its database, and its files
    those of ``db_path``'s own folder.

    Refuses when ``db_path`` exists, or a file of its folder differs from the
    backup's (or is not in it), unless ``force``; a forced restore replaces the
    database and its folder. Stop servers over ``db_path`` first.
    """
    manifest_path = src_dir / MANIFEST
    if not manifest_path.is_file():
        raise ValueError(f"{src_dir} is not a backup (no {MANIFEST})")
    manifest = orjson.loads(manifest_path.read_bytes())
    files: dict[str, str] = manifest["files"]
    database = manifest["database"]
    own = database_folder(db_path)
    placed = {name: own / _placed(manifest, name) for name in files if name != database}
    for name, digest in files.items():
        if not (src_dir / name).is_file() or _sha256(src_dir / name) != digest:
            raise ValueError(f"backup file {name} is missing or changed since the backup")
    reports = _check_database(src_dir / database)
    clashes = [db_path] if db_path.exists() else []
    wanted = {target: files[name] for name, target in placed.items()}
    clashes += [own / p for p in _own_files(own)
                if wanted.get(own / p) != _sha256(own / p)]
    if clashes and not force:
        names = ", ".join(str(p) for p in clashes)
        raise ValueError(f"restore would overwrite {names}: pass --force to replace them")
    private_folder(db_path.parent)
    for suffix in ("-wal", "-shm"):  # a stale log must not be replayed over the restored file
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    if own.exists():
        shutil.rmtree(own)  # the database's folder is the backup's, exactly
    copy_private(src_dir / database, db_path)
    restored = [db_path.name]
    for name, target in placed.items():
        copy_private(src_dir / name, target)
        restored.append(f"{own.name}/{target.relative_to(own).as_posix()}")
    return BackupInfo(src_dir, db_path.name, reports, tuple(restored))
