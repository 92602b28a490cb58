"""The rights holder's desk at scale: a 300-listing notice filed and decided.

    python bench/bench_desk.py --db PATH [--listings 300] [--notices 5]

``PATH`` is a database the generator's network was imported into (e.g.
``graph-api generate --sellers 150000 --seed 7`` then ``graph-api org load`` and
``graph-api import``: about 1,000,000 entities); it is written to (rights,
notices, their effects), so give it a copy. Opened in process as ``serve``
does (graph in memory). A brand registers a right, the platform verifies it,
then, timed: ``fileNotice`` of ``--listings`` of the brand's visible listings
(``--notices`` times, each on other listings), and ``decideNotice`` upholding
one of them (every outcome, its sellers struck in each ledger). Prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph_api.access import Scope  # noqa: E402
from graph_api.config import Settings  # noqa: E402
from graph_api.model import EntityKind, OrgType  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.store.base import EntityFilter  # noqa: E402
from graph_api.workflow import (  # noqa: E402
    notices,
    rights,
    start_workflow,  # noqa: E402
)


def emit(name: str, **values: object) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--listings", type=int, default=300)
    parser.add_argument("--notices", type=int, default=5)
    args = parser.parse_args()
    emit("machine", cpus=os.cpu_count(), python=platform.python_version(),
         date=time.strftime("%Y-%m-%d %H:%M"), load=os.getloadavg()[0])
    start = time.perf_counter()
    services = start_workflow(Services.open(Settings(db=Path(args.db))))
    orgs = services.store.orgs()
    brand = next(o for o in orgs if o.type is OrgType.BRAND)
    plat = next(o for o in orgs if o.type is OrgType.PLATFORM)
    filer = Scope("bench-filer", brand.id, brand.type, "investigator")
    reviewer = Scope("bench-reviewer", plat.id, plat.type, "reviewer")
    wanted = args.listings * args.notices
    page = services.store.find_entities(filer, EntityFilter(kind=EntityKind.LISTING), wanted,
                                        None, False)
    listing_ids = [r.id for r in page.items]
    emit("desk_setup", open_seconds=round(time.perf_counter() - start, 1), brand=brand.id,
         listings_found=len(listing_ids))
    right = rights.register_right(services, filer, "TRADEMARK", "EU-BENCH-1", "EU", ["25"],
                                  None, [{"kind": "certificate", "sha256": "ab" * 32}], [])
    rights.verify_right(services, reviewer, right["id"], True, "bench")
    filed_ms = []
    made = []
    for n in range(args.notices):
        chunk = listing_ids[n * args.listings:(n + 1) * args.listings]
        if len(chunk) < args.listings:
            break
        t0 = time.perf_counter()
        doc = notices.file_notice(services, filer, chunk, "bench", None, "AMBER",
                                  [right["id"]], "COUNTERFEIT")
        filed_ms.append((time.perf_counter() - t0) * 1000)
        made.append(doc["id"])
    t0 = time.perf_counter()
    decided = notices.decide_notice(services, reviewer, made[0], True, "bench")
    decide_ms = (time.perf_counter() - t0) * 1000
    emit("desk", listings_per_notice=args.listings, notices=len(filed_ms),
         file_ms={"p50": round(statistics.median(filed_ms), 1),
                  "max": round(max(filed_ms), 1)},
         decide_all_ms=round(decide_ms, 1), decided_status=decided["status"],
         load=os.getloadavg()[0])
    services.close()


if __name__ == "__main__":
    main()
