"""Clients written by others, pointed at a real server: npm packages run by Node (this
folder's package.json, installed by ``make client-deps`` with ``npm ci``) and Python's
``gql`` — plus a spy on the frames ``gql`` receives, so a test can say they are text."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gql import Client
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from tests.e2e.server import Server

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"


def node(script: str, *args: str, timeout: float = 120) -> subprocess.Popen[str]:
    """``node SCRIPT ARGS`` in this folder, its stdout a pipe of lines."""
    if not (NODE_MODULES / "graphql-ws").is_dir():
        raise AssertionError("the npm clients are not installed: run `make client-deps`")
    return subprocess.Popen(["node", str(HERE / script), *args], cwd=HERE, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def ws_url(server: Server) -> str:
    return server.url.replace("http://", "ws://") + "/graphql"


def http_client(server: Server, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(transport=HTTPXAsyncTransport(url=server.url + "/graphql", headers=headers))


@dataclass
class Frames:
    """What ``gql``'s WebSocket received: each frame's Python type (``str`` for a text
    frame, ``bytes`` for a binary one) and the close frame, once there is one."""

    types: list[type] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str | None = None


class SpiedWebsocketsTransport(WebsocketsTransport):
    """gql's own WebSocket transport, its received frames recorded as they arrive."""

    def __init__(self, frames: Frames, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.frames = frames

    async def connect(self) -> None:
        adapter = self.adapter
        connect = adapter.connect
        frames = self.frames

        async def spied_connect() -> None:
            await connect()
            websocket: Any = adapter.websocket  # type: ignore[attr-defined]
            receive = websocket.recv

            async def recv(*args: Any, **kwargs: Any) -> Any:
                try:
                    data = await receive(*args, **kwargs)
                except ConnectionClosed as closed:
                    if closed.rcvd is not None:
                        frames.close_code = closed.rcvd.code
                        frames.close_reason = closed.rcvd.reason
                    raise
                frames.types.append(type(data))
                return data

            websocket.recv = recv

        adapter.connect = spied_connect  # type: ignore[method-assign]
        await super().connect()


def ws_client(server: Server, token: str | None, frames: Frames | None = None,
              by: str = "Authorization") -> Client:
    """A gql client over graphql-transport-ws; the token in ``connectionParams`` as
    ``{"Authorization": "Bearer TOKEN"}`` (or ``{"token": TOKEN}`` with ``by="token"``)."""
    if token is None:
        payload: dict[str, Any] = {}
    elif by == "token":
        payload = {"token": token}
    else:
        payload = {"Authorization": f"Bearer {token}"}
    # gql offers both subprotocols (Apollo's legacy one first); the server picks its own
    transport = SpiedWebsocketsTransport(frames or Frames(), url=ws_url(server),
                                         init_payload=payload)
    return Client(transport=transport)


def close_of(error: BaseException) -> tuple[int, str] | None:
    """The close frame behind a gql transport error (code, reason), if one caused it."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionClosed) and cause.rcvd is not None:
            return cause.rcvd.code, cause.rcvd.reason
        cause = cause.__cause__
    return None


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.startswith(("{", "["))]


@contextmanager
def demo_server(tmp: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = Server(tmp / "graph.db", "--demo", *extra, env=env).start()
    try:
        yield server
    finally:
        server.kill()
