"""The embedded store's fact columns read a caller's whole view exactly as the
graph's dicts do (``VisibleGraph.columns`` against its ``graph()``'s mappings): the
same nodes in the same order, kinds, regions, relations and confidences to the last
bit, a pair's kinds in the order first stated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import graph_api.analytics.snapshot as snapshot_module
from graph_api.analytics import hotspots, ring_candidates, top_sources
from graph_api.analytics.snapshot import Snapshot, snapshot
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.store import visible as visible_module
from graph_api.store.visible import VisibleGraph
from graph_api.synthetic import iter_reports, orgs
from tests.api.test_view_equivalence import load
from tests.conftest import MakeServices

ORGS = ["stridewell", "maison-verel", "kestrel-optics", "bazaarhub", "ipcu"]


def read_both(visible: VisibleGraph) -> tuple[Snapshot, Snapshot]:
    """The view's snapshot from the columns and from the dicts (its graph's mappings)."""
    assert from_columns(visible)
    return snapshot_module.snapshot_of(visible), snapshot(visible.graph())


def from_columns(visible: VisibleGraph) -> bool:
    """Whether ``visible`` reads its columns from its fact columns, not its graph."""
    facts, shared = visible._facts, visible._shared
    return facts is not None and shared is not None and len(facts.ids) == len(shared)


def pairs(sn: Snapshot) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(source, target) -> its (kind, confidence) in snapshot order; each pair in one run."""
    out: dict[tuple[str, str], list[tuple[str, float]]] = {}
    last = None
    for u, v, k, c in zip(
        sn.src.tolist(), sn.dst.tolist(), sn.rel.tolist(), sn.conf.tolist(), strict=True
    ):
        pair = (sn.ids[u], sn.ids[v])
        assert pair == last or pair not in out, f"{pair}: its kinds are not together"
        out.setdefault(pair, []).append((sn.rels[k], c))
        last = pair
    return out


def assert_same(a: Snapshot, b: Snapshot) -> None:
    assert a.ids == b.ids  # the same nodes, in the graph's order
    assert [a.kinds[k] if k >= 0 else None for k in a.kind.tolist()] == [
        b.kinds[k] if k >= 0 else None for k in b.kind.tolist()
    ]
    assert [a.regions[r] if r >= 0 else None for r in a.region.tolist()] == [
        b.regions[r] if r >= 0 else None for r in b.region.tolist()
    ]
    assert set(a.regions) == {b.regions[r] for r in b.region.tolist() if r >= 0}
    assert pairs(a) == pairs(b)  # confidences compared exactly, kinds in order


def report(rid: str, marking: str, entities: list[Any], relations: list[Any], **more: Any) -> Any:
    return {
        "reportId": rid,
        "source": "OSINT",
        "confidence": more.pop("confidence", 0.5),
        "marking": marking,
        "entities": entities,
        "relations": relations,
        **more,
    }


@pytest.fixture
def crafted(make_services: MakeServices) -> Services:
    """Facts that take the columns off the easy path: a relation stated 40 times
    in three markings; a region overwritten by another and by ""; nodes seen
    only through RED; and one node that orgs who could not see one another's
    facts stated as four kinds, so that one pair has three relation kinds, the
    first of them stated RED before it was stated GREEN."""
    services = make_services()
    for org in orgs():
        services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])

    def say(org_id: str, rid: str, marking: str, entities: Any, rels: Any, **more: Any) -> None:
        scope = services.operator_scope(services.find_org(org_id))
        services.submit_report(scope, report(rid, marking, entities, rels, **more))

    base = [
        {"id": "s1", "kind": "SELLER", "region": "PRD"},
        {"id": "s2", "kind": "SELLER"},
        {"id": "st1", "kind": "STOREFRONT", "region": "YRD"},
        {"id": "w1", "kind": "WAREHOUSE", "region": "PRD"},
    ]
    say("bazaarhub", "base", "GREEN", base, [])
    say(
        "maison-verel",
        "red-first",
        "RED",
        [{"id": "hidden", "kind": "FACTORY", "region": "SEA"}, {"id": "dual", "kind": "RING"}],
        [
            {"kind": "ASSOCIATED_WITH", "from": "s1", "to": "s2", "confidence": 0.3},
            {"kind": "SUPPLIED_BY", "from": "w1", "to": "hidden"},
            {"kind": "MEMBER_OF", "from": "s1", "to": "dual", "confidence": 0.35},
        ],
    )
    say(
        "stridewell",
        "amber",
        "AMBER",
        [{"id": "dual", "kind": "WAREHOUSE", "region": "NCP"}],
        [
            {"kind": "OPERATES", "from": "s1", "to": "dual", "confidence": 0.7},
            {"kind": "OPERATES", "from": "s1", "to": "st1"},
            {"kind": "ASSOCIATED_WITH", "from": "s1", "to": "s2", "confidence": 0.6},
        ],
    )
    say(
        "kestrel-optics",
        "kestrel",
        "RED",
        [{"id": "dual", "kind": "SELLER"}],
        [{"kind": "ASSOCIATED_WITH", "from": "s1", "to": "dual", "confidence": 0.45}],
    )
    say(
        "voltra",
        "green-later",
        "GREEN",
        [{"id": "dual", "kind": "RING"}],
        [{"kind": "MEMBER_OF", "from": "s1", "to": "dual", "confidence": 0.8}],
    )
    markings = [("stridewell", "GREEN"), ("maison-verel", "RED"), ("bazaarhub", "AMBER_STRICT")]
    for i in range(40):  # one relation stated 40 times, in turns of three markings
        org_id, marking = markings[i % 3]
        say(
            org_id,
            f"many-{i}",
            marking,
            [{"id": "w1", "kind": "WAREHOUSE", "region": ["YRD", "", None][i % 3]}],
            [{"kind": "SHIPS_FROM", "from": "st1", "to": "w1", "confidence": 0.1 + i / 100}],
            confidence=0.2 + i / 100,
        )
    say("maison-verel", "red-node", "RED", [{"id": "s2", "kind": "SELLER", "region": "SEA"}], [])
    return services


