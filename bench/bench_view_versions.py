"""Issue 18, finding 9: a write org C may not see leaves C's next query as fast as before.

    python bench/bench_view_versions.py [--sellers 3000] [--rounds 15] [--work DIR]
        [--observer voltra] [--writer stridewell]

Imports ``generate --sellers N --seed 7`` into an embedded store under --work (kept
for the next run), starts ``graph-api serve`` and, over HTTP on keep-alive
connections, alternates per round in one process:

- ``before``: C's ``topSources`` (and ``entities(kind: WAREHOUSE) { totalCount }``),
  answered from C's caches;
- ``after_hidden``: the same right after the writer's RED report (C may not see it);
- ``after_seen``: the same right after the writer's GREEN report (C sees it): what
  every write cost C before views had versions of their own.

Each ask waits ``--settle`` seconds first (the writes' alerts run after their
answer). Prints one JSON line per measurement (milliseconds, medians over the rounds, and
the ratio after_hidden / before); bench/RESULTS.md records them with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "graph-api"
sys.path.insert(0, str(ROOT))

from tests.e2e.server import Server  # noqa: E402

TOP = "{ topSources(first: 10) { score entity { id } } }"
COUNT = "{ entities(kind: WAREHOUSE, first: 25) { totalCount } }"
SUBMIT = """mutation($input: ReportInput!) { submitReport(input: $input) { created } }"""


def run(*args: str) -> str:
    return subprocess.run([str(BIN), *args], check=True, capture_output=True, text=True).stdout


def emit(name: str, **values: object) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def prepared(sellers: int, work: Path) -> Path:
    """The generated network imported once into an embedded store (reused after)."""
    work.mkdir(parents=True, exist_ok=True)
    network = work / f"net-{sellers}.ndjson"
    if not network.exists():
        run("generate", "--sellers", str(sellers), "--seed", "7", "--out", str(network))
    db = work / f"views-{sellers}" / "graph.db"
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


class Caller:
    def __init__(self, url: str, bearer: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=600,
                                   headers={"Authorization": f"Bearer {bearer}"})

    def ask(self, query: str, variables: dict[str, Any] | None = None) -> float:
        """Milliseconds until the answer is in (errors are fatal)."""
        start = time.perf_counter()
        answer = self.client.post("/graphql", json={"query": query, "variables": variables})
        ms = (time.perf_counter() - start) * 1e3
        body = answer.json()
        if answer.status_code != 200 or body.get("errors"):
            raise SystemExit(f"{query[:40]}: {answer.status_code} {body}")
        return ms


def write(caller: Caller, n: int, marking: str) -> None:
    caller.ask(SUBMIT, {"input": {
        "reportId": f"bench-views-{marking}-{n}-{time.time_ns()}", "source": "OSINT",
        "confidence": 0.6, "marking": marking,
        "entities": [{"id": f"bench-seller-{marking}-{n}", "kind": "SELLER", "name": "Probe"}],
        "relations": [],
    }})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--work", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--observer", default="voltra", help="org C (a brand)")
    parser.add_argument("--writer", default="stridewell", help="the brand writing RED")
    parser.add_argument("--settle", type=float, default=0.3,
                        help="seconds between a write (or the warm-up) and the next ask: "
                        "what a write sets off besides its caches (alerts) is not measured")
    args = parser.parse_args()
    emit("machine", cpus=os.cpu_count(), python=platform.python_version(),
         date=time.strftime("%Y-%m-%d %H:%M"), load_average=round(os.getloadavg()[0], 2))
    db = prepared(args.sellers, Path(args.work))
    server = Server(db)
    start = time.perf_counter()
    server.start(timeout=900)
    emit("server_start", seconds=round(time.perf_counter() - start, 1))
    try:
        observer = Caller(server.url, token(db, args.observer, "investigator"))
        writer = Caller(server.url, token(db, args.writer, "investigator"))
        first = {"topSources": observer.ask(TOP), "totalCount": observer.ask(COUNT)}
        emit("first_ask", sellers=args.sellers, **{k: round(v, 2) for k, v in first.items()})
        times: dict[str, dict[str, list[float]]] = {
            q: {"before": [], "after_hidden": [], "after_seen": []} for q in ("topSources",
                                                                              "totalCount")
        }
        queries = {"topSources": TOP, "totalCount": COUNT}
        for n in range(args.rounds):
            for query in queries.values():
                observer.ask(query)  # warm (after the previous round's visible write)
            for name, query in queries.items():
                time.sleep(args.settle)
                times[name]["before"].append(observer.ask(query))
            write(writer, n, "RED")  # invisible to C
            for name, query in queries.items():
                time.sleep(args.settle)
                times[name]["after_hidden"].append(observer.ask(query))
            write(writer, n, "GREEN")  # visible to C
            for name, query in queries.items():
                time.sleep(args.settle)
                times[name]["after_seen"].append(observer.ask(query))
        for name, found in times.items():
            medians = {k: round(statistics.median(v), 2) for k, v in found.items()}
            emit("view_versions", query=name, sellers=args.sellers, rounds=args.rounds,
                 observer=args.observer, writer=args.writer, **medians,
                 ratio_hidden=round(medians["after_hidden"] / medians["before"], 2),
                 ratio_seen=round(medians["after_seen"] / medians["before"], 2),
                 load_average=round(os.getloadavg()[0], 2))
    finally:
        server.kill()


if __name__ == "__main__":
    main()
