"""Persisted queries with a client written by others: Apollo Client's ``PersistedQueryLink``
(``@apollo/client``, hashed queries by GET) against ``graph-api serve --demo``. Its first
query goes out as a GET with the hash alone, is told ``PersistedQueryNotFound`` (200, no
cache), is resent by POST with its document and answered; the next is a GET with the
hash alone, answered. In safelist mode the resend is refused until the operator
registers the document Apollo sends (``graph-api persisted add``) — on a running server —
or a PLATFORM admin's client registers it. Over a WebSocket the same hashes work (one
executor), and one token's cost budget is one on both transports."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from graph_api.api.persisted import sha256_of
from tests.clients.support import demo_server, node, ws_url
from tests.e2e.server import Server, cli

pytestmark = pytest.mark.e2e

LISTING = "listing-sw-aeropace-01"


def apollo(server: Server, token: str, times: int) -> tuple[list[dict[str, Any]], str]:
    """Apollo's runs (requests made, data or error), and the document it sent ("" when it
    sent only hashes)."""
    process = node("apq_get.mjs", server.url + "/graphql", token, LISTING, str(times))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    *runs, last = [json.loads(line) for line in out.splitlines()]
    document: str = last["document"] or ""
    if document:
        assert last["sha256"] == sha256_of(document)
    return runs, document


def shape(run: dict[str, Any]) -> list[tuple[str, bool, int]]:
    return [(r["method"], r["query"], r["status"]) for r in run["requests"]]


def test_apollo_registers_by_post_then_hits_by_get(tmp_path: Path) -> None:
    with demo_server(tmp_path) as server:
        token = server.demo_tokens()[("ipcu", "investigator")]
        (first, second, third), document = apollo(server, token, 3)
    assert shape(first) == [("GET", False, 200), ("POST", True, 200)]
    miss = first["requests"][0]
    assert miss["cacheControl"] == "private, no-cache, must-revalidate"
    assert miss["hash"] == first["requests"][1]["hash"] == sha256_of(document)
    for hit in (second, third):
        assert shape(hit) == [("GET", False, 200)]  # the hash alone, by GET
        assert hit["requests"][0]["hash"] == sha256_of(document)
        assert hit["data"] == first["data"] and hit["error"] is None
    trace = first["data"]["traceToSource"]
    assert trace["origin"]["id"] == LISTING
    assert trace["sources"] and all(s["entity"]["kind"] in ("FACTORY", "WAREHOUSE")
                                    for s in trace["sources"])


def test_safelist_mode_with_apollo(tmp_path: Path) -> None:
    with demo_server(tmp_path, env={"GRAPH_API_PERSISTED_ONLY": "1"}) as server:
        tokens = server.demo_tokens()
        investigator = tokens[("ipcu", "investigator")]
        (refused,), document = apollo(server, investigator, 1)
        # a request error: 400, as Apollo asks for application/graphql-response+json first
        assert shape(refused) == [("GET", False, 200), ("POST", True, 400)]
        assert refused["data"] is None
        assert refused["error"]["codes"] == ["PERSISTED_QUERY_NOT_IN_LIST"]
        # the operator registers the very text Apollo sends, while the server runs
        (tmp_path / "trace.graphql").write_text(document)
        added = cli(server.db, "persisted", "add", str(tmp_path / "trace.graphql"))
        assert added.stdout.splitlines()[-1] == "1 added, 0 already registered"
        (hit,), _ = apollo(server, investigator, 1)
        assert shape(hit) == [("GET", False, 200)] and hit["data"]["traceToSource"]
        # a brand's admin may not add to the list; the platform's admin may
        other = tokens[("stridewell", "admin")]
        plain = {"query": "query Other { me { role } }"}
        assert post(server, other, plain)["errors"][0]["extensions"]["code"] == (
            "PERSISTED_QUERY_NOT_IN_LIST")
        with_hash = {**plain, "extensions": persisted_query(plain["query"])}
        assert post(server, other, with_hash)["errors"][0]["extensions"]["code"] == (
            "PERSISTED_QUERY_NOT_IN_LIST")
        assert post(server, tokens[("bazaarhub", "admin")], with_hash) == {
            "data": {"me": {"role": "admin"}}}
        assert post(server, other, plain) == {"data": {"me": {"role": "admin"}}}
        listed = cli(server.db, "persisted", "list").stdout.splitlines()
    assert f"{sha256_of(plain['query'])} query Other" in listed
    assert f"{sha256_of(document)} query Trace" in listed


def persisted_query(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(query)}}


def post(server: Server, token: str, body: dict[str, Any]) -> Any:
    return httpx.post(server.url + "/graphql", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}).json()


BUDGET = "query Budget($n: Int) { entities(first: $n) { edges { node { id } } } " \
         "rateLimit { cost remaining } }"


def test_over_a_websocket_the_same_hashes_and_the_same_budget(tmp_path: Path) -> None:
    with demo_server(tmp_path) as server:
        token = server.demo_tokens()[("ipcu", "investigator")]
        replies = asyncio.run(over_websocket(server, token))
        after = httpx.get(server.url + "/graphql", timeout=30, params={
            "extensions": json.dumps(persisted_query(BUDGET)), "variables": '{"n": 1}'},
            headers={"Authorization": f"Bearer {token}"}).json()
    missed, registered, hit = replies
    assert missed == {"id": "1", "type": "error", "payload": [{
        "message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
    assert registered["type"] == "next" and hit["type"] == "next"
    spent = registered["payload"]["data"]["rateLimit"]
    assert spent["cost"] == 1 and hit["payload"]["data"]["rateLimit"] == {
        "cost": 1, "remaining": spent["remaining"] - 1}
    # registered over the socket, hit by GET: one executor; one budget for the token
    assert after["data"]["rateLimit"] == {"cost": 1, "remaining": spent["remaining"] - 2}


async def over_websocket(server: Server, token: str) -> list[dict[str, Any]]:
    replies = []
    async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        extensions = persisted_query(BUDGET)
        for n, payload in enumerate(({"extensions": extensions},
                                     {"query": BUDGET, "extensions": extensions},
                                     {"extensions": extensions}), start=1):
            payload["variables"] = {"n": 0}
            await socket.send(json.dumps({"id": str(n), "type": "subscribe",
                                          "payload": payload}))
            reply = json.loads(await socket.recv())
            replies.append(reply)
            if reply["type"] == "next":
                assert json.loads(await socket.recv()) == {"id": str(n), "type": "complete"}
    return replies
