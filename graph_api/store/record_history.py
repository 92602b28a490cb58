"""Workflow records as they stood at a time: the history every record store appends.

A record store keeps each record's current version only (``records.RecordStore``);
every ``put`` and ``put_many`` also appends the version it writes to a history,
``(kind, id, version, at, sort, terms, doc)``, ``at`` being the store's clock when
the version was written (`access.instant`: microseconds, as reports' times). The
history is append-only: a version once written is never changed.

`RecordsAsOf` reads the history as a ``RecordStore`` frozen at a time: a record's
version at ``at`` is its newest version written at or before ``at`` (a record not
written by then does not exist), and ``find`` and ``count`` answer over those
versions with their own sort keys and terms. A store provides a `History`; writes
through a `RecordsAsOf` are refused (a past is not written).

Records written before the history existed are entered once, at the time a store
first opens the history (``backfill``): what they were before is not known.
"""

from __future__ import annotations

import bisect
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:  # records.py builds on this module: it imports nothing of it at run time
    from graph_api.store.records import PutItem, Record

__all__ = ["History", "KeptKinds", "RecordsAsOf", "pack", "unpack"]

KINDS_KEPT = 64  # (kind, time) snapshots kept for find and count


COMPRESS_FROM = 1024  # bytes of JSON: below, zlib's setup costs more than it saves


def pack(sort: str, terms: Iterable[str], doc: Mapping[str, Any] | str) -> bytes:
    """A history entry's sort key, terms and document as a JSON array, compressed when
    it is large (a notice of 300 listings is 50 KB of JSON, about 5 KB packed); a small
    entry (a penalty, a status: ~250 bytes) is kept as its text, which ``unpack`` tells
    by its first byte (``[``; a zlib stream starts with 0x78).

    >>> unpack(pack("a", ["t"], {"x": 1}))
    ('a', ('t',), {'x': 1})
    >>> big = {"x": "y" * COMPRESS_FROM}
    >>> pack("a", [], big)[:1] != b"[" and unpack(pack("a", [], big))[2] == big
    True
    """
    body = doc if isinstance(doc, str) else orjson.dumps(dict(doc)).decode()
    text = ('["%s",%s,%s]' % (_escaped(sort), orjson.dumps(list(terms)).decode(), body)).encode()
    return text if len(text) < COMPRESS_FROM else zlib.compress(text, 1)


def _escaped(text: str) -> str:
    return orjson.dumps(text).decode()[1:-1]


def unpack(data: bytes) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    sort, terms, doc = orjson.loads(data if data[:1] == b"[" else zlib.decompress(data))
    return sort, tuple(terms), doc


class History(Protocol):
    """What a record store answers from its history."""

    def versions_at(self, kind: str, ids: list[str], at: int) -> dict[str, Record]:
        """Each of ``ids``'s newest version written at or before ``at`` (absent: none)."""
        ...

    def kind_at(self, kind: str, at: int) -> list[Record]:
        """The newest version at or before ``at`` of every record of ``kind``."""
        ...

    def versions_upto(self, kind: str, id: str, at: int | None) -> list[Record]:
        """Every version of one record written at or before ``at`` (None: all), oldest
        first."""
        ...

    def history_mark(self) -> Any:
        """A value that changes whenever a version is appended (what `RecordsAsOf`
        keeps per time is checked against it)."""
        ...

    @property
    def kept_kinds(self) -> KeptKinds:
        """Where `RecordsAsOf` keeps this store's kinds as of times."""
        ...


class KeptKinds:
    """A store's whole kinds as of times (`RecordsAsOf`), least recently used out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple[str, int], tuple[Any, list[Record]]] = OrderedDict()


class RecordsAsOf:
    """A ``RecordStore`` reading ``history`` as it stood at ``at`` (read only).

    >>> from graph_api.store.records import Record
    >>> class Toy:
    ...     rows = [Record("n", "a", 1, "1", ("open",), {"v": 1}),
    ...             Record("n", "a", 2, "1", ("shut",), {"v": 2}),
    ...             Record("n", "b", 1, "0", ("open",), {"v": 3})]
    ...     times = [10, 20, 15]
    ...     def versions_at(self, kind, ids, at):
    ...         return {r.id: r for r, t in zip(self.rows, self.times) if t <= at and r.id in ids}
    ...     def kind_at(self, kind, at):
    ...         return list(self.versions_at(kind, ["a", "b"], at).values())
    ...     def history_mark(self):
    ...         return 3
    ...     kept_kinds = KeptKinds()
    >>> old, new = RecordsAsOf(Toy(), 16), RecordsAsOf(Toy(), 20)
    >>> old.get("n", "a").doc, [r.id for r in old.find("n", term="open")]
    ({'v': 1}, ['b', 'a'])
    >>> new.get("n", "a").doc, [r.id for r in new.find("n", term="open")], new.count("n")
    ({'v': 2}, ['b'], 2)
    """

    def __init__(self, history: History, at: int) -> None:
        self.history = history
        self.at = at

    def close(self) -> None:
        """Nothing to release: the store it reads is closed with the services."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def get(self, kind: str, id: str) -> Record | None:
        return self.get_many(kind, [id]).get(id)

    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, Record]:
        wanted = list(dict.fromkeys(ids))
        return self.history.versions_at(kind, wanted, self.at) if wanted else {}

    def _kind(self, kind: str) -> list[Record]:
        """Every record of ``kind`` as of the time, by (sort, id): kept per store and
        time while the history does not grow (a page after page reads it once)."""
        kept = self.history.kept_kinds
        mark = self.history.history_mark()
        key = (kind, self.at)
        with kept.lock:
            hit = kept.items.get(key)
            if hit is not None and hit[0] == mark:
                kept.items.move_to_end(key)
                return hit[1]
        records = sorted(self.history.kind_at(kind, self.at), key=lambda r: (r.sort, r.id))
        with kept.lock:
            kept.items[key] = (mark, records)
            while len(kept.items) > KINDS_KEPT:
                kept.items.popitem(last=False)
        return records

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
        records = self._kind(kind)  # by (sort, id)
        keys = [(r.sort, r.id) for r in records]
        start, end = 0, len(records)
        if sort_max is not None:
            end = bisect.bisect_right(keys, (sort_max, "\U0010ffff"))
        if after is not None:
            if descending:
                end = min(end, bisect.bisect_left(keys, after))
            else:
                start = bisect.bisect_right(keys, after)
        chosen = records[start:end]
        out = []
        for r in reversed(chosen) if descending else chosen:
            if term is None or term in r.terms:
                out.append(r)
                if limit is not None and len(out) >= limit:
                    break
        return out

    def count(self, kind: str, term: str | None = None) -> int:
        return sum(1 for r in self._kind(kind) if term is None or term in r.terms)

    def versions(self, kind: str, id: str) -> list[Record]:
        return self.history.versions_upto(kind, id, self.at)

    def as_of(self, at: int) -> RecordsAsOf:
        return self if at >= self.at else RecordsAsOf(self.history, at)

    def put(self, kind: str, id: str, doc: Mapping[str, Any], *, sort: str = "",
            terms: Iterable[str] = (), expect: int | None = None) -> Record:
        raise PermissionError("records as of a past time are not written")

    def put_many(self, items: Iterable[PutItem]) -> None:
        raise PermissionError("records as of a past time are not written")
