"""Hubs — entities stated far more often than a summary keeps inline — on both stores.

The Neo4j store keeps an entity's facts per visibility class in a summary and
moves the facts of a class stated more than ``INLINE`` times to nodes of their
own; reads merge summaries instead of facts. Every record must still be the
embedded store's, to the last bit of every confidence: a hub seen through one
class, through several (products of misses below 2**-60 and above it), with
properties, names and statuses set by different classes, an identifier stated
by many orgs, crossing the inline limit inside one import batch and across
batches, and traced through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_api.bulk import import_ndjson
from graph_api.keyfiles import database_folder
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.store.neo4j.summaries import CONFS, INLINE
from tests.api.test_analytics_api import DEMO_ORGS, scope_of
from tests.conformance.test_cross_store import _records
from tests.conftest import NEO4J_URI, MakeServices
from tests.support import gql, write_lines

pytestmark = pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")

ENTITY = """query($id: ID!) { entity(id: $id) { id kind name region status confidence
  properties value identifierKind
  assertions { reportId reportedBy { id } marking confidence source }
  relations(first: 50) { totalCount edges { node { id kind confidence
      to { id kind name confidence properties } from { id confidence } } } } } }"""
TRACE = """query($id: ID!) { traceToSource(from: $id) { origin { id confidence }
  sources { entity { id kind name confidence } score depth
      paths { confidence nodes { id name confidence } } } } }"""


def line(rid: str, org: str, marking: str, confidence: float,
         entities: list[dict[str, Any]], relations: list[dict[str, Any]] = (),
         shared: list[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"reportId": rid, "reportedBy": org, "source": "OSINT",
                           "confidence": confidence, "marking": marking,
                           "entities": entities, "relations": list(relations)}
    if shared:
        out["sharedWith"] = list(shared)
    return out


def batch(part: int, reports: int) -> list[dict[str, Any]]:
    """Listings naming one brand, one warehouse and one bank account over and over, from
    classes of every marking; confidences high (misses vanish) and low (they do not)."""
    out = []
    for i in range(reports):
        n = f"{part}-{i:03d}"
        org, marking, conf, shared = [
            ("stridewell", "GREEN", 0.05, []),
            ("maison-verel", "RED", 0.02, ["voltra"]),
            ("bazaarhub", "AMBER", 0.9, []),
            ("maison-verel", "AMBER_STRICT", 0.03, []),
            ("voltra", "RED", 0.01, []),
        ][i % 5 if i < 100 else 4]
        brand: dict[str, Any] = {"id": "brand-hub", "kind": "BRAND"}
        if i % 7 == 0:
            brand["name"] = f"Hub {n}"
        if i % 3 == 0:
            brand["properties"] = {f"k{i % 4}": n, "seen": i, **({"z": part} if i % 2 else {})}
        if i % 11 == 0:
            brand["region"] = f"R{i % 3}"
        if i % 22 == 11:
            brand["status"] = "ACTIVE"
        warehouse = {"id": "wh-hub", "kind": "WAREHOUSE", "region": f"W{i % 2}",
                     "properties": {"dock": i}}
        account = {"id": "acct", "kind": "IDENTIFIER", "identifierKind": "BANK_ACCOUNT",
                   "value": "DE44 5001 0517 5407 3249 31"}
        factory = [{"id": "factory-hub", "kind": "FACTORY", "name": f"F{n}"}] if org == (
            "stridewell") else []
        supply = [{"kind": "SUPPLIED_BY", "from": "wh-hub", "to": "factory-hub",
                   "confidence": 0.6}] if factory else []
        out.append(line(f"hub-{n}", org, marking, conf, [
            {"id": f"listing-{n}", "kind": "LISTING", "status": "LIVE"},
            {"id": f"store-{part}-{i % 4}", "kind": "STOREFRONT", "name": f"S{i % 4}"},
            brand, {"id": f"brand-{part}", "kind": "BRAND"}, warehouse, account, *factory,
        ], [*supply,
            {"kind": "INFRINGES", "from": f"listing-{n}", "to": "brand-hub", "confidence": conf},
            {"kind": "LISTS", "from": f"store-{part}-{i % 4}", "to": f"listing-{n}"},
            {"kind": "SHIPS_FROM", "from": f"listing-{n}", "to": "wh-hub", "confidence": 0.7},
            {"kind": "USES", "from": f"store-{part}-{i % 4}", "to": "acct"},
        ], shared))
    return out


# Crossing the inline limit batch by batch, then (brand-1) inside one batch, then a few
# more; voltra's RED class of the brand grows past CONFS with low confidences.
PARTS = [(batch(0, 100 + CONFS), 40), (batch(1, 10 * INLINE), 10_000), (batch(2, 3), 10_000)]


def loaded(make_services: MakeServices, kind: str, tmp_path: Path, key: Services | None,
           parts: list[tuple[list[dict[str, Any]], int]] = PARTS) -> Services:
    """A store of ``kind`` with the demo orgs and ``parts`` imported (lines, batch rows)."""
    folder = tmp_path / kind
    folder.mkdir()
    if key is not None:
        keys = database_folder(folder / "graph.db")
        keys.mkdir()
        (keys / "pseudonym.key").write_bytes((key.settings.secrets_dir / "pseudonym.key")
                                             .read_bytes())
    services = make_services(kind, name=kind)
    for org in DEMO_ORGS:
        services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
    operator = services.operator_scope(services.find_org("bazaarhub"))
    for part, (lines, rows) in enumerate(parts):
        path = write_lines(folder / f"part{part}.ndjson", lines)
        summary = import_ndjson(services, operator, path, operator=True, progress=False,
                                batch_rows=rows)
        assert summary.failed == 0, summary.errors[:3]
    return services


def test_hub_records_alike_for_every_demo_org(make_services: MakeServices, tmp_path: Path
                                              ) -> None:
    memory = loaded(make_services, "memory", tmp_path, None)
    neo4j = loaded(make_services, "neo4j", tmp_path, memory)
    confidences = set()
    for org in DEMO_ORGS:
        a, b = scope_of(memory, org["id"]), scope_of(neo4j, org["id"])
        assert _records(memory, a) == _records(neo4j, b), org["id"]
        for eid in ("brand-hub", "brand-1", "wh-hub", "factory-hub", "acct", "store-0-1",
                    "listing-1-000", "listing-0-004"):
            answer = gql(memory, a, ENTITY, {"id": eid})
            assert answer == gql(neo4j, b, ENTITY, {"id": eid}), (org["id"], eid)
            entity = answer["data"]["entity"]
            if entity is not None:
                confidences.add(entity["confidence"])
        for origin in ("listing-0-000", "listing-1-003", "listing-2-002", "store-0-1"):
            assert gql(memory, a, TRACE, {"id": origin}) == gql(neo4j, b, TRACE, {"id": origin})
    assert 1.0 in confidences and any(0.5 < c < 1.0 for c in confidences)


def test_the_hub_paths_are_taken(make_services: MakeServices, tmp_path: Path) -> None:
    """The cases above reach every branch of the summary merge (guards the fixture)."""
    from graph_api.store.neo4j.store import Neo4jStore
    from graph_api.store.neo4j.summaries import LazyFacts

    neo4j = loaded(make_services, "neo4j", tmp_path, None)
    store = neo4j.store
    assert isinstance(store, Neo4jStore)
    seen = {}
    for org in ("stridewell", "maison-verel", "bazaarhub", "voltra"):
        data = store.summaries(scope_of(neo4j, org), ["brand-hub", "factory-hub"])
        seen[org] = data
        assert isinstance(data["brand-hub"]["facts"], LazyFacts)
    assert isinstance(seen["stridewell"]["factory-hub"]["facts"], LazyFacts)  # one class
    assert seen["bazaarhub"]["brand-hub"]["confidence"] == 1.0  # misses below 2**-60
    assert 0.5 < seen["maison-verel"]["brand-hub"]["confidence"] < 1.0  # pairs multiplied
    assert 0.5 < seen["voltra"]["brand-hub"]["confidence"] < 1.0  # past CONFS: facts fetched
    lazy = seen["voltra"]["brand-hub"]["facts"]
    assert len(lazy) == len(list(lazy)) > INLINE
