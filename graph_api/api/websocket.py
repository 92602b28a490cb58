"""``/graphql`` over a WebSocket: the ``graphql-transport-ws`` protocol, text frames.

The protocol (github.com/enisdenjo/graphql-ws, PROTOCOL.md) as the npm ``graphql-ws``
client, Python's ``gql`` and GraphiQL speak it: ``connection_init`` (the token in its
payload as ``{"Authorization": "Bearer TOKEN"}`` or ``{"token": "TOKEN"}``, else the
upgrade request's ``Authorization`` header), ``connection_ack``, then any number of
``subscribe`` messages — queries, mutations and subscriptions alike — each answered
by ``next`` messages and ``complete``, or by one ``error``; ``ping``/``pong``.

Each ``subscribe`` is one operation of the pipeline (``api.pipeline``), as an HTTP
request is: its token looked up again, one token from its rate bucket, its own
``Operation``, audit record and time budget, its cost charged to the token's one
budget (``api.cost``), errors with ``extensions.code``. A ``subscribe`` payload may
name its document by its hash alone (``extensions.persistedQuery``, ``api.persisted``)
as an HTTP request may: an unknown hash is answered by an ``error`` message with
PERSISTED_QUERY_NOT_FOUND, and the client subscribes again with the document. A
connection keeps nothing between operations but its credentials.

Close codes: 4400 a message that is not the protocol's; 4401 no token (or
``subscribe`` before ``connection_ack``); 4403 a token that is not valid, or no
longer is: an operation finding it revoked closes the socket, and ``Sockets``
looks up every open socket's token every ``GRAPH_API_WS_RECHECK_SECONDS`` (2 s), so
a revoked token's sockets close within that; 4406 another subprotocol; 4408 no
``connection_init`` in time; 4409 an operation id already running; 4429 a second
``connection_init``, or one whose token's bucket is empty (its lookup is a request
too); 1009 a message over ``max_body_bytes`` (2 MiB, as an HTTP body). Each with a
reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from graph_api.api.exchange import Answer, GraphQLRequest, Status, formatted, request_from
from graph_api.api.metrics import Metrics
from graph_api.api.pipeline import Credentials, Pipeline
from graph_api.bearer import token_from_params
from graph_api.errors import GraphAPIError, Unauthenticated

__all__ = ["PROTOCOL", "Sockets", "serve_websocket"]

log = logging.getLogger("graph_api")

PROTOCOL = "graphql-transport-ws"
INIT_SECONDS = 10.0
MAX_OPERATIONS = 100  # running at once on one socket


class Sockets:
    """The open, acknowledged sockets of this process, and the loop (``watch``) that
    closes those whose token no longer authenticates."""

    def __init__(self, pipeline: Pipeline, recheck_seconds: float) -> None:
        self.pipeline = pipeline
        self.recheck_seconds = recheck_seconds
        self.open: set[Connection] = set()

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_seconds)
            await self.close_revoked()

    async def close_revoked(self) -> None:
        """Look each open socket's token up once; close the sockets of those refused."""
        by_bucket: dict[str, list[Connection]] = {}
        for connection in list(self.open):
            if connection.credentials is not None:
                by_bucket.setdefault(connection.credentials.bucket, []).append(connection)
        for connections in by_bucket.values():
            credentials = connections[0].credentials
            assert credentials is not None
            try:
                self.pipeline.authenticate(credentials)
            except Unauthenticated:
                for connection in connections:
                    await connection.close(4403, "Forbidden: the token was revoked")
            except Exception:  # noqa: BLE001 - a store outage: look again next time
                log.warning("could not look up a WebSocket's token", exc_info=True)


async def serve_websocket(websocket: WebSocket, pipeline: Pipeline, sockets: Sockets,
                          metrics: Metrics) -> None:
    """One WebSocket on ``/graphql``, from its upgrade to its close."""
    if PROTOCOL not in websocket.scope.get("subprotocols", []):
        await websocket.accept()
        await websocket.close(4406, "Subprotocol not acceptable: use graphql-transport-ws")
        return
    await websocket.accept(subprotocol=PROTOCOL)
    connection = Connection(websocket, pipeline, metrics)
    metrics.open_sockets += 1
    try:
        await connection.serve(sockets)
    finally:
        metrics.open_sockets -= 1
        sockets.open.discard(connection)


