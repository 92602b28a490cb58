"""A view's version moves with the writes it may see and with no other (issue 18,
finding 9): a write invisible to org C leaves C's cached topSources and totalCount
answers in place, so C's next query is as fast as before; a visible write drops them.
On every store; the assertions are on the caches, never on time."""

from __future__ import annotations

from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.analytics import top_sources
from graph_api.services import Services
from graph_api.store.base import EntityFilter
from tests.conftest import add_orgs
from tests.support import gql

TOP = "{ topSources { score entity { id } } }"
COUNT = "{ entities(kind: WAREHOUSE, first: 1) { totalCount } }"


def report(rid: str, entities: list[dict[str, Any]], relations: list[dict[str, Any]],
           marking: str, shared: list[str] | None = None) -> dict[str, Any]:
    return {"reportId": rid, "source": "OSINT", "confidence": 0.7, "marking": marking,
            "sharedWith": shared or [], "entities": entities, "relations": relations}


def supply(rid: str, n: int, marking: str = "GREEN", shared: list[str] | None = None
           ) -> dict[str, Any]:
    """A listing infringing a brand, shipped from a warehouse supplied by a factory."""
    return report(rid, [
        {"id": "brand-x", "kind": "BRAND", "name": "X"},
        {"id": f"l{n}", "kind": "LISTING"},
        {"id": f"w{n}", "kind": "WAREHOUSE", "region": "Fujian"},
        {"id": f"x{n}", "kind": "FACTORY"},
    ], [
        {"kind": "INFRINGES", "from": f"l{n}", "to": "brand-x"},
        {"kind": "SHIPS_FROM", "from": f"l{n}", "to": f"w{n}"},
        {"kind": "SUPPLIED_BY", "from": f"w{n}", "to": f"x{n}"},
    ], marking, shared)


def cached_for(services: Services, scope: Scope) -> dict[tuple[Any, ...], Any]:
    """C's whole-graph answers kept, by (view, version, name, arg)."""
    kept = services.whole_graph.answers
    out = {}
    for view_key, name, arg in kept:
        answer = kept.get((view_key, name, arg))
        if view_key == scope.view_key and answer is not None:
            out[(view_key, answer.version, name, arg)] = answer.value
    return out


def totals_for(services: Services, scope: Scope) -> dict[tuple[Any, ...], int]:
    """C's kept totalCount answers."""
    kept: dict[tuple[Any, ...], int] = services.store.__dict__.get("_totals", {})
    return {k: v for k, v in kept.items() if k[0] == scope.view_key}


def ask(services: Services, scope: Scope) -> tuple[Any, Any]:
    top = gql(services, scope, TOP)
    count = gql(services, scope, COUNT)
    assert "errors" not in top and "errors" not in count, (top, count)
    return top["data"]["topSources"], count["data"]["entities"]["totalCount"]


@pytest.fixture
def world(services: Services) -> dict[str, Scope]:
    scopes = add_orgs(services)
    services.submit_report(scopes["acme"], supply("g1", 1))
    services.submit_report(scopes["bazaar"], supply("g2", 2, "AMBER"))
    return scopes


@pytest.mark.parametrize("observer,hidden", [
    ("rival", ("acme", "RED", None)),           # a competitor's own RED report
    ("rival", ("acme", "AMBER_STRICT", None)),  # shown to the platform only
    ("police", ("acme", "AMBER_STRICT", None)),
    ("police", ("bazaar", "RED", ["acme"])),    # the platform's RED, shared with a brand
    ("acme", ("rival", "AMBER", None)),         # AMBER: platform and regulators, not brands
])
def test_a_write_the_view_may_not_see_keeps_its_caches(
    services: Services, world: dict[str, Scope], observer: str,
    hidden: tuple[str, str, list[str] | None],
) -> None:
    c = world[observer]
    before = ask(services, c)
    version = services.store.view_version(c)
    top, totals = cached_for(services, c), totals_for(services, c)
    assert [k[2] for k in top] == ["topSources"] and len(totals) == 1
    assert [k[1] for k in top] == [version] and [k[1] for k in totals] == [version]

    org, marking, shared = hidden
    services.submit_report(world[org], supply("hidden", 9, marking, shared))
    writer = world[org]
    assert services.store.view_version(writer) > version  # the writer's own view moved
    assert services.store.view_version(c) == version
    # C's entries are where they were, the very objects, and answer C's next query
    assert cached_for(services, c) == top
    assert all(cached_for(services, c)[k] is v for k, v in top.items())
    assert totals_for(services, c) == totals
    assert ask(services, c) == before
    assert cached_for(services, c) == top and totals_for(services, c) == totals


