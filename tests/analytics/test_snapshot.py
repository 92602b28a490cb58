"""The numpy snapshot behind the whole-graph steps: it reads a view exactly as the
networkx mappings show it, is built once per view version, and never hides
less than the view."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_api.analytics import hotspots, ring_candidates, top_sources
from graph_api.analytics.snapshot import snapshot
from graph_api.analytics.walks import UpstreamWalk
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.store.masks import HUB_FACTS, VisibilityMask, merged_node
from graph_api.store.scoped_view import scoped_view
from graph_api.synthetic import iter_reports, orgs
from tests.analytics.support import graph, store_view
from tests.analytics.test_upstream import small_graphs
from tests.api.test_view_equivalence import load
from tests.conftest import MakeServices

KINDS = ["LISTING", "STOREFRONT", "SELLER", "WAREHOUSE", "FACTORY", "IDENTIFIER", "BRAND"]
RELATIONS = ["LISTS", "SHIPS_FROM", "SUPPLIED_BY", "OPERATES", "USES", "INFRINGES", "MEMBER_OF"]


def plain_copy(view: Any) -> nx.MultiDiGraph:
    """The view read through its networkx mappings into an ordinary graph."""
    H = nx.MultiDiGraph()
    H.add_nodes_from((n, dict(d)) for n, d in view.nodes(data=True))
    H.add_edges_from((u, v, k, dict(d)) for u, v, k, d in view.edges(keys=True, data=True))
    return H


def table(G: Any) -> tuple[list[Any], list[Any]]:
    """A snapshot as plain data: nodes with kind and region, relations sorted."""
    sn = snapshot(G)
    nodes = [
        (n, sn.kinds[k] if k >= 0 else None, sn.regions[r] if r >= 0 else None)
        for n, k, r in zip(sn.ids, sn.kind.tolist(), sn.region.tolist(), strict=True)
    ]
    edges = sorted(
        (sn.ids[u], sn.ids[v], sn.rels[k], c)
        for u, v, k, c in zip(
            sn.src.tolist(), sn.dst.tolist(), sn.rel.tolist(), sn.conf.tolist(), strict=True
        )
    )
    return nodes, edges


def store_format_graph(seed: int) -> nx.MultiDiGraph:
    """A shared graph as the embedded store keeps it: every node and relation a list
    of facts in visibility classes 0-3, some nodes stated more than HUB_FACTS times."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    names = [f"n{i:03d}" for i in range(60)]
    for i, n in enumerate(names):
        kind = KINDS[i % len(KINDS)]
        stated = HUB_FACTS + 5 if i % 17 == 0 else rng.choice([1, 1, 2, 3])
        facts = [
            (
                s,
                rng.randrange(4),
                rng.choice([0.4, 0.6, 0.9]),
                kind,
                n,
                rng.choice([None, "", "PRD", "YRD"]),
                None,
            )
            for s in range(stated)
        ]
        G.add_node(n, **merged_node(facts))
    for _ in range(240):
        u, v = rng.sample(names, 2)
        key = rng.choice(RELATIONS)
        if G.has_edge(u, v, key):
            continue
        said = [
            (s, rng.randrange(4), rng.choice([0.3, 0.5, 0.8]))
            for s in range(rng.choice([1, 1, 1, 2, 4]))
        ]
        miss = 1.0
        for fact in said:
            miss *= 1.0 - fact[2]
        G.add_edge(u, v, key=key, confidence=1.0 - miss, miss=miss, facts=said)
    return G


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("seen", [{0}, {0, 2}, {1, 2, 3}, {0, 1, 2, 3}])
def test_a_scoped_view_reads_as_its_mappings_show_it(seed: int, seen: set[int]) -> None:
    G = store_format_graph(seed)
    view = scoped_view(G, VisibilityMask(lambda c: c in seen))
    copy = plain_copy(view)
    assert table(view) == table(copy)
    assert top_sources(view) == top_sources(copy)
    assert hotspots(view, first=None) == hotspots(copy, first=None)
    for hub_degree in (None, 2):
        assert ring_candidates(view, min_size=1, hub_degree=hub_degree) == ring_candidates(
            copy, min_size=1, hub_degree=hub_degree
        )


def test_nothing_hidden_is_read() -> None:
    G = store_format_graph(1)
    view = scoped_view(G, VisibilityMask(lambda c: c == 3))
    nodes, edges = table(view)
    visible = set(view)
    assert {n for n, _, _ in nodes} == visible and len(visible) < len(G)
    for u, v, k, c in edges:
        assert u in visible and v in visible
        assert c == view[u][v][k]["confidence"]
    assert len(edges) == view.number_of_edges() < G.number_of_edges()


