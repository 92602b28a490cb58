"""Documents known by their SHA-256: Apollo's automatic persisted queries, and a safelist.

A client sends ``extensions.persistedQuery = {"version": 1, "sha256Hash": HEX}``
with or without the document (``query``). The executor (``api.operations``) asks
``PersistedDocuments`` for the text of a hash alone and registers the text of a
hash sent with its document, once the document hashes to it and validates.

Two kinds of documents are known:

- **remembered** (automatic persisted queries): kept in this process's memory only,
  the most recently used first, at most ``MAX_REMEMBERED`` documents and
  ``MAX_REMEMBERED_BYTES`` of text; forgotten on restart, which costs a client one
  ``PersistedQueryNotFound`` and one resend. They are a cache that any client fills,
  so nothing of them is written to disk (where any client could fill a disk).
- **registered** (the safelist): one file per document, ``<sha256>.graphql`` in
  ``graph.db.d/persisted-queries/`` (beside the database's other own files), written
  by the operator (``graph-api persisted add``) or, while the server runs in
  safelist mode, by a PLATFORM admin's automatic persisted query. They survive
  restarts, every worker reads the same folder (a file added while the server runs
  is found at its first use), and a replica of a Neo4j deployment gets them by
  running the same command or copying the folder. Remembered first in memory like
  the others; found again on disk once forgotten.

With ``GRAPH_API_PERSISTED_ONLY=1`` only registered documents run (docs/limits.md):
a document sent as text runs when its SHA-256 is registered.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import OrderedDict
from pathlib import Path

from graph_api.keyfiles import private_folder

__all__ = [
    "FOLDER", "SUFFIX", "PersistedDocuments", "is_hash", "registered_documents", "sha256_of",
    "write_document",
]

FOLDER = "persisted-queries"
SUFFIX = ".graphql"
MAX_REMEMBERED = 10_000
MAX_REMEMBERED_BYTES = 16 * 1024 * 1024
_HASH = re.compile(r"[0-9a-f]{64}")


def sha256_of(query: str) -> str:
    """The hash Apollo's clients send: SHA-256 of the document's UTF-8 text, hex.

    >>> sha256_of("{ me { id } }")[:16]
    'c53d78fa4c9c65a9'
    """
    return hashlib.sha256(query.encode()).hexdigest()


def is_hash(text: object) -> bool:
    """Whether ``text`` is a SHA-256 as clients send it (64 lowercase hex digits)."""
    return isinstance(text, str) and _HASH.fullmatch(text) is not None


class PersistedDocuments:
    """The documents of this process, by hash: remembered in memory, registered on disk.
    In safelist mode nothing is remembered but what is registered, so a known hash is a
    registered one. A file removed while the server runs is known until it restarts."""

    def __init__(self, folder: Path | None, only: bool = False) -> None:
        self.folder = folder  # None: nothing registered (in process)
        self.only = only
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0

    def text(self, sha256: str) -> str | None:
        """The document of ``sha256`` (a valid hash); None when it is not known."""
        found = self._memory.get(sha256)
        if found is not None:
            self._memory.move_to_end(sha256)
            return found
        found = self._read(sha256)
        if found is not None:
            self._keep(sha256, found)
        return found

    def remember(self, sha256: str, query: str) -> None:
        """Keep a document in memory (an automatic persisted query)."""
        self._keep(sha256, query)

    def register(self, sha256: str, query: str) -> bool:
        """Write a document to the safelist; False when it was there already."""
        if self.folder is None:
            raise ValueError("no folder for registered documents")
        path = self.folder / f"{sha256}{SUFFIX}"
        made = write_document(path, query)
        self._keep(sha256, query)
        return made

    def _read(self, sha256: str) -> str | None:
        if self.folder is None:
            return None
        try:
            text = (self.folder / f"{sha256}{SUFFIX}").read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        # a file edited by hand since it was written no longer answers to its name
        return text if sha256_of(text) == sha256 else None

    def _keep(self, sha256: str, query: str) -> None:
        if sha256 in self._memory:
            self._memory.move_to_end(sha256)
            return
        size = len(query)
        if size > MAX_REMEMBERED_BYTES:
            return
        self._memory[sha256] = query
        self._bytes += size
        while len(self._memory) > MAX_REMEMBERED or self._bytes > MAX_REMEMBERED_BYTES:
            _, dropped = self._memory.popitem(last=False)
            self._bytes -= len(dropped)


def write_document(path: Path, query: str) -> bool:
    """Write ``query`` to ``path`` whole (a reader never sees half of it); False when a
    file of that name is there already (same name, same text: the name is its hash)."""
    if path.exists():
        return False
    private_folder(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(query, encoding="utf-8")
    os.replace(tmp, path)
    return True


def registered_documents(folder: Path) -> list[tuple[str, str]]:
    """Every registered document of ``folder``: (hash, text), by hash; files whose text
    does not hash to their name are left out."""
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        sha256 = path.name.removesuffix(SUFFIX)
        if not is_hash(sha256):
            continue
        text = path.read_text(encoding="utf-8")
        if sha256_of(text) == sha256:
            out.append((sha256, text))
    return out
