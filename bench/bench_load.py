"""Load test: mixed reads, whole-graph reads and writes from many concurrent clients.

Serves a database with ``graph-api serve`` on a loopback port (``--workers`` forked
workers, rate limit off) and runs ``--clients`` concurrent clients for ``--duration``
seconds (at most ``--max-requests`` requests), each sending its next request when
its last was answered: with probability ``--writes`` a ``submitReport``, with
``--whole-graph`` a whole-graph read of the client's own org (``rings``,
``topSources``, ``hotspots``), else a cheap read (``entity``, an ``entities`` page,
an entity's ``relations``, ``traceToSource``, ``linkedEntities``, ``network``,
``connections``) of an id its org can see. Afterwards every acknowledged report is
read back: one missing or incomplete is a lost write. ``--warm-up SECONDS`` runs the
same load first, summarized apart (``warm_up``): a server long up, its views'
snapshots and whole-graph answers computed.

The database is either generated (``--sellers``: ``generate``, ``org load``,
``import``, as before) or a copy of an existing one (``--db``: ``graph.db`` with its
``-wal`` and its ``graph.db.d`` folder, copied into ``--work`` or a temporary
folder). Each client has its own analyst token of an org of the database (``org
list``), issued with the CLI; the ids asked for are read from the API per org.

The clients run in ``--client-processes`` processes, each one asyncio loop over a
bare keep-alive HTTP/1.1 client (``Connection``: httptools parses the answers), so
that the load generator takes little of the CPU the server needs; the summary
states its CPU seconds beside the server's. The server and the CLI run this
checkout's ``graph_api`` (``python -m graph_api.cli``).

Prints one JSON summary (per operation and per class — cheap, whole-graph, write —
n, p50/p95/p99/max in ms; req/s; errors with the first few; lost writes; the CPU
of clients and server; the load average; the server's RSS/PSS at the end) and
exits non-zero on any error or lost acknowledged write.

    python bench/bench_load.py --duration 60 --clients 50
    nice -n 5 python bench/bench_load.py --db /tmp/load100k/graph.db --workers 2
    python bench/bench_load.py --db /tmp/1m/graph.db --workers 2 --warm-up 120 \
        --serve "--analytics-max-age 300"
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httptools
import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_workers_memory import children, rollup  # noqa: E402

HOST = "127.0.0.1"  # loopback only
GIB = 1024**3
# The server and the CLI run this checkout's code, whichever graph_api is installed.
ENV = {**os.environ, "GRAPH_API_DB": "", "GRAPH_API_RATE_PER_SECOND": "0",
       "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
GRAPH_API = [sys.executable, "-m", "graph_api.cli"]

# name -> (document, the kind of id it asks for: its variable $id, or None)
CHEAP = {
    "entity": ("query($id: ID!) { entity(id: $id) { id name confidence "
               "assertions { reportId marking } relations(first: 20) { totalCount "
               "edges { node { kind to { id } } } } } }", "SELLER"),
    "entities": ("query($k: EntityKind) { entities(kind: $k, first: 25) { "
                 "totalCount edges { node { id name status } } pageInfo { endCursor } } }", None),
    "relations": ("query($id: ID!) { entity(id: $id) { relations(first: 50) { totalCount "
                  "edges { node { id kind confidence from { id } to { id kind } } } } } }",
                  "WAREHOUSE"),
    "trace": ("query($id: ID!) { traceToSource(from: $id) { sources { entity { id } score depth }"
              " } }", "LISTING"),
    "linked": ("query($id: ID!) { linkedEntities(id: $id) { entity { id } } }", "SELLER"),
    "network": ("query($id: ID!) { network(seeds: [$id], maxHops: 2, limit: 200) { truncated "
                "nodes { id } relations { id } } }", "LISTING"),
    "connections": ("query($id: ID!, $to: ID!) { connections(from: $id, to: $to, maxHops: 4) { "
                    "nodes { id } } }", "LISTING"),
}
WHOLE = {
    "rings": "{ rings { id size keyPlayers { score entity { id } } } }",
    "topSources": "{ topSources(first: 20) { score entity { id } } }",
    "hotspots": "{ hotspots { totalListings regions { region share } } }",
}
SUBMIT = ("mutation($r: ReportInput!) { submitReport(input: $r) { reportId entities relations "
          "created } }")
READ_BACK = ('query($id: ID!) { entity(id: $id) { id assertions { reportId } '
             'relations { totalCount } } }')
KINDS = ("SELLER", "LISTING", "WAREHOUSE")
CLASSES = {"cheap": list(CHEAP), "whole_graph": list(WHOLE), "write": ["submit"]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def cli(db: Path | None, *args: str) -> str:
    """The last line ``graph-api ARGS --db DB`` prints."""
    return cli_lines(db, *args)[-1]


def cli_lines(db: Path | None, *args: str) -> list[str]:
    """The lines ``graph-api ARGS --db DB`` prints."""
    where = ["--db", str(db)] if db is not None else []
    done = subprocess.run([*GRAPH_API, *args, *where], capture_output=True, text=True,
                          timeout=3600, env=ENV, check=False)
    if done.returncode != 0:
        raise SystemExit(f"graph-api {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip().splitlines()


def generated(folder: Path, sellers: int) -> Path:
    """A new database in ``folder`` with a synthetic network of ``sellers``."""
    db = folder / "graph.db"
    network = folder / "net.ndjson"
    cli(None, "generate", "--sellers", str(sellers), "--seed", "7", "--out", str(network))
    cli(db, "org", "load", str(network.with_suffix(".orgs.json")))
    orgs = orjson.loads(network.with_suffix(".orgs.json").read_bytes())
    cli(db, "import", str(network), "--org", orgs[0]["id"], "--quiet")
    return db


def copied(db: Path, folder: Path) -> Path:
    """A copy of the database ``db`` in ``folder``: the file, its WAL (a server that
    stopped cleanly leaves none) and its own folder (keys, exports)."""
    if not db.is_file():
        raise SystemExit(f"no database {db}")
    target = folder / db.name
    for suffix in ("", "-wal"):
        if db.with_name(db.name + suffix).exists():
            shutil.copyfile(db.with_name(db.name + suffix), target.with_name(db.name + suffix))
    own = db.with_name(db.name + ".d")
    if own.is_dir():
        shutil.copytree(own, target.with_name(target.name + ".d"))
    return target


def tokens_for(db: Path, clients: int) -> list[tuple[str, str]]:
    """(org id, analyst token) per client, the orgs of ``db`` in turn (one
    ``token issue --count`` per org: each process takes ~0.8 s)."""
    listed = subprocess.run([*GRAPH_API, "org", "list", "--db", str(db)], capture_output=True,
                            text=True, timeout=600, env=ENV, check=True).stdout.splitlines()
    orgs = [line.split()[0] for line in listed[1:-1]]  # a header, a count last
    if not orgs:
        raise SystemExit(f"no orgs in {db}")
    wanted = [orgs[i % len(orgs)] for i in range(clients)]
    counts = Counter(wanted)
    with ThreadPoolExecutor(2) as pool:
        issued = dict(zip(counts, pool.map(lambda org: tokens_of(db, org, counts[org]), counts),
                          strict=True))
    return [(org, issued[org].pop()) for org in wanted]


def tokens_of(db: Path, org: str, count: int) -> list[str]:
    tokens = cli_lines(db, "token", "issue", "--org", org, "--role", "analyst",
                       "--count", str(count))
    if len(tokens) != count:
        raise SystemExit(f"graph-api token issue --count {count} printed {len(tokens)} tokens")
    return tokens


class Server:
    """``graph-api serve`` over ``db`` with ``workers`` workers, started at once."""

    def __init__(self, db: Path, workers: int, extra: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = db.parent / "server.log"
        self.workers = workers
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*GRAPH_API, "serve", "--db", str(db), "--host", HOST, "--port", str(self.port),
                 "--workers", str(workers), *extra],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=ENV)
        started = time.monotonic()
        while time.monotonic() < started + 3600:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("server did not start")
        self.start_seconds = time.monotonic() - started
        while workers > 1 and len(children(self.proc.pid)) < workers:
            time.sleep(0.1)

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def cpu_seconds(self) -> float:
        """User+system CPU of the server and its workers, those replaced included (the
        parent's waited-for children's)."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += sum(int(f) for f in fields[11:15 if pid == self.proc.pid else 13])
        return ticks / os.sysconf("SC_CLK_TCK")

    def replaced(self) -> int:
        """Workers replaced so far (``--recycle-worker-at``), by the server's log."""
        return self.log.read_text(errors="replace").count("replacing it")

    def memory(self) -> dict[str, float]:
        sizes = []
        for pid in self.pids():
            try:
                sizes.append(rollup(pid))
            except (ProcessLookupError, FileNotFoundError):  # a worker replaced meanwhile
                continue
        return {"rss_gib": round(sum(s["Rss"] for s in sizes) / GIB, 2),
                "pss_gib": round(sum(s["Pss"] for s in sizes) / GIB, 2),
                "processes": len(sizes)}

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


