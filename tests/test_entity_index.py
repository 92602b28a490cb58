"""Indexed `entities` reads (issue 21, item 0) answer exactly what the scan of every
visible entity answers (``GraphReads.find_entities``, the reference): pages, cursors,
``hasNextPage`` and ``totalCount`` for every filter and caller, over random worlds
where ids are restated under other kinds, names, regions and statuses by orgs that
cannot see each other, after a bulk load and after single writes that follow it."""

from __future__ import annotations

import random
from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.model import EntityKind, OrgType
from graph_api.services import Services
from graph_api.store.base import EntityFilter
from graph_api.store.embedded import entity_index, text_index
from graph_api.store.reads import GraphReads
from tests.conftest import MakeServices

ORGS = [("acme", OrgType.BRAND), ("rival", OrgType.BRAND), ("third", OrgType.BRAND),
        ("bazaar", OrgType.PLATFORM), ("police", OrgType.REGULATOR)]
MARKINGS = ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"]
KINDS = ["SELLER", "STOREFRONT", "LISTING", "WAREHOUSE"]
REGIONS = ["Fujian", "Pearl River Delta", "Yangtze River Delta"]
STATUSES = ["ACTIVE", "WARNED", "LIVE", "DELISTED"]
WORDS = ["Golden", "Dragon", "Shoe", "King", "golden-gate", "Kicks4U", "Straße", "Ünïcode"]
SEARCHES = ["golden", "GOLD", "dragon", "s-1", "seller-1", "x-1", "kicks", "strasse",
            "ünï", "url", "/l/", "\"city\"", "ing", "e", "nowhere", "seller-10"]


def world(services: Services) -> dict[str, Scope]:
    scopes = {}
    for org_id, org_type in ORGS:
        org = services.add_org(org_id.title(), org_type, False, org_id)
        principal, _ = services.issue_token(org, "analyst")
        scopes[org_id] = services.scope_for(principal)
    return scopes


def random_report(rng: random.Random, n: int, ids: int) -> tuple[str, dict[str, Any]]:
    org = rng.choice(ORGS)[0]
    entities = []
    named = {f"{rng.choice(['seller', 's', 'x', 'listing'])}-{rng.randrange(ids)}"
             for _ in range(rng.randint(1, 6))}
    for eid in sorted(named):
        entity: dict[str, Any] = {"id": eid, "kind": rng.choice(KINDS)}
        if rng.random() < 0.5:
            entity["name"] = " ".join(rng.sample(WORDS, rng.randint(1, 2)))
        if rng.random() < 0.4:
            entity["region"] = rng.choice(REGIONS)
        if rng.random() < 0.4:
            entity["status"] = rng.choice(STATUSES)
        if rng.random() < 0.3:
            entity["properties"] = {"url": f"https://m.example/l/{rng.randrange(50)}",
                                    rng.choice(["city", "note"]): rng.choice(WORDS)}
        entities.append(entity)
    shared = rng.sample([o for o, _ in ORGS if o != org], rng.randint(0, 1))
    return org, {"reportId": f"r{n}", "source": "OSINT", "confidence": 0.5,
                 "marking": rng.choice(MARKINGS), "sharedWith": shared,
                 "entities": entities, "relations": []}


def write(services: Services, scopes: dict[str, Scope], lines: list[tuple[str, dict[str, Any]]],
          bulk: bool) -> None:
    if bulk:
        services.store.submit_many(
            [(scopes[org], services.parse(scopes[org], raw)) for org, raw in lines])
        return
    for org, raw in lines:
        try:
            services.submit_report(scopes[org], raw)
        except Exception as exc:  # noqa: BLE001 - a kind clash with what org sees
            assert type(exc).__name__ in ("BadUserInput", "Conflict"), exc


def walk(read: Any, scope: Scope, where: EntityFilter, first: int) -> list[Any]:
    """Every page of a filter: ids, hasNextPage, cursors and totals, page by page."""
    pages, after = [], None
    while True:
        page = read(scope, where, first, after, True)
        pages.append(([r.id for r in page.items], page.has_next, page.cursors, page.total))
        if not page.has_next:
            return pages
        after = page.cursors[-1]


def filters(rng: random.Random) -> list[EntityFilter]:
    out = [EntityFilter(), EntityFilter(region="Nowhere"), EntityFilter(status="NONE")]
    out += [EntityFilter(kind=EntityKind(k)) for k in KINDS + ["FACTORY"]]
    out += [EntityFilter(search=s) for s in SEARCHES]
    for _ in range(12):
        out.append(EntityFilter(
            kind=EntityKind(rng.choice(KINDS)) if rng.random() < 0.6 else None,
            region=rng.choice(REGIONS) if rng.random() < 0.4 else None,
            status=rng.choice(STATUSES) if rng.random() < 0.4 else None,
            search=rng.choice(SEARCHES) if rng.random() < 0.4 else None))
    return out


def same_as_scan(services: Services, scopes: dict[str, Scope], rng: random.Random) -> None:
    store = services.store
    for where in filters(rng):
        for scope in scopes.values():
            for first in (1, 4, 50):
                indexed = walk(store.find_entities, scope, where, first)
                scanned = walk(lambda *a: GraphReads.find_entities(store, *a),  # type: ignore[arg-type]
                               scope, where, first)
                assert indexed == scanned, (scope.org_id, where, first)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("small", [False, True], ids=["as-served", "small-steps"])
def test_indexed_pages_and_counts_equal_the_scan(
    make_services: MakeServices, monkeypatch: pytest.MonkeyPatch, seed: int, small: bool
) -> None:
    """``small-steps``: views read again after each write, texts cut into levels of
    a few segments and the levels merged (at a million entities: a server's start)."""
    if small:
        monkeypatch.setattr(entity_index, "FOLD_AT_MOST", 2)
        monkeypatch.setattr(text_index, "DELTA_AT_MOST", 8)
        monkeypatch.setattr(text_index, "LEVELS_AT_MOST", 3)
        monkeypatch.setattr(text_index, "CHUNK", 5)
    services = make_services()
    scopes = world(services)
    rng = random.Random(seed)
    lines = [random_report(rng, n, 30) for n in range(60)]
    write(services, scopes, lines[:40], bulk=True)
    same_as_scan(services, scopes, rng)  # the views are read now and followed after
    write(services, scopes, lines[40:], bulk=False)
    more = [random_report(rng, n, 45) for n in range(60, 80)]  # new ids, new kinds
    write(services, scopes, more, bulk=seed % 2 == 0)
    same_as_scan(services, scopes, rng)


def test_an_invisible_entity_never_matches_and_is_never_counted(
    make_services: MakeServices,
) -> None:
    services = make_services()
    scopes = world(services)
    services.submit_report(scopes["acme"], {
        "reportId": "hidden", "source": "OSINT", "confidence": 0.5, "marking": "RED",
        "entities": [{"id": "seller-hidden", "kind": "SELLER", "name": "Golden Secret",
                      "region": "Fujian", "status": "ACTIVE"}], "relations": []})
    store = services.store
    for where in (EntityFilter(), EntityFilter(kind=EntityKind.SELLER),
                  EntityFilter(region="Fujian"), EntityFilter(status="ACTIVE"),
                  EntityFilter(search="golden"), EntityFilter(search="seller-hidden")):
        assert store.find_entities(scopes["rival"], where, 10, None, True).total == 0
        assert [r.id for r in store.find_entities(scopes["acme"], where, 10, None, True).items
                ] == ["seller-hidden"]
