"""The TAXII tests' world: two competing brands, the platform and a regulator.

- the platform's GREEN marketplace: seller-1 OPERATES store-1 LISTS listing-1, brand-acme;
- Acme's AMBER supply chain: listing-1 SHIPS_FROM wh-1, and a phone seller-1 USES;
- the police's AMBER raid shared with Acme: wh-1 SUPPLIED_BY fac-1;
- Rival's RED secret: seller-9 ASSOCIATED_WITH seller-1, and a RED name for seller-1;
- a police case (AMBER, shared with Acme) over listing-1.

What each caller may read is spelled out in ``EXPECTED`` (graph_api ids of entities
and relations), so a test can compare a pull with it exactly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from graph_api.access import Scope
from graph_api.config import Settings
from graph_api.export.stix_mapping import PROPERTIES_EXTENSION_ID
from graph_api.model import (
    IdentifierKind,
    Org,
    OrgType,
    Principal,
    normalise_identifier,
    pseudonym,
    relation_id,
)
from graph_api.services import Services, hash_token
from graph_api.workflow import cases, start_workflow
from tests.conftest import NEO4J_URI, FixedClock, neo4j_settings

ORGS = (("acme", OrgType.BRAND), ("rival", OrgType.BRAND), ("bazaar", OrgType.PLATFORM),
        ("police", OrgType.REGULATOR))
ROLES = {"acme": "analyst", "rival": "analyst", "bazaar": "investigator", "police": "liaison"}
PHONE = "+86 138 0000 1111"


def token(org: str) -> str:
    return f"gapi_taxii_{org}"


def settings_for(kind: str, folder: Path) -> Settings:
    if kind == "neo4j":
        return neo4j_settings(folder)
    return Settings(db=folder / "graph.db", publish=frozenset())


def open_world(kind: str, folder: Path) -> tuple[Services, dict[str, Scope]]:
    """A fresh store of ``kind`` in ``folder`` with the world's orgs and tokens."""
    folder.mkdir(parents=True, exist_ok=True)
    services = start_workflow(Services.open(settings_for(kind, folder), clock=FixedClock()))
    if kind == "neo4j":
        services.store.reset()  # type: ignore[attr-defined]
    scopes = {}
    for org_id, org_type in ORGS:
        org = services.add_org(org_id.title(), org_type, False, org_id)
        principal = _principal(services, org, ROLES[org_id])
        scopes[org_id] = services.scope_for(principal)
    return services, scopes


def _principal(services: Services, org: Org, role: str) -> Principal:
    principal = Principal(f"p-{org.id}", org, role)
    services.store.add_principal(principal, hash_token(token(org.id)))
    return principal


def report(services: Services, scope: Scope, rid: str, marking: str,
           entities: list[dict[str, Any]], relations: list[tuple[str, str, str]],
           shared: list[str] | None = None) -> None:
    raw: dict[str, Any] = {
        "reportId": rid, "source": "INVESTIGATION", "confidence": 0.8, "marking": marking,
        "entities": entities,
        "relations": [{"kind": k, "from": s, "to": t} for s, k, t in relations],
    }
    if shared:
        raw["sharedWith"] = shared
    assert services.submit_report(scope, raw).created


