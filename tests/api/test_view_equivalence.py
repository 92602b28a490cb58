"""View equivalence: every answer equals the answer of a store holding only the
caller's visible assertions (DESIGN.md, "Who may read what")."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from graph_api.bulk import import_ndjson
from graph_api.keyfiles import database_folder
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.synthetic import iter_reports, orgs
from tests.conftest import MakeServices
from tests.support import gql, visible_lines, write_lines

ENTITY_FIELDS = """id kind name region status properties confidence value identifierKind
  assertions { reportId reportedBy { id } reportedAt source confidence marking
               sharedWith { id } evidence { kind sha256 uri } }
  relations(first: 1000) { totalCount edges { cursor node { id kind confidence
      from { id } to { id } assertions { reportId confidence marking } } }
      pageInfo { hasNextPage endCursor } }"""

PAGE = """query($after: String, $kind: EntityKind, $search: String, $region: String,
               $status: String) {
  entities(first: 97, after: $after, kind: $kind, search: $search, region: $region,
           status: $status) {
    totalCount edges { cursor node { %s } } pageInfo { hasNextPage endCursor } } }""" % (
    ENTITY_FIELDS
)


def every_page(services: Services, scope: Any, **filters: Any) -> list[Any]:
    pages, after = [], None
    while True:
        answer = gql(services, scope, PAGE, {"after": after, **filters})
        assert "errors" not in answer, answer
        page = answer["data"]["entities"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def load(
    services: Services,
    lines: list[dict[str, Any]],
    folder: Path,
    org_list: list[dict[str, Any]] | None = None,
) -> None:
    org_list = org_list or orgs()
    for org in org_list:
        services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
    first = services.find_org(org_list[0]["id"])
    summary = import_ndjson(
        services,
        services.operator_scope(first),
        write_lines(folder / "lines.ndjson", lines),
        operator=True,
        progress=False,
    )
    assert summary.failed == 0, summary.errors[:3]


@pytest.fixture(scope="module")
def network() -> list[dict[str, Any]]:
    return list(iter_reports(40, seed=11))


# A brand, a competing brand, the platform and the regulator: every row of the marking table.
@pytest.mark.parametrize("org_id", ["stridewell", "maison-verel", "bazaarhub", "ipcu"])
def test_every_core_query_answers_as_on_the_callers_own_store(
    make_services: MakeServices,
    store_kind: str,
    network: list[dict[str, Any]],
    tmp_path: Path,
    org_id: str,
) -> None:
    full = make_services(store_kind, name="full")
    load(full, network, tmp_path / "full")
    org = full.find_org(org_id)
    principal, _ = full.issue_token(org, "investigator")
    scope = full.scope_for(principal)
    lines = visible_lines(network, scope, default_org=orgs()[0]["id"])
    assert 0 < len(lines) <= len(network)

    own_dir = tmp_path / "own"
    own_dir.mkdir()
    keys = database_folder(own_dir / "graph.db")  # the same pseudonym key: the same ids
    keys.mkdir()
    shutil.copy(full.settings.secrets_dir / "pseudonym.key", keys / "pseudonym.key")
    own = make_services(store_kind, name="own")
    load(own, lines, own_dir)

    assert every_page(full, scope) == every_page(own, scope)
    sample = {e["node"]["id"] for p in every_page(full, scope) for e in p["edges"]}
    hidden = {ent["id"] for line in network for ent in line["entities"] if "id" in ent} - sample
    for filters in (
        {"kind": "STOREFRONT"},
        {"region": "Pearl River Delta"},
        {"status": "BANNED"},
        {"search": "warehouse"},
        {"kind": "IDENTIFIER"},
    ):
        assert every_page(full, scope, **filters) == every_page(own, scope, **filters), filters
    one = "query($id: ID!) { entity(id: $id) { %s } }" % ENTITY_FIELDS
    for entity_id in sorted(sample)[::17] + sorted(hidden)[:25]:
        assert gql(full, scope, one, {"id": entity_id}) == gql(own, scope, one, {"id": entity_id})
