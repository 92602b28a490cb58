"""Memory of ``serve --workers N`` (issue 21 item 2): what the workers share.

Serves a copy of an existing database (``--db``; tokens are issued into it) with
``graph-api serve --workers N`` for each N of ``--workers``, and reads every
process of the server (the parent and its workers) from
``/proc/PID/smaps_rollup``: RSS, PSS (a shared page counted once over the
processes sharing it), private and shared pages. Phases, each measured when done:

- ``start``: the time from launch to the first answer of ``/healthz``, then memory;
- ``reads``: each worker in turn (the others SIGSTOPped, so it alone accepts)
  answers ``--reads`` cheap reads: ``entity`` of sellers, storefronts and
  listings, ``entities`` pages of every kind with ``totalCount``, a search,
  ``traceToSource``, ``linkedEntities``;
- ``write``: a report written through one worker, then read on every worker
  (each catches up: followed writes);
- ``whole``: each worker in turn answers ``--whole`` (whole-graph requests of a
  brand, e.g. ``hotspots,topSources,rings``), computing its own.

Prints one JSON line per phase; the ratio the issue sets is the total PSS of N
workers over the RSS of one (``--workers 1``: one process, no fork). Run one at a
time, under ``nice``; ``--min-free-gib`` stops before the machine runs short.

    nice python bench/bench_workers_memory.py --db /tmp/workers1m/graph.db --workers 1 2 4
    nice python bench/bench_workers_memory.py --db /tmp/workers1m/graph.db --workers 2 \
        --reads 400 4000 20000 --serve "--recycle-worker-at 0.2"
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_core import cli_line  # noqa: E402
from tests.e2e import server as e2e  # noqa: E402

HOST = "127.0.0.1"
KINDS = ["SELLER", "STOREFRONT", "LISTING", "WAREHOUSE", "FACTORY", "IDENTIFIER", "RING"]
WHOLE = {
    "rings": "{ rings { id size keyPlayers { score entity { id } } } }",
    "topSources": "{ topSources(first: 20) { score entity { id } } }",
    "hotspots": "{ hotspots { totalListings regions { region share } } }",
}
GIB = 1024**3


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def rollup(pid: int) -> dict[str, int]:
    """smaps_rollup's sizes of ``pid``, in bytes."""
    sizes = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        sizes[name.rstrip(":")] = int(value) * 1024
    return sizes


def available_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024 / GIB
    return 0.0


