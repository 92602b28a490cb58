"""The GraphStore contract, through the services API, on every store.

Each test runs on the embedded store and (with a Bolt server) on Neo4j: one
suite, the same expected answers.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from graph_api.access import Scope, VisibilityClass, may_see
from graph_api.errors import BadUserInput, Conflict
from graph_api.model import EntityKind, Marking, OrgType, RelationKind
from graph_api.services import Services
from graph_api.store.base import EntityFilter

CALLERS = [("acme", OrgType.BRAND), ("rival", OrgType.BRAND), ("friend", OrgType.BRAND),
           ("bazaar", OrgType.PLATFORM), ("police", OrgType.REGULATOR)]


def report(rid: str, entities: list[dict[str, Any]], relations: list[dict[str, Any]] = (),
           marking: str = "GREEN", confidence: float = 0.5, **extra: Any) -> dict[str, Any]:
    return {"reportId": rid, "source": "OSINT", "confidence": confidence, "marking": marking,
            "entities": list(entities), "relations": list(relations), **extra}


def world(services: Services) -> dict[str, Scope]:
    scopes = {}
    for org_id, org_type in CALLERS:
        org = services.add_org(org_id.title(), org_type, False, org_id)
        principal, _ = services.issue_token(org, "investigator")
        scopes[org_id] = services.scope_for(principal)
    return scopes


@pytest.fixture
def scopes(services: Services) -> dict[str, Scope]:
    return world(services)


# -- ingestion and idempotency ---------------------------------------------------
def test_a_report_is_stored_and_read_back(services: Services, scopes: dict[str, Scope]) -> None:
    acme = scopes["acme"]
    result = services.submit_report(acme, report("r1", [
        {"id": "s1", "kind": "SELLER", "name": "Shady", "region": "Fujian", "status": "ACTIVE",
         "properties": {"city": "Putian"}},
        {"id": "f1", "kind": "STOREFRONT", "name": "Shop"},
    ], [{"kind": "OPERATES", "from": "s1", "to": "f1", "confidence": 0.8}],
        evidence=[{"kind": "SCREENSHOT", "uri": "https://example.org/x.png"}]))
    assert (result.report_id, result.entities, result.relations, result.created) == (
        "r1", 2, 1, True)
    seen = services.store.entities_by_id(acme, ["s1", "f1", "nope"])
    assert set(seen) == {"s1", "f1"}
    s1 = seen["s1"]
    assert (s1.kind.value, s1.name, s1.region, s1.status, s1.properties, s1.confidence) == (
        "SELLER", "Shady", "Fujian", "ACTIVE", {"city": "Putian"}, 0.5)
    page = services.store.relations_of(acme, "s1", "OUT", None, 10, None, True)
    assert page.total == 1 and page.items[0].confidence == 0.8
    envelope = services.store.envelopes([s1.facts[0][0]])[s1.facts[0][0]]
    assert (envelope.report_id, envelope.reported_by, envelope.marking) == (
        "r1", "acme", Marking.GREEN)
    assert envelope.reported_at.utcoffset() is not None  # UTC survives the round trip
    assert envelope.evidence[0].uri == "https://example.org/x.png"


def test_resubmitting_is_idempotent_and_other_content_conflicts(
    services: Services, scopes: dict[str, Scope]
) -> None:
    acme = scopes["acme"]
    raw = report("r1", [{"id": "s1", "kind": "SELLER"}, {"id": "f1", "kind": "STOREFRONT"}],
                 [{"kind": "OPERATES", "from": "s1", "to": "f1"}])
    assert services.submit_report(acme, raw).created
    version = services.store.view_version(acme)
    again = services.submit_report(acme, raw)
    assert (again.created, again.entities, again.relations) == (False, 2, 1)
    assert services.store.view_version(acme) == version
    with pytest.raises(Conflict) as err:
        services.submit_report(acme, {**raw, "confidence": 0.9})
    assert err.value.field == "reportId"
    assert len(services.store.entities_by_id(acme, ["s1"])["s1"].facts) == 1


def test_report_ids_are_scoped_per_org(services: Services, scopes: dict[str, Scope]) -> None:
    services.submit_report(scopes["acme"], report("same", [{"id": "s1", "kind": "SELLER"}]))
    other = services.submit_report(scopes["rival"], report("same", [
        {"id": "s2", "kind": "SELLER"}]))
    assert other.created
    assert set(services.store.entities_by_id(scopes["bazaar"], ["s1", "s2"])) == {"s1", "s2"}


def test_bulk_results_match_single_submits(services: Services, scopes: dict[str, Scope]) -> None:
    acme = scopes["acme"]
    services.submit_report(acme, report("old", [{"id": "s0", "kind": "SELLER"}]))
    batch = [
        report("old", [{"id": "s0", "kind": "SELLER"}]),            # replay
        report("b1", [{"id": "s1", "kind": "SELLER"}]),
        report("b2", [], [{"kind": "ASSOCIATED_WITH", "from": "s1", "to": "s0"}]),  # earlier one
        report("b1", [{"id": "s9", "kind": "SELLER"}]),             # repeats in the batch
        report("b3", [], [{"kind": "ASSOCIATED_WITH", "from": "s1", "to": "ghost"}]),
    ]
    results = services.store.submit_many([(acme, services.parse(acme, r)) for r in batch])
    assert [getattr(r, "created", type(r).__name__) for r in results] == [
        False, True, True, "Conflict", "BadUserInput"]
    page = services.store.relations_of(acme, "s1", "BOTH", None, 10, None, True)
    assert [r.target for r in page.items] == ["s0"]
    assert "s9" not in services.store.entities_by_id(acme, ["s9"])


# -- endpoint checks ---------------------------------------------------------------
def test_endpoint_errors_name_the_field_and_hide_what_is_unseen(
    services: Services, scopes: dict[str, Scope]
) -> None:
    acme, rival = scopes["acme"], scopes["rival"]
    services.submit_report(acme, report("secret", [{"id": "w1", "kind": "WAREHOUSE"}],
                                        marking="RED"))
    services.submit_report(acme, report("open", [{"id": "s1", "kind": "SELLER"}]))
    for scope, ref in ((rival, "w1"), (acme, "never")):
        with pytest.raises(BadUserInput) as err:
            services.submit_report(scope, report("x", [{"id": "l1", "kind": "LISTING"}], [
                {"kind": "SHIPS_FROM", "from": "l1", "to": ref}]))
        assert err.value.field == "relations[0].to"
        assert str(err.value.message) == (
            f"relations[0].to: no entity {ref!r} in the report or visible to you")
    with pytest.raises(BadUserInput) as err:  # a known end of the wrong kind
        services.submit_report(acme, report("y", [{"id": "l1", "kind": "LISTING"}], [
            {"kind": "SHIPS_FROM", "from": "l1", "to": "s1"}]))
    assert err.value.field == "relations[0].to" and "not SELLER" in err.value.message
    with pytest.raises(BadUserInput) as err:  # restating a visible entity as another kind
        services.submit_report(acme, report("z", [{"id": "s1", "kind": "FACTORY"}]))
    assert err.value.field == "entities[0].kind"
    # The rival may state w1 as anything: what it cannot see never constrains it.
    assert services.submit_report(rival, report("w", [{"id": "w1", "kind": "FACTORY"}])).created
    assert services.store.entities_by_id(rival, ["w1"])["w1"].kind.value == "FACTORY"
    assert services.store.entities_by_id(acme, ["w1"])["w1"].kind.value == "WAREHOUSE"


# -- visibility ----------------------------------------------------------------------
SHARES = [(), ("friend",)]


def test_every_marking_for_every_org_type(services: Services, scopes: dict[str, Scope]) -> None:
    """Entities, relations, pages, counts and views follow access.may_see."""
    acme = scopes["acme"]
    services.submit_report(acme, report("hub", [{"id": "hub", "kind": "SELLER"}],
                                        marking="CLEAR"))
    expected: dict[str, VisibilityClass] = {}
    for n, (marking, shared) in enumerate(itertools.product(Marking, SHARES)):
        eid = f"s{n}"
        services.submit_report(acme, report(
            f"r{n}", [{"id": eid, "kind": "SELLER"}],
            [{"kind": "ASSOCIATED_WITH", "from": eid, "to": "hub"}],
            marking=marking.value, sharedWith=list(shared)))
        expected[eid] = VisibilityClass("acme", marking, frozenset(shared))
    store = services.store
    for org_id, org_type in CALLERS:
        scope = scopes[org_id]
        want = sorted(e for e, vc in expected.items() if may_see(vc, org_id, org_type))
        assert sorted(store.entities_by_id(scope, list(expected))) == want, org_id
        page = store.find_entities(scope, EntityFilter(), 100, None, True)
        assert [r.id for r in page.items] == sorted(["hub", *want]) and page.total == len(want) + 1
        rels = store.relations_of(scope, "hub", "IN", None, 100, None, True)
        assert sorted(r.source for r in rels.items) == want and rels.total == len(want)
        view = store.view(scope)
        assert sorted(view.nodes) == sorted(["hub", *want])
        assert sorted(u for u, _ in view.in_edges("hub")) == want
        near = store.view(scope, ["hub"], 1)
        assert sorted(u for u, _ in near.in_edges("hub")) == want


def test_a_relation_needs_both_ends_visible(services: Services, scopes: dict[str, Scope]) -> None:
    acme = scopes["acme"]
    services.submit_report(acme, report("a", [{"id": "s1", "kind": "SELLER"}], marking="CLEAR"))
    services.submit_report(acme, report("b", [{"id": "s2", "kind": "SELLER"}], marking="RED"))
    services.submit_report(acme, report("c", [], [
        {"kind": "ASSOCIATED_WITH", "from": "s1", "to": "s2"}], marking="CLEAR"))
    rival = scopes["rival"]
    assert services.store.relations_of(rival, "s1", "BOTH", None, 10, None, True).total == 0
    assert services.store.view(rival).number_of_edges() == 0
    assert services.store.relations_of(acme, "s1", "BOTH", None, 10, None, True).total == 1


# -- merged fields ------------------------------------------------------------------
def test_fields_merge_from_visible_assertions_only(
    services: Services, scopes: dict[str, Scope]
) -> None:
    acme, rival, bazaar = scopes["acme"], scopes["rival"], scopes["bazaar"]
    services.submit_report(acme, report("a1", [
        {"id": "s1", "kind": "SELLER", "name": "Old", "region": "Fujian",
         "properties": {"a": 1, "b": 1}}], confidence=0.5, marking="GREEN"))
    services.submit_report(acme, report("a2", [
        {"id": "s1", "kind": "SELLER", "name": "Secret", "status": "BANNED",
         "properties": {"b": 2}}], confidence=0.5, marking="AMBER"))
    services.submit_report(rival, report("r1", [
        {"id": "s1", "kind": "SELLER", "region": "Zhejiang", "properties": {"c": 3}}],
        confidence=0.2, marking="GREEN"))
    store = services.store
    mine = store.entities_by_id(acme, ["s1"])["s1"]
    assert (mine.name, mine.region, mine.status) == ("Secret", "Zhejiang", "BANNED")
    assert mine.properties == {"a": 1, "b": 2, "c": 3}
    assert mine.confidence == pytest.approx(1 - 0.5 * 0.5 * 0.8)
    theirs = store.entities_by_id(rival, ["s1"])["s1"]
    assert (theirs.name, theirs.region, theirs.status) == ("Old", "Zhejiang", None)
    assert theirs.properties == {"a": 1, "b": 1, "c": 3}
    assert theirs.confidence == pytest.approx(1 - 0.5 * 0.8)
    assert [f[0] for f in theirs.facts] == sorted(f[0] for f in theirs.facts)
    assert len(store.entities_by_id(bazaar, ["s1"])["s1"].facts) == 3
    node = store.view(rival).nodes["s1"]
    assert (node["name"], node["region"], node["status"]) == ("Old", "Zhejiang", None)
    assert node["confidence"] == pytest.approx(theirs.confidence)
    # Relations: noisy-OR over the visible assertions.
    services.submit_report(acme, report("e1", [{"id": "f1", "kind": "STOREFRONT"}], [
        {"kind": "OPERATES", "from": "s1", "to": "f1", "confidence": 0.5}], marking="GREEN"))
    services.submit_report(acme, report("e2", [], [
        {"kind": "OPERATES", "from": "s1", "to": "f1", "confidence": 0.5}], marking="RED"))
    for scope, conf in ((acme, 0.75), (rival, 0.5)):
        rel = store.relations_of(scope, "s1", "OUT", None, 10, None, False).items[0]
        assert rel.confidence == pytest.approx(conf) and len(rel.facts) == (2 if conf > .5 else 1)
        edge = store.view(scope)["s1"]["f1"]["OPERATES"]
        assert edge["confidence"] == pytest.approx(conf)


def test_identifier_values_by_org_type_and_reporter(
    services: Services, scopes: dict[str, Scope]
) -> None:
    services.submit_report(scopes["acme"], report("i", [
        {"id": "s1", "kind": "SELLER"},
        {"id": "phone", "kind": "IDENTIFIER", "identifierKind": "PHONE",
         "value": "+86 138 0000 0000"}], [{"kind": "USES", "from": "s1", "to": "phone"}]))
    ident = services.store.relations_of(scopes["acme"], "s1", "OUT", None, 1, None, False)
    pid = ident.items[0].target
    values = {org: getattr(services.store.entities_by_id(scopes[org], [pid]).get(pid), "value",
                           "absent") for org, _ in CALLERS}
    assert values["acme"] and values["bazaar"] == values["acme"] == values["police"]
    assert values["rival"] is None and values["friend"] is None
    # Once the rival states the identifier too, it sees the value.
    services.submit_report(scopes["rival"], report("j", [
        {"kind": "IDENTIFIER", "identifierKind": "PHONE", "value": "+86 138 0000 0000"}]))
    assert services.store.entities_by_id(scopes["rival"], [pid])[pid].value == values["acme"]


# -- paging ------------------------------------------------------------------------
def test_entity_pages_cursors_counts_and_filters(
    services: Services, scopes: dict[str, Scope]
) -> None:
    acme, rival = scopes["acme"], scopes["rival"]
    entities = [{"id": f"s{n:02}", "kind": "SELLER", "region": "Fujian" if n % 2 else "Zhejiang",
                 "status": "BANNED" if n % 3 == 0 else "ACTIVE", "name": f"Seller {n}"}
                for n in range(23)]
    services.submit_report(acme, report("many", entities))
    services.submit_report(acme, report("shop", [
        {"id": "f01", "kind": "STOREFRONT", "name": "Banned goods", "properties": {"x": "lux"}}]))
    services.submit_report(acme, report("hidden", [{"id": "s05x", "kind": "SELLER"}],
                                        marking="RED"))
    store = services.store
    seen, after = [], None
    while True:
        page = store.find_entities(rival, EntityFilter(), 5, after, True)
        assert page.total == 24 and len(page.cursors) == len(page.items)
        seen += [r.id for r in page.items]
        if not page.has_next:
            break
        after = page.cursors[-1]
    assert seen == sorted([e["id"] for e in entities] + ["f01"])
    assert store.find_entities(acme, EntityFilter(), 100, None, True).total == 25
    assert store.find_entities(rival, EntityFilter(), 1, None, False).total is None
    cases = {
        EntityFilter(kind=EntityKind.STOREFRONT): ["f01"],
        EntityFilter(region="Fujian", status="BANNED"): ["s03", "s09", "s15", "s21"],
        EntityFilter(search="lux"): ["f01"],
        EntityFilter(search="SELLER 2"): ["s02", "s20", "s21", "s22"],
    }
    for where, want in cases.items():
        page = store.find_entities(rival, where, 3, None, True)
        assert page.total == len(want) and [r.id for r in page.items] == want[:3], where
        rest = store.find_entities(rival, where, 10, page.cursors[-1], False)
        assert [r.id for r in rest.items] == want[3:]
    # A cursor naming a hidden id pages exactly as any other id would.
    hidden_cursor = store.find_entities(acme, EntityFilter(), 7, None, False).cursors[-1]
    assert [r.id for r in store.find_entities(rival, EntityFilter(), 1, hidden_cursor,
                                              False).items] == ["s06"]
    with pytest.raises(BadUserInput):
        store.find_entities(rival, EntityFilter(), 1, "not-a-cursor", False)


def test_relations_are_ordered_by_kind_then_other_end(
    services: Services, scopes: dict[str, Scope]
) -> None:
    acme = scopes["acme"]
    services.submit_report(acme, report("net", [
        {"id": "s1", "kind": "SELLER"}, {"id": "s2", "kind": "SELLER"},
        {"id": "s0", "kind": "SELLER"}, {"id": "f2", "kind": "STOREFRONT"},
        {"id": "f1", "kind": "STOREFRONT"}, {"id": "w1", "kind": "WAREHOUSE"},
        {"id": "ring", "kind": "RING"}], [
        {"kind": "OPERATES", "from": "s1", "to": "f2"},
        {"kind": "OPERATES", "from": "s1", "to": "f1"},
        {"kind": "OPERATES", "from": "s1", "to": "w1"},
        {"kind": "ASSOCIATED_WITH", "from": "s1", "to": "s2"},
        {"kind": "ASSOCIATED_WITH", "from": "s0", "to": "s1"},
        {"kind": "ASSOCIATED_WITH", "from": "s2", "to": "s1"},
        {"kind": "MEMBER_OF", "from": "s1", "to": "ring"}]))
    store = services.store
    full = store.relations_of(acme, "s1", "BOTH", None, 100, None, True)
    keys = [(r.kind.value, r.target if r.source == "s1" else r.source,
             "OUT" if r.source == "s1" else "IN") for r in full.items]
    assert keys == [("ASSOCIATED_WITH", "s0", "IN"), ("ASSOCIATED_WITH", "s2", "IN"),
                    ("ASSOCIATED_WITH", "s2", "OUT"), ("MEMBER_OF", "ring", "OUT"),
                    ("OPERATES", "f1", "OUT"), ("OPERATES", "f2", "OUT"),
                    ("OPERATES", "w1", "OUT")]
    paged, after = [], None
    while True:
        page = store.relations_of(acme, "s1", "BOTH", None, 2, after, True)
        assert page.total == 7
        paged += page.items
        if not page.has_next:
            break
        after = page.cursors[-1]
    assert [r.id for r in paged] == [r.id for r in full.items]
    out = store.relations_of(acme, "s1", "OUT", frozenset({RelationKind.OPERATES}), 100, None,
                             True)
    assert [r.target for r in out.items] == ["f1", "f2", "w1"] and out.total == 3
    assert store.relations_of(acme, "s1", "IN", None, 100, None, True).total == 2
    assert store.relations_of(acme, "ghost", "BOTH", None, 10, None, True).total == 0


# -- views ---------------------------------------------------------------------------
def test_view_neighbourhoods(services: Services, scopes: dict[str, Scope]) -> None:
    """Seeds, hops and kinds bound what a view must hold; node and edge data as promised."""
    acme, rival = scopes["acme"], scopes["rival"]
    services.submit_report(acme, report("chain", [
        {"id": "s1", "kind": "SELLER", "name": "S", "region": "Fujian", "status": "ACTIVE"},
        {"id": "f1", "kind": "STOREFRONT"}, {"id": "l1", "kind": "LISTING"},
        {"id": "w1", "kind": "WAREHOUSE"}, {"id": "x1", "kind": "FACTORY"},
        {"id": "s2", "kind": "SELLER"}], [
        {"kind": "OPERATES", "from": "s1", "to": "f1"},
        {"kind": "LISTS", "from": "f1", "to": "l1"},
        {"kind": "SHIPS_FROM", "from": "l1", "to": "w1", "confidence": 0.9},
        {"kind": "SUPPLIED_BY", "from": "w1", "to": "x1"},
        {"kind": "ASSOCIATED_WITH", "from": "s2", "to": "s1"}]))
    services.submit_report(acme, report("red", [], [
        {"kind": "SUPPLIED_BY", "from": "w1", "to": "x1", "confidence": 0.5}], marking="RED"))
    store = services.store
    near = store.view(acme, ["l1"], 1)
    assert {"l1", "f1", "w1"} <= set(near.nodes)
    assert near.has_edge("l1", "w1", "SHIPS_FROM") and near.has_edge("f1", "l1", "LISTS")
    two = store.view(acme, ["l1"], 2)
    assert {"s1", "x1"} <= set(two.nodes) and two.has_edge("w1", "x1", "SUPPLIED_BY")
    only = store.view(acme, ["l1"], 3, frozenset({RelationKind.SHIPS_FROM}))
    assert only.has_edge("l1", "w1")  # a store may hand out more than it promised, never less
    data = store.view(acme, ["s1"], 0).nodes["s1"]
    assert {k: data[k] for k in ("kind", "name", "region", "status", "confidence")} == {
        "kind": "SELLER", "name": "S", "region": "Fujian", "status": "ACTIVE",
        "confidence": 0.5}
    assert [f[0] for f in data["facts"]] == [f[0] for f in store.entities_by_id(
        acme, ["s1"])["s1"].facts]
    up = store.view(acme, ["l1"], 6, upstream=True)
    assert up.has_edge("w1", "x1", "SUPPLIED_BY")
    for scope, conf, facts in ((acme, 0.75, 2), (rival, 0.5, 1)):
        edge = store.view(scope, ["w1"], 1)["w1"]["x1"]["SUPPLIED_BY"]
        assert edge["confidence"] == pytest.approx(conf) and len(edge["facts"]) == facts
        assert all(len(f) == 3 for f in edge["facts"])
    assert "nobody" not in store.view(rival, ["nobody"], 3)
    assert store.view_version(acme) > 0
