"""chokepoints, interdictionPlan and simulateInterdiction over GraphQL, on both stores:
view equivalence per demo org, hidden ids answered as missing ones, limits, and the
answers of the analytics functions on the caller's view."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from graph_api.analytics import chokepoints, interdiction_plan, simulate_interdiction
from graph_api.services import Services
from tests.api.test_analytics_api import DEMO, DEMO_ORGS, demo_store, ids_of, scope_of
from tests.conftest import NEO4J_URI, MakeServices
from tests.support import codes, gql, visible_lines

SHARES = "region listings sources share cumulativeShare"
QUERY = """query($brand: ID, $remove: [ID!]!, $candidates: [ID!], $budget: Int!, $depth: Int) {
  chokepoints(brand: $brand, first: 50, maxDepth: $depth) { entity { id kind } cut
      listings(first: 1000) { id } storefronts(first: 1000) { id } regions }
  interdictionPlan(brand: $brand, budget: $budget, candidates: $candidates, maxDepth: $depth) {
      steps { entity { id } cutAfter } listingsConsidered cut remaining }
  simulateInterdiction(remove: $remove, brand: $brand, maxDepth: $depth) {
      removed { id kind } listingsCut(first: 1000) { id } storefrontsCut(first: 1000) { id }
      sourcesRemaining(first: 1000) { id }
      hotspotsBefore { %s } hotspotsAfter { %s } }
}""" % (SHARES, SHARES)

SITES = ids_of("WAREHOUSE") + ids_of("FACTORY")


def cases() -> list[dict[str, Any]]:
    """Brands (each, none, not a brand), removals of every kind, candidate lists."""
    brands = [None, *ids_of("BRAND"), "no-such-brand", SITES[0]]
    removals = [[], SITES[:1], SITES[2:5], ids_of("STOREFRONT")[:2] + ids_of("LISTING")[:3],
                [SITES[-1], "no-such-site", SITES[-1]], SITES]
    candidate_lists = [None, SITES[::2], ids_of("LISTING")[:4] + ["no-such-site"]]
    out = []
    for i, brand in enumerate(brands):
        out.append({"brand": brand, "remove": removals[i % len(removals)],
                    "candidates": candidate_lists[i % len(candidate_lists)],
                    "budget": 1 + i % 3, "depth": [6, 2, 4, 8][i % 4]})
    return out


@pytest.fixture
def full(make_services: MakeServices, store_kind: str, tmp_path: Path) -> Services:
    return demo_store(make_services, store_kind, DEMO, tmp_path / "full", "full")


@pytest.mark.parametrize("org_id", [o["id"] for o in DEMO_ORGS])
def test_answers_as_on_the_callers_own_store(
    make_services: MakeServices, store_kind: str, full: Services, tmp_path: Path, org_id: str
) -> None:
    scope = scope_of(full, org_id)
    own = demo_store(make_services, store_kind, visible_lines(DEMO, scope, DEMO_ORGS[0]["id"]),
                     tmp_path / "own", "own", key_from=full)
    cut_somewhere = False
    for variables in cases():
        a, b = gql(full, scope, QUERY, variables), gql(own, scope, QUERY, variables)
        assert "errors" not in a, a["errors"]
        assert a == b, (org_id, variables)
        cut_somewhere |= bool(a["data"]["chokepoints"]) and bool(
            a["data"]["simulateInterdiction"]["listingsCut"])
    assert cut_somewhere, "the demo should have chokepoints and cuts"


def test_answers_are_the_analytics_on_the_view(full: Services) -> None:
    scope = scope_of(full, "bazaarhub")
    view = full.store.view(scope)
    for variables in cases():
        brand, depth = variables["brand"], variables["depth"]
        data = gql(full, scope, QUERY, variables)["data"]
        points = chokepoints(view, brand, max_depth=depth)[:50]
        assert [(c["entity"]["id"], c["cut"], [x["id"] for x in c["listings"]], c["regions"])
                for c in data["chokepoints"]] == [
            (c.entity, c.cut, list(c.listings), list(c.regions)) for c in points]
        plan = interdiction_plan(view, brand, variables["budget"], variables["candidates"],
                                 max_depth=depth)
        assert [(s["entity"]["id"], s["cutAfter"]) for s in data["interdictionPlan"]["steps"]] \
            == [(s.entity, s.cut_after) for s in plan.steps]
        assert data["interdictionPlan"]["remaining"] == plan.remaining
        impact = simulate_interdiction(view, variables["remove"], brand, max_depth=depth)
        got = data["simulateInterdiction"]
        assert [e["id"] for e in got["removed"]] == list(impact.removed)
        assert [e["id"] for e in got["listingsCut"]] == list(impact.listings_cut)
        assert [e["id"] for e in got["sourcesRemaining"]] == list(impact.sources_remaining)
        assert len(got["hotspotsAfter"]) == len(impact.hotspots_after.regions)


def test_hidden_ids_answer_as_missing_ones(full: Services) -> None:
    scope = scope_of(full, "stridewell")
    hidden = [
        e for e in ids_of("WAREHOUSE") + ids_of("FACTORY") + ids_of("LISTING") + ids_of("BRAND")
        if gql(full, scope, '{ entity(id: "%s") { id } }' % e)["data"]["entity"] is None
    ]
    assert hidden, "the demo should hide something from Stridewell"
    visible = [s for s in SITES if s not in hidden]
    for entity_id in hidden:
        for variables in (
            {"brand": entity_id, "remove": [], "candidates": None, "budget": 2, "depth": 6},
            {"brand": None, "remove": [entity_id, visible[0]], "candidates": [entity_id],
             "budget": 3, "depth": 6},
            {"brand": None, "remove": [entity_id], "candidates": [entity_id, *visible],
             "budget": 1, "depth": 3},
        ):
            missing = {k: (["no-such-x" if x == entity_id else x for x in v]
                           if isinstance(v, list) else "no-such-x" if v == entity_id else v)
                       for k, v in variables.items()}
            assert gql(full, scope, QUERY, variables) == gql(full, scope, QUERY, missing)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ interdictionPlan(budget: 0) { cut } }", "BAD_USER_INPUT"),
        ("{ interdictionPlan(budget: -3) { cut } }", "BAD_USER_INPUT"),
        ("{ interdictionPlan(budget: 101) { cut } }", "LIMIT_EXCEEDED"),
        ("{ interdictionPlan(budget: 2, maxDepth: 9) { cut } }", "LIMIT_EXCEEDED"),
        ("{ chokepoints(maxDepth: 9) { cut } }", "LIMIT_EXCEEDED"),
        ("{ chokepoints(first: 1001) { cut } }", "LIMIT_EXCEEDED"),
        ("{ chokepoints { listings(first: 5000) { id } } }", None),  # no chokepoint asked
        ("{ simulateInterdiction(remove: [], maxDepth: -1) { removed { id } } }",
         "BAD_USER_INPUT"),
        ("{ simulateInterdiction(remove: []) { listingsCut(first: 1001) { id } } }",
         "LIMIT_EXCEEDED"),
    ],
)
def test_limits(full: Services, query: str, code: str | None) -> None:
    answer = gql(full, scope_of(full, "bazaarhub"), query)
    if code is None:  # sub-field limits only bite where there is a chokepoint to list
        assert codes(answer) in ([], ["LIMIT_EXCEEDED"])
    else:
        assert codes(answer) == [code]


def test_a_simulation_writes_nothing(full: Services) -> None:
    scope = scope_of(full, "bazaarhub", "analyst")
    before = gql(full, scope, QUERY, cases()[0])
    version = full.store.view_version(scope)
    gql(full, scope, QUERY, {**cases()[0], "remove": SITES})
    assert full.store.view_version(scope) == version
    assert gql(full, scope, QUERY, cases()[0]) == before


@pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")
def test_embedded_and_neo4j_answer_alike(make_services: MakeServices, tmp_path: Path) -> None:
    memory = demo_store(make_services, "memory", DEMO, tmp_path / "memory", "memory")
    (tmp_path / "neo4j").mkdir()
    shutil.copy(memory.settings.secrets_dir / "pseudonym.key", tmp_path / "neo4j")
    neo4j = demo_store(make_services, "neo4j", DEMO, tmp_path / "neo4j", "neo4j", key_from=memory)
    for org in ("stridewell", "bazaarhub", "ipcu"):
        a, b = scope_of(memory, org), scope_of(neo4j, org)
        for variables in cases():
            assert gql(memory, a, QUERY, variables) == gql(neo4j, b, QUERY, variables)