def test_a_write_the_view_may_see_drops_its_caches(
    services: Services, world: dict[str, Scope]
) -> None:
    rival = world["rival"]
    before = ask(services, rival)
    version = services.store.view_version(rival)
    # a new class that rival may see: acme's RED, shared with rival
    services.submit_report(world["acme"], supply("shared", 7, "RED", ["rival"]))
    moved = services.store.view_version(rival)
    assert moved > version
    after = ask(services, rival)
    assert after != before and after[1] == before[1] + 1
    assert {k[1] for k in cached_for(services, rival)} == {moved}  # the old version's went
    assert {k[1] for k in totals_for(services, rival)} == {moved}
    # a GREEN write moves every view
    versions = {name: services.store.view_version(s) for name, s in world.items()}
    services.submit_report(world["bazaar"], supply("green", 8))
    assert all(services.store.view_version(s) > versions[name] for name, s in world.items())


def test_cached_answers_are_those_of_the_view_read_afresh(
    services: Services, world: dict[str, Scope]
) -> None:
    """After writes hidden from some views and seen by others, every view's cached
    answer is what its view computes now (view equivalence is unchanged)."""
    for scope in world.values():
        ask(services, scope)
    services.submit_report(world["acme"], supply("r1", 3, "RED"))
    services.submit_report(world["rival"], supply("r2", 4, "AMBER_STRICT"))
    services.submit_report(world["bazaar"], supply("r3", 5, "AMBER"))
    for name, scope in world.items():
        kept = services.whole_graph.cached(scope, "topSources", None, top_sources)
        fresh = top_sources(services.store.view(scope))
        assert [(r.entity, r.score) for r in kept] == [(r.entity, r.score) for r in fresh], name
        total = services.store.find_entities(
            scope, EntityFilter(kind=None), 1, None, True).total
        everything = services.store.find_entities(
            scope, EntityFilter(kind=None), 10_000, None, False)
        assert total == len(everything.items), name


def test_a_version_is_the_newest_report_the_view_may_see(
    services: Services, world: dict[str, Scope]
) -> None:
    store = services.store
    assert store.view_version(world["rival"]) == 1  # g2 is AMBER: not rival's
    assert store.view_version(world["police"]) == 2
    services.submit_report(world["acme"], supply("r", 3, "RED"))
    assert [store.view_version(world[o]) for o in ("acme", "rival", "bazaar", "police")] == [
        3, 1, 2, 2]


TRACE = """query($id: ID!) { traceToSource(from: $id) { sources { entity { id } score } } }"""


def test_neo4j_trace_nodes_kept_over_a_write_the_view_may_not_see(
    services: Services, world: dict[str, Scope], store_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Neo4j store keeps a trace's warehouses and factories per view at the view's
    version: another org's hidden write leaves them, a visible one reads them again."""
    if store_kind != "neo4j":
        pytest.skip("the embedded store reads its graph in memory")
    store: Any = services.store
    reads: list[str] = []
    real = store._read

    def counted(name: str, **params: Any) -> Any:
        reads.append(name)
        return real(name, **params)

    monkeypatch.setattr(store, "_read", counted)
    rival = world["rival"]

    def summaries_read() -> int:
        reads.clear()
        answer = gql(services, rival, TRACE, {"id": "l1"})
        assert [s["entity"]["id"] for s in answer["data"]["traceToSource"]["sources"]] == ["x1"]
        return sum(n in ("read_entity_summaries", "read_entity_records") for n in reads)

    assert summaries_read() >= 1  # the warehouse and factory: read, then kept
    assert summaries_read() == 0
    services.submit_report(world["acme"], supply("hidden", 9, "RED"))
    assert summaries_read() == 0
    services.submit_report(world["acme"], supply("seen", 8, "GREEN"))
    assert summaries_read() >= 1
