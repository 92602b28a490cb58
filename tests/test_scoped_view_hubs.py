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
