"""A Neo4j database written before views as of a time (no ``at`` on reports, facts,
summaries, the change log or classes) is given its times at start, and then answers
every read as of any time as it did when written with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.store.base import EntityFilter
from graph_api.store.neo4j.store import Neo4jStore
from graph_api.store.neo4j.summaries import INLINE
from graph_api.workflow import start_workflow
from tests.conftest import NEO4J_URI, FixedClock, MakeServices, neo4j_settings

pytestmark = pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
IDS = ["hub", "wh-1", "l-0", "l-1", "l-5", "l-9"]


def answers(services: Services, cuts: list[datetime]) -> list[Any]:
    out: list[Any] = []
    for org in ("acme", "rival", "bazaar"):
        principal, _ = services.issue_token(services.find_org(org), "investigator")
        for cut in cuts:
            scope = services.scope_for(principal).at(cut)
            seen = services.store.entities_by_id(scope, IDS)
            out.append(sorted((r.id, r.name, r.status, r.confidence, len(r.facts))
                              for r in seen.values()))
            page = services.store.relations_of(scope, "hub", "BOTH", None, 100, None, True)
            out.append([(r.id, r.confidence, len(r.facts)) for r in page.items])
            out.append(services.store.find_entities(scope, EntityFilter(), 100, None,
                                                    True).total)
    return out


def test_times_are_given_at_start_and_past_views_answer_alike(
    make_services: MakeServices, tmp_path: Path
) -> None:
    clock = FixedClock(T0)
    services = make_services("neo4j", clock=clock, name="db")
    for org, kind in (("acme", OrgType.BRAND), ("rival", OrgType.BRAND),
                      ("bazaar", OrgType.PLATFORM)):
        services.add_org(org.title(), kind, False, org)
    acme = services.operator_scope(services.find_org("acme"))
    rival = services.operator_scope(services.find_org("rival"))
    for n in range(INLINE + 8):  # acme's GREEN class passes INLINE: its facts become EFacts
        clock.now = T0 + timedelta(minutes=n)
        scope = rival if n in (2, 7) else acme
        services.submit_report(scope, {
            "reportId": f"r{n}", "source": "OSINT", "confidence": 0.3,
            "marking": "AMBER" if n % 4 == 1 else "GREEN",
            "entities": [{"id": "hub", "kind": "WAREHOUSE", "name": f"hub {n}"},
                         {"id": f"l-{n}", "kind": "LISTING", "status": "LIVE"},
                         {"id": "wh-1", "kind": "WAREHOUSE", "region": f"r{n % 4}"}],
            "relations": [{"kind": "SHIPS_FROM", "from": f"l-{n}", "to": "hub"}],
        })
    cuts = [T0 - timedelta(seconds=1), T0, T0 + timedelta(minutes=4, seconds=30),
            T0 + timedelta(minutes=INLINE + 3), T0 + timedelta(days=1)]
    before = answers(services, cuts)
    store = services.store
    assert isinstance(store, Neo4jStore)
    assert store._read("read_entity_facts", ids=["hub"], **store._who(acme))  # a hub: EFacts
    with store.driver.session(database=store.database) as session:
        session.run("MATCH ()-[x:REL]->() REMOVE x.at").consume()
        session.run("MATCH (m:Meta {key: 'as_of_layout'}) DELETE m").consume()
        for label in ("Report", "EFact", "ESum", "ReportLog", "VClass"):
            session.run(f"MATCH (n:{label}) REMOVE n.at").consume()
            left = session.run(f"MATCH (n:{label}) WHERE n.at IS NOT NULL RETURN count(n) AS n"
                               ).single()
            assert left is not None and left["n"] == 0, label
    assert answers(services, cuts) != before  # without their times, the past is not seen
    reopened = start_workflow(Services.open(neo4j_settings(tmp_path / "db"), clock=clock))
    try:
        assert answers(reopened, cuts) == before
    finally:
        reopened.close()