async def visible_ids(url: str, orgs: dict[str, str], count: int) -> dict[str, dict[str, list]]:
    """Per org (given one token of each), up to ``count`` ids of each of ``KINDS`` it
    may read (asking for others is a NOT_FOUND)."""
    query = ("query($k: EntityKind!, $a: String) { entities(kind: $k, first: 500, after: $a) {"
             " edges { node { id } } pageInfo { endCursor hasNextPage } } }")
    out: dict[str, dict[str, list]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        for org, token in orgs.items():
            out[org] = {}
            for kind in KINDS:
                ids: list[str] = []
                after = None
                while len(ids) < count:
                    answer = (await http.post("/graphql", json={
                        "query": query, "variables": {"k": kind, "a": after}},
                        headers={"Authorization": f"Bearer {token}"})).json()
                    if answer.get("errors"):
                        raise SystemExit(f"ids of {org}: {answer['errors'][:1]}")
                    page = answer["data"]["entities"]
                    ids += [e["node"]["id"] for e in page["edges"]]
                    if not page["pageInfo"]["hasNextPage"]:
                        break
                    after = page["pageInfo"]["endCursor"]
                out[org][kind] = ids[:count] or ["none"]
    return out


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams, answers parsed by
    httptools: a fraction of httpx's client CPU per request."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.body = bytearray()
        self.done = False

    def on_body(self, data: bytes) -> None:
        self.body += data

    def on_message_complete(self) -> None:
        self.done = True

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            writer.write(b"POST %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
                             path.encode(), self.host.encode(), self.port, token.encode(),
                             len(body), body))
            parser = httptools.HttpResponseParser(self)
            self.body, self.done = bytearray(), False
            while not self.done:
                data = await reader.read(65536)
                if not data:
                    raise ConnectionError("closed by the server")
                parser.feed_data(data)
            if not parser.should_keep_alive():
                self.close()
            return parser.get_status_code(), bytes(self.body)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


