"""Test buys: an investigator orders from a listing and records what arrived.

Every test buy is also an assertion on the listing (``properties.testBuy``),
so a notice's review sees a GENUINE result; a COUNTERFEIT parcel with a known
origin states ``(listing)-[SHIPS_FROM]->(warehouse)`` (source TEST_BUY). Both
carry the test buy's marking and evidence, reported by the buyer's org.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.errors import BadUserInput, NotFound
from graph_api.model import EntityKind, Marking
from graph_api.workflow.model import TestBuyResult, sees_record, time_key
from graph_api.workflow.runtime import Plan, effect, records_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["TEST_BUY", "list_test_buys", "record_test_buy"]

TEST_BUY = "testbuy"


def _terms(doc: Mapping[str, Any]) -> tuple[str, ...]:
    return ("all", f"listing:{doc['listing']}", f"org:{doc['org']}")


def record_test_buy(
    services: Services,
    scope: Scope,
    listing: str,
    result: str,
    ordered_at: datetime,
    shipped_from: str | None = None,
    evidence: Sequence[Mapping[str, Any]] | None = None,
    marking: str = "AMBER",
) -> dict[str, Any]:
    scope.require(Action.TEST_BUY)
    try:
        outcome = TestBuyResult(result)
    except ValueError:
        names = ", ".join(r.value for r in TestBuyResult)
        raise BadUserInput(f"result: {result!r} is not one of {names}", field="result") from None
    try:
        marking = Marking(marking).value
    except ValueError:
        raise BadUserInput(f"marking: {marking!r} is not a marking", field="marking") from None
    if ordered_at.tzinfo is None:
        raise BadUserInput("orderedAt needs a time zone", field="orderedAt")
    if ordered_at > services.clock():
        raise BadUserInput("orderedAt is in the future", field="orderedAt")
    items = [dict(e) for e in evidence or []]
    for i, item in enumerate(items):  # a test buy's evidence is the parcel: it must be hashed
        if not item.get("sha256"):
            raise BadUserInput(f"evidence[{i}].sha256 is required for a test buy",
                               field=f"evidence[{i}].sha256")
    ids = [listing] + ([shipped_from] if shipped_from else [])
    seen = services.store.entities_by_id(scope, ids)
    for field, eid, kind in (("listing", listing, EntityKind.LISTING),
                             ("shippedFrom", shipped_from, EntityKind.WAREHOUSE)):
        if eid is None:
            continue
        record = seen.get(eid)
        if record is None:
            raise NotFound(f"no entity {eid!r}", field=field)
        if record.kind is not kind:
            raise BadUserInput(f"{field}: {eid!r} is a {record.kind.value}, not {kind.value}",
                               field=field)
    buy_id = f"tb-{uuid.uuid4().hex[:20]}"
    entity: dict[str, Any] = {"id": listing, "kind": "LISTING",
                              "properties": {"testBuy": outcome.value, "testBuyId": buy_id}}
    relations = []
    if outcome is TestBuyResult.COUNTERFEIT and shipped_from:
        relations.append({"kind": "SHIPS_FROM", "from": listing, "to": shipped_from})
    raw = effect(f"testbuy-{buy_id}", "TEST_BUY", marking, [entity], relations,
                 evidence=items or None, confidence=0.95)
    report = services.parse(scope, raw)  # validates the evidence (SHA-256 format) first
    doc: dict[str, Any] = {
        "id": buy_id, "org": scope.org_id, "principal": scope.principal_id, "listing": listing,
        "result": outcome.value, "orderedAt": time_key(ordered_at), "shippedFrom": shipped_from,
        "marking": marking, "reportId": report.id,
        "evidence": [{"id": e.id, "kind": e.kind, "description": e.description,
                      "sha256": e.sha256, "uri": e.uri} for e in report.evidence],
        "recordedAt": time_key(services.clock()),
    }
    plan = Plan(services)
    plan.put(TEST_BUY, buy_id, doc, doc["recordedAt"], _terms(doc))
    plan.report(scope, raw, detect=True)
    plan.commit()
    return doc


def sees_test_buy(scope: Scope, doc: Mapping[str, Any]) -> bool:
    return sees_record(scope, doc["org"], doc["marking"])


def list_test_buys(
    services: Services, scope: Scope, listing: str | None, first: int
) -> list[dict[str, Any]]:
    """Visible test buys (of a listing), oldest first."""
    term = "all" if listing is None else f"listing:{listing}"
    out: list[dict[str, Any]] = []
    after = None
    records = records_for(services, scope)
    while len(out) < first:
        page = records.find(TEST_BUY, term=term, after=after, limit=200)
        out += [r.doc for r in page if sees_test_buy(scope, r.doc)]
        if len(page) < 200:
            break
        after = (page[-1].sort, page[-1].id)
    return out[:first]
