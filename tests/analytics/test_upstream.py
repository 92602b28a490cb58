from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_api.analytics import top_sources, trace_to_source
from tests.analytics.support import graph

CHAIN = {
    "l": "LISTING",
    "s": "STOREFRONT",
    "w1": "WAREHOUSE",
    "w2": "WAREHOUSE",
    "w3": "WAREHOUSE",
    "f": "FACTORY",
    "g": "FACTORY",
}


def scores(trace):  # type: ignore[no-untyped-def]
    return [(s.entity, round(s.score, 9), s.depth) for s in trace.sources]


def test_supplied_warehouse_is_not_a_source_but_its_factory_is() -> None:
    G = graph(
        CHAIN,
        [
            ("s", "l", "LISTS", 0.9),
            ("s", "w1", "SHIPS_FROM", 0.5),
            ("w1", "f", "SUPPLIED_BY", 0.8),
            ("l", "w2", "SHIPS_FROM", 0.4),
        ],
    )
    trace = trace_to_source(G, "l")
    assert scores(trace) == [("w2", 0.4, 1), ("f", 0.36, 3)]
    src = trace.sources[1]
    assert src.paths[0].nodes == ("l", "s", "w1", "f")
    assert src.paths[0].relations == (
        ("s", "l", "LISTS"),
        ("s", "w1", "SHIPS_FROM"),
        ("w1", "f", "SUPPLIED_BY"),
    )
    assert src.paths[0].confidence == src.score


def test_depth_bound_and_warehouse_at_the_edge() -> None:
    G = graph(
        CHAIN,
        [("s", "l", "LISTS", 1.0), ("s", "w1", "SHIPS_FROM", 1.0), ("w1", "f", "SUPPLIED_BY", 1.0)],
    )
    assert scores(trace_to_source(G, "l", max_depth=3)) == [("f", 1.0, 3)]
    # w1 is reached but has a walkable SUPPLIED_BY: not a source; f is out of reach.
    assert scores(trace_to_source(G, "l", max_depth=2)) == []


def test_min_confidence_cuts_relations_and_makes_hubs() -> None:
    G = graph(CHAIN, [("l", "w1", "SHIPS_FROM", 0.9), ("w1", "f", "SUPPLIED_BY", 0.3)])
    assert scores(trace_to_source(G, "l")) == [("f", 0.27, 2)]
    # SUPPLIED_BY is no longer walkable, so w1 becomes a source.
    assert scores(trace_to_source(G, "l", min_confidence=0.5)) == [("w1", 0.9, 1)]
    assert scores(trace_to_source(G, "l", min_confidence=0.3)) == [("f", 0.27, 2)]


def test_max_product_differs_from_fewest_hops_and_respects_the_hop_bound() -> None:
    G = graph(
        CHAIN,
        [
            ("l", "w1", "SHIPS_FROM", 0.2),
            ("w1", "f", "SUPPLIED_BY", 1.0),
            ("s", "l", "LISTS", 1.0),
            ("s", "w2", "SHIPS_FROM", 0.9),
            ("w2", "w3", "SUPPLIED_BY", 0.9),
            ("w3", "f", "SUPPLIED_BY", 0.9),
        ],
    )
    trace = trace_to_source(G, "l")
    assert scores(trace) == [("f", 0.729, 2)]
    assert [p.nodes for p in trace.sources[0].paths] == [
        ("l", "s", "w2", "w3", "f"),
        ("l", "w1", "f"),
    ]
    assert [round(p.confidence, 9) for p in trace.sources[0].paths] == [0.729, 0.2]
    # The 4-hop best path does not count within 3 hops.
    assert scores(trace_to_source(G, "l", max_depth=3)) == [("f", 0.2, 2)]
    assert len(trace_to_source(G, "l", paths_per_source=1).sources[0].paths) == 1


def test_ties_sort_by_depth_then_id_and_seller_operates() -> None:
    nodes = {
        "x": "SELLER",
        "s": "STOREFRONT",
        "b": "FACTORY",
        "a": "FACTORY",
        "w": "WAREHOUSE",
        "c": "FACTORY",
    }
    G = graph(
        nodes,
        [
            ("x", "b", "OPERATES", 0.5),
            ("x", "a", "OPERATES", 0.5),
            ("x", "w", "OPERATES", 1.0),
            ("w", "c", "SUPPLIED_BY", 0.5),
            ("x", "s", "OPERATES", 1.0),
        ],
    )
    assert scores(trace_to_source(G, "x")) == [("a", 0.5, 1), ("b", 0.5, 1), ("c", 0.5, 2)]
    # OPERATES is walked from sellers only; the origin is never a source.
    assert scores(trace_to_source(G, "s")) == []
    assert scores(trace_to_source(G, "a")) == []
    with pytest.raises(nx.NodeNotFound):
        trace_to_source(G, "nope")


