"""Synthetic alliance networks with planted truth, streamed as NDJSON reports.

Behind ``graph-api generate --sellers N --seed S --out FILE.ndjson``. Everything
follows from ``random.Random(seed)``: the same arguments give the same bytes.

Shape (150,000 sellers: about 1.02M entities, 3.42M distinct relations, 3.58M
relation assertions, 227k reports, 580 MB, 31 s and 80 MB RSS on 2 cores):

- a seller OPERATES 1-2 storefronts (ring sellers share out 1-3 per seller, and
  a quarter of ring storefronts are co-run by a second ring seller); a
  storefront LISTS 1-3 listings, each INFRINGING one brand; listings and
  storefronts SHIP_FROM regional warehouses, which are SUPPLIED_BY upstream
  warehouses or factories; upstream warehouses without SUPPLIED_BY are import
  hubs, hence trace sources;
- sellers and storefronts USE identifiers (phones, bank accounts, addresses,
  devices); each value is unique unless shared on purpose, and reports spell
  phones, bank accounts and e-mails in varied but equal-once-normalised ways;
- 55 % of sellers sit in planted rings of 5-40 sellers+storefronts that share a
  pool of identifiers and their own warehouses and factories; ~45 % of rings are
  known (a RING entity with MEMBER_OF), the others are not;
- default noise: 2 % of independent sellers use an identifier of an unrelated
  seller; 0.2 % of ring storefronts ship from another ring's warehouse and 0.15 %
  of ring sellers are ASSOCIATED_WITH a seller of another ring (rare, because
  Louvain fuses two small communities joined by a single edge in a graph this
  large). Louvain over the ring-forming kinds recovers the rings with an
  adjusted Rand index of about 0.99 at 2,000 sellers and 0.95 at 150,000;
- each cluster lies in one region drawn from a long tail (Pearl River Delta,
  Yangtze River Delta and Southeast China hold about 2/3, ten regions about
  93 %), with its storefronts, warehouses and factories, so every listing
  counts in exactly one region;
- 1.2 % of independent sellers are BANNED (CLEAR report, storefronts CLOSED);
  60 % of them come back as a new seller, or only a new storefront, re-using
  their phone or bank account.

Reports: a BRAND list (CLEAR); per region, public supply-chain reports (GREEN
or AMBER, ~15 % of SUPPLIED_BY asserted again by a second org); per ring, its
supply chain (sometimes confirmed by a second org) and, for known rings, a
LAW_ENFORCEMENT (AMBER) or INVESTIGATION (GREEN) report with MEMBER_OF; per
seller one PLATFORM_DATA report (GREEN, AMBER or CLEAR), a brand TEST_BUY for
35 % of sellers (GREEN, AMBER, some shared with another brand, or CLEAR) that
re-asserts LISTS and SHIPS_FROM or reveals a new warehouse, and for 5 % a RED or
AMBER_STRICT brand report. RED and AMBER_STRICT reports only re-assert entities
and USES / OPERATES / INFRINGES relations already stated in GREEN, CLEAR or
AMBER reports (never SHIPS_FROM, LISTS or SUPPLIED_BY), so the whole planted
structure, and every trace score, is the same for the platform org as for an
all-seeing reader. Every relation states its own confidence (0.5-0.99).

Truth is computed over all assertions. ``Truth.sources`` is kept for a sample
of listings only, to bound memory: every listing of the rings numbered below
``SOURCE_SAMPLE_RINGS`` and about ``SOURCE_SAMPLE_OTHERS`` other listings.
Memory stays small: reports are yielded one at a time; only the supply
network, the truth and small noise pools are kept.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from random import Random
from typing import Any

__all__ = [
    "REGIONS",
    "SOURCE_SAMPLE_OTHERS",
    "SOURCE_SAMPLE_RINGS",
    "Truth",
    "iter_reports",
    "orgs",
    "write_network",
]

Json = dict[str, Any]

SOURCE_SAMPLE_RINGS = 1000
SOURCE_SAMPLE_OTHERS = 2000
RING_SHARE = 0.55
BANNED_SHARE = 0.012
RECIDIVIST_SHARE = 0.6
# Default noise. Louvain merges two small communities joined by a single edge once the
# graph has more than ~30k relations, so cross-ring edges are kept rare: each one is
# likely to fuse two planted rings.
NOISE_SHARED_IDENTIFIER = 0.02  # independent sellers using an unrelated seller's identifier
NOISE_CROSS_RING_SHIPS = 0.002  # ring storefronts shipping from another ring's warehouse
NOISE_CROSS_RING_ASSOCIATE = 0.0015  # ring sellers ASSOCIATED_WITH a seller of another ring
# Ring listings (not in the ring-detection graph) sometimes ship from a public warehouse
# too; ring storefronts and warehouses keep to the ring's own supply chain.
RING_LISTING_PUBLIC = 0.1

# (region, planted weight, country calling code, towns): a long tail after the big three.
REGIONS: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("Pearl River Delta", 0.30, "86", ("Guangzhou", "Shenzhen", "Dongguan", "Foshan")),
    ("Yangtze River Delta", 0.20, "86", ("Yiwu", "Shanghai", "Suzhou", "Ningbo")),
    ("Southeast China", 0.14, "86", ("Putian", "Jinjiang", "Quanzhou", "Xiamen")),
    ("Bohai Rim", 0.08, "86", ("Tianjin", "Qingdao", "Dalian")),
    ("Central China", 0.06, "86", ("Wuhan", "Zhengzhou", "Changsha")),
    ("Southwest China", 0.045, "86", ("Chengdu", "Chongqing")),
    ("Northern Vietnam", 0.035, "84", ("Hanoi", "Hai Phong")),
    ("Istanbul", 0.03, "90", ("Istanbul",)),
    ("Bangkok Metropolitan", 0.025, "66", ("Bangkok", "Samut Prakan")),
    ("Dubai", 0.02, "971", ("Dubai",)),
    ("Hong Kong", 0.012, "852", ("Kowloon", "Tsuen Wan")),
    ("Karachi", 0.01, "92", ("Karachi",)),
    ("Mumbai", 0.009, "91", ("Mumbai", "Thane")),
    ("Jakarta", 0.008, "62", ("Jakarta", "Bekasi")),
    ("Kuala Lumpur", 0.007, "60", ("Kuala Lumpur",)),
    ("Northeast China", 0.006, "86", ("Shenyang", "Harbin")),
    ("Ciudad del Este", 0.005, "595", ("Ciudad del Este",)),
    ("Lagos", 0.005, "234", ("Lagos",)),
)

# (org id, name, products): the brand orgs, in the order orgs() takes them.
_BRANDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("stridewell", "Stridewell", ("Aero Pace 3 running shoes", "Trail Surge GTX", "Velo Knit")),
    ("maison-verel", "Maison Verel", ("Celeste tote", "Rivoli clutch", "Monogram weekender")),
    ("voltra", "Voltra", ("PowerCell 20000 power bank", "AirLoop earbuds", "65W GaN charger")),
    ("kestrel-optics", "Kestrel Optics", ("Falcon aviator sunglasses", "Shoreline polarised")),
    ("aurelle", "Aurelle Beauty", ("Lumiere serum 30ml", "Velvet matte lipstick")),
    ("calyx", "Calyx Watches", ("Heritage chronograph", "Diver 300 automatic")),
    ("norden-toys", "Norden Toys", ("Brick Explorer set", "Arctic fox plush")),
    ("tessaro", "Tessaro", ("Alpine puffer jacket", "Logo hoodie")),
)
PLATFORM = "bazaarhub"
REGULATOR = "ipcu"

_WORDS = (
    "Hengda", "Xinyu", "Jinfeng", "Longsheng", "Meihua", "Ruixiang", "Tianli", "Yongfa",
    "Haoyun", "Baixing", "Fuxing", "Kaida", "Minghui", "Shengtai", "Wanjia", "Zhongxin",
)
_TRADES = ("Trading Co.", "Sports Goods", "E-commerce Ltd.", "Import & Export", "Supply Chain")
_SHOPS = ("Outlet", "Official Store", "Discount Hub", "Flagship", "Deals", "Factory Shop")
_STREETS = ("Xinhua Rd", "Industrial Ave", "Gongye Rd", "Renmin Rd", "Binhai Blvd", "Jiefang Rd")
_MAILS = ("163.com", "qq.com", "gmail.com", "outlook.com", "proton.me")
_SELLER_STATUS = ("ACTIVE",) * 16 + ("WARNED", "WARNED", "RESTRICTED")
_LISTING_STATUS = ("LIVE",) * 7 + ("NOTIFIED", "NOTIFIED", "DELISTED")
_SITE_STATUS = ("OPERATING",) * 8 + ("RAIDED", "CLOSED")


@dataclass
class Truth:
    """What the generator planted, computed over all assertions of all reports."""

    rings: dict[str, int] = field(default_factory=dict)  # ring seller/storefront id -> ring index
    sources: dict[str, dict[str, float]] = field(default_factory=dict)  # sampled listings only
    region_shares: dict[str, float] = field(default_factory=dict)  # share of infringing listings
    recidivists: dict[str, str] = field(default_factory=dict)  # new seller/storefront -> banned
    banned: list[str] = field(default_factory=list)
    known_rings: dict[str, int] = field(default_factory=dict)  # RING entity id -> ring index
    counts: dict[str, int] = field(default_factory=dict)  # distinct entities/relations, lines

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def orgs(brands: int = 6) -> list[dict[str, Any]]:
    """The orgs the generated reports use: ``brands`` brands, the platform, the regulator.

    >>> [o["id"] for o in orgs(2)]
    ['stridewell', 'maison-verel', 'bazaarhub', 'ipcu']
    """
    if not 1 <= brands <= len(_BRANDS):
        raise ValueError(f"brands must be between 1 and {len(_BRANDS)}")
    out = [
        {"id": oid, "name": name, "type": "BRAND", "trusted": oid == "stridewell"}
        for oid, name, _ in _BRANDS[:brands]
    ]
    out.append({"id": PLATFORM, "name": "BazaarHub", "type": "PLATFORM", "trusted": False})
    out.append({"id": REGULATOR, "name": "IP Crime Unit", "type": "REGULATOR", "trusted": False})
    return out


def iter_reports(sellers: int, seed: int, truth: Truth | None = None) -> Iterator[dict[str, Any]]:
    """Yield the reports (NDJSON lines, with ``reportedBy``) of a synthetic network.

    Fills ``truth`` (when given) as it goes; it is complete once the iterator is.
    """
    yield from _Network(sellers, seed, truth if truth is not None else Truth()).reports()


def write_network(
    sellers: int, seed: int, out: Path, progress: Callable[[int], None] | None = None
) -> Truth:
    """Write the network to ``out`` and its truth to ``out.with_suffix('.truth.json')``."""
    truth = Truth()
    net = _Network(sellers, seed, truth, progress)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with out.open("w", encoding="utf-8") as fh:
        for report in net.reports():
            fh.write(dumps(report))
            fh.write("\n")
    with out.with_suffix(".truth.json").open("w", encoding="utf-8") as fh:
        json.dump(truth.to_json(), fh, separators=(",", ":"))
    return truth


def _conf(rng: Random, low: float, high: float) -> float:
    return round(low + (high - low) * rng.random(), 2)


class _Bundle:
    """One report being built: entities restated once, relations once, identifier handles."""

    __slots__ = ("entities", "relations", "handles", "net")

    def __init__(self, net: _Network) -> None:
        self.entities: dict[str, Json] = {}
        self.relations: list[Json] = []
        self.handles: dict[tuple[str, str], str] = {}
        self.net = net

    def add(self, entity: Json) -> str:
        old = self.entities.get(entity["id"])
        if old is None or len(old) < len(entity):
            self.entities[entity["id"]] = entity
        return str(entity["id"])

    def ref(self, eid: str, kind: str) -> str:
        if eid not in self.entities:
            self.entities[eid] = {"id": eid, "kind": kind}
        return eid

    def ident(self, idn: tuple[str, str]) -> str:
        handle = self.handles.get(idn)
        if handle is None:
            handle = self.handles[idn] = f"h{len(self.handles) + 1}"
            value = self.net.spell(idn)
            self.entities[handle] = {
                "id": handle, "kind": "IDENTIFIER", "identifierKind": idn[0], "value": value,
            }
        return handle

    def rel(self, kind: str, src: str, dst: str, conf: float, dst_key: str | None = None) -> None:
        """Add a relation; ``dst_key`` is the store-wide key of an identifier target."""
        self.relations.append({"kind": kind, "from": src, "to": dst, "confidence": conf})
        self.net.note_relation(src, kind, dst_key or dst, conf)

    def uses(self, src: str, idn: tuple[str, str], conf: float) -> None:
        if idn in self.net.fresh:  # counted once it is first stated
            self.net.fresh.discard(idn)
            self.net.entities += 1
        self.rel("USES", src, self.ident(idn), conf, idn[0] + ":" + idn[1])

    def report(
        self, org: str, source: str, marking: str, shared: tuple[str, ...] = (),
        evidence: list[Json] | None = None,
    ) -> Json:
        net = self.net
        net.seq += 1
        out: Json = {
            "reportId": f"{org}-{net.seq:07d}",
            "reportedBy": org,
            "source": source,
            "confidence": _conf(net.rng, 0.6, 0.95),
            "marking": marking,
        }
        if shared:
            out["sharedWith"] = list(shared)
        out["entities"] = list(self.entities.values())
        out["relations"] = self.relations
        if evidence:
            out["evidence"] = evidence
        net.assertions += len(self.relations)
        return out


class _Network:
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

    # -- the plan ---------------------------------------------------------------------------
    def reports(self) -> Iterator[Json]:
        rng, n = self.rng, self.sellers
        ring_sellers = round(n * RING_SHARE) if n >= 10 else 0
        specs: list[tuple[int, int, int]] = []  # (kind 0 ring/1 seller/2 banned, a, b)
        left, ring = ring_sellers, 0
        while left >= 2:
            size = rng.randint(5, 40)
            s = min(left, max(2, round(size / 2.3)))
            stores = min(3 * s, max(s, size - s))
            specs.append((0, s, stores))
            left -= s
            ring += 1
        independent = n - ring_sellers + left
        banned = max(1, round(independent * BANNED_SHARE)) if independent >= 20 else 0
        recid = round(banned * RECIDIVIST_SHARE) if banned > 1 else banned
        specs += [(2, 0, 0)] * banned + [(1, 0, 0)] * (independent - banned - recid)
        rng.shuffle(specs)
        expected_other = (n - ring_sellers) * 2.8
        self.other_stride = max(1, int(expected_other / SOURCE_SAMPLE_OTHERS))
        yield from self.infrastructure()
        pending: list[tuple[int, int]] = []  # (due position, banned number)
        done = reported = 0
        ring = banned_no = 0
        for pos, (kind, a, b) in enumerate(specs):
            while pending and pending[0][0] <= pos:
                yield from self.seller_cluster(recid_of=heapq.heappop(pending)[1])
                done += 1
            if kind == 0:
                yield from self.ring_cluster(ring, a, b)
                ring += 1
                done += a
            else:
                yield from self.seller_cluster(banned_no=banned_no if kind == 2 else -1)
                if kind == 2:
                    if banned_no < recid:
                        due = pos + 1 + rng.randint(0, 20 + len(specs) // 20)
                        heapq.heappush(pending, (due, banned_no))
                    banned_no += 1
                done += 1
            if self.progress and done - reported >= 1000:
                reported = done
                self.progress(done)
        while pending:
            yield from self.seller_cluster(recid_of=heapq.heappop(pending)[1])
            done += 1
        if self.progress:
            self.progress(done)
        total = sum(self.region_listings) or 1
        self.truth.region_shares = {
            REGIONS[i][0]: c / total for i, c in enumerate(self.region_listings) if c
        }
        self.truth.counts = {
            "sellers": done, "entities": self.entities, "relations": self.relations,
            "relation_assertions": self.assertions, "reports": self.seq,
        }

    # -- infrastructure: public warehouses and factories per region -------------------------
    def infrastructure(self) -> Iterator[Json]:
        rng = self.rng
        head = _Bundle(self)
        for oid in self.brands:
            head.add({"id": f"brand-{oid}", "kind": "BRAND", "name": _name(oid)})
            self.entities += 1
        yield head.report(PLATFORM, "PLATFORM_DATA", "CLEAR")
        for r, (name, weight, _, _) in enumerate(REGIONS):
            expected = self.sellers * weight / self.cum[-1]
            factories = [self.site("factory", "FACTORY", r) for _ in _upto(expected / 110, 1)]
            hubs = [self.site("wh", "WAREHOUSE", r) for _ in _upto(expected / 220, 1)]
            regional = [self.site("wh", "WAREHOUSE", r) for _ in _upto(expected / 30, 2)]
            self.public[name] = ([w["id"] for w in regional], [h["id"] for h in hubs],
                                 [f["id"] for f in factories])
            known = _Bundle(self)  # the region's factories, on record with the regulator
            for f in factories:
                known.add(f)
            yield known.report(REGULATOR, "OSINT", "GREEN")
            for hub in hubs:  # an upstream hub with its factories; 20 % are import hubs
                b = _Bundle(self)
                b.add(hub)
                if rng.random() < 0.8:
                    for f in rng.sample(factories, min(len(factories), rng.randint(1, 2))):
                        b.rel("SUPPLIED_BY", hub["id"], b.ref(f["id"], "FACTORY"),
                              _conf(rng, 0.5, 0.9))
                yield b.report(*self.infra_voice())
            ups = [h["id"] for h in hubs] + [f["id"] for f in factories]
            for i in range(0, len(regional), 6):
                b = _Bundle(self)
                again = _Bundle(self)
                for wh in regional[i : i + 6]:
                    b.add(wh)
                    for up in rng.sample(ups, min(len(ups), rng.randint(1, 2))):
                        kind = self.site_kind[up]
                        conf = _conf(rng, 0.5, 0.95)
                        b.rel("SUPPLIED_BY", wh["id"], b.ref(up, kind), conf)
                        if rng.random() < 0.15:  # a second org asserts it too
                            again.rel("SUPPLIED_BY", again.ref(wh["id"], "WAREHOUSE"),
                                      again.ref(up, kind), _conf(rng, 0.5, 0.9))
                yield b.report(*self.infra_voice())
                if again.relations:
                    org = self.brands[int(rng.random() * len(self.brands))]
                    yield again.report(org, "OSINT", "GREEN")
            self.end_cluster()

    def infra_voice(self) -> tuple[str, str, str]:
        x = self.rng.random()
        if x < 0.4:
            return PLATFORM, "PLATFORM_DATA", "GREEN"
        if x < 0.7:
            return REGULATOR, "LAW_ENFORCEMENT", "AMBER"
        return self.brands[int(self.rng.random() * len(self.brands))], "INVESTIGATION", "GREEN"

    def site(self, prefix: str, kind: str, r: int) -> Json:
        eid = self.next_id(prefix)
        self.site_kind[eid] = kind
        word = _WORDS[int(self.rng.random() * len(_WORDS))]
        label = "Manufacturing" if kind == "FACTORY" else "Logistics Warehouse"
        status = _SITE_STATUS[int(self.rng.random() * len(_SITE_STATUS))]
        return {"id": eid, "kind": kind, "name": f"{self.town(r)} {word} {label}",
                "region": REGIONS[r][0], "status": status}

    # -- clusters ---------------------------------------------------------------------------
    def seller_cluster(self, banned_no: int = -1, recid_of: int = -1) -> Iterator[Json]:
        """An independent seller: banned (``banned_no``), a come-back, or ordinary."""
        rng = self.rng
        r = self.region()
        seller = self.seller(r, "BANNED" if banned_no >= 0 else None)
        sid = seller["id"]
        n_stores = 1 if rng.random() < 0.55 else 2
        stores = [self.storefront(r, banned_no >= 0) for _ in range(n_stores)]
        idents = [self.new_ident("PHONE", r), self.new_ident("BANK_ACCOUNT", r)]
        if rng.random() < 0.1:
            idents.append(self.new_ident("DEVICE", r))
        store_idents = [idents] * len(stores)
        seller_idents = list(idents)
        if recid_of >= 0:
            banned_id, banned_idents = self.banned_ids[recid_of]
            shared = banned_idents[int(rng.random() * 2)]
            if rng.random() < 0.7:  # the new seller re-uses it, and so do its storefronts
                seller_idents.append(shared)
                store_idents = [[shared, idents[1]]] * len(stores)
                self.truth.recidivists[sid] = banned_id
                for st in stores:
                    self.truth.recidivists[st["id"]] = banned_id
            else:  # only a new storefront gives it away
                store_idents[-1] = [shared, idents[0]]
                self.truth.recidivists[stores[-1]["id"]] = banned_id
        elif banned_no >= 0:
            self.banned_ids[banned_no] = (sid, idents[:2])
            self.truth.banned.append(sid)
        elif self.noise_pool and rng.random() < NOISE_SHARED_IDENTIFIER:
            seller_idents.append(self.noise_pool[int(rng.random() * len(self.noise_pool))])
        if banned_no < 0 and recid_of < 0:
            _remember(self.noise_pool, idents[int(rng.random() * len(idents))], rng, 2000)
        regional = self.public[REGIONS[r][0]][0]
        homes = rng.sample(regional, min(len(regional), _few(rng, 0.8, 0.4)))
        b = _Bundle(self)
        b.add(seller)
        brand = self.brands[min(int(rng.random() ** 1.6 * len(self.brands)), len(self.brands) - 1)]
        listings: list[tuple[str, str]] = []
        for st, own in zip(stores, store_idents, strict=True):
            listings += self.shop(b, sid, st, brand, r, homes, regional, own)
        for idn in seller_idents:
            b.uses(sid, idn, _conf(rng, 0.8, 0.99))
        marking = "CLEAR" if banned_no >= 0 else ("GREEN", "GREEN", "AMBER")[int(rng.random() * 3)]
        yield b.report(PLATFORM, "PLATFORM_DATA", marking)
        yield from self.follow_ups(sid, stores, listings, seller_idents, regional)
        self.end_cluster()

    def ring_cluster(self, ring: int, n_sellers: int, n_stores: int) -> Iterator[Json]:
        rng, truth = self.rng, self.truth
        r = self.region()
        region = REGIONS[r][0]
        k = max(1, round(n_sellers / 3))
        pool = {
            "PHONE": [self.new_ident("PHONE", r) for _ in range(k)],
            "BANK_ACCOUNT": [self.new_ident("BANK_ACCOUNT", r) for _ in range(k)],
            "ADDRESS": [self.new_ident("ADDRESS", r) for _ in range(1 + n_sellers // 6)],
            "DEVICE": [self.new_ident("DEVICE", r) for _ in range(1 + n_sellers // 5)],
        }
        # The ring's own supply chain, stated by one org and sometimes confirmed by another.
        infra = _Bundle(self)
        n_factories = 2 if rng.random() < 0.4 else 1
        factories = [infra.add(self.site("factory", "FACTORY", r)) for _ in range(n_factories)]
        sites = [infra.add(self.site("wh", "WAREHOUSE", r)) for _ in range(1 + n_stores // 8)]
        for wh in sites:
            for f in rng.sample(factories, rng.randint(1, len(factories))):
                infra.rel("SUPPLIED_BY", wh, f, _conf(rng, 0.55, 0.95))
        infra.uses(factories[0], pool["ADDRESS"][0], _conf(rng, 0.7, 0.95))
        voice = self.infra_voice()
        yield infra.report(*voice)
        if rng.random() < 0.25:
            again = _Bundle(self)
            for wh in sites[:1]:
                for up in self.up[wh]:
                    again.rel("SUPPLIED_BY", again.ref(wh, "WAREHOUSE"),
                              again.ref(up, self.site_kind[up]), _conf(rng, 0.5, 0.9))
            yield again.report(REGULATOR if voice[0] != REGULATOR else PLATFORM,
                               "INVESTIGATION", "AMBER")
        recent = self.ring_sites.setdefault(region, [])
        recent_sellers = self.ring_sellers.setdefault(region, [])
        brand = self.brands[min(int(rng.random() ** 1.6 * len(self.brands)), len(self.brands) - 1)]
        per_seller = [1] * n_sellers
        for _ in range(n_stores - n_sellers):
            per_seller[int(rng.random() * n_sellers)] += 1
        seller_ids: list[str] = []
        for j, count in enumerate(per_seller):
            seller = self.seller(r, None)
            sid = seller["id"]
            seller_ids.append(sid)
            truth.rings[sid] = ring
            stores = [self.storefront(r, False) for _ in range(count)]
            b = _Bundle(self)
            b.add(seller)
            listings: list[tuple[str, str]] = []
            for st in stores:
                truth.rings[st["id"]] = ring
                homes = rng.sample(sites, min(len(sites), _few(rng, 0.8, 0.3)))
                if recent and rng.random() < NOISE_CROSS_RING_SHIPS:
                    homes.append(recent[int(rng.random() * len(recent))])
                own = [_pick(pool["PHONE"], rng), _pick(pool["BANK_ACCOUNT"], rng)]
                if rng.random() < 0.5:
                    own.append(_pick(pool["DEVICE"], rng))
                if rng.random() < 0.4:
                    own.append(_pick(pool["ADDRESS"], rng))
                if seller_ids[:-1] and rng.random() < 0.25:  # co-run with another ring seller
                    b.rel("OPERATES", b.ref(_pick(seller_ids[:-1], rng), "SELLER"), st["id"],
                          _conf(rng, 0.6, 0.9))
                listings += self.shop(b, sid, st, brand, r, homes, sites, own, ring)
            mine = {_pick(pool["PHONE"], rng), _pick(pool["BANK_ACCOUNT"], rng),
                    _pick(pool["ADDRESS"], rng), _pick(pool["DEVICE"], rng)}
            for idn in sorted(mine):
                b.uses(sid, idn, _conf(rng, 0.75, 0.99))
            if j == 0 and rng.random() < 0.6:  # the boss runs the factory
                b.rel("OPERATES", sid, b.ref(factories[0], "FACTORY"), _conf(rng, 0.6, 0.9))
            for other in sorted({seller_ids[0], _pick(seller_ids, rng)} - {sid}):
                if rng.random() < 0.4:
                    b.rel("ASSOCIATED_WITH", sid, b.ref(other, "SELLER"), _conf(rng, 0.5, 0.9))
            if recent_sellers and rng.random() < NOISE_CROSS_RING_ASSOCIATE:
                b.rel("ASSOCIATED_WITH", sid, b.ref(_pick(recent_sellers, rng)[1], "SELLER"),
                      _conf(rng, 0.5, 0.7))
            marking = ("GREEN", "GREEN", "AMBER", "CLEAR")[int(rng.random() * 4)]
            yield b.report(PLATFORM, "PLATFORM_DATA", marking)
            yield from self.follow_ups(sid, stores, listings, sorted(mine), sites)
        _remember(recent_sellers, (ring, seller_ids[0]), rng, 50)
        for wh in sites:
            _remember(recent, wh, rng, 50)
        if rng.random() < 0.45:
            yield self.known_ring(ring, r, seller_ids, factories)
        self.end_cluster()

    def known_ring(self, ring: int, r: int, sellers: list[str], factories: list[str]) -> Json:
        rng = self.rng
        rid = self.next_id("ring", 5)
        self.truth.known_rings[rid] = ring
        b = _Bundle(self)
        status = ("SUSPECTED", "UNDER_INVESTIGATION", "DISMANTLED")[int(rng.random() * 3)]
        b.add({"id": rid, "kind": "RING", "name": f"{self.town(r)} {_pick(_WORDS, rng)} network",
               "region": REGIONS[r][0], "status": status})
        for sid in sellers:
            if rng.random() < 0.85:
                b.rel("MEMBER_OF", b.ref(sid, "SELLER"), rid, _conf(rng, 0.6, 0.95))
        b.rel("MEMBER_OF", b.ref(factories[0], "FACTORY"), rid, _conf(rng, 0.6, 0.95))
        if rng.random() < 0.5:
            return b.report(REGULATOR, "LAW_ENFORCEMENT", "AMBER")
        return b.report(_pick(self.brands, rng), "INVESTIGATION", "GREEN")

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

    def shop(
        self, b: _Bundle, sid: str, st: Json, brand: str, r: int, homes: list[str],
        nearby: list[str], idents: list[tuple[str, str]], ring: int = -1,
    ) -> list[tuple[str, str]]:
        """One storefront with its listings, into the seller's platform report."""
        rng = self.rng
        sample = 0 <= ring < SOURCE_SAMPLE_RINGS
        public = self.public[REGIONS[r][0]][0]
        stid = b.add(st)
        b.rel("OPERATES", sid, stid, _conf(rng, 0.85, 0.99))
        for idn in idents:
            b.uses(stid, idn, _conf(rng, 0.7, 0.99))
        for wh in homes:
            b.rel("SHIPS_FROM", stid, b.ref(wh, "WAREHOUSE"), _conf(rng, 0.55, 0.95))
        out = []
        for _ in range(_few(rng, 0.6, 0.3)):
            lb = brand if rng.random() < 0.85 else _pick(self.brands, rng)
            lid = self.next_id("listing", 7)
            closed = st["status"] == "CLOSED"
            b.add({"id": lid, "kind": "LISTING",
                   "name": f"{_name(lb)} {_pick(self.products[lb], rng)}",
                   "status": "DELISTED" if closed else _pick(_LISTING_STATUS, rng),
                   "properties": {"price": round(9 + 90 * rng.random(), 2), "currency": "USD",
                                  "url": f"https://bazaarhub.example/l/{lid[8:]}"}})
            b.rel("LISTS", stid, lid, _conf(rng, 0.9, 0.99))
            b.rel("INFRINGES", lid, b.ref(f"brand-{lb}", "BRAND"), _conf(rng, 0.5, 0.95))
            ships = rng.sample(nearby, min(len(nearby), _few(rng, 0.8, 0.5)))
            if ring >= 0 and rng.random() < RING_LISTING_PUBLIC:
                ships.append(_pick(public, rng))
            for wh in ships:
                b.rel("SHIPS_FROM", lid, b.ref(wh, "WAREHOUSE"), _conf(rng, 0.5, 0.95))
            self.region_listings[r] += 1
            out.append((lid, lb))
            if not sample:
                self.sampled_others += 1
            if sample or self.sampled_others % self.other_stride == 0:
                self.pending_trace.append(lid)
        return out

    def follow_ups(
        self, sid: str, stores: list[Json], listings: list[tuple[str, str]],
        idents: list[tuple[str, str]], nearby: list[str],
    ) -> Iterator[Json]:
        """Brand test buys and the odd RED / AMBER_STRICT brand report about one seller."""
        rng = self.rng
        if listings and rng.random() < 0.35:
            lid, lb = _pick(listings, rng)
            b = _Bundle(self)
            b.add({"id": lid, "kind": "LISTING",
                   "properties": {"test_buy": f"TB-{self.seq + 1:07d}"}})
            st = stores[0]["id"] if len(stores) == 1 else self.store_of(lid, stores)
            b.rel("LISTS", b.ref(st, "STOREFRONT"), lid, _conf(rng, 0.9, 0.99))
            targets = [t for t in self.walk.get(lid, {}) if t in self.site_kind]
            if rng.random() < 0.3 or not targets:  # the parcel reveals a new warehouse
                targets = [_pick(nearby, rng)]
            for wh in targets:
                b.rel("SHIPS_FROM", lid, b.ref(wh, "WAREHOUSE"), _conf(rng, 0.6, 0.98))
            x = rng.random()
            marking = "CLEAR" if x < 0.1 else "GREEN" if x < 0.6 else "AMBER"
            other = _pick(self.brands, rng) if x > 0.85 else lb
            shared = (other,) if other != lb else ()
            digest = hashlib.sha256(f"parcel-photo:{lid}".encode()).hexdigest()
            evidence = [{"kind": "photo", "description": "parcel label from test buy",
                         "sha256": digest}]
            yield b.report(lb, "TEST_BUY", marking, shared, evidence)
        if rng.random() < 0.05:  # restricted intelligence: re-assertions only
            org = _pick(self.brands, rng)
            b = _Bundle(self)
            b.add({"id": sid, "kind": "SELLER", "properties": {"note": "test-buy parcels"}})
            for idn in idents[:2]:
                b.uses(sid, idn, _conf(rng, 0.8, 0.99))
            if listings:
                lid, lb = listings[0]
                b.rel("INFRINGES", b.ref(lid, "LISTING"), b.ref(f"brand-{lb}", "BRAND"), 0.99)
            if rng.random() < 0.5:
                other = _pick(self.brands, rng)
                yield b.report(org, "INVESTIGATION", "RED", (other,) if other != org else ())
            else:
                yield b.report(org, "INVESTIGATION", "AMBER_STRICT")
        for lid in self.pending_trace:
            self.truth.sources[lid] = self.trace(lid)
        self.pending_trace.clear()

    def store_of(self, lid: str, stores: list[Json]) -> str:
        for st in stores:
            if lid in self.walk and st["id"] in self.walk[lid]:
                return str(st["id"])
        return str(stores[0]["id"])


def _miss(confs: list[float]) -> float:
    miss = 1.0
    for c in confs:
        miss *= 1.0 - c
    return miss


def _few(rng: Random, second: float, third: float) -> int:
    """1, 2 or 3: a second with probability ``second``, a third with ``third``."""
    return 1 + (rng.random() < second) + (rng.random() < third)


def _upto(expected: float, least: int) -> range:
    return range(max(least, round(expected)))


def _pick(seq: Any, rng: Random) -> Any:
    return seq[int(rng.random() * len(seq))]


def _remember(pool: list[Any], item: Any, rng: Random, size: int) -> None:
    if len(pool) < size:
        pool.append(item)
    else:
        pool[int(rng.random() * size)] = item


def _name(org: str) -> str:
    return next(name for oid, name, _ in _BRANDS if oid == org)