@dataclass
class Plan:
    """What one client process runs: its clients' numbers, tokens and ids."""

    port: int
    clients: list[int]
    tokens: list[tuple[str, str]]  # (org, token) per client number
    ids: dict[str, dict[str, list[str]]]  # org -> kind -> ids
    start_at: float  # time.time() when every process begins
    duration: float
    writes: float
    whole: float
    max_requests: int
    seed: int


@dataclass
class Outcome:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {k: [] for k in [*CHEAP, *WHOLE, "submit"]})
    errors: list[str] = field(default_factory=list)  # the first few
    error_count: int = 0  # answers with errors, and requests with no answer
    unanswered: int = 0
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (token, report id)
    cpu_seconds: float = 0.0
    finished_at: float = 0.0  # time.time()


def report_of(rid: str, ids: dict[str, list[str]], rng: random.Random) -> dict[str, Any]:
    """A new seller and storefront selling a listing shipped from a warehouse, all of
    the writer's org's view."""
    listing = rng.choice(ids["LISTING"])
    warehouse = rng.choice(ids["WAREHOUSE"])
    return {
        "reportId": rid, "source": "TEST_BUY", "confidence": 0.8,
        "marking": rng.choice(["GREEN", "AMBER", "RED"]),
        "entities": [{"id": f"seller-{rid}", "kind": "SELLER", "name": rid},
                     {"id": f"store-{rid}", "kind": "STOREFRONT"},
                     {"id": listing, "kind": "LISTING"}, {"id": warehouse, "kind": "WAREHOUSE"}],
        "relations": [{"kind": "OPERATES", "from": f"seller-{rid}", "to": f"store-{rid}"},
                      {"kind": "LISTS", "from": f"store-{rid}", "to": listing},
                      {"kind": "SHIPS_FROM", "from": listing, "to": warehouse}],
    }


