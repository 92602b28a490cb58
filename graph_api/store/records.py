"""Workflow records: notices, penalties, sellers' strikes, test buys, cases, alerts.

The graph holds intelligence as assertions; the workflows also keep state of
their own (a notice's status, a seller's strikes). That state is a set of JSON
documents, each under ``(kind, id)`` with a version, a sort key and a few
index terms. ``RecordStore`` is all the workflows need from a backend:

- ``get`` / ``get_many`` by id;
- ``put`` a whole document (optimistic: ``expect`` the version read, 0 for
  "must not exist yet"; ``Conflict`` otherwise);
- ``find`` documents carrying an index term (or every document of a kind) in
  ``(sort, id)`` order, bounded by ``sort_max`` and a keyset cursor;
- ``transaction()`` to make several puts one atomic, durable write;
- ``as_of(at)``: the records as they stood at a time, read only (every put also
  appends the version it writes to a history: ``graph_api.store.record_history``).

A Neo4j implementation maps a record to ``(:Record {kind, id, version, sort,
doc})`` with a uniqueness constraint on ``(kind, id)`` and each term to a
``(:Term {kind, term, sort, id})`` node (or a list property with a text
index); ``find`` is one ``MATCH ... WHERE sort <= $max AND (sort, id) > $after
ORDER BY sort, id LIMIT $n``. Nothing else is required.

The embedded store's implementation is ``graph_api.store.embedded.records``; the
Neo4j store's is ``graph_api.store.neo4j.records``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["PutItem", "Record", "RecordStore"]

PutItem = tuple[str, str, Mapping[str, Any], str, tuple[str, ...], "int | None"]
"""(kind, id, doc, sort, terms, expected version or None) for ``put_many``."""


@dataclass(frozen=True, slots=True)
class Record:
    """One stored document: ``doc`` is plain JSON, ``version`` counts its writes."""

    kind: str
    id: str
    version: int
    sort: str
    terms: tuple[str, ...]
    doc: dict[str, Any]


class RecordStore(Protocol):
    """Versioned JSON documents with index terms; see the module docstring."""

    def transaction(self) -> Any:
        """A context manager: the puts inside commit together or not at all.

        Nested transactions join the outer one. Reads inside see the writes.
        """
        ...

    def get(self, kind: str, id: str) -> Record | None:
        """The document of ``kind`` with this id, or None."""
        ...

    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, Record]:
        """The documents found among ``ids`` (missing ids are absent)."""
        ...

    def put(
        self,
        kind: str,
        id: str,
        doc: Mapping[str, Any],
        *,
        sort: str = "",
        terms: Iterable[str] = (),
        expect: int | None = None,
    ) -> Record:
        """Write the whole document with its sort key and index terms (replacing the old).

        ``expect`` is the version the caller read (0: the record must not exist);
        when the stored version differs, raise ``Conflict`` and write nothing.
        """
        ...

    def put_many(self, items: Iterable[PutItem]) -> None:
        """``put`` each ``(kind, id, doc, sort, terms, expect)`` in one transaction:
        all or nothing (``Conflict`` on the first version that differs)."""
        ...

    def find(
        self,
        kind: str,
        *,
        term: str | None = None,
        sort_max: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[Record]:
        """Documents of ``kind`` carrying ``term`` (all when None), ordered by (sort, id).

        ``sort_max`` keeps sort <= it; ``after`` is a keyset cursor (sort, id):
        only records strictly after it in the chosen order.
        """
        ...

    def count(self, kind: str, term: str | None = None) -> int:
        """How many documents of ``kind`` carry ``term`` (all when None)."""
        ...

    def as_of(self, at: int) -> RecordStore:
        """The records as they stood at ``at`` (``access.instant``), read only: each
        record's newest version written at or before it."""
        ...

    def versions(self, kind: str, id: str) -> list[Record]:
        """Every version of the record written (as of the reader's time), oldest first."""
        ...

    def close(self) -> None: ...
