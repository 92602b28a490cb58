"""A view's snapshot followed from one version to the next (`follow.followed`, the
store's `changes_since`): equal to a snapshot read afresh after any mix of writes,
and a write the caller cannot see changes nothing in the caller's snapshot."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graph_api.analytics.snapshot as module
from graph_api.access import Scope
from graph_api.analytics import hotspots, ring_candidates, top_sources
from graph_api.analytics.snapshot import CACHE_KEY, Snapshot
from graph_api.errors import BadUserInput
from graph_api.services import Services
from graph_api.store.masks import HUB_FACTS
from graph_api.synthetic import iter_reports, orgs
from tests.analytics.support import store_view
from tests.api.test_view_equivalence import load
from tests.conftest import MakeServices

ORG_IDS = [o["id"] for o in orgs()]
MARKINGS = ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"]


def canonical(sn: Snapshot) -> tuple[list[Any], list[Any]]:
    """A snapshot as plain data whatever its order: nodes (id, kind, region) by id;
    per (source, target) its relations (kind, confidence) in the snapshot's order,
    which is the order a ring's pair weight adds them in."""
    nodes = sorted(
        (n, sn.kinds[k] if k >= 0 else None, sn.regions[r] if r >= 0 else None)
        for n, k, r in zip(sn.ids, sn.kind.tolist(), sn.region.tolist(), strict=True)
    )
    pairs: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for u, v, k, c in zip(
        sn.src.tolist(), sn.dst.tolist(), sn.rel.tolist(), sn.conf.tolist(), strict=True
    ):
        pairs.setdefault((sn.ids[u], sn.ids[v]), []).append((sn.rels[k], c))
    return nodes, sorted(pairs.items())


