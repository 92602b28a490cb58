"""Strikes and the penalty ladder, in one org's ledger.

A notice gives each seller behind its upheld listings one strike, once the
notice is UPHELD (every outcome decided), however many of its listings the
notice names (``settle_strikes``). The ladder: 1 strike WARNED (WARNING), 2
RESTRICTED for 30 days (RESTRICTION, ``until``), 3 BANNED (BAN: every
storefront CLOSED, DEPOSIT_FORFEITED). When a listing's outcome is later
reversed, the sellers behind no upheld listing of the notice lose its strike:
the level is recomputed from the strikes left, every ladder penalty above it
is lifted, and a lifted ban reopens the storefronts it closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from graph_api.workflow.model import time_key
from graph_api.workflow.penalties import (
    PENALTY,
    Ledger,
    active,
    lift,
    new_penalty,
    sellers_behind,
    status_in,
    storefronts_of,
)
from graph_api.workflow.runtime import Plan

__all__ = [
    "LADDER",
    "RESTRICTION_DAYS",
    "SELLER",
    "end_restriction",
    "level_of",
    "lift_step",
    "settle_strikes",
]

SELLER = "seller"
RESTRICTION_DAYS = 30
LADDER = ("WARNED", "RESTRICTED", "BANNED")
LEVEL_PENALTY = {"WARNED": "WARNING", "RESTRICTED": "RESTRICTION", "BANNED": "BAN"}
PENALTY_LEVEL = {v: k for k, v in LEVEL_PENALTY.items()}


def level_of(strikes: int) -> str | None:
    """The ladder status for a number of strikes.

    >>> [level_of(n) for n in range(5)]
    [None, 'WARNED', 'RESTRICTED', 'BANNED', 'BANNED']
    """
    return None if strikes <= 0 else LADDER[min(strikes, 3) - 1]


def _rank(status: str | None) -> int:
    return 0 if status not in LADDER else LADDER.index(status) + 1


def _seller_doc(plan: Plan, ledger: Ledger, seller: str) -> dict[str, Any]:
    doc = plan.get(SELLER, ledger.key(seller))
    if doc is None:
        base = status_in(ledger.G, seller)
        doc = {"id": ledger.key(seller), "org": ledger.org, "seller": seller, "strikes": [],
               "base": base if _rank(base) == 0 else "ACTIVE", "status": None}
    return doc


def _put_seller(plan: Plan, doc: dict[str, Any]) -> None:
    plan.put(SELLER, doc["id"], doc, doc["id"], (f"status:{doc['status']}",))


def settle_strikes(
    plan: Plan, ledger: Ledger, notice: dict[str, Any], upheld: list[str], at: datetime,
    by: str,
) -> None:
    """Give or take the notice's strikes in ``ledger``: each seller behind one of its
    ``upheld`` listings (in the ledger's view) holds one strike of it, nobody else."""
    nid = notice["id"]
    memo: dict[tuple[str, str], Any] = plan.memo.setdefault(("operators", ledger.org), {})
    want = {s for listing in upheld for s, _ in sellers_behind(ledger.G, listing, memo)}
    have = {p["subject"] for p in plan.find(PENALTY, f"notice:{ledger.org}:{nid}")
            if p["kind"] == "STRIKE" and p.get("liftedAt") is None}
    sellers = sorted(want ^ have)
    plan.prefetch(SELLER, [ledger.key(s) for s in sellers])
    plan.prefetch(PENALTY, [ledger.key(f"{nid}.{kind}.{s}") for s in sellers
                            for kind in ("STRIKE", "WARNING", "RESTRICTION", "BAN")])
    for seller in sorted(want - have):
        _strike(plan, ledger, nid, seller, at)
    for seller in sorted(have - want):
        _unstrike(plan, ledger, nid, seller, at, by)


def _strike(plan: Plan, ledger: Ledger, nid: str, seller: str, at: datetime) -> None:
    doc = _seller_doc(plan, ledger, seller)
    if nid in doc["strikes"]:
        return
    doc["strikes"] = [*doc["strikes"], nid]
    new_penalty(plan, ledger, nid, "STRIKE", seller, at, strike=len(doc["strikes"]))
    # From the level it stands at (a served restriction, an upheld appeal moved it down).
    old, new = doc["status"], level_of(len(doc["strikes"]))
    if _rank(new) <= _rank(old):
        _put_seller(plan, doc)
        return
    doc["status"] = new
    _put_seller(plan, doc)
    assert new is not None
    until = at + timedelta(days=RESTRICTION_DAYS) if new == "RESTRICTED" else None
    new_penalty(plan, ledger, nid, LEVEL_PENALTY[new], seller, at,
                until=None if until is None else time_key(until), level=new)
    ledger.set_status(seller, "SELLER", new)
    if new == "BANNED":
        new_penalty(plan, ledger, nid, "DEPOSIT_FORFEITED", seller, at, level="BANNED")
        for store in storefronts_of(ledger.G, seller):
            previous = status_in(ledger.G, store)
            if previous == "CLOSED":
                continue
            new_penalty(plan, ledger, nid, "STOREFRONT_CLOSED", store, at, level="BANNED",
                        seller=seller, previous=previous)
            ledger.set_status(store, "STOREFRONT", "CLOSED")


def _unstrike(plan: Plan, ledger: Ledger, nid: str, seller: str, at: datetime, by: str
              ) -> None:
    for p in plan.find(PENALTY, f"notice:{ledger.org}:{nid}"):
        if p["kind"] == "STRIKE" and p["subject"] == seller and p.get("liftedAt") is None:
            lift(plan, p, at, by)
    doc = _seller_doc(plan, ledger, seller)
    was = doc["status"]
    doc["strikes"] = [s for s in doc["strikes"] if s != nid]
    fewer = level_of(len(doc["strikes"]))  # never above where it stood (served, appealed)
    _relevel(plan, ledger, doc, was, fewer if _rank(fewer) < _rank(was) else was, at, by)


def _relevel(plan: Plan, ledger: Ledger, doc: dict[str, Any], was: str | None,
             now_level: str | None, at: datetime, by: str) -> None:
    """The seller's level moved down from ``was``: lift what stood above it."""
    doc["status"] = now_level
    _put_seller(plan, doc)
    if now_level == was:
        return
    seller = doc["seller"]
    for p in active(plan, ledger, seller):
        if _rank(p.get("level")) > _rank(now_level):
            lift(plan, p, at, by)
    if was == "BANNED":
        for p in plan.find(PENALTY, f"closed-for:{ledger.org}:{seller}"):
            lift(plan, p, at, by)
            ledger.set_status(p["subject"], "STOREFRONT", p.get("previous") or "OPEN")
    ledger.set_status(seller, "SELLER", now_level or doc["base"])


def lift_step(plan: Plan, ledger: Ledger, penalty: dict[str, Any], at: datetime, by: str
              ) -> None:
    """An upheld appeal lifts ``penalty`` (this ledger's copy) and all that rested on it:
    a STRIKE is taken back (the level recomputed); a WARNING, RESTRICTION or BAN is
    lifted with its consequences, the seller one step down the ladder."""
    if penalty.get("liftedAt") is not None:
        return
    kind, seller = penalty["kind"], penalty["subject"]
    if kind == "STRIKE":
        _unstrike(plan, ledger, penalty["notice"], seller, at, by)
        return
    level = PENALTY_LEVEL.get(kind)
    if level is None:
        lift(plan, penalty, at, by)
        return
    doc = _seller_doc(plan, ledger, seller)
    below = LADDER[LADDER.index(level) - 1] if LADDER.index(level) > 0 else None
    _relevel(plan, ledger, doc, level, below, at, by)


def end_restriction(plan: Plan, ledger: Ledger, penalty: dict[str, Any]) -> None:
    """Plan the end of a RESTRICTION whose 30 days are served: the penalty lifted at its
    ``until``, the seller back to WARNED in that ledger (two strikes stand: the next
    one bans)."""
    at = datetime.fromisoformat(penalty["until"].replace("Z", "+00:00"))
    lift(plan, penalty, at, "restriction served")
    seller = plan.get(SELLER, ledger.key(penalty["subject"]))
    if seller is None or seller["status"] != "RESTRICTED":
        return
    seller["status"] = "WARNED"
    _put_seller(plan, seller)
    ledger.set_status(penalty["subject"], "SELLER", "WARNED")
