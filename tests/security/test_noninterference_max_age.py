"""Non-interference with whole-graph answers of bounded age (issue 21).

With ``GRAPH_API_ANALYTICS_MAX_AGE`` above 0 a whole-graph request may be answered a
kept answer of an older version of the caller's view, and ``extensions.wholeGraph``
says so. Whether it is must depend only on the caller's view and the clock (DESIGN.md
"Derived facts"). Two services run side by side on one event loop, as a server runs
(a background refresh outlives its request): world A receives every write and every
other org's whole-graph request, world B only the writes the observing org C may
see. Both clocks (UTC and monotonic) move in step. After every step the background
work of both worlds is let finish, so that when a refresh lands is no part of the
comparison (it is a matter of timing, as a response's latency is: see
docs/link-analysis.md). C's answers, data and extensions, must be equal in both.

The stateful machine of ``test_noninterference.py`` asks each query on a loop of its
own, which ends with the query and cancels the refresh it started: an older answer
would there be given until the max age passed, never replaced. Hence this test.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from graph_api.access import Scope, VisibilityClass, may_see
from graph_api.api.context import Context
from graph_api.config import Settings
from graph_api.model import Marking
from graph_api.services import Services
from graph_api.workflow import start_workflow
from tests.conftest import OLD_NOTICES, FixedClock, FixedMonotonic, add_orgs
from tests.support import OPERATIONS

EXAMPLES = int(os.environ.get("GRAPH_API_NONINTERFERENCE_MAX_AGE_EXAMPLES", "100"))
MAX_AGE = 60.0
QUESTIONS = {
    "rings": "{ rings(minSize: 1) { id size members { id } sources { id } } }",
    "topSources": "{ topSources(first: 50) { score entity { id } } }",
    "topSources(brand)": '{ topSources(brand: "brand-x", first: 50) { score entity { id } } }',
    "hotspots": "{ hotspots { totalListings regions { region listings sources share } } }",
    "all": "{ rings(minSize: 1) { id size } topSources { score entity { id } } "
           "hotspots { totalListings } }",
}
ORGS = ("acme", "rival", "bazaar", "police")
MARKINGS = ("GREEN", "AMBER", "AMBER_STRICT", "RED")
OBSERVERS = ("acme", "police")


def report(rid: str, marking: str, what: tuple[str, int, int]) -> dict[str, Any]:
    """A supply chain (``("supply", n, _)``: listing, storefront, seller, warehouse,
    factory of number n), or one relation between the entities of numbers i and j."""
    kind, i, j = what
    entities: list[dict[str, Any]] = [{"id": "brand-x", "kind": "BRAND", "name": "X"}]
    if kind == "supply":
        entities += [
            {"id": f"l{i}", "kind": "LISTING"}, {"id": f"s{i}", "kind": "STOREFRONT"},
            {"id": f"p{i}", "kind": "SELLER"},
            {"id": f"w{i}", "kind": "WAREHOUSE", "region": ("Fujian", "Guangdong")[i % 2]},
            {"id": f"x{i}", "kind": "FACTORY"},
        ]
        relations = [("INFRINGES", f"l{i}", "brand-x"), ("LISTS", f"s{i}", f"l{i}"),
                     ("OPERATES", f"p{i}", f"s{i}"), ("SHIPS_FROM", f"l{i}", f"w{i}"),
                     ("SUPPLIED_BY", f"w{i}", f"x{i}")]
    else:
        ends = {"OPERATES": ("p", "SELLER", "s", "STOREFRONT"),
                "SHIPS_FROM": ("l", "LISTING", "w", "WAREHOUSE"),
                "SUPPLIED_BY": ("w", "WAREHOUSE", "x", "FACTORY")}[kind]
        entities += [{"id": f"{ends[0]}{i}", "kind": ends[1]},
                     {"id": f"{ends[2]}{j}", "kind": ends[3]}]
        relations = [(kind, f"{ends[0]}{i}", f"{ends[2]}{j}")]
    return {"reportId": rid, "source": "OSINT", "confidence": 0.7, "marking": marking,
            "entities": entities,
            "relations": [{"kind": k, "from": a, "to": b} for k, a, b in relations]}


@dataclass
class World:
    services: Services
    scopes: dict[str, Scope]
    clock: FixedClock = field(default_factory=FixedClock)
    ticks: FixedMonotonic = field(default_factory=FixedMonotonic)

    async def ask(self, who: str, query: str) -> dict[str, Any]:
        context = Context(services=self.services, caller=f"token-of-{who}")
        context._scope = self.scopes[who]
        answer = (await OPERATIONS.run(context, query)).body()
        await self.settled()
        return answer

    async def settled(self) -> None:
        """Until the world's background work has been kept (or failed)."""
        offload = self.services.whole_graph.offload
        for _ in range(4000):
            if not offload._shared:
                return
            await asyncio.sleep(0.005)
        raise AssertionError("whole-graph work never ended")


@contextmanager
def two_worlds() -> Iterator[tuple[World, World]]:
    with tempfile.TemporaryDirectory() as folder:
        worlds = []
        for name in ("a", "b"):
            settings = Settings(db=Path(folder) / name / "graph.db", notice_rights=OLD_NOTICES,
                                analytics_max_age=MAX_AGE)
            (Path(folder) / name).mkdir()
            clock, ticks = FixedClock(), FixedMonotonic()
            services = start_workflow(Services.open(settings, clock=clock))
            services.whole_graph.monotonic = ticks
            world = World(services, add_orgs(services), clock, ticks)
            world.services.submit_report(world.scopes["bazaar"],
                                         report("base", "GREEN", ("supply", 1, 0)))
            worlds.append(world)
        try:
            yield worlds[0], worlds[1]
        finally:
            for world in worlds:
                world.services.close()


