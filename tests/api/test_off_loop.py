"""Whole-graph work off the request loop (issue 21, items 1 and 3), on both stores.

Every whole-graph computation here is held by a `Gate` (a threading event the test
opens) inside the pool's thread, so what happens meanwhile on the loop is decided by
the test, never by timing: a cheap read of another org answers; identical requests
join one computation and another view never does; a request whose client goes away
stops waiting while the computation goes on (or is dropped if it had not started);
a request past its time budget fails while the answer is still kept; one token's
whole-graph requests take turns, beyond which they are refused, and other tokens
are not held up; a write made meanwhile neither waits nor shows in the answer being
computed (the job reads the view as it was when it started).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import orjson
import pytest

from graph_api import analytics
from graph_api.access import Scope
from graph_api.analytics import snapshot as snapshot_module
from graph_api.api.app import create_app
from graph_api.api.context import Context
from graph_api.api.schema import error_extensions
from graph_api.offload import Offload
from graph_api.services import Services
from tests.conftest import add_orgs
from tests.support import OPERATIONS

TOP = "{ topSources(first: 100) { score entity { id } } }"
HOT = "{ hotspots { totalListings regions { region listings } } }"
RINGS = "{ rings(minSize: 1) { id size } }"
ENTITY = '{ entity(id: "w2") { id kind } }'


class Gate:
    """Holds every call of a function on its thread until the test opens it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.calls = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def gated(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.entered.set()
            assert self.opened.wait(60), "the test never opened the gate"
            return function(*args, **kwargs)

        return gated


@pytest.fixture
def gate() -> Iterator[Gate]:
    found = Gate()
    yield found
    found.opened.set()  # never leave a pool thread waiting


def supply(rid: str, n: int, marking: str = "GREEN") -> dict[str, Any]:
    """A listing infringing a brand, shipped from a warehouse supplied by a factory,
    listed by a storefront a seller operates."""
    return {
        "reportId": rid, "source": "OSINT", "confidence": 0.7, "marking": marking,
        "entities": [
            {"id": "brand-x", "kind": "BRAND", "name": "X"},
            {"id": f"l{n}", "kind": "LISTING"},
            {"id": f"s{n}", "kind": "STOREFRONT"},
            {"id": f"p{n}", "kind": "SELLER"},
            {"id": f"w{n}", "kind": "WAREHOUSE", "region": "Fujian"},
            {"id": f"x{n}", "kind": "FACTORY"},
        ],
        "relations": [
            {"kind": "INFRINGES", "from": f"l{n}", "to": "brand-x"},
            {"kind": "LISTS", "from": f"s{n}", "to": f"l{n}"},
            {"kind": "OPERATES", "from": f"p{n}", "to": f"s{n}"},
            {"kind": "SHIPS_FROM", "from": f"l{n}", "to": f"w{n}"},
            {"kind": "SUPPLIED_BY", "from": f"w{n}", "to": f"x{n}"},
        ],
    }


@pytest.fixture
def world(services: Services) -> dict[str, Scope]:
    scopes = add_orgs(services)
    services.submit_report(scopes["acme"], supply("g1", 1))
    services.submit_report(scopes["bazaar"], supply("g2", 2, "AMBER"))  # not the brands'
    services.submit_report(scopes["rival"], supply("g4", 4))
    return scopes


async def ask(services: Services, scope: Scope, query: str, caller: str | None = None
              ) -> dict[str, Any]:
    context = Context(services=services, caller=caller)
    context._scope = scope
    result = await OPERATIONS.run(context, query)
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [{"message": e.message, "code": error_extensions(e).get("code"),
                          "path": e.path} for e in result.errors]
    return out


async def until(event: threading.Event | Callable[[], bool]) -> None:
    """Let the loop run until ``event`` holds (a thread's event, or a condition)."""
    check = event.is_set if isinstance(event, threading.Event) else event
    while not check():
        await asyncio.sleep(0.005)


def gated(monkeypatch: pytest.MonkeyPatch, gate: Gate, name: str) -> None:
    monkeypatch.setattr(analytics, name, gate.wrap(getattr(analytics, name)))


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["code"] for e in answer.get("errors", [])]


