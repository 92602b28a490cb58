"""What a notice's steps do, in the ledger of every org that may see the notice.

Each step of a notice (filed, upheld, reversed or withdrawn, a restriction
served) is applied once per org of the notice's audience (``audience``: the
filing brand, PLATFORM orgs, and whoever its marking admits), each in a
``Ledger`` over that org's own view. The platform's ledger is what the
platform enforces; its public consequences go out by the publication policy
(``graph_api.workflow.publication``). Adding or removing what an org may not
see therefore changes nothing in that org's ledger (DESIGN, "Derived facts").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph_api.access import Scope
from graph_api.model import Org, OrgType, RelationKind
from graph_api.workflow import ladder
from graph_api.workflow import penalties as ladder_penalties
from graph_api.workflow.model import sees_record
from graph_api.workflow.penalties import PENALTY, Ledger
from graph_api.workflow.publication import follow_policy, published_since, severity, standing
from graph_api.workflow.runtime import Plan, acting_scope

__all__ = [
    "appeal_in_ledgers",
    "apply_outcomes",
    "audience",
    "file_in_ledgers",
    "sees_notice",
    "serve_restriction",
]

# A ledger reads the sellers behind a notice's listings and their storefronts:
# listing <-LISTS- storefront <-OPERATES- seller -OPERATES-> storefront.
LEDGER_KINDS = frozenset({RelationKind.LISTS, RelationKind.OPERATES})
LEDGER_HOPS = 3


def sees_notice(scope: Scope, doc: dict[str, Any]) -> bool:
    """The filing brand, every PLATFORM org (the addressee), and whoever the marking admits."""
    if scope.org_type is OrgType.PLATFORM:
        return True
    return sees_record(scope, doc["brand"], doc["marking"])


def audience(plan: Plan, doc: dict[str, Any]) -> list[Org]:
    """The orgs that may see the notice ``doc``, by id."""
    return [org for org in plan.services.store.orgs()
            if sees_notice(acting_scope(org.id, org.type), doc)]


def _ledger_of(plan: Plan, org: Org, seeds: list[str], enforcing: bool) -> Ledger:
    """``org``'s ledger over its view around ``seeds`` (listings or sellers): enough for
    the sellers behind a listing and a seller's storefronts."""
    scope = acting_scope(org.id, org.type, "workflow")
    G = plan.services.store.view(scope, seeds=seeds, hops=LEDGER_HOPS, kinds=LEDGER_KINDS)
    return Ledger(org.id, scope, G, enforcing=enforcing,
                  sees=lambda doc: sees_notice(scope, doc))


def _ledgers(plan: Plan, doc: dict[str, Any]) -> list[Ledger]:
    out = [_ledger_of(plan, org, list(doc["listings"]), org.id == doc["platform"])
           for org in audience(plan, doc)]
    return sorted(out, key=lambda ledger: not ledger.enforcing)  # the platform's first


def _finish(plan: Plan, ledgers: list[Ledger], report_id: str, at: datetime, cause: str,
            published: bool = False) -> None:
    """Publish what the enforcing ledger did (policy; unless ``published`` already), then
    tell each org its own statuses, none milder than the public state standing."""
    for ledger in ledgers:
        if ledger.enforcing and not published:
            _publish(plan, ledger, at, cause)
    for ledger in ledgers:
        if not ledger.enforcing:
            _no_milder_than_public(plan, ledger)
        _left_to_publication(plan, ledger)
        ladder_penalties.flush(plan, ledger, report_id)


def _publish(plan: Plan, ledger: Ledger, at: datetime, cause: str) -> None:
    follow_policy(plan, ledger.scope, plan.services.settings.publish,
                  list(ledger.statuses.values()), at, cause)


def _no_milder_than_public(plan: Plan, ledger: Ledger) -> None:
    """A status the org's ledger gives, raised to the public state where that is
    graver (the marketplace shows a ban the org's own notices do not explain)."""
    for item in ledger.statuses.values():
        state = standing(plan, item["id"])
        kind = item["kind"]
        if state is not None and severity(kind, state["status"]) > severity(kind, item["status"]):
            item["status"] = state["status"]


def _left_to_publication(plan: Plan, ledger: Ledger) -> None:
    """Drop the statuses this very step has just published (the org reads the CLEAR
    publication, newer than any status of its own): a 300-listing notice's DELISTED is
    one public report, not one more per ledger."""
    for entity, item in list(ledger.statuses.items()):
        if plan.memo.get(("published", entity)) == item["status"]:
            del ledger.statuses[entity]


