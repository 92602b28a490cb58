"""The deadline sweep: N overdue listing outcomes upheld, with their penalties, in bounded
memory.

    python bench/bench_sweep.py [--outcomes 100000] [--per-notice 1] [--batch 500] [--work DIR]

Setup (not timed): a marketplace of N listings (10 per seller, 5 per
storefront) imported in bulk, and N / K OPEN notices of K listings each
written straight into the record store (the documents ``file_notice`` makes),
AMBER, so three orgs keep a ledger of each (the brand, the platform, the
regulator). Timed: one ``sweep(services, now)`` past every deadline: each
outcome UPHELD, its listing DELISTED, buyers reimbursed, each notice's sellers
struck once (WARNED, RESTRICTED, then BANNED with storefronts closed), in
every ledger. Memory: the sweep holds one batch of notices
at a time; the process's peak RSS before and after the sweep is printed, and
the Python heap's peak during one batch (tracemalloc). Prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph_api.config import Settings  # noqa: E402
from graph_api.model import OrgType  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.workflow import start_workflow  # noqa: E402
from graph_api.workflow.notices import new_notice, notice_terms  # noqa: E402
from graph_api.workflow.runtime import workflow_for  # noqa: E402
from graph_api.workflow.sweep import sweep, sweep_batch  # noqa: E402

LISTINGS_PER_STORE = 5
STORES_PER_SELLER = 2
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def emit(name: str, **values: object) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def marketplace(services: Services, scope: Any, listings: int) -> None:
    per_seller = LISTINGS_PER_STORE * STORES_PER_SELLER
    batch = []
    for s in range((listings + per_seller - 1) // per_seller):
        entities: list[dict[str, Any]] = [
            {"id": f"seller-{s}", "kind": "SELLER", "name": f"Seller {s}", "status": "ACTIVE"}]
        relations: list[dict[str, Any]] = []
        for f in range(STORES_PER_SELLER):
            store = f"store-{s}-{f}"
            entities.append({"id": store, "kind": "STOREFRONT", "status": "OPEN"})
            relations.append({"kind": "OPERATES", "from": f"seller-{s}", "to": store})
            for i in range(LISTINGS_PER_STORE):
                n = (s * STORES_PER_SELLER + f) * LISTINGS_PER_STORE + i
                if n >= listings:
                    break
                entities.append({"id": f"listing-{n}", "kind": "LISTING", "status": "LIVE"})
                relations.append({"kind": "LISTS", "from": store, "to": f"listing-{n}"})
        raw = {"reportId": f"market-{s}", "source": "PLATFORM_DATA", "confidence": 0.9,
               "marking": "GREEN", "entities": entities, "relations": relations}
        batch.append((scope, services.parse(scope, raw)))
        if len(batch) == 2000:
            services.store.submit_many(batch)
            batch = []
    if batch:
        services.store.submit_many(batch)


def notices(services: Services, brand: Any, count: int, per_notice: int) -> None:
    records = workflow_for(services).records
    window = services.settings.refutation_window
    with records.transaction():
        for n in range(0, count, per_notice):
            at = T0 + timedelta(seconds=n)
            listings = [f"listing-{i}" for i in range(n, min(n + per_notice, count))]
            doc = new_notice(f"ntc-{n:08d}", brand, listings, "counterfeit", [], "AMBER",
                             at, window, "bazaar", False)
            records.put("notice", doc["id"], doc, sort=doc["refuteBy"], terms=notice_terms(doc))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outcomes", type=int, default=100_000)
    parser.add_argument("--per-notice", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--heap", action="store_true",
                        help="first sweep one batch under tracemalloc (not timed)")
    parser.add_argument("--reopen", action=argparse.BooleanOptionalAction, default=True,
                        help="sweep a store opened anew after the setup, as `graph-api "
                             "sweep` does (--no-reopen: the store the setup wrote through)")
    parser.add_argument("--work", default=str(ROOT / "bench" / "out" / "sweep"))
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    emit("machine", cpus=os.cpu_count(), python=platform.python_version(),
         date=time.strftime("%Y-%m-%d"))

    services = start_workflow(Services.open(Settings(db=work / "graph.db"), clock=lambda: T0))
    bazaar = services.add_org("Bazaar", OrgType.PLATFORM, org_id="bazaar")
    services.add_org("Police", OrgType.REGULATOR, org_id="police")
    acme = services.add_org("Acme", OrgType.BRAND, org_id="acme")
    plat_scope = services.scope_for(services.issue_token(bazaar, "analyst")[0])
    brand_scope = services.scope_for(services.issue_token(acme, "investigator")[0])
    start = time.perf_counter()
    marketplace(services, plat_scope, args.outcomes)
    notices(services, brand_scope, args.outcomes, args.per_notice)
    emit("sweep_setup", outcomes=args.outcomes, per_notice=args.per_notice,
         seconds=round(time.perf_counter() - start, 2), rss_mb=round(rss_mb(), 1))
    if args.reopen:  # as `graph-api sweep` runs: a store opened (and its graph loaded) anew
        services.close()
        services = start_workflow(Services.open(Settings(db=work / "graph.db"),
                                                clock=lambda: T0))

    now = T0 + timedelta(seconds=args.outcomes) + services.settings.refutation_window
    peak = 0
    if args.heap:  # one batch under tracemalloc (untimed): the sweep's working set per batch
        tracemalloc.start()
        sweep_batch(services, now, args.batch)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss_before = rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    upheld = sweep(services, now, args.batch)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    records = workflow_for(services).records
    emit(
        "sweep",
        outcomes=args.outcomes,
        per_notice=args.per_notice,
        notices_upheld=upheld,  # after the --heap batch
        seconds=round(seconds, 2),
        cpu_seconds=round(cpu, 2),  # this process's: what a busy machine changes least
        load=round(os.getloadavg()[0], 1),
        outcomes_per_second=round(args.outcomes / seconds) if seconds else None,
        batch=args.batch,
        batch_heap_peak_mb=round(peak / 2**20, 1) if args.heap else None,
        rss_before_mb=round(rss_before, 1),
        rss_after_mb=round(rss_mb(), 1),
        open_left=records.count("notice", "status:OPEN"),
        banned_in_ledgers=records.count("seller", "status:BANNED"),
        penalties=records.count("penalty"),
    )
    services.close()


if __name__ == "__main__":
    main()
