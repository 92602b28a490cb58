"""Rows to and from Cypher for the Neo4j store.

Writes: the ``$rows`` parameters a batch of reports is written with (one
UNWIND statement per kind of row, whatever the batch size), entity facts
folded into their classes' summaries (``summaries``). Reads: the
embedded graph's edge data (``scoped_view``'s shapes: edge facts
``RelationFact(seq, 0, confidence)``) from the rows the visibility-filtered reads return,
so the shared reads and the analytics run unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import orjson
from neo4j import Result

from graph_api.access import instant
from graph_api.model import Report
from graph_api.store.facts import Data, RelationFact
from graph_api.store.neo4j.summaries import ClassState, class_key

__all__ = [
    "BatchRows",
    "QuietRows",
    "SummaryRows",
    "batch_rows",
    "chunks",
    "class_keys",
    "graph_from_rows",
    "quiet",
    "relation_chunks",
    "rows_of",
    "summary_rows",
]

Row = dict[str, Any]
CHUNK_ROWS = 10_000  # rows per statement: ArcadeDB's sweet spot at -Xmx1g


@dataclass
class BatchRows:
    heads: list[Row] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    entities: list[Row] = field(default_factory=list)
    relations: list[Row] = field(default_factory=list)


def batch_rows(reports: Iterable[Report], first_seq: int) -> BatchRows:
    """The rows of reports numbered from ``first_seq`` (report keys, oldest first)."""
    out = BatchRows()
    ids: dict[str, None] = {}
    for seq, report in enumerate(reports, first_seq):
        envelope = {"seq": seq, "org": report.org_id, "marking": report.marking.value,
                    "shared": list(report.shared_with), "at": instant(report.received_at)}
        out.heads.append({
            **envelope, "report_id": report.id, "principal": report.principal_id,
            "received_at": report.received_at.isoformat(), "source": report.source.value,
            "confidence": report.confidence, "digest": report.digest,
            "entities": len(report.entities), "relations": len(report.relations),
            "evidence": orjson.dumps([
                {"id": e.id, "kind": e.kind, "description": e.description,
                 "sha256": e.sha256, "uri": e.uri} for e in report.evidence
            ]).decode(),
        })
        for e in report.entities:
            ids[e.id] = None
            out.entities.append({
                **envelope, "confidence": report.confidence, "id": e.id, "kind": e.kind.value,
                "name": e.name, "region": e.region, "status": e.status,
                "properties": orjson.dumps(e.properties).decode() if e.properties else None,
                "identifier_kind": e.identifier_kind.value if e.identifier_kind else None,
                "value": e.value,
            })
        out.relations += [{
            **envelope, "source": r.source, "target": r.target, "kind": r.kind.value,
            "confidence": r.confidence,
        } for r in report.relations]
    out.ids = list(ids)
    return out


class QuietRows(list[Any]):
    """A list parameter whose ``repr`` is its length. The driver formats every
    statement's parameters for its debug log before the log asks whether debug is on
    (neo4j 6.4, ``Bolt5x2.run``): for a 10,000-row statement that was half the client's
    CPU (51–84 ms, 24 ms with these).

    >>> QuietRows([{"id": "a"}, {"id": "b"}]), QuietRows([1, 2]) == [1, 2]
    (<2 rows>, True)
    """

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


def quiet(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with each list parameter a `QuietRows`."""
    return {k: QuietRows(v) if type(v) is list else v for k, v in params.items()}


def chunks(rows: list[Any], size: int = CHUNK_ROWS) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield QuietRows(rows[start : start + size])


def relation_chunks(relations: list[Row], size: int = CHUNK_ROWS
                    ) -> Iterator[tuple[list[str], list[Row]]]:
    """Relation rows in chunks, each as its distinct end ids and the rows with their
    ``source`` and ``target`` given as positions in that list
    (``create_relation_facts``).

    >>> [(list(ends), [(r["source"], r["target"]) for r in rows]) for ends, rows in relation_chunks(
    ...     [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}])]
    [(['a', 'b', 'c'], [(0, 1), (1, 2)])]
    """
    for part in chunks(relations, size):
        ends: dict[str, int] = {}
        rows = []
        for r in part:
            source = ends.setdefault(r["source"], len(ends))
            target = ends.setdefault(r["target"], len(ends))
            rows.append({**r, "source": source, "target": target})
        yield QuietRows(ends), QuietRows(rows)


