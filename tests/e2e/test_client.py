"""The link-analysis client and the documented example script, against a live server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from graph_api.client import GraphClient, GraphQLError
from tests.e2e.server import Server

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
        with pytest.raises(GraphQLError) as refused:
            brand.network(seeds, max_hops=9)
    assert refused.value.code == "LIMIT_EXCEEDED"
    assert set(narrow) <= set(wide)
    assert "factory-huadu-atelier" in wide and "factory-huadu-atelier" not in narrow


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
