"""What alert detection adds to ``submitReport``, on the generated network.

    python bench/bench_alerts.py [--sellers 150000] [--writes 300] [--work DIR]

150,000 sellers make about 1,000,000 entities. The network is imported into a
fresh SQLite file and opened in process (graph in memory, as ``serve`` does);
then the platform submits ``--writes`` realistic reports, three shapes in turn:

- ``listing``: a new listing on an existing storefront, infringing a brand,
  shipping from an existing warehouse (NEW_SOURCE looks upstream);
- ``comeback``: a new storefront and seller using a phone of a banned seller
  (RECIDIVISM finds the link in two identifier steps);
- ``supplier``: a new factory supplying an existing warehouse (NEW_SOURCE for
  every brand whose listings the warehouse serves).

Each report is stored (timed: ``store``), then detection runs on it (timed:
``detect`` = ``on_report_committed``), as ``Services.commit_report`` does.
Prints JSON lines with p50/p95/max per shape; bench/RESULTS.md records them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "graph-api"
sys.path.insert(0, str(ROOT))

from graph_api.analytics.walks import node_kind  # noqa: E402
from graph_api.config import Settings  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.workflow import on_report_committed, start_workflow  # noqa: E402


def emit(name: str, **values: object) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def run(*args: str) -> None:
    subprocess.run([str(BIN), *args], check=True, capture_output=True, text=True)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 2),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
            "max": round(ordered[-1], 2)}


def pools(G: Any) -> dict[str, list[str]]:
    """Existing entities the reports attach to, by role."""
    out: dict[str, list[str]] = {"STOREFRONT": [], "WAREHOUSE": [], "BRAND": [], "PHONE": []}
    for node in G.nodes:
        kind = node_kind(G, node)
        if kind in ("STOREFRONT", "WAREHOUSE", "BRAND"):
            out[kind].append(node)
        elif kind == "SELLER" and G.nodes[node].get("status") == "BANNED":
            out["PHONE"] += [v for v, keys in G.succ[node].items()
                             if "USES" in keys and node_kind(G, v) == "IDENTIFIER"
                             and G.nodes[v].get("value")]
    for key in out:
        out[key].sort()
    return out


def report(
    shape: str, n: int, rng: random.Random, have: dict[str, list[str]], G: Any
) -> dict[str, Any]:
    rid = f"bench-alerts-{shape}-{n}"
    if shape == "listing":
        listing = f"listing-{rid}"
        entities = [{"id": listing, "kind": "LISTING", "status": "LIVE"},
                    {"id": rng.choice(have["STOREFRONT"]), "kind": "STOREFRONT"},
                    {"id": rng.choice(have["BRAND"]), "kind": "BRAND"},
                    {"id": rng.choice(have["WAREHOUSE"]), "kind": "WAREHOUSE"}]
        relations = [{"kind": "LISTS", "from": entities[1]["id"], "to": listing},
                     {"kind": "INFRINGES", "from": listing, "to": entities[2]["id"]},
                     {"kind": "SHIPS_FROM", "from": listing, "to": entities[3]["id"]}]
    elif shape == "comeback":
        seller, store = f"seller-{rid}", f"store-{rid}"
        phone = G.nodes[rng.choice(have["PHONE"])]  # its value, as a reporter would know it
        entities = [{"id": seller, "kind": "SELLER", "status": "ACTIVE"},
                    {"id": store, "kind": "STOREFRONT", "status": "OPEN"},
                    {"id": "phone", "kind": "IDENTIFIER",
                     "identifierKind": phone["identifier_kind"], "value": phone["value"]}]
        relations = [{"kind": "OPERATES", "from": seller, "to": store},
                     {"kind": "USES", "from": store, "to": "phone"}]
    else:
        factory = f"factory-{rid}"
        warehouse = rng.choice(have["WAREHOUSE"])
        entities = [{"id": factory, "kind": "FACTORY", "region": "CN-GD"},
                    {"id": warehouse, "kind": "WAREHOUSE"}]
        relations = [{"kind": "SUPPLIED_BY", "from": warehouse, "to": factory}]
    return {"reportId": rid, "source": "PLATFORM_DATA", "confidence": 0.8, "marking": "GREEN",
            "entities": entities, "relations": relations}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=150_000)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--work", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--shapes", default="listing,comeback,supplier")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    emit("machine", cpus=os.cpu_count(), python=platform.python_version(),
         date=time.strftime("%Y-%m-%d"), load=os.getloadavg()[0])

    network = work / f"net-{args.sellers}.ndjson"
    if not network.exists():
        run("generate", "--sellers", str(args.sellers), "--seed", "7", "--out", str(network))
    folder = work / f"db-alerts-{args.sellers}"
    shutil.rmtree(folder, ignore_errors=True)
    db = folder / "graph.db"
    run("org", "load", str(network.with_suffix(".orgs.json")), "--db", str(db))
    run("import", str(network), "--org", "bazaarhub", "--db", str(db), "--quiet")

    start = time.perf_counter()
    services = start_workflow(Services.open(Settings(db=db)))
    platform_org = services.find_org("bazaarhub")
    principal, _ = services.issue_token(platform_org, "analyst")
    scope = services.scope_for(principal)
    view = services.store.view(scope)
    have = pools(view)
    emit("alerts_setup", sellers=args.sellers, open_seconds=round(time.perf_counter() - start, 1),
         **{k: len(v) for k, v in have.items()})

    rng = random.Random(11)
    timings: dict[str, dict[str, list[float]]] = {}
    raised: dict[str, int] = {}
    shapes = [s for s in args.shapes.split(",") if s != "comeback" or have["PHONE"]]
    for n in range(args.writes):
        shape = shapes[n % len(shapes)]
        parsed = services.parse(scope, report(shape, n, rng, have, view))
        started = time.perf_counter()
        services.store.submit(scope, parsed)
        stored = time.perf_counter()
        alerts = on_report_committed(services, scope, parsed)
        done = time.perf_counter()
        per = timings.setdefault(shape, {"store": [], "detect": []})
        per["store"].append((stored - started) * 1000)
        per["detect"].append((done - stored) * 1000)
        raised[shape] = raised.get(shape, 0) + len(alerts)
    for shape, per in timings.items():
        emit("alerts_on_write", shape=shape, store_ms=percentiles(per["store"]),
             detect_ms=percentiles(per["detect"]), alerts_raised=raised[shape])
    everything = [t for per in timings.values() for t in per["detect"]]
    emit("alerts_on_write", shape="all", detect_ms=percentiles(everything))
    services.close()


if __name__ == "__main__":
    main()
