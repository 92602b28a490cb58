"""Start and stop the ArcadeDB Bolt server the tests use in place of Neo4j.

    python scripts/arcadedb.py start --venv .venv-arcadedb --data DIR --env-file FILE
    python scripts/arcadedb.py stop --env-file FILE

No Neo4j server can be installed from the registries here; ArcadeDB (PyPI
``arcadedb-embedded``, with its own Java runtime) speaks Bolt and Cypher.
``start`` picks free loopback ports, waits until a real Cypher query answers,
and writes GRAPH_API_TEST_NEO4J_* lines, the HTTP address (tests change database
settings through it) and the PID to the env file, which ``make test`` sources;
``stop`` ends that PID (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def package_dir(venv: Path) -> Path:
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import arcadedb_embedded, os; print(os.path.dirname(arcadedb_embedded.__file__))"],
        check=True, capture_output=True, text=True,
    )
    return Path(out.stdout.strip())


def wait_for_cypher(uri: str, password: str, seconds: float, log: Path) -> None:
    from neo4j import GraphDatabase

    logging.getLogger("neo4j").setLevel(logging.CRITICAL)  # refusals are expected here
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with GraphDatabase.driver(uri, auth=("root", password), connection_timeout=2,
                                      max_transaction_retry_time=0) as driver:
                with driver.session(database="neo4j") as session:  # auto-commit: no retries
                    session.run("RETURN 1 AS ok").consume()
            return
        except Exception as exc:  # not up yet: refused, handshake, database not ready
            last = exc
            time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise SystemExit(f"ArcadeDB did not answer Cypher in {seconds:.0f} s: {last}\n{tail}")


def start(args: argparse.Namespace) -> None:
    home = package_dir(Path(args.venv))
    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    bolt, http = args.bolt_port or free_port(), free_port()
    password = args.password or secrets.token_hex(12)
    log = data / "server.log"
    command = [
        str(home / "jre" / "bin" / "java"), f"-Xmx{args.heap}", *args.java_option,
        f"-Darcadedb.server.rootPath={data}",
        f"-Darcadedb.server.rootPassword={password}",
        "-Darcadedb.server.mode=development",
        "-Darcadedb.server.httpIncomingHost=127.0.0.1",
        f"-Darcadedb.server.httpIncomingPort={http}",
        "-Darcadedb.server.defaultDatabases=neo4j[root]",
        "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
        f"-Darcadedb.bolt.port={bolt}", "-Darcadedb.bolt.host=127.0.0.1",
        "-Darcadedb.bolt.defaultDatabase=neo4j",
        *(f"-D{setting}" for setting in args.setting),
        "-cp", f"{home / 'jars'}/*", "com.arcadedb.server.ArcadeDBServer",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=data,
                                start_new_session=True)
    uri = f"bolt://127.0.0.1:{bolt}"
    try:
        wait_for_cypher(uri, password, args.wait, log)
    except SystemExit:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    Path(args.env_file).write_text(
        f"GRAPH_API_TEST_NEO4J_URI={uri}\nGRAPH_API_TEST_NEO4J_USER=root\n"
        f"GRAPH_API_TEST_NEO4J_PASSWORD={password}\nGRAPH_API_TEST_NEO4J_DATABASE=neo4j\n"
        f"GRAPH_API_TEST_ARCADEDB_HTTP=http://127.0.0.1:{http}\nARCADEDB_PID={proc.pid}\n"
    )
    print(f"ArcadeDB answering Cypher on {uri} (pid {proc.pid})")


def stop(args: argparse.Namespace) -> None:
    env = Path(args.env_file)
    if not env.exists():
        return
    values = dict(line.split("=", 1) for line in env.read_text().split() if "=" in line)
    pid = int(values.get("ARCADEDB_PID", "0"))
    env.unlink()
    if pid <= 0:
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print(f"ArcadeDB (pid {pid}) stopped")
            return
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)
    print(f"ArcadeDB (pid {pid}) killed after 15 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("start")
    up.add_argument("--venv", default=".venv-arcadedb")
    up.add_argument("--data", default=".arcadedb")
    up.add_argument("--env-file", default=".arcadedb.env")
    up.add_argument("--heap", default="1g")
    up.add_argument("--wait", type=float, default=120)
    up.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                    help="an ArcadeDB setting, e.g. arcadedb.command.timeout=30000 (repeatable)")
    up.add_argument("--java-option", action="append", default=[], metavar="OPTION",
                    help="a JVM option, e.g. -XX:+UseParallelGC (repeatable)")
    up.add_argument("--bolt-port", type=int, help="default: a free port (a restart reuses one)")
    up.add_argument("--password", help="root password (default: a random one)")
    up.set_defaults(run=start)
    down = sub.add_parser("stop")
    down.add_argument("--env-file", default=".arcadedb.env")
    down.set_defaults(run=stop)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
