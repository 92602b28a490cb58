"""Publication: the one way a workflow fact reaches a wider audience than its inputs.

The platform enforces on everything it may see; the marketplace shows the
world only *public states*: a listing DELISTED or LIVE, a storefront CLOSED or
OPEN, a seller BANNED (or ACTIVE again). Each is published as a CLEAR
assertion of the platform carrying the entity's id, kind and status and the
time (the report's), nothing else: no name, property, relation or reason
learnt under a narrower marking. A publication is an explicit act, audited
with the operation that made it: a reviewer's ``publish``, or the platform's
published policy (setting ``GRAPH_API_PUBLISH``: ``bans``, ``delistings``,
``closures``, or ``none``; default ``bans,delistings``) applied to what the
platform's own ledger does, recorded with the policy as the actor.

Records: one ``publication`` document per act (its id, entity, kind, status,
time, actor, reason, cause), and one ``publicstate`` document per entity (the
standing public state), which ``nameAndShame`` reads.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graph_api.access import Action, Scope
from graph_api.errors import BadUserInput, Forbidden, NotFound
from graph_api.model import OrgType
from graph_api.workflow.model import time_key
from graph_api.workflow.runtime import Plan, effect, records_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "POLICY_STATES",
    "PUBLICATION",
    "PUBLIC_STATE",
    "PUBLIC_STATES",
    "follow_policy",
    "list_publications",
    "published_bans",
    "publish",
    "published_since",
    "severity",
    "standing",
]

PUBLICATION = "publication"
PUBLIC_STATE = "publicstate"
PUBLIC_STATES: dict[str, tuple[str, ...]] = {
    "LISTING": ("DELISTED", "LIVE"),
    "STOREFRONT": ("CLOSED", "OPEN"),
    "SELLER": ("BANNED", "ACTIVE"),
}
# How grave each status is, per kind: an org is never shown a status milder than the
# public state (``severity``).
GRAVITY = {
    "LISTING": ("LIVE", "NOTIFIED", "DELISTED"),
    "STOREFRONT": ("OPEN", "RESTRICTED", "CLOSED"),
    "SELLER": ("ACTIVE", "WARNED", "RESTRICTED", "BANNED"),
}
# Which policy word publishes which kind's states (both directions: a published
# state that no longer holds is corrected by the same policy).
POLICY_STATES = {"delistings": "LISTING", "closures": "STOREFRONT", "bans": "SELLER"}


def _public_status(kind: str, status: str) -> str:
    """The public state a workflow status shows as (NOTIFIED is still LIVE on the
    marketplace; every ladder status short of a ban leaves a seller ACTIVE).

    >>> _public_status("LISTING", "NOTIFIED"), _public_status("SELLER", "RESTRICTED")
    ('LIVE', 'ACTIVE')
    """
    if status in PUBLIC_STATES[kind]:
        return status
    return PUBLIC_STATES[kind][1]


def severity(kind: str, status: str | None) -> int:
    """How grave a status is among its kind's workflow statuses (0 for anything else).

    >>> severity("SELLER", "BANNED") > severity("SELLER", "WARNED") > severity("SELLER", None)
    True
    """
    order = GRAVITY.get(kind, ())
    return order.index(status) if status in order else 0


def publication_id(entity: str, status: str, at: datetime) -> str:
    """Stable for the same act: the same entity, status and time."""
    digest = hashlib.sha256(f"{entity}\x1f{status}\x1f{time_key(at)}".encode()).hexdigest()
    return f"pub-{digest[:20]}"


def standing(plan: Plan, entity: str) -> dict[str, Any] | None:
    """The entity's standing public state (its last publication), or None."""
    return plan.get(PUBLIC_STATE, entity)


def published_since(plan: Plan, entity: str, since: str) -> str | None:
    """The status last published for ``entity`` at or after the time key ``since``."""
    state = standing(plan, entity)
    if state is None or state["publishedAt"] < since:
        return None
    status: str = state["status"]
    return status


