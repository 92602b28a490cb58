"""Both stores side by side: bulk import, `entity` by id, depth-6 trace.

    python bench/bench_stores.py [--sellers 15000]     # about 100,000 entities
    python bench/bench_stores.py --warm-sellers 4000   # the server warmed first

Starts its own ArcadeDB (Bolt) unless GRAPH_API_TEST_NEO4J_URI is set. A fresh
JVM spends as much CPU compiling ArcadeDB's code as running it for the first few
minutes (C2 compiler threads: 82 s of CPU over two 100k imports); a production
server has long done that, so ``--warm-sellers N`` first imports another network
of N sellers into the server and empties it again (the import measured is then
that of a warm server; the default measures a cold one, as before). Imports
the same file into each store, then reads the same random listings from both,
alternating store by store per listing so that a change of load on a shared
machine weighs on both alike; then ``--warm-reads`` other listings, unmeasured, and
as many others again, measured (``warm_*``): the first reads after an import meet
a JVM still compiling its read paths, as a server that has served for a while does
not; then, unless ``--no-http``, both again over HTTP from a ``graph-api serve`` per
store (``http_*``: what a client of the API waits for). Prints JSON lines (with the
load average); the ratios are neo4j / embedded. ``--audit-after`` reads each
listing a third time from the Neo4j store with a query's audit record appended after
the answer (as the embedded store does) instead of while the query runs: the same
run's A/B (the two take turns at reading a listing first, so the Neo4j row is then
not comparable with a run without it: half its traces find their warehouses kept
from the other's read).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph_api import analytics  # noqa: E402
from graph_api.bulk import default_parse_workers, import_ndjson  # noqa: E402
from graph_api.config import Settings  # noqa: E402
from graph_api.model import OrgType  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.store.neo4j.store import Neo4jStore  # noqa: E402
from graph_api.synthetic import orgs, write_network  # noqa: E402
from graph_api.workflow import start_workflow  # noqa: E402
from tests.e2e.server import Server  # noqa: E402
from tests.support import gql  # noqa: E402

ENTITY = """query($id: ID!) { entity(id: $id) { id kind name status confidence properties
  assertions { reportId reportedBy { id } marking confidence source }
  relations(first: 20) { totalCount edges { node { id kind confidence to { id kind } } } } } }"""
TRACE = """query($id: ID!) { traceToSource(from: $id) { sources { entity { id } score depth
  paths { confidence nodes { id } } } } }"""


def p50(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (the Bolt server) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """User + system CPU time of this process's ended children (the parse workers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def load(services: Services, path: Path, server_pid: int = 0, workers: int = 0
         ) -> dict[str, Any]:
    """Import ``path`` as the platform's operator (parsed by ``workers`` processes, as
    `graph-api import --parse-workers`): assertions per second, and the CPU time the
    importing process, its parse workers and the server (``server_pid``) spent on it."""
    for org in orgs():
        services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
    scope = services.operator_scope(services.find_org("bazaarhub"))
    server = cpu_seconds(server_pid) if server_pid else 0.0
    client = time.process_time()
    parsers = children_cpu_seconds()
    start = time.perf_counter()
    summary = import_ndjson(services, scope, path, operator=True, progress=False,
                            batch_rows=20_000, workers=workers)
    seconds = time.perf_counter() - start
    assertions = summary.entities + summary.relations
    out = {"assertions": assertions, "import_s": round(seconds, 1),
           "assertions_per_s": round(assertions / seconds), "load": os.getloadavg()[0],
           "client_cpu_s": round(time.process_time() - client, 1),
           "parse_workers": workers,
           "parse_workers_cpu_s": round(children_cpu_seconds() - parsers, 1)}
    if server_pid:
        out["server_cpu_s"] = round(cpu_seconds(server_pid) - server, 1)
    return out


def read_once(services: Services, caller: Any, scope: Any, eid: str,
              times: dict[str, list[float]]) -> None:
    """One listing: entity and trace through GraphQL in process, and as store calls."""
    from graph_api.analytics.walks import UPSTREAM_KINDS

    t = time.perf_counter()
    gql(services, caller, ENTITY, {"id": eid})
    times["api_entity"].append(time.perf_counter() - t)
    t = time.perf_counter()
    gql(services, caller, TRACE, {"id": eid})
    times["api_trace"].append(time.perf_counter() - t)
    t = time.perf_counter()
    services.store.entities_by_id(scope, [eid])
    times["entity"].append(time.perf_counter() - t)
    t = time.perf_counter()
    G = services.store.view(scope, [eid], 6, UPSTREAM_KINDS, upstream=True)
    if eid in G:
        analytics.trace_to_source(G, eid, max_depth=6)
    times["trace"].append(time.perf_counter() - t)


