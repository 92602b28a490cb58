"""Issue 19's number: a persisted query's hit by GET against the same query POSTed whole.

    python bench/bench_persisted.py [--rounds 1500] [--work DIR]

One ``graph-api serve --demo`` (rate limit and cost budget off, as ``make bench``
runs), one keep-alive HTTP client in this process, one investigator's token, and one
document of about 400 bytes (an entity with its assertions and a page of relations).
Each round sends, in turn:

- ``apq-get``: GET with ``extensions={"persistedQuery": ...}`` and the variables,
  the hash alone (registered once before the rounds, as Apollo's link does);
- ``post-text``: POST with the document's text, the same text every time (the
  server's parse/validate cache is keyed by text: parsed and validated once);
- ``post-new-text``: POST with the text plus a comment that differs every round,
  so each one is parsed and validated (a client whose texts vary, or the first
  request of each document).

The three alternate in blocks of ``BLOCK`` requests, so a shared, noisy machine
loads them alike, and the server's CPU time (its process group's, from /proc) is read
around each block. Prints one JSON line per variant (p50, p90, p99 of the client's
wall time per request, and the median over blocks of the server's CPU per request,
in ms) and the machine's load; bench/RESULTS.md records them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph_api.api.persisted import sha256_of  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

QUERY = """query Entity($id: ID!) {
  entity(id: $id) {
    id kind name region status confidence properties
    assertions { reportId reportedAt source confidence marking reportedBy { id name } }
    relations(first: 20) {
      totalCount
      edges { cursor node { id kind confidence from { id kind name } to { id kind name }
        assertions { reportId confidence marking } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
ENTITY = "listing-sw-aeropace-01"
VARIANTS = ("apq-get", "post-text", "post-new-text")
BLOCK = 25  # requests of one variant in a row: the server's CPU is read around each block


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p90_ms": round(at(0.9) * 1000, 3), "p99_ms": round(at(0.99) * 1000, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1500)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-persisted-"))
    env = {"GRAPH_API_RATE_PER_SECOND": "0", "GRAPH_API_COST_PER_HOUR": "0"}
    server = Server(work / "graph.db", "--demo", env=env).start()
    try:
        token = server.demo_tokens()[("ipcu", "investigator")]
        headers = {"Authorization": f"Bearer {token}"}
        url = server.url + "/graphql"
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(QUERY)}}
        variables = {"id": ENTITY}
        get_params = {"extensions": json.dumps(extensions), "variables": json.dumps(variables)}
        timings: dict[str, list[float]] = {name: [] for name in VARIANTS}
        cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
        with httpx.Client(headers=headers, timeout=30) as client:
            registered = client.post(url, json={"query": QUERY, "variables": variables,
                                                "extensions": extensions}).json()
            assert registered["data"]["entity"]["id"] == ENTITY, registered
            hit = client.get(url, params=get_params).json()
            assert hit == registered, hit
            sent = 0

            def send(name: str) -> httpx.Response:
                nonlocal sent
                sent += 1
                if name == "apq-get":
                    return client.get(url, params=get_params)
                text = QUERY if name == "post-text" else f"{QUERY}\n# request {sent}"
                return client.post(url, json={"query": text, "variables": variables})

            for block in range(-1, args.rounds // BLOCK):  # the first block warms up
                for name in VARIANTS:
                    before = server.cpu_seconds()
                    for _ in range(BLOCK):
                        start = time.perf_counter()
                        response = send(name)
                        elapsed = time.perf_counter() - start
                        assert response.status_code == 200 and "errors" not in response.json()
                        if block >= 0:
                            timings[name].append(elapsed)
                    if block >= 0:
                        cpu[name].append((server.cpu_seconds() - before) / BLOCK)
        load = os.getloadavg()
        for name, samples in timings.items():
            print(json.dumps({"bench": "persisted", "variant": name, "requests": len(samples),
                              **percentiles(samples),
                              "server_cpu_ms_per_request_median_of_blocks": round(
                                  statistics.median(cpu[name]) * 1000, 3)}), flush=True)
        print(json.dumps({"bench": "persisted", "machine": platform.node(),
                          "cpus": os.cpu_count(), "load_1_5_15": [round(x, 2) for x in load],
                          "document_bytes": len(QUERY.encode())}), flush=True)
    finally:
        server.kill()


if __name__ == "__main__":
    main()