def plan_publication(
    plan: Plan, platform: Scope, entity: str, kind: str, status: str, at: datetime,
    by: str, reason: str | None, cause: str | None, report: bool = True,
) -> dict[str, Any]:
    """Plan one publication: its record, the entity's public state, and (``report``) the
    CLEAR report; a policy step reports all its publications in one (``follow_policy``)."""
    pub_id, at_key = publication_id(entity, status, at), time_key(at)
    doc = {"id": pub_id, "entity": entity, "kind": kind, "status": status,
           "publishedAt": at_key, "org": platform.org_id, "by": by, "reason": reason,
           "cause": cause}
    plan.put(PUBLICATION, pub_id, doc, at_key, ("all", f"entity:{entity}"), new=True)
    state = {"id": entity, "entity": entity, "kind": kind, "status": status,
             "publishedAt": at_key, "publication": pub_id}
    plan.put(PUBLIC_STATE, entity, state, at_key, (f"status:{status}",))
    plan.memo[("published", entity)] = status  # this step's: newer than any ledger's status
    if report:
        _report(plan, platform, f"publication-{pub_id}", [doc])
    return doc


def _report(plan: Plan, platform: Scope, report_id: str, docs: list[dict[str, Any]]) -> None:
    """The CLEAR assertions of publications: id, kind and status only."""
    entities = [{"id": d["entity"], "kind": d["kind"], "status": d["status"]} for d in docs]
    banned = any(d["status"] == "BANNED" for d in docs)  # only a ban raises an alert
    plan.report(platform, effect(report_id, "PLATFORM_DATA", "CLEAR", entities), detect=banned)


def follow_policy(
    plan: Plan, platform: Scope, policy: frozenset[str], statuses: list[dict[str, Any]],
    at: datetime, cause: str,
) -> None:
    """Publish what the platform's ledger just did, as far as ``policy`` says: each
    status of a published kind whose public state differs from the standing one (an
    entity never published is published only when it leaves its everyday state)."""
    kinds = {POLICY_STATES[word] for word in policy if word in POLICY_STATES}
    statuses = [item for item in statuses if item["kind"] in kinds]
    plan.prefetch(PUBLIC_STATE, [item["id"] for item in statuses])
    made = []
    for item in statuses:
        kind = item["kind"]
        if kind not in kinds:
            continue
        public = _public_status(kind, item["status"])
        state = standing(plan, item["id"])
        if state is None and public == PUBLIC_STATES[kind][1]:
            continue  # nothing was published that this would correct
        if state is not None and state["status"] == public:
            continue
        made.append(plan_publication(plan, platform, item["id"], kind, public, at, "policy",
                                     None, cause, report=False))
    if made:  # one report for the step's publications (a 300-listing notice: one, not 300)
        digest = hashlib.sha256("\x1f".join(d["id"] for d in made).encode()).hexdigest()
        _report(plan, platform, f"publications-{digest[:20]}", made)


def publish(
    services: Services, scope: Scope, entity: str, status: str, reason: str | None
) -> dict[str, Any]:
    """A platform reviewer publishes an entity's public state (the reviewer's own act)."""
    scope.require(Action.REVIEW)
    if scope.org_type is not OrgType.PLATFORM:
        raise Forbidden("only the platform publishes")
    found = services.store.entities_by_id(scope, [entity]).get(entity)
    if found is None:
        raise NotFound(f"no entity {entity!r}", field="entity")
    kind = found.kind.value
    allowed = PUBLIC_STATES.get(kind)
    if allowed is None:
        raise BadUserInput(f"entity: a {kind} has no public state", field="entity")
    if status not in allowed:
        raise BadUserInput(f"status: a {kind} is published as {' or '.join(allowed)}",
                           field="status")
    if reason is not None and len(reason) > 10_000:
        raise BadUserInput("reason is longer than 10000 characters", field="reason")
    plan = Plan(services)
    state = standing(plan, entity)
    if state is not None and state["status"] == status:  # already the public state
        earlier = plan.get(PUBLICATION, state["publication"])
        if earlier is not None:
            return earlier
    doc = plan_publication(plan, scope, entity, kind, status, services.clock(),
                           scope.principal_id, reason, None)
    plan.commit()
    return doc


def list_publications(services: Services, scope: Scope, first: int) -> list[dict[str, Any]]:
    """The newest ``first`` publications (public: every caller reads them; as of the time
    ``scope`` reads, if any)."""
    records = records_for(services, scope)
    return [r.doc for r in records.find(PUBLICATION, term="all", limit=first, descending=True)]


def published_bans(services: Services, scope: Scope, first: int) -> list[str]:
    """Sellers whose standing public state is BANNED, newest first (as ``scope`` reads)."""
    records = records_for(services, scope)
    found = records.find(PUBLIC_STATE, term="status:BANNED", limit=first, descending=True)
    return [r.doc["entity"] for r in found]
