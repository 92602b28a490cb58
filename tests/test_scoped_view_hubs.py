"""A hub's merged fields, kept per mask and extended as facts arrive, equal a merge
of all its visible facts from scratch, whatever order visibility changes in."""

from __future__ import annotations

import random

import networkx as nx

from graph_api.store.masks import HUB_FACTS, VisibilityMask, merged_node, visible_node
from graph_api.store.scoped_view import scoped_view, visible_relations_at


def fact(rng: random.Random, seq: int) -> tuple[object, ...]:
    pick = rng.choice
    return (seq, rng.randrange(4), round(rng.random(), 3), "BRAND", pick([None, f"n{seq}"]),
            pick([None, "CN-GD", "TR-34"]), pick([None, "ACTIVE", "BANNED"]), None)


def random_graph(rng: random.Random, relations: int) -> tuple[nx.MultiDiGraph, list[str]]:
    """40 nodes, every 13th a hub stated past HUB_FACTS, and ``relations`` relations of
    three kinds, each with 1-3 facts in 4 visibility classes."""
    G = nx.MultiDiGraph()
    names = [f"n{i}" for i in range(40)]
    for i, name in enumerate(names):
        stated = HUB_FACTS * 2 if i % 13 == 0 else rng.randint(1, 3)
        G.add_node(name, **merged_node([fact(rng, seq) for seq in range(stated)]))
    for _ in range(relations):
        u, v = rng.sample(names, 2)
        edge_facts = [(s, rng.randrange(4), round(rng.random(), 3))
                      for s in range(rng.randint(1, 3))]
        G.add_edge(u, v, key=rng.choice(["OPERATES", "LISTS", "SHIPS_FROM"]), confidence=0.5,
                   facts=edge_facts)
    return G, names


def test_hub_merge_kept_per_mask_equals_a_merge_from_scratch() -> None:
    rng = random.Random(3)
    for _ in range(30):
        allowed = [frozenset(rng.sample(range(4), k)) for k in (1, 2, 3, 4)]
        masks = [VisibilityMask(ok.__contains__) for ok in allowed]
        data = {"kind": "BRAND", "facts": []}
        for seq in range(HUB_FACTS * 3):
            data["facts"].append(fact(rng, seq))
            data.update({k: v for k, v in merged_node(data["facts"]).items() if k != "facts"})
            if rng.random() < 0.3:  # readers look now and then, as requests do
                for mask in masks:
                    found = visible_node(data, mask)
                    visible = [f for f in data["facts"] if mask[f[1]]]
                    if not visible:
                        assert found is None
                        continue
                    assert found is not None and found[0] == visible
                    expected = merged_node(visible)
                    got = found[1]
                    for key in ("kind", "name", "region", "status", "confidence"):
                        assert got[key] == expected[key], (key, seq)


def test_related_by_on_a_view_equals_filtering_its_adjacency() -> None:
    import networkx as nx

    from graph_api.store.scoped_view import related_by, scoped_view

    rng = random.Random(9)
    kinds = ("SHIPS_FROM", "SUPPLIED_BY", "LISTS")
    for _ in range(30):
        G = nx.MultiDiGraph()
        for n in range(15):
            G.add_node(f"n{n}", **merged_node([fact(rng, n)]))
        for seq in range(60):
            u, v = rng.sample(list(G.nodes), 2)
            key = rng.choice(kinds)
            facts = [(100 + seq, rng.randrange(4), 0.5)]
            if G.has_edge(u, v, key):
                G.edges[u, v, key]["facts"].extend(facts)
            else:
                G.add_edge(u, v, key=key, confidence=0.5, facts=facts)
        allowed = frozenset(rng.sample(range(4), 2))
        V = scoped_view(G, VisibilityMask(allowed.__contains__))
        for node in V.nodes:
            for incoming, adjacency in ((True, V.pred), (False, V.succ)):
                for wanted in (kinds, ("LISTS",)):
                    expected = [(o, k) for o, keys in adjacency[node].items()
                                for k in wanted if k in keys]
                    assert list(related_by(V, node, wanted, incoming)) == expected


def test_relations_at_a_node_read_in_one_pass_equal_the_views_mappings() -> None:
    """`visible_relations_at` (a relations page's read) lists what iterating the
    scoped view's adjacency lists: same rows, same caller's edge data, for every
    node, direction and kind filter, with hubs and ends the caller cannot see."""
    G, _ = random_graph(random.Random(11), relations=160)
    for allowed in (frozenset({0}), frozenset({1, 2}), frozenset({0, 1, 2, 3})):
        view = scoped_view(G, VisibilityMask(allowed.__contains__))
        for node in view:
            for direction in ("OUT", "IN", "BOTH"):
                for wanted in (None, {"LISTS"}, {"OPERATES", "SHIPS_FROM"}):
                    expected = []
                    if direction in ("OUT", "BOTH"):
                        expected += [((k, o, "OUT"), d) for o, kd in view.succ[node].items()
                                     for k, d in kd.items() if wanted is None or k in wanted]
                    if direction in ("IN", "BOTH"):
                        expected += [((k, o, "IN"), d) for o, kd in view.pred[node].items()
                                     for k, d in kd.items() if wanted is None or k in wanted]
                    assert visible_relations_at(view, node, direction, wanted) == expected
    assert visible_relations_at(G, "n1", "BOTH", None) is None  # not a scoped view


def test_a_views_adjacency_read_as_networkx_does_equals_the_facts_filtered() -> None:
    """``view.succ[u].items()`` (networkx iterates, then looks each neighbour up: the
    lookups reuse what the iteration decided) lists exactly the neighbours with a
    relation fact and a node fact the caller sees, each relation kind with its
    visible facts; a neighbour it may not see is not found by a lookup either."""
    G, names = random_graph(random.Random(17), relations=200)
    for allowed in (frozenset({0}), frozenset({1, 2}), frozenset({0, 1, 2, 3})):
        view = scoped_view(G, VisibilityMask(allowed.__contains__))
        node_seen = {n: any(f[1] in allowed for f in G.nodes[n]["facts"]) for n in names}
        assert set(view) == {n for n in names if node_seen[n]}
        for node in view:
            for adjacency, raw in ((view.succ, G.succ), (view.pred, G.pred)):
                expected = {}
                for other, keydict in raw[node].items():
                    kept = {k: [f for f in d["facts"] if f[1] in allowed]
                            for k, d in keydict.items()}
                    kept = {k: facts for k, facts in kept.items() if facts}
                    if kept and node_seen[other]:
                        expected[other] = kept
                neighbours = adjacency[node]
                got = {other: {k: d["facts"] for k, d in keys.items()}
                       for other, keys in neighbours.items()}
                assert got == expected
                for other in raw[node]:
                    assert (other in neighbours) == (other in expected)
                    if other not in expected:
                        try:
                            neighbours[other]
                        except KeyError:
                            continue
                        raise AssertionError(f"{other} found by a lookup, not by iteration")