AFTER = "neo4j (ArcadeDB), audit after"


def reads(stores: dict[str, Services], sample: list[str]) -> dict[str, dict[str, float]]:
    """p50s per store, each listing read from every store in turn (``AFTER``: the
    Neo4j store again, a query's audit record appended after its answer)."""
    callers = {}
    for name, services in stores.items():
        org = services.find_org("bazaarhub")
        principal, _ = services.issue_token(org, "investigator")
        callers[name] = (services.scope_for(principal), services.operator_scope(org))
    times: dict[str, dict[str, list[float]]] = {
        name: {k: [] for k in ("entity", "trace", "api_entity", "api_trace")} for name in stores}
    names = list(stores)
    for i, eid in enumerate(sample):
        # the two Neo4j variants share one store, whose trace keeps the node data it read
        # across operations: the second to read a listing finds its warehouses kept, so
        # they take turns at being first
        order = names if i % 2 == 0 or AFTER not in stores else [*names[:-2], *names[:-3:-1]]
        for name in order:
            services = stores[name]
            backend = services.backend
            if name == AFTER:
                services.backend = replace(backend, audit_ahead=None)
            try:
                read_once(services, *callers[name], eid, times[name])
            finally:
                services.backend = backend
    return {name: {f"{k}_p50_ms": p50(v) for k, v in t.items()} for name, t in times.items()}


