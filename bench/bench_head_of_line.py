"""Head-of-line probe (issue 21): another org's ``entity`` every 20 ms while whole-graph work runs.

Serves a copy of an existing database (``--db``; tokens are issued into it) with
``graph-api serve`` (one worker, rate limit off), then for each whole-graph request
in ``--queries`` made cold (a seller write its org sees, so that rings cluster
again; an export is never cached) sends it from one client while a second client,
of another org, asks ``entity`` for one of its sellers every 20 ms (the next one
20 ms after the last was sent, or at once if it took longer). Prints one JSON line
per request: its wall time, and the probe's latencies while it ran (``during``) and
in the 2 s before it (``before``), with the load average and the server's CPU.

    python bench/bench_head_of_line.py --db /tmp/copy/graph.db --whole-graph-workers 2

``--whole-graph-workers 0`` serves as before issue 21 (every step on the loop).
``rings-first`` is the view's first rings after the server started (the view read
from its columns); it must come first in ``--queries``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_core import cli_line  # noqa: E402
from tests.e2e import server as e2e  # noqa: E402

HOST = "127.0.0.1"
QUERIES = {
    "rings": "{ rings { id size keyPlayers { score entity { id } } } }",
    "topSources": "{ topSources(first: 20) { score entity { id } } }",
    "hotspots": "{ hotspots { totalListings regions { region share } } }",
}
PROBE = "query($id: ID!) { entity(id: $id) { id name kind confidence } }"


class Server(e2e.Server):
    """``graph-api serve`` over ``db`` (tests/e2e/server.py), started at once;
    ``start_seconds`` from launch to its first ``/healthz``."""

    def __init__(self, db: Path, workers: int, log: Path, debug: bool = False) -> None:
        env = {"GRAPH_API_RATE_PER_SECOND": "0", "GRAPH_API_DB": "",
               "GRAPH_API_WHOLE_GRAPH_WORKERS": str(workers),
               "GRAPH_API_REQUEST_SECONDS": "600"}
        if debug:  # asyncio logs every step of the loop that took over 100 ms, and where
            env["PYTHONASYNCIODEBUG"] = "1"
        super().__init__(db, "--host", HOST, env=env, log=log)
        started = time.monotonic()
        self.start(timeout=3600)
        self.start_seconds = time.monotonic() - started

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_gib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 2**20
        return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=60)


def stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 2),
            "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max": round(ordered[-1], 2)}


class Probe:
    """``entity`` every 20 ms from its own connection; (sent at, ms) per answer."""

    def __init__(self, http: httpx.AsyncClient, token: str, ids: list[str]) -> None:
        self.http, self.ids = http, ids
        self.headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        self.samples: list[tuple[float, float]] = []
        self.errors = 0
        self.stopped = False

    async def run(self) -> None:
        n = 0
        while not self.stopped:
            sent = time.perf_counter()
            body = orjson.dumps({"query": PROBE, "variables": {"id": self.ids[n % len(self.ids)]}})
            response = await self.http.post("/graphql", content=body, headers=self.headers)
            took = (time.perf_counter() - sent) * 1000
            if response.status_code != 200 or orjson.loads(response.content).get("errors"):
                self.errors += 1
            self.samples.append((sent, took))
            n += 1
            await asyncio.sleep(max(0.0, 0.02 - (time.perf_counter() - sent)))

    def between(self, start: float, end: float) -> list[float]:
        return [ms for sent, ms in self.samples if start <= sent <= end]


async def post(http: httpx.AsyncClient, token: str, query: str,
               variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await http.post("/graphql", content=orjson.dumps(
        {"query": query, "variables": variables or {}}), headers={
        "Authorization": f"Bearer {token}", "content-type": "application/json"})
    answer: dict[str, Any] = orjson.loads(response.content)
    if response.status_code != 200 or answer.get("errors"):
        raise SystemExit(f"{query[:60]}: HTTP {response.status_code} {answer.get('errors')}")
    return answer


async def ids_of(http: httpx.AsyncClient, token: str, kind: str, count: int) -> list[str]:
    out: list[str] = []
    after = None
    while len(out) < count:
        page = await post(http, token, "query($k: EntityKind!, $a: String) { entities(kind: $k, "
                          "first: 500, after: $a) { edges { node { id } } pageInfo { endCursor "
                          "hasNextPage } } }", {"k": kind, "a": after})
        found = page["data"]["entities"]
        out += [e["node"]["id"] for e in found["edges"]]
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    return out[:count]


async def measure(server: Server, tokens: dict[str, str], queries: list[str],
                  case_members: int) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=4)
    rows = []
    async with httpx.AsyncClient(base_url=server.url, timeout=3600, limits=limits) as http, \
            httpx.AsyncClient(base_url=server.url, timeout=3600) as probe_http:
        probe_ids = await ids_of(http, tokens["probe"], "SELLER", 500)
        case_id = None
        if "exportCase" in queries:
            members = await ids_of(http, tokens["liaison"], "LISTING", case_members)
            opened = await post(http, tokens["liaison"], "mutation($i: CaseInput!) { openCase("
                                "input: $i) { id } }", {"i": {"title": "bench case",
                                                              "entities": members}})
            case_id = opened["data"]["openCase"]["id"]
        probe = Probe(probe_http, tokens["probe"], probe_ids)
        running = asyncio.ensure_future(probe.run())
        try:
            for name in queries:
                if name in QUERIES:  # cold: a write the asking org sees
                    tick = f"hol-{time.time_ns()}"
                    await post(http, tokens["asker"], "mutation($r: ReportInput!) { submitReport("
                               "input: $r) { reportId } }", {"r": {
                                   "reportId": tick, "source": "OSINT", "confidence": 0.5,
                                   "marking": "GREEN", "entities": [
                                       {"id": tick, "kind": "SELLER", "name": "tick"},
                                       {"id": tick + "-store", "kind": "STOREFRONT"}],
                                   "relations": [
                                       {"kind": "OPERATES", "from": tick, "to": tick + "-store"},
                                       {"kind": "SHIPS_FROM", "from": tick + "-store",
                                        "to": "wh-000001"}]}})
                await asyncio.sleep(2.0)  # the probe's baseline
                cpu, load = server.cpu(), os.getloadavg()[0]
                start = time.perf_counter()
                if name == "exportCase":
                    answer = await post(http, tokens["liaison"], "mutation($id: ID!) { exportCase("
                                        "id: $id, recipient: \"bench\") { id files { name bytes } }"
                                        " }", {"id": case_id})
                    detail: Any = sum(f["bytes"] for f in answer["data"]["exportCase"]["files"])
                    manifest = await http.get(f"/exports/{answer['data']['exportCase']['id']}",
                                              headers={"Authorization":
                                                       f"Bearer {tokens['liaison']}"})
                    with zipfile.ZipFile(io.BytesIO(manifest.content)) as package:
                        counts = orjson.loads(package.read("manifest.json"))["counts"]
                    detail = {"zip_bytes": len(manifest.content), "files_bytes": detail,
                              "entities": counts["entities"],
                              "relations": counts["relations"]}
                else:
                    answer = await post(http, tokens["asker"], QUERIES[name.split("-")[0]])
                    detail = None
                end = time.perf_counter()
                rows.append({
                    "query": name, "wall_s": round(end - start, 2),
                    "server_cpu_s": round(server.cpu() - cpu, 2),
                    "during": stats(probe.between(start, end)),
                    "before": stats(probe.between(start - 2.0, start)),
                    "load_avg": [round(load, 1), round(os.getloadavg()[0], 1)],
                    "detail": detail,
                })
                print(orjson.dumps(rows[-1]).decode(), flush=True)
        finally:
            probe.stopped = True
            await running
        rows.append({"probe_errors": probe.errors, "rss_gib": round(server.rss_gib(), 2)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a copy: tokens are issued in it")
    parser.add_argument("--whole-graph-workers", type=int, default=2)
    parser.add_argument("--queries", default="rings-first,rings,topSources,hotspots,exportCase")
    parser.add_argument("--asker", default="stridewell", help="the org asking whole-graph work")
    parser.add_argument("--prober", default="voltra", help="the org whose entity reads probe")
    parser.add_argument("--liaison", default="ipcu", help="the REGULATOR org exporting")
    parser.add_argument("--case-members", type=int, default=1000,
                        help="listings in the exported case (their traces add the rest; "
                        "a case names at most 1,000)")
    parser.add_argument("--asyncio-debug", action="store_true",
                        help="the server logs its loop's slow steps (server.log beside --db)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    def token(org: str, role: str) -> str:
        return cli_line(args.db, "token", "issue", "--org", org, "--role", role)

    tokens = {"asker": token(args.asker, "investigator"),
              "probe": token(args.prober, "investigator"),
              "liaison": token(args.liaison, "liaison")}
    log = args.db.parent / "server.log"
    server = Server(args.db, args.whole_graph_workers, log, args.asyncio_debug)
    print(orjson.dumps({"server_start_s": round(server.start_seconds, 1),
                        "rss_gib": round(server.rss_gib(), 2),
                        "whole_graph_workers": args.whole_graph_workers,
                        "load_avg": round(os.getloadavg()[0], 1)}).decode(), flush=True)
    try:
        rows = asyncio.run(measure(server, tokens, args.queries.split(","), args.case_members))
    finally:
        server.stop()
    if args.out:
        args.out.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
