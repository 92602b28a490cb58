"""Notifier accuracy and the good-faith (trusted notifier) policy.

``notifierStats`` counts a brand's notices and listing outcomes: filed, upheld,
reversed, withdrawn, the median hours from filing to a listing's decision, and
accuracy = upheld / (upheld + reversed). A brand reads its own row (zeros
included); PLATFORM and REGULATOR orgs read every brand's. Each row counts the
notices the caller may see (a regulator's row of a brand leaves out that
brand's RED and AMBER_STRICT notices), so no count tells of a hidden notice.
``trusted`` is the org's standing, like ``Org.trusted``: the operator's flag or
the policy's grant.

The good-faith policy grants ``trusted`` (a trusted notifier's listings are
delisted at filing) to a brand with at least ``GRAPH_API_TRUST_MIN_LISTINGS``
decided listing outcomes over the last 180 days and an accuracy of at least
``GRAPH_API_TRUST_MIN_ACCURACY``, and withdraws it when the brand falls below.
It is re-read whenever one of the brand's outcomes is decided, from running
per-day counts kept in a ``notifier`` record (no scan of the brand's
notices); each change is audited and kept in the record's history. Trust set
by the operator (``graph-api org add --trusted``) stands until the operator
changes it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.audit import AuditEntry
from graph_api.model import OrgType
from graph_api.workflow.enforcement import sees_notice
from graph_api.workflow.model import from_key, time_key
from graph_api.workflow.penalties import NOTICE
from graph_api.workflow.runtime import Plan, records_for, workflow_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["NOTIFIER", "count_outcomes", "is_trusted", "notifier_stats"]

NOTIFIER = "notifier"
WINDOW_DAYS = 180
DECIDED = ("UPHELD", "REVERSED")


def _day(key: str) -> str:
    return key[:10]


def _record(plan: Plan, org: str) -> dict[str, Any]:
    return plan.get(NOTIFIER, org) or {"id": org, "days": {}, "trusted": None, "history": []}


def is_trusted(services: Services, org_id: str, scope: Scope | None = None) -> bool:
    """The operator's flag, or the good-faith policy's grant (as ``scope`` reads the
    records: at its ``@asOf`` time, if any)."""
    org = services.store.org(org_id)
    if org is not None and org.trusted:
        return True
    records = workflow_for(services).records if scope is None else records_for(services, scope)
    record = records.get(NOTIFIER, org_id)
    return bool(record is not None and record.doc.get("trusted"))


def count_outcomes(plan: Plan, doc: Mapping[str, Any], moves: Iterable[tuple[str, str]],
                   at: datetime) -> None:
    """Count the brand's outcome moves (old status, new status) on the notice's filing
    day, then re-read the good-faith policy for the brand."""
    brand = doc["brand"]
    record = _record(plan, brand)
    day = record["days"].setdefault(_day(doc["filedAt"]), [0, 0])
    for old, new in moves:
        if old in DECIDED:
            day[DECIDED.index(old)] -= 1
        if new in DECIDED:
            day[DECIDED.index(new)] += 1
    cutoff = _day(time_key(at - timedelta(days=WINDOW_DAYS)))
    record["days"] = {d: c for d, c in record["days"].items() if d >= cutoff}
    _review_trust(plan, record, at)
    plan.put(NOTIFIER, brand, record, brand, ("all",))


def _review_trust(plan: Plan, record: dict[str, Any], at: datetime) -> None:
    settings = plan.services.settings
    upheld = sum(c[0] for c in record["days"].values())
    reversed_ = sum(c[1] for c in record["days"].values())
    decided = upheld + reversed_
    earned = decided >= settings.trust_min_listings and (
        upheld / decided >= settings.trust_min_accuracy)
    if bool(record.get("trusted")) == earned:
        return
    record["trusted"] = earned
    record["history"] = [*record["history"], {
        "at": time_key(at), "trusted": earned, "decided": decided, "upheld": upheld}]
    plan.audit(AuditEntry(
        at=at, principal_id="system:good-faith-policy", org_id=record["id"],
        operation=f"policy {'grant' if earned else 'withdraw'} trusted {record['id']}",
        digest=plan.services.audit_digest({"org": record["id"], "trusted": earned}),
    ))


def _median_hours(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def notifier_stats(
    services: Services, scope: Scope, org: str | None, since: datetime | None
) -> list[dict[str, Any]]:
    """One row per brand the caller may read (its own only for a brand; every brand for
    PLATFORM and REGULATOR orgs), over notices filed at or after ``since``."""
    scope.require(Action.READ)
    brands = [o for o in services.store.orgs() if o.type is OrgType.BRAND]
    if scope.org_type is OrgType.BRAND:
        brands = [o for o in brands if o.id == scope.org_id]
    if org is not None:  # another org's row, or no such org: an empty list alike
        brands = [o for o in brands if o.id == org]
    records = records_for(services, scope)
    since_key = None if since is None else time_key(since)
    rows = []
    for brand in brands:
        notices = listings = withdrawn = upheld = reversed_ = 0
        hours: list[float] = []
        after = None
        while True:
            page = records.find(NOTICE, term=f"brand:{brand.id}", after=after, limit=500)
            for record in page:
                doc = record.doc
                if (since_key is not None and doc["filedAt"] < since_key) or not sees_notice(
                        scope, doc):
                    continue
                notices += 1
                for o in doc.get("outcomes", ()):
                    listings += 1
                    upheld += o["status"] == "UPHELD"
                    reversed_ += o["status"] == "REVERSED"
                    withdrawn += o["status"] == "WITHDRAWN"
                    if o["status"] in DECIDED and o.get("decidedAt"):
                        delta = from_key(o["decidedAt"]) - from_key(doc["filedAt"])
                        hours.append(delta.total_seconds() / 3600)
            if len(page) < 500:
                break
            after = (page[-1].sort, page[-1].id)
        decided = upheld + reversed_
        rows.append({
            "org": brand.id, "since": since, "notices": notices, "listings": listings,
            "upheld": upheld, "reversed": reversed_, "withdrawn": withdrawn,
            "accuracy": upheld / decided if decided else None,
            "medianHoursToDecision": _median_hours(hours),
            "trusted": is_trusted(services, brand.id, scope),
        })
    return rows
