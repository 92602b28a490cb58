from __future__ import annotations

import math

import networkx as nx

from graph_api.analytics import hotspots
from tests.analytics.support import graph


def test_shares_counts_and_cumulative_union() -> None:
    nodes = {
        "b": "BRAND",
        "c": "BRAND",
        "s1": ("STOREFRONT", "PRD"),
        "s2": ("STOREFRONT", "YRD"),
        "w1": ("WAREHOUSE", "PRD"),
        "w2": ("WAREHOUSE", "SEC"),
        "f": ("FACTORY", "SEC"),
        "w3": ("WAREHOUSE", "PRD"),
        "quiet": "LISTING",
    }
    nodes |= {f"l{i}": "LISTING" for i in range(5)}
    edges = [(f"l{i}", "b" if i % 2 else "c", "INFRINGES", 1.0) for i in range(5)]
    edges += [
        ("s1", "l0", "LISTS", 1.0),
        ("s1", "l1", "LISTS", 1.0),
        ("s2", "l2", "LISTS", 1.0),
        ("s2", "l3", "LISTS", 1.0),
        ("l0", "w1", "SHIPS_FROM", 1.0),
        ("s2", "w3", "SHIPS_FROM", 1.0),
        ("w3", "w2", "SUPPLIED_BY", 1.0),
        ("w2", "f", "SUPPLIED_BY", 0.1),
        ("s1", "quiet", "LISTS", 1.0),
    ]
    # l0: PRD (s1, w1); l1: PRD (s1); l2, l3: YRD (s2) + SEC (f; w3, w2 are not sources);
    # l4: nothing. 'quiet' infringes nothing.
    report = hotspots(G := graph(nodes, edges))
    assert report.total_listings == 5
    rows = [(r.region, r.listings, r.sources) for r in report.regions]
    assert rows == [("PRD", 2, 1), ("SEC", 2, 1), ("YRD", 2, 0)]
    assert [r.share for r in report.regions] == [0.4, 0.4, 0.4]
    assert [r.cumulative_share for r in report.regions] == [0.4, 0.8, 0.8]
    assert hotspots(G, first=1).regions == report.regions[:1]
    empty = hotspots(nx.MultiDiGraph())
    assert empty.total_listings == 0 and empty.regions == ()
    assert math.isclose(sum(r.share for r in report.regions), 1.2)
