"""Police cases over a network: opened by a regulator's liaison, with outcomes.

A case is seen per its marking (AMBER_STRICT by default: the opening org,
orgs it is shared with, the platform). Outcomes (ARREST, SEIZURE, CLOSURE,
RAID) are recorded on the case; a CLOSURE or RAID of a storefront, factory
or warehouse is also a report (source LAW_ENFORCEMENT) setting its status,
under the case's marking and sharing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.errors import BadUserInput, Forbidden, LimitExceeded, NotFound
from graph_api.model import EntityKind, Marking
from graph_api.workflow.model import OutcomeKind, sees_record, time_key
from graph_api.workflow.runtime import Plan, effect, records_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["CASE", "add_outcome", "get_case", "list_cases", "open_case"]

CASE = "case"
MAX_ENTITIES = 1000
CLOSABLE = {
    OutcomeKind.CLOSURE: {EntityKind.STOREFRONT: "CLOSED", EntityKind.FACTORY: "CLOSED",
                          EntityKind.WAREHOUSE: "CLOSED"},
    OutcomeKind.RAID: {EntityKind.FACTORY: "RAIDED", EntityKind.WAREHOUSE: "RAIDED"},
}


def sees_case(scope: Scope, doc: Mapping[str, Any]) -> bool:
    return sees_record(scope, doc["org"], doc["marking"], doc.get("sharedWith") or [])


def _terms(doc: Mapping[str, Any]) -> tuple[str, ...]:
    return ("all", f"org:{doc['org']}")


def open_case(
    services: Services, scope: Scope, title: str, entities: list[str],
    marking: str = "AMBER_STRICT", shared_with: list[str] | None = None,
) -> dict[str, Any]:
    scope.require(Action.CASE)
    if not title or not title.strip():
        raise BadUserInput("title must not be empty", field="title")
    try:
        marking = Marking(marking).value
    except ValueError:
        raise BadUserInput(f"marking: {marking!r} is not a marking", field="marking") from None
    wanted = list(dict.fromkeys(entities))
    if len(wanted) > MAX_ENTITIES:
        raise LimitExceeded(f"entities: at most {MAX_ENTITIES}", field="entities")
    seen = services.store.entities_by_id(scope, wanted)
    for i, eid in enumerate(wanted):
        if eid not in seen:
            raise NotFound(f"no entity {eid!r}", field=f"entities[{i}]")
    known = {o.id for o in services.store.orgs()}
    shared = sorted(set(shared_with or []) - {scope.org_id})
    for i, org in enumerate(shared):
        if org not in known:
            raise BadUserInput(f"sharedWith[{i}]: no org {org!r}", field=f"sharedWith[{i}]")
    now = time_key(services.clock())
    doc: dict[str, Any] = {
        "id": f"case-{uuid.uuid4().hex[:20]}", "title": title.strip(), "org": scope.org_id,
        "principal": scope.principal_id, "openedAt": now, "marking": marking,
        "sharedWith": shared, "entities": wanted, "status": "OPEN", "outcomes": [],
    }
    plan = Plan(services)
    plan.put(CASE, doc["id"], doc, now, _terms(doc))
    plan.commit()
    return doc


def get_case(services: Services, scope: Scope, case_id: str) -> dict[str, Any] | None:
    record = records_for(services, scope).get(CASE, case_id)
    if record is None or not sees_case(scope, record.doc):
        return None
    return record.doc


def list_cases(services: Services, scope: Scope) -> list[dict[str, Any]]:
    scope.require(Action.READ)
    records = records_for(services, scope).find(CASE, term="all")
    return [r.doc for r in records if sees_case(scope, r.doc)]


def add_outcome(
    services: Services, scope: Scope, case_id: str, kind: str, entity: str | None,
    description: str, value: float | None = None,
) -> dict[str, Any]:
    """Record an outcome; a closure or raid also sets the entity's status by report."""
    scope.require(Action.CASE)
    plan = Plan(services)
    doc = plan.get(CASE, case_id)
    if doc is None or not sees_case(scope, doc):
        raise NotFound(f"no case {case_id!r}", field="id")
    if doc["org"] != scope.org_id:
        raise Forbidden("only the opening org records outcomes")
    try:
        outcome = OutcomeKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in OutcomeKind)
        raise BadUserInput(f"kind: {kind!r} is not one of {names}", field="kind") from None
    if value is not None and value < 0:
        raise BadUserInput("value must not be negative", field="value")
    record = None
    if entity is not None:
        record = services.store.entities_by_id(scope, [entity]).get(entity)
        if record is None:
            raise NotFound(f"no entity {entity!r}", field="entity")
    elif outcome in CLOSABLE:
        raise BadUserInput(f"a {outcome.value} names the entity closed", field="entity")
    n = len(doc["outcomes"])
    if outcome in CLOSABLE:
        assert record is not None and entity is not None
        status = CLOSABLE[outcome].get(record.kind)
        if status is None:
            raise BadUserInput(f"entity: a {record.kind.value} cannot take a {outcome.value}",
                               field="entity")
        plan.report(scope, effect(
            f"{case_id}-outcome-{n}", "LAW_ENFORCEMENT", doc["marking"],
            [{"id": entity, "kind": record.kind.value, "status": status}],
            shared_with=doc["sharedWith"],
        ))
    doc["outcomes"] = [*doc["outcomes"], {
        "kind": outcome.value, "entity": entity, "description": description or "",
        "value": value, "at": time_key(services.clock()), "by": scope.principal_id,
    }]
    plan.put(CASE, case_id, doc, doc["openedAt"], _terms(doc))
    plan.commit()
    return doc
