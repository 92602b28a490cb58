"""TAXII and the change stream over HTTP (issue 23's numbers).

    python bench/bench_taxii.py [--sellers 15000] [--consumers 10] [--events 10000]
                                [--work DIR] [--skip-pull] [--skip-stream]

1. **Full pull**: ``generate --sellers N --seed 7`` (15,000 sellers: about 100k
   entities) imported into an embedded store under --work (kept for the next run);
   one ``serve`` process (rate limit off); the platform's investigator pulls the
   ``alliance`` collection in pages of 1,000 (following ``next``) twice: the first
   pull includes building the platform's feed, the second is warm. Objects per
   second = objects / wall time of the pull, client included (and per CPU second of
   the server's process, which a machine shared with other jobs does not distort as
   much). Target >= 5,000/s.
2. **Stream**: a fresh store with the generated orgs; ``--consumers`` SSE consumers
   (over three orgs) connect from zero; a writer then submits ``--events`` GREEN
   sellers over /graphql (100 per report); each consumer must receive every one of
   them (no loss, no id out of order). Reports the time from the first write to the
   last consumer's last event.

Each measure is printed as a JSON line; append them to bench/RESULTS.md by hand
with the machine, the date and the load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "graph-api"
sys.path.insert(0, str(ROOT))
from tests.e2e.server import Server  # noqa: E402

PAGE = 1000
ALLIANCE = "/taxii2/graph-api/collections/alliance/objects/"
SUBMIT = """mutation($input: ReportInput!) { submitReport(input: $input) { created } }"""


def run(*args: str) -> str:
    return subprocess.run([str(BIN), *args], check=True, capture_output=True, text=True).stdout


def emit(name: str, **values: object) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def prepared(sellers: int, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    network = work / f"net-{sellers}.ndjson"
    if not network.exists():
        run("generate", "--sellers", str(sellers), "--seed", "7", "--out", str(network))
    db = work / f"taxii-{sellers}" / "graph.db"
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        run("org", "load", str(network.with_suffix(".orgs.json")), "--db", str(db))
        run("import", str(network), "--org", "bazaarhub", "--db", str(db), "--quiet")
    return db


def token(db: Path, org: str, role: str) -> str:
    from graph_api.config import Settings
    from graph_api.services import Services

    services = Services.open(Settings.from_env(db=db), with_graph=False)
    try:
        return services.issue_token(services.find_org(org), role)[1]
    finally:
        services.close()


def pull(url: str, bearer: str) -> tuple[int, float, int]:
    """(objects, seconds, pages) of a full pull of alliance in pages of PAGE."""
    client = httpx.Client(base_url=url, timeout=600, headers={
        "Authorization": f"Token {bearer}", "Accept": "application/taxii+json;version=2.1"})
    start = time.perf_counter()
    objects, pages, seen = 0, 0, set()
    path = f"{ALLIANCE}?limit={PAGE}"
    while True:
        body = client.get(path).json()
        pages += 1
        for obj in body["objects"]:
            seen.add(obj["id"])
        objects += len(body["objects"])
        if not body["more"]:
            break
        path = f"{ALLIANCE}?limit={PAGE}&next={body['next']}"
    seconds = time.perf_counter() - start
    if len(seen) != objects:
        raise SystemExit(f"a pull repeated objects: {objects} served, {len(seen)} distinct")
    return objects, seconds, pages


def bench_pull(args: argparse.Namespace, work: Path) -> None:
    db = prepared(args.sellers, work)
    bearer = token(db, "bazaarhub", "investigator")
    server = Server(db, env={"GRAPH_API_RATE_PER_SECOND": "0"}).start(timeout=600)
    try:
        for label in ("first (feed built)", "warm"):
            cpu = server.cpu_seconds()
            objects, seconds, pages = pull(server.url, bearer)
            cpu = server.cpu_seconds() - cpu
            emit("taxii_full_pull", sellers=args.sellers, pull=label, objects=objects,
                 pages=pages, seconds=round(seconds, 2),
                 objects_per_s=round(objects / seconds), server_cpu_s=round(cpu, 1),
                 objects_per_server_cpu_s=round(objects / cpu), load=os.getloadavg()[0])
    finally:
        server.kill()


class Consumer(threading.Thread):
    def __init__(self, url: str, bearer: str, wanted: set[str]) -> None:
        super().__init__(daemon=True)
        self.url, self.bearer, self.wanted = url, bearer, wanted
        self.got: set[str] = set()
        self.ids: list[tuple[int, str]] = []
        self.ready = threading.Event()
        self.done_at = 0.0

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.bearer}"}
        with httpx.stream("GET", self.url + "/stream?heartbeat=5", headers=headers,
                          timeout=600) as response:
            self.ready.set()
            for line in response.iter_lines():
                if line.startswith("id: "):
                    position, _, sid = line[4:].partition(":")
                    self.ids.append((int(position), sid))
                elif line.startswith("data: "):
                    data: dict[str, Any] = json.loads(line[6:])["data"]
                    if data.get("name") in self.wanted:
                        self.got.add(data["name"])
                        if self.got == self.wanted:
                            self.done_at = time.perf_counter()
                            return


def bench_stream(args: argparse.Namespace, work: Path) -> None:
    prepared_net = work / "net-20.ndjson"
    if not prepared_net.exists():
        run("generate", "--sellers", "20", "--seed", "7", "--out", str(prepared_net))
    db = work / f"stream-{time.time_ns()}" / "graph.db"
    db.parent.mkdir(parents=True)
    run("org", "load", str(prepared_net.with_suffix(".orgs.json")), "--db", str(db))
    writer = token(db, "bazaarhub", "analyst")
    orgs = ["stridewell", "voltra", "ipcu"]
    bearers = [token(db, orgs[i % len(orgs)], "investigator") for i in range(args.consumers)]
    server = Server(db, env={"GRAPH_API_RATE_PER_SECOND": "0"}).start()
    try:
        names = {f"bench-stream-seller-{n}" for n in range(args.events)}
        consumers = [Consumer(server.url, b, names) for b in bearers]
        for consumer in consumers:
            consumer.start()
            consumer.ready.wait(30)
        client = httpx.Client(base_url=server.url, timeout=600,
                              headers={"Authorization": f"Bearer {writer}"})
        start = time.perf_counter()
        ordered = sorted(names)
        for first in range(0, args.events, 100):
            batch = ordered[first:first + 100]
            body = client.post("/graphql", json={"query": SUBMIT, "variables": {"input": {
                "reportId": f"bench-stream-{first}", "source": "OSINT", "confidence": 0.6,
                "marking": "GREEN", "relations": [],
                "entities": [{"id": n, "kind": "SELLER", "name": n} for n in batch]}}}).json()
            if body.get("errors"):
                raise SystemExit(str(body))
        written = time.perf_counter() - start
        for consumer in consumers:
            consumer.join(600)
        lost = [len(names - c.got) for c in consumers]
        in_order = all(c.ids == sorted(c.ids) for c in consumers)
        last = max(c.done_at for c in consumers) - start if all(c.done_at for c in consumers) \
            else None
        emit("taxii_stream", consumers=args.consumers, events=args.events,
             writes_s=round(written, 2), all_delivered_s=None if last is None else round(last, 2),
             lost_per_consumer=lost, ids_in_order=in_order,
             events_per_consumer=[len(c.ids) for c in consumers], load=os.getloadavg()[0])
    finally:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=15000)
    parser.add_argument("--consumers", type=int, default=10)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--work", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--skip-pull", action="store_true")
    parser.add_argument("--skip-stream", action="store_true")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    emit("machine", python=platform.python_version(), cpus=os.cpu_count(),
         date=time.strftime("%Y-%m-%d %H:%M"), load=os.getloadavg()[0])
    if not args.skip_stream:
        bench_stream(args, work)
    if not args.skip_pull:
        bench_pull(args, work)


if __name__ == "__main__":
    main()
