"""The Neo4j store's reads run under the request's time budget on the server too.

traceToSource reads every upstream path in one variable-length query; over a
dense warehouse cluster the paths multiply with each hop and the server can
run for minutes. Inside a request's budget every read hands the server what
is left of it (the driver's per-query timeout, which Neo4j enforces); ArcadeDB
ignores that timeout and enforces its own ``arcadedb.command.timeout``, which
the test sets on the test database through ArcadeDB's HTTP API (in production a
server setting: docs/deploy.md). Either way the request ends with LIMIT_EXCEEDED
soon after its budget, like the embedded store's.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from neo4j import Query

from graph_api import deadline
from graph_api.analytics.walks import UPSTREAM_KINDS
from graph_api.errors import LimitExceeded
from graph_api.services import Services
from graph_api.store.neo4j.faults import timed_out
from graph_api.store.neo4j.store import Neo4jStore
from tests.conftest import NEO4J_URI, MakeServices, add_orgs

ARCADEDB_HTTP = os.environ.get("GRAPH_API_TEST_ARCADEDB_HTTP")
LAYERS, WIDTH = 8, 6  # WIDTH ** LAYERS = 1.7M walkable paths from the listing


def dense_cluster() -> dict[str, Any]:
    """A listing shipped from a cluster of warehouse layers, each warehouse supplied by
    every warehouse of the next layer."""
    entities: list[dict[str, Any]] = [{"id": "lst", "kind": "LISTING"}]
    relations: list[dict[str, Any]] = []
    for layer in range(LAYERS):
        for i in range(WIDTH):
            entities.append({"id": f"w{layer}-{i}", "kind": "WAREHOUSE"})
            if layer == 0:
                relations.append({"kind": "SHIPS_FROM", "from": "lst", "to": f"w0-{i}"})
            else:
                relations += [{"kind": "SUPPLIED_BY", "from": f"w{layer - 1}-{j}",
                               "to": f"w{layer}-{i}"} for j in range(WIDTH)]
    return {"reportId": "cluster", "source": "OSINT", "confidence": 0.9, "marking": "GREEN",
            "entities": entities, "relations": relations}


@contextlib.contextmanager
def server_time_limit(ms: int) -> Iterator[None]:
    """ArcadeDB's command timeout on the test database while the block runs (a real
    Neo4j needs nothing: it enforces the driver's timeout)."""
    if ARCADEDB_HTTP is None:
        yield
        return
    auth = ("root", os.environ.get("GRAPH_API_TEST_NEO4J_PASSWORD", ""))
    database = os.environ.get("GRAPH_API_TEST_NEO4J_DATABASE", "neo4j")

    def setting(value: int) -> None:
        answer = httpx.post(f"{ARCADEDB_HTTP}/api/v1/server", auth=auth, json={
            "command": f"set database setting {database} arcadedb.command.timeout {value}"})
        answer.raise_for_status()

    setting(ms)
    try:
        yield
    finally:
        setting(0)  # the default: no limit


@pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")
def test_a_trace_over_a_dense_cluster_ends_at_the_time_limit(
    make_services: MakeServices,
) -> None:
    services: Services = make_services("neo4j")
    scope = add_orgs(services)["acme"]
    services.submit_report(scope, dense_cluster())
    store = services.store
    assert isinstance(store, Neo4jStore)
    seconds = 0.3
    start = time.monotonic()
    with server_time_limit(300), pytest.raises(LimitExceeded) as err, \
            deadline.budget(seconds):
        store.view(scope, ["lst"], 8, UPSTREAM_KINDS, upstream=True)
    took = time.monotonic() - start
    assert err.value.code == "LIMIT_EXCEEDED"
    assert "time limit" in err.value.message
    assert took < seconds + 5, f"the server ran {took:.1f} s past a {seconds} s budget"
    # a shallow trace of the same cluster answers within a request's budget
    with deadline.budget(30):
        G = store.view(scope, ["lst"], 2, UPSTREAM_KINDS, upstream=True)
    assert len(G) == 1 + 2 * WIDTH


class _Recorder:
    """A session that records what it is asked to run."""

    def __init__(self) -> None:
        self.runs: list[Any] = []

    def run(self, work: Any, params: dict[str, Any]) -> _NoRows:
        self.runs.append(work)
        return _NoRows()


class _NoRows(list[Any]):
    """A result without records."""

    def keys(self) -> list[str]:
        return []


def test_reads_hand_the_server_what_is_left_of_the_budget() -> None:
    store = Neo4jStore.__new__(Neo4jStore)  # no server: only _read's plumbing
    session = _Recorder()
    store._session = lambda mode: session  # type: ignore[method-assign]
    store._ahead = {}  # no query's audit record begun
    store._read("read_counter", key="seq")
    assert isinstance(session.runs[-1], str)  # outside a request: no limit
    with deadline.budget(2.0):
        store._read("read_counter", key="seq")
    sent = session.runs[-1]
    assert isinstance(sent, Query) and sent.timeout is not None and 0 < sent.timeout <= 2.0


@pytest.mark.parametrize(("code", "message", "expected"), [
    ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", "terminated", True),
    ("Neo.ClientError.Transaction.TransactionTimedOut", "db.transaction.timeout", True),
    ("Neo.ClientError.Transaction.TransactionTimedOut",  # what ArcadeDB 26.10 answers
     "the command exceeded the arcadedb.command.timeout of 300ms", True),
    ("Neo.ClientError.Statement.SyntaxError", "bad", False),
])
def test_server_timeouts_are_told_apart(code: str, message: str, expected: bool) -> None:
    from neo4j.exceptions import Neo4jError

    exc = Neo4jError._hydrate_neo4j(code=code, message=message)
    assert timed_out(exc) is expected