def test_top_sources_counts_every_reached_site_per_brand() -> None:
    nodes = {
        "b1": "BRAND",
        "b2": "BRAND",
        "l1": "LISTING",
        "l2": "LISTING",
        "l3": "LISTING",
        "s": "STOREFRONT",
        "w1": "WAREHOUSE",
        "w2": "WAREHOUSE",
        "f": "FACTORY",
        "z": "FACTORY",
    }
    G = graph(
        nodes,
        [
            ("l1", "b1", "INFRINGES", 1.0),
            ("l2", "b1", "INFRINGES", 1.0),
            ("l3", "b2", "INFRINGES", 1.0),
            ("s", "l1", "LISTS", 1.0),
            ("s", "l2", "LISTS", 1.0),
            ("s", "w1", "SHIPS_FROM", 0.1),
            ("l1", "w1", "SHIPS_FROM", 0.9),
            ("w1", "f", "SUPPLIED_BY", 0.2),
            ("l3", "w2", "SHIPS_FROM", 0.9),
        ],
    )
    assert [(r.entity, r.score) for r in top_sources(G)] == [
        ("f", 2.0),
        ("w1", 2.0),
        ("w2", 1.0),
        ("z", 0.0),
    ]
    assert [(r.entity, r.score) for r in top_sources(G, "b2")] == [
        ("w2", 1.0),
        ("f", 0.0),
        ("w1", 0.0),
        ("z", 0.0),
    ]
    assert [r.entity for r in top_sources(G, "b1", first=2)] == ["f", "w1"]
    assert [r.score for r in top_sources(G, "unknown-brand")] == [0.0] * 4


def test_top_sources_respects_depth_six() -> None:
    nodes = {"b": "BRAND", "l": "LISTING", "f": "FACTORY"}
    nodes |= {f"w{i}": "WAREHOUSE" for i in range(6)}
    edges = [("l", "b", "INFRINGES", 1.0), ("l", "w0", "SHIPS_FROM", 1.0)]
    edges += [(f"w{i}", f"w{i + 1}", "SUPPLIED_BY", 1.0) for i in range(5)]
    edges += [("w5", "f", "SUPPLIED_BY", 1.0)]  # f is 7 hops away
    ranked = {r.entity: r.score for r in top_sources(graph(nodes, edges))}
    assert ranked["w5"] == 1.0 and ranked["f"] == 0.0


# -- properties: the trace equals a brute-force enumeration of simple paths -----------------

KINDS = ["LISTING", "STOREFRONT", "SELLER", "WAREHOUSE", "WAREHOUSE", "FACTORY"]
ALLOWED = {
    ("LISTING", "WAREHOUSE"): "SHIPS_FROM",
    ("STOREFRONT", "WAREHOUSE"): "SHIPS_FROM",
    ("WAREHOUSE", "WAREHOUSE"): "SUPPLIED_BY",
    ("WAREHOUSE", "FACTORY"): "SUPPLIED_BY",
    ("STOREFRONT", "LISTING"): "LISTS",
    ("SELLER", "STOREFRONT"): "OPERATES",
    ("SELLER", "WAREHOUSE"): "OPERATES",
    ("SELLER", "FACTORY"): "OPERATES",
}


@st.composite
def small_graphs(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(2, 8))
    kinds = [draw(st.sampled_from(KINDS)) for _ in range(n)]
    nodes = {f"n{i}": k for i, k in enumerate(kinds)}
    edges = []
    conf = st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
    for i in range(n):
        for j in range(n):
            kind = ALLOWED.get((kinds[i], kinds[j]))
            if i != j and kind and draw(st.booleans()):
                edges.append((f"n{i}", f"n{j}", kind, draw(conf)))
    return graph(nodes, edges)


