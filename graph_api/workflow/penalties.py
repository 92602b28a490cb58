"""Penalties, kept in one ledger per org; what an outcome does to a listing.

Nothing here is computed in a wider view than its reader's (DESIGN, "Derived
facts"). Every org that may see a notice keeps a ``Ledger`` of it: the
penalties, strikes and statuses that the notices *that org* may see give, with
the sellers and storefronts found in *that org's* view. The platform's ledger
is what the platform enforces; a brand's is what the brand can know of it.
Statuses reach a ledger's org as its own RED assertions (source NOTICE), which
no other org sees; what the marketplace shows the world goes out only by
publication (``graph_api.workflow.publication``).

A listing's outcome upheld: DELISTED and BUYER_REIMBURSEMENT (``delist``);
reversed or withdrawn: what the notice did to it lifted (``reinstate``). The
sellers' strikes and the ladder are ``graph_api.workflow.ladder``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import networkx as nx

from graph_api.access import Scope
from graph_api.analytics.walks import node_kind
from graph_api.store.scoped_view import related_by
from graph_api.workflow.model import time_key
from graph_api.workflow.runtime import Plan, effect

__all__ = [
    "LISTING_KINDS",
    "NOTICE",
    "NOTICE_AUDIENCE",
    "PENALTY",
    "Ledger",
    "active",
    "delist",
    "flush",
    "lift",
    "listing_status",
    "new_penalty",
    "owner_of",
    "penalty_terms",
    "reinstate",
    "restored",
    "sellers_behind",
    "status_in",
    "storefronts_of",
]

PENALTY = "penalty"
NOTICE = "notice"
LIVE_NOTICE = ("OPEN", "REFUTED")
LISTING_KINDS = ("DELISTED", "BUYER_REIMBURSEMENT")
NOTICE_AUDIENCE = "notice"  # the owner of penalties shared by a notice's whole audience
RESTORED_NOT = (None, "NOTIFIED", "DELISTED")  # workflow states, never restored to


@dataclass
class Ledger:
    """One org's account of the notices it may see, during one plan.

    ``scope`` is the org acting on its own view (the RED effects it alone reads);
    ``G`` is that view; ``statuses`` gathers the statuses this step gives entities,
    reported at the end as one assertion set (``flush``).
    """

    org: str
    scope: Scope
    G: nx.MultiDiGraph
    enforcing: bool = False  # the platform hosting the alliance: its ledger is what is done
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Which notices the org may see (a shared listing penalty counts where it does).
    sees: Callable[[dict[str, Any]], bool] = field(default=lambda doc: False)

    def key(self, local: str) -> str:
        """A record id in this ledger."""
        return f"{self.org}/{local}"

    def set_status(self, entity: str, kind: str, status: str) -> None:
        self.statuses[entity] = {"id": entity, "kind": kind, "status": status}


def owner_of(ledger: Ledger, kind: str) -> str:
    """Whose record a penalty of ``kind`` is: a listing's (DELISTED, BUYER_REIMBURSEMENT)
    rests on its notice alone, so it is one record the notice's audience shares
    (``NOTICE_AUDIENCE``); the rest rest on the org's view and notices: its ledger's."""
    return NOTICE_AUDIENCE if kind in LISTING_KINDS else ledger.org


def penalty_terms(doc: dict[str, Any]) -> tuple[str, ...]:
    """Few terms, each one a query needs: a ledger's penalties by subject and by notice,
    live restrictions (the expiry sweep), closures by seller."""
    org = doc["org"]
    terms = [f"subject:{org}:{doc['subject']}", f"notice:{org}:{doc['notice']}"]
    if doc.get("liftedAt") is None:
        if doc["kind"] == "RESTRICTION":
            terms.append("active:RESTRICTION")
        if doc["kind"] == "STOREFRONT_CLOSED":
            terms.append(f"closed-for:{org}:{doc['seller']}")
    return tuple(terms)


def new_penalty(
    plan: Plan, ledger: Ledger, notice_id: str, kind: str, subject: str, at: datetime,
    **extra: Any,
) -> dict[str, Any]:
    """Apply a penalty in ``ledger`` (one per notice, kind and subject: applying it again
    while it stands changes nothing; a lifted one applies anew)."""
    owner = owner_of(ledger, kind)
    penalty_id = f"{owner}/{notice_id}.{kind}.{subject}"
    found = plan.get(PENALTY, penalty_id)
    if found is not None and found.get("liftedAt") is None:
        return found
    doc: dict[str, Any] = {
        "id": penalty_id,
        "org": owner,
        "notice": notice_id,
        "kind": kind,
        "subject": subject,
        "appliedAt": time_key(at),
        "until": None,
        "liftedAt": None,
        "liftedBy": None,
        **extra,
    }
    plan.put(PENALTY, doc["id"], doc, doc["appliedAt"], penalty_terms(doc), new=found is None)
    return doc


def lift(plan: Plan, doc: dict[str, Any], at: datetime, by: str) -> None:
    doc = dict(doc, liftedAt=time_key(at), liftedBy=by)
    plan.put(PENALTY, doc["id"], doc, doc["appliedAt"], penalty_terms(doc))


def active(plan: Plan, ledger: Ledger, subject: str, kind: str | None = None
            ) -> list[dict[str, Any]]:
    """The standing penalties on ``subject`` in the ledger's account: its own, and the
    shared listing penalties of the notices its org may see."""
    own = [p for p in plan.find(PENALTY, f"subject:{ledger.org}:{subject}")
           if p.get("liftedAt") is None and (kind is None or p["kind"] == kind)]
    if kind is not None and kind not in LISTING_KINDS:
        return own
    shared = []
    for p in plan.find(PENALTY, f"subject:{NOTICE_AUDIENCE}:{subject}"):
        if p.get("liftedAt") is None and (kind is None or p["kind"] == kind):
            notice = plan.get(NOTICE, p["notice"])
            if notice is not None and ledger.sees(notice):
                shared.append(p)
    return own + shared


def listing_status(
    plan: Plan, ledger: Ledger, listing: str, restore_to: str,
    sees: Callable[[dict[str, Any]], bool],
) -> str:
    """In the ledger's account: DELISTED while one of its delistings stands, NOTIFIED
    while a notice it may see (``sees(doc)``) is live, else ``restore_to``."""
    if active(plan, ledger, listing, "DELISTED"):
        return "DELISTED"
    for notice in plan.find(NOTICE, f"listing:{listing}"):
        if notice["status"] in LIVE_NOTICE and sees(notice):
            return "NOTIFIED"
    return restore_to


def restored(before: str | None) -> str:
    """What a listing goes back to: what its org saw before, unless that was itself a
    workflow state.

    >>> restored("LIVE"), restored("NOTIFIED"), restored(None)
    ('LIVE', 'LIVE', 'LIVE')
    """
    return before if before not in RESTORED_NOT and before is not None else "LIVE"


def sellers_behind(
    G: nx.MultiDiGraph, listing: str, memo: dict[tuple[str, str], Any] | None = None
) -> list[tuple[str, str]]:
    """(seller, storefront) pairs: seller -OPERATES-> storefront -LISTS-> listing."""
    if listing not in G:
        return []
    memo = {} if memo is None else memo
    out = []
    for store, _ in related_by(G, listing, ("LISTS",), incoming=True):
        sellers = memo.get(("operators", store))
        if sellers is None:
            sellers = memo[("operators", store)] = [
                seller for seller, _ in related_by(G, store, ("OPERATES",), incoming=True)
                if node_kind(G, seller) == "SELLER"
            ]
        out += [(seller, store) for seller in sellers]
    return sorted(set(out))


def storefronts_of(G: nx.MultiDiGraph, seller: str) -> list[str]:
    if seller not in G:
        return []
    return sorted(s for s, _ in related_by(G, seller, ("OPERATES",), incoming=False)
                  if node_kind(G, s) == "STOREFRONT")


def status_in(G: nx.MultiDiGraph, node: str) -> str | None:
    status: str | None = G.nodes[node].get("status") if node in G else None
    return status


def delist(plan: Plan, ledger: Ledger, nid: str, listing: str, at: datetime,
           reimburse: bool = True) -> None:
    """The notice's outcome for ``listing`` is upheld (or a trusted notifier filed it):
    DELISTED, and BUYER_REIMBURSEMENT once upheld."""
    new_penalty(plan, ledger, nid, "DELISTED", listing, at)
    if reimburse:
        new_penalty(plan, ledger, nid, "BUYER_REIMBURSEMENT", listing, at)
    ledger.set_status(listing, "LISTING", "DELISTED")


def reinstate(
    plan: Plan, ledger: Ledger, nid: str, listing: str, at: datetime, by: str,
    restore_to: str, sees: Callable[[dict[str, Any]], bool],
) -> None:
    """The notice's outcome for ``listing`` is reversed or withdrawn: what it did to the
    listing is lifted, and the listing reads what nothing else in the ledger changes."""
    for kind in LISTING_KINDS:
        p = plan.get(PENALTY, f"{NOTICE_AUDIENCE}/{nid}.{kind}.{listing}")
        if p is not None and p.get("liftedAt") is None:
            lift(plan, p, at, by)
    ledger.set_status(listing, "LISTING", listing_status(plan, ledger, listing, restore_to, sees))


def flush(plan: Plan, ledger: Ledger, report_id: str) -> None:
    """Report the statuses gathered in ``ledger`` as its org's own RED assertions (source
    NOTICE): what the ladder gives in that org's account, read by that org alone."""
    if not ledger.statuses:
        return
    items = [ledger.statuses[k] for k in sorted(ledger.statuses)]
    raw = effect(report_id, "NOTICE", "RED", items)
    # Only a ban can raise an alert (RECIDIVISM, in this org's view): detect then only.
    banned = any(i["kind"] == "SELLER" and i["status"] == "BANNED" for i in items)
    plan.report(ledger.scope, raw, detect=banned)
    ledger.statuses = {}
