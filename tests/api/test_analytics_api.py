"""Link analysis over GraphQL: limits, missing ids, and view equivalence per demo org."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_api.keyfiles import database_folder
from graph_api.services import Services
from tests.api.test_view_equivalence import load
from tests.conftest import FIXTURES, MakeServices
from tests.support import codes, gql, read_lines, visible_lines

DEMO_ORGS = orjson.loads((FIXTURES / "demo" / "orgs.json").read_bytes())
DEMO = read_lines(FIXTURES / "demo" / "reports.ndjson")

ANALYTICS = """query($id: ID!, $to: ID!, $brand: ID) {
  traceToSource(from: $id) { origin { id } sources { entity { id kind region } score depth
      paths(first: 3) { confidence nodes { id } relations { id kind confidence
          assertions { reportId marking } } } } }
  topSources(first: 50) { entity { id } score }
  brandSources: topSources(brand: $brand, first: 50) { entity { id } score }
  network(seeds: [$id], maxHops: 3) { truncated nodes { id name confidence }
      relations { id kind confidence from { id } to { id } } }
  connections(from: $id, to: $to, maxHops: 6) { confidence nodes { id } relations { kind } }
  linkedEntities(id: $to, maxHops: 2) { entity { id } sharedIdentifiers { id value }
      path { confidence nodes { id } } }
  rings(minSize: 2) { id size members { id } keyPlayers { entity { id } score }
      sources { id } regions knownRing { id } }
  hotspots(first: 20) { totalListings regions { region listings sources share cumulativeShare } }
}"""


def ids_of(kind: str) -> list[str]:
    return sorted(
        {e["id"] for line in DEMO for e in line["entities"] if e["kind"] == kind and "id" in e}
    )


def demo_store(
    make_services: MakeServices,
    kind: str,
    lines: list[dict[str, Any]],
    folder: Path,
    name: str,
    key_from: Services | None = None,
) -> Services:
    folder.mkdir(parents=True, exist_ok=True)
    if key_from is not None:
        keys = database_folder(folder / "graph.db")
        keys.mkdir(exist_ok=True)
        shutil.copy(key_from.settings.secrets_dir / "pseudonym.key", keys / "pseudonym.key")
    services = make_services(kind, name=name)
    if key_from is not None:
        assert services.secret == key_from.secret
    load(services, lines, folder, DEMO_ORGS)
    return services


@pytest.fixture
def full(make_services: MakeServices, store_kind: str, tmp_path: Path) -> Services:
    return demo_store(make_services, store_kind, DEMO, tmp_path / "full", "full")


def scope_of(services: Services, org_id: str, role: str = "investigator") -> Any:
    principal, _ = services.issue_token(services.find_org(org_id), role)
    return services.scope_for(principal)


@pytest.mark.parametrize("org_id", [o["id"] for o in DEMO_ORGS])
def test_every_analytic_answers_as_on_the_callers_own_store(
    make_services: MakeServices, store_kind: str, full: Services, tmp_path: Path, org_id: str
) -> None:
    scope = scope_of(full, org_id)
    own = demo_store(
        make_services,
        store_kind,
        visible_lines(DEMO, scope, DEMO_ORGS[0]["id"]),
        tmp_path / "own",
        "own",
        key_from=full,
    )
    sellers, listings = ids_of("SELLER"), ids_of("LISTING")
    brand = ids_of("BRAND")[0]
    for origin in listings[::3] + ids_of("STOREFRONT")[::4]:
        variables = {"id": origin, "to": sellers[len(origin) % len(sellers)], "brand": brand}
        a, b = gql(full, scope, ANALYTICS, variables), gql(own, scope, ANALYTICS, variables)
        assert "errors" not in a, a["errors"]
        assert a == b, (org_id, origin)


def test_hidden_and_missing_origins_answer_alike(full: Services) -> None:
    scope = scope_of(full, "stridewell")
    hidden = [
        e
        for e in ids_of("FACTORY") + ids_of("WAREHOUSE") + ids_of("LISTING")
        if gql(full, scope, '{ entity(id: "%s") { id } }' % e)["data"]["entity"] is None
    ]
    assert hidden, "the demo should hide something from Stridewell"
    query = "query($id: ID!) { traceToSource(from: $id) { origin { id } } }"
    for entity_id in hidden:
        answer = gql(full, scope, query, {"id": entity_id})
        missing = gql(full, scope, query, {"id": "no-such-" + entity_id})
        assert codes(answer) == codes(missing) == ["NOT_FOUND"]
        assert answer["errors"][0]["message"].replace(entity_id, "X") == missing["errors"][0][
            "message"
        ].replace("no-such-" + entity_id, "X")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ('{ network(seeds: ["x"], maxHops: 9) { truncated } }', "LIMIT_EXCEEDED"),
        ('{ network(seeds: ["x"], limit: 10001) { truncated } }', "LIMIT_EXCEEDED"),
        ('{ network(seeds: ["x"], minConfidence: 2) { truncated } }', "BAD_USER_INPUT"),
        ('{ traceToSource(from: "x", maxDepth: 9) { sources { score } } }', "LIMIT_EXCEEDED"),
        ('{ connections(from: "x", to: "y", maxHops: 12) { confidence } }', "LIMIT_EXCEEDED"),
        ('{ linkedEntities(id: "x", maxHops: 9) { path { confidence } } }', "LIMIT_EXCEEDED"),
        ("{ topSources(first: 100000) { score } }", "LIMIT_EXCEEDED"),
    ],
)
def test_analytics_limits(full: Services, query: str, code: str) -> None:
    assert codes(gql(full, scope_of(full, "bazaarhub"), query)) == [code]


def test_whole_graph_results_follow_writes(full: Services) -> None:
    """A cached ranking is recomputed after a write that changes it."""
    scope = scope_of(full, "bazaarhub", "analyst")
    query = "{ topSources(first: 100) { entity { id } score } }"
    before = {r["entity"]["id"]: r["score"] for r in gql(full, scope, query)["data"]["topSources"]}
    listing, warehouse = ids_of("LISTING")[0], ids_of("WAREHOUSE")[0]
    full.submit_report(
        scope,
        {
            "reportId": "new-fact",
            "source": "TEST_BUY",
            "confidence": 0.9,
            "marking": "GREEN",
            "entities": [
                {"id": "listing-new", "kind": "LISTING"},
                {"id": warehouse, "kind": "WAREHOUSE"},
                {"id": ids_of("BRAND")[0], "kind": "BRAND"},
            ],
            "relations": [
                {"kind": "SHIPS_FROM", "from": "listing-new", "to": warehouse},
                {"kind": "INFRINGES", "from": "listing-new", "to": ids_of("BRAND")[0]},
            ],
        },
    )
    after = {r["entity"]["id"]: r["score"] for r in gql(full, scope, query)["data"]["topSources"]}
    assert after[warehouse] == before.get(warehouse, 0) + 1
    assert listing


def test_a_query_past_its_time_budget_is_limit_exceeded(full: Services) -> None:
    import dataclasses

    scope = scope_of(full, "bazaarhub")
    query = '{ network(seeds: ["store-luxe-bag-vault"], maxHops: 8) { truncated } }'
    assert "errors" not in gql(full, scope, query)
    full.settings = dataclasses.replace(full.settings, request_seconds=-1.0)
    answer = gql(full, scope, query)
    assert codes(answer) == ["LIMIT_EXCEEDED"]
    assert "time limit" in answer["errors"][0]["message"]
