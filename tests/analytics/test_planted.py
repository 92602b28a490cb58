"""The analytics recover what graph_api.synthetic planted."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from functools import cache

import networkx as nx
import pytest

from graph_api.analytics import hotspots, linked_entities, ring_candidates, trace_to_source
from graph_api.synthetic import Truth, iter_reports
from tests.analytics.support import graph_from_reports

SELLERS = 2500


@cache
def planted() -> tuple[nx.MultiDiGraph, Truth]:
    truth = Truth()
    G = graph_from_reports(iter_reports(SELLERS, 11, truth))
    return G, truth


def adjusted_rand_index(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """ARI of two labelings of the same items (Hubert and Arabie, 1985).

    >>> adjusted_rand_index([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    >>> round(adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]), 3)
    -0.5
    """
    pairs: dict[tuple[Hashable, Hashable], int] = {}
    rows: dict[Hashable, int] = {}
    cols: dict[Hashable, int] = {}
    for x, y in zip(a, b, strict=True):
        pairs[x, y] = pairs.get((x, y), 0) + 1
        rows[x] = rows.get(x, 0) + 1
        cols[y] = cols.get(y, 0) + 1

    def c2(n: int) -> float:
        return n * (n - 1) / 2

    index = sum(c2(n) for n in pairs.values())
    r, c = sum(c2(n) for n in rows.values()), sum(c2(n) for n in cols.values())
    expected = r * c / c2(len(a))
    best = (r + c) / 2
    return 1.0 if best == expected else (index - expected) / (best - expected)


def test_planted_sources_and_scores() -> None:
    G, truth = planted()
    assert len(truth.sources) > 1000
    for listing, want in truth.sources.items():
        got = {s.entity: s.score for s in trace_to_source(G, listing).sources}
        assert set(got) == set(want), listing
        for source, score in want.items():
            assert math.isclose(got[source], score, rel_tol=0, abs_tol=1e-9)


def test_ring_recovery() -> None:
    G, truth = planted()
    found: dict[str, int] = {}
    candidates = ring_candidates(G, min_size=3)
    for i, cand in enumerate(candidates):
        for m in cand.members:
            found[m] = i
    members = sorted(truth.rings)
    predicted = [found.get(m, -1 - k) for k, m in enumerate(members)]  # unfound: singletons
    ari = adjusted_rand_index([truth.rings[m] for m in members], predicted)
    assert ari >= 0.9, ari
    # a candidate's known ring is the planted ring most of its members belong to,
    # and nearly every known ring is recognised
    recognised = set()
    for cand in candidates:
        if cand.known_ring is not None:
            rings = [truth.rings.get(m) for m in cand.members]
            assert truth.known_rings[cand.known_ring] == max(set(rings), key=rings.count)
            recognised.add(cand.known_ring)
    assert len(recognised) >= 0.9 * len(truth.known_rings)


def test_recidivists_are_linked_to_their_banned_seller() -> None:
    G, truth = planted()
    assert truth.recidivists
    for new, banned in truth.recidivists.items():
        assert banned in {x.entity for x in linked_entities(G, new)}, new


def test_hotspot_shares() -> None:
    G, truth = planted()
    report = hotspots(G, first=None)
    shares = {r.region: r.share for r in report.regions}
    for region, share in truth.region_shares.items():
        assert shares.get(region, 0.0) == pytest.approx(share, abs=0.01), region
    top3 = [r.region for r in report.regions[:3]]
    assert set(top3) == {"Pearl River Delta", "Yangtze River Delta", "Southeast China"}
    assert report.regions[-1].cumulative_share == pytest.approx(1.0)
