"""The synthetic generator: deterministic, valid line by line, and true to its planted truth."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from functools import cache
from math import comb
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph_api.model import noisy_or
from graph_api.synthetic import REGIONS, Truth, iter_reports, orgs, write_network
from tests.fixture_rules import check_lines, merged, store_key

N = 2000
SEED = 11
Relations = dict[tuple[str, str, str], list[tuple[str, str, float]]]


@cache
def _network(sellers: int = N, seed: int = SEED) -> tuple[Truth, tuple[dict[str, Any], ...]]:
    truth = Truth()
    return truth, tuple(iter_reports(sellers, seed, truth))


@cache
def _merged() -> tuple[dict[str, str], Relations]:
    return merged(_network()[1])


def _digest(sellers: int, seed: int) -> str:
    h = hashlib.sha256()
    for report in iter_reports(sellers, seed):
        h.update(json.dumps(report, sort_keys=False).encode())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_network(tmp_path: Path) -> None:
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    write_network(300, 5, a)
    write_network(300, 5, b)
    assert a.read_bytes() == b.read_bytes()
    assert a.with_suffix(".truth.json").read_bytes() == b.with_suffix(".truth.json").read_bytes()
    assert _digest(300, 5) != _digest(300, 6)


def test_write_network_reports_progress_and_truth(tmp_path: Path) -> None:
    seen: list[int] = []
    out = tmp_path / "net.ndjson"
    truth = write_network(1500, 3, out, progress=seen.append)
    assert seen and seen[-1] == 1500 and seen == sorted(seen)
    stored = json.loads(out.with_suffix(".truth.json").read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps(truth.to_json()))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == truth.counts["reports"]
    assert json.loads(lines[0])["reportedBy"] in {o["id"] for o in orgs()}


def test_orgs_have_a_platform_a_regulator_and_brands() -> None:
    kinds = Counter(o["type"] for o in orgs())
    assert kinds == {"BRAND": 6, "PLATFORM": 1, "REGULATOR": 1}
    assert [o["id"] for o in orgs(3)][:3] == ["stridewell", "maison-verel", "voltra"]
    with pytest.raises(ValueError):
        orgs(0)


def test_every_line_obeys_the_store_rules() -> None:
    truth, reports = _network()
    assert check_lines(reports, {o["id"] for o in orgs()}) == []
    assert len({r["reportId"] for r in reports}) == len(reports)


def test_counts_and_shape_match_the_documentation() -> None:
    truth, reports = _network()
    entities, relations = _merged()
    assert truth.counts["entities"] == len(entities)
    assert truth.counts["relations"] == len(relations)
    assert truth.counts["relation_assertions"] == sum(len(v) for v in relations.values())
    assert truth.counts["sellers"] == N == Counter(entities.values())["SELLER"]
    assert 6.3 <= len(entities) / N <= 7.3  # 150,000 sellers -> about 1.0M entities
    assert 3.2 <= len(relations) / len(entities) <= 3.6
    assert {k for _, k, _ in relations} == {
        "OPERATES", "LISTS", "INFRINGES", "SHIPS_FROM", "SUPPLIED_BY", "MEMBER_OF", "USES",
        "ASSOCIATED_WITH",
    }
    assert any(len({org for org, _, _ in facts}) > 1 for facts in relations.values())


def test_markings_and_restricted_reports_only_repeat_what_others_state() -> None:
    _, reports = _network()
    assert {r["marking"] for r in reports} == {"CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"}
    assert any(r.get("sharedWith") for r in reports)
    assert len({r["reportedBy"] for r in reports}) == len(orgs())
    open_entities: set[str] = set()
    open_relations: set[tuple[str, str, str]] = set()
    restricted = []
    for report in reports:
        if report["marking"] in ("RED", "AMBER_STRICT"):
            restricted.append(report)
            continue
        ids = store_key(report)
        open_entities.update(ids.values())
        open_relations.update(
            (ids[r["from"]], r["kind"], ids[r["to"]]) for r in report["relations"]
        )
    assert restricted
    for report in restricted:
        ids = store_key(report)
        assert set(ids.values()) <= open_entities
        for r in report["relations"]:
            assert r["kind"] in ("USES", "OPERATES", "INFRINGES")
            assert (ids[r["from"]], r["kind"], ids[r["to"]]) in open_relations


def test_rings_are_planted_with_sizes_5_to_40() -> None:
    truth, _ = _network()
    sizes = Counter(truth.rings.values())
    assert len(sizes) >= 20
    assert all(5 <= s <= 40 for s in sizes.values())
    assert set(truth.known_rings.values()) < set(sizes)  # some rings known, others not


def test_louvain_recovers_the_rings() -> None:
    """DESIGN.md's ring detection: Louvain over the ring-forming kinds, ARI >= 0.9."""
    truth, _ = _network()
    entities, relations = _merged()
    kinds = {"SELLER", "STOREFRONT", "WAREHOUSE", "FACTORY", "IDENTIFIER", "RING"}
    joins = {"OPERATES", "USES", "SUPPLIED_BY", "SHIPS_FROM", "MEMBER_OF", "ASSOCIATED_WITH"}
    g = nx.Graph()
    g.add_edges_from(
        (a, b) for a, k, b in relations
        if k in joins and entities[a] in kinds and entities[b] in kinds
    )
    found = {n: i for i, c in enumerate(nx.community.louvain_communities(g, seed=1)) for n in c}
    members = sorted(truth.rings)
    assert _ari([truth.rings[m] for m in members], [found[m] for m in members]) >= 0.9


