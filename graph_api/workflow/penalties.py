"""Penalties of an upheld notice, the strike ladder, and lifting them on reversal.

An upheld notice: its listings DELISTED, BUYER_REIMBURSEMENT recorded, and a
STRIKE for each seller behind them (seller -OPERATES-> storefront -LISTS->
listing, in the platform's view). The ladder: 1 strike WARNED (WARNING),
2 RESTRICTED for 30 days (RESTRICTION, ``until``), 3 BANNED (BAN: every
storefront CLOSED, DEPOSIT_FORFEITED, named and shamed).

Reversing a notice lifts the penalties it caused (its delistings, its
reimbursements, its strikes), recomputes each seller's level from the
strikes left, and lifts every ladder penalty above that level (a ban lifted
reopens the storefronts it closed). Each change is a report: the ban and its
lifting are CLEAR (name-and-shame is public), the rest AMBER shared with the
filing brand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import networkx as nx

from graph_api.access import Scope
from graph_api.analytics._walk import node_kind
from graph_api.workflow.model import time_key
from graph_api.workflow.runtime import Plan, effect, effect_marking

__all__ = [
    "LADDER",
    "PENALTY",
    "RESTRICTION_DAYS",
    "SELLER",
    "apply_uphold",
    "end_restriction",
    "lift_notice",
    "listing_status",
    "new_penalty",
    "penalty_terms",
]

PENALTY = "penalty"
SELLER = "seller"
NOTICE = "notice"
RESTRICTION_DAYS = 30
LADDER = ("WARNED", "RESTRICTED", "BANNED")
LEVEL_PENALTY = {"WARNED": "WARNING", "RESTRICTED": "RESTRICTION", "BANNED": "BAN"}
BAN_CONSEQUENCES = ("STOREFRONT_CLOSED", "DEPOSIT_FORFEITED")
LIVE_NOTICE = ("OPEN", "REFUTED")


def level_of(strikes: int) -> str | None:
    """The ladder status for a number of strikes.

    >>> [level_of(n) for n in range(5)]
    [None, 'WARNED', 'RESTRICTED', 'BANNED', 'BANNED']
    """
    return None if strikes <= 0 else LADDER[min(strikes, 3) - 1]


def _rank(status: str | None) -> int:
    return 0 if status not in LADDER else LADDER.index(status) + 1


def penalty_terms(doc: dict[str, Any]) -> tuple[str, ...]:
    """Few terms, each one a query needs: by subject, live bans, closures by seller.

    A notice's own penalties are listed in its document (``penalties``)."""
    terms = [f"subject:{doc['subject']}"]
    if doc.get("liftedAt") is None:
        if doc["kind"] == "BAN":
            terms.append("active:BAN")
        if doc["kind"] == "RESTRICTION":
            terms.append("active:RESTRICTION")
        if doc["kind"] == "STOREFRONT_CLOSED":
            terms.append(f"closed-for:{doc['seller']}")
    return tuple(terms)


