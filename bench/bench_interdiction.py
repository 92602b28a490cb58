"""Issue 25's numbers: chokepoints, interdictionPlan and simulateInterdiction at 1M entities.

    .venv/bin/python bench/bench_interdiction.py [--sellers 150000] [--work DIR] [--db PATH]

The network is bench/bench_core.py's (``generate --sellers N --seed 7``, imported
once under ``--work``, default /tmp/graph-api-bench; ``--db`` names a database
already imported). The store is opened in process as ``serve`` opens it, and
every query runs through the GraphQL pipeline (tests/support.gql: parse,
validate, audit, resolvers, entity loads), as a brand's investigator and as the
platform's. Per caller and brand:

- ``first``: the view's first query, a chokepoints query (the view read into its
  snapshot, then the brand's cut sets);
- ``cold``: chokepoints for the brand with the view's snapshot already read (by
  another analytic or brand), nothing of this brand computed yet;
- ``cached``: the same query again (median of 20; its answer holds about 1,000
  entities), the top 10 without their listings and storefronts, and ``{ me { id } }``
  for the pipeline's own cost per operation (parse, audit record, answer);
- ``plan``: interdictionPlan budget 5 right after (the brand's cut sets kept),
  and ``plan_cold`` at another depth (nothing of it computed: maxDepth 5);
- ``simulate``: simulateInterdiction of 5 nodes (the plan's picks, then four
  other sets of five chokepoints, each new: never cached), median and max.

Prints one JSON line per measurement; bench/RESULTS.md records them.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_core import emit, measure_import, run  # noqa: E402
from graph_api.config import Settings  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.workflow import start_workflow  # noqa: E402
from tests.support import gql  # noqa: E402

CHOKEPOINTS = """query($b: ID, $d: Int) { chokepoints(brand: $b, first: 10, maxDepth: $d) {
  entity { id kind region } cut listings(first: 50) { id } storefronts(first: 50) { id }
  regions } }"""
LIGHT = """query($b: ID, $d: Int) { chokepoints(brand: $b, first: 10, maxDepth: $d) {
  entity { id } cut regions } }"""
BASELINE = "{ me { id } }"  # the operation pipeline's own cost (parse, audit record, ...)
PLAN = """query($b: ID, $d: Int) { interdictionPlan(brand: $b, budget: 5, maxDepth: $d) {
  steps { entity { id } cutAfter } listingsConsidered cut remaining } }"""
SIMULATE = """query($r: [ID!]!, $b: ID) { simulateInterdiction(remove: $r, brand: $b) {
  removed { id } listingsCut { id } storefrontsCut { id } sourcesRemaining { id }
  hotspotsBefore { region listings sources share cumulativeShare }
  hotspotsAfter { region listings sources share cumulativeShare } } }"""


def timed(services: Services, scope: Any, query: str, variables: dict[str, Any]) -> tuple[
        float, dict[str, Any]]:
    start = time.perf_counter()
    answer = gql(services, scope, query, variables)
    seconds = time.perf_counter() - start
    assert "errors" not in answer, answer["errors"]
    return seconds, answer["data"]


def measure(services: Services, org: str, brands: list[str | None]) -> None:
    principal, _ = services.issue_token(services.find_org(org), "investigator")
    scope = services.scope_for(principal)
    for i, brand in enumerate(brands):
        v = {"b": brand, "d": 6}
        seconds, data = timed(services, scope, CHOKEPOINTS, v)
        top = data["chokepoints"]
        emit("chokepoints", org=org, brand=brand, phase="first" if i == 0 else "cold",
             seconds=round(seconds, 2), chokepoints=len(top),
             best=[(c["entity"]["id"], c["cut"]) for c in top[:3]], load=_load())
        entities = sum(1 + len(c["listings"]) + len(c["storefronts"]) for c in top)
        for phase, query in (("cached", CHOKEPOINTS), ("cached, entity id/cut/regions only",
                                                       LIGHT), ("baseline: { me { id } }",
                                                                BASELINE)):
            cached = [timed(services, scope, query, v if query != BASELINE else {})[0]
                      for _ in range(20)]
            emit("chokepoints", org=org, brand=brand, phase=phase,
                 median_ms=round(statistics.median(cached) * 1e3, 2),
                 max_ms=round(max(cached) * 1e3, 2),
                 entities=entities if query == CHOKEPOINTS else None, load=_load())
        seconds, data = timed(services, scope, PLAN, v)
        plan = data["interdictionPlan"]
        emit("interdictionPlan", org=org, brand=brand, phase="after chokepoints",
             seconds=round(seconds, 2), cut=plan["cut"], considered=plan["listingsConsidered"],
             load=_load())
        seconds, _ = timed(services, scope, PLAN, {"b": brand, "d": 5})
        emit("interdictionPlan", org=org, brand=brand, phase="cold (maxDepth 5)",
             seconds=round(seconds, 2), load=_load())
        picks = [s["entity"]["id"] for s in plan["steps"]]
        ids = [c["entity"]["id"] for c in top]
        sets = [picks, ids[:5], ids[5:10], ids[1:6], [ids[0], *ids[6:10]]]
        times, cut = [], []
        for remove in sets:
            seconds, data = timed(services, scope, SIMULATE, {"r": remove, "b": brand})
            times.append(seconds)
            cut.append(len(data["simulateInterdiction"]["listingsCut"]))
        emit("simulateInterdiction", org=org, brand=brand, nodes=5,
             first_seconds=round(times[0], 2), median_seconds=round(statistics.median(times), 2),
             max_seconds=round(max(times), 2), listings_cut=cut, load=_load())


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=150_000)
    parser.add_argument("--work", default="/tmp/graph-api-bench")
    parser.add_argument("--db", help="a database already imported (skips generate/import)")
    args = parser.parse_args()
    emit("machine", cpus=os.cpu_count(), python=platform.python_version(),
         date=time.strftime("%Y-%m-%d %H:%M"), load=_load())
    if args.db:
        db = Path(args.db)
    else:
        work = Path(args.work)
        work.mkdir(parents=True, exist_ok=True)
        network = work / f"net-{args.sellers}.ndjson"
        if not network.exists():
            run("generate", "--sellers", str(args.sellers), "--seed", "7", "--out", str(network))
        counts = json.loads(network.with_suffix(".truth.json").read_text())["counts"]
        db = work / f"db-{args.sellers}" / "graph.db"
        if not db.exists():
            measure_import(network, db, counts)
    start = time.perf_counter()
    # Services.open freezes the gc
    services = start_workflow(Services.open(Settings.from_env(db=db), create=False))
    emit("open", seconds=round(time.perf_counter() - start, 1), load=_load())
    try:
        measure(services, "stridewell", ["brand-stridewell", "brand-voltra"])
        measure(services, "bazaarhub", ["brand-stridewell", None])
    finally:
        services.close()


if __name__ == "__main__":
    main()
