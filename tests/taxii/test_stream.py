"""GET /stream on a real server, both stores: a consumer disconnected mid-way resumes by
Last-Event-ID across a server restart (kill -9) and ends with exactly the objects of a
full pull; a new consumer gets the same as one snapshot; a competitor's RED object is in
no event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_api.export.stix_mapping import stix_id
from graph_api.model import EntityKind
from graph_api.services import Services
from graph_api.workflow import start_workflow
from tests.conftest import NEO4J_URI, FixedClock
from tests.e2e.server import Server as Process
from tests.taxii.support import build, open_world, report, settings_for, store_env, token

pytestmark = pytest.mark.e2e

Event = dict[str, Any]


def events(server: Process, org: str, last_id: str | None = None, stop_after: int | None = None
           ) -> Iterator[Event]:
    """The stream's events until ``stop_after`` of them, or until it is caught up (the
    first heartbeat)."""
    headers = {"Authorization": f"Bearer {token(org)}"}
    if last_id is not None:
        headers["Last-Event-ID"] = last_id
    with httpx.stream("GET", server.url + "/stream?heartbeat=1", headers=headers,
                      timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        seen, event = 0, {}
        for line in response.iter_lines():
            if line.startswith(": heartbeat"):
                return
            if not line:
                if "data" in event:
                    yield event
                    seen += 1
                    if seen == stop_after:
                        return  # the client goes away mid-stream
                event = {}
                continue
            name, _, value = line.partition(": ")
            event[name] = json.loads(value) if name == "data" else value


def full_pull(server: Process, org: str) -> dict[str, dict[str, Any]]:
    url = server.url + "/taxii2/graph-api/collections/alliance/objects/?limit=4"
    found: dict[str, dict[str, Any]] = {}
    while url:
        body = httpx.get(url, auth=("x", token(org)), timeout=30).json()
        found.update({o["id"]: o for o in body["objects"]})
        base = server.url + "/taxii2/graph-api/collections/alliance/objects/?limit=4"
        url = f"{base}&next={body['next']}" if body["more"] else ""
    return found


def later_reports(kind: str, folder: Path) -> None:
    """What happens while the consumer is away: seller-1 renamed (an update), a new seller
    (a create), a relation to a warehouse rival could not see before, and a RED secret."""
    services = start_workflow(Services.open(settings_for(kind, folder), clock=FixedClock()))
    try:
        scope = {o.id: services.operator_scope(o) for o in services.store.orgs()}
        services.clock.now = services.clock.now.replace(hour=11)  # type: ignore[attr-defined]
        report(services, scope["bazaar"], "market-2", "GREEN", [
            {"id": "seller-1", "kind": "SELLER", "name": "Golden Shoes Ltd"},
            {"id": "seller-2", "kind": "SELLER", "name": "Silver Soles"},
            {"id": "wh-1", "kind": "WAREHOUSE"},
        ], [("seller-2", "ASSOCIATED_WITH", "seller-1")])
        report(services, scope["acme"], "more-secret", "RED", [
            {"id": "seller-8", "kind": "SELLER", "name": "Acme's own lead"},
        ], [("seller-8", "ASSOCIATED_WITH", "seller-2")])
    finally:
        services.close()


@pytest.mark.parametrize("kind", ["memory", "neo4j"])
def test_a_consumer_resumes_across_a_restart_without_loss(kind: str, tmp_path: Path) -> None:
    if kind == "neo4j" and not NEO4J_URI:
        pytest.skip("no Bolt server: set GRAPH_API_TEST_NEO4J_URI (make test does)")
    services, scopes = open_world(kind, tmp_path)
    build(services, scopes)
    services.close()
    flags, env = store_env(kind, tmp_path)
    server = Process(tmp_path / "graph.db", *flags, env=env).start()
    try:
        received: dict[str, dict[str, Any]] = {}
        snapshot = list(events(server, "rival"))
        assert all(e["event"] == "create" for e in snapshot)
        first = list(events(server, "rival", stop_after=len(snapshot) - 2))  # goes away
        assert first == snapshot[:-2] and first[-1]["data"]["position"] == 2
        received.update({e["data"]["data"]["id"]: e["data"]["data"] for e in first})
        last_id = first[-1]["id"]
        server.kill()
        later_reports(kind, tmp_path)
        server = Process(tmp_path / "graph.db", *flags, env=env).start()
        rest = list(events(server, "rival", last_id=last_id))
        for event in rest:
            received[event["data"]["data"]["id"]] = event["data"]["data"]
        pulled = full_pull(server, "rival")
        assert received == pulled  # every object, each in its latest version
        kinds = {e["data"]["data"].get("name"): e["event"] for e in rest}
        assert kinds["Golden Shoes Ltd"] == "update" and kinds["Silver Soles"] == "create"
        ids = [tuple(e["id"].split(":", 1)) for e in first + rest]
        assert [(int(p), s) for p, s in ids] == sorted((int(p), s) for p, s in ids)
        text = json.dumps([e["data"] for e in first + rest])
        assert stix_id(EntityKind.SELLER, "seller-8") not in text
        assert "Acme's own lead" not in text and "Putian" not in text  # acme's AMBER
        fresh = {e["data"]["data"]["id"]: e["data"]["data"] for e in events(server, "rival")}
        assert fresh == pulled  # a new member: one consistent snapshot
        assert all(e["event"] == "update" for e in events(server, "rival", last_id=last_id)
                   if e["data"]["data"]["id"] in received and e["data"]["position"] <= 1)
    finally:
        server.kill()


def test_a_bad_last_event_id_and_a_bad_token_are_refused(tmp_path: Path) -> None:
    services, scopes = open_world("memory", tmp_path)
    build(services, scopes)
    services.close()
    server = Process(tmp_path / "graph.db").start()
    try:
        bad = httpx.get(server.url + "/stream", headers={
            "Authorization": f"Bearer {token('acme')}", "Last-Event-ID": "nonsense"}, timeout=10)
        assert bad.status_code == 400
        refused = httpx.get(server.url + "/stream", headers={"Authorization": "Token nope"},
                            timeout=10)
        assert refused.status_code == 401
    finally:
        server.kill()
