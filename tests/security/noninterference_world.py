"""The two worlds of the non-interference test, and what the orgs do in them.

World A receives every operation; world B only those the observing org C may
see (DESIGN.md "Derived facts: nothing computed may widen an audience"). Both
start from one small marketplace (the platform's GREEN data, which every org
reads) and share the orgs and principals of ``tests/security/support.py``, the
pseudonym and signing keys, and an injected clock moved in step. ``uuid.uuid4``
is the per-phase ``Ids`` of the twin-store leak tests, so an operation run in
both worlds in the same phase makes the same ids there.

Every operation goes through the GraphQL runner as its principal (so it is
audited as on the server), except the deadline sweep, which the server runs on
its own (``graph_api.workflow.sweep`` with the clock's time).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graph_api.access import VisibilityClass, may_see
from graph_api.config import Settings
from graph_api.export.keys import load_or_create_signing_key
from graph_api.keyfiles import SECRET_FILES, database_folder
from graph_api.model import Marking, Principal
from graph_api.services import Services, hash_token
from graph_api.workflow import start_workflow
from tests.conftest import FixedClock, neo4j_settings
from tests.security.support import ORGS, Ids, Scopes, make_scopes, token_of
from tests.security.world import phone_id
from tests.support import gql

__all__ = [
    "BASE_LISTINGS",
    "REGISTER_RIGHT",
    "VERIFY_RIGHT",
    "BRANDS",
    "KINDS",
    "OBSERVERS",
    "PHONES",
    "POOL_RELATIONS",
    "World",
    "open_world",
    "right_input",
    "sees",
]

BRANDS = ("acme", "rival", "trusty")
OBSERVERS = ("acme", "rival", "trusty", "police")  # C: every brand and the regulator
REPORTERS = ("acme", "rival", "trusty", "bazaar", "police")
ORG_TYPES = {org_id: org_type for org_id, _, org_type, _ in ORGS}
# Beyond support.ROLES: an admin for every brand, so C's auditLog is always asked.
EXTRA_ROLES = (("rival", "admin"), ("trusty", "admin"))

# Every entity the orgs talk about, by id and kind. Identifiers are report handles
# (``p1``); the store keeps them under their pseudonym (``World.entity_id``).
KINDS: dict[str, str] = {
    "s1": "SELLER", "s2": "SELLER", "s3": "SELLER", "s4": "SELLER",
    "f1": "STOREFRONT", "f2": "STOREFRONT", "f3": "STOREFRONT", "f4": "STOREFRONT",
    "f5": "STOREFRONT",
    "l1": "LISTING", "l2": "LISTING", "l3": "LISTING", "l4": "LISTING", "l5": "LISTING",
    "l6": "LISTING", "l7": "LISTING",
    "w1": "WAREHOUSE", "w2": "WAREHOUSE", "w3": "WAREHOUSE", "x1": "FACTORY", "x2": "FACTORY",
    "b-acme": "BRAND", "b-rival": "BRAND", "b-trusty": "BRAND",
    "r1": "RING", "p1": "IDENTIFIER", "p2": "IDENTIFIER",
}
PHONES = {"p1": "+86 138 0000 1111", "p2": "+86 139 2222 3333"}

# The marketplace every org sees (the platform's GREEN data): three sellers, four
# storefronts, six listings of the three brands, a supply chain, a ring, a phone.
BASE_ENTITIES: list[dict[str, Any]] = [
    {"id": "s1", "kind": "SELLER", "name": "Shoe King", "status": "ACTIVE"},
    {"id": "s2", "kind": "SELLER", "name": "Bag Queen", "status": "ACTIVE"},
    {"id": "s3", "kind": "SELLER", "name": "Watch Co", "status": "ACTIVE"},
    {"id": "f1", "kind": "STOREFRONT", "name": "Kicks4U", "status": "OPEN"},
    {"id": "f2", "kind": "STOREFRONT", "name": "Kicks Outlet", "status": "OPEN"},
    {"id": "f3", "kind": "STOREFRONT", "name": "Bags", "status": "OPEN"},
    {"id": "f4", "kind": "STOREFRONT", "name": "Ticks", "status": "OPEN"},
    *({"id": f"l{i}", "kind": "LISTING", "status": "LIVE"} for i in range(1, 7)),
    {"id": "w1", "kind": "WAREHOUSE", "name": "Putian 3", "region": "Pearl River Delta"},
    {"id": "w2", "kind": "WAREHOUSE", "name": "Jinjiang", "region": "Fujian"},
    {"id": "x1", "kind": "FACTORY", "name": "Sole Works", "region": "Yangtze River Delta"},
    {"id": "b-acme", "kind": "BRAND", "name": "Acme"},
    {"id": "b-rival", "kind": "BRAND", "name": "Rival"},
    {"id": "b-trusty", "kind": "BRAND", "name": "Trusty"},
    {"id": "r1", "kind": "RING", "name": "Putian ring"},
    {"id": "p1", "kind": "IDENTIFIER", "identifierKind": "PHONE", "value": PHONES["p1"]},
]
BASE_RELATIONS: list[tuple[str, str, str]] = [
    ("OPERATES", "s1", "f1"), ("OPERATES", "s1", "f2"), ("OPERATES", "s2", "f3"),
    ("OPERATES", "s3", "f4"),
    ("LISTS", "f1", "l1"), ("LISTS", "f1", "l2"), ("LISTS", "f2", "l3"), ("LISTS", "f3", "l4"),
    ("LISTS", "f3", "l5"), ("LISTS", "f4", "l6"),
    ("INFRINGES", "l1", "b-acme"), ("INFRINGES", "l3", "b-acme"), ("INFRINGES", "l4", "b-acme"),
    ("INFRINGES", "l2", "b-rival"), ("INFRINGES", "l5", "b-rival"),
    ("INFRINGES", "l6", "b-trusty"),
    ("SHIPS_FROM", "l1", "w1"), ("SUPPLIED_BY", "w1", "x1"), ("MEMBER_OF", "s1", "r1"),
    ("USES", "s1", "p1"),
]
BASE_LISTINGS = ("l1", "l2", "l3", "l4", "l5", "l6")

# What reports may state beyond the marketplace: a second storefront of a seller, a
# newcomer (s4, f5, l7) sharing a phone with a seller, supply chains, ring members.
POOL_RELATIONS: list[tuple[str, str, str]] = [
    ("OPERATES", "s2", "f2"), ("OPERATES", "s3", "f3"), ("OPERATES", "s4", "f5"),
    ("OPERATES", "s1", "f4"),
    ("LISTS", "f2", "l5"), ("LISTS", "f5", "l7"), ("LISTS", "f4", "l2"),
    ("INFRINGES", "l7", "b-acme"), ("INFRINGES", "l2", "b-acme"),
    ("SHIPS_FROM", "l3", "w2"), ("SHIPS_FROM", "l4", "w2"), ("SHIPS_FROM", "l7", "w3"),
    ("SUPPLIED_BY", "w2", "x1"), ("SUPPLIED_BY", "w3", "x2"), ("SUPPLIED_BY", "w2", "w1"),
    ("USES", "s4", "p1"), ("USES", "s3", "p1"), ("USES", "s2", "p2"), ("USES", "f5", "p2"),
    ("MEMBER_OF", "s2", "r1"), ("MEMBER_OF", "s4", "r1"), ("ASSOCIATED_WITH", "s4", "s1"),
]


def sees(observer: str, owner: str, marking: str, shared: Iterable[str] = ()) -> bool:
    """Whether ``observer`` may read what ``owner`` made under ``marking`` (DESIGN's table)."""
    vc = VisibilityClass(owner, Marking(marking), frozenset(shared) - {owner})
    return may_see(vc, observer, ORG_TYPES[observer])


def entity_input(entity_id: str, **attrs: Any) -> dict[str, Any]:
    """An ``EntityInput`` of the pool: its fixed kind (an identifier with its value)."""
    kind = KINDS[entity_id]
    out: dict[str, Any] = {"id": entity_id, "kind": kind}
    if kind == "IDENTIFIER":
        out.update(identifierKind="PHONE", value=PHONES[entity_id])
    else:
        out.update({k: v for k, v in attrs.items() if v is not None})
    return out


def base_report() -> dict[str, Any]:
    return {
        "reportId": "marketplace", "source": "PLATFORM_DATA", "confidence": 0.9,
        "marking": "GREEN", "entities": BASE_ENTITIES,
        "relations": [{"kind": k, "from": a, "to": b} for k, a, b in BASE_RELATIONS],
    }


@dataclass
class World:
    """One service of the pair, asked as the orgs' principals (scope names as in
    ``support.make_scopes``: "org" is the investigator, "org:role" any other)."""

    label: str
    services: Services
    clock: FixedClock
    scopes: Scopes
    ids: Ids
    opened: list[Any] = field(default_factory=list)  # subscribers, closed with the world
    rights: dict[str, str] = field(default_factory=dict)  # each brand's verified right

    def ask(self, phase: str, who: str, query: str,
            variables: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.ids.at(self.label, phase):
            return gql(self.services, self.scopes[who], query, variables)

    def entity_id(self, symbol: str) -> str:
        """The stored id of a pool entity (an identifier's pseudonym)."""
        if symbol in PHONES:
            return phone_id(self.services, PHONES[symbol])
        return symbol

    def close(self) -> None:
        for item in reversed(self.opened):
            item.close()
        self.opened.clear()
        self.services.close()


def settings_for(folder: Path, store: str, database: str | None) -> Settings:
    """The world's settings: no publication policy, so the platform's own acts reach
    C only as the explicit ``publish`` operations applied to both worlds (by policy,
    a hidden notice's delisting would be published to all: the one intended widening).
    Notices must cite a verified right (the default policy)."""
    if store == "neo4j":
        settings = neo4j_settings(folder)
        if database is not None:
            settings = replace(settings, neo4j_database=database)
    else:
        settings = Settings(db=folder / "graph.db")
    return replace(settings, publish=frozenset(), notice_rights="required")


def _copy_keys(source: Path, target: Path) -> None:
    """Every secret of A's database (pseudonym, signing and audit keys, in its own
    folder), not the database: both worlds pseudonymise, sign and digest alike."""
    keys, copies = database_folder(source / "graph.db"), database_folder(target / "graph.db")
    copies.mkdir(parents=True, exist_ok=True)
    for name in SECRET_FILES:
        if (keys / name).is_file():
            shutil.copy(keys / name, copies / name)


def _add_principals(services: Services, scopes: Scopes) -> None:
    for org_id, role in EXTRA_ROLES:
        org = services.store.org(org_id)
        assert org is not None
        principal = Principal(f"p-{org_id}-{role}", org, role)
        services.store.add_principal(principal, hash_token(token_of(org_id, role)))
        scopes[f"{org_id}:{role}"] = services.scope_for(principal)


def open_world(label: str, folder: Path, ids: Ids, store: str = "memory",
               database: str | None = None, keys_from: Path | None = None) -> World:
    """A world with the fixed orgs and principals and the marketplace (phase "shared")."""
    if keys_from is not None:
        _copy_keys(keys_from, folder)
    folder.mkdir(parents=True, exist_ok=True)
    clock = FixedClock()
    services = start_workflow(Services.open(settings_for(folder, store, database), clock=clock))
    if store == "neo4j":
        services.store.reset()  # type: ignore[attr-defined]  # every example starts empty
    load_or_create_signing_key(services.settings.secrets_dir)
    with ids.at(label, "shared"):
        scopes = make_scopes(services)
        _add_principals(services, scopes)
        result = services.submit_report(scopes["bazaar"], base_report())
    assert result.created
    world = World(label, services, clock, scopes, ids)
    for brand in BRANDS:  # each brand's trademark, verified: its notices cite it
        answer = world.ask("shared", brand, REGISTER_RIGHT, {"i": right_input(brand)})
        assert "errors" not in answer, answer
        right = answer["data"]["registerRight"]["id"]
        answer = world.ask("shared", "bazaar:reviewer", VERIFY_RIGHT,
                           {"id": right, "ok": True})
        assert answer["data"]["verifyRight"]["status"] == "VERIFIED", answer
        world.rights[brand] = right
    return world


REGISTER_RIGHT = """mutation Register($i: RightInput!) { registerRight(input: $i) {
  id status holder { id } } }"""
VERIFY_RIGHT = """mutation Verify($id: ID!, $ok: Boolean!) {
  verifyRight(id: $id, verified: $ok, reason: "registry checked") { id status } }"""


def right_input(holder: str, shared: list[str] | None = None) -> dict[str, Any]:
    return {"kind": "TRADEMARK", "registration": f"EU-{holder}", "jurisdiction": "EU",
            "goodsClasses": ["25"], "sharedWith": shared or [],
            "evidence": [{"kind": "certificate", "sha256": "d" * 64}]}
