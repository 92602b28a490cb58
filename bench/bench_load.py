"""Load test: mixed reads and writes from many concurrent clients against a real server.

Starts ``graph-api serve`` on a loopback port over a fresh database, loads a small
synthetic network, then runs ``--clients`` concurrent clients for ``--duration``
seconds (at most ``--max-requests`` requests), each picking a read (entity,
entities page, traceToSource, network, linkedEntities) or, with probability
``--writes``, a submitReport. Afterwards every acknowledged report is read back.

Prints one JSON summary (latency percentiles per operation, errors, lost writes)
and exits non-zero on any error or lost acknowledged write.

    python bench/bench_load.py --duration 60 --clients 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

BIN = Path(sys.executable).parent / "graph-api"
HOST = "127.0.0.1"  # loopback only

READS = {
    "entity": ("query($id: ID!) { entity(id: $id) { id name confidence "
               "assertions { reportId marking } relations(first: 20) { totalCount "
               "edges { node { kind to { id } } } } } }"),
    "entities": ("query($after: String) { entities(kind: SELLER, first: 25, after: $after) { "
                 "totalCount edges { node { id name status } } pageInfo { endCursor } } }"),
    "trace": ("query($id: ID!) { traceToSource(from: $id) { sources { entity { id } score depth }"
              " } }"),
    "network": ("query($id: ID!) { network(seeds: [$id], maxHops: 2, limit: 200) { truncated "
                "nodes { id } relations { id } } }"),
    "linked": "query($id: ID!) { linkedEntities(id: $id) { entity { id } } }",
}
SUBMIT = ("mutation($r: ReportInput!) { submitReport(input: $r) { reportId entities relations "
          "created } }")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def cli(db: Path | None, *args: str) -> str:
    where = ["--db", str(db)] if db is not None else []
    done = subprocess.run([str(BIN), *args, *where], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "GRAPH_API_DB": ""}, check=False)
    if done.returncode != 0:
        raise SystemExit(f"graph-api {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def prepare(folder: Path, sellers: int) -> tuple[Path, list[str], dict[str, list[str]]]:
    """A database with the synthetic network, and tokens of several orgs."""
    db = folder / "graph.db"
    network = folder / "net.ndjson"
    cli(None, "generate", "--sellers", str(sellers), "--seed", "7", "--out", str(network))
    cli(db, "org", "load", str(network.with_suffix(".orgs.json")))
    orgs = orjson.loads(network.with_suffix(".orgs.json").read_bytes())
    cli(db, "import", str(network), "--org", orgs[0]["id"], "--quiet")
    tokens = [cli(db, "token", "issue", "--org", o["id"], "--role", "analyst") for o in orgs]
    ids: dict[str, list[str]] = {"SELLER": [], "LISTING": [], "WAREHOUSE": []}
    for line in network.read_bytes().splitlines():
        for entity in orjson.loads(line)["entities"]:
            if entity.get("id") and entity["kind"] in ids:
                ids[entity["kind"]].append(entity["id"])
    return db, tokens, {k: sorted(set(v)) for k, v in ids.items()}


class Server:
    def __init__(self, db: Path) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = db.parent / "server.log"
        env = {**os.environ, "GRAPH_API_RATE_PER_SECOND": "0", "GRAPH_API_DB": ""}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN), "serve", "--db", str(db), "--host", HOST, "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


def report_of(client: int, n: int, ids: dict[str, list[str]], rng: random.Random) -> Any:
    rid = f"load-{client}-{n}"
    listing = rng.choice(ids["LISTING"])
    warehouse = rng.choice(ids["WAREHOUSE"])
    return rid, {
        "reportId": rid, "source": "TEST_BUY", "confidence": 0.8,
        "marking": rng.choice(["GREEN", "AMBER", "RED"]),
        "entities": [{"id": f"seller-{rid}", "kind": "SELLER", "name": rid},
                     {"id": f"store-{rid}", "kind": "STOREFRONT"},
                     {"id": listing, "kind": "LISTING"}, {"id": warehouse, "kind": "WAREHOUSE"}],
        "relations": [{"kind": "OPERATES", "from": f"seller-{rid}", "to": f"store-{rid}"},
                      {"kind": "LISTS", "from": f"store-{rid}", "to": listing},
                      {"kind": "SHIPS_FROM", "from": listing, "to": warehouse}],
    }


async def run_load(url: str, tokens: list[str], ids: dict[str, list[str]], clients: int,
                   duration: float, writes: float, max_requests: int, seed: int) -> Any:
    latencies: dict[str, list[float]] = {k: [] for k in [*READS, "submit"]}
    errors: list[str] = []
    acknowledged: list[tuple[str, str]] = []  # (token, report id)
    budget = [max_requests]
    deadline = time.monotonic() + duration
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        seen = {token: await visible_ids(http, token) for token in tokens}

        async def client(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            token = tokens[number % len(tokens)]
            visible = seen[token]
            headers = {"Authorization": f"Bearer {token}"}
            n = 0
            while time.monotonic() < deadline and budget[0] > 0:
                budget[0] -= 1
                if rng.random() < writes:
                    kind = "submit"
                    rid, raw = report_of(number, n, ids, rng)
                    body: dict[str, Any] = {"query": SUBMIT, "variables": {"r": raw}}
                    n += 1
                else:
                    kind = rng.choice(list(READS))
                    pool = visible["LISTING"] if kind in ("trace", "network") else visible[
                        "SELLER"]
                    body = {"query": READS[kind],
                            "variables": {"id": rng.choice(pool), "after": None}}
                start = time.perf_counter()
                try:
                    response = await http.post("/graphql", content=orjson.dumps(body),
                                               headers={**headers,
                                                        "content-type": "application/json"})
                    answer = orjson.loads(response.content)
                except (httpx.HTTPError, orjson.JSONDecodeError) as exc:
                    errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                    continue
                latencies[kind].append(time.perf_counter() - start)
                if response.status_code != 200 or answer.get("errors"):
                    errors.append(f"{kind}: HTTP {response.status_code} {answer.get('errors')}")
                elif kind == "submit" and answer["data"]["submitReport"]["created"]:
                    acknowledged.append((token, rid))

        started = time.monotonic()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.monotonic() - started

        lost = []
        for token, rid in acknowledged:  # every acknowledged write is readable, whole
            response = await http.post("/graphql", json={
                "query": 'query($id: ID!) { entity(id: $id) { id assertions { reportId } '
                         'relations { totalCount } } }', "variables": {"id": f"seller-{rid}"}},
                headers={"Authorization": f"Bearer {token}"})
            entity = response.json()["data"]["entity"]
            if entity is None or entity["relations"]["totalCount"] != 1 or rid not in [
                a["reportId"] for a in entity["assertions"]
            ]:
                lost.append(rid)
    return latencies, errors, acknowledged, lost, elapsed


async def visible_ids(http: httpx.AsyncClient, token: str) -> dict[str, list[str]]:
    """The sellers and listings a token can see (asking for others is a NOT_FOUND)."""
    out: dict[str, list[str]] = {}
    for kind in ("SELLER", "LISTING"):
        response = await http.post("/graphql", json={
            "query": "query($k: EntityKind) { entities(kind: $k, first: 1000) { "
                     "edges { node { id } } } }", "variables": {"k": kind}},
            headers={"Authorization": f"Bearer {token}"})
        edges = response.json()["data"]["entities"]["edges"]
        out[kind] = [e["node"]["id"] for e in edges] or ["none"]
    return out


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def summary(latencies: dict[str, list[float]], errors: list[str], acknowledged: list[Any],
            lost: list[str], elapsed: float, clients: int) -> dict[str, Any]:
    every = [v for values in latencies.values() for v in values]
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(every) + len(errors),
        "requests_per_second": round(len(every) / elapsed, 1) if elapsed else None,
        "errors": len(errors),
        "first_errors": errors[:5],
        "acknowledged_writes": len(acknowledged),
        "lost_writes": len(lost),
        "latency_ms": {
            kind: {"n": len(values), "p50": percentile(values, 0.5),
                   "p95": percentile(values, 0.95), "p99": percentile(values, 0.99),
                   "mean": round(1000 * statistics.fmean(values), 2) if values else None}
            for kind, values in [("all", every), *latencies.items()]
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--writes", type=float, default=0.2, help="share of submitReport")
    parser.add_argument("--max-requests", type=int, default=2_000_000)
    parser.add_argument("--sellers", type=int, default=300, help="size of the loaded network")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="also write the JSON summary here")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 3600 or not 0 < args.clients <= 500:
        parser.error("duration must be in (0, 3600] s and clients in (0, 500]")
    with tempfile.TemporaryDirectory(prefix="graph-api-load-") as tmp:
        db, tokens, ids = prepare(Path(tmp), args.sellers)
        server = Server(db)
        try:
            result = asyncio.run(run_load(server.url, tokens, ids, args.clients, args.duration,
                                          args.writes, args.max_requests, args.seed))
        finally:
            server.stop()
    latencies, errors, acknowledged, lost, elapsed = result
    out = summary(latencies, errors, acknowledged, lost, elapsed, clients=args.clients)
    text = orjson.dumps(out, option=orjson.OPT_INDENT_2).decode()
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 1 if out["errors"] or out["lost_writes"] else 0


if __name__ == "__main__":
    sys.exit(main())
