"""alertRaised over a real WebSocket: a banned seller comes back and the police hear of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

SUBSCRIBE = """subscription { alertRaised(kind: RECIDIVISM) { kind subject { id }
  explanation { nodes { id } confidence } } }"""
SUBMIT = """mutation($input: ReportInput!) { submitReport(input: $input) { created } }"""
COMEBACK = {
    "reportId": "kyc-new-face",
    "source": "PLATFORM_DATA",
    "confidence": 0.9,
    "marking": "GREEN",
    "entities": [
        {"id": "seller-new-face", "kind": "SELLER", "name": "New Face Trading"},
        {
            "id": "bank",
            "kind": "IDENTIFIER",
            "identifierKind": "BANK_ACCOUNT",
            "value": "6217 0038 4421 9960",
        },
    ],
    "relations": [{"kind": "USES", "from": "seller-new-face", "to": "bank"}],
}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "graph.db", "--demo").start()
    yield server
    server.kill()


async def listen(
    server: Server, token: str | None, ready: asyncio.Event, wait: float = 20
) -> list[Any]:
    uri = server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(uri, subprotocols=["graphql-transport-ws"]) as ws:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if ack["type"] != "connection_ack":
            return [ack]
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        ready.set()
        try:
            messages = [json.loads(await asyncio.wait_for(ws.recv(), wait))]
        except TimeoutError:
            return []
        try:
            while True:  # the same write may raise several alerts; collect them
                messages.append(json.loads(await asyncio.wait_for(ws.recv(), 2)))
        except TimeoutError:
            return messages


def hear(demo: Server, org: str, wait: float = 20) -> list[Any]:
    """What ``org``'s subscriber hears while the platform records the comeback."""
    tokens = demo.demo_tokens()

    async def scenario() -> list[Any]:
        ready = asyncio.Event()
        task = asyncio.create_task(listen(demo, tokens[(org, "investigator")], ready, wait))
        await asyncio.wait_for(ready.wait(), 10)
        await asyncio.sleep(0.3)
        answer = await asyncio.to_thread(
            demo.gql, tokens[("bazaarhub", "investigator")], SUBMIT, {"input": COMEBACK}
        )
        assert answer["data"]["submitReport"]["created"], answer
        return await task

    return asyncio.run(scenario())


def test_recidivism_reaches_a_subscriber_over_websocket(demo: Server) -> None:
    messages = hear(demo, "ipcu")
    assert messages and all(m["type"] == "next" for m in messages), messages
    alerts = {
        m["payload"]["data"]["alertRaised"]["subject"]["id"]: m["payload"]["data"]["alertRaised"]
        for m in messages
    }
    alert = alerts["seller-new-face"]
    assert alert["kind"] == "RECIDIVISM"
    path = [n["id"] for n in alert["explanation"][0]["nodes"]]
    assert path[0] == "seller-new-face" and path[-1] == "seller-golden-step"


def test_a_brand_that_cannot_see_the_whole_path_hears_nothing(demo: Server) -> None:
    """The banned seller's bank account is the platform's AMBER KYC: not Stridewell's to see."""
    assert hear(demo, "stridewell", wait=5) == []


def test_a_websocket_without_a_valid_token_is_refused(demo: Server) -> None:
    async def scenario() -> Any:
        try:
            return await listen(demo, "gapi_wrong", asyncio.Event())
        except websockets.exceptions.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    assert asyncio.run(scenario()) == 4403
