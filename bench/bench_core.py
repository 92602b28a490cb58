"""Issue 2's numbers: bulk import, server start, `entity` by id over HTTP.

    python bench/bench_core.py [--sellers 150000] [--work DIR]

150,000 sellers make about 1,000,000 entities and 3,400,000 relations. Prints
one JSON line per measurement; bench/RESULTS.md records them with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "graph-api"
sys.path.insert(0, str(ROOT))

from tests.e2e.server import Server, cli  # noqa: E402


def run(*args: str) -> str:
    return subprocess.run([str(BIN), *args], check=True, capture_output=True, text=True).stdout


def cli_line(db: Path, *args: str) -> str:
    """The last line ``graph-api ARGS --db DB`` prints (a token issued, ...)."""
    return str(cli(db, *args, timeout=3600).stdout.strip().splitlines()[-1])


def emit(name: str, **values: object) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


ENTITY_QUERY = """query($id: ID!) { entity(id: $id) { id kind name status confidence properties
  assertions { reportId reportedBy { id } marking confidence source }
  relations(first: 20) { totalCount edges { node { id kind confidence to { id kind } } } } } }"""


# Investigators of one brand sharing the load: at 1,000 req/s each stays well under
# the default per-token limit of 200 req/s (graph_api/ratelimit.py), as real callers do.
CALLERS = 16


def load(
    url: str, tokens: list[str], ids: Path, concurrency: int, requests: int
) -> dict[str, object]:
    """wrk (C, from Debian) when present, so the load generator costs little CPU;
    else the Python one. Requests use the tokens in turn: many callers, each under
    the per-token rate limit (a single token would measure the limiter)."""
    if shutil.which("wrk"):
        seconds = max(5, requests // 500)
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{concurrency}",
                f"-d{seconds}s",
                "-s",
                str(ROOT / "bench" / "graphql.lua"),
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "IDS": str(ids),
                "TOKENS": ",".join(tokens),
                "QUERY": " ".join(ENTITY_QUERY.split()),
            },
        )
        result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
        return {"generator": "wrk", **result}
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "http_load.py"),
            url,
            ",".join(tokens),
            str(ids),
            "--requests",
            str(requests),
            "--concurrency",
            str(concurrency),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return {"generator": "python", **json.loads(out.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=150_000)
    parser.add_argument("--work", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument(
        "--reuse", action="store_true",
        help="serve the database a previous run imported into --work (skip import)",
    )
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    emit(
        "machine",
        cpus=os.cpu_count(),
        python=platform.python_version(),
        date=time.strftime("%Y-%m-%d"),
    )

    network = work / f"net-{args.sellers}.ndjson"
    if not network.exists():
        run("generate", "--sellers", str(args.sellers), "--seed", "7", "--out", str(network))
    counts = json.loads(network.with_suffix(".truth.json").read_text())["counts"]
    db = work / f"db-{args.sellers}" / "graph.db"
    if not (args.reuse and db.exists()):
        measure_import(network, db, counts)
    serve(db, work, args.requests)


def measure_import(network: Path, db: Path, counts: dict[str, int]) -> None:
    if db.parent.exists():
        for f in db.parent.iterdir():
            f.unlink()
    run("org", "load", str(network.with_suffix(".orgs.json")), "--db", str(db))
    start = time.perf_counter()
    run("import", str(network), "--org", "bazaarhub", "--db", str(db), "--quiet")
    seconds = time.perf_counter() - start
    rows = (
        sqlite3.connect(db)
        .execute(
            "SELECT (SELECT COUNT(*) FROM entity_facts) + (SELECT COUNT(*) FROM relation_facts)"
        )
        .fetchone()[0]
    )
    emit(
        "import",
        entities=counts["entities"],
        relations=counts["relations"],
        assertions=rows,
        seconds=round(seconds, 1),
        per_second=round(rows / seconds),
        peak_rss_gib=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 2),
    )


def measured(
    server: Server, tokens: list[str], ids: Path, concurrency: int, requests: int
) -> dict[str, object]:
    """A load run with the server's own CPU time per answered request and the load
    average: on two shared cores, throughput is also what the neighbours leave."""
    before = server.cpu_seconds()
    result = load(server.url, tokens, ids, concurrency, requests)
    answered = max(int(str(result["requests"])) - int(str(result["errors"])), 1)
    result["server_cpu_ms_per_request"] = round((server.cpu_seconds() - before) / answered * 1e3, 3)
    result["load_average"] = round(os.getloadavg()[0], 2)
    return result


def issue_tokens(db: Path, org: str, count: int) -> list[str]:
    """``count`` investigator tokens of ``org``, as ``graph-api token issue`` makes them
    (one process, not one start per token)."""
    from graph_api.config import Settings
    from graph_api.services import Services

    services = Services.open(Settings.from_env(db=db), with_graph=False)
    try:
        found = services.find_org(org)
        return [services.issue_token(found, "investigator")[1] for _ in range(count)]
    finally:
        services.close()


def wait_until_idle(server: Server, limit: float = 300) -> None:
    """Until every worker has loaded the graph: the group uses < 5 % CPU for 3 s."""
    deadline = time.monotonic() + limit
    before = server.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(3)
        now = server.cpu_seconds()
        if now - before < 0.15:
            return
        before = now


def serve(db: Path, work: Path, requests: int) -> None:
    server = Server(db)
    start = time.perf_counter()
    server.start(timeout=300)
    emit("server_start", seconds=round(time.perf_counter() - start, 1))
    try:
        tokens = issue_tokens(db, "bazaarhub", CALLERS)
        ids = work / "ids.txt"
        ids.write_text(
            "\n".join(
                r[0]
                for r in sqlite3.connect(db).execute(
                    "SELECT entity_id FROM entity_facts WHERE kind IN "
                    "('SELLER','STOREFRONT','LISTING') ORDER BY random() LIMIT 20000"
                )
            )
        )
        for concurrency in (1, 8):
            emit("entity_http", concurrency=concurrency, workers=1,
                 **measured(server, tokens, ids, concurrency, requests))
    finally:
        server.kill()
    # Two workers: each follows the one database (see docs/deploy.md).
    server = Server(db, "--workers", "2")
    server.start(timeout=300)
    try:
        wait_until_idle(server)  # /healthz answers from the first worker up; let both load
        for concurrency in (4, 8):
            emit("entity_http", concurrency=concurrency, workers=2,
                 **measured(server, tokens, ids, concurrency, requests))
    finally:
        server.kill()


if __name__ == "__main__":
    main()
