"""Python ``gql`` (HTTPX and websockets transports, as a user installs them) against a real
demo server: a query, error codes and a subscription, over HTTP and over
graphql-transport-ws; every frame the WebSocket brought is a text frame."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.clients.support import (
    Frames,
    close_of,
    http_client,
    ws_client,
    ws_url,
)
from tests.e2e.server import Server
from tests.e2e.test_subscription import COMEBACK, SUBMIT

pytestmark = pytest.mark.e2e

TRACE = """query Trace($id: ID!) { traceToSource(from: $id) { origin { id }
  sources { entity { id kind } score } } }"""
ERRORS = [
    ("{ me { nickname } }", "BAD_USER_INPUT"),  # refused by validation
    ('{ network(seeds: ["x"], maxHops: 9) { truncated } }', "LIMIT_EXCEEDED"),
    ("{ auditLog { seq } }", "FORBIDDEN"),  # an investigator is no admin
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("gql") / "graph.db", "--demo").start()
    yield server
    server.kill()


def clients(demo: Server, token: str | None, frames: Frames | None = None) -> dict[str, Any]:
    return {"http": http_client(demo, token), "websocket": ws_client(demo, token, frames)}


@pytest.mark.parametrize("transport", ["http", "websocket"])
def test_a_query_with_variables(demo: Server, transport: str) -> None:
    token = demo.demo_tokens()[("ipcu", "investigator")]
    frames = Frames()

    async def scenario() -> Any:
        async with clients(demo, token, frames)[transport] as session:
            return await session.execute(GraphQLRequest(
                TRACE, variable_values={"id": "listing-sw-aeropace-01"}))

    trace = asyncio.run(scenario())["traceToSource"]
    assert trace["origin"] == {"id": "listing-sw-aeropace-01"}
    assert trace["sources"] and all(s["entity"]["kind"] in ("FACTORY", "WAREHOUSE")
                                    for s in trace["sources"])
    assert transport == "http" or set(frames.types) == {str}


@pytest.mark.parametrize("transport", ["http", "websocket"])
def test_errors_carry_their_code(demo: Server, transport: str) -> None:
    token = demo.demo_tokens()[("stridewell", "investigator")]

    async def scenario() -> list[str]:
        codes = []
        async with clients(demo, token)[transport] as session:
            for document, _ in ERRORS:
                with pytest.raises(TransportQueryError) as refused:
                    await session.execute(gql(document))
                errors = refused.value.errors or []
                codes.append(errors[0]["extensions"]["code"])
        return codes

    assert asyncio.run(scenario()) == [code for _, code in ERRORS]


def test_without_a_token_http_answers_unauthenticated_and_the_socket_closes_4401(
    demo: Server
) -> None:
    frames = Frames()

    async def scenario() -> tuple[Any, BaseException]:
        async with http_client(demo, None) as session:
            with pytest.raises(TransportQueryError) as unauthenticated:
                await session.execute(gql("{ me { role } }"))
        with pytest.raises(TransportError) as refused:
            async with ws_client(demo, None, frames) as socket:
                await socket.execute(gql("{ me { role } }"))
        return unauthenticated.value.errors, refused.value

    errors, _ = asyncio.run(scenario())
    assert errors is not None and errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert frames.close_code == 4401 and "Unauthorized" in (frames.close_reason or "")


def test_a_subscription_receives_the_alert_a_report_raises(demo: Server) -> None:
    tokens = demo.demo_tokens()
    frames = Frames()

    async def scenario() -> list[Any]:
        received: list[Any] = []
        async with ws_client(demo, tokens[("ipcu", "investigator")], frames,
                             by="token") as session:

            async def listen() -> None:
                subscription = gql("subscription { alertRaised(kind: RECIDIVISM) { kind "
                                   "subject { id } explanation { nodes { id } } } }")
                async for event in session.subscribe(subscription):
                    received.append(event["alertRaised"])

            listening = asyncio.ensure_future(listen())
            await asyncio.sleep(0.5)
            async with http_client(demo, tokens[("bazaarhub", "investigator")]) as http:
                answer = await http.execute(GraphQLRequest(SUBMIT,
                                                           variable_values={"input": COMEBACK}))
            assert answer["submitReport"]["created"]
            for _ in range(100):
                if any(a["subject"]["id"] == "seller-new-face" for a in received):
                    break
                await asyncio.sleep(0.1)
            listening.cancel()
        return received

    alerts = {a["subject"]["id"]: a for a in asyncio.run(scenario())}
    alert = alerts["seller-new-face"]
    assert alert["kind"] == "RECIDIVISM"
    path = [n["id"] for n in alert["explanation"][0]["nodes"]]
    assert path[0] == "seller-new-face" and path[-1] == "seller-golden-step"
    assert frames.types and set(frames.types) == {str}


def test_a_client_of_the_legacy_apollo_protocol_is_told_4406(demo: Server) -> None:
    """gql speaking only Apollo's ``graphql-ws`` subprotocol (subscriptions-transport-ws)
    is told which one to use."""
    async def scenario() -> BaseException:
        transport = WebsocketsTransport(
            url=ws_url(demo), init_payload={"token": demo.demo_tokens()[("ipcu", "admin")]},
            subprotocols=[WebsocketsTransport.APOLLO_SUBPROTOCOL])
        with pytest.raises(TransportError) as refused:
            async with Client(transport=transport) as session:
                await session.execute(gql("{ me { role } }"))
        return refused.value

    closed = close_of(asyncio.run(scenario()))
    assert closed is not None and closed[0] == 4406 and "graphql-transport-ws" in closed[1]
