"""One demo network in both stores: every org gets the same answer from each."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from graph_api.keyfiles import database_folder
from graph_api.store.base import EntityFilter
from tests.api.test_analytics_api import (
    ANALYTICS,
    DEMO,
    DEMO_ORGS,
    demo_store,
    ids_of,
    scope_of,
)
from tests.api.test_view_equivalence import every_page
from tests.conftest import NEO4J_URI, MakeServices
from tests.support import gql

pytestmark = pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")


def test_embedded_and_neo4j_answer_alike(make_services: MakeServices, tmp_path: Path) -> None:
    memory = demo_store(make_services, "memory", DEMO, tmp_path / "memory", "memory")
    keys = database_folder(tmp_path / "neo4j" / "graph.db")
    keys.mkdir(parents=True)
    shutil.copy(memory.settings.secrets_dir / "pseudonym.key", keys)
    neo4j = demo_store(make_services, "neo4j", DEMO, tmp_path / "neo4j", "neo4j", key_from=memory)
    for org in ("stridewell", "maison-verel", "bazaarhub", "ipcu"):
        a, b = scope_of(memory, org), scope_of(neo4j, org)
        assert every_page(memory, a) == every_page(neo4j, b), org
        for origin in ids_of("LISTING")[::4]:
            variables = {"id": origin, "to": ids_of("SELLER")[0], "brand": ids_of("BRAND")[0]}
            assert gql(memory, a, ANALYTICS, variables) == gql(neo4j, b, ANALYTICS, variables)


def _records(services: Any, scope: Any) -> dict[str, Any]:
    """Every store record one caller can reach, facts without store-internal class ids."""
    store = services.store

    def facts(items: Any) -> list[tuple[Any, ...]]:
        return [(f[0], *f[2:]) for f in items]

    entities, after = [], None
    while True:
        page = store.find_entities(scope, EntityFilter(), 50, after, True)
        entities += page.items
        if not page.has_next:
            break
        after = page.cursors[-1]
    out: dict[str, Any] = {"total": page.total, "entities": [
        (e.id, e.kind, e.name, e.region, e.status, e.properties, e.confidence, facts(e.facts),
         e.identifier_kind, e.value) for e in entities]}
    out["relations"] = {}
    for e in entities:
        rels = store.relations_of(scope, e.id, "BOTH", None, 1000, None, True)
        out["relations"][e.id] = (rels.total, [
            (r.id, r.confidence, facts(r.facts), c)
            for r, c in zip(rels.items, rels.cursors, strict=True)
        ])
    keys = sorted({f[0] for e in entities for f in e.facts})
    out["envelopes"] = store.envelopes(keys)
    view = store.view(scope)
    out["view"] = (
        sorted((n, d["kind"], d["name"], d["region"], d["status"], d["confidence"],
                facts(d["facts"])) for n, d in view.nodes(data=True)),
        sorted((u, v, k, d["confidence"], facts(d["facts"]))
               for u, v, k, d in view.edges(keys=True, data=True)),
    )
    return out


def test_every_store_record_alike_for_every_demo_org(
    make_services: MakeServices, tmp_path: Path
) -> None:
    memory = demo_store(make_services, "memory", DEMO, tmp_path / "memory", "memory")
    neo4j = demo_store(make_services, "neo4j", DEMO, tmp_path / "neo4j", "neo4j", key_from=memory)
    for org in DEMO_ORGS:
        a, b = scope_of(memory, org["id"]), scope_of(neo4j, org["id"])
        assert _records(memory, a) == _records(neo4j, b), org["id"]
