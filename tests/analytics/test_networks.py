from __future__ import annotations

import networkx as nx
import pytest

from graph_api.analytics import connections, linked_entities, network
from tests.analytics.support import graph

STAR = {
    "a": "SELLER",
    "b": "STOREFRONT",
    "c": "STOREFRONT",
    "d": "LISTING",
    "e": "LISTING",
    "w": "WAREHOUSE",
    "x": "WAREHOUSE",
}
STAR_EDGES = [
    ("a", "b", "OPERATES", 1.0),
    ("a", "c", "OPERATES", 0.4),
    ("b", "d", "LISTS", 1.0),
    ("c", "e", "LISTS", 1.0),
    ("d", "w", "SHIPS_FROM", 0.9),
    ("e", "w", "SHIPS_FROM", 0.2),
    ("w", "x", "SUPPLIED_BY", 1.0),
]


def test_network_hops_order_and_induced_relations() -> None:
    G = graph(STAR, STAR_EDGES)
    sub = network(G, ["d"], max_hops=2)
    assert sub.nodes == ("d", "b", "w", "a", "e", "x")
    assert sub.relations == (
        ("a", "b", "OPERATES"),
        ("b", "d", "LISTS"),
        ("d", "w", "SHIPS_FROM"),
        ("e", "w", "SHIPS_FROM"),
        ("w", "x", "SUPPLIED_BY"),
    )
    assert not sub.truncated
    # a relation between two nodes of the last layer is returned too
    sub = network(G, ["b", "c"], max_hops=1)
    assert sub.nodes == ("b", "c", "a", "d", "e")
    assert ("a", "c", "OPERATES") in sub.relations and not sub.truncated


def test_network_kinds_confidence_limit_and_unknown_seeds() -> None:
    G = graph(STAR, STAR_EDGES)
    sub = network(G, ["d", "missing"], max_hops=3, kinds=["SHIPS_FROM", "SUPPLIED_BY"])
    assert sub.nodes == ("d", "w", "e", "x")
    sub = network(G, ["d"], max_hops=3, min_confidence=0.5)
    assert set(sub.nodes) == {"d", "b", "w", "a", "x"}
    assert ("e", "w", "SHIPS_FROM") not in sub.relations
    sub = network(G, ["d"], max_hops=2, limit=3)
    assert sub.nodes == ("d", "b", "w") and sub.truncated
    assert sub.relations == (("b", "d", "LISTS"), ("d", "w", "SHIPS_FROM"))
    exact = network(G, ["d"], max_hops=2, limit=6)
    assert len(exact.nodes) == 6 and not exact.truncated
    assert network(G, [], max_hops=2) == network(G, ["nope"])


def test_connections_undirected_fewest_hops_most_confident_first() -> None:
    G = graph(STAR, STAR_EDGES)
    paths = connections(G, "b", "e")
    # b-a-c-e and b-d-w-e both have 3 hops; the first is 0.4, the second 0.18
    assert [p.nodes for p in paths] == [("b", "a", "c", "e"), ("b", "d", "w", "e")]
    assert [round(p.confidence, 9) for p in paths] == [0.4, 0.18]
    assert paths[0].relations == (
        ("a", "b", "OPERATES"),
        ("a", "c", "OPERATES"),
        ("c", "e", "LISTS"),
    )
    assert connections(G, "b", "e", first=1) == paths[:1]
    assert connections(G, "b", "e", max_hops=2) == []
    assert connections(G, "x", "x")[0].nodes == ("x",)
    with pytest.raises(nx.NodeNotFound):
        connections(G, "x", "nope")


def test_connections_parallel_relations_are_distinct_paths() -> None:
    G = graph(
        {"s": "SELLER", "t": "SELLER", "f": "FACTORY"},
        [
            ("s", "t", "ASSOCIATED_WITH", 0.5),
            ("t", "s", "ASSOCIATED_WITH", 0.7),
            ("s", "f", "OPERATES", 1.0),
            ("t", "f", "OPERATES", 1.0),
        ],
    )
    paths = connections(G, "s", "t")
    assert [(p.relations, p.confidence) for p in paths] == [
        ((("t", "s", "ASSOCIATED_WITH"),), 0.7),
        ((("s", "t", "ASSOCIATED_WITH"),), 0.5),
    ]
    assert G.number_of_edges() == 4  # never mutated


def test_connections_long_path_both_sides_meet() -> None:
    nodes = {f"n{i}": "SELLER" for i in range(8)}
    edges = [(f"n{i}", f"n{i + 1}", "ASSOCIATED_WITH", 0.5) for i in range(7)]
    G = graph(nodes, edges)
    (p,) = connections(G, "n0", "n7", max_hops=7)
    assert p.nodes == tuple(f"n{i}" for i in range(8)) and p.confidence == 0.5**7
    assert connections(G, "n0", "n7", max_hops=6) == []


def test_linked_entities_two_identifier_steps() -> None:
    nodes = {
        "banned": "SELLER",
        "new": "SELLER",
        "shop": "STOREFRONT",
        "w": "WAREHOUSE",
        "far": "SELLER",
        "phone": "IDENTIFIER",
        "bank": "IDENTIFIER",
        "addr": "IDENTIFIER",
        "dev": "IDENTIFIER",
    }
    G = graph(
        nodes,
        [
            ("banned", "phone", "USES", 0.9),
            ("banned", "bank", "USES", 0.8),
            ("new", "phone", "USES", 0.5),
            ("new", "bank", "USES", 1.0),
            ("shop", "addr", "USES", 1.0),
            ("new", "addr", "USES", 0.5),
            ("w", "bank", "USES", 1.0),
            ("w", "dev", "USES", 1.0),
            ("far", "dev", "USES", 1.0),
            ("banned", "shop", "OPERATES", 1.0),
        ],
    )
    links = linked_entities(G, "banned")
    assert [(x.entity, x.shared_identifiers) for x in links] == [
        ("new", ("bank", "phone")),
        ("far", ("dev",)),
        ("shop", ("addr",)),
    ]
    new, far, shop = links
    assert new.path.nodes == ("banned", "bank", "new") and round(new.path.confidence, 9) == 0.8
    assert new.path.relations == (("banned", "bank", "USES"), ("new", "bank", "USES"))
    # the warehouse is walked through but not returned
    assert far.path.nodes == ("banned", "bank", "w", "dev", "far")
    assert shop.path.nodes == ("banned", "bank", "new", "addr", "shop")
    assert round(shop.path.confidence, 9) == 0.4
    assert [x.entity for x in linked_entities(G, "banned", max_hops=1)] == ["new"]
    assert [x.entity for x in linked_entities(G, "shop", max_hops=3)] == ["new", "banned", "far"]
    with pytest.raises(nx.NodeNotFound):
        linked_entities(G, "nope")