def test_a_cheap_read_answers_while_another_orgs_rings_compute(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(monkeypatch, gate, "ring_candidates")

    async def main() -> None:
        rings = asyncio.ensure_future(ask(services, world["acme"], RINGS))
        await until(gate.entered)  # acme's rings are being computed, and held there
        read = await ask(services, world["bazaar"], ENTITY)
        assert read == {"data": {"entity": {"id": "w2", "kind": "WAREHOUSE"}}}
        assert not rings.done() and not gate.opened.is_set()
        trace = await ask(services, world["rival"], '{ traceToSource(from: "l4") '
                                                    '{ sources { entity { id } } } }')
        assert "errors" not in trace and not rings.done()
        gate.opened.set()
        answer = await rings
        assert "errors" not in answer, answer
        assert {r["size"] for r in answer["data"]["rings"]} >= {2}

    asyncio.run(main())


def test_identical_requests_share_one_computation_and_views_never_do(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(monkeypatch, gate, "top_sources")
    police2 = services.scope_for(services.issue_token(services.find_org("police"),
                                                      "investigator")[0])
    offload = services.whole_graph.offload

    async def main() -> None:
        first = asyncio.ensure_future(ask(services, world["police"], TOP))
        await until(gate.entered)
        joined = [asyncio.ensure_future(ask(services, scope, TOP))
                  for scope in (world["police"], police2)]  # the same view: same answer
        await until(lambda: offload.shared_waits == 2)
        assert gate.calls == 1
        other = asyncio.ensure_future(ask(services, world["rival"], TOP))  # another view
        gate.opened.set()
        answers = [await first, *[await j for j in joined]]
        assert answers[0] == answers[1] == answers[2] and "errors" not in answers[0]
        rival = await other
        assert "errors" not in rival and rival != answers[0]
        assert gate.calls == 2  # police's once, rival's once

    asyncio.run(main())


def asgi_request(token: str, query: str) -> tuple[dict[str, Any], bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "headers": [(b"content-type", b"application/json"),
                    (b"authorization", f"Bearer {token}".encode())],
    }
    return scope, orjson.dumps({"query": query})


def serve_one(app: Any, token: str, query: str, gone: asyncio.Event
              ) -> tuple[Awaitable[None], list[dict[str, Any]]]:
    """One HTTP request to ``app`` whose client leaves when ``gone`` is set."""
    scope, body = asgi_request(token, query)
    sent: list[dict[str, Any]] = []
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return app(scope, receive, send), sent


def status_of(sent: list[dict[str, Any]]) -> int:
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


def test_a_client_that_leaves_stops_waiting_and_the_computation_goes_on(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(monkeypatch, gate, "hotspots")
    _, token = services.issue_token(services.find_org("rival"), "investigator")
    app = create_app(services)
    offload = services.whole_graph.offload

    async def main() -> None:
        gone, stays = asyncio.Event(), asyncio.Event()
        leaving, sent = serve_one(app, token, HOT, gone)
        staying, kept = serve_one(app, token, HOT, stays)
        leaving_task, staying_task = asyncio.ensure_future(leaving), asyncio.ensure_future(
            staying)
        await until(gate.entered)
        await until(lambda: offload.shared_waits == 1)  # both wait for one computation
        gone.set()
        await leaving_task  # its wait was cancelled: it ended while the gate is shut
        assert status_of(sent) == 499 and not gate.opened.is_set()
        assert not staying_task.done()
        gate.opened.set()
        await staying_task
        assert status_of(kept) == 200
        answer = orjson.loads(b"".join(m.get("body", b"") for m in kept
                                       if m["type"] == "http.response.body"))
        assert "errors" not in answer and answer["data"]["hotspots"]["totalListings"] == 2
        again = await ask(services, world["rival"], HOT)
        assert again["data"] == answer["data"] and gate.calls == 1  # kept, not recomputed

    asyncio.run(main())


def test_a_computation_nobody_waits_for_any_more_is_dropped_before_it_starts(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(monkeypatch, gate, "hotspots")
    rings = Gate()
    rings.opened.set()
    gated(monkeypatch, rings, "ring_candidates")
    _, token = services.issue_token(services.find_org("rival"), "investigator")
    app = create_app(services)
    offload = services.whole_graph.offload

    async def main() -> None:
        hot = asyncio.ensure_future(ask(services, world["rival"], HOT))
        await until(gate.entered)  # rival's view is busy: its rings wait their turn
        gone = asyncio.Event()
        leaving, sent = serve_one(app, token, RINGS, gone)
        leaving_task = asyncio.ensure_future(leaving)
        await until(lambda: len(offload._shared) == 2)
        gone.set()
        await leaving_task
        assert status_of(sent) == 499
        gate.opened.set()
        assert "errors" not in await hot
        await until(lambda: not offload._shared)
        assert rings.calls == 0  # never computed: nobody was waiting when its turn came

    asyncio.run(main())


def test_a_request_past_its_budget_fails_and_the_answer_is_kept(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(monkeypatch, gate, "top_sources")
    settings = services.settings

    async def main() -> None:
        services.settings = replace(settings, request_seconds=0.2)
        late = await ask(services, world["acme"], TOP)  # the gate is shut all along
        assert codes(late) == ["LIMIT_EXCEEDED"] and gate.calls == 1
        services.settings = settings
        gate.opened.set()
        offload = services.whole_graph.offload
        await until(lambda: not offload._shared)
        answer = await ask(services, world["acme"], TOP)
        assert "errors" not in answer and gate.calls == 1  # the kept answer

    asyncio.run(main())


def test_one_tokens_whole_graph_requests_take_turns_and_others_go_on(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(monkeypatch, gate, "top_sources")
    services.whole_graph.offload = Offload(workers=2, per_caller=1, queued=1)
    script, other = "t:script", "t:someone-else"  # two tokens of the same org (acme)
    acme, rival = world["acme"], world["rival"]

    async def main() -> None:
        running = asyncio.ensure_future(ask(services, acme, TOP, script))
        await until(gate.entered)
        waiting = asyncio.ensure_future(ask(services, acme, HOT, script))
        await asyncio.sleep(0)
        refused = await ask(services, acme, RINGS, script)
        assert codes(refused) == ["RATE_LIMITED"] and refused["data"] is None
        assert not waiting.done()
        # Another org's token is not held up: its rings run while the script's wait.
        theirs = await ask(services, rival, RINGS, "t:rival")
        assert "errors" not in theirs
        # Another token of the same org has turns of its own (its job queues behind the
        # script's in acme's view, but is not refused).
        same_org = asyncio.ensure_future(ask(services, acme, RINGS, other))
        await asyncio.sleep(0)
        assert not same_org.done()
        gate.opened.set()
        for task in (running, waiting, same_org):
            assert "errors" not in await task
        again = await ask(services, acme, "{ rings(minSize: 2) { id } }", script)
        assert "errors" not in again  # its turns came back

    asyncio.run(main())


def test_a_write_during_a_computation_neither_waits_nor_shows_in_it(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    rival = world["rival"]
    before = [(r.entity, r.score) for r in analytics.top_sources(services.store.view(rival))]
    monkeypatch.setattr(snapshot_module, "_build", gate.wrap(snapshot_module._build))

    async def main() -> None:
        asking = asyncio.ensure_future(ask(services, rival, TOP))
        await until(gate.entered)  # the job is about to read rival's view
        written = services.submit_report(world["acme"], supply("g3", 3))  # rival sees it
        assert written.created
        gate.opened.set()
        answer = await asking
        got = [(r["entity"]["id"], r["score"]) for r in answer["data"]["topSources"]]
        assert got == before  # the view as the job took it, before the write
        after = await ask(services, rival, TOP)  # a new version: computed again
        got = [(r["entity"]["id"], r["score"]) for r in after["data"]["topSources"]]
        assert ("x3", 1.0) in got and got != before
        gate.calls = 0
        assert got == [(r.entity, r.score)
                       for r in analytics.top_sources(services.store.view(rival))]

    asyncio.run(main())


def test_a_request_waiting_for_its_turn_keeps_its_budget_and_leaves_the_queue(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(monkeypatch, gate, "top_sources")
    offload = Offload(workers=2, per_caller=1, queued=1)
    services.whole_graph.offload = offload
    settings = services.settings
    script = "t:script"
    acme = world["acme"]

    async def main() -> None:
        running = asyncio.ensure_future(ask(services, acme, TOP, script))
        await until(gate.entered)
        services.settings = replace(settings, request_seconds=0.2)
        late = await ask(services, acme, HOT, script)  # queued behind the script's own
        services.settings = settings
        assert codes(late) == ["LIMIT_EXCEEDED"]
        assert offload.turns.busy(script) == (1, 0)  # it left the queue
        gate.opened.set()
        assert "errors" not in await running
        assert offload.turns.busy(script) == (0, 0)
        again = await ask(services, acme, HOT, script)  # its turn is there again
        assert "errors" not in again

    asyncio.run(main())


def test_an_export_read_in_steps_is_read_again_when_the_view_moves_meanwhile(
    services: Services, world: dict[str, Scope], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case view is read on the loop in steps; a write the exporter sees landing
    between two steps makes the read start again, so the package is one moment's view
    (here: the later one, holding the new relation)."""
    from graph_api.api import export_fields
    from graph_api.export import case_view as case_view_module
    from graph_api.workflow.cases import open_case

    liaison = services.scope_for(services.issue_token(services.find_org("police"),
                                                      "liaison")[0])
    case = open_case(services, liaison, "ring", ["l1", "l4"])
    monkeypatch.setattr(case_view_module, "SLICE_SECONDS", 0.0)  # yield at every step
    steps = case_view_module.case_view_steps
    reads = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        gen = steps(*args, **kwargs)
        next(gen)  # the first step read; then a write the liaison sees lands
        if len(reads) == 1:
            services.submit_report(world["acme"], supply("g5", 1))  # l1 -> w1 again, w1 -> x1
            services.submit_report(world["acme"], {
                "reportId": "g6", "source": "OSINT", "confidence": 0.9, "marking": "GREEN",
                "entities": [{"id": "l1", "kind": "LISTING"}, {"id": "w4", "kind": "WAREHOUSE"}],
                "relations": [{"kind": "SHIPS_FROM", "from": "l1", "to": "w4"}]})
        yield
        return (yield from gen)

    monkeypatch.setattr(export_fields, "case_view_steps", counted)

    async def main() -> Any:
        return await export_fields._case_view(services, liaison, case, "court", None)

    view = asyncio.run(main())
    assert len(reads) == 2  # read again after the write
    at_once = case_view_module.build_case_view(services, liaison, case, "court")
    pairs = {(r.source, r.target) for r in view.relations}
    assert ("l1", "w4") in pairs
    assert pairs == {(r.source, r.target) for r in at_once.relations}
    assert [e.id for e in view.entities] == [e.id for e in at_once.entities]
