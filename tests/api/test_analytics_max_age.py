"""Whole-graph answers of bounded age (issue 21): ``GRAPH_API_ANALYTICS_MAX_AGE``.

By default (0) a whole-graph answer reflects every write the caller may see. With a
max age A, after such a write the caller's next request is answered the kept answer
at once, ``extensions.wholeGraph`` saying as of when, while the current version is
computed once in the background; a request made once A seconds have passed since
that answer's view was read waits for the current one. A write the caller may not
see changes nothing. Each test runs on one event loop, as the server does (a
background refresh outlives the request that started it), with the services'
monotonic clock injected; whole-graph work that must be held is held by a `Gate`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson
import pytest

from graph_api import analytics
from graph_api.access import Scope
from graph_api.api.app import create_app
from graph_api.api.context import Context
from graph_api.cli import build_parser
from graph_api.cli.common import _settings
from graph_api.config import Settings
from graph_api.offload import Offload
from graph_api.services import Services
from tests.api.test_off_loop import Gate, gated, serve_one, status_of, supply
from tests.conftest import FixedClock, FixedMonotonic, add_orgs
from tests.support import OPERATIONS

RINGS = "{ rings(minSize: 1) { id size members { id } } }"
TOP = "{ topSources(first: 100) { score entity { id } } }"
MAX_AGE = 60.0


@pytest.fixture
def gate() -> Iterator[Gate]:
    found = Gate()
    yield found
    found.opened.set()  # never leave a pool thread waiting


@pytest.fixture
def ticks(services: Services) -> FixedMonotonic:
    services.whole_graph.monotonic = ticks = FixedMonotonic()
    return ticks


@pytest.fixture
def world(services: Services, ticks: FixedMonotonic) -> dict[str, Scope]:
    scopes = add_orgs(services)
    services.submit_report(scopes["acme"], supply("g1", 1))
    services.submit_report(scopes["rival"], supply("g4", 4))
    return scopes


def max_age(services: Services, seconds: float) -> None:
    services.whole_graph.max_age = seconds


def rings_counted(services: Services, gate: Gate, monkeypatch: pytest.MonkeyPatch
                  ) -> Offload:
    """A max age of ``MAX_AGE``, rings' computations counted (and held once the test
    shuts ``gate``): the services' pool."""
    max_age(services, MAX_AGE)
    gate.opened.set()
    gated(monkeypatch, gate, "ring_candidates")
    return offload_of(services)


def offload_of(services: Services) -> Offload:
    return services.whole_graph.offload


async def until(condition: threading.Event | Callable[[], bool], seconds: float = 20.0
                ) -> None:
    """Let the loop run until ``condition`` holds; fail after ``seconds``."""
    check = condition.is_set if isinstance(condition, threading.Event) else condition
    ends = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < ends, "the condition never held"
        await asyncio.sleep(0.005)


async def ask(services: Services, scope: Scope, query: str = RINGS,
              caller: str = "a-token") -> dict[str, Any]:
    """As POST /graphql answers: data, errors and extensions."""
    context = Context(services=services, caller=caller)
    context._scope = scope
    return (await OPERATIONS.run(context, query)).body()


async def settled(services: Services) -> None:
    """Until no whole-graph work is under way (a background refresh has been kept)."""
    offload = offload_of(services)
    await until(lambda: not offload._shared)


def visible_write(services: Services, scopes: dict[str, Scope], n: int) -> None:
    """A GREEN report: every view may see it (a new seller and storefront)."""
    services.submit_report(scopes["bazaar"], supply(f"green-{n}", n))


def older(at: Any, *paths: list[str | int]) -> dict[str, Any]:
    return {"wholeGraph": [{"path": path, "asOf": at.isoformat(), "current": False}
                           for path in paths]}


def sizes(answer: dict[str, Any]) -> int:
    return len(answer["data"]["rings"])


def test_by_default_a_visible_write_shows_in_the_next_rings_at_once(
    services: Services, world: dict[str, Scope]
) -> None:
    offload = offload_of(services)
    assert services.settings.analytics_max_age == services.whole_graph.max_age == 0

    async def main() -> None:
        before = await ask(services, world["acme"])
        visible_write(services, world, 5)
        after = await ask(services, world["acme"])
        assert "extensions" not in before and "extensions" not in after
        assert sizes(after) > sizes(before)
        assert offload.refreshes == 0 and offload.started == 2

    asyncio.run(main())


