"""Appeals against penalties, recorded by the platform's reviewer for the seller.

    appealPenalty(penalty, statement, evidence) --> OPEN
    OPEN --decideAppeal(upheld: true)-->  UPHELD: the penalty and all that rested on it
                                          lifted, in every ledger that holds it
    OPEN --decideAppeal(upheld: false)--> REJECTED

An appeal names a penalty of the platform's own ledger (a STRIKE, or a step of
the ladder: WARNING, RESTRICTION, BAN). It rests on the notice that caused the
penalty, so it is told to that notice's audience only, and to an org of it only
when that org's own ledger holds the penalty (a brand whose ledger gave the
seller a WARNING does not learn of an appeal against the platform's
RESTRICTION). A lifted ban reopens the storefronts it closed; a published ban
is withdrawn by the publication policy.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.errors import BadUserInput, Conflict, LimitExceeded, NotFound
from graph_api.workflow.enforcement import appeal_in_ledgers, sees_notice
from graph_api.workflow.model import time_key
from graph_api.workflow.penalties import NOTICE, NOTICE_AUDIENCE, PENALTY
from graph_api.workflow.runtime import Plan, evidence_docs, records_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["APPEAL", "APPEALABLE", "appeal_penalty", "decide_appeal", "list_appeals",
           "local_penalty_id", "sees_appeal"]

APPEAL = "appeal"
APPEALABLE = ("STRIKE", "WARNING", "RESTRICTION", "BAN")


def local_penalty_id(penalty_id: str) -> str:
    """A penalty's id within its ledger (``notice.KIND.subject``), the same in every
    ledger that holds it.

    >>> local_penalty_id("bazaar/ntc-1.STRIKE.seller-1")
    'ntc-1.STRIKE.seller-1'
    """
    return penalty_id.split("/", 1)[-1]


def sees_appeal(services: Services, scope: Scope, doc: Mapping[str, Any]) -> bool:
    """The notice's audience, where the caller's own ledger holds the penalty."""
    records = records_for(services, scope)
    notice = records.get(NOTICE, doc["notice"])
    if notice is None or not sees_notice(scope, notice.doc):
        return False
    return records.get(PENALTY, f"{scope.org_id}/{doc['local']}") is not None


def _text(value: str, field: str) -> str:
    if not value or not value.strip():
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(value) > 10_000:
        raise LimitExceeded(f"{field} is longer than 10000 characters", field=field)
    return value


def _terms(doc: Mapping[str, Any]) -> tuple[str, ...]:
    return ("all", f"status:{doc['status']}", f"penalty:{doc['local']}")


def appeal_penalty(
    services: Services, scope: Scope, penalty_id: str, statement: str,
    evidence: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The reviewer records the seller's appeal against one of the platform's penalties."""
    scope.require(Action.REVIEW)
    statement = _text(statement, "statement")
    plan = Plan(services)
    penalty = plan.get(PENALTY, penalty_id)
    notice = None if penalty is None else plan.get(NOTICE, penalty["notice"])
    shared = penalty is not None and penalty.get("org") == NOTICE_AUDIENCE and (
        notice is not None and sees_notice(scope, notice))
    if penalty is None or (penalty.get("org") != scope.org_id and not shared):
        raise NotFound(f"no penalty {penalty_id!r}", field="penalty")
    if penalty["kind"] not in APPEALABLE:
        raise BadUserInput(f"penalty: a {penalty['kind']} is not appealed (only "
                           f"{', '.join(APPEALABLE)})", field="penalty")
    if penalty.get("liftedAt") is not None:
        raise Conflict(f"penalty {penalty_id!r} was lifted already")
    local = local_penalty_id(penalty_id)
    if any(a["status"] == "OPEN" for a in plan.find(APPEAL, f"penalty:{local}")):
        raise Conflict(f"penalty {penalty_id!r} has an open appeal already")
    now = services.clock()
    appeal_id = f"apl-{uuid.uuid4().hex[:20]}"
    doc: dict[str, Any] = {
        "id": appeal_id, "penalty": penalty_id, "local": local, "notice": penalty["notice"],
        "statement": statement, "evidence": evidence_docs(evidence, appeal_id),
        "status": "OPEN", "filedAt": time_key(now), "decidedAt": None, "reason": None,
        "recordedBy": scope.principal_id,
    }
    plan.put(APPEAL, appeal_id, doc, doc["filedAt"], _terms(doc), new=True)
    plan.commit()
    return doc


def decide_appeal(
    services: Services, scope: Scope, appeal_id: str, upheld: bool, reason: str
) -> dict[str, Any]:
    """The reviewer decides an OPEN appeal; upheld, the penalty is lifted everywhere."""
    scope.require(Action.REVIEW)
    reason = _text(reason, "reason")
    plan = Plan(services)
    doc = plan.get(APPEAL, appeal_id)
    if doc is None or not sees_appeal(services, scope, doc):
        raise NotFound(f"no appeal {appeal_id!r}", field="id")
    if doc["status"] != "OPEN":
        raise Conflict(f"appeal {appeal_id!r} is {doc['status']}: only an OPEN one is decided")
    now = services.clock()
    doc.update(status="UPHELD" if upheld else "REJECTED", decidedAt=time_key(now),
               reason=reason)
    plan.put(APPEAL, appeal_id, doc, doc["filedAt"], _terms(doc))
    if upheld:
        notice = plan.get(NOTICE, doc["notice"])
        if notice is not None:
            appeal_in_ledgers(plan, notice, doc["local"], now, f"appeal {appeal_id} upheld")
    plan.commit()
    return doc


def list_appeals(services: Services, scope: Scope, status: str | None) -> list[dict[str, Any]]:
    """Appeals the caller may read (in ``status``), oldest first."""
    scope.require(Action.READ)
    records = records_for(services, scope)
    term = "all" if status is None else f"status:{status}"
    out = []
    after = None
    while True:
        page = records.find(APPEAL, term=term, after=after, limit=200)
        out += [r.doc for r in page if sees_appeal(services, scope, r.doc)]
        if len(page) < 200:
            return out
        after = (page[-1].sort, page[-1].id)
