"""Takedown notices: one notice names 1-300 listings, each with an outcome of its own.

Per listing outcome:

    OPEN --refute / counter-notice (platform)--> REFUTED
    OPEN | REFUTED --decide upheld--> UPHELD --decide not upheld--> REVERSED
    OPEN | REFUTED --decide not upheld--> REVERSED
    UPHELD --counter-notice (platform, for the seller)--> REFUTED (penalties stand)
    OPEN --withdraw (filing brand)--> WITHDRAWN
    OPEN, past refuteBy --sweep--> UPHELD

The notice's status is the first that any outcome holds in the order OPEN,
REFUTED, UPHELD, REVERSED, WITHDRAWN. ``decideNotice`` decides every open
outcome (or, with none open, reverses the upheld ones); ``decideListings``
the named ones. Every other transition is a CONFLICT and changes nothing. A
notice is seen by its filing brand, the platform (its addressee) and whoever
its marking admits (AMBER by default: regulators too); to anyone else its id
answers like a missing one. Each step is kept in the notice's ``history`` and
applied in the ledger of every org that may see the notice
(``graph_api.workflow.enforcement``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.errors import BadUserInput, Conflict, Forbidden, LimitExceeded, NotFound
from graph_api.model import EntityKind, Marking, OrgType
from graph_api.workflow.enforcement import apply_outcomes, file_in_ledgers, sees_notice
from graph_api.workflow.model import NoticeStatus, time_key
from graph_api.workflow.notifiers import count_outcomes, is_trusted
from graph_api.workflow.penalties import NOTICE
from graph_api.workflow.rights import check_cited
from graph_api.workflow.runtime import Plan, evidence_docs, platform_org

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "MAX_LISTINGS",
    "counter_notice",
    "decide_listings",
    "decide_notice",
    "file_notice",
    "new_notice",
    "notice_status",
    "notice_terms",
    "put_notice",
    "refute_notice",
    "settle",
    "withdraw_notice",
]

MAX_LISTINGS = 300
S = NoticeStatus
ORDER = (S.OPEN, S.REFUTED, S.UPHELD, S.REVERSED, S.WITHDRAWN)
OPEN_OUTCOMES = (S.OPEN.value, S.REFUTED.value)


def notice_status(outcomes: Sequence[Mapping[str, Any]]) -> str:
    """The first status any outcome holds, in the order OPEN, REFUTED, UPHELD, REVERSED,
    WITHDRAWN.

    >>> notice_status([{"status": "UPHELD"}, {"status": "REFUTED"}])
    'REFUTED'
    """
    held = {o["status"] for o in outcomes}
    return next(s.value for s in ORDER if s.value in held)


def notice_terms(doc: Mapping[str, Any]) -> tuple[str, ...]:
    status, brand = doc["status"], doc["brand"]
    terms = [f"status:{status}", f"brand:{brand}", f"brand:{brand}:status:{status}"]
    if doc["marking"] in (Marking.CLEAR.value, Marking.GREEN.value):
        terms += ["public", f"public:status:{status}"]
    terms += [f"listing:{listing}" for listing in doc["listings"]]
    # a counter-notice is found by its id (evidence is attached to it: workflow.evidence)
    terms += [f"counter:{c['id']}" for c in doc.get("counterNotices", [])]
    return tuple(terms)


def put_notice(plan: Plan, doc: dict[str, Any]) -> None:
    plan.put(NOTICE, doc["id"], doc, doc["refuteBy"], notice_terms(doc))


def _text(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(value) > 10_000:
        raise LimitExceeded(f"{field} is longer than 10000 characters", field=field)
    return value


def _history(doc: dict[str, Any], at: datetime, scope: Scope, status: str, note: str) -> None:
    doc["history"] = [*doc.get("history", []), {
        "at": time_key(at), "status": status, "org": scope.org_id,
        "principal": scope.principal_id, "note": note,
    }]


def _visible(plan: Plan, scope: Scope, notice_id: str) -> dict[str, Any]:
    doc = plan.get(NOTICE, notice_id)
    if doc is None or not sees_notice(scope, doc):
        raise NotFound(f"no notice {notice_id!r}", field="id")
    return doc


def new_notice(
    notice_id: str, scope: Scope, listings: list[str], grounds: str,
    evidence: list[dict[str, Any]], marking: str, now: datetime, window: timedelta,
    platform: str, trusted: bool, rights: list[str] | None = None,
    reason_code: str | None = None,
) -> dict[str, Any]:
    """A freshly filed notice's document (``file_notice`` checks its input first)."""
    refute_by = time_key(now + window)
    doc: dict[str, Any] = {
        "id": notice_id, "brand": scope.org_id, "filer": scope.principal_id,
        "listings": listings, "grounds": grounds, "evidence": evidence,
        "rights": rights or [], "reasonCode": reason_code,
        "marking": marking, "status": S.OPEN.value, "filedAt": time_key(now),
        "refuteBy": refute_by,
        "outcomes": [{"listing": lid, "status": S.OPEN.value, "refuteBy": refute_by,
                      "decidedAt": None, "reason": None, "penalised": False}
                     for lid in listings],
        "decidedAt": None, "refutation": None, "refutationEvidence": [], "reason": None,
        "counterNotices": [], "platform": platform, "trusted": trusted, "prior": {},
        "struck": False, "takedownAt": time_key(now) if trusted else None, "history": [],
    }
    _history(doc, now, scope, S.OPEN.value, "filed")
    return doc


