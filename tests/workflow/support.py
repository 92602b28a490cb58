"""The served schema run in-process, and a small marketplace scenario."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from graph_api.access import Scope
from graph_api.api.context import Context
from graph_api.api.schema import build_schema
from graph_api.services import Services
from tests.conftest import FixedClock
from tests.support import gql

__all__ = ["SCHEMA", "codes", "context", "gql", "ok", "role"]

SCHEMA = build_schema()  # subscriptions run on strawberry, as on the server's WebSocket

NOTICE_FIELDS = """id status filedAt refuteBy decidedAt grounds refutation marking reason
  brand { id } listings { id status }
  penalties { kind subject { id } appliedAt until liftedAt }"""


def context(services: Services, scope: Scope | None) -> Context:
    ctx = Context(services=services)
    ctx._scope = scope
    return ctx


def ok(answer: dict[str, Any]) -> Any:
    assert "errors" not in answer, answer
    return answer["data"]


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in answer.get("errors", [])]


def role(services: Services, org_id: str, role_name: str) -> Scope:
    org = services.store.org(org_id)
    assert org is not None
    principal, _ = services.issue_token(org, role_name)
    return services.scope_for(principal)


def marketplace(services: Services, scopes: dict[str, Scope]) -> None:
    """The platform's own data (GREEN): two sellers, their storefronts and listings."""
    entities: list[dict[str, Any]] = [
        {"id": "seller-1", "kind": "SELLER", "name": "Shoe King", "status": "ACTIVE"},
        {"id": "seller-2", "kind": "SELLER", "name": "Bag Queen", "status": "ACTIVE"},
        {"id": "store-1", "kind": "STOREFRONT", "name": "Kicks4U", "status": "OPEN"},
        {"id": "store-2", "kind": "STOREFRONT", "name": "Kicks Outlet", "status": "OPEN"},
        {"id": "store-3", "kind": "STOREFRONT", "name": "Bags", "status": "OPEN"},
        {"id": "brand-acme", "kind": "BRAND", "name": "Acme"},
    ]
    relations: list[dict[str, Any]] = [
        {"kind": "OPERATES", "from": "seller-1", "to": "store-1"},
        {"kind": "OPERATES", "from": "seller-1", "to": "store-2"},
        {"kind": "OPERATES", "from": "seller-2", "to": "store-3"},
    ]
    for i in range(1, 6):
        entities.append({"id": f"listing-{i}", "kind": "LISTING", "status": "LIVE"})
        relations.append({"kind": "LISTS", "from": "store-1", "to": f"listing-{i}"})
        relations.append({"kind": "INFRINGES", "from": f"listing-{i}", "to": "brand-acme"})
    entities.append({"id": "listing-9", "kind": "LISTING", "status": "LIVE"})
    relations.append({"kind": "LISTS", "from": "store-3", "to": "listing-9"})
    services.submit_report(scopes["bazaar"], {
        "reportId": "plat-market", "source": "PLATFORM_DATA", "confidence": 0.9,
        "marking": "GREEN", "entities": entities, "relations": relations,
    })


def later(clock: Any, **delta: float) -> None:
    assert isinstance(clock, FixedClock)
    clock.now = clock.now + timedelta(**delta)