class Connection:
    def __init__(self, websocket: WebSocket, pipeline: Pipeline, metrics: Metrics) -> None:
        self.websocket = websocket
        self.pipeline = pipeline
        self.metrics = metrics
        self.credentials: Credentials | None = None  # set by connection_init
        self.acknowledged = False
        self.closed = False
        self.running: dict[str, asyncio.Task[None]] = {}
        self._sending = asyncio.Lock()

    async def serve(self, sockets: Sockets) -> None:
        timer = asyncio.create_task(self._init_timeout())
        try:
            while not self.closed:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                limit = self.pipeline.services.settings.max_body_bytes
                if text is not None and len(text) > limit:  # as an HTTP body's limit
                    await self.close(1009, f"Message too big: over {limit} bytes")
                    break
                parsed = _parsed(text)
                if parsed is None:
                    await self.close(4400, "Invalid message: a text frame of one JSON object "
                                           "with a string type")
                    break
                await self._dispatch(parsed, sockets)
        except WebSocketDisconnect:
            pass
        finally:
            self.closed = True
            timer.cancel()
            for task in list(self.running.values()):
                task.cancel()
            for task in list(self.running.values()):
                with contextlib.suppress(BaseException):
                    await task

    async def _dispatch(self, message: dict[str, Any], sockets: Sockets) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._connection_init(message.get("payload"), sockets)
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            operation_id = message.get("id")
            task = self.running.get(operation_id) if isinstance(operation_id, str) else None
            if task is not None:
                task.cancel()  # the client's own complete: nothing more is sent for it
        else:
            await self.close(4400, f"Invalid message type {kind!r}")

    async def _connection_init(self, payload: object, sockets: Sockets) -> None:
        if self.credentials is not None:
            await self.close(4429, "Too many initialisation requests")
            return
        if payload is not None and not isinstance(payload, dict):
            await self.close(4400, "Invalid connection_init payload: a JSON object")
            return
        authorization = self.websocket.headers.get("authorization")
        token = token_from_params(payload)
        if token is not None:
            authorization = f"Bearer {token}"
        client = self.websocket.client.host if self.websocket.client else "?"
        self.credentials = Credentials.of(authorization, client)
        if self.credentials.token is None:
            await self.close(4401, "Unauthorized: send connectionParams "
                                   '{"Authorization": "Bearer TOKEN"}')
            return
        refused = self.pipeline.rate_limited(self.credentials)  # a lookup is a request
        if refused is not None:
            await self.close(4429, f"Too many requests: retry after {refused.retry_after} s")
            return
        try:
            self.pipeline.authenticate(self.credentials)
        except GraphAPIError as error:
            await self.close(4403, f"Forbidden: {error.message}"[:120])
            return
        self.acknowledged = True
        sockets.open.add(self)
        await self.send({"type": "connection_ack"})

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if not self.acknowledged:
            await self.close(4401, "Unauthorized: connection_init first")
            return
        operation_id, payload = message.get("id"), message.get("payload")
        request = request_from(payload) if isinstance(payload, dict) else "no payload"
        if not isinstance(operation_id, str) or not operation_id or isinstance(request, str):
            await self.close(4400, f"Invalid subscribe message: {request or 'no id'}"[:120])
            return
        if operation_id in self.running:
            await self.close(4409, f"Subscriber for {operation_id} already exists"[:120])
            return
        if len(self.running) >= MAX_OPERATIONS:
            refused = Answer.refused(Status.INVALID, f"at most {MAX_OPERATIONS} operations run "
                                     "at once on one socket", "LIMIT_EXCEEDED")
            await self._error(operation_id, refused)
            return
        self.metrics.operations["websocket"] += 1
        assert self.credentials is not None
        task = asyncio.create_task(self._run(operation_id, self.credentials, request))
        self.running[operation_id] = task
        task.add_done_callback(lambda _: self._finished(operation_id, task))

    async def _run(self, operation_id: str, credentials: Credentials,
                   request: GraphQLRequest) -> None:
        try:
            await self._answer(operation_id, credentials, request)
        except Exception as error:  # noqa: BLE001 - said to the client; logged by formatted
            failed = Answer(None, [GraphQLError(str(error), original_error=error)], Status.FAILED)
            await self._error(operation_id, failed)

    async def _answer(self, operation_id: str, credentials: Credentials,
                      request: GraphQLRequest) -> None:
        outcome = await self.pipeline.stream(credentials, request)
        if isinstance(outcome, Answer):
            if outcome.status is Status.UNAUTHENTICATED:
                await self._error(operation_id, outcome)
                await self.close(4403, "Forbidden: the token is no longer valid")
            elif outcome.executed:
                await self.send({"id": operation_id, "type": "next", "payload": outcome.body()})
                await self.send({"id": operation_id, "type": "complete"})
            else:
                await self._error(operation_id, outcome)
            return
        async with contextlib.aclosing(outcome) as answers:
            async for answer in answers:
                if not answer.executed:
                    await self._error(operation_id, answer)
                    return
                await self.send({"id": operation_id, "type": "next", "payload": answer.body()})
        await self.send({"id": operation_id, "type": "complete"})

    def _finished(self, operation_id: str, task: asyncio.Task[None]) -> None:
        if self.running.get(operation_id) is task:
            del self.running[operation_id]

    async def _error(self, operation_id: str, answer: Answer) -> None:
        await self.send({"id": operation_id, "type": "error",
                         "payload": [formatted(e) for e in answer.errors]})

    async def send(self, message: dict[str, Any]) -> None:
        """One protocol message, as a text frame."""
        if self.closed:
            return
        async with self._sending:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self.websocket.send_text(orjson.dumps(message).decode())

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        for task in list(self.running.values()):
            if task is not asyncio.current_task():
                task.cancel()
        if self.websocket.application_state is WebSocketState.CONNECTED:
            async with self._sending:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await self.websocket.close(code, reason)

    async def _init_timeout(self) -> None:
        await asyncio.sleep(INIT_SECONDS)
        if self.credentials is None:
            await self.close(4408, "Connection initialisation timeout")


def _parsed(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return None
    return message