def file_notice(
    services: Services,
    scope: Scope,
    listings: list[str],
    grounds: str,
    evidence: Sequence[Mapping[str, Any]] | None = None,
    marking: str = "AMBER",
    rights: Sequence[str] | None = None,
    reason_code: str | None = None,
) -> dict[str, Any]:
    """A brand's notice against listings it can see; trusted notifiers' are delisted at once."""
    scope.require(Action.NOTICE)
    if scope.org_type is not OrgType.BRAND:
        raise Forbidden("only brand orgs file notices")
    grounds = _text(grounds, "grounds")
    try:
        marking = Marking(marking).value
    except ValueError:
        raise BadUserInput(f"marking: {marking!r} is not a marking", field="marking") from None
    wanted = list(dict.fromkeys(listings))
    if not wanted:
        raise BadUserInput("listings must name at least one listing", field="listings")
    if len(wanted) > MAX_LISTINGS:
        raise LimitExceeded(f"listings: at most {MAX_LISTINGS} per notice", field="listings")
    cited, reason_code = check_cited(services, scope, rights, reason_code)
    seen = services.store.entities_by_id(scope, wanted)
    for i, lid in enumerate(wanted):
        record = seen.get(lid)
        if record is None:
            raise NotFound(f"no entity {lid!r}", field=f"listings[{i}]")
        if record.kind is not EntityKind.LISTING:
            raise BadUserInput(f"listings[{i}]: {lid!r} is a {record.kind.value}, not a LISTING",
                               field=f"listings[{i}]")
    platform = platform_org(services)
    if platform is None:
        raise Conflict("no platform org receives notices yet")
    trusted = is_trusted(services, scope.org_id)
    now = services.clock()
    notice_id = f"ntc-{uuid.uuid4().hex[:20]}"
    doc = new_notice(
        notice_id, scope, wanted, grounds, evidence_docs(evidence, notice_id), marking, now,
        services.settings.refutation_window, platform.id, trusted, cited, reason_code,
    )
    plan = Plan(services)
    put_notice(plan, doc)  # first: each ledger's listing status counts this notice as live
    file_in_ledgers(plan, doc, now)
    put_notice(plan, doc)  # with each ledger's prior statuses
    plan.commit()
    return doc


