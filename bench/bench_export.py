"""Export benchmark: a 10,000-entity / 40,000-relation case, all four formats, signed, verified.

Run: ``.venv/bin/python bench/bench_export.py [--entities N] [--relations M]``.
Targets: export (every format + zip + signature) < 20 s, verify < 5 s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from graph_api.export.common import export
from graph_api.export.keys import load_or_create_signing_key, public_key_pem
from graph_api.export.package import FORMATS, build_package
from graph_api.export.verify import verify_package
from graph_api.export.view import (
    CaseView,
    ExportEntity,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
)
from graph_api.model import (
    ALLOWED_ENDPOINTS,
    Assertion,
    EntityKind,
    IdentifierKind,
    Marking,
    Org,
    OrgType,
    RelationKind,
    SourceKind,
    noisy_or,
    relation_id,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ORGS = [Org(f"org-{i}", f"Org {i}", t) for i, t in enumerate([OrgType.BRAND] * 6 + [
    OrgType.PLATFORM, OrgType.REGULATOR])]  # fmt: skip
SHARES = {
    EntityKind.SELLER: 0.10, EntityKind.STOREFRONT: 0.15, EntityKind.LISTING: 0.45,
    EntityKind.WAREHOUSE: 0.04, EntityKind.FACTORY: 0.02, EntityKind.RING: 0.01,
    EntityKind.IDENTIFIER: 0.21, EntityKind.BRAND: 0.02,
}  # fmt: skip


def _assertions(rng: random.Random, n: int) -> tuple[Assertion, ...]:
    out = []
    for _ in range(n):
        org = rng.choice(ORGS)
        out.append(Assertion(
            report_id=f"rep-{rng.randrange(10**9)}", reported_by=org.id,
            reported_at=T0 + timedelta(minutes=rng.randrange(500_000)),
            source=rng.choice(list(SourceKind)), confidence=round(rng.uniform(0.3, 0.95), 2),
            marking=rng.choice(list(Marking)), shared_with=(ORGS[-1].id,),
        ))  # fmt: skip
    return tuple(out)


def synthetic_view(n_entities: int, n_relations: int, seed: int = 7) -> CaseView:
    rng = random.Random(seed)
    by_kind: dict[EntityKind, list[str]] = {k: [] for k in EntityKind}
    entities = []
    for entity_kind, share in SHARES.items():
        for i in range(max(1, int(n_entities * share))):
            eid = f"{entity_kind.value.lower()}-{i}"
            assertions = _assertions(rng, rng.choice((1, 1, 2, 3)))
            idk = rng.choice(list(IdentifierKind)) if entity_kind is EntityKind.IDENTIFIER else None
            entities.append(ExportEntity(
                id=eid, kind=entity_kind, name=f"{entity_kind.value.title()} {i}",
                region=rng.choice(["Pearl River Delta", "Yangtze River Delta", None]),
                status="ACTIVE", properties={"n": i, "tags": ["a", "b"]},
                confidence=noisy_or([a.confidence for a in assertions]), assertions=assertions,
                identifier_kind=idk,
                value=(f"+86138{i:08d}" if idk is IdentifierKind.PHONE else f"v{i}@example.com"
                       if idk is IdentifierKind.EMAIL else f"value-{i}") if idk and i % 3 else None,
            ))  # fmt: skip
            by_kind[entity_kind].append(eid)
    relations: dict[str, ExportRelation] = {}
    kinds = list(RelationKind)
    weights = [3, 4, 4, 3, 2, 1, 4, 1]
    while len(relations) < n_relations:
        kind = rng.choices(kinds, weights)[0]
        sources, targets = ALLOWED_ENDPOINTS[kind]
        s = rng.choice(by_kind[rng.choice(sorted(sources))])
        t = rng.choice(by_kind[rng.choice(sorted(targets))])
        rid = relation_id(s, kind, t)
        if s == t or rid in relations:
            continue
        assertions = _assertions(rng, rng.choice((1, 1, 2)))
        relations[rid] = ExportRelation(rid, kind, s, t, noisy_or([a.confidence for a in
                                        assertions]), assertions)  # fmt: skip
    buys = tuple(
        ExportTestBuy(f"tb-{i}", rng.choice(by_kind[EntityKind.LISTING]), "COUNTERFEIT",
                      T0 + timedelta(days=i % 300), rng.choice(by_kind[EntityKind.WAREHOUSE]), (),
                      Marking.AMBER, ORGS[i % 6].id)
        for i in range(200)
    )  # fmt: skip
    outcomes = tuple(
        ExportOutcome("SEIZURE", rng.choice(by_kind[EntityKind.WAREHOUSE]), f"Seizure {i}",
                      float(i), T0 + timedelta(days=i))
        for i in range(50)
    )  # fmt: skip
    return CaseView(
        case_id="case-bench", title="Benchmark case", status="OPEN", opened_by=ORGS[-1],
        opened_at=T0, marking=Marking.AMBER_STRICT, exporter=ORGS[-1],
        exporter_principal="prn-bench", recipient="Bench PSB", created_at=T0 + timedelta(days=400),
        entities=tuple(entities), relations=tuple(relations.values()), test_buys=buys,
        outcomes=outcomes, orgs={o.id: o for o in ORGS},
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--relations", type=int, default=40_000)
    args = parser.parse_args()
    started = time.perf_counter()
    view = synthetic_view(args.entities, args.relations)
    print(f"view: {len(view.entities)} entities, {len(view.relations)} relations "
          f"built in {time.perf_counter() - started:.2f} s")  # fmt: skip
    for name, writer in FORMATS.items():
        t = time.perf_counter()
        size = sum(len(b) for b in export(view, writer).values())
        print(f"  {name:<10} {time.perf_counter() - t:6.2f} s  {size / 1e6:7.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        key = load_or_create_signing_key(Path(tmp) / "keys")
        t = time.perf_counter()
        info = build_package(view, list(FORMATS), Path(tmp) / "out", key)
        export_s = time.perf_counter() - t
        t = time.perf_counter()
        problems = verify_package(info.path, public_key_pem(key))
        verify_s = time.perf_counter() - t
        zipped = info.path.stat().st_size
    assert problems == [], problems
    print(f"export (4 formats + zip + sign): {export_s:.2f} s (target < 20 s), "
          f"package {zipped / 1e6:.1f} MB")  # fmt: skip
    print(f"verify: {verify_s:.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
