"""Penalties of upheld notices, kept in one ledger per org: the ladder over what it sees.

An upheld notice: its listings DELISTED, BUYER_REIMBURSEMENT recorded, and a
STRIKE for each seller behind them (seller -OPERATES-> storefront -LISTS->
listing). The ladder: 1 strike WARNED (WARNING), 2 RESTRICTED for 30 days
(RESTRICTION, ``until``), 3 BANNED (BAN: every storefront CLOSED,
DEPOSIT_FORFEITED).

Nothing here is computed in a wider view than its reader's (DESIGN, "Derived
facts"). Every org that may see a notice keeps a ``Ledger`` of it: the
penalties, strikes and statuses that the ladder gives over the notices *that
org* may see, with the sellers and storefronts found in *that org's* view. The
platform's ledger is what the platform enforces; a brand's is what the brand
can know of it. Statuses reach a ledger's org as its own RED assertions (source
NOTICE), which no other org sees; what the marketplace shows the world goes
out only by publication (``graph_api.workflow.publication``).

Reversing a notice lifts, in each ledger, the penalties it caused (its
delistings, reimbursements and strikes), recomputes each seller's level from
the strikes left, and lifts every ladder penalty above that level (a lifted
ban reopens the storefronts it closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import networkx as nx

from graph_api.access import Scope
from graph_api.analytics._walk import node_kind
from graph_api.workflow.model import time_key
from graph_api.workflow.runtime import Plan, effect

__all__ = [
    "LADDER",
    "NOTICE",
    "PENALTY",
    "RESTRICTION_DAYS",
    "SELLER",
    "Ledger",
    "apply_uphold",
    "end_restriction",
    "lift_notice",
    "listing_status",
    "new_penalty",
    "penalty_terms",
    "restored",
]

PENALTY = "penalty"
SELLER = "seller"
NOTICE = "notice"
RESTRICTION_DAYS = 30
LADDER = ("WARNED", "RESTRICTED", "BANNED")
LEVEL_PENALTY = {"WARNED": "WARNING", "RESTRICTED": "RESTRICTION", "BANNED": "BAN"}
LIVE_NOTICE = ("OPEN", "REFUTED")
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

    def key(self, local: str) -> str:
        """A record id in this ledger."""
        return f"{self.org}/{local}"

    def set_status(self, entity: str, kind: str, status: str) -> None:
        self.statuses[entity] = {"id": entity, "kind": kind, "status": status}


def level_of(strikes: int) -> str | None:
    """The ladder status for a number of strikes.

    >>> [level_of(n) for n in range(5)]
    [None, 'WARNED', 'RESTRICTED', 'BANNED', 'BANNED']
    """
    return None if strikes <= 0 else LADDER[min(strikes, 3) - 1]


def _rank(status: str | None) -> int:
    return 0 if status not in LADDER else LADDER.index(status) + 1


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
    doc: dict[str, Any] = {
        "id": ledger.key(f"{notice_id}.{kind}.{subject}"),
        "org": ledger.org,
        "notice": notice_id,
        "kind": kind,
        "subject": subject,
        "appliedAt": time_key(at),
        "until": None,
        "liftedAt": None,
        "liftedBy": None,
        **extra,
    }
    plan.put(PENALTY, doc["id"], doc, doc["appliedAt"], penalty_terms(doc), new=True)
    return doc


def _lift(plan: Plan, doc: dict[str, Any], at: datetime, by: str) -> None:
    doc = dict(doc, liftedAt=time_key(at), liftedBy=by)
    plan.put(PENALTY, doc["id"], doc, doc["appliedAt"], penalty_terms(doc))


def _active(plan: Plan, ledger: Ledger, subject: str, kind: str | None = None
            ) -> list[dict[str, Any]]:
    return [
        p for p in plan.find(PENALTY, f"subject:{ledger.org}:{subject}")
        if p.get("liftedAt") is None and (kind is None or p["kind"] == kind)
    ]


def listing_status(
    plan: Plan, ledger: Ledger, listing: str, restore_to: str,
    sees: Callable[[dict[str, Any]], bool],
) -> str:
    """In the ledger's account: DELISTED while one of its delistings stands, NOTIFIED
    while a notice it may see (``sees(doc)``) is live, else ``restore_to``."""
    if _active(plan, ledger, listing, "DELISTED"):
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
    for store, keys in G.pred[listing].items():
        if "LISTS" not in keys:
            continue
        sellers = memo.get(("operators", store))
        if sellers is None:
            sellers = memo[("operators", store)] = [
                seller for seller, keys2 in G.pred[store].items()
                if "OPERATES" in keys2 and node_kind(G, seller) == "SELLER"
            ]
        out += [(seller, store) for seller in sellers]
    return sorted(set(out))


def storefronts_of(G: nx.MultiDiGraph, seller: str) -> list[str]:
    if seller not in G:
        return []
    return sorted(
        s for s, keys in G.succ[seller].items()
        if "OPERATES" in keys and node_kind(G, s) == "STOREFRONT"
    )


def status_in(G: nx.MultiDiGraph, node: str) -> str | None:
    status: str | None = G.nodes[node].get("status") if node in G else None
    return status


def _seller_doc(plan: Plan, ledger: Ledger, seller: str) -> dict[str, Any]:
    doc = plan.get(SELLER, ledger.key(seller))
    if doc is None:
        base = status_in(ledger.G, seller)
        doc = {"id": ledger.key(seller), "org": ledger.org, "seller": seller, "strikes": [],
               "base": base if _rank(base) == 0 else "ACTIVE", "status": None}
    return doc


def _put_seller(plan: Plan, doc: dict[str, Any]) -> None:
    plan.put(SELLER, doc["id"], doc, doc["id"], (f"status:{doc['status']}",))


def apply_uphold(plan: Plan, ledger: Ledger, notice: dict[str, Any], at: datetime) -> None:
    """Plan, in ``ledger``, the penalties of an upheld notice."""
    nid = notice["id"]
    for listing in notice["listings"]:
        if not notice.get("trusted") or not any(
            p["notice"] == nid for p in _active(plan, ledger, listing, "DELISTED")
        ):
            new_penalty(plan, ledger, nid, "DELISTED", listing, at)
        new_penalty(plan, ledger, nid, "BUYER_REIMBURSEMENT", listing, at)
        ledger.set_status(listing, "LISTING", "DELISTED")
    memo: dict[tuple[str, str], Any] = plan.memo.setdefault(("operators", ledger.org), {})
    sellers = sorted({s for listing in notice["listings"]
                      for s, _ in sellers_behind(ledger.G, listing, memo)})
    for seller in sellers:
        doc = _seller_doc(plan, ledger, seller)
        if nid in doc["strikes"]:
            continue
        doc["strikes"] = [*doc["strikes"], nid]
        new_penalty(plan, ledger, nid, "STRIKE", seller, at, strike=len(doc["strikes"]))
        old, new = level_of(len(doc["strikes"]) - 1), level_of(len(doc["strikes"]))
        doc["status"] = new
        _put_seller(plan, doc)
        if new == old or new is None:
            continue
        until = at + timedelta(days=RESTRICTION_DAYS) if new == "RESTRICTED" else None
        new_penalty(plan, ledger, nid, LEVEL_PENALTY[new], seller, at,
                    until=None if until is None else time_key(until), level=new)
        ledger.set_status(seller, "SELLER", new)
        if new == "BANNED":
            _ban(plan, ledger, nid, seller, at)


def _ban(plan: Plan, ledger: Ledger, nid: str, seller: str, at: datetime) -> None:
    new_penalty(plan, ledger, nid, "DEPOSIT_FORFEITED", seller, at, level="BANNED")
    for store in storefronts_of(ledger.G, seller):
        previous = status_in(ledger.G, store)
        if previous == "CLOSED":
            continue
        new_penalty(plan, ledger, nid, "STOREFRONT_CLOSED", store, at, level="BANNED",
                    seller=seller, previous=previous)
        ledger.set_status(store, "STOREFRONT", "CLOSED")


def lift_notice(
    plan: Plan, ledger: Ledger, notice: dict[str, Any], at: datetime, label: str,
    restore_to: dict[str, str], sees: Callable[[dict[str, Any]], bool],
) -> None:
    """Plan lifting, in ``ledger``, everything ``notice`` caused; ``label`` names the step
    (reversed, withdrawn); ``restore_to`` holds what each listing goes back to when
    nothing else in the ledger holds it."""
    nid = notice["id"]
    by = f"notice {nid} {label}"
    caused = [p for p in plan.find(PENALTY, f"notice:{ledger.org}:{nid}")
              if p.get("liftedAt") is None]
    struck = []
    for p in caused:
        if p["kind"] in ("DELISTED", "BUYER_REIMBURSEMENT", "STRIKE"):
            _lift(plan, p, at, by)
        if p["kind"] == "STRIKE":
            struck.append(p["subject"])
    for listing in notice["listings"]:
        ledger.set_status(listing, "LISTING",
                          listing_status(plan, ledger, listing, restore_to[listing], sees))
    for seller in sorted(set(struck)):
        doc = _seller_doc(plan, ledger, seller)
        was = level_of(len(doc["strikes"]))
        doc["strikes"] = [s for s in doc["strikes"] if s != nid]
        now_level = level_of(len(doc["strikes"]))
        doc["status"] = now_level
        _put_seller(plan, doc)
        if now_level == was:
            continue
        for p in _active(plan, ledger, seller):
            if _rank(p.get("level")) > _rank(now_level):
                _lift(plan, p, at, by)
        if was == "BANNED":
            for p in plan.find(PENALTY, f"closed-for:{ledger.org}:{seller}"):
                _lift(plan, p, at, by)
                ledger.set_status(p["subject"], "STOREFRONT", p.get("previous") or "OPEN")
        ledger.set_status(seller, "SELLER", now_level or doc["base"])


def end_restriction(plan: Plan, ledger: Ledger, penalty: dict[str, Any]) -> None:
    """Plan the end of a RESTRICTION whose 30 days are served: the penalty lifted at its
    ``until``, the seller back to WARNED in that ledger (two strikes stand: the next
    one bans)."""
    at = datetime.fromisoformat(penalty["until"].replace("Z", "+00:00"))
    _lift(plan, penalty, at, "restriction served")
    seller = plan.get(SELLER, ledger.key(penalty["subject"]))
    if seller is None or seller["status"] != "RESTRICTED":
        return
    seller["status"] = "WARNED"
    _put_seller(plan, seller)
    ledger.set_status(penalty["subject"], "SELLER", "WARNED")


def flush(plan: Plan, ledger: Ledger, report_id: str) -> None:
    """Report the statuses gathered in ``ledger`` as its org's own RED assertions (source
    NOTICE): what the ladder gives in that org's account, read by that org alone."""
    if not ledger.statuses:
        return
    raw = effect(report_id, "NOTICE", "RED", [ledger.statuses[k] for k in sorted(ledger.statuses)])
    plan.report(ledger.scope, raw, detect=True)
    ledger.statuses = {}
