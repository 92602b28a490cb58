"""Evidence files on disk, by SHA-256: the folder beside the database (or a shared one).

    evidence/sha256/ab/ab34…ef      a file's bytes, named by its SHA-256 (mode 0600)
    evidence/staging/               uploads being received; moved (linked) into place
                                    by the write that records them, else removed

An upload is written to ``staging/`` as it arrives (``Staged``: never held in
memory), its SHA-256 and size counted on the way. ``place`` links it under its hash:
the same bytes uploaded twice are kept once, and a file in place is never written
again (content-addressed: what is there is what its name says). Several machines
serving one Neo4j database share the folder (``GRAPH_API_EVIDENCE_DIR`` on a shared
mount): staging and the files are on one file system, so placing is one ``link``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from graph_api.keyfiles import private_folder

__all__ = ["EvidenceFolder", "Staged", "TooLarge"]

_HEX = re.compile(r"^[0-9a-f]{64}$")
PRIVATE = 0o600


class TooLarge(Exception):
    """An upload went over the bytes it was allowed (``Staged.write``)."""


@dataclass(eq=False)
class Staged:
    """One uploaded file being written to ``staging/``: its name and media type as the
    client gave them, and its size and SHA-256 counted as it is written."""

    path: Path
    name: str
    media_type: str
    limit: int  # bytes this file may still take (the request's allowance)
    size: int = 0
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)
    _out: BinaryIO | None = field(default=None, repr=False)
    sha256: str = ""  # set when finished

    def write(self, data: bytes) -> None:
        """Append ``data``; TooLarge past ``limit`` (what was written stays until
        ``discard``)."""
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(f"{self.name!r}: over {self.limit} bytes")
        if self._out is None:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
            self._out = os.fdopen(fd, "wb")
        self._out.write(data)
        self._hash.update(data)

    def finish(self) -> None:
        """All of it arrived: flushed to disk, its hash known."""
        if self._out is None:  # an empty file
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
            self._out = os.fdopen(fd, "wb")
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        self.sha256 = self._hash.hexdigest()

    def discard(self) -> None:
        """Remove the staged file (whether placed or not: a placed file is a link)."""
        if self._out is not None and not self._out.closed:
            self._out.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def __str__(self) -> str:
        # What the audit digest of an operation's variables takes for the file: its
        # content and name, never a path of this machine.
        return f"upload:{self.sha256}:{self.size}:{self.name}"


class EvidenceFolder:
    """The content-addressed folder of evidence files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    def stage(self, name: str, media_type: str, limit: int) -> Staged:
        """A new staged upload (its file made by its first write)."""
        private_folder(self.root)
        private_folder(self.staging)
        # ".tmp": what a backup (graph_api.backup) leaves out as being written
        path = self.staging / f"{secrets.token_hex(16)}.upload.tmp"
        return Staged(path, name, media_type, limit)

    def path_of(self, sha256: str) -> Path:
        """Where the file of this SHA-256 is kept (ValueError for anything but 64 hex)."""
        if not _HEX.match(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def place(self, staged: Staged) -> bool:
        """Link the finished upload under its hash; True when this call put it there
        (False: the same bytes were already kept)."""
        target = self.path_of(staged.sha256)
        private_folder(target.parent.parent)
        private_folder(target.parent)
        try:
            os.link(staged.path, target)
        except FileExistsError:
            return False
        return True

    def remove(self, sha256: str) -> None:
        """Take a file back out (a write that placed it and then failed)."""
        with contextlib.suppress(FileNotFoundError):
            self.path_of(sha256).unlink()

    def sweep_staging(self, older_than: float) -> int:
        """Remove staged uploads older than ``older_than`` seconds (a process killed while
        receiving one leaves it behind); how many were removed."""
        removed = 0
        cutoff = time.time() - older_than
        for path in self.staging.glob("*.upload.tmp") if self.staging.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed
