"""A Neo4j database written before entity summaries (every entity fact an ``EFact``
node) is migrated at start and then answers exactly as the embedded store does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_api.keyfiles import database_folder
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.store.neo4j.cypher import query
from graph_api.store.neo4j.migrate import migrate
from graph_api.store.neo4j.rows import batch_rows, chunks, relation_chunks
from graph_api.store.neo4j.store import Neo4jStore
from graph_api.store.neo4j.summaries import CONFS
from graph_api.workflow import start_workflow
from tests.api.test_analytics_api import DEMO, DEMO_ORGS, scope_of
from tests.conformance.test_cross_store import _records
from tests.conformance.test_hubs_on_both import batch, loaded
from tests.conftest import NEO4J_URI, MakeServices

pytestmark = pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")


def write_old_layout(services: Services, lines: list[dict[str, Any]]) -> None:
    """The writer before summaries: report heads, entities, one EFact per entity fact."""
    store = services.store
    assert isinstance(store, Neo4jStore)
    operator = services.operator_scope(services.find_org("bazaarhub"))
    reports = [services.parse(services.reporter_scope(operator, raw, True), raw)
               for raw in lines]
    rows = batch_rows(reports, 1)
    with store.driver.session(database=store.database) as session:
        session.run("MATCH (m:Meta {key: 'layout'}) DELETE m").consume()
        session.run(query("next_counter"), key="seq", by=len(reports),
                    epoch="old").consume()
        for name, key, items in (("create_reports", "rows", rows.heads),
                                 ("merge_entities", "ids", rows.ids),
                                 ("create_entity_facts", "rows", rows.entities)):
            for part in chunks(items, 500):
                session.run(query(name), {key: part}).consume()
        for ends, part in relation_chunks(rows.relations, 500):
            session.run(query("create_relation_facts"), ends=ends, rows=part).consume()


def test_an_old_database_is_migrated_and_answers_alike(
    make_services: MakeServices, tmp_path: Path
) -> None:
    lines = DEMO + batch(0, 100 + CONFS)
    memory = loaded(make_services, "memory", tmp_path, None, [(lines, 10_000)])
    keys = database_folder(tmp_path / "old" / "graph.db")
    keys.mkdir(parents=True)
    (keys / "pseudonym.key").write_bytes(
        (memory.settings.secrets_dir / "pseudonym.key").read_bytes())
    old = make_services("neo4j", name="old")
    for org in DEMO_ORGS:
        old.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
    write_old_layout(old, lines)
    migrated = start_workflow(  # a replica starting: migrates
        Services.open(old.settings, clock=old.clock))
    try:
        store = migrated.store
        assert isinstance(store, Neo4jStore)
        assert migrate(store) == 0  # marked done: the next replica does nothing
        for org in DEMO_ORGS:
            a, b = scope_of(memory, org["id"]), scope_of(migrated, org["id"])
            assert _records(memory, a) == _records(migrated, b), org["id"]
        assert store._read("read_counter", key="seq")[0]["value"] == len(lines)
    finally:
        migrated.close()
