"""Issue 21, item 0 on the Neo4j store: `entities` from the database against the scan.

    GRAPH_API_TEST_NEO4J_URI=... python bench/bench_entities_neo4j.py --reset-database
        [--sellers 3000] [--rounds 5] [--org voltra]

With ``--reset-database`` (else it prints a skip line: ``make bench`` runs every
script), EMPTIES the Bolt database named by the GRAPH_API_TEST_NEO4J_* settings
(start one of your own: scripts/arcadedb.py start --data DIR --env-file FILE), imports
``generate --sellers N --seed 7`` into it, and in process, for one org, alternates
per query the store's ``find_entities`` (pages and counts in the database, searches
among the database's candidates) with the scan every store falls back to
(``GraphReads.find_entities``: every visible summary read and matched in Python),
checking both answer alike. Prints one JSON line per query (median ms of each and
the ratio scan / store).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph_api.bulk import import_ndjson  # noqa: E402
from graph_api.model import EntityKind, OrgType  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.store.base import EntityFilter  # noqa: E402
from graph_api.store.reads import GraphReads  # noqa: E402
from graph_api.synthetic import orgs, write_network  # noqa: E402
from graph_api.workflow import start_workflow  # noqa: E402
from tests.conftest import neo4j_settings  # noqa: E402

SEARCHES = ["seller-001234", "kaida000123", "longsheng", "Yiwu Xinyu Sports Goods", "golden"]


def emit(name: str, **values: object) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def timed(read: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    page = read(*args)
    return (time.perf_counter() - start) * 1e3, ([r.id for r in page.items], page.total)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--org", default="voltra")
    parser.add_argument("--reset-database", action="store_true",
                        help="empty the GRAPH_API_TEST_NEO4J_* database and import into it")
    args = parser.parse_args()
    if not (args.reset_database and os.environ.get("GRAPH_API_TEST_NEO4J_URI")):
        emit("skipped", reason="needs --reset-database and GRAPH_API_TEST_NEO4J_* naming a "
             "Bolt server of your own")
        return
    emit("machine", cpus=os.cpu_count(), date=time.strftime("%Y-%m-%d %H:%M"),
         load_average=round(os.getloadavg()[0], 2))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        services = start_workflow(Services.open(neo4j_settings(folder)))
        services.store.reset()  # type: ignore[attr-defined]
        for org in orgs():
            services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
        network = folder / "net.ndjson"
        write_network(args.sellers, 7, network)
        start = time.perf_counter()
        operator = services.operator_scope(services.find_org("bazaarhub"))
        import_ndjson(services, operator, network, operator=True, progress=False)
        emit("import", sellers=args.sellers, seconds=round(time.perf_counter() - start, 1))
        scope = services.operator_scope(services.find_org(args.org))
        store = services.store
        queries = [(f"kind {k.value}", EntityFilter(kind=k)) for k in EntityKind]
        queries += [(f"search {s!r}", EntityFilter(search=s)) for s in SEARCHES]

        def scan(*a: Any) -> Any:
            return GraphReads.find_entities(store, *a)  # type: ignore[arg-type]

        for name, where in queries:
            ours, theirs = [], []
            for _ in range(args.rounds):
                for which, read in (("store", store.find_entities), ("scan", scan)):
                    store._totals.clear()  # each count counted afresh
                    ms, answer = timed(read, scope, where, 25, None, True)
                    (ours if which == "store" else theirs).append((ms, answer))
            assert all(answer == ours[0][1] for _, answer in ours + theirs), name
            a, b = (statistics.median(m for m, _ in x) for x in (ours, theirs))
            emit("entities_neo4j", query=name, total=ours[0][1][1], store_ms=round(a, 1),
                 scan_ms=round(b, 1), ratio=round(b / a, 1),
                 load_average=round(os.getloadavg()[0], 2))
        services.close()


if __name__ == "__main__":
    main()
