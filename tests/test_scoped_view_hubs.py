"""A hub's merged fields, kept per mask and extended as facts arrive, equal a merge
of all its visible facts from scratch, whatever order visibility changes in."""

from __future__ import annotations

import random

from graph_api.store.scoped_view import HUB_FACTS, VisibilityMask, merged_node, visible_node


def fact(rng: random.Random, seq: int) -> tuple[object, ...]:
    pick = rng.choice
    return (seq, rng.randrange(4), round(rng.random(), 3), "BRAND", pick([None, f"n{seq}"]),
            pick([None, "CN-GD", "TR-34"]), pick([None, "ACTIVE", "BANNED"]), None)


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
                    assert related_by(V, node, wanted, incoming) == expected