class Server(e2e.Server):
    """``graph-api serve --workers N`` over ``db`` (tests/e2e/server.py), started at
    once: ``start_seconds`` from launch to its first ``/healthz``, then its workers
    waited for (a minute at most)."""

    def __init__(self, db: Path, workers: int, log: Path, extra: list[str]) -> None:
        self.workers = workers
        super().__init__(db, "--host", HOST, "--workers", str(workers), *extra,
                         env={"GRAPH_API_RATE_PER_SECOND": "0", "GRAPH_API_DB": ""}, log=log)
        started = time.monotonic()
        self.start(timeout=3600)
        self.start_seconds = time.monotonic() - started
        until = time.monotonic() + 60
        while workers > 1 and len(self.worker_pids()) < workers and time.monotonic() < until:
            time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        """The processes that answer: the workers, or the server itself with one."""
        return children(self.proc.pid) if self.workers > 1 else [self.proc.pid]

    def pids(self) -> list[int]:
        return [self.proc.pid] + (children(self.proc.pid) if self.workers > 1 else [])

    def memory(self) -> dict[str, Any]:
        per = {}
        for pid in self.pids():
            try:
                per[pid] = rollup(pid)
            except OSError:  # ended meanwhile (a worker replaced: --recycle-worker-at)
                continue
        rows = [{"pid": pid, "role": "parent" if pid == self.proc.pid and self.workers > 1
                 else "worker",
                 "rss_gib": round(m["Rss"] / GIB, 3), "pss_gib": round(m["Pss"] / GIB, 3),
                 "private_gib": round((m["Private_Clean"] + m["Private_Dirty"]) / GIB, 3),
                 "shared_gib": round((m["Shared_Clean"] + m["Shared_Dirty"]) / GIB, 3)}
                for pid, m in per.items()]
        return {"total_pss_gib": round(sum(m["Pss"] for m in per.values()) / GIB, 3),
                "total_rss_gib": round(sum(m["Rss"] for m in per.values()) / GIB, 3),
                "processes": rows}

    @contextmanager
    def only(self, worker: int) -> Iterator[None]:
        """New connections accepted by ``worker`` alone (the other workers stopped)."""
        stopped = [pid for pid in self.worker_pids() if pid != worker]
        for pid in stopped:
            _signal(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in stopped:
                _signal(pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:  # a worker replaced meanwhile (--recycle-worker-at)
        pass


def post(http: httpx.Client, token: str, query: str,
         variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = http.post("/graphql", json={"query": query, "variables": variables or {}},
                       headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = orjson.loads(answer.content)
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
    if codes - {"NOT_FOUND"}:  # an id the caller may not see (or of a smaller network)
        raise SystemExit(f"{query[:60]}: {body['errors'][:1]}")
    return body


def reads(server: Server, token: str, first: int, count: int) -> None:
    """Cheap reads ``first`` to ``first + count`` of the sequence, over one connection
    (the sequence begins with a page of every kind and a search, then reads ids spread
    over the whole network)."""
    queries: list[tuple[str, dict[str, Any]]] = []
    for kind in KINDS:
        queries.append(("query($k: EntityKind) { entities(kind: $k, first: 25) { totalCount "
                        "edges { node { id name } } } }", {"k": kind}))
    queries.append(('{ entities(search: "golden", first: 10) { totalCount edges { node { id } }'
                    ' } }', {}))
    i = 0
    while len(queries) < first + count:
        i += 1
        queries.append(("query($id: ID!) { entity(id: $id) { id name kind confidence "
                        "properties } }", {"id": f"seller-{(i * 7919) % 150000 + 1:06d}"}))
        queries.append(("query($id: ID!) { entity(id: $id) { id name region } }",
                        {"id": f"store-{(i * 7919) % 200000 + 1:06d}"}))
        queries.append(("query($id: ID!) { traceToSource(from: $id) { sources { score "
                        "entity { id } } } }", {"id": f"listing-{(i * 7919) % 390000 + 1:07d}"}))
        queries.append(("query($id: ID!) { linkedEntities(id: $id) { entity { id } } }",
                        {"id": f"seller-{(i * 104729) % 150000 + 1:06d}"}))
    with httpx.Client(base_url=server.url, timeout=3600) as http:
        for query, variables in queries[first:first + count]:
            post(http, token, query, variables)


WRITE = """mutation($input: ReportInput!) { submitReport(input: $input) { created } }"""


def write_and_follow(server: Server, token: str, marker: str) -> dict[int, bool]:
    report = {"reportId": f"bench-workers-{marker}", "source": "OSINT", "confidence": 0.9,
              "marking": "GREEN", "entities": [
                  {"id": f"seller-bench-{marker}", "kind": "SELLER", "name": f"Bench {marker}"},
                  {"id": "store-000001", "kind": "STOREFRONT"}],
              "relations": [{"kind": "OPERATES", "from": f"seller-bench-{marker}",
                             "to": "store-000001"}]}
    workers = server.worker_pids()
    with server.only(workers[0]), httpx.Client(base_url=server.url, timeout=600) as http:
        post(http, token, WRITE, {"input": report})
    seen = {}
    for pid in workers:
        with server.only(pid), httpx.Client(base_url=server.url, timeout=600) as http:
            found = post(http, token, "query($id: ID!) { entity(id: $id) { name } }",
                         {"id": f"seller-bench-{marker}"})["data"]["entity"]
            seen[pid] = found is not None
    return seen


def measure(server: Server, count: int, args: argparse.Namespace, platform: str,
            brand: str) -> None:
    """The phases of ``args.phases`` on ``server`` (``count`` workers), one line each."""
    phases = args.phases.split(",")

    def emit(phase: str, **extra: Any) -> None:
        line = {"workers": count, "phase": phase, **extra,
                "load": [round(x, 2) for x in os.getloadavg()],
                "available_gib": round(available_gib(), 1), **server.memory()}
        print(orjson.dumps(line).decode(), flush=True)
        if available_gib() < args.min_free_gib:
            raise SystemExit(f"under {args.min_free_gib} GiB available: stopping")

    emit("start", start_seconds=round(server.start_seconds, 1))
    done = 0
    for total in args.reads if "reads" in phases else []:
        for pid in server.worker_pids():
            with server.only(pid):
                started = time.monotonic()
                reads(server, platform, done, total - done)
                took = time.monotonic() - started
        done = total
        emit("reads", reads_per_worker=total, last_worker_seconds=round(took, 1))
    if "write" in phases:
        seen = write_and_follow(server, platform, f"{count}-{os.getpid()}")
        emit("write", seen_on_every_worker=all(seen.values()))
    if "whole" in phases:
        took_each: list[float] = []
        for pid in server.worker_pids():
            with server.only(pid), httpx.Client(base_url=server.url, timeout=3600) as http:
                for name in args.whole.split(","):
                    started = time.monotonic()
                    post(http, brand, WHOLE[name])
                    took_each.append(round(time.monotonic() - started, 1))
        emit("whole", requests=args.whole, seconds=took_each)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a copy: tokens go into it")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--reads", type=int, nargs="+", default=[400],
                        help="cheap reads per worker, memory read after each total")
    parser.add_argument("--whole", default="hotspots,topSources",
                        help="whole-graph requests per worker (rings, topSources, hotspots)")
    parser.add_argument("--phases", default="start,reads,write,whole")
    parser.add_argument("--min-free-gib", type=float, default=3.0)
    parser.add_argument("--serve", default="", help="more serve arguments, e.g. "
                        "'--recycle-worker-at 0.2'")
    args = parser.parse_args()
    platform = cli_line(args.db, "token", "issue", "--org", "bazaarhub", "--role", "analyst")
    brand = cli_line(args.db, "token", "issue", "--org", "voltra", "--role", "analyst")
    for count in args.workers:
        server = Server(args.db, count, args.db.parent / f"bench-workers-{count}.log",
                        args.serve.split())
        try:
            measure(server, count, args, platform, brand)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
