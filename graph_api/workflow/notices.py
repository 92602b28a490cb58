"""Takedown notices: file, refute, decide, withdraw, and the deadline sweep.

    OPEN --refute (platform, before refuteBy)--> REFUTED
    OPEN | REFUTED --decide upheld--> UPHELD --decide not upheld--> REVERSED
    OPEN | REFUTED --decide not upheld--> REVERSED
    OPEN --withdraw (filing brand)--> WITHDRAWN
    OPEN, past refuteBy, unrefuted --sweep--> UPHELD

Every other transition is a CONFLICT and changes nothing. A notice is seen by
its filing brand, the platform (its addressee) and whoever its marking admits
(AMBER by default: regulators too); to anyone else its id answers like a
missing one. Each transition is kept in the notice's ``history``.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.audit import AuditEntry
from graph_api.errors import BadUserInput, Conflict, Forbidden, LimitExceeded, NotFound
from graph_api.model import EntityKind, Marking, OrgType
from graph_api.reports import parse_evidence
from graph_api.store.records import Record
from graph_api.workflow.enforcement import (
    file_in_ledgers,
    lift_in_ledgers,
    sees_notice,
    serve_restriction,
    uphold_in_ledgers,
)
from graph_api.workflow.model import NoticeStatus, from_key, time_key
from graph_api.workflow.penalties import NOTICE, PENALTY, RESTRICTION_DAYS
from graph_api.workflow.runtime import Plan, acting_scope, platform_org, workflow_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "MAX_LISTINGS",
    "decide_notice",
    "file_notice",
    "get_notice",
    "new_notice",
    "notice_terms",
    "list_notices",
    "refute_notice",
    "sees_notice",
    "sweep",
    "sweep_batch",
    "sweep_command",
    "sweep_forever",
    "withdraw_notice",
]

log = logging.getLogger("graph_api.workflow")
MAX_LISTINGS = 100
S = NoticeStatus


def notice_terms(doc: Mapping[str, Any]) -> tuple[str, ...]:
    status, brand = doc["status"], doc["brand"]
    terms = [f"status:{status}", f"brand:{brand}", f"brand:{brand}:status:{status}"]
    if doc["marking"] in (Marking.CLEAR.value, Marking.GREEN.value):
        terms += ["public", f"public:status:{status}"]
    terms += [f"listing:{listing}" for listing in doc["listings"]]
    return tuple(terms)


def _put(plan: Plan, doc: dict[str, Any]) -> None:
    plan.put(NOTICE, doc["id"], doc, doc["refuteBy"], notice_terms(doc))


def _text(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(value) > 10_000:
        raise LimitExceeded(f"{field} is longer than 10000 characters", field=field)
    return value


def _evidence(items: Sequence[Mapping[str, Any]] | None, prefix: str) -> list[dict[str, Any]]:
    parsed = parse_evidence([dict(e) for e in items or []], "evidence", prefix)
    return [
        {"id": e.id, "kind": e.kind, "description": e.description, "sha256": e.sha256,
         "uri": e.uri}
        for e in parsed
    ]


def _history(doc: dict[str, Any], at: datetime, scope: Scope, status: str, note: str) -> None:
    doc["history"] = [*doc.get("history", []), {
        "at": time_key(at), "status": status, "org": scope.org_id,
        "principal": scope.principal_id, "note": note,
    }]


def get_notice(services: Services, scope: Scope, notice_id: str) -> dict[str, Any] | None:
    """The notice if the caller may see it, else None (missing and hidden look alike)."""
    record = workflow_for(services).records.get(NOTICE, notice_id)
    if record is None or not sees_notice(scope, record.doc):
        return None
    return record.doc


def _visible(plan: Plan, scope: Scope, notice_id: str) -> dict[str, Any]:
    doc = plan.get(NOTICE, notice_id)
    if doc is None or not sees_notice(scope, doc):
        raise NotFound(f"no notice {notice_id!r}", field="id")
    return doc


def new_notice(
    notice_id: str, scope: Scope, listings: list[str], grounds: str,
    evidence: list[dict[str, Any]], marking: str, now: datetime, window: timedelta,
    platform: str, trusted: bool,
) -> dict[str, Any]:
    """A freshly filed notice's document (``file_notice`` checks its input first)."""
    doc: dict[str, Any] = {
        "id": notice_id, "brand": scope.org_id, "filer": scope.principal_id,
        "listings": listings, "grounds": grounds, "evidence": evidence,
        "marking": marking, "status": S.OPEN.value, "filedAt": time_key(now),
        "refuteBy": time_key(now + window),
        "decidedAt": None, "refutation": None, "refutationEvidence": [], "reason": None,
        "platform": platform, "trusted": trusted, "prior": {},
        "takedownAt": time_key(now) if trusted else None, "history": [],
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
    org = services.store.org(scope.org_id)
    trusted = bool(org and org.trusted)
    now = services.clock()
    notice_id = f"ntc-{uuid.uuid4().hex[:20]}"
    doc = new_notice(
        notice_id, scope, wanted, grounds, _evidence(evidence, notice_id), marking, now,
        services.settings.refutation_window, platform.id, trusted,
    )
    plan = Plan(services)
    _put(plan, doc)  # first: each ledger's listing status counts this notice as live
    file_in_ledgers(plan, doc, now)
    _put(plan, doc)  # with each ledger's prior statuses
    plan.commit()
    return doc


def refute_notice(
    services: Services, scope: Scope, notice_id: str, statement: str,
    evidence: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The platform records the seller's refutation, before the deadline only."""
    scope.require(Action.REVIEW)
    plan = Plan(services)
    doc = _visible(plan, scope, notice_id)
    statement = _text(statement, "statement")
    now = services.clock()
    if doc["status"] != S.OPEN.value:
        raise Conflict(f"notice {notice_id!r} is {doc['status']}: only an OPEN one is refuted")
    if time_key(now) >= doc["refuteBy"]:
        raise Conflict(f"the refutation window of {notice_id!r} closed at {doc['refuteBy']}")
    doc.update(status=S.REFUTED.value, refutation=statement,
               refutationEvidence=_evidence(evidence, f"{notice_id}-refutation"))
    _history(doc, now, scope, S.REFUTED.value, "refuted")
    _put(plan, doc)
    plan.commit()
    return doc


def _uphold(plan: Plan, actor: Scope, doc: dict[str, Any], at: datetime, note: str) -> None:
    doc.update(status=S.UPHELD.value, decidedAt=time_key(at))
    doc["takedownAt"] = doc.get("takedownAt") or time_key(at)
    _history(doc, at, actor, S.UPHELD.value, note)
    _put(plan, doc)
    uphold_in_ledgers(plan, doc, at)


def _close(plan: Plan, actor: Scope, doc: dict[str, Any], at: datetime, status: NoticeStatus,
           note: str) -> None:
    doc.update(status=status.value, decidedAt=time_key(at) if status is S.REVERSED else None)
    _history(doc, at, actor, status.value, note)
    _put(plan, doc)  # first: the listing statuses below must see this notice closed
    lift_in_ledgers(plan, doc, at, status.value.lower())


def decide_notice(
    services: Services, scope: Scope, notice_id: str, upheld: bool, reason: str
) -> dict[str, Any]:
    """The platform's decision; deciding an UPHELD notice not upheld reverses it."""
    scope.require(Action.REVIEW)
    plan = Plan(services)
    doc = _visible(plan, scope, notice_id)
    reason = _text(reason, "reason")
    status = S(doc["status"])
    now = services.clock()
    if status in (S.OPEN, S.REFUTED) and upheld:
        doc["reason"] = reason
        _uphold(plan, scope, doc, now, reason)
    elif status in (S.OPEN, S.REFUTED, S.UPHELD) and not upheld:
        doc["reason"] = reason
        _close(plan, scope, doc, now, S.REVERSED, reason)
    else:
        verb = "upheld" if upheld else "reversed"
        raise Conflict(f"notice {notice_id!r} is {status.value}: it cannot be {verb}")
    plan.commit()
    return doc


def withdraw_notice(services: Services, scope: Scope, notice_id: str) -> dict[str, Any]:
    """The filing brand takes its notice back while it is OPEN."""
    scope.require(Action.NOTICE)
    plan = Plan(services)
    doc = _visible(plan, scope, notice_id)
    if doc["brand"] != scope.org_id:
        raise Forbidden("only the filing brand withdraws a notice")
    if doc["status"] != S.OPEN.value:
        raise Conflict(f"notice {notice_id!r} is {doc['status']}: only an OPEN one is withdrawn")
    _close(plan, scope, doc, services.clock(), S.WITHDRAWN, "withdrawn")
    plan.commit()
    return doc


# -- the deadline sweep --------------------------------------------------------
def sweep_batch(services: Services, now: datetime, limit: int = 500) -> int:
    """Uphold up to ``limit`` OPEN notices whose deadline passed; returns how many."""
    records = workflow_for(services).records
    due = records.find(NOTICE, term=f"status:{S.OPEN.value}", sort_max=time_key(now),
                       limit=limit)
    if not due:
        return 0
    plan = Plan(services)
    actors: dict[str, Scope] = {}
    for record in due:
        doc = plan.seen(record)
        actor = actors.get(doc["platform"])
        if actor is None:
            actor = actors[doc["platform"]] = acting_scope(doc["platform"], OrgType.PLATFORM,
                                                           "sweep")
        _uphold(plan, actor, doc, now, "refutation window passed")
    audit = AuditEntry(
        at=now, principal_id="system:sweep", org_id="",
        operation="mutation sweep", digest=services.audit_digest({"upheld": [r.id for r in due]}),
    )
    plan.commit(audit)
    return len(due)


def expire_batch(services: Services, now: datetime, limit: int = 500,
                 served: set[str] | None = None) -> int:
    """End up to ``limit`` ledger entries of RESTRICTIONs whose 30 days have passed;
    returns how many, and adds each restriction's ledger-free id to ``served``."""
    records = workflow_for(services).records
    due = records.find(PENALTY, term="active:RESTRICTION", limit=limit,
                       sort_max=time_key(now - timedelta(days=RESTRICTION_DAYS)))
    due = [r for r in due if r.doc.get("until") and r.doc["until"] <= time_key(now)]
    if not due:
        return 0
    platform = platform_org(services)
    orgs = {org.id: org for org in services.store.orgs()}
    plan = Plan(services)
    for record in due:
        serve_restriction(plan, plan.seen(record), orgs, None if platform is None else platform.id)
        if served is not None:
            served.add(record.id.split("/", 1)[-1])
    plan.commit(AuditEntry(
        at=now, principal_id="system:sweep", org_id="",
        operation="mutation sweep",
        digest=services.audit_digest({"served": [r.id for r in due]}),
    ))
    return len(due)


def _batches(step: Callable[[Services, datetime, int], int], services: Services,
             now: datetime, batch: int) -> int:
    total = 0
    while True:
        done = step(services, now, batch)
        total += done
        if done < batch:
            return total


def sweep(services: Services, now: datetime, batch: int = 500) -> int:
    """Uphold every OPEN notice past its deadline, ``batch`` at a time (bounded memory)."""
    return _batches(sweep_batch, services, now, batch)


def expire(services: Services, now: datetime, batch: int = 500) -> int:
    """End every restriction served by ``now``, ``batch`` ledger entries at a time;
    returns how many restrictions ended (one seller's, held in several orgs' ledgers,
    counts once)."""
    served: set[str] = set()
    while True:
        done = expire_batch(services, now, batch, served)
        if done < batch:
            return len(served)


def sweep_command(services: Services, now: str | None = None) -> str:
    """``graph-api sweep [--now ISO]``: sweep as of ``now`` (default: the clock); the last line.

    A time without a zone is taken as UTC.
    """
    at = services.clock() if now is None else datetime.fromisoformat(now)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    upheld, served = sweep(services, at), expire(services, at)
    return (f"upheld {upheld} notices past their deadline as of {at.isoformat()}"
            + (f"; {served} restrictions served" if served else ""))


async def sweep_forever(services: Services, every: float = 60.0, batch: int = 200) -> None:
    """The server's background sweep: every ``every`` seconds, yielding between batches."""
    while True:
        await asyncio.sleep(every)
        try:
            while sweep_batch(services, services.clock(), batch) == batch:
                await asyncio.sleep(0)
            while expire_batch(services, services.clock(), batch) == batch:
                await asyncio.sleep(0)
        except Exception:  # keep sweeping; the next tick retries
            log.exception("the notice sweep failed")


# -- reading -------------------------------------------------------------------
def _stream(
    services: Services, term: str | None, after: tuple[str, str] | None
) -> Iterator[Record]:
    records = workflow_for(services).records
    while True:
        page = records.find(NOTICE, term=term, after=after, limit=200)
        yield from page
        if len(page) < 200:
            return
        after = (page[-1].sort, page[-1].id)


def list_notices(
    services: Services, scope: Scope, status: str | None, first: int,
    after: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Visible notices in (refuteBy, id) order, ``first`` after the keyset cursor."""
    suffix = "" if status is None else f":status:{status}"
    if scope.org_type is OrgType.BRAND:  # its own, and those marked CLEAR/GREEN
        own = _stream(services, f"brand:{scope.org_id}{suffix}", after)
        public = _stream(services, "public" + suffix, after)
        stream: Iterator[Record] = heapq.merge(own, public, key=lambda r: (r.sort, r.id))
    else:
        stream = _stream(services, None if status is None else f"status:{status}", after)
    out: list[dict[str, Any]] = []
    last = None
    for record in stream:
        if record.id == last:
            continue
        last = record.id
        if sees_notice(scope, record.doc):
            out.append(record.doc)
            if len(out) >= first:
                break
    return out


def notice_stats(services: Services, scope: Scope, brand: str | None) -> dict[str, Any]:
    """Counts over the caller's visible notices (of ``brand`` when given)."""
    scope.require(Action.READ)
    term = None if brand is None else f"brand:{brand}"
    counts = {s.value: 0 for s in S}
    takedowns: list[float] = []
    for record in _stream(services, term, None):
        doc = record.doc
        if not sees_notice(scope, doc):
            continue
        counts[doc["status"]] += 1
        if doc.get("takedownAt") and doc["status"] != S.WITHDRAWN.value:
            delta = from_key(doc["takedownAt"]) - from_key(doc["filedAt"])
            takedowns.append(delta.total_seconds())
    takedowns.sort()
    median = None
    if takedowns:
        mid = len(takedowns) // 2
        median = takedowns[mid] if len(takedowns) % 2 else (takedowns[mid - 1] + takedowns[mid]) / 2
    decided = counts["UPHELD"] + counts["REVERSED"]
    return {
        "filed": sum(counts.values()), "counts": counts, "medianTakedownSeconds": median,
        "accuracy": counts["UPHELD"] / decided if decided else None,
    }
