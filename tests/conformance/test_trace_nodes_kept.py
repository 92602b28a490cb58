"""The Neo4j store keeps the node data of traces across operations while the facts
stay at one version (report counter and epoch): a write by another process, or an
emptied database written again, is seen by the next trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_api.services import Services
from graph_api.workflow import start_workflow
from tests.conftest import NEO4J_URI, FixedClock, MakeServices, add_orgs, neo4j_settings
from tests.support import gql

pytestmark = pytest.mark.skipif(not NEO4J_URI, reason="no Bolt server: set "
                                "GRAPH_API_TEST_NEO4J_URI (make test does)")

TRACE = """query($id: ID!) { traceToSource(from: $id) { sources { entity { id name } score } } }"""


def report(rid: str, name: str) -> dict[str, Any]:
    return {"reportId": rid, "source": "OSINT", "confidence": 0.8, "marking": "GREEN",
            "entities": [{"id": "l1", "kind": "LISTING"},
                         {"id": "w1", "kind": "WAREHOUSE", "name": name}],
            "relations": [{"kind": "SHIPS_FROM", "from": "l1", "to": "w1"}]}


def names(services: Services, scope: Any) -> list[str]:
    answer = gql(services, scope, TRACE, {"id": "l1"})
    return [s["entity"]["name"] for s in answer["data"]["traceToSource"]["sources"]]


def test_a_write_elsewhere_is_seen_by_the_next_trace(
    make_services: MakeServices, tmp_path: Path
) -> None:
    first = make_services("neo4j", name="a")
    scopes = add_orgs(first)
    other = start_workflow(  # another worker
        Services.open(neo4j_settings(tmp_path / "a"), clock=FixedClock()))
    try:
        first.submit_report(scopes["acme"], report("r1", "Old name"))
        assert names(first, scopes["rival"]) == ["Old name"]
        assert names(first, scopes["rival"]) == ["Old name"]  # kept: read again alike
        other.submit_report(other.scope_for(first.store.principal(
            scopes["acme"].principal_id)), report("r2", "New name"))
        assert names(first, scopes["rival"]) == ["New name"]
        other.store.reset()  # type: ignore[attr-defined]
        other_scopes = add_orgs(other)
        for rid in ("r1", "r2"):  # the counter back where it was: only the epoch differs
            other.submit_report(other_scopes["acme"], report(rid, "Third name"))
        assert names(first, scopes["rival"]) == ["Third name"]
    finally:
        other.close()