def _outcomes(doc: dict[str, Any], listings: Sequence[str] | None) -> list[dict[str, Any]]:
    """The notice's outcomes of ``listings`` (all when None); a listing the notice does
    not name is BAD_USER_INPUT."""
    if listings is None:
        return list(doc["outcomes"])
    by_listing = {o["listing"]: o for o in doc["outcomes"]}
    wanted = list(dict.fromkeys(listings))
    if not wanted:
        raise BadUserInput("listings must name at least one listing", field="listings")
    out = []
    for i, lid in enumerate(wanted):
        if lid not in by_listing:
            raise BadUserInput(f"listings[{i}]: the notice does not name {lid!r}",
                               field=f"listings[{i}]")
        out.append(by_listing[lid])
    return out


def settle(plan: Plan, actor: Scope, doc: dict[str, Any], changed: dict[str, str],
           at: datetime, note: str) -> None:
    """Record outcome changes (``changed``: listing -> new status): the notice's status,
    its history, and what the changes do in every ledger."""
    moves = []
    for outcome in doc["outcomes"]:
        new = changed.get(outcome["listing"])
        if new is None:
            continue
        moves.append((outcome["status"], new))
        outcome["status"] = new
        if new in (S.UPHELD.value, S.REVERSED.value):
            outcome["decidedAt"] = time_key(at)
            outcome["reason"] = note
        outcome["penalised"] = new == S.UPHELD.value or (
            new == S.REFUTED.value and outcome.get("penalised", False))
    doc["status"] = notice_status(doc["outcomes"])
    if doc["status"] in (S.UPHELD.value, S.REVERSED.value):
        doc["decidedAt"] = max(o["decidedAt"] for o in doc["outcomes"] if o["decidedAt"])
    elif doc["status"] == S.WITHDRAWN.value:
        doc["decidedAt"] = None
    if any(v == S.UPHELD.value for v in changed.values()):
        doc["takedownAt"] = doc.get("takedownAt") or time_key(at)
    doc["struck"] = doc.get("struck") or doc["status"] == S.UPHELD.value  # strikes given
    _history(doc, at, actor, doc["status"], note)
    count_outcomes(plan, doc, moves, at)
    put_notice(plan, doc)  # first: the listings' statuses read this notice's outcomes
    step = "-".join(sorted({v.lower() for v in changed.values()}))
    apply_outcomes(plan, doc, at, changed, f"{len(doc['history'])}-{step}")


