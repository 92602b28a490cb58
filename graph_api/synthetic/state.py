"""The generator's state: the random source, ids and identifier values, entities, and
the supply network kept to trace each sampled listing to its sources."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from random import Random

from graph_api.synthetic.draws import _pick
from graph_api.synthetic.truth import Truth
from graph_api.synthetic.world import (
    _BRANDS,
    _MAILS,
    _SELLER_STATUS,
    _SHOPS,
    _SITE_STATUS,
    _STREETS,
    _TRADES,
    _WORDS,
    REGIONS,
    Json,
)


class _State:
    """Everything the plan (``_Network``) keeps between reports."""

    def __init__(
        self, sellers: int, seed: int, truth: Truth,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        if sellers < 1:
            raise ValueError("sellers must be at least 1")
        self.rng = Random(seed)
        self.sellers = sellers
        self.truth = truth
        self.progress = progress
        self.brands = [oid for oid, _, _ in _BRANDS[:6]]
        self.products = {oid: products for oid, _, products in _BRANDS}
        self.cum = []
        total = 0.0
        for _, weight, _, _ in REGIONS:
            total += weight
            self.cum.append(total)
        self.seq = 0
        self.counter: dict[str, int] = {}
        self.entities = 0
        self.assertions = 0
        self.relations = 0
        self.cluster_rels: set[tuple[str, str, str]] = set()
        self.walk: dict[str, dict[str, list[float]]] = {}  # cluster's SHIPS_FROM and LISTS^-1
        self.up: dict[str, dict[str, float]] = {}  # warehouse -> upstream -> noisy-OR confidence
        self.site_kind: dict[str, str] = {}
        self.public: dict[str, tuple[list[str], list[str], list[str]]] = {}
        self.ring_sites: dict[str, list[str]] = {}  # region -> recent ring warehouses
        self.ring_sellers: dict[str, list[tuple[int, str]]] = {}  # region -> recent ring sellers
        self.noise_pool: list[tuple[str, str]] = []
        self.banned_ids: dict[int, tuple[str, list[tuple[str, str]]]] = {}
        self.region_listings = [0] * len(REGIONS)
        self.sampled_others = 0
        self.other_stride = 1
        self.fresh: set[tuple[str, str]] = set()  # identifiers made but not yet stated
        self.pending_trace: list[str] = []  # sampled listings of the cluster, traced at its end

    # -- ids, names, identifier values ------------------------------------------------------
    def next_id(self, prefix: str, width: int = 6) -> str:
        n = self.counter[prefix] = self.counter.get(prefix, 0) + 1
        self.entities += 1
        return f"{prefix}-{n:0{width}d}"

    def region(self) -> int:
        return min(bisect.bisect(self.cum, self.rng.random() * self.cum[-1]), len(REGIONS) - 1)

    def town(self, r: int) -> str:
        towns = REGIONS[r][3]
        return towns[int(self.rng.random() * len(towns))]

    def new_ident(self, kind: str, r: int) -> tuple[str, str]:
        """A fresh identifier value, unique by construction (affine permutation of a counter)."""
        n = self.counter[kind] = self.counter.get(kind, 0) + 1
        idn = kind, self.value(kind, n, r)
        self.fresh.add(idn)
        return idn

    def value(self, kind: str, n: int, r: int) -> str:
        if kind == "PHONE":
            return f"+{REGIONS[r][2]}{(n * 7_919_813 + 3_010_007) % 10**10:010d}"
        if kind == "BANK_ACCOUNT":
            return f"6222{(n * 48_271_057 + 11) % 10**14:014d}"
        if kind == "PAYMENT_ACCOUNT":
            return f"2088{(n * 69_621_031 + 7) % 10**12:012d}"
        if kind == "DEVICE":
            return f"imei:35{(n * 9_876_553 + 5) % 10**13:013d}"
        if kind == "EMAIL":
            word = _WORDS[n % len(_WORDS)].lower()
            return f"{word}.{n}@{_MAILS[n % len(_MAILS)]}"
        x = (n * 104_729 + 17) % (200 * 60 * 999 * len(_STREETS))
        unit, x = x % 200 + 1, x // 200
        building, x = x % 60 + 1, x // 60
        number, x = x % 999 + 1, x // 999
        return (
            f"Unit {unit}, Building {building}, No. {number} {_STREETS[x]}, {self.town(r)}"
        )

    def spell(self, idn: tuple[str, str]) -> str:
        """A report's spelling of a value: varied formatting, equal once normalised."""
        kind, value = idn
        style = self.rng.random()
        if kind == "PHONE" and style < 0.4:
            digits = value[-10:]
            return f"{value[:-10]} {digits[:3]} {digits[3:7]} {digits[7:]}"
        if kind == "BANK_ACCOUNT" and style < 0.3:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        if kind == "EMAIL" and style < 0.2:
            return value.capitalize()
        return value


    # -- entities -------------------------------------------------------------------------
    def site(self, prefix: str, kind: str, r: int) -> Json:
        eid = self.next_id(prefix)
        self.site_kind[eid] = kind
        word = _WORDS[int(self.rng.random() * len(_WORDS))]
        label = "Manufacturing" if kind == "FACTORY" else "Logistics Warehouse"
        status = _SITE_STATUS[int(self.rng.random() * len(_SITE_STATUS))]
        return {"id": eid, "kind": kind, "name": f"{self.town(r)} {word} {label}",
                "region": REGIONS[r][0], "status": status}


    def seller(self, r: int, status: str | None) -> Json:
        rng = self.rng
        eid = self.next_id("seller")
        return {"id": eid, "kind": "SELLER",
                "name": f"{self.town(r)} {_pick(_WORDS, rng)} {_pick(_TRADES, rng)}",
                "region": REGIONS[r][0], "status": status or _pick(_SELLER_STATUS, rng)}

    def storefront(self, r: int, closed: bool) -> Json:
        rng = self.rng
        eid = self.next_id("store")
        handle = f"{_pick(_WORDS, rng).lower()}{eid[-6:]}"
        return {"id": eid, "kind": "STOREFRONT",
                "name": f"{_pick(_WORDS, rng)} {_pick(_SHOPS, rng)}", "region": REGIONS[r][0],
                "status": "CLOSED" if closed else "RESTRICTED" if rng.random() < 0.1 else "OPEN",
                "properties": {"platform_handle": handle,
                               "url": f"https://bazaarhub.example/s/{handle}"}}


    # -- bookkeeping ------------------------------------------------------------------------
    def note_relation(self, src: str, kind: str, dst: str, conf: float) -> None:
        key = (src, kind, dst)
        if key not in self.cluster_rels:
            self.cluster_rels.add(key)
            self.relations += 1
        if kind == "SHIPS_FROM":
            self.walk.setdefault(src, {}).setdefault(dst, []).append(conf)
        elif kind == "LISTS":
            self.walk.setdefault(dst, {}).setdefault(src, []).append(conf)
        elif kind == "SUPPLIED_BY":
            ups = self.up.setdefault(src, {})
            ups[dst] = 1.0 - (1.0 - ups.get(dst, 0.0)) * (1.0 - conf)

    def end_cluster(self) -> None:
        self.cluster_rels.clear()
        self.walk.clear()
        self.fresh.clear()

    def trace(self, origin: str) -> dict[str, float]:
        """Best-path confidence to every trace source, per DESIGN.md (depth 6)."""
        best = {origin: 1.0}
        frontier = {origin: 1.0}
        for _ in range(6):
            nxt: dict[str, float] = {}
            for node, score in frontier.items():
                hops: list[tuple[str, float]] = [
                    (dst, 1.0 - _miss(confs)) for dst, confs in self.walk.get(node, {}).items()
                ]
                hops.extend(self.up.get(node, {}).items())
                for dst, conf in hops:
                    value = score * conf
                    if value > best.get(dst, 0.0) and value > nxt.get(dst, 0.0):
                        nxt[dst] = value
            best.update(nxt)
            frontier = nxt
        return {
            node: score for node, score in sorted(best.items())
            if (kind := self.site_kind.get(node)) == "FACTORY"
            or (kind == "WAREHOUSE" and not self.up.get(node))
        }


def _miss(confs: list[float]) -> float:
    miss = 1.0
    for c in confs:
        miss *= 1.0 - c
    return miss