def test_recidivists_share_an_identifier_with_their_banned_seller_and_nobody_else_does() -> None:
    truth, _ = _network()
    entities, relations = _merged()
    assert truth.banned and truth.recidivists
    users: dict[str, set[str]] = defaultdict(set)
    uses: dict[str, set[str]] = defaultdict(set)
    operated: dict[str, set[str]] = defaultdict(set)
    for a, k, b in relations:
        if k == "USES":
            users[b].add(a)
            uses[a].add(b)
        elif k == "OPERATES":
            operated[a].add(b)
    for banned in truth.banned:
        own = {banned} | operated[banned]
        sharing = {u for idn in uses[banned] for u in users[idn]} - own
        assert sharing == {r for r, b in truth.recidivists.items() if b == banned}
    statuses = {
        e["id"]: e.get("status") for r in _network()[1] for e in r["entities"] if "status" in e
    }
    assert all(statuses[b] == "BANNED" for b in truth.banned)


def test_region_shares_are_planted_long_tailed_and_sum_to_one() -> None:
    truth, reports = _network()
    shares = sorted(truth.region_shares.values(), reverse=True)
    assert abs(sum(shares) - 1.0) < 1e-9
    assert sum(shares[:3]) >= 0.5 and sum(shares[:10]) >= 0.85
    assert set(truth.region_shares) <= {r[0] for r in REGIONS}
    region: dict[str, str] = {}
    lists: dict[str, str] = {}
    for report in reports:
        for e in report["entities"]:
            if "region" in e:
                region[e["id"]] = e["region"]
        for r in report["relations"]:
            if r["kind"] == "LISTS":
                lists[r["to"]] = r["from"]
    counted = Counter(region[store] for store in lists.values())
    total = sum(counted.values())
    assert {k: v / total for k, v in counted.items()} == pytest.approx(truth.region_shares)


def test_sources_are_exactly_the_trace_to_source_answer() -> None:
    truth, _ = _network()
    entities, relations = _merged()
    assert len(truth.sources) >= 1000
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (a, k, b), facts in relations.items():
        conf = noisy_or([c for _, _, c in facts])
        if k in ("SHIPS_FROM", "SUPPLIED_BY"):
            out[a].append((b, conf))
        elif k == "LISTS":
            out[b].append((a, conf))  # walked backwards, from a listing only
    supplied = {a for a, k, _ in relations if k == "SUPPLIED_BY"}
    for listing, expected in truth.sources.items():
        assert _trace(listing, out, entities, supplied) == pytest.approx(expected, rel=1e-12)
    assert sum(1 for s in truth.sources.values() if len(s) > 1) > len(truth.sources) / 4


def _trace(
    origin: str, out: dict[str, list[tuple[str, float]]], entities: dict[str, str],
    supplied: set[str],
) -> dict[str, float]:
    """Max-product over walks of at most 6 hops, by brute-force enumeration."""
    best: dict[str, float] = {}
    stack = [(origin, 1.0, 0)]
    while stack:
        node, score, depth = stack.pop()
        if depth == 6:
            continue
        for nxt, conf in out.get(node, []):
            if entities[node] != "LISTING" and entities[nxt] == "STOREFRONT":
                continue
            value = score * conf
            best[nxt] = max(best.get(nxt, 0.0), value)
            stack.append((nxt, value, depth + 1))
    def is_source(n: str) -> bool:
        return entities[n] == "FACTORY" or (entities[n] == "WAREHOUSE" and n not in supplied)

    return {n: s for n, s in best.items() if n != origin and is_source(n)}


def _ari(truth: list[int], found: list[int]) -> float:
    pairs = sum(comb(c, 2) for c in Counter(zip(truth, found, strict=True)).values())
    a = sum(comb(c, 2) for c in Counter(truth).values())
    b = sum(comb(c, 2) for c in Counter(found).values())
    expected = a * b / comb(len(truth), 2)
    return (pairs - expected) / ((a + b) / 2 - expected)