@pytest.mark.parametrize("org_id", ORGS)
@pytest.mark.parametrize("short_run", [16, 1])
def test_crafted_facts_read_alike(
    crafted: Services, org_id: str, short_run: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(visible_module, "SHORT_RUN", short_run)  # 1: every relation in Python
    scope = crafted.operator_scope(crafted.find_org(org_id))
    a, b = read_both(crafted.store.visible(scope))
    assert_same(a, b)
    assert len(a.src) > 0


def test_the_first_kind_stated_comes_first_even_when_unseen(crafted: Services) -> None:
    seen = {}
    for org_id in ("stridewell", "maison-verel", "kestrel-optics", "bazaarhub"):
        scope = crafted.operator_scope(crafted.find_org(org_id))
        a, _ = read_both(crafted.store.visible(scope))
        kind = a.kinds[a.kind[a.ids.index("dual")]]
        seen[org_id] = kind, [k for k, _ in pairs(a)[("s1", "dual")]]
    # MEMBER_OF was stated first, RED: unseen by stridewell, yet first among the
    # pair's kinds once voltra's GREEN statement shows it.
    assert seen == {
        "stridewell": ("WAREHOUSE", ["MEMBER_OF", "OPERATES"]),
        "maison-verel": ("RING", ["MEMBER_OF"]),
        "kestrel-optics": ("SELLER", ["MEMBER_OF", "ASSOCIATED_WITH"]),
        "bazaarhub": ("WAREHOUSE", ["MEMBER_OF", "OPERATES"]),
    }
    scope = crafted.operator_scope(crafted.find_org("voltra"))
    a, _ = read_both(crafted.store.visible(scope))
    assert "hidden" not in a.ids and "SEA" not in a.regions and "NCP" not in a.regions


@pytest.mark.parametrize("org_id", ORGS)
def test_a_generated_network_reads_alike(
    make_services: MakeServices, tmp_path: Path, org_id: str
) -> None:
    services = make_services()
    load(services, list(iter_reports(80, seed=5)), tmp_path)
    scope = services.operator_scope(services.find_org(org_id))
    visible = services.store.visible(scope)
    a, b = read_both(visible)
    assert_same(a, b)
    # and the whole-graph answers on either reading are the same
    view = visible.graph()
    view.__networkx_cache__[snapshot_module.CACHE_KEY] = a  # as the services read it
    answers = (top_sources(view), hotspots(view, first=None), ring_candidates(view, min_size=1))
    fresh = visible.graph()  # read through its mappings
    assert snapshot(fresh) is not snapshot(view)
    assert answers == (
        top_sources(fresh), hotspots(fresh, first=None), ring_candidates(fresh, min_size=1)
    )


def test_columns_follow_writes(make_services: MakeServices) -> None:
    """Read, write, read again: the columns' grouping is rebuilt for the new facts."""
    services = make_services()
    for org in orgs():
        services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
    platform = services.operator_scope(services.find_org("bazaarhub"))
    lines = list(iter_reports(12, seed=3))
    for i, line in enumerate(lines):
        services.submit_report(services.reporter_scope(platform, line, True), line)
        if i % 4 == 0:
            for org_id in ("stridewell", "bazaarhub"):
                scope = services.operator_scope(services.find_org(org_id))
                assert_same(*read_both(services.store.visible(scope)))


def test_a_graph_changed_behind_the_columns_is_read_through_its_dicts(
    crafted: Services,
) -> None:
    scope = crafted.operator_scope(crafted.find_org("bazaarhub"))
    visible = crafted.store.visible(scope)
    assert from_columns(visible)
    crafted.store.graph.add_node("stray", kind="SELLER", facts=[(0, 0, 1.0, "SELLER")])  # type: ignore[attr-defined]
    assert not from_columns(visible)
    read = visible.columns()
    assert ("stray" in read.ids) == ("stray" in visible.graph())  # the graph's, not the columns'
    assert_same(snapshot_module.snapshot_of(visible), snapshot(visible.graph()))


def test_the_adjacency_is_keyed_by_the_nodes_own_id_objects(
    make_services: MakeServices, tmp_path: Path
) -> None:
    """One string per node, not a copy per relation row (0.44 GiB at 1M)."""
    services = make_services()
    load(services, list(iter_reports(30, seed=8)), tmp_path)
    G = services.store.graph  # type: ignore[attr-defined]
    own = {n: n for n in G._node}
    pairs = [(u, v) for u, nbrs in G._succ.items() for v in nbrs]
    assert pairs and all(u is own[u] and v is own[v] for u, v in pairs)
    assert all(u is own[u] for preds in G._pred.values() for u in preds)