def drive(plan: Plan) -> Outcome:
    """One client process: its clients until the deadline, and its own CPU."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    time.sleep(max(0.0, plan.start_at - time.time()))
    before = resource.getrusage(resource.RUSAGE_SELF)
    outcome = asyncio.run(_drive(plan))
    after = resource.getrusage(resource.RUSAGE_SELF)
    outcome.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    outcome.finished_at = time.time()
    return outcome


async def _drive(plan: Plan) -> Outcome:
    out = Outcome()
    deadline = time.monotonic() + plan.duration
    budget = [plan.max_requests]

    async def client(number: int) -> None:
        rng = random.Random(plan.seed * 1000 + number)
        org, token = plan.tokens[number]
        ids = plan.ids[org]
        connection = Connection(HOST, plan.port)
        n = 0
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            draw = rng.random()
            variables: dict[str, Any]
            if draw < plan.writes:
                kind, rid = "submit", f"load-{plan.seed}-{number}-{n}"
                document, variables = SUBMIT, {"r": report_of(rid, ids, rng)}
                n += 1
            elif draw < plan.writes + plan.whole:
                kind = rng.choice(list(WHOLE))
                document, variables = WHOLE[kind], {}
            else:
                kind = rng.choice(list(CHEAP))
                document, of = CHEAP[kind]
                variables = {"k": rng.choice(KINDS)} if of is None else {
                    "id": rng.choice(ids[of]), "to": rng.choice(ids["WAREHOUSE"])}
                if kind != "connections":
                    variables.pop("to", None)
            body = orjson.dumps({"query": document, "variables": variables})
            start = time.perf_counter()
            try:
                status, raw = await asyncio.wait_for(
                    connection.post("/graphql", body, token), timeout=300)
                answer = orjson.loads(raw)
            except (OSError, TimeoutError, httptools.HttpParserError,
                    orjson.JSONDecodeError) as exc:
                out.error_count += 1
                out.unanswered += 1
                if len(out.errors) < 10:
                    out.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            out.latencies[kind].append(time.perf_counter() - start)
            if status != 200 or answer.get("errors"):
                out.error_count += 1
                if len(out.errors) < 10:
                    out.errors.append(f"{kind}: HTTP {status} {str(answer.get('errors'))[:300]}")
            elif kind == "submit" and answer["data"]["submitReport"]["created"]:
                out.acknowledged.append((token, rid))
        connection.close()

    await asyncio.gather(*(client(i) for i in plan.clients))
    return out


async def lost_writes(url: str, acknowledged: list[tuple[str, str]]) -> list[str]:
    """The acknowledged reports not readable whole: the seller, its one relation, the
    report among its assertions."""
    lost: list[str] = []
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        async def check(token: str, rid: str) -> None:
            response = await http.post("/graphql", json={
                "query": READ_BACK, "variables": {"id": f"seller-{rid}"}},
                headers={"Authorization": f"Bearer {token}"})
            entity = response.json()["data"]["entity"]
            if entity is None or entity["relations"]["totalCount"] != 1 or rid not in [
                a["reportId"] for a in entity["assertions"]
            ]:
                lost.append(rid)

        for i in range(0, len(acknowledged), 64):
            await asyncio.gather(*(check(t, r) for t, r in acknowledged[i:i + 64]))
    return lost


def percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99),
            "max": round(1000 * ordered[-1], 1)}


def summary(outcomes: list[Outcome], lost: list[str], elapsed: float,
            args: argparse.Namespace) -> dict[str, Any]:
    latencies = {k: [v for o in outcomes for v in o.latencies[k]] for k in outcomes[0].latencies}
    answered = sum(len(v) for v in latencies.values())
    errors = sum(o.error_count for o in outcomes)
    classes = {name: percentiles([v for k in kinds for v in latencies[k]])
               for name, kinds in CLASSES.items()}
    return {
        "clients": args.clients, "workers": args.workers, "serve": args.serve,
        "client_processes": args.client_processes,
        "writes": args.writes, "whole_graph": args.whole_graph,
        "seconds": round(elapsed, 1),
        "requests": answered + sum(o.unanswered for o in outcomes),
        "requests_per_second": round(answered / elapsed, 1),  # answered, errors or not
        "errors": errors,
        "first_errors": [e for o in outcomes for e in o.errors][:8],
        "acknowledged_writes": sum(len(o.acknowledged) for o in outcomes),
        "lost_writes": len(lost),
        "cheap_read_p99_ms": classes["cheap"].get("p99"),
        "classes_ms": classes,
        "operations_ms": {k: percentiles(v) for k, v in latencies.items()},
        "client_cpu_s": round(sum(o.cpu_seconds for o in outcomes), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--writes", type=float, default=0.2, help="share of submitReport")
    parser.add_argument("--whole-graph", type=float, default=0.05,
                        help="share of rings, topSources, hotspots")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    parser.add_argument("--serve", default="", help="more serve arguments, e.g. "
                        "'--recycle-worker-at 0'")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=2_000_000)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--sellers", type=int, default=300, help="generate a network this big")
    source.add_argument("--db", type=Path, help="serve a copy of this database instead")
    parser.add_argument("--work", type=Path, help="the folder of the copy (default: temporary)")
    parser.add_argument("--ids", type=int, default=2000, help="ids of each kind read per org")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warm-up", type=float, default=0.0,
                        help="seconds of the same load run first, summarized apart (a server "
                        "long up: its views' snapshots and whole-graph answers computed)")
    parser.add_argument("--out", help="also write the JSON summary here")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 3600 or not 0 < args.clients <= 500:
        parser.error("duration must be in (0, 3600] s and clients in (0, 500]")
    if args.writes + args.whole_graph > 1 or min(args.writes, args.whole_graph) < 0:
        parser.error("--writes and --whole-graph are shares: together at most 1")
    with tempfile.TemporaryDirectory(prefix="graph-api-load-", dir=args.work) as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        db = copied(args.db, folder) if args.db else generated(folder, args.sellers)
        tokens = tokens_for(db, args.clients)
        prepared = time.monotonic() - started
        server = Server(db, args.workers, args.serve.split())
        try:
            ids = asyncio.run(visible_ids(server.url, dict(tokens), args.ids))

            def run(duration: float, seed: int) -> tuple[list[Outcome], float]:
                start_at = time.time() + 1.0
                plans = [Plan(server.port, list(range(p, args.clients, args.client_processes)),
                              tokens, ids, start_at, duration, args.writes, args.whole_graph,
                              args.max_requests // args.client_processes, seed)
                         for p in range(args.client_processes)]
                with ProcessPoolExecutor(args.client_processes,
                                         mp_context=multiprocessing.get_context("fork")) as pool:
                    outcomes = list(pool.map(drive, plans))
                return outcomes, max(o.finished_at for o in outcomes) - start_at

            warm_up = None
            if args.warm_up > 0:
                warmed, warm_elapsed = run(args.warm_up, args.seed + 1000)
                warm_up = {k: v for k, v in summary(warmed, [], warm_elapsed, args).items()
                           if k in ("seconds", "requests_per_second", "errors",
                                    "cheap_read_p99_ms", "classes_ms")}
            load = [round(x, 2) for x in os.getloadavg()]
            cpu = server.cpu_seconds()
            replaced_before = server.replaced()
            outcomes, elapsed = run(args.duration, args.seed)
            server_cpu = server.cpu_seconds() - cpu
            load_after = [round(x, 2) for x in os.getloadavg()]
            memory = server.memory()
            replaced = server.replaced() - replaced_before
            lost = asyncio.run(lost_writes(server.url, [a for o in outcomes
                                                        for a in o.acknowledged]))
        finally:
            server.stop()
            if args.work:
                shutil.copyfile(server.log, args.work / f"server-{time.strftime('%H%M%S')}.log")
    out = summary(outcomes, lost, elapsed, args)
    out.update(server_cpu_s=round(server_cpu, 1), workers_replaced=replaced,
               load_before=load, load_after=load_after,
               server_memory_at_end=memory, database=str(args.db or f"{args.sellers} sellers"),
               prepare_s=round(prepared, 1), server_start_s=round(server.start_seconds, 1),
               warm_up=warm_up)
    text = "{\n" + ",\n".join(f"  {orjson.dumps(k).decode()}: {orjson.dumps(v).decode()}"
                               for k, v in out.items()) + "\n}"
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 1 if out["errors"] or out["lost_writes"] else 0


if __name__ == "__main__":
    sys.exit(main())
