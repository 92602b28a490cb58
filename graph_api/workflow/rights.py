"""The rights registry: a brand proves its rights once and cites them in every notice.

    registerRight (a BRAND org's investigator, analyst or admin) --> PENDING
    PENDING --verifyRight(verified: true)  (PLATFORM reviewer)--> VERIFIED
    PENDING --verifyRight(verified: false)                     --> REJECTED
    VERIFIED, past validUntil                                  --> reads EXPIRED

A right is visible to its holder, PLATFORM and REGULATOR orgs and the orgs in its
``sharedWith``; to anyone else its id answers like a missing one. A notice cites
rights of its filing brand (``check_cited``): under the policy
``GRAPH_API_NOTICE_RIGHTS=required`` (the default) at least one VERIFIED,
unexpired right and a reason code; under ``optional`` none is needed, but every
cited right must still be VERIFIED, unexpired and the brand's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.errors import BadUserInput, Conflict, Forbidden, LimitExceeded, NotFound
from graph_api.model import OrgType
from graph_api.workflow.model import NoticeReason, RightKind, time_key
from graph_api.workflow.runtime import Plan, evidence_docs, records_for, workflow_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "NOTICE_REASONS",
    "RIGHT",
    "RIGHT_KINDS",
    "check_cited",
    "get_right",
    "list_rights",
    "register_right",
    "right_status",
    "sees_right",
    "verify_right",
]

RIGHT = "right"
RIGHT_KINDS = tuple(k.value for k in RightKind)
NOTICE_REASONS = tuple(r.value for r in NoticeReason)
MAX_TEXT = 1_000


def sees_right(scope: Scope, doc: Mapping[str, Any]) -> bool:
    """The holder, PLATFORM and REGULATOR orgs, and the orgs it is shared with."""
    return (scope.org_id == doc["holder"] or scope.org_id in doc.get("sharedWith", ())
            or scope.org_type in (OrgType.PLATFORM, OrgType.REGULATOR))


def right_status(doc: Mapping[str, Any], now: datetime) -> str:
    """The stored status, EXPIRED once a VERIFIED right is past ``validUntil``."""
    status: str = doc["status"]
    until = doc.get("validUntil")
    if status == "VERIFIED" and until is not None and until < time_key(now):
        return "EXPIRED"
    return status


def _terms(doc: Mapping[str, Any]) -> tuple[str, ...]:
    return ("all", f"holder:{doc['holder']}")


def _text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    if not value or not value.strip():
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise LimitExceeded(f"{field} is longer than {limit} characters", field=field)
    return value.strip()


def register_right(
    services: Services, scope: Scope, kind: str, registration: str, jurisdiction: str,
    goods_classes: Sequence[str], valid_until: datetime | None,
    evidence: Sequence[Mapping[str, Any]], shared_with: Sequence[str],
) -> dict[str, Any]:
    """A brand registers one of its rights, PENDING until a platform reviewer verifies it."""
    if not (scope.can(Action.REPORT) or scope.can(Action.ADMIN)):
        raise Forbidden(f"role {scope.role!r} may not register rights")
    if scope.org_type is not OrgType.BRAND:
        raise Forbidden("only brand orgs register rights")
    if kind not in RIGHT_KINDS:
        raise BadUserInput(f"kind: {kind!r} is not one of {', '.join(RIGHT_KINDS)}", field="kind")
    registration = _text(registration, "registration")
    jurisdiction = _text(jurisdiction, "jurisdiction")
    classes = [_text(c, f"goodsClasses[{i}]", 100) for i, c in enumerate(goods_classes)]
    if len(classes) > 100:
        raise LimitExceeded("goodsClasses: at most 100", field="goodsClasses")
    if valid_until is not None and valid_until.tzinfo is None:
        raise BadUserInput("validUntil needs a time zone", field="validUntil")
    if not evidence:
        raise BadUserInput("evidence: a right needs at least one proof document",
                           field="evidence")
    known = {o.id for o in services.store.orgs()}
    shared = sorted(set(shared_with))
    for i, org in enumerate(shared):
        if org not in known:
            raise BadUserInput(f"sharedWith[{i}]: no org {org!r}", field=f"sharedWith[{i}]")
    now = services.clock()
    right_id = f"right-{uuid.uuid4().hex[:20]}"
    proof = evidence_docs(evidence, right_id)
    doc: dict[str, Any] = {
        "id": right_id, "holder": scope.org_id, "registeredBy": scope.principal_id,
        "kind": kind, "registration": registration, "jurisdiction": jurisdiction,
        "goodsClasses": classes,
        "validUntil": None if valid_until is None else time_key(valid_until),
        "status": "PENDING", "reason": None, "evidence": proof, "sharedWith": shared,
        "registeredAt": time_key(now), "decidedAt": None, "decidedBy": None,
    }
    plan = Plan(services)
    plan.put(RIGHT, right_id, doc, doc["registeredAt"], _terms(doc), new=True)
    plan.commit()
    return doc


def get_right(services: Services, scope: Scope, right_id: str) -> dict[str, Any] | None:
    record = records_for(services, scope).get(RIGHT, right_id)
    if record is None or not sees_right(scope, record.doc):
        return None
    return record.doc


def verify_right(
    services: Services, scope: Scope, right_id: str, verified: bool, reason: str
) -> dict[str, Any]:
    """A platform reviewer verifies or rejects a PENDING right (once)."""
    scope.require(Action.REVIEW)
    reason = _text(reason, "reason", 10_000)
    plan = Plan(services)
    doc = plan.get(RIGHT, right_id)
    if doc is None or not sees_right(scope, doc):
        raise NotFound(f"no right {right_id!r}", field="id")
    if doc["status"] != "PENDING":
        raise Conflict(f"right {right_id!r} is {doc['status']}: only a PENDING one is decided")
    doc.update(status="VERIFIED" if verified else "REJECTED", reason=reason,
               decidedAt=time_key(services.clock()), decidedBy=scope.principal_id)
    plan.put(RIGHT, right_id, doc, doc["registeredAt"], _terms(doc))
    plan.commit()
    return doc


def list_rights(
    services: Services, scope: Scope, holder: str | None, status: str | None
) -> list[dict[str, Any]]:
    """Rights the caller may see (of ``holder``; in ``status`` as read now, or as of the
    time ``scope`` reads), oldest first."""
    records = records_for(services, scope)
    term = "all" if holder is None else f"holder:{holder}"
    now = scope.as_of_time or services.clock()
    out = []
    after = None
    while True:
        page = records.find(RIGHT, term=term, after=after, limit=200)
        out += [r.doc for r in page if sees_right(scope, r.doc)
                and (status is None or right_status(r.doc, now) == status)]
        if len(page) < 200:
            return out
        after = (page[-1].sort, page[-1].id)


def check_cited(
    services: Services, scope: Scope, rights: Sequence[str] | None, reason_code: str | None
) -> tuple[list[str], str | None]:
    """The rights and reason code a notice of ``scope``'s brand may cite, or BAD_USER_INPUT
    saying why not; a right the caller may not see answers like a missing one."""
    required = services.settings.notice_rights == "required"
    if reason_code is not None and reason_code not in NOTICE_REASONS:
        raise BadUserInput(f"reasonCode: {reason_code!r} is not one of "
                           f"{', '.join(NOTICE_REASONS)}", field="reasonCode")
    if required and reason_code is None:
        raise BadUserInput("reasonCode: a notice gives its reason code (the platform's policy "
                           "GRAPH_API_NOTICE_RIGHTS is required)", field="reasonCode")
    cited = list(dict.fromkeys(rights or []))
    if required and not cited:
        raise BadUserInput("rights: a notice cites at least one VERIFIED right of the filing "
                           "brand (register it with registerRight; the platform verifies it)",
                           field="rights")
    found = workflow_for(services).records.get_many(RIGHT, cited)
    now = services.clock()
    for i, right_id in enumerate(cited):
        record = found.get(right_id)
        if record is None or not sees_right(scope, record.doc):
            raise BadUserInput(f"rights[{i}]: no right {right_id!r}", field=f"rights[{i}]")
        if record.doc["holder"] != scope.org_id:
            raise BadUserInput(f"rights[{i}]: {right_id!r} is not a right of the filing brand",
                               field=f"rights[{i}]")
        status = right_status(record.doc, now)
        if status != "VERIFIED":
            raise BadUserInput(f"rights[{i}]: {right_id!r} is {status}, not VERIFIED",
                               field=f"rights[{i}]")
    return cited, reason_code