@pytest.mark.parametrize("org_id", ["stridewell", "bazaarhub", "ipcu"])
def test_the_store_view_answers_as_a_copy_of_it(
    make_services: MakeServices, tmp_path: Path, org_id: str
) -> None:
    services = make_services()
    load(services, list(iter_reports(60, seed=4)), tmp_path)
    principal, _ = services.issue_token(services.find_org(org_id), "investigator")
    view = store_view(services.store, services.scope_for(principal))  # read from columns
    copy = plain_copy(view)
    assert table(view) == table(copy)
    brand = sorted(n for n, k in copy.nodes(data="kind") if k == "BRAND")[0]
    assert top_sources(view) == top_sources(copy)
    assert top_sources(view, brand, first=5) == top_sources(copy, brand, first=5)
    assert hotspots(view, first=None) == hotspots(copy, first=None)
    assert ring_candidates(view) == ring_candidates(copy)
    assert ring_candidates(view, hub_degree=None) == ring_candidates(copy, hub_degree=None)


def test_one_snapshot_per_view_version(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graph_api.analytics.snapshot as module

    built: list[Any] = []
    build = module._build

    def counting(G: Any) -> Any:
        built.append(build(G))
        return built[-1]

    monkeypatch.setattr(module, "_build", counting)
    services: Services = make_services()
    for org in orgs():
        services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
    platform = services.operator_scope(services.find_org("bazaarhub"))
    brand = services.operator_scope(services.find_org("stridewell"))
    load_lines = list(iter_reports(20, seed=2))
    for line in load_lines[:-1]:
        services.submit_report(services.reporter_scope(platform, line, True), line)

    def whole(scope: Any) -> tuple[Any, ...]:
        return (
            services.whole_graph.cached(scope, "topSources", None, top_sources),
            services.whole_graph.cached(scope, "hotspots", None, hotspots),
            services.whole_graph.cached(scope, "rings", 3, ring_candidates),
        )

    first = whole(platform)
    assert len(built) == 1  # three answers, one read of the view
    assert whole(platform) == first and len(built) == 1  # cached answers
    whole(brand)
    assert len(built) == 2  # another view: its own snapshot
    last = load_lines[-1]
    services.submit_report(services.reporter_scope(platform, last, True), last)
    after = whole(platform)
    assert len(built) == 2  # a write: a new version, the kept snapshot followed, not read
    fresh = services.store.view(platform)
    assert after == (top_sources(fresh), hotspots(fresh), ring_candidates(fresh))


def test_the_snapshot_is_kept_with_the_graph_and_dropped_on_change() -> None:
    G = graph({"l": "LISTING", "w": ("WAREHOUSE", "PRD"), "b": "BRAND"}, [])
    G.add_edge("l", "b", key="INFRINGES", confidence=1.0)
    assert top_sources(G)[0].score == 0.0
    sn = snapshot(G)
    assert snapshot(G) is sn and G.__networkx_cache__
    G.add_edge("l", "w", key="SHIPS_FROM", confidence=0.5)
    assert top_sources(G)[0].score == 1.0 and snapshot(G) is not sn


def brute_force_hotspots(G: Any) -> dict[str, tuple[int, int]]:
    """Per region: (listings whose storefront or source lies there, sources met),
    from one walk per listing."""
    walk = UpstreamWalk(G, 0.0)
    listings = {
        u for u, v, k in G.edges(keys=True) if k == "INFRINGES" and G.nodes[v]["kind"] == "BRAND"
    }
    counts: dict[str, int] = {}
    feeding: dict[str, set[str]] = {}
    for listing in listings:
        regions = set()
        for n in walk.reach(listing, 6):
            region = G.nodes[n].get("region")
            own = G.nodes[n]["kind"] == "STOREFRONT" or walk.is_source(n)
            if own and region:
                regions.add(region)
                if G.nodes[n]["kind"] != "STOREFRONT":
                    feeding.setdefault(region, set()).add(n)
        for r in regions:
            counts[r] = counts.get(r, 0) + 1
    return {r: (c, len(feeding.get(r, ()))) for r, c in counts.items()}


@settings(max_examples=150, deadline=None)
@given(small_graphs(), st.data())
def test_hotspots_match_per_listing_walks(G, data) -> None:  # type: ignore[no-untyped-def]
    G.add_node("brand", kind="BRAND")
    for n, kind in list(G.nodes(data="kind")):
        G.nodes[n]["region"] = data.draw(st.sampled_from([None, "A", "B", "C"]))
        if kind in ("LISTING", "STOREFRONT") and data.draw(st.booleans()):
            G.add_edge(n, "brand", key="INFRINGES", confidence=1.0)
    report = hotspots(G, first=None)
    assert {r.region: (r.listings, r.sources) for r in report.regions} == brute_force_hotspots(G)
