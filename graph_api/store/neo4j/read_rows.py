"""What the Neo4j store's reads get back, unpacked: the rows a query collected into
lists, the summaries' ``data`` parsed once (by content), relation rows each once,
``EFact`` rows as node facts, summary rows grouped per entity.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from graph_api.store.facts import EntityFact
from graph_api.store.neo4j.summaries import header_and_state

Row = dict[str, Any]
PARSED = 20_000  # summaries kept parsed, by their data (content: never stale)

RELATION = ("source", "target", "kind", "seq", "confidence")


def _unpack(rows: Iterable[Row], column: str, keys: tuple[str, ...]) -> list[Row]:
    """The entries a query collected into ``column`` (lists in ``keys`` order) as rows."""
    return [dict(zip(keys, item, strict=True)) for r in rows for item in (r[column] or ())]


@lru_cache(maxsize=PARSED)
def _parsed(data: str) -> Row:
    """A summary's ``data`` as a summary row (with it as ``_data``), shared by every read
    of the same summary (a brand's dozens of classes come with every listing's entity),
    so never changed: the writer parses its own (`header_and_state`)."""
    row = header_and_state(data)[0]
    row["_data"] = data
    return row


def _summaries(rows: Iterable[Row], column: str = "sums") -> list[Row]:
    """The summary nodes' ``data`` a query collected into ``column``, as summary rows."""
    return [_parsed(data) for r in rows for data in (r[column] or ())]


def _distinct(rels: Iterable[Row]) -> list[Row]:
    """Relation rows, each relation fact once (a query may meet one from both ends)."""
    return list({(r["source"], r["target"], r["kind"], r["seq"]): r for r in rels}.values())


def _fact(r: Row) -> EntityFact:
    """An ``EFact`` row as a node fact (its class 0: the read returned the caller's)."""
    return tuple.__new__(EntityFact, (r["seq"], 0, r["confidence"], r["kind"], r["name"],
                                      r["region"], r["status"], r["properties"]))


def _by_entity(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Summary rows per entity, each (entity, class) once (queries may repeat one)."""
    out: dict[str, dict[int, Row]] = {}
    for r in rows:
        out.setdefault(r["id"], {}).setdefault(r["first_seq"], r)
    return {eid: list(found.values()) for eid, found in out.items()}
