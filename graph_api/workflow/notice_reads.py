"""Reading notices: one by id, pages in deadline order, and counts over the visible ones."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.model import OrgType
from graph_api.store.records import Record
from graph_api.workflow.enforcement import sees_notice
from graph_api.workflow.model import NoticeStatus, from_key
from graph_api.workflow.penalties import NOTICE
from graph_api.workflow.runtime import records_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["get_notice", "list_notices", "notice_stats", "stream_notices"]

S = NoticeStatus


def get_notice(services: Services, scope: Scope, notice_id: str) -> dict[str, Any] | None:
    """The notice if the caller may see it, else None (missing and hidden look alike)."""
    record = records_for(services, scope).get(NOTICE, notice_id)
    if record is None or not sees_notice(scope, record.doc):
        return None
    return record.doc


def stream_notices(
    services: Services, scope: Scope, term: str | None, after: tuple[str, str] | None
) -> Iterator[Record]:
    """Notices carrying ``term`` in (refuteBy, id) order, as ``scope`` reads the records
    (all of them: each caller's own checks follow)."""
    records = records_for(services, scope)
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
        own = stream_notices(services, scope, f"brand:{scope.org_id}{suffix}", after)
        public = stream_notices(services, scope, "public" + suffix, after)
        stream: Iterator[Record] = heapq.merge(own, public, key=lambda r: (r.sort, r.id))
    else:
        stream = stream_notices(services, scope, None if status is None else f"status:{status}",
                                after)
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
    for record in stream_notices(services, scope, term, None):
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
