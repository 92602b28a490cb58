"""The link-analysis client: GraphQL in, ``networkx.MultiDiGraph`` out.

>>> from graph_api.client import GraphClient            # doctest: +SKIP
>>> client = GraphClient("http://127.0.0.1:8000", token)  # doctest: +SKIP
>>> G = client.trace_to_source("listing-77")           # doctest: +SKIP
>>> sorted(G.nodes(data="kind"))[:2]                   # doctest: +SKIP

Nodes carry ``kind``, ``name``, ``region``, ``status``, ``confidence`` and
``markings`` (the markings of the caller's visible assertions); edges are keyed
by relation kind and carry ``kind``, ``confidence`` and ``markings``. Every
value is what the token's org may see: the client adds nothing the API hides.

Errors, all raised as the client's own classes (graphql-core's ``GraphQLError``
is the server's; ``graph_api.errors`` is the server's hierarchy)::

    GraphAPIError           an error answer: .code (extensions.code), .path, .errors
     └── ResponseError      an answer that is not GraphQL at all (a proxy's HTML page,
                            a 502, a body that is not JSON): .status_code, .content_type

Network failures stay ``httpx`` (and ``websockets``) exceptions.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import networkx as nx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

__all__ = ["GraphAPIError", "GraphClient", "ResponseError", "Subscription"]

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

ALERTS = """subscription($kind: AlertKind) { alertRaised(kind: $kind) {
  id kind raisedAt subject { id kind name status }
  explanation { confidence nodes { id kind name } relations { kind from { id } to { id } } } } }"""

# graphql-transport-ws close codes the server refuses a connection with.
CLOSE_CODES = {4400: "BAD_USER_INPUT", 4401: "UNAUTHENTICATED", 4403: "FORBIDDEN",
               4429: "RATE_LIMITED"}
GRAPHQL_MEDIA = ("application/graphql-response+json", "application/json")


class GraphAPIError(Exception):
    """An error answer. ``code`` is the first error's ``extensions.code`` (``NOT_FOUND``,
    ``LIMIT_EXCEEDED``, ...), ``path`` its path (``["entity", "relations"]``) or None,
    ``errors`` every error as the server sent it, ``data`` whatever data came with them."""

    def __init__(
        self,
        message: str,
        code: str,
        path: list[str | int] | None = None,
        errors: list[dict[str, Any]] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.message = message
        self.code = code
        self.path = path
        self.errors = errors if errors is not None else []
        self.data = data

    @classmethod
    def from_errors(
        cls, errors: list[dict[str, Any]], data: dict[str, Any] | None = None
    ) -> GraphAPIError:
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        extensions = first.get("extensions") or {}
        code = extensions.get("code") if isinstance(extensions, dict) else None
        return cls(str(first.get("message", "error")), str(code or "UNKNOWN"),
                   first.get("path"), errors, data)


class ResponseError(GraphAPIError):
    """The server (or something in front of it) answered with something other than a
    GraphQL response: ``code`` is ``BAD_RESPONSE``, the message says what came back."""

    def __init__(self, message: str, status_code: int | None, content_type: str | None) -> None:
        super().__init__(message, "BAD_RESPONSE")
        self.status_code = status_code
        self.content_type = content_type


class GraphClient:
    """A small, synchronous client for scripts and notebooks."""

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("/graphql") else base + "/graphql"
        self.token = token
        self.timeout = timeout
        self._http = httpx.Client(
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/graphql-response+json, application/json;q=0.9",
            },
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a query or mutation (``operation_name`` picks one of several in
        ``document``) and return its ``data``; raises ``GraphAPIError`` on an error
        answer, ``ResponseError`` on an answer that is not GraphQL."""
        body: dict[str, Any] = {"query": document}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        response = self._http.post(self.endpoint, json=body)
        answer = _answer(response)
        errors = answer.get("errors")
        data = answer.get("data")
        if errors:
            raise GraphAPIError.from_errors(errors, data if isinstance(data, dict) else None)
        if not isinstance(data, dict):
            raise _not_graphql(response, "a GraphQL response with neither data nor errors")
        return data

    def subscribe(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Subscription:
        """Start a subscription over graphql-transport-ws on the same ``/graphql``; the
        token goes in ``connection_init``. Iterate the returned ``Subscription`` for each
        event's ``data``; close it (or use ``with``) to stop."""
        url = "ws" + self.endpoint.removeprefix("http")
        with contextlib.ExitStack() as stack:
            ws = stack.enter_context(connect(
                url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                open_timeout=self.timeout,
            ))
            subscription = Subscription(ws, self.token, document, variables, operation_name,
                                        self.timeout)
            subscription._closing = stack.pop_all()  # the connection now lives with it
        return subscription

    def alerts(self, kind: str | None = None) -> Subscription:
        """``alertRaised`` as it happens: each event is ``{"alertRaised": {...}}`` with the
        alert's id, kind, raisedAt, subject and explanation paths (the caller's view)."""
        return self.subscribe(ALERTS, {"kind": kind})

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


class Subscription:
    """One graphql-transport-ws subscription: an iterator of the events' ``data``.

    ``next(timeout=...)`` waits at most that many seconds (``TimeoutError`` after);
    iteration ends when the server completes the subscription. An ``error`` message,
    or a refused connection (close code 4401 unauthenticated, 4403 forbidden or a
    revoked token), raises ``GraphAPIError`` with the matching code.
    """

    def __init__(
        self,
        ws: ClientConnection,
        token: str,
        document: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        timeout: float,
    ) -> None:
        self._ws = ws
        self._closing = contextlib.ExitStack()
        self.id = "1"  # one subscription per connection
        self.done = False
        self.frames: set[str] = set()  # "text" / "binary": what the server has sent
        self._send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        ack = self._receive(timeout)
        if ack.get("type") != "connection_ack":
            raise ResponseError(f"expected connection_ack, got {ack!r}", None, None)
        payload: dict[str, Any] = {"query": document}
        if variables is not None:
            payload["variables"] = variables
        if operation_name is not None:
            payload["operationName"] = operation_name
        self._send({"id": self.id, "type": "subscribe", "payload": payload})

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        return self.next()

    def next(self, timeout: float | None = None) -> dict[str, Any]:
        """The next event's ``data``; ``StopIteration`` once the subscription completed."""
        while not self.done:
            message = self._receive(timeout)
            kind = message.get("type")
            if kind == "ping":
                self._send({"type": "pong"})
            elif message.get("id") != self.id:
                continue  # pong, or another operation's message
            elif kind == "next":
                result = message.get("payload") or {}
                if result.get("errors"):
                    raise GraphAPIError.from_errors(result["errors"], result.get("data"))
                data: dict[str, Any] = result.get("data") or {}
                return data
            elif kind == "error":
                self.done = True
                errors = message.get("payload")
                raise GraphAPIError.from_errors(errors if isinstance(errors, list) else [])
            elif kind == "complete":
                self.done = True
        raise StopIteration

    def close(self) -> None:
        """Stop the subscription and close the connection."""
        if not self.done:
            self.done = True
            try:
                self._send({"id": self.id, "type": "complete"})
            except ConnectionClosed:
                pass
        self._closing.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, message: dict[str, Any]) -> None:
        self._ws.send(json.dumps(message))

    def _receive(self, timeout: float | None) -> dict[str, Any]:
        try:
            frame = self._ws.recv(timeout)
        except ConnectionClosed as closed:
            self.done = True
            code = closed.rcvd.code if closed.rcvd is not None else None
            reason = closed.rcvd.reason if closed.rcvd is not None else ""
            if code in CLOSE_CODES:
                raise GraphAPIError(reason or f"connection closed ({code})",
                                    CLOSE_CODES[code]) from None
            raise
        self.frames.add("text" if isinstance(frame, str) else "binary")
        try:
            message = json.loads(frame)
        except ValueError:
            raise ResponseError(f"a WebSocket message that is not JSON: {frame[:200]!r}",
                                None, None) from None
        if not isinstance(message, dict):
            raise ResponseError(f"a WebSocket message that is not an object: {message!r}",
                                None, None)
        return message


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a GraphQL response, at any HTTP status; ``ResponseError`` for
    anything else (a proxy's error page, an empty body, text)."""
    content_type = response.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media not in GRAPHQL_MEDIA:
        raise _not_graphql(response, f"{media or 'no content type'}")
    try:
        answer = response.json()
    except ValueError:
        raise _not_graphql(response, f"{media} that is not JSON") from None
    if not isinstance(answer, dict) or not ({"data", "errors"} & answer.keys()):
        raise _not_graphql(response, "JSON that is not a GraphQL response")
    return answer


def _not_graphql(response: httpx.Response, what: str) -> ResponseError:
    text = response.text.strip().replace("\n", " ")
    excerpt = text[:200] + ("..." if len(text) > 200 else "")
    return ResponseError(
        f"{response.request.url} answered HTTP {response.status_code} with {what}, not a "
        f"GraphQL response" + (f": {excerpt!r}" if excerpt else " (empty body)"),
        response.status_code,
        response.headers.get("content-type"),
    )


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
