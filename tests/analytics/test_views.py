"""View equivalence: on a lazily filtered view every analytic answers exactly as on
a graph that holds only what the view shows, and never changes the graph."""

from __future__ import annotations

import random
from functools import cache

import networkx as nx

from graph_api.analytics import (
    connections,
    hotspots,
    linked_entities,
    network,
    ring_candidates,
    top_sources,
    trace_to_source,
)
from graph_api.synthetic import Truth, iter_reports
from tests.analytics.support import graph_from_reports


@cache
def views() -> tuple[nx.MultiDiGraph, nx.MultiDiGraph, nx.MultiDiGraph]:
    G = graph_from_reports(iter_reports(400, 3, Truth()))
    rng = random.Random(5)
    hidden_nodes = {n for n in G if rng.random() < 0.05}
    hidden_edges = {e for e in G.edges(keys=True) if rng.random() < 0.1}
    view = nx.subgraph_view(
        G,
        filter_node=lambda n: n not in hidden_nodes,
        filter_edge=lambda u, v, k: (u, v, k) not in hidden_edges,
    )
    plain = nx.MultiDiGraph()
    plain.add_nodes_from(view.nodes(data=True))
    plain.add_edges_from(view.edges(keys=True, data=True))
    return G, view, plain


def test_per_entity_analytics_match_on_a_view() -> None:
    G, view, plain = views()
    before = (G.number_of_nodes(), G.number_of_edges())
    ids = sorted(view)
    rng = random.Random(9)
    for n in rng.sample(ids, 150):
        assert trace_to_source(view, n) == trace_to_source(plain, n)
        assert trace_to_source(view, n, 4, 0.5) == trace_to_source(plain, n, 4, 0.5)
        assert network(view, [n], limit=50) == network(plain, [n], limit=50)
        assert linked_entities(view, n) == linked_entities(plain, n)
        m = rng.choice(ids)
        assert connections(view, n, m) == connections(plain, n, m)
    assert (G.number_of_nodes(), G.number_of_edges()) == before


def test_whole_graph_analytics_match_on_a_view() -> None:
    _, view, plain = views()
    assert top_sources(view) == top_sources(plain)
    assert hotspots(view, first=None) == hotspots(plain, first=None)
    assert ring_candidates(view) == ring_candidates(plain)


def test_enum_kinds_answer_as_plain_strings() -> None:
    """A store may keep EntityKind / RelationKind members as kinds and keys."""
    from graph_api.model import EntityKind, RelationKind

    _, _, plain = views()
    enums = nx.MultiDiGraph()
    enums.add_nodes_from(
        (n, {**d, "kind": EntityKind(d["kind"])}) for n, d in plain.nodes(data=True)
    )
    enums.add_edges_from(
        (u, v, RelationKind(k), d) for u, v, k, d in plain.edges(keys=True, data=True)
    )
    rng = random.Random(3)
    for n in rng.sample(sorted(plain), 40):
        assert trace_to_source(enums, n) == trace_to_source(plain, n)
        assert network(enums, [n], kinds=[RelationKind.USES]) == network(plain, [n], kinds=["USES"])
        assert linked_entities(enums, n) == linked_entities(plain, n)
        m = rng.choice(sorted(plain))
        assert connections(enums, n, m) == connections(plain, n, m)
    assert top_sources(enums) == top_sources(plain)
    assert hotspots(enums) == hotspots(plain)
    assert ring_candidates(enums) == ring_candidates(plain)
