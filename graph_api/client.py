"""The link-analysis client: GraphQL in, ``networkx.MultiDiGraph`` out.

>>> from graph_api.client import GraphClient          # doctest: +SKIP
>>> client = GraphClient("http://127.0.0.1:8000", token)  # doctest: +SKIP
>>> G = client.trace_to_source("listing-77")           # doctest: +SKIP
>>> sorted(G.nodes(data="kind"))[:2]                   # doctest: +SKIP

Nodes carry ``kind``, ``name``, ``region``, ``status``, ``confidence`` and
``markings`` (the markings of the caller's visible assertions); edges are keyed
by relation kind and carry ``kind``, ``confidence`` and ``markings``. Every
value is what the token's org may see: the client adds nothing the API hides.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
import networkx as nx

__all__ = ["GraphClient", "GraphQLError"]

ENTITY = """id kind name region status confidence assertions { marking }"""
RELATION = """id kind confidence from { id } to { id } assertions { marking }"""

NETWORK = """query($seeds: [ID!]!, $maxHops: Int, $kinds: [RelationKind!], $minConfidence: Float,
                   $limit: Int) {
  network(seeds: $seeds, maxHops: $maxHops, kinds: $kinds, minConfidence: $minConfidence,
          limit: $limit) { truncated nodes { %s } relations { %s } } }""" % (ENTITY, RELATION)

TRACE = """query($from: ID!, $maxDepth: Int, $minConfidence: Float, $paths: Int) {
  traceToSource(from: $from, maxDepth: $maxDepth, minConfidence: $minConfidence) {
    origin { %s }
    sources { score depth entity { id }
      paths(first: $paths) { confidence nodes { %s } relations { %s } } } } }""" % (
    ENTITY,
    ENTITY,
    RELATION,
)

RINGS = """query($minSize: Int, $first: Int) { rings(minSize: $minSize, first: $first) {
  id size regions members { id } keyPlayers { entity { id } score } sources { id }
  knownRing { id } } }"""


class GraphQLError(RuntimeError):
    """An error answer: ``code`` is the GraphQL ``extensions.code``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class GraphClient:
    """A small, synchronous client for scripts and notebooks."""

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("/graphql") else base + "/graphql"
        self._http = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run any GraphQL operation; raises GraphQLError on an error answer."""
        response = self._http.post(self.endpoint, json={"query": query, "variables": variables})
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            first = body["errors"][0]
            raise GraphQLError(first["message"], first.get("extensions", {}).get("code", ""))
        data: dict[str, Any] = body["data"]
        return data

    def network(
        self,
        seeds: Iterable[str],
        max_hops: int = 2,
        kinds: Iterable[str] | None = None,
        min_confidence: float = 0.0,
        limit: int = 2000,
    ) -> nx.MultiDiGraph:
        """The k-hop network around ``seeds``; ``G.graph["truncated"]`` says if cut at limit."""
        data = self.query(
            NETWORK,
            {
                "seeds": list(seeds),
                "maxHops": max_hops,
                "kinds": list(kinds) if kinds is not None else None,
                "minConfidence": min_confidence,
                "limit": limit,
            },
        )["network"]
        G = nx.MultiDiGraph(truncated=data["truncated"])
        _add(G, data["nodes"], data["relations"])
        return G

    def trace_to_source(
        self, origin: str, max_depth: int = 6, min_confidence: float = 0.0, paths: int = 3
    ) -> nx.MultiDiGraph:
        """The upstream paths from ``origin`` to its sources.

        Source nodes carry ``source_score`` and ``source_depth``; ``G.graph["origin"]``.
        """
        data = self.query(
            TRACE,
            {
                "from": origin,
                "maxDepth": max_depth,
                "minConfidence": min_confidence,
                "paths": paths,
            },
        )
        trace = data["traceToSource"]
        G = nx.MultiDiGraph(origin=origin)
        _add(G, [trace["origin"]], [])
        for source in trace["sources"]:
            for path in source["paths"]:
                _add(G, path["nodes"], path["relations"])
            G.nodes[source["entity"]["id"]].update(
                source_score=source["score"], source_depth=source["depth"]
            )
        return G

    def rings(self, min_size: int = 3, first: int = 20) -> list[dict[str, Any]]:
        """Ring candidates as plain dicts (members, key players, sources, regions)."""
        rings: list[dict[str, Any]] = self.query(RINGS, {"minSize": min_size, "first": first})[
            "rings"
        ]
        return rings


def _markings(item: dict[str, Any]) -> list[str]:
    return sorted({a["marking"] for a in item.get("assertions", [])})


def _add(G: nx.MultiDiGraph, nodes: list[dict[str, Any]], relations: list[dict[str, Any]]) -> None:
    for node in nodes:
        G.add_node(
            node["id"],
            kind=node["kind"],
            name=node.get("name"),
            region=node.get("region"),
            status=node.get("status"),
            confidence=node["confidence"],
            markings=_markings(node),
        )
    for rel in relations:
        G.add_edge(
            rel["from"]["id"],
            rel["to"]["id"],
            key=rel["kind"],
            id=rel["id"],
            kind=rel["kind"],
            confidence=rel["confidence"],
            markings=_markings(rel),
        )