def file_in_ledgers(plan: Plan, doc: dict[str, Any], at: datetime) -> None:
    """A new notice: each org's view of its listings before it (``prior``, for a later
    reversal), then NOTIFIED, or DELISTED at once from a trusted notifier."""
    ledgers = _ledgers(plan, doc)
    doc["prior"] = {}
    for ledger in ledgers:
        seen = plan.services.store.entities_by_id(ledger.scope, list(doc["listings"]))
        doc["prior"][ledger.org] = {
            lid: seen[lid].status if lid in seen else None for lid in doc["listings"]
        }
        for lid in doc["listings"]:
            if doc["trusted"]:
                ladder_penalties.delist(plan, ledger, doc["id"], lid, at, reimburse=False)
            else:
                ledger.set_status(lid, "LISTING", ladder_penalties.listing_status(
                    plan, ledger, lid, "LIVE", ledger.sees))
    _finish(plan, ledgers, f"notice-{doc['id']}-filed", at, doc["id"])


def apply_outcomes(plan: Plan, doc: dict[str, Any], at: datetime, changed: dict[str, str],
                   step: str) -> None:
    """What a step's outcome changes (``changed``: listing -> new status) do in each
    ledger: an upheld listing delisted; a reversed or withdrawn one reinstated (back, in
    the platform's ledger, to what the platform saw before the notice, which the policy
    publishes; in another org's, to what the platform has published of it since the
    notice was filed, else to what that org saw before); and, once the notice is UPHELD
    (or was), one strike for each seller behind its upheld listings."""
    nid = doc["id"]
    by = f"notice {nid} {step}"
    penalised = [o["listing"] for o in doc["outcomes"] if o.get("penalised")]
    ledgers = _ledgers(plan, doc)
    for ledger in ledgers:
        prior = doc.get("prior", {}).get(ledger.org, {})
        plan.prefetch(PENALTY, [f"{ladder_penalties.NOTICE_AUDIENCE}/{nid}.{kind}.{lid}"
                                for lid in changed for kind in ladder_penalties.LISTING_KINDS])
        for lid, status in sorted(changed.items()):
            if status == "UPHELD":
                ladder_penalties.delist(plan, ledger, nid, lid, at)
            elif status in ("REVERSED", "WITHDRAWN"):
                public = None if ledger.enforcing else published_since(plan, lid, doc["filedAt"])
                restore_to = public or ladder_penalties.restored(prior.get(lid))
                ladder_penalties.reinstate(plan, ledger, nid, lid, at, by, restore_to,
                                           ledger.sees)
        if doc["struck"]:
            ladder.settle_strikes(plan, ledger, doc, penalised, at, by)
        if ledger.enforcing:  # first, so the other ledgers read what it publishes
            _publish(plan, ledger, at, nid)
    _finish(plan, ledgers, f"notice-{nid}-{step}", at, nid, published=True)


def serve_restriction(plan: Plan, penalty: dict[str, Any], orgs: dict[str, Org],
                      platform: str | None) -> None:
    """End a RESTRICTION whose 30 days are served, in the ledger that holds it."""
    org = orgs.get(penalty["org"])
    if org is None:
        return
    ledger = _ledger_of(plan, org, [penalty["subject"]], org.id == platform)
    ladder.end_restriction(plan, ledger, penalty)
    at = datetime.fromisoformat(penalty["until"].replace("Z", "+00:00"))
    _finish(plan, [ledger], f"restriction-{penalty['id'].split('/', 1)[1]}-served", at,
            penalty["notice"])


def appeal_in_ledgers(plan: Plan, notice: dict[str, Any], local_id: str, at: datetime,
                      by: str) -> None:
    """An upheld appeal against the penalty ``local_id`` (``notice.KIND.subject``): lifted,
    with all that rested on it, in every ledger that holds it."""
    ledgers = _ledgers(plan, notice)
    for ledger in ledgers:
        penalty = plan.get(PENALTY, ledger.key(local_id))
        if penalty is not None:
            ladder.lift_step(plan, ledger, penalty, at, by)
        if ledger.enforcing:
            _publish(plan, ledger, at, notice["id"])
    _finish(plan, ledgers, f"appeal-{local_id}", at, notice["id"], published=True)
