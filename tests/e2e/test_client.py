"""The link-analysis client and the documented example script, against a live server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import networkx as nx
import pytest

import graph_api.client
from graph_api.client import GraphAPIError, GraphClient, ResponseError
from tests.e2e.server import Server, cli

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("demo") / "graph.db", "--demo").start()
    yield server
    server.kill()


def test_trace_comes_back_as_a_multidigraph(demo: Server) -> None:
    token = demo.demo_tokens()[("bazaarhub", "investigator")]
    with GraphClient(demo.url, token) as client:
        listing = "listing-mv-celeste-01"
        G = client.trace_to_source(listing)
        answer = client.query(
            "query($id: ID!) { traceToSource(from: $id) { sources { entity { id } score } } }",
            {"id": listing},
        )["traceToSource"]["sources"]
    assert isinstance(G, nx.MultiDiGraph) and G.graph["origin"] == listing
    scored = {n: d["source_score"] for n, d in G.nodes(data=True) if "source_score" in d}
    assert scored == {s["entity"]["id"]: s["score"] for s in answer}
    for _, _, kind, data in G.edges(keys=True, data=True):
        assert data["kind"] == kind and 0 < data["confidence"] <= 1 and data["markings"]
    assert all(G.nodes[n]["kind"] for n in G)


def test_network_respects_the_callers_view(demo: Server) -> None:
    tokens = demo.demo_tokens()
    seeds = ["store-luxe-bag-vault"]
    with GraphClient(demo.url, tokens[("bazaarhub", "investigator")]) as platform:
        wide = platform.network(seeds, max_hops=3)
    with GraphClient(demo.url, tokens[("stridewell", "investigator")]) as brand:
        narrow = brand.network(seeds, max_hops=3)
        with pytest.raises(GraphAPIError) as refused:
            brand.network(seeds, max_hops=9)
    assert refused.value.code == "LIMIT_EXCEEDED"
    assert set(narrow) <= set(wide)
    assert "factory-huadu-atelier" in wide and "factory-huadu-atelier" not in narrow


TWO_OPERATIONS = """
query Me { me { org { id } } }
query Listing($id: ID!) { entity(id: $id) { id kind } }
"""


def test_query_takes_an_operation_name(demo: Server) -> None:
    with GraphClient(demo.url, demo.demo_tokens()[("ipcu", "investigator")]) as client:
        assert client.query(TWO_OPERATIONS, operation_name="Me") == {"me": {"org": {"id": "ipcu"}}}
        listing = client.query(TWO_OPERATIONS, {"id": "listing-mv-celeste-01"}, "Listing")
        assert listing == {"entity": {"id": "listing-mv-celeste-01", "kind": "LISTING"}}
        with pytest.raises(GraphAPIError) as unnamed:
            client.query(TWO_OPERATIONS)
    assert unnamed.value.code == "BAD_USER_INPUT" and "operation name" in unnamed.value.message


def test_an_error_answer_is_a_graph_api_error_with_code_and_path(demo: Server) -> None:
    assert "GraphQLError" not in graph_api.client.__all__
    assert GraphAPIError.__name__ == "GraphAPIError" and issubclass(ResponseError, GraphAPIError)
    with GraphClient(demo.url, demo.demo_tokens()[("ipcu", "investigator")]) as client:
        with pytest.raises(GraphAPIError) as missing:
            client.query('{ traceToSource(from: "no-such-listing") { origin { id } } }')
        with pytest.raises(GraphAPIError) as syntax:
            client.query("{ entity(id: ")
    assert (missing.value.code, missing.value.path) == ("NOT_FOUND", ["traceToSource"])
    assert missing.value.errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert syntax.value.code == "BAD_USER_INPUT" and syntax.value.path is None
    assert not isinstance(syntax.value, ResponseError)
    with GraphClient(demo.url, "gapi_not_a_token") as stranger:
        with pytest.raises(GraphAPIError) as refused:
            stranger.query("{ me { role } }")
    assert refused.value.code == "UNAUTHENTICATED"


class _Proxy(BaseHTTPRequestHandler):
    """What sits in front of a server on a bad day: an HTML error page."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(502)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_an_answer_that_is_not_graphql_says_what_came_back(demo: Server) -> None:
    proxy = HTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        with GraphClient(f"http://127.0.0.1:{proxy.server_port}", "t") as client:
            with pytest.raises(ResponseError) as html:
                client.query("{ me { role } }")
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert (html.value.code, html.value.status_code) == ("BAD_RESPONSE", 502)
    assert "HTTP 502 with text/html" in str(html.value) and "Bad Gateway" in str(html.value)
    # A mistyped address on the real server: its 404 in the JSON envelope (NOT_FOUND,
    # naming the path), not a JSON decode error.
    token = demo.demo_tokens()[("ipcu", "investigator")]
    with GraphClient(demo.url + "/nothing-here", token) as client:
        with pytest.raises(GraphAPIError) as not_found:
            client.query("{ me { role } }")
    assert not_found.value.code == "NOT_FOUND"
    assert "/nothing-here/graphql" in not_found.value.message


