"""Both stores side by side: bulk import, `entity` by id, depth-6 trace.

    python bench/bench_stores.py [--sellers 15000]     # about 100,000 entities

Starts its own ArcadeDB (Bolt) unless GRAPH_API_TEST_NEO4J_URI is set. Prints
JSON lines; the ratios are neo4j / embedded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph_api import analytics  # noqa: E402
from graph_api.bulk import import_ndjson  # noqa: E402
from graph_api.config import Settings  # noqa: E402
from graph_api.model import OrgType  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.store.neo4j import Neo4jStore  # noqa: E402
from graph_api.synthetic import orgs, write_network  # noqa: E402
from tests.support import gql  # noqa: E402

ENTITY = """query($id: ID!) { entity(id: $id) { id kind name status confidence properties
  assertions { reportId reportedBy { id } marking confidence source }
  relations(first: 20) { totalCount edges { node { id kind confidence to { id kind } } } } } }"""
TRACE = """query($id: ID!) { traceToSource(from: $id) { sources { entity { id } score depth
  paths { confidence nodes { id } } } } }"""


def p50(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def measure(services: Services, name: str, path: Path, sample: list[str]) -> dict[str, float]:
    for org in orgs():
        services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
    scope = services.operator_scope(services.find_org("bazaarhub"))
    start = time.perf_counter()
    summary = import_ndjson(services, scope, path, operator=True, progress=False,
                            batch_rows=20_000)
    seconds = time.perf_counter() - start
    assertions = summary.entities + summary.relations
    from graph_api.export.case_view import UPSTREAM_KINDS

    by_id, trace, api_entity, api_trace = [], [], [], []
    principal, _ = services.issue_token(services.find_org("bazaarhub"), "investigator")
    caller = services.scope_for(principal)
    for eid in sample:
        t = time.perf_counter()
        gql(services, caller, ENTITY, {"id": eid})
        api_entity.append(time.perf_counter() - t)
        t = time.perf_counter()
        gql(services, caller, TRACE, {"id": eid})
        api_trace.append(time.perf_counter() - t)
        t = time.perf_counter()
        services.store.entities_by_id(scope, [eid])
        by_id.append(time.perf_counter() - t)
        t = time.perf_counter()
        G = services.store.view(scope, [eid], 6, UPSTREAM_KINDS, upstream=True)
        if eid in G:
            analytics.trace_to_source(G, eid, max_depth=6)
        trace.append(time.perf_counter() - t)
    return {"store": name, "assertions": assertions, "import_s": round(seconds, 1),
            "assertions_per_s": round(assertions / seconds), "entity_p50_ms": p50(by_id),
            "trace_p50_ms": p50(trace), "api_entity_p50_ms": p50(api_entity),
            "api_trace_p50_ms": p50(api_trace)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=15_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-stores-"))
    path = work / "net.ndjson"
    write_network(args.sellers, 3, path)
    listings = [json.loads(line)["entities"] for line in path.open()]
    ids = sorted({e["id"] for ents in listings for e in ents
                  if e["kind"] == "LISTING" and "id" in e})
    sample = random.Random(1).sample(ids, min(args.samples, len(ids)))

    memory = Services.open(Settings(db=work / "memory" / "graph.db"), with_graph=True)
    results = [measure(memory, "embedded", path, sample)]
    memory.close()

    env_file = work / "arcadedb.env"
    started = False
    if not os.environ.get("GRAPH_API_TEST_NEO4J_URI"):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "arcadedb.py"), "start",
                        "--venv", str(ROOT / ".venv-arcadedb"), "--data", str(work / "arcade"),
                        "--env-file", str(env_file), "--heap", "4g"], check=True)
        started = True
        for line in env_file.read_text().split():
            key, value = line.split("=", 1)
            os.environ[key] = value
    try:
        settings = Settings(db=work / "neo4j" / "graph.db", store="neo4j",
                            neo4j_uri=os.environ["GRAPH_API_TEST_NEO4J_URI"],
                            neo4j_user=os.environ["GRAPH_API_TEST_NEO4J_USER"],
                            neo4j_password=os.environ["GRAPH_API_TEST_NEO4J_PASSWORD"])
        neo4j = Services.open(settings)
        assert isinstance(neo4j.store, Neo4jStore)
        neo4j.store.reset()
        results.append(measure(neo4j, "neo4j (ArcadeDB)", path, sample))
        neo4j.close()
    finally:
        if started:
            subprocess.run([sys.executable, str(ROOT / "scripts" / "arcadedb.py"), "stop",
                            "--env-file", str(env_file)], check=False)
    for r in results:
        print(json.dumps(r))
    base, other = results
    print(json.dumps({
        "ratio_store_entity_p50": round(other["entity_p50_ms"] / base["entity_p50_ms"], 1),
        "ratio_store_trace_p50": round(other["trace_p50_ms"] / base["trace_p50_ms"], 1),
        "ratio_api_entity_p50": round(other["api_entity_p50_ms"] / base["api_entity_p50_ms"], 1),
        "ratio_api_trace_p50": round(other["api_trace_p50_ms"] / base["api_trace_p50_ms"], 1),
    }))


if __name__ == "__main__":
    main()
