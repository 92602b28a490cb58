"""Rows to and from Cypher for the Neo4j store.

Writes: the ``$rows`` parameters a batch of reports is written with (one
UNWIND statement per kind of row, whatever the batch size). Reads: the node
and edge data of the embedded graph (``scoped_view``'s shapes: node facts
``(seq, 0, confidence, kind, name, region, status, properties)``, edge facts
``(seq, 0, confidence)``) built from the rows the visibility-filtered reads
return, so the shared reads and the analytics run unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import orjson

from graph_api.model import Report
from graph_api.store.scoped_view import merged_node

__all__ = ["BatchRows", "batch_rows", "chunks", "graph_from_rows", "nodes_from_rows"]

Data = dict[str, Any]
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
                    "shared": list(report.shared_with)}
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


def chunks(rows: list[Any], size: int = CHUNK_ROWS) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def nodes_from_rows(rows: Iterable[Row]) -> dict[str, Data]:
    """Node data from visible fact rows ordered by seq.

    ``reporters`` lists the orgs of the visible facts: enough for the identifier
    value rule, since a caller always sees the facts its own org reported.
    """
    facts: dict[str, list[tuple[Any, ...]]] = {}
    extra: dict[str, Data] = {}
    for r in rows:
        eid = r["id"]
        facts.setdefault(eid, []).append(
            (r["seq"], 0, r["confidence"], r["kind"], r["name"], r["region"], r["status"],
             r["properties"])
        )
        more = extra.setdefault(eid, {"reporters": []})
        if r["org"] not in more["reporters"]:
            more["reporters"].append(r["org"])
        if r["identifier_kind"] is not None:
            more["identifier_kind"] = r["identifier_kind"]
            more["value"] = r["value"]
    out = {}
    for eid, node_facts in facts.items():
        data = merged_node(node_facts)
        data.update(extra[eid])
        out[eid] = data
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
        fact = (r["seq"], 0, conf)
        if data is None:
            miss = 1.0 - conf
            G.add_edge(source, target, key=r["kind"], confidence=1.0 - miss, miss=miss,
                       facts=[fact])
        else:  # the same float steps as the embedded store's
            data["facts"].append(fact)
            data["miss"] *= 1.0 - conf
            data["confidence"] = 1.0 - data["miss"]
    return G