def http_reads(stores: dict[str, Services], extra: dict[str, tuple[str, ...]],
               warm_up: list[str], sample: list[str]) -> dict[str, dict[str, float]]:
    """p50s of `entity` and `traceToSource` over HTTP: a `graph-api serve` per store
    (each over the bench's database; ``extra``: its options), ``warm_up`` read
    unmeasured, then ``sample``, each listing from every server in turn, on a
    keep-alive connection per server, with one investigator token per server."""
    servers: dict[str, Server] = {}
    with contextlib.ExitStack() as stack:
        tokens = {}
        for name, services in stores.items():
            _, tokens[name] = services.issue_token(services.find_org("bazaarhub"),
                                                   "investigator")
            server = servers[name] = Server(services.settings.db, *extra[name])
            stack.callback(server.kill)
            server.start(timeout=300)
        clients = {name: stack.enter_context(httpx.Client(timeout=60)) for name in stores}
        times: dict[str, dict[str, list[float]]] = {
            name: {"http_entity": [], "http_trace": []} for name in stores}
        for measured, listings in ((False, warm_up), (True, sample)):
            for eid in listings:
                for name, server in servers.items():
                    for key, text in (("http_entity", ENTITY), ("http_trace", TRACE)):
                        t = time.perf_counter()
                        answer = server.gql(tokens[name], text, {"id": eid}, clients[name])
                        elapsed = time.perf_counter() - t
                        if "errors" in answer:
                            raise AssertionError(f"{name}: {answer['errors']}")
                        if measured:
                            times[name][key].append(elapsed)
    return {name: {f"{k}_p50_ms": p50(v) for k, v in t.items()} for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=15_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warm-reads", type=int, default=200,
                        help="listings read from both stores after the first reads, "
                             "before the same number of others are read again (warm_*)")
    parser.add_argument("--warm-sellers", type=int, default=0,
                        help="import a network of this many sellers first (then reset)")
    parser.add_argument("--java-option", action="append", default=[],
                        help="a JVM option for the ArcadeDB the bench starts (repeatable)")
    parser.add_argument("--no-http", action="store_true",
                        help="skip the reads over HTTP (a `graph-api serve` per store)")
    parser.add_argument("--audit-after", action="store_true",
                        help="also read from the Neo4j store with audit records appended "
                             "after the answer (the same run's A/B)")
    parser.add_argument("--parse-workers", type=int,
                        help="processes parsing the file while the import writes (0: none; "
                             "default: as `graph-api import`, per store)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-stores-"))
    path = work / "net.ndjson"
    write_network(args.sellers, 3, path)
    listings = [json.loads(line)["entities"] for line in path.open()]
    ids = sorted({e["id"] for ents in listings for e in ents
                  if e["kind"] == "LISTING" and "id" in e})
    sample = random.Random(1).sample(ids, min(args.samples, len(ids)))
    rest = sorted(set(ids) - set(sample))
    warm_up = random.Random(2).sample(rest, min(args.warm_reads, len(rest)))
    rest = sorted(set(rest) - set(warm_up))
    warm_sample = random.Random(3).sample(rest, min(args.samples, len(rest)))
    rest = sorted(set(rest) - set(warm_sample))
    http_warm_up = random.Random(4).sample(rest, min(args.warm_reads, len(rest)))
    rest = sorted(set(rest) - set(http_warm_up))
    http_sample = random.Random(5).sample(rest, min(args.samples, len(rest)))

    memory = start_workflow(Services.open(Settings(db=work / "memory" / "graph.db"),
                                          with_graph=True))
    workers = args.parse_workers
    results = {"embedded": load(memory, path, workers=default_parse_workers(memory)
                                if workers is None else workers)}

    env_file = work / "arcadedb.env"
    started = False
    if not os.environ.get("GRAPH_API_TEST_NEO4J_URI"):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "arcadedb.py"), "start",
                        "--venv", str(ROOT / ".venv-arcadedb"), "--data", str(work / "arcade"),
                        "--env-file", str(env_file), "--heap", "4g",
                        *(f"--java-option={o}" for o in args.java_option)], check=True)
        started = True
        for line in env_file.read_text().split():
            key, value = line.split("=", 1)
            os.environ[key] = value
    pid = int(os.environ.get("ARCADEDB_PID", "0"))  # on this machine: its CPU is measured
    try:
        settings = Settings(db=work / "neo4j" / "graph.db", store="neo4j",
                            neo4j_uri=os.environ["GRAPH_API_TEST_NEO4J_URI"],
                            neo4j_user=os.environ["GRAPH_API_TEST_NEO4J_USER"],
                            neo4j_password=os.environ["GRAPH_API_TEST_NEO4J_PASSWORD"])
        neo4j = start_workflow(Services.open(settings))
        assert isinstance(neo4j.store, Neo4jStore)
        neo4j.store.reset()
        if args.warm_sellers:
            warm = work / "warm.ndjson"
            write_network(args.warm_sellers, 4, warm)
            load(neo4j, warm, workers=workers or 0)
            neo4j.store.reset()
        results["neo4j (ArcadeDB)"] = load(neo4j, path, pid, default_parse_workers(neo4j)
                                           if workers is None else workers)
        results["neo4j (ArcadeDB)"]["server"] = "warm" if args.warm_sellers else "cold"
        results["neo4j (ArcadeDB)"]["java_options"] = args.java_option
        before = os.getloadavg()[0]
        stores = {"embedded": memory, "neo4j (ArcadeDB)": neo4j}
        if args.audit_after:
            stores[AFTER] = neo4j
            results[AFTER] = {}
        for name, p50s in reads(stores, sample).items():
            results[name].update(p50s, reads_load=[before, os.getloadavg()[0]])
        if warm_up:  # the servers' read paths compiled (a JVM's JIT), caches as they run
            reads(stores, warm_up)
            before = os.getloadavg()[0]
            for name, p50s in reads(stores, warm_sample).items():
                results[name].update({f"warm_{k}": v for k, v in p50s.items()},
                                     warm_reads_load=[before, os.getloadavg()[0]])
        if not args.no_http:
            neo4j_options = ("--store", "neo4j", "--neo4j-uri", settings.neo4j_uri,
                             "--neo4j-user", settings.neo4j_user,
                             "--neo4j-password", settings.neo4j_password)
            before = os.getloadavg()[0]
            measured = http_reads({"embedded": memory, "neo4j (ArcadeDB)": neo4j},
                                  {"embedded": (), "neo4j (ArcadeDB)": neo4j_options},
                                  http_warm_up, http_sample)
            for name, p50s in measured.items():
                results[name].update(p50s, http_reads_load=[before, os.getloadavg()[0]])
        neo4j.close()
        memory.close()
    finally:
        if started:
            subprocess.run([sys.executable, str(ROOT / "scripts" / "arcadedb.py"), "stop",
                            "--env-file", str(env_file)], check=False)
    for name, r in results.items():
        print(json.dumps({"store": name, **r}))
    base, other = results["embedded"], results["neo4j (ArcadeDB)"]
    ratios = {f"ratio_store_{read}_p50": round(other[f"{read}_p50_ms"] / base[f"{read}_p50_ms"], 1)
              for read in ("entity", "trace")}
    for prefix in ("api", "warm_api", "http"):  # warm_ and http_ unless left out
        for read in ("entity", "trace"):
            key = f"{prefix}_{read}_p50"
            if f"{key}_ms" in base:
                ratios[f"ratio_{key}"] = round(other[f"{key}_ms"] / base[f"{key}_ms"], 2)
            if prefix == "api" and AFTER in results:
                ratios[f"ratio_{key}_audit_after"] = round(
                    results[AFTER][f"{key}_ms"] / base[f"{key}_ms"], 2)
    print(json.dumps(ratios))


if __name__ == "__main__":
    main()
