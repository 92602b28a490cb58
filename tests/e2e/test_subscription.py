"""alertRaised over a real WebSocket (Python gql's client): a banned seller comes back and
the police hear of it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gql import gql
from gql.transport.exceptions import TransportError

from tests.clients.support import Frames, ws_client
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
    """The ``next`` payloads a gql client hears on alertRaised: the first within ``wait``
    seconds, then any more within 2 s of the one before (one write may raise several)."""
    heard: list[Any] = []
    async with ws_client(server, token) as session:
        events = session.subscribe(gql(SUBSCRIBE)).__aiter__()
        first = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0.2)  # the subscribe message is on its way
        ready.set()
        try:
            heard.append({"data": await asyncio.wait_for(first, wait)})
            while True:
                heard.append({"data": await asyncio.wait_for(events.__anext__(), 2)})
        except TimeoutError:
            return heard


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
    assert messages, messages
    alerts = {
        m["data"]["alertRaised"]["subject"]["id"]: m["data"]["alertRaised"] for m in messages
    }
    alert = alerts["seller-new-face"]
    assert alert["kind"] == "RECIDIVISM"
    path = [n["id"] for n in alert["explanation"][0]["nodes"]]
    assert path[0] == "seller-new-face" and path[-1] == "seller-golden-step"


def test_a_brand_that_cannot_see_the_whole_path_hears_nothing(demo: Server) -> None:
    """The banned seller's bank account is the platform's AMBER KYC: not Stridewell's to see."""
    assert hear(demo, "stridewell", wait=5) == []


def test_a_websocket_without_a_valid_token_is_refused(demo: Server) -> None:
    frames = Frames()

    async def scenario() -> None:
        with pytest.raises(TransportError):
            async with ws_client(demo, "gapi_wrong", frames) as session:
                await session.execute(gql("{ me { id } }"))

    asyncio.run(scenario())
    assert frames.close_code == 4403
    assert frames.close_reason == "Forbidden: the token is not valid (unknown or revoked)"
