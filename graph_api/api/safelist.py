"""The operator's side of the safelist: ``graph-api persisted add | list | remove``.

Documents come as ``.graphql`` files (one document each, registered as written:
its SHA-256 is that of the file's text) or as Apollo's persisted query manifest
(``@apollo/generate-persisted-query-manifest``: ``{"format":
"apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "name",
"type", "body"}]}``, each ``id`` the SHA-256 of its ``body``). Every document is
parsed and validated against the served schema and its limits first; if any is
refused, none is registered. They go to ``graph.db.d/persisted-queries/``
(``api.persisted``), where a running server finds them at their first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from graph_api.api.auditing import operation_label
from graph_api.api.operations import Operations
from graph_api.api.persisted import (
    FOLDER,
    SUFFIX,
    PersistedDocuments,
    is_hash,
    registered_documents,
    sha256_of,
)
from graph_api.api.schema import build_schema
from graph_api.config import Settings

__all__ = ["Document", "add", "listing", "read_documents", "remove"]

MANIFEST_FORMAT = "apollo-persisted-query-manifest"


@dataclass(frozen=True, slots=True)
class Document:
    sha256: str
    text: str
    source: str  # where it was read: a file, or a manifest and the operation's name


def read_documents(paths: list[Path]) -> list[Document]:
    """The documents of ``.graphql`` files and Apollo manifests; ValueError naming the
    first file or entry that is neither."""
    out = []
    for path in paths:
        raw = path.read_bytes()
        if path.suffix == ".json":
            out.extend(_manifest(path, raw))
            continue
        text = raw.decode("utf-8")
        if not text.strip():
            raise ValueError(f"{path}: empty")
        out.append(Document(sha256_of(text), text, str(path)))
    return out


def _manifest(path: Path, raw: bytes) -> list[Document]:
    try:
        manifest = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f'{path}: not an Apollo manifest ("format": "{MANIFEST_FORMAT}")')
    out = []
    for n, entry in enumerate(manifest.get("operations") or []):
        body = entry.get("body") if isinstance(entry, dict) else None
        if not isinstance(body, str) or not body.strip():
            raise ValueError(f"{path}: operation {n} has no body")
        where = f"{path}: {entry.get('name') or n}"
        sha256 = sha256_of(body)
        if entry.get("id", sha256) != sha256:
            raise ValueError(f"{where}: its id is not the SHA-256 of its body, by which "
                             "clients name documents here")
        out.append(Document(sha256, body, where))
    return out


def add(settings: Settings, documents: list[Document]) -> list[str]:
    """Register ``documents`` once every one of them validates; a line per document."""
    executor = Operations(build_schema(), settings)
    refused = []
    for document in documents:
        prepared = executor.prepare(document.text)
        if prepared.document is None:
            refused.append(f"{document.source}: " + "; ".join(e.message for e in prepared.errors))
    if refused:
        raise ValueError("refused, nothing registered:\n" + "\n".join(refused))
    store = PersistedDocuments(settings.secrets_dir / FOLDER, only=True)
    lines = []
    for document in documents:
        made = store.register(document.sha256, document.text)
        lines.append(f"{document.sha256} {'added' if made else 'present'} {document.source}")
    return lines


def listing(settings: Settings) -> list[str]:
    """A line per registered document: its hash and what it runs (``query Name``)."""
    executor = Operations(build_schema(), settings)
    lines = []
    for sha256, text in registered_documents(settings.secrets_dir / FOLDER):
        prepared = executor.prepare(text)
        label = "invalid" if prepared.document is None else operation_label(
            prepared.document, None)
        lines.append(f"{sha256} {label}")
    return lines


def remove(settings: Settings, hashes: list[str]) -> list[str]:
    """Delete registered documents; a running server knows them until it restarts."""
    folder = settings.secrets_dir / FOLDER
    lines = []
    for sha256 in hashes:
        if not is_hash(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 (64 lowercase hex digits)")
        path = folder / f"{sha256}{SUFFIX}"
        if path.exists():
            path.unlink()
            lines.append(f"{sha256} removed")
        else:
            lines.append(f"{sha256} not registered")
    return lines
