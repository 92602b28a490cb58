"""GraphML of a case (format GRAPHML -> ``network.graphml``).

Nodes are the view's entities plus one node per test buy (kind TEST_BUY) and per
outcome (kind OUTCOME); edges are the view's relations (keyed by relation id)
plus TEST_BUY_OF / SHIPPED_FROM / CONCERNS edges. Lists and dicts are JSON
strings, absent values are left out (GraphML has no null), so
``networkx.read_graphml`` gives back exactly the nodes, edges and attributes
written here.
"""

from __future__ import annotations

import io
from typing import Any

import networkx as nx

from graph_api.export.common import Writer, assertion_record, dumps, evidence_record, stable_uuid
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

__all__ = ["GRAPHML_FILE", "GraphmlWriter", "outcome_id"]

GRAPHML_FILE = "network.graphml"


def outcome_id(case_id: str, outcome: ExportOutcome) -> str:
    """A stable node id for an outcome (outcomes carry no id of their own)."""
    key = (case_id, iso(outcome.at), outcome.kind, outcome.entity or "", outcome.description)
    return f"outcome-{stable_uuid('outcome', *key)}"


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
            "assertions": dumps([assertion_record(a) for a in assertions]),
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
        buffer = io.BytesIO()
        nx.write_graphml(self.graph, buffer, encoding="utf-8", prettyprint=False)
        return {GRAPHML_FILE: buffer.getvalue()}
