"""Issue 21, item 0: `entities` pages, counts and searches over HTTP, also right after a write.

    python bench/bench_entities.py [--sellers 3000] [--work DIR] [--db PATH] [--rounds 9]
        [--org voltra] [--code CHECKOUT]

Imports ``generate --sellers N --seed 7`` into an embedded store under --work (kept
for the next run; or serves --db), starts ``graph-api serve`` (``--code``: another
checkout's graph_api, e.g. a ``git worktree`` of an older commit, for a before/after
run) and, for one org's investigator on a keep-alive connection, measures in rounds:

- ``entities(kind: K, first: 25) { totalCount edges { node { id } } }`` for every kind;
- ``entities(search: S, first: 10)`` with and without ``totalCount`` for a few texts
  (an id, a handle, a name word, a whole name, a URL part, a text found nowhere);
- the same right after a write: each round begins with another org's report (RED,
  not the org's to see, then GREEN, which it sees), and the first query after each
  is recorded apart (``after_write``).

Prints one JSON line per query (p50 / p90 / max in ms over the rounds), and the
server's start time; bench/RESULTS.md records them with the machine and its load.
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

KINDS = ["SELLER", "STOREFRONT", "LISTING", "WAREHOUSE", "FACTORY", "IDENTIFIER", "BRAND",
         "RING"]
SEARCHES = ["seller-012345", "kaida000123", "longsheng", "Yiwu Xinyu Sports Goods",
            "l/0012345", "golden"]
PAGE = ("query($k: EntityKind) { entities(kind: $k, first: 25) "
        "{ totalCount edges { node { id } } } }")
SEARCH = ("query($s: String) { entities(search: $s, first: 10) "
          "{ totalCount edges { node { id } } } }")
SEARCH_NO_COUNT = "query($s: String) { entities(search: $s, first: 10) { edges { node { id } } } }"
SUBMIT = "mutation($input: ReportInput!) { submitReport(input: $input) { created } }"


def emit(name: str, **values: object) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def run(*args: str) -> None:
    subprocess.run([str(BIN), *args], check=True, capture_output=True, text=True)


def prepared(sellers: int, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    network = work / f"net-{sellers}.ndjson"
    if not network.exists():
        run("generate", "--sellers", str(sellers), "--seed", "7", "--out", str(network))
    db = work / f"entities-{sellers}" / "graph.db"
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        run("org", "load", str(network.with_suffix(".orgs.json")), "--db", str(db))
        run("import", str(network), "--org", "bazaarhub", "--db", str(db), "--quiet")
    return db


def token(db: Path, org: str) -> str:
    from graph_api.config import Settings
    from graph_api.services import Services

    services = Services.open(Settings.from_env(db=db), with_graph=False)
    try:
        return services.issue_token(services.find_org(org), "investigator")[1]
    finally:
        services.close()


class Caller:
    def __init__(self, url: str, bearer: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=900,
                                   headers={"Authorization": f"Bearer {bearer}"})

    def ask(self, query: str, variables: dict[str, Any]) -> tuple[float, Any]:
        start = time.perf_counter()
        answer = self.client.post("/graphql", json={"query": query, "variables": variables})
        ms = (time.perf_counter() - start) * 1e3
        body = answer.json()
        if answer.status_code != 200 or body.get("errors"):
            raise SystemExit(f"{query[:50]} {variables}: {answer.status_code} {body}")
        return ms, body["data"]


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 2),
            "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2),
            "max": round(ordered[-1], 2), "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=3000)
    parser.add_argument("--work", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--db", help="serve this database instead of importing one")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--org", default="voltra", help="the org asking (a brand)")
    parser.add_argument("--writer", default="stridewell", help="the org writing")
    parser.add_argument("--code", help="serve the graph_api of this checkout")
    args = parser.parse_args()
    emit("machine", cpus=os.cpu_count(), python=platform.python_version(),
         date=time.strftime("%Y-%m-%d %H:%M"), load_average=round(os.getloadavg()[0], 2))
    db = Path(args.db) if args.db else prepared(args.sellers, Path(args.work))
    env = {"PYTHONPATH": str(Path(args.code).resolve())} if args.code else None
    server = Server(db, env=env)
    start = time.perf_counter()
    server.start(timeout=1800)
    emit("server_start", seconds=round(time.perf_counter() - start, 1), code=args.code or "")
    try:
        asker = Caller(server.url, token(db, args.org))
        writer = Caller(server.url, token(db, args.writer))
        queries: list[tuple[str, str, dict[str, Any]]] = [
            (f"kind {k}", PAGE, {"k": k}) for k in KINDS]
        queries += [(f"search {s!r}", SEARCH, {"s": s}) for s in SEARCHES]
        queries += [(f"search {s!r} no totalCount", SEARCH_NO_COUNT, {"s": s})
                    for s in SEARCHES]
        first: dict[str, float] = {}
        for name, query, variables in queries:  # the first ask of each: views read
            first[name], _ = asker.ask(query, variables)
        emit("first_asks", **{k: round(v, 1) for k, v in first.items()})
        warm: dict[str, list[float]] = {name: [] for name, _, _ in queries}
        after: dict[str, list[float]] = {name: [] for name, _, _ in queries}
        for n in range(args.rounds):
            for name, query, variables in queries:
                warm[name].append(asker.ask(query, variables)[0])
            for marking in ("RED", "GREEN"):  # not the asker's to see, then its
                for i, (name, query, variables) in enumerate(queries):
                    writer.ask(SUBMIT, {"input": {
                        "reportId": f"bench-entities-{n}-{marking}-{i}-{time.time_ns()}",
                        "source": "OSINT", "confidence": 0.6, "marking": marking,
                        "entities": [{"id": f"seller-bench-{n}-{marking}-{i}",
                                      "kind": "SELLER", "name": "Longsheng Probe"}],
                        "relations": []}})
                    after[name].append(asker.ask(query, variables)[0])
        for name, _, _ in queries:
            emit("entities_http", query=name, org=args.org, **summary(warm[name]),
                 after_write=summary(after[name]), load_average=round(os.getloadavg()[0], 2))
    finally:
        server.kill()


if __name__ == "__main__":
    main()