write = st.tuples(st.just("write"), st.sampled_from(ORGS), st.sampled_from(MARKINGS),
                  st.tuples(st.sampled_from(("supply", "OPERATES", "SHIPS_FROM", "SUPPLIED_BY")),
                            st.integers(1, 5), st.integers(1, 5)))
tick = st.tuples(st.just("tick"), st.sampled_from((1.0, 20.0, MAX_AGE - 1, MAX_AGE + 1, 600.0)))
c_asks = st.tuples(st.just("c_asks"), st.sampled_from(sorted(QUESTIONS)))
other_asks = st.tuples(st.just("other_asks"), st.sampled_from(ORGS),
                       st.sampled_from(sorted(QUESTIONS)))
steps = st.lists(st.one_of(c_asks, write, c_asks, tick, other_asks), min_size=4, max_size=20)


async def play(observer: str, plan: list[tuple[Any, ...]], control: bool = False
               ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Run ``plan`` in both worlds; C's answers in A and in B, step by step."""
    answers = []
    with two_worlds() as (a, b):
        c_type = a.scopes[observer].org_type
        for n, step in enumerate(plan):
            if step[0] == "write":
                _, org, marking, what = step
                visible = control or org == observer or may_see(
                    VisibilityClass(org, Marking(marking), frozenset()), observer, c_type)
                for world in (a, b) if visible else (a,):
                    world.services.submit_report(world.scopes[org],
                                                 report(f"r{n}", marking, what))
            elif step[0] == "tick":
                for world in (a, b):
                    world.ticks.now += step[1]
                    world.clock.now += timedelta(seconds=step[1])
            elif step[0] == "c_asks":
                query = QUESTIONS[step[1]]
                seen = (await a.ask(observer, query), await b.ask(observer, query))
                assert seen[0] == seen[1], (step, plan[: n + 1], *seen)
                if currently_in_test_context():
                    event("older" if "extensions" in seen[0] else "current")
                answers.append(seen)
            else:
                _, org, question = step
                if control or org == observer:  # C's own org's requests: C's view
                    await b.ask(org, QUESTIONS[question])
                await a.ask(org, QUESTIONS[question])
    return answers


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(observer=st.sampled_from(OBSERVERS), plan=steps)
def test_nothing_c_may_not_see_decides_whether_it_gets_an_older_answer(
    observer: str, plan: list[tuple[Any, ...]]
) -> None:
    asyncio.run(play(observer, plan))


def test_the_known_way_shows_older_answers_alike_in_both_worlds() -> None:
    """A fixed run through what the random one meets now and then: C's older answers
    after a write it sees, amid writes and requests it does not see, within and past
    the max age; both worlds give the older answer at the same requests."""
    plan: list[tuple[Any, ...]] = [
        ("c_asks", "all"), ("c_asks", "rings"), ("c_asks", "hotspots"),  # read at 0 s
        ("write", "bazaar", "GREEN", ("supply", 2, 0)),       # C sees it
        ("write", "rival", "RED", ("OPERATES", 1, 2)),        # C does not
        ("other_asks", "rival", "rings"),
        ("tick", 20.0),
        ("c_asks", "rings"),                                   # older; refreshed (20 s)
        ("c_asks", "rings"),                                   # current
        ("c_asks", "hotspots"),                                # older; refreshed (20 s)
        ("write", "acme", "RED", ("SHIPS_FROM", 2, 1)),        # acme's own: C sees it
        ("write", "rival", "AMBER_STRICT", ("supply", 3, 0)),  # C does not
        ("other_asks", "police", "all"),
        ("tick", MAX_AGE - 1),
        ("c_asks", "all"),  # rings and hotspots older (59 s), topSources too old (79 s)
        ("tick", MAX_AGE + 1),
        ("write", "acme", "GREEN", ("supply", 4, 0)),
        ("c_asks", "rings"),                                   # too old (61 s): current
        ("write", "rival", "RED", ("supply", 5, 0)),
        ("c_asks", "all"),                                     # too old: current
        ("write", "bazaar", "AMBER", ("SUPPLIED_BY", 5, 1)),   # brands do not see AMBER
        ("c_asks", "all"),                                     # exact
    ]
    answers = asyncio.run(play("acme", plan))
    older = [a.get("extensions") for a, _ in answers]
    assert [o is not None for o in older] == [False, False, False, True, False, True, True,
                                               False, False, False]
    assert [entry["path"] for entry in older[6]["wholeGraph"]] == [["rings"], ["hotspots"]]
    assert all(a == b for a, b in answers)


def test_the_worlds_agree_when_both_receive_everything() -> None:
    """The harness's control: B receiving every write and request too, the answers are
    the same step by step, older ones included."""
    plan: list[tuple[Any, ...]] = [
        ("c_asks", "rings"), ("other_asks", "rival", "hotspots"),
        ("write", "rival", "GREEN", ("supply", 2, 0)), ("tick", 1.0),
        ("c_asks", "rings"), ("c_asks", "rings"),
    ]
    answers = asyncio.run(play("acme", plan, control=True))
    assert ["extensions" in a for a, _ in answers] == [False, True, False]