def new_penalty(
    plan: Plan, notice_id: str, kind: str, subject: str, at: datetime, **extra: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": f"{notice_id}.{kind}.{subject}",
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


def _active(plan: Plan, subject: str, kind: str | None = None) -> list[dict[str, Any]]:
    return [
        p for p in plan.find(PENALTY, f"subject:{subject}")
        if p.get("liftedAt") is None and (kind is None or p["kind"] == kind)
    ]


def listing_status(plan: Plan, listing: str, prior: str | None) -> str:
    """DELISTED while a delisting stands, NOTIFIED while a notice is live, else as before."""
    if _active(plan, listing, "DELISTED"):
        return "DELISTED"
    for notice in plan.find(NOTICE, f"listing:{listing}"):
        if notice["status"] in LIVE_NOTICE:
            return "NOTIFIED"
    return prior if prior not in (None, "NOTIFIED", "DELISTED") else "LIVE"


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


def _status(G: nx.MultiDiGraph, node: str) -> str | None:
    return G.nodes[node].get("status") if node in G else None


def _seller_doc(plan: Plan, G: nx.MultiDiGraph, seller: str) -> dict[str, Any]:
    doc = plan.get(SELLER, seller)
    if doc is None:
        base = _status(G, seller)
        doc = {"id": seller, "strikes": [], "base": base if _rank(base) == 0 else "ACTIVE",
               "status": None, "name": None}
    return doc


def _put_seller(plan: Plan, doc: dict[str, Any]) -> None:
    plan.put(SELLER, doc["id"], doc, doc["id"], (f"status:{doc['status']}",))


def apply_uphold(
    plan: Plan, actor: Scope, notice: dict[str, Any], G: nx.MultiDiGraph, at: datetime
) -> list[str]:
    """Plan the penalties of an upheld notice; returns the new penalty ids."""
    nid, brand = notice["id"], notice["brand"]
    ids: list[str] = []
    amber: dict[str, dict[str, Any]] = {}
    for listing in notice["listings"]:
        if not notice.get("trusted") or not any(
            p["notice"] == nid for p in _active(plan, listing, "DELISTED")
        ):
            ids.append(new_penalty(plan, nid, "DELISTED", listing, at)["id"])
        ids.append(new_penalty(plan, nid, "BUYER_REIMBURSEMENT", listing, at)["id"])
        amber[listing] = {"id": listing, "kind": "LISTING", "status": "DELISTED"}
    sellers = sorted({s for listing in notice["listings"]
                      for s, _ in sellers_behind(G, listing, plan.memo)})
    for seller in sellers:
        doc = _seller_doc(plan, G, seller)
        if nid in doc["strikes"]:
            continue
        doc["strikes"] = [*doc["strikes"], nid]
        ids.append(new_penalty(plan, nid, "STRIKE", seller, at, strike=len(doc["strikes"]))["id"])
        old, new = level_of(len(doc["strikes"]) - 1), level_of(len(doc["strikes"]))
        doc["status"] = new
        _put_seller(plan, doc)
        if new == old or new is None:
            continue
        until = at + timedelta(days=RESTRICTION_DAYS) if new == "RESTRICTED" else None
        ids.append(new_penalty(
            plan, nid, LEVEL_PENALTY[new], seller, at,
            until=None if until is None else time_key(until), level=new,
        )["id"])
        if new != "BANNED":
            amber[seller] = {"id": seller, "kind": "SELLER", "status": new}
            continue
        ids.append(new_penalty(plan, nid, "DEPOSIT_FORFEITED", seller, at, level=new)["id"])
        for store in storefronts_of(G, seller):
            previous = _status(G, store)
            if previous == "CLOSED":
                continue
            ids.append(new_penalty(
                plan, nid, "STOREFRONT_CLOSED", store, at, level=new, seller=seller,
                previous=previous,
            )["id"])
            amber[store] = {"id": store, "kind": "STOREFRONT", "status": "CLOSED"}
        name = G.nodes[seller].get("name") if seller in G else None
        public = {"id": seller, "kind": "SELLER", "status": "BANNED",
                  "properties": {"bannedFor": "counterfeiting"}}
        if name:
            public["name"] = name
        plan.report(actor, effect(f"notice-{nid}-ban-{seller}", "NOTICE", "CLEAR", [public]),
                    detect=True)
    if amber:
        plan.report(actor, effect(f"notice-{nid}-upheld", "NOTICE",
                                  effect_marking(notice["marking"]), list(amber.values()),
                                  shared_with=[brand]))
    return ids


def lift_notice(
    plan: Plan, actor: Scope, notice: dict[str, Any], G: nx.MultiDiGraph, at: datetime,
    label: str,
) -> None:
    """Plan lifting everything ``notice`` caused; ``label`` names the step (reversed, ...)."""
    nid, brand = notice["id"], notice["brand"]
    by = f"notice {nid} {label}"
    amber: dict[str, dict[str, Any]] = {}
    public: list[dict[str, Any]] = []
    caused = [p for p in plan.get_many(PENALTY, notice.get("penalties", []))
              if p.get("liftedAt") is None]
    struck = []
    for p in caused:
        if p["kind"] in ("DELISTED", "BUYER_REIMBURSEMENT", "STRIKE"):
            _lift(plan, p, at, by)
        if p["kind"] == "STRIKE":
            struck.append(p["subject"])
    for listing in notice["listings"]:
        prior = notice.get("prior", {}).get(listing)
        amber[listing] = {"id": listing, "kind": "LISTING",
                          "status": listing_status(plan, listing, prior)}
    for seller in sorted(set(struck)):
        doc = _seller_doc(plan, G, seller)
        was = level_of(len(doc["strikes"]))
        doc["strikes"] = [s for s in doc["strikes"] if s != nid]
        now_level = level_of(len(doc["strikes"]))
        doc["status"] = now_level
        _put_seller(plan, doc)
        if now_level == was:
            continue
        for p in _active(plan, seller):
            if _rank(p.get("level")) > _rank(now_level):
                _lift(plan, p, at, by)
        restored = now_level or doc["base"]
        if was == "BANNED":
            for p in plan.find(PENALTY, f"closed-for:{seller}"):
                _lift(plan, p, at, by)
                amber[p["subject"]] = {"id": p["subject"], "kind": "STOREFRONT",
                                       "status": p.get("previous") or "OPEN"}
            public.append({"id": seller, "kind": "SELLER", "status": restored})
        else:
            amber[seller] = {"id": seller, "kind": "SELLER", "status": restored}
    if public:
        plan.report(actor, effect(f"notice-{nid}-{label}-public", "NOTICE", "CLEAR", public))
    plan.report(actor, effect(f"notice-{nid}-{label}", "NOTICE",
                              effect_marking(notice["marking"]), list(amber.values()),
                              shared_with=[brand]))


def end_restriction(plan: Plan, actor: Scope, penalty: dict[str, Any]) -> None:
    """Plan the end of a RESTRICTION whose 30 days are served: the penalty lifted at its
    ``until``, the seller back to WARNED (two strikes stand: the next one bans), told
    to the audience of the notice that restricted it."""
    at = datetime.fromisoformat(penalty["until"].replace("Z", "+00:00"))
    _lift(plan, penalty, at, "restriction served")
    seller = plan.get(SELLER, penalty["subject"])
    if seller is None or seller["status"] != "RESTRICTED":
        return
    seller["status"] = "WARNED"
    _put_seller(plan, seller)
    notice = plan.get(NOTICE, penalty["notice"]) or {}
    plan.report(actor, effect(
        f"restriction-{penalty['id']}-served", "NOTICE",
        effect_marking(notice.get("marking", "AMBER")),
        [{"id": seller["id"], "kind": "SELLER", "status": "WARNED"}],
        shared_with=[notice["brand"]] if notice.get("brand") else None,
    ))