def refute_notice(
    services: Services, scope: Scope, notice_id: str, statement: str,
    evidence: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The platform records the seller's refutation of every OPEN outcome, before the
    deadline only."""
    scope.require(Action.REVIEW)
    plan = Plan(services)
    doc = _visible(plan, scope, notice_id)
    statement = _text(statement, "statement")
    now = services.clock()
    if doc["status"] != S.OPEN.value:
        raise Conflict(f"notice {notice_id!r} is {doc['status']}: only an OPEN one is refuted")
    if time_key(now) >= doc["refuteBy"]:
        raise Conflict(f"the refutation window of {notice_id!r} closed at {doc['refuteBy']}")
    doc.update(refutation=statement,
               refutationEvidence=evidence_docs(evidence, f"{notice_id}-refutation"))
    changed = {o["listing"]: S.REFUTED.value for o in doc["outcomes"]
               if o["status"] == S.OPEN.value}
    settle(plan, scope, doc, changed, now, "refuted")
    plan.commit()
    return doc


def _decision(doc: dict[str, Any], outcomes: list[dict[str, Any]], upheld: bool
              ) -> dict[str, str]:
    """The outcome changes a decision makes, or CONFLICT naming the first it cannot."""
    changed = {}
    for o in outcomes:
        if o["status"] in OPEN_OUTCOMES:
            changed[o["listing"]] = S.UPHELD.value if upheld else S.REVERSED.value
        elif o["status"] == S.UPHELD.value and not upheld:
            changed[o["listing"]] = S.REVERSED.value
        else:
            verb = "upheld" if upheld else "reversed"
            raise Conflict(f"notice {doc['id']!r}: the outcome of {o['listing']!r} is "
                           f"{o['status']}: it cannot be {verb}")
    return changed


def decide_notice(
    services: Services, scope: Scope, notice_id: str, upheld: bool, reason: str
) -> dict[str, Any]:
    """The platform decides every open outcome; with none open, deciding not upheld
    reverses the upheld ones."""
    scope.require(Action.REVIEW)
    plan = Plan(services)
    doc = _visible(plan, scope, notice_id)
    reason = _text(reason, "reason")
    open_ones = [o for o in doc["outcomes"] if o["status"] in OPEN_OUTCOMES]
    if not open_ones and not upheld:
        open_ones = [o for o in doc["outcomes"] if o["status"] == S.UPHELD.value]
    if not open_ones:
        verb = "upheld" if upheld else "reversed"
        raise Conflict(f"notice {notice_id!r} is {doc['status']}: it cannot be {verb}")
    doc["reason"] = reason
    settle(plan, scope, doc, _decision(doc, open_ones, upheld), services.clock(), reason)
    plan.commit()
    return doc


def decide_listings(
    services: Services, scope: Scope, notice_id: str, listings: Sequence[str], upheld: bool,
    reason: str,
) -> dict[str, Any]:
    """The platform decides the named listings' outcomes."""
    scope.require(Action.REVIEW)
    plan = Plan(services)
    doc = _visible(plan, scope, notice_id)
    reason = _text(reason, "reason")
    changed = _decision(doc, _outcomes(doc, listings), upheld)
    doc["reason"] = reason
    settle(plan, scope, doc, changed, services.clock(), reason)
    plan.commit()
    return doc


def withdraw_notice(services: Services, scope: Scope, notice_id: str) -> dict[str, Any]:
    """The filing brand takes back every OPEN outcome of its notice."""
    scope.require(Action.NOTICE)
    plan = Plan(services)
    doc = _visible(plan, scope, notice_id)
    if doc["brand"] != scope.org_id:
        raise Forbidden("only the filing brand withdraws a notice")
    if doc["status"] != S.OPEN.value:
        raise Conflict(f"notice {notice_id!r} is {doc['status']}: only an OPEN one is withdrawn")
    changed = {o["listing"]: S.WITHDRAWN.value for o in doc["outcomes"]
               if o["status"] == S.OPEN.value}
    settle(plan, scope, doc, changed, services.clock(), "withdrawn")
    plan.commit()
    return doc


def counter_notice(
    services: Services, scope: Scope, notice_id: str, listings: Sequence[str], statement: str,
    evidence: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The platform records the seller's counter-notice: the named OPEN or UPHELD outcomes
    become REFUTED (an upheld listing's penalties stand until it is decided again)."""
    scope.require(Action.REVIEW)
    plan = Plan(services)
    doc = _visible(plan, scope, notice_id)
    statement = _text(statement, "statement")
    outcomes = _outcomes(doc, listings)
    for o in outcomes:
        if o["status"] not in (S.OPEN.value, S.UPHELD.value):
            raise Conflict(f"notice {notice_id!r}: the outcome of {o['listing']!r} is "
                           f"{o['status']}: only an OPEN or UPHELD one is countered")
    now = services.clock()
    counter_id = f"cn-{uuid.uuid4().hex[:20]}"
    doc["counterNotices"] = [*doc.get("counterNotices", []), {
        "id": counter_id, "listings": [o["listing"] for o in outcomes], "statement": statement,
        "evidence": evidence_docs(evidence, counter_id), "filedAt": time_key(now),
        "recordedBy": scope.principal_id,
    }]
    settle(plan, scope, doc, {o["listing"]: S.REFUTED.value for o in outcomes}, now,
           "counter-notice")
    plan.commit()
    return doc
