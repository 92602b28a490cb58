"""The deadline sweep: OPEN outcomes past their deadline are upheld; restrictions end.

Run by the server every minute (``sweep_forever``) and by ``graph-api sweep``;
each batch is one plan, committed with one audit record of the operator's
(``system:sweep``, shown to no org).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from graph_api.access import Scope
from graph_api.audit import AuditEntry
from graph_api.clock import one_instant
from graph_api.gc_pause import no_collection
from graph_api.model import OrgType
from graph_api.store.records import Record
from graph_api.workflow.enforcement import serve_restriction
from graph_api.workflow.ladder import RESTRICTION_DAYS
from graph_api.workflow.model import NoticeStatus, time_key
from graph_api.workflow.notices import settle
from graph_api.workflow.penalties import NOTICE, PENALTY
from graph_api.workflow.runtime import Plan, acting_scope, platform_org, workflow_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["expire", "expire_batch", "sweep", "sweep_batch", "sweep_command", "sweep_forever"]

log = logging.getLogger("graph_api.workflow")
S = NoticeStatus


def sweep_batch(services: Services, now: datetime, limit: int = 500) -> int:
    """Uphold the OPEN outcomes of up to ``limit`` notices whose deadline passed; returns
    how many notices."""
    records = workflow_for(services).records
    due = records.find(NOTICE, term=f"status:{S.OPEN.value}", sort_max=time_key(now),
                       limit=limit)
    if not due:
        return 0
    with no_collection():  # a batch builds tens of thousands of records, kept by none
        return _uphold_due(services, due, now)


def _uphold_due(services: Services, due: list[Record], now: datetime) -> int:
    plan = Plan(services)
    actors: dict[str, Scope] = {}
    for record in due:
        doc = plan.seen(record)
        actor = actors.get(doc["platform"])
        if actor is None:
            actor = actors[doc["platform"]] = acting_scope(doc["platform"], OrgType.PLATFORM,
                                                           "sweep")
        due_now = {o["listing"]: S.UPHELD.value for o in doc["outcomes"]
                   if o["status"] == S.OPEN.value and o["refuteBy"] <= time_key(now)}
        if due_now:
            settle(plan, actor, doc, due_now, now, "refutation window passed")
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
            for step in (sweep_batch, expire_batch):
                while True:
                    with one_instant():  # a batch's records at the time they carry
                        done = step(services, services.clock(), batch)
                    if done < batch:
                        break
                    await asyncio.sleep(0)
        except Exception:  # keep sweeping; the next tick retries
            log.exception("the notice sweep failed")