def contiguous_pairs(sn: Snapshot) -> bool:
    """Each (source, target) pair's relations are together (ring weights need it)."""
    keys = (sn.src * max(len(sn), 1) + sn.dst).tolist()
    runs = [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
    return len(runs) == len(set(runs))


def whole(services: Services, scope: Scope) -> tuple[Any, ...]:
    cached = services.whole_graph.cached
    return (
        cached(scope, "topSources", None, top_sources),
        cached(scope, "hotspots", None, lambda G: hotspots(G, first=None)),
        cached(scope, "rings", 1, lambda G: ring_candidates(G, min_size=1)),
        cached(scope, "rings-all", 1, lambda G: ring_candidates(G, hub_degree=None)),
    )


def fresh(services: Services, scope: Scope) -> tuple[Any, ...]:
    """The same answers on a view of its own, its snapshot read afresh."""
    view = store_view(services.store, scope)
    return (
        top_sources(view),
        hotspots(view, first=None),
        ring_candidates(view, min_size=1),
        ring_candidates(view, hub_degree=None),
    )


def kept_snapshot(services: Services) -> Snapshot:
    views = services.whole_graph.kept._kept  # the view asked last is the last kept
    assert views
    found = next(reversed(views.values()))[1][CACHE_KEY]
    assert isinstance(found, Snapshot)
    return found


class Writer:
    """Random valid reports over a generated network: new sellers, storefronts,
    listings, factories; restated entities and relations; every marking, with
    and without sharedWith (new visibility classes); hub warehouses."""

    def __init__(self, lines: list[dict[str, Any]], seed: int) -> None:
        self.rng = random.Random(seed)
        self.kinds: dict[str, list[str]] = {}
        self.identifiers: list[dict[str, Any]] = []
        for line in lines:
            for e in line["entities"]:
                if e["kind"] == "IDENTIFIER":
                    self.identifiers.append(e)
                else:
                    self.kinds.setdefault(e["kind"], []).append(e["id"])
        self.count = 0

    def pick(self, kind: str) -> dict[str, Any]:
        return {"id": self.rng.choice(self.kinds[kind]), "kind": kind}

    def report(self, org: str, marking: str | None = None, shape: str | None = None) -> Any:
        rng = self.rng
        self.count += 1
        n = self.count
        marking = marking or rng.choice(MARKINGS)
        shared = sorted(rng.sample(ORG_IDS, rng.randrange(3))) if marking != "CLEAR" else []
        shape = shape or rng.choice(["seller", "listing", "restate", "supplier", "hub"])
        region = rng.choice([None, "Pearl River Delta", f"Region {n % 3}"])
        ents: list[dict[str, Any]] = []
        rels: list[dict[str, Any]] = []

        def rel(kind: str, a: dict[str, Any], b: dict[str, Any]) -> None:
            rels.append(
                {
                    "kind": kind,
                    "from": a["id"],
                    "to": b["id"],
                    "confidence": rng.choice([0.3, 0.55, 0.9]),
                }
            )

        if shape == "seller":
            seller = {"id": f"t-seller-{n}", "kind": "SELLER", "region": region}
            stores = [{"id": f"t-store-{n}-{k}", "kind": "STOREFRONT"} for k in range(2)]
            phone = {**rng.choice(self.identifiers), "id": "h"}
            house = self.pick("WAREHOUSE")
            ents += [seller, *stores, phone, house]
            rel("USES", seller, phone)
            for store in stores:
                rel("OPERATES", seller, store)
                rel("SHIPS_FROM", store, house)
            if rng.random() < 0.5:
                other = self.pick("SELLER")
                ents.append(other)
                rel("USES", other, phone)
        elif shape == "listing":
            listing = {"id": f"t-listing-{n}", "kind": "LISTING"}
            store, brand = self.pick("STOREFRONT"), self.pick("BRAND")
            house = self.pick("WAREHOUSE")
            ents += [listing, store, brand, house]
            rel("LISTS", store, listing)
            rel("INFRINGES", listing, brand)
            rel("SHIPS_FROM", listing, house)
        elif shape == "restate":  # facts on entities and relations already there
            seller, store = self.pick("SELLER"), self.pick("STOREFRONT")
            house, factory = self.pick("WAREHOUSE"), self.pick("FACTORY")
            ents += [{**seller, "region": region}, store, {**house, "region": region}, factory]
            rel("OPERATES", seller, store)
            rel("SUPPLIED_BY", house, factory)
            rel("SHIPS_FROM", store, house)
        elif shape == "supplier":
            factory = {"id": f"t-factory-{n}", "kind": "FACTORY", "region": region}
            house = self.pick("WAREHOUSE")
            ents += [factory, house]
            rel("SUPPLIED_BY", house, factory)
        else:  # a warehouse many new storefronts ship from: a hub for the rings
            house = self.pick("WAREHOUSE")
            stores = [{"id": f"t-hubstore-{n}-{k}", "kind": "STOREFRONT"} for k in range(24)]
            ents += [house, *stores]
            for store in stores:
                rel("SHIPS_FROM", store, house)
        return {
            "reportId": f"follow-{n}",
            "reportedBy": org,
            "source": "OSINT",
            "confidence": rng.choice([0.4, 0.7, 0.95]),
            "marking": marking,
            "sharedWith": shared,
            "entities": ents,
            "relations": rels,
        }


def submit(services: Services, line: dict[str, Any]) -> bool:
    operator = services.operator_scope(services.find_org(line["reportedBy"]))
    try:
        services.submit_report(services.reporter_scope(operator, line, True), line)
    except BadUserInput:  # an end the reporter cannot see: not a write
        return False
    return True


@pytest.fixture
def counted_builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    built: list[Any] = []
    build = module._build

    def counting(G: Any) -> Any:
        built.append(G)
        return build(G)

    monkeypatch.setattr(module, "_build", counting)
    yield built


@pytest.mark.parametrize("org_id", ["stridewell", "bazaarhub", "ipcu"])
def test_a_followed_snapshot_equals_one_read_afresh(
    make_services: MakeServices, tmp_path: Path, org_id: str, counted_builds: list[Any]
) -> None:
    services = make_services()
    lines = list(iter_reports(40, seed=4))
    load(services, lines, tmp_path)
    scope = services.operator_scope(services.find_org(org_id))
    writer = Writer(lines, seed=len(org_id))
    assert whole(services, scope) == fresh(services, scope)
    assert len(counted_builds) == 2  # the services' snapshot, then the fresh one
    written = 0
    for step in range(36):
        reporter = writer.rng.choice([org_id, *ORG_IDS])
        if step % 9 == 8:  # a warehouse stated more than HUB_FACTS times
            house = writer.pick("WAREHOUSE")
            for i in range(HUB_FACTS + 2):
                line = writer.report(ORG_IDS[i % len(ORG_IDS)], shape="restate")
                line["entities"].append(house)
                written += submit(services, line)
        else:
            written += submit(services, writer.report(reporter))
        builds = len(counted_builds)
        answers = whole(services, scope)
        assert len(counted_builds) == builds  # followed, not read again
        followed = kept_snapshot(services)
        assert contiguous_pairs(followed)
        positions, order = followed.memo["clustered"]  # ids inserted, not sorted again
        assert np.array_equal(order, followed.by_id(positions))
        assert canonical(followed) == canonical(module._read(services.store.visible(scope)))
        assert answers == fresh(services, scope)
    assert written > 60


def test_a_write_the_caller_cannot_see_changes_nothing_in_its_snapshot(
    make_services: MakeServices, tmp_path: Path
) -> None:
    services = make_services()
    lines = list(iter_reports(40, seed=4))
    load(services, lines, tmp_path)
    brand = services.operator_scope(services.find_org("stridewell"))
    before = whole(services, brand)
    seen = canonical(kept_snapshot(services))
    writer = Writer(lines, seed=3)
    # A competitor's RED reports, shared with nobody: new rings, hubs, suppliers,
    # listings, and facts on entities and relations the brand sees, in a region
    # of their own.
    written = 0
    for shape in ["seller", "listing", "restate", "supplier", "hub"] * 4:
        line = writer.report("voltra", marking="RED", shape=shape)
        line["sharedWith"] = []
        for e in line["entities"]:
            if e["kind"] != "IDENTIFIER":
                e["region"] = "Hidden Region"
        written += submit(services, line)
    assert written == 20
    after = whole(services, brand)
    followed = kept_snapshot(services)
    assert canonical(followed) == seen
    assert "Hidden Region" not in followed.regions
    assert not any(n.startswith("t-") for n in followed.ids)
    assert after == before == fresh(services, brand)
    # The competitor's own view has them all.
    voltra = services.operator_scope(services.find_org("voltra"))
    assert any(n.startswith("t-") for n in module._read(services.store.visible(voltra)).ids)


def test_changes_since_lists_what_each_write_touched(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services()
    lines = list(iter_reports(10, seed=4))
    load(services, lines, tmp_path)
    store: Any = services.store
    version = store.applied_seq  # versions are report keys (`view_version`)
    assert store.changes_since(version) == (set(), set())
    writer = Writer(lines, seed=1)
    line = writer.report("bazaarhub", marking="GREEN", shape="supplier")
    assert submit(services, line)
    nodes, pairs = store.changes_since(version)
    house = line["entities"][1]["id"]
    assert nodes == {line["entities"][0]["id"], house}
    assert pairs == {(house, line["entities"][0]["id"])}
    monkeypatch.setattr("graph_api.store.embedded.store.CHANGES_KEPT", 2)
    for _ in range(2):
        assert submit(services, writer.report("bazaarhub", marking="GREEN", shape="supplier"))
    assert store.changes_since(version) is None  # older than what is kept
    assert store.changes_since(store.applied_seq - 2) is not None


def test_a_node_coming_into_view_brings_the_relations_it_already_had(
    make_services: MakeServices, tmp_path: Path, counted_builds: list[Any]
) -> None:
    services = make_services()
    lines = list(iter_reports(20, seed=4))
    load(services, lines, tmp_path)
    brand = services.operator_scope(services.find_org("stridewell"))
    writer = Writer(lines, seed=5)
    whole(services, brand)
    # voltra alone sees a new warehouse and a seller; then tells everyone (GREEN)
    # of relations to them without restating them: the brand sees the
    # relations' facts, not their ends.
    seller, house = writer.pick("SELLER"), writer.pick("WAREHOUSE")
    hidden = [{"id": "t-house", "kind": "WAREHOUSE"}, {"id": "t-seller", "kind": "SELLER"}]
    secret = writer.report("voltra", marking="RED", shape="supplier")
    secret.update(sharedWith=[], entities=hidden, relations=[])
    told = writer.report("voltra", marking="GREEN", shape="supplier")
    told.update(
        sharedWith=[],
        entities=[seller, house],
        relations=[
            {"kind": "SUPPLIED_BY", "from": house["id"], "to": "t-house"},
            {"kind": "SUPPLIED_BY", "from": "t-house", "to": house["id"]},
            {"kind": "OPERATES", "from": "t-seller", "to": "t-house"},
            {"kind": "OPERATES", "from": seller["id"], "to": "t-house"},
        ],
    )
    assert submit(services, secret) and submit(services, told)
    whole(services, brand)
    assert "t-house" not in kept_snapshot(services).ids
    builds = len(counted_builds)
    for step, ends in enumerate([hidden[:1], hidden[1:]]):  # into the brand's view, one by one
        came = writer.report("bazaarhub", marking="GREEN", shape="supplier")
        came.update(sharedWith=[], entities=ends, relations=[])
        assert submit(services, came)
        answers = whole(services, brand)
        followed = kept_snapshot(services)
        _, pairs = canonical(followed)
        assert len([p for p, _ in pairs if "t-house" in p]) == [3, 4][step]
        assert canonical(followed) == canonical(module._read(services.store.visible(brand)))
        assert answers == fresh(services, brand)
    assert len(counted_builds) == builds + 2  # the fresh ones only


def test_a_write_outside_the_clustered_graph_reuses_the_communities(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graph_api.analytics._reuse as reuse

    services = make_services()
    lines = list(iter_reports(30, seed=4))
    load(services, lines, tmp_path)
    scope = services.operator_scope(services.find_org("bazaarhub"))
    writer = Writer(lines, seed=9)
    runs: list[int] = []
    engine = reuse.communities

    def counting(n: int, *args: Any) -> Any:
        runs.append(n)
        return engine(n, *args)

    monkeypatch.setattr(reuse, "communities", counting)
    rings = lambda G: ring_candidates(G)  # noqa: E731
    services.whole_graph.cached(scope, "rings", 3, rings)
    assert len(runs) == 1
    for shape, clusters_again in (("listing", False), ("seller", True), ("listing", False)):
        assert submit(services, writer.report("bazaarhub", marking="GREEN", shape=shape))
        answer = services.whole_graph.cached(scope, "rings", 3, rings)
        assert len(runs) == 1 + clusters_again
        assert answer == ring_candidates(services.store.view(scope))  # (runs it afresh)
        runs[1:] = []
