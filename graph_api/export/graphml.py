"""GraphML of a case (format GRAPHML -> ``network.graphml``).

Nodes are the view's entities plus one node per test buy (kind TEST_BUY) and per
outcome (kind OUTCOME); edges are the view's relations (keyed by relation id)
plus TEST_BUY_OF / SHIPPED_FROM / CONCERNS edges. Lists and dicts are JSON
strings, absent values are left out (GraphML has no null), so
``networkx.read_graphml`` gives back exactly the nodes, edges and attributes
written here.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from graph_api.export.common import Writer, assertions_json, dumps, evidence_record, outcome_id
from graph_api.export.view import (
    CaseView,
    ExportEntity,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
    first_reported,
    highest_marking,
    iso,
    last_reported,
    marking_of,
    reporters,
)
from graph_api.model import Assertion

__all__ = ["GRAPHML_FILE", "GraphmlWriter"]

GRAPHML_FILE = "network.graphml"
JOIN_SLICE = 20_000  # lines joined and encoded per call


class GraphmlWriter(Writer):
    format = "GRAPHML"

    def __init__(self, view: CaseView) -> None:
        super().__init__(view)
        self.graph = nx.MultiDiGraph()
        self.graph.graph.update(
            {
                "case_id": view.case_id,
                "title": view.title,
                "status": view.status,
                "case_marking": view.marking.value,
                "highest_marking": highest_marking(view).value,
                "exporter": view.exporter.id,
                "exporter_principal": view.exporter_principal,
                "recipient": view.recipient,
                "created_at": iso(view.created_at),
            }
        )

    def _provenance(self, assertions: tuple[Assertion, ...]) -> dict[str, Any]:
        return {
            "marking": marking_of(assertions, self.view.marking).value,
            "reported_by": dumps(reporters(assertions)),
            "first_reported": iso(first_reported(assertions, self.view.created_at)),
            "last_reported": iso(last_reported(assertions, self.view.created_at)),
            "assertions": assertions_json(assertions),
        }

    def write_entity(self, entity: ExportEntity) -> None:
        data: dict[str, Any] = {
            "kind": entity.kind.value,
            "label": entity.name or entity.id,
            "confidence": float(entity.confidence),
            "properties": dumps(entity.properties),
        }
        optional = {
            "name": entity.name,
            "region": entity.region,
            "status": entity.status,
            "identifier_kind": entity.identifier_kind.value if entity.identifier_kind else None,
            "value": entity.value,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        data.update(self._provenance(entity.assertions))
        self.graph.add_node(entity.id, **data)

    def write_relation(self, relation: ExportRelation) -> None:
        self.graph.add_edge(
            relation.source,
            relation.target,
            key=relation.id,
            kind=relation.kind.value,
            confidence=float(relation.confidence),
            **self._provenance(relation.assertions),
        )

    def write_test_buy(self, buy: ExportTestBuy) -> None:
        common = {"marking": buy.marking.value, "reported_by": dumps([buy.reported_by])}
        self.graph.add_node(
            buy.id,
            kind="TEST_BUY",
            label=f"Test buy: {buy.result}",
            result=buy.result,
            first_reported=iso(buy.ordered_at),
            evidence=dumps([evidence_record(e) for e in buy.evidence]),
            **common,
        )
        self.graph.add_edge(
            buy.id, buy.listing, key=f"{buy.id}:TEST_BUY_OF", kind="TEST_BUY_OF", **common
        )
        if self.known(buy.shipped_from):
            self.graph.add_edge(
                buy.id,
                str(buy.shipped_from),
                key=f"{buy.id}:SHIPPED_FROM",
                kind="SHIPPED_FROM",
                **common,
            )

    def write_outcome(self, outcome: ExportOutcome) -> None:
        node = outcome_id(self.view.case_id, outcome)
        data: dict[str, Any] = {
            "kind": "OUTCOME",
            "label": outcome.kind,
            "outcome_kind": outcome.kind,
            "description": outcome.description,
            "first_reported": iso(outcome.at),
            "marking": self.view.marking.value,
        }
        if outcome.value is not None:
            data["amount"] = float(outcome.value)
        self.graph.add_node(node, **data)
        if self.known(outcome.entity):
            self.graph.add_edge(
                node,
                str(outcome.entity),
                key=f"{node}:CONCERNS",
                kind="CONCERNS",
                marking=self.view.marking.value,
            )

    def finalize(self) -> dict[str, bytes]:
        return {GRAPHML_FILE: graphml_bytes(self.graph)}


# Streamed by hand: networkx.write_graphml through ElementTree takes 9 s on a
# 10,000-node / 40,000-edge case, this about one. The output is plain GraphML
# that networkx.read_graphml reads back to the same graph.
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """Element text that survives an XML parser unchanged (\\r kept as a reference)."""
    value = _INVALID_XML.sub("\ufffd", value)
    return escape(value).replace("\r", "&#13;")


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "string"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return _text(str(value))


def graphml_bytes(graph: nx.MultiDiGraph) -> bytes:
    """GraphML of a multigraph whose attribute values are str, int, float or bool."""
    keys: dict[tuple[str, str], tuple[str, str]] = {}  # (scope, name) -> (key id, type)

    def key(scope: str, name: str, value: Any) -> str:
        found = keys.get((scope, name))
        if found is None:
            found = keys[(scope, name)] = (f"d{len(keys)}", _type_of(value))
        elif found[1] != _type_of(value):
            raise TypeError(
                f"attribute {name!r} of {scope}s mixes {found[1]} and {_type_of(value)}"
            )
        return found[0]

    body: list[str] = []
    for name, value in graph.graph.items():
        body.append(f'<data key="{key("graph", name, value)}">{_value(value)}</data>')
    for node, data in graph.nodes(data=True):
        cells = "".join(f'<data key="{key("node", k, v)}">{_value(v)}</data>'
                        for k, v in data.items())  # fmt: skip
        body.append(f"<node id={quoteattr(str(node))}>{cells}</node>")
    for source, target, edge_key, data in graph.edges(keys=True, data=True):
        cells = "".join(f'<data key="{key("edge", k, v)}">{_value(v)}</data>'
                        for k, v in data.items())  # fmt: skip
        body.append(
            f"<edge source={quoteattr(str(source))} target={quoteattr(str(target))} "
            f"id={quoteattr(str(edge_key))}>{cells}</edge>"
        )
    head = [
        "<?xml version='1.0' encoding='utf-8'?>",
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ]
    for (scope, name), (key_id, kind) in keys.items():
        head.append(f'<key id="{key_id}" for="{scope}" attr.name={quoteattr(name)} '
                    f'attr.type="{kind}" />')  # fmt: skip
    head.append('<graph edgedefault="directed">')
    graph_data = [line for line in body if line.startswith("<data")]
    rest = body[len(graph_data) :]
    lines = [*head, *graph_data, *rest, "</graph>", "</graphml>", ""]
    # joined and encoded a slice at a time: at once, it held the GIL for up to 0.7 s
    # (packages are written on a thread beside the request loop: graph_api.offload)
    return b"\n".join("\n".join(lines[at : at + JOIN_SLICE]).encode("utf-8")
                      for at in range(0, len(lines), JOIN_SLICE))
