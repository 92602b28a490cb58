"""The plan: public infrastructure per region, then independent sellers and rings in a
shuffled order, each cluster's reports followed by brand test buys and the odd
restricted report."""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator

from graph_api.synthetic.bundle import _Bundle
from graph_api.synthetic.draws import _conf, _few, _pick, _remember, _upto
from graph_api.synthetic.state import _State
from graph_api.synthetic.world import (
    _LISTING_STATUS,
    _WORDS,
    BANNED_SHARE,
    NOISE_CROSS_RING_ASSOCIATE,
    NOISE_CROSS_RING_SHIPS,
    NOISE_SHARED_IDENTIFIER,
    PLATFORM,
    RECIDIVIST_SHARE,
    REGIONS,
    REGULATOR,
    RING_LISTING_PUBLIC,
    RING_SHARE,
    SOURCE_SAMPLE_OTHERS,
    SOURCE_SAMPLE_RINGS,
    Json,
    _name,
)


class _Network(_State):
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