@dataclass
class SummaryRows:
    """What a batch's entity facts write: new summaries, changed summaries, and the
    facts of hub classes (``EFact`` nodes)."""

    creates: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)
    facts: list[Row] = field(default_factory=list)


def class_keys(entities: Iterable[Row]) -> list[str]:
    """The summary keys a batch's entity fact rows touch, each once."""
    return list(dict.fromkeys(
        class_key(r["id"], r["org"], r["marking"], r["shared"]) for r in entities
    ))


def summary_rows(entities: list[Row], existing: dict[str, tuple[Row, ClassState]]
                 ) -> SummaryRows:
    """Fold a batch's entity fact rows (report keys ascending) into the summaries of
    their classes; ``existing`` holds the stored header and state of the keys that have
    one (`header_and_state`)."""
    out = SummaryRows()
    touched: dict[str, tuple[Row, ClassState, bool]] = {}
    first_at: dict[str, int] = {}  # the earliest time of each summary's facts in the batch
    for r in entities:
        skey = class_key(r["id"], r["org"], r["marking"], r["shared"])
        at = r.get("at")  # none: a migration's rows (its times come after)
        if at is not None and (skey not in first_at or at < first_at[skey]):
            first_at[skey] = at
        found = touched.get(skey)
        if found is None:
            stored = existing.get(skey)
            if stored is None:
                header = {"id": r["id"], "org": r["org"], "first_seq": r["seq"],
                          "kind": r["kind"], "marking": r["marking"], "shared": r["shared"]}
                found = touched[skey] = (header, ClassState(), True)
            else:
                found = touched[skey] = (stored[0], stored[1], False)
        header, state, _ = found
        fact = [r["seq"], r["confidence"], r["kind"], r["name"], r["region"], r["status"],
                r["properties"], r["identifier_kind"], r["value"]]
        for moved in state.add(fact):
            out.facts.append({
                "id": r["id"], "org": r["org"], "marking": r["marking"], "shared": r["shared"],
                "seq": moved[0], "confidence": moved[1], "kind": moved[2], "name": moved[3],
                "region": moved[4], "status": moved[5], "properties": moved[6],
                "identifier_kind": moved[7], "value": moved[8],
            })
    for skey, (header, state, new) in touched.items():
        data = state.dump(header["id"], header["org"], header["first_seq"], header["kind"])
        seqs = None if state.facts is None else [f[0] for f in state.facts]
        if new:
            out.creates.append({
                "skey": skey, "eid": header["id"], "org": header["org"],
                "marking": header["marking"], "shared": header["shared"],
                "first_seq": header["first_seq"], "kind": header["kind"], "data": data,
                "seqs": seqs, "at": first_at.get(skey),
            })
        else:
            out.updates.append({"skey": skey, "data": data, "seqs": seqs,
                                "at": first_at.get(skey)})
    return out


def graph_from_rows(nodes: dict[str, Data], rows: Iterable[Row]) -> nx.MultiDiGraph:
    """A MultiDiGraph of ``nodes`` and the visible relation rows between two of them."""
    G = nx.MultiDiGraph()
    for eid, data in nodes.items():
        G.add_node(eid, **data)
    for r in sorted(rows, key=lambda r: r["seq"]):
        source, target, conf = r["source"], r["target"], r["confidence"]
        if source not in nodes or target not in nodes:
            continue  # a relation is visible only with both ends
        data = G.succ[source].get(target, {}).get(r["kind"])
        fact = tuple.__new__(RelationFact, (r["seq"], 0, conf))
        if data is None:
            miss = 1.0 - conf
            G.add_edge(source, target, key=r["kind"], confidence=1.0 - miss, miss=miss,
                       facts=[fact])
        else:  # the same float steps as the embedded store's
            data["facts"].append(fact)
            data["miss"] *= 1.0 - conf
            data["confidence"] = 1.0 - data["miss"]
    return G


def rows_of(result: Result) -> list[dict[str, Any]]:
    """A result's records as dicts of their values as the driver hydrated them: every
    query here returns plain values (no nodes or paths), which ``Record.data()`` would
    copy one by one through its recursive transform (a few hundred us a query)."""
    keys = result.keys()
    return [dict(zip(keys, record, strict=True)) for record in result]