def test_an_older_answer_comes_at_once_and_the_refresh_next(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic
) -> None:
    max_age(services, MAX_AGE)
    clock = services.clock
    assert isinstance(clock, FixedClock)
    offload = offload_of(services)
    acme = world["acme"]

    async def main() -> None:
        read_at = clock.now
        before = await ask(services, acme)
        assert offload.started == 1 and "extensions" not in before
        clock.now += timedelta(minutes=1)
        visible_write(services, world, 5)
        ticks.now += MAX_AGE  # as old as may be given
        second = await ask(services, acme)
        assert second == {**before, "extensions": older(read_at, ["rings"])}
        assert offload.refreshes == 1
        await settled(services)  # nobody waited for it: it went on and was kept
        assert offload.started == 2
        third = await ask(services, acme)
        assert "extensions" not in third and sizes(third) > sizes(before)
        assert offload.started == 2  # the refresh's answer, kept
        ticks.now += 10 * MAX_AGE  # an exact answer stays as long as its version
        assert await ask(services, acme) == third and offload.started == 2

    asyncio.run(main())


def test_an_answer_older_than_the_max_age_is_not_given(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic, gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offload = rings_counted(services, gate, monkeypatch)
    acme = world["acme"]

    async def main() -> None:
        before = await ask(services, acme)
        gate.opened.clear()
        gate.entered.clear()
        visible_write(services, world, 5)
        ticks.now += MAX_AGE + 0.5
        waiting = asyncio.ensure_future(ask(services, acme))
        await until(gate.entered)  # the current version is computed for this request
        await asyncio.sleep(0.05)
        assert not waiting.done() and offload.refreshes == 0
        gate.opened.set()
        answer = await waiting
        assert "extensions" not in answer and sizes(answer) > sizes(before)
        assert gate.calls == 2

    asyncio.run(main())


def test_a_write_the_caller_may_not_see_changes_nothing(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic
) -> None:
    max_age(services, MAX_AGE)
    offload = offload_of(services)
    acme = world["acme"]

    async def main() -> None:
        before = await ask(services, acme)
        version = services.store.view_version(acme)
        services.submit_report(world["rival"], supply("hidden", 9, "RED"))  # rival's own
        assert services.store.view_version(acme) == version
        ticks.now += 1
        again = await ask(services, acme)
        assert again == before and "extensions" not in again  # the exact answer
        assert offload.started == 1 and offload.refreshes == 0

    asyncio.run(main())


def test_requests_share_one_background_refresh_and_a_late_one_joins_it(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic, gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offload = rings_counted(services, gate, monkeypatch)
    acme = world["acme"]
    clock = services.clock
    assert isinstance(clock, FixedClock)

    async def main() -> None:
        read_at = clock.now
        before = await ask(services, acme)
        gate.opened.clear()
        gate.entered.clear()
        clock.now += timedelta(minutes=1)
        visible_write(services, world, 5)
        ticks.now += 1
        answers = await asyncio.gather(*(ask(services, acme) for _ in range(3)))
        assert all(a == {**before, "extensions": older(read_at, ["rings"])} for a in answers)
        await until(gate.entered)  # the one refresh, held
        visible_write(services, world, 6)  # a newer version while it computes
        ticks.now += 1
        fourth = await ask(services, acme)  # the older answer again: one refresh at a time
        assert fourth == answers[0] and offload.refreshes == 1 and offload.started == 2
        ticks.now += MAX_AGE  # now too old: a request waits, beside the refresh
        late = asyncio.ensure_future(ask(services, acme))
        await until(lambda: len(offload._shared) == 2)
        assert not late.done()
        gate.opened.set()
        fresh = await late
        assert "extensions" not in fresh and sizes(fresh) == sizes(before) + 2
        await settled(services)
        assert gate.calls == 3 and offload.started == 3 and offload.refreshes == 1

    asyncio.run(main())


def test_a_request_joins_the_refresh_of_its_own_version(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic, gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request past the max age, at the version being refreshed, waits for that one
    computation (the refresh is shared as any computation is)."""
    offload = rings_counted(services, gate, monkeypatch)
    acme = world["acme"]

    async def main() -> None:
        await ask(services, acme)
        gate.opened.clear()
        visible_write(services, world, 5)
        ticks.now += 1
        assert "extensions" in await ask(services, acme)  # the refresh starts, held
        ticks.now += MAX_AGE
        late = asyncio.ensure_future(ask(services, acme))
        await until(lambda: offload.shared_waits == 1)
        gate.opened.set()
        assert "extensions" not in await late
        assert gate.calls == 2 and offload.started == 2

    asyncio.run(main())


def test_a_refresh_is_not_dropped_when_the_requests_that_joined_it_leave(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic, gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refresh waiting for its view's turn, joined by a request that then gives up
    (its time budget), still runs: it waits for itself."""
    max_age(services, MAX_AGE)
    gated(monkeypatch, gate, "top_sources")
    offload = offload_of(services)
    acme = world["acme"]
    settings = services.settings

    async def main() -> None:
        await ask(services, acme)  # rings, kept
        top = asyncio.ensure_future(ask(services, acme, TOP))
        await until(gate.entered)  # acme's view is busy: its next job waits its turn
        visible_write(services, world, 5)
        ticks.now += 1
        assert "extensions" in await ask(services, acme)  # a refresh, waiting its turn
        ticks.now += MAX_AGE
        services.settings = replace(settings, request_seconds=0.2)
        late = await ask(services, acme)  # joins the refresh, then gives up
        services.settings = settings
        assert [e["extensions"]["code"] for e in late["errors"]] == ["LIMIT_EXCEEDED"]
        assert offload.shared_waits >= 1 and len(offload._shared) == 2  # still there
        gate.opened.set()
        assert "errors" not in await top
        await settled(services)
        assert offload.started == 3  # rings, topSources, the refresh
        fresh = await ask(services, acme)
        assert "extensions" not in fresh and offload.started == 3

    asyncio.run(main())


def test_a_refresh_that_fails_is_logged_and_tried_again(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    max_age(services, MAX_AGE)
    offload = offload_of(services)
    acme = world["acme"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("clustering broke")

    async def main() -> None:
        before = await ask(services, acme)
        monkeypatch.setattr(analytics, "ring_candidates", broken)
        visible_write(services, world, 5)
        ticks.now += 1
        with caplog.at_level(logging.ERROR, logger="graph_api.offload"):
            assert (await ask(services, acme))["data"] == before["data"]
            await settled(services)
        failed = [r for r in caplog.records if "background refresh" in r.getMessage()]
        assert len(failed) == 1 and "clustering broke" in str(failed[0].exc_info)
        assert (await ask(services, acme))["data"] == before["data"]  # still within A
        await settled(services)
        assert offload.refreshes == 2  # tried again by the next request

    asyncio.run(main())


def test_the_http_response_names_each_older_field(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic
) -> None:
    max_age(services, MAX_AGE)
    clock = services.clock
    assert isinstance(clock, FixedClock)
    _, token = services.issue_token(services.find_org("acme"), "investigator")
    app = create_app(services)
    query = "{ a: rings(minSize: 1) { id } hotspots { totalListings } entity(id: \"w1\") { id } }"

    async def post() -> tuple[int, dict[str, Any]]:
        request, sent = serve_one(app, token, query, asyncio.Event())
        await request
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return status_of(sent), orjson.loads(body)

    async def main() -> None:
        read_at = clock.now
        status, first = await post()
        assert status == 200 and "extensions" not in first, first
        clock.now += timedelta(minutes=1)
        visible_write(services, world, 5)
        ticks.now += 1
        status, second = await post()
        assert status == 200 and second["data"] == first["data"]
        assert second["extensions"] == older(read_at, ["a"], ["hotspots"])
        await settled(services)
        status, third = await post()
        assert "extensions" not in third and third["data"] != first["data"]

    asyncio.run(main())


def test_an_operation_run_again_names_the_older_fields_of_its_answer_only(
    services: Services, world: dict[str, Scope], ticks: FixedMonotonic, gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A field error hands the query's plan back to graphql-core, which runs it again:
    what the plan's run was given is not named (once, or at all when the error leaves
    no data)."""
    max_age(services, MAX_AGE)
    gate.opened.set()
    gated(monkeypatch, gate, "ring_candidates")
    read_at = services.clock()
    nested = ('{ rings(minSize: 1) { id } '
              'entity(id: "w1") { relations(first: 100000) { totalCount } } }')
    root = '{ rings(minSize: 1) { id } traceToSource(from: "nowhere") { origin { id } } }'

    async def main() -> None:
        await ask(services, world["acme"])
        gate.opened.clear()  # the refresh is held: every run is given the older answer
        visible_write(services, world, 5)
        ticks.now += 1
        answer = await ask(services, world["acme"], nested)  # entity: null, rings given
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["LIMIT_EXCEEDED"]
        assert answer["data"]["rings"] and answer["data"]["entity"] is None
        assert answer["extensions"] == older(read_at, ["rings"])
        answer = await ask(services, world["acme"], root)  # a null root: data is null
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["NOT_FOUND"]
        assert answer["data"] is None and "extensions" not in answer

    asyncio.run(main())


# -- the setting --------------------------------------------------------------------------
def test_serve_takes_the_max_age_from_its_flag_else_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser()
    monkeypatch.delenv("GRAPH_API_ANALYTICS_MAX_AGE", raising=False)
    assert Settings().analytics_max_age == 0.0
    assert _settings(parser.parse_args(["serve"])).analytics_max_age == 0.0
    flag = parser.parse_args(["serve", "--analytics-max-age", "30"])
    assert _settings(flag).analytics_max_age == 30.0
    monkeypatch.setenv("GRAPH_API_ANALYTICS_MAX_AGE", "12.5")
    assert _settings(parser.parse_args(["serve"])).analytics_max_age == 12.5
    assert _settings(flag).analytics_max_age == 30.0  # the flag wins
    for wrong in ("-1", "soon", "nan"):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", "--analytics-max-age", wrong])
        assert "--analytics-max-age" in capsys.readouterr().err
        monkeypatch.setenv("GRAPH_API_ANALYTICS_MAX_AGE", wrong)
        with pytest.raises(ValueError, match="GRAPH_API_ANALYTICS_MAX_AGE"):
            Settings.from_env()


def test_requests_of_a_view_moved_by_writes_join_the_computation_not_yet_read(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """By default (exact answers), requests of one view that writes keep moving do not
    each start a computation of their own: a computation whose turn has not come yet
    reads the view after they came, so they all wait for it and get its answer, which
    holds every write each of them may see. One already reading an older version is
    not joined."""
    gated(monkeypatch, gate, "ring_candidates")
    offload = offload_of(services)
    acme = world["acme"]

    async def main() -> None:
        first = asyncio.ensure_future(ask(services, acme))
        await until(gate.entered)  # read at the first version, held while it computes
        visible_write(services, world, 5)
        second = asyncio.ensure_future(ask(services, acme))  # a new computation, queued
        await until(lambda: len(offload._shared) == 2)
        visible_write(services, world, 6)
        third = asyncio.ensure_future(ask(services, acme, caller="another-token"))  # joins it
        await until(lambda: offload.shared_waits == 1)
        gate.opened.set()
        answers = [await first, await second, await third]
        assert all("extensions" not in a and "errors" not in a for a in answers)
        assert sizes(answers[1]) == sizes(answers[2]) == sizes(answers[0]) + 2
        assert gate.calls == 2 and offload.started == 2

    asyncio.run(main())


def test_a_request_after_the_last_waiter_left_a_queued_computation_gets_an_answer(
    services: Services, world: dict[str, Scope], gate: Gate, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A computation still waiting for its turn is dropped when its last request leaves
    (past its budget here); a request of the same question right after does not join
    what is being cancelled: it starts the computation again and gets its answer."""
    gated(monkeypatch, gate, "ring_candidates")
    acme = world["acme"]
    settings = services.settings

    async def main() -> None:
        first = asyncio.ensure_future(ask(services, acme))
        await until(gate.entered)  # holds the view's turn
        visible_write(services, world, 5)
        services.settings = replace(settings, request_seconds=0.2)
        late = await ask(services, acme, caller="late-token")  # queued, then past budget
        assert [e["extensions"]["code"] for e in late["errors"]] == ["LIMIT_EXCEEDED"]
        services.settings = settings
        after = asyncio.ensure_future(ask(services, acme, caller="after-token"))
        gate.opened.set()
        answers = [await first, await after]
        assert all("errors" not in a for a in answers)
        assert sizes(answers[1]) == sizes(answers[0]) + 1

    asyncio.run(main())