def build(services: Services, s: dict[str, Scope]) -> str:
    """The world; returns the police case's id. (Reports by each org's operator.)"""
    case_opener = s["police"]
    s = {org: services.operator_scope(services.find_org(org)) for org in s}
    report(services, s["bazaar"], "market", "GREEN", [
        {"id": "seller-1", "kind": "SELLER", "name": "Golden Shoes"},
        {"id": "store-1", "kind": "STOREFRONT", "name": "gs-outlet"},
        {"id": "listing-1", "kind": "LISTING", "name": "Air 90"},
        {"id": "brand-acme", "kind": "BRAND", "name": "Acme"},
    ], [("seller-1", "OPERATES", "store-1"), ("store-1", "LISTS", "listing-1"),
        ("listing-1", "INFRINGES", "brand-acme")])
    services.clock.now = services.clock.now.replace(minute=5)  # type: ignore[attr-defined]
    report(services, s["acme"], "chain", "AMBER", [
        {"id": "wh-1", "kind": "WAREHOUSE", "name": "Putian 3", "region": "Fujian"},
        {"id": "p", "kind": "IDENTIFIER", "identifierKind": "PHONE", "value": PHONE},
    ], [("listing-1", "SHIPS_FROM", "wh-1"), ("seller-1", "USES", "p")])
    report(services, s["rival"], "secret", "RED", [
        {"id": "seller-9", "kind": "SELLER", "name": "Hidden Partner"},
        {"id": "seller-1", "kind": "SELLER", "name": "Rival's name for it"},
    ], [("seller-9", "ASSOCIATED_WITH", "seller-1")])
    services.clock.now = services.clock.now.replace(minute=10)  # type: ignore[attr-defined]
    report(services, s["police"], "raid", "AMBER", [
        {"id": "fac-1", "kind": "FACTORY", "name": "Sole Works"},
    ], [("wh-1", "SUPPLIED_BY", "fac-1")], shared=["acme"])
    case = cases.open_case(services, case_opener, "Putian ring", ["listing-1"], "AMBER",
                           ["acme"])
    return str(case["id"])


def phone_id(services: Services) -> str:
    kind = IdentifierKind.PHONE
    return pseudonym(services.secret, kind, normalise_identifier(kind, PHONE))


GREEN_ENTITIES = {"seller-1", "store-1", "listing-1", "brand-acme"}
GREEN_RELATIONS = {("seller-1", "OPERATES", "store-1"), ("store-1", "LISTS", "listing-1"),
                   ("listing-1", "INFRINGES", "brand-acme")}
ACME_CHAIN = {("listing-1", "SHIPS_FROM", "wh-1"), ("seller-1", "USES", "PHONE")}
RAID = {("wh-1", "SUPPLIED_BY", "fac-1")}
SECRET = {("seller-9", "ASSOCIATED_WITH", "seller-1")}


def expected(services: Services, org: str) -> tuple[set[str], set[str]]:
    """(entity ids, relation ids) the org may read."""
    phone = phone_id(services)
    entities = set(GREEN_ENTITIES)
    relations = set(GREEN_RELATIONS)
    if org in ("acme", "police", "bazaar"):  # AMBER: the platform and regulators too
        entities |= {"wh-1", "fac-1", phone}
        relations |= ACME_CHAIN | RAID
    if org == "rival":
        entities |= {"seller-9"}
        relations |= SECRET
    rel_ids = {relation_id(s, k, phone if t == "PHONE" else t) for s, k, t in relations}
    return entities, rel_ids


def graph_ids(objects: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(entity ids, relation ids) of pulled STIX objects, by their graph_api_id."""
    entities, relations = set(), set()
    for obj in objects:
        details = obj.get("extensions", {}).get(PROPERTIES_EXTENSION_ID, obj)
        gid = details.get("graph_api_id")
        if gid is None:
            continue
        if obj["type"] == "relationship":
            relations.add(gid)
        else:
            entities.add(gid)
    return entities, relations


def store_env(kind: str, folder: Path) -> tuple[list[str], dict[str, str]]:
    """The ``serve`` flags and environment of a real server over the world's store."""
    if kind == "memory":
        return [], {}
    settings = neo4j_settings(folder)
    return ["--store", "neo4j"], {
        "GRAPH_API_NEO4J_URI": NEO4J_URI or "", "GRAPH_API_NEO4J_USER": settings.neo4j_user,
        "GRAPH_API_NEO4J_PASSWORD": settings.neo4j_password,
        "GRAPH_API_NEO4J_DATABASE": settings.neo4j_database,
        "GRAPH_API_PUBLISH": "none", **{k: v for k, v in os.environ.items()
                                        if k == "GRAPH_API_RATE_PER_SECOND"},
    }