def brute_force(G, origin, max_depth, floor):  # type: ignore[no-untyped-def]
    def steps(u):  # type: ignore[no-untyped-def]
        kind = G.nodes[u]["kind"]
        for _, v, k, c in G.out_edges(u, keys=True, data="confidence"):
            if c >= floor and (
                k in ("SHIPS_FROM", "SUPPLIED_BY") or (k == "OPERATES" and kind == "SELLER")
            ):
                yield v, c
        if kind == "LISTING":
            for v, _, k, c in G.in_edges(u, keys=True, data="confidence"):
                if k == "LISTS" and c >= floor:
                    yield v, c

    paths: dict[str, list[tuple[float, int]]] = {}

    def dfs(u, seen, p):  # type: ignore[no-untyped-def]
        if len(seen) - 1 == max_depth:
            return
        for v, c in steps(u):
            if v not in seen:
                paths.setdefault(v, []).append((p * c, len(seen)))
                dfs(v, (*seen, v), p * c)

    dfs(origin, (origin,), 1.0)

    def is_source(n):  # type: ignore[no-untyped-def]
        kind = G.nodes[n]["kind"]
        return kind == "FACTORY" or (
            kind == "WAREHOUSE"
            and not any(
                c >= floor
                for _, _, k, c in G.out_edges(n, keys=True, data="confidence")
                if k == "SUPPLIED_BY"
            )
        )

    return {n: ps for n, ps in paths.items() if n != origin and is_source(n)}


@settings(max_examples=300, deadline=None)
@given(small_graphs(), st.integers(1, 6), st.sampled_from([0.0, 0.3, 0.6]), st.integers(1, 3))
def test_trace_matches_brute_force(G, max_depth, floor, k) -> None:  # type: ignore[no-untyped-def]
    for origin in G:
        expected = brute_force(G, origin, max_depth, floor)
        trace = trace_to_source(G, origin, max_depth, floor, paths_per_source=k)
        assert {s.entity for s in trace.sources} == set(expected)
        for s in trace.sources:
            ps = expected[s.entity]
            assert math.isclose(s.score, max(p for p, _ in ps), abs_tol=1e-12)
            assert s.depth == min(h for _, h in ps)
            want = sorted((p for p, _ in ps), reverse=True)[:k]
            assert [round(p.confidence, 12) for p in s.paths] == [round(p, 12) for p in want]
            assert len({p.nodes for p in s.paths}) == len(s.paths)
            for p in s.paths:
                assert p.nodes[0] == origin and p.nodes[-1] == s.entity
                assert len(set(p.nodes)) == len(p.nodes) <= max_depth + 1
        keys = [(-s.score, s.depth, s.entity) for s in trace.sources]
        assert keys == sorted(keys)


@settings(max_examples=150, deadline=None)
@given(small_graphs(), st.data())
def test_top_sources_matches_per_listing_walks(G, data) -> None:  # type: ignore[no-untyped-def]
    G.add_node("brand", kind="BRAND")
    listings = [n for n, k in G.nodes(data="kind") if k == "LISTING"]
    for n in listings:
        if data.draw(st.booleans()):
            G.add_edge(n, "brand", key="INFRINGES", confidence=1.0)
    counts: dict[str, int] = {}
    for n in listings:
        if G.has_edge(n, "brand", "INFRINGES"):
            reached = brute_force_reach(G, n)
            for m in reached:
                counts[m] = counts.get(m, 0) + 1
    got = {r.entity: r.score for r in top_sources(G)}
    sites = [n for n, k in G.nodes(data="kind") if k in ("WAREHOUSE", "FACTORY")]
    assert got == {n: float(counts.get(n, 0)) for n in sites}


def brute_force_reach(G, origin):  # type: ignore[no-untyped-def]
    seen = {origin: 0}
    frontier = [origin]
    for d in range(1, 7):
        nxt = []
        for u in frontier:
            kind = G.nodes[u]["kind"]
            outs = [
                v
                for _, v, k in G.out_edges(u, keys=True)
                if k in ("SHIPS_FROM", "SUPPLIED_BY") or (k == "OPERATES" and kind == "SELLER")
            ]
            if kind == "LISTING":
                outs += [v for v, _, k in G.in_edges(u, keys=True) if k == "LISTS"]
            for v in outs:
                if v not in seen:
                    seen[v] = d
                    nxt.append(v)
        frontier = nxt
    return {n for n in seen if n != origin and G.nodes[n]["kind"] in ("WAREHOUSE", "FACTORY")}