def test_a_relay_walk_with_node(demo: Server) -> None:
    """Page a connection by its cursors as Relay does, then refetch every edge's node by
    id through ``node`` and all of them at once through ``nodes``."""
    page_query = """query($after: String) { entities(kind: LISTING, first: 7, after: $after) {
        totalCount edges { cursor node { id name status } }
        pageInfo { hasNextPage endCursor } } }"""
    refetch = """query($id: ID!) { node(id: $id) { __typename id
        ... on Entity { name status } } }"""
    with GraphClient(demo.url, demo.demo_tokens()[("maison-verel", "investigator")]) as client:
        edges: list[dict[str, Any]] = []
        after = None
        while True:
            page = client.query(page_query, {"after": after})["entities"]
            edges += page["edges"]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        for edge in edges:
            node = client.query(refetch, {"id": edge["node"]["id"]})["node"]
            assert node == {"__typename": "Entity", **edge["node"]}
        ids = [e["node"]["id"] for e in edges]
        many = client.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                            {"ids": [*ids, "no-such-listing"]})["nodes"]
    assert len(ids) == len(set(ids)) == page["totalCount"] > 7
    assert many == [{"id": i} for i in ids] + [None]


COMEBACK = {
    "reportId": "kyc-new-face-client",
    "source": "PLATFORM_DATA",
    "confidence": 0.9,
    "marking": "GREEN",
    "entities": [
        {"id": "seller-new-face", "kind": "SELLER", "name": "New Face Trading"},
        {"id": "bank", "kind": "IDENTIFIER", "identifierKind": "BANK_ACCOUNT",
         "value": "6217 0038 4421 9960"},
    ],
    "relations": [{"kind": "USES", "from": "seller-new-face", "to": "bank"}],
}
SUBMIT = "mutation($input: ReportInput!) { submitReport(input: $input) { created } }"


@pytest.fixture
def fresh_demo(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "graph.db", "--demo").start()
    yield server
    server.kill()


def test_subscribe_hears_an_alert_raised_by_a_report(fresh_demo: Server) -> None:
    tokens = fresh_demo.demo_tokens()
    police = GraphClient(fresh_demo.url, tokens[("ipcu", "investigator")])
    platform = GraphClient(fresh_demo.url, tokens[("bazaarhub", "investigator")])
    with police, platform, police.alerts(kind="RECIDIVISM") as alerts:
        assert platform.query(SUBMIT, {"input": COMEBACK}) == {"submitReport": {"created": True}}
        heard = [alerts.next(timeout=20)["alertRaised"]]
        try:
            while True:  # one write may raise several alerts
                heard.append(alerts.next(timeout=2)["alertRaised"])
        except TimeoutError:
            pass
    by_subject = {a["subject"]["id"]: a for a in heard}
    alert = by_subject["seller-new-face"]
    assert alert["kind"] == "RECIDIVISM" and alert["id"].startswith("alert-recidivism-")
    path = [n["id"] for n in alert["explanation"][0]["nodes"]]
    assert path[0] == "seller-new-face" and path[-1] == "seller-golden-step"


def test_the_server_speaks_in_text_frames(demo: Server) -> None:
    """graphql-transport-ws carries JSON in text frames; npm graphql-ws and Python gql
    refuse binary ones (the client here reads both, and records which it got)."""
    with GraphClient(demo.url, demo.demo_tokens()[("ipcu", "investigator")]) as client:
        with client.alerts() as alerts:
            pass
    assert alerts.frames == {"text"}


def test_subscribe_with_a_bad_or_revoked_token_is_refused(fresh_demo: Server) -> None:
    with GraphClient(fresh_demo.url, "gapi_wrong") as stranger:
        with pytest.raises(GraphAPIError) as wrong:
            stranger.alerts()
    issued = cli(fresh_demo.db, "token", "issue", "--org", "ipcu", "--role", "investigator")
    token = issued.stdout.split()[-1]
    with GraphClient(fresh_demo.url, token) as client:
        with client.alerts() as alerts:
            with pytest.raises(TimeoutError):
                alerts.next(timeout=0.5)  # accepted: nothing raised yet
        principal = client.query("{ me { id } }")["me"]["id"]
        cli(fresh_demo.db, "token", "revoke", principal)
        with pytest.raises(GraphAPIError) as revoked:
            client.alerts()
    assert {wrong.value.code, revoked.value.code} <= {"UNAUTHENTICATED", "FORBIDDEN"}
    assert wrong.value.message and revoked.value.message


def test_the_documented_example_runs(demo: Server, tmp_path: Path) -> None:
    token = demo.demo_tokens()[("ipcu", "investigator")]
    png = tmp_path / "ring.png"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "docs" / "examples" / "trace_and_draw.py"),
            demo.url,
            token,
            "listing-mv-celeste-01",
            "--png",
            str(png),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "sources" in done.stdout and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def python_blocks(markdown: str) -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", markdown, flags=re.S)]


@pytest.mark.parametrize("doc", ["docs/link-analysis.md", "README.md"])
def test_every_python_example_in_the_docs_runs_as_written(doc: str, demo: Server) -> None:
    """Each ```python block runs as written in a fresh interpreter, given only the
    server's address and a token in GRAPH_API_TOKEN: it imports every name it uses."""
    blocks = python_blocks((ROOT / doc).read_text())
    assert blocks
    token = demo.demo_tokens()[("ipcu", "investigator")]
    for block in blocks:
        assert "http://127.0.0.1:8000" in block
        done = subprocess.run(
            [sys.executable, "-c", block.replace("http://127.0.0.1:8000", demo.url)],
            capture_output=True, text=True, timeout=180, cwd=ROOT,
            env={**os.environ, "GRAPH_API_TOKEN": token},
        )
        assert done.returncode == 0, f"{doc}:\n{block}\n{done.stderr[-3000:]}"


def test_http_errors_of_the_client_stay_httpx(tmp_path: Path) -> None:
    """Nothing listening: the network's own error, not a GraphQL one."""
    with GraphClient("http://127.0.0.1:9", "t", timeout=2) as client:
        with pytest.raises(httpx.TransportError):
            client.query("{ me { role } }")
