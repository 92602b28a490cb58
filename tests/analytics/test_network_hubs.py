"""`network` and `connections` read a hub (a node with `HUB_DEGREE` neighbours or
more: a brand with every infringing listing) without listing all its neighbours:
``network`` takes its neighbours in id order as far as the limit goes, ``connections``
looks the hub's neighbours up from the other side's nodes. The answers are those of
reading every node whole, on a caller's scoped view (hidden relations and ends among
the hub's neighbours) and on a plain graph, and stay so as relations are appended to
the shared graph under the kept neighbour lists."""

from __future__ import annotations

import random
from typing import Any

import networkx as nx
import pytest

from graph_api.analytics import networks
from graph_api.store import scoped_view as scoped
from graph_api.store.masks import VisibilityMask, merged_node
from graph_api.store.scoped_view import scoped_view
from graph_api.view_columns import neighbours_of
from tests.test_scoped_view_hubs import fact

KINDS = ("OPERATES", "LISTS", "SHIPS_FROM", "USES")


def shared_graph(rng: random.Random, nodes: int) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    for n in range(nodes):
        G.add_node(f"n{n:03d}", **merged_node([fact(rng, n) for _ in range(rng.randint(1, 2))]))
    return G


def append_relations(G: nx.MultiDiGraph, rng: random.Random, count: int) -> None:
    """``count`` relations, as the store appends them: about a third at two hubs."""
    names = list(G.nodes)
    hubs = names[:2]
    for seq in range(count):
        u = rng.choice(hubs) if rng.random() < 0.35 else rng.choice(names)
        v = rng.choice(names)
        if rng.random() < 0.5:
            u, v = v, u
        kind = rng.choice(KINDS)
        facts = [(1000 + seq, rng.randrange(4), round(rng.uniform(0.2, 1.0), 1))]
        data = G.get_edge_data(u, v, kind)
        if data is not None:
            data["facts"].extend(facts)
        else:
            G.add_edge(u, v, key=kind, confidence=facts[0][2], facts=facts)


def answers(G: Any, rng: random.Random) -> list[Any]:
    nodes = sorted(G.nodes)
    out: list[Any] = []
    for _ in range(12):
        seeds = rng.sample(nodes, rng.randint(1, 2))
        kinds = rng.choice([None, ["LISTS", "USES"], ["SHIPS_FROM"]])
        out.append(networks.network(G, seeds, max_hops=rng.randint(1, 3), kinds=kinds,
                                    min_confidence=rng.choice([0.0, 0.5]),
                                    limit=rng.choice([1, 3, 8, 30, 2000])))
        a, b = rng.sample(nodes, 2)
        out.append(networks.connections(G, a, b, max_hops=rng.randint(1, 6),
                                        first=rng.choice([1, 3, 5])))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_hubs_read_in_part_answer_as_every_node_read_whole(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    G = shared_graph(rng, 40)
    for _ in range(4):  # relations appended between reads: the kept lists follow them
        append_relations(G, rng, 60)
        for allowed in (frozenset({0}), frozenset({1, 2}), frozenset(range(4))):
            view = scoped_view(G, VisibilityMask(allowed.__contains__))
            plain = nx.MultiDiGraph(view)  # the caller's graph, copied
            asked = rng.randrange(1 << 30)
            monkeypatch.setattr(networks, "HUB_DEGREE", 10 ** 9)
            whole = answers(view, random.Random(asked))
            monkeypatch.setattr(networks, "HUB_DEGREE", 2)
            monkeypatch.setattr(scoped, "HUB_DEGREE", 2)
            assert answers(view, random.Random(asked)) == whole
            assert answers(plain, random.Random(asked)) == whole


def test_a_hubs_kept_neighbours_follow_what_is_appended(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scoped, "HUB_DEGREE", 2)
    rng = random.Random(5)
    G = shared_graph(rng, 200)
    view = scoped_view(G, VisibilityMask(lambda _: True))
    for count in (30, 1, 5, 100, 2):  # a few at a time (inserted), many (sorted again)
        append_relations(G, rng, count)
        for node in ("n000", "n001", "n002"):
            expected = sorted(set(G.succ[node]) | set(G.pred[node]))
            got = neighbours_of(view).in_order(node)
            assert got == expected
            assert neighbours_of(view).degree(node) == len(G.succ[node]) + len(G.pred[node])
