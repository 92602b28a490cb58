"""Start and stop the ArcadeDB Bolt server the tests use in place of Neo4j.

    python scripts/arcadedb.py start --venv .venv-arcadedb --data DIR --env-file FILE
        [--serve-settings] [--reuse]
    python scripts/arcadedb.py stop --env-file FILE

No Neo4j server can be installed from the registries here; ArcadeDB (PyPI
``arcadedb-embedded``, with its own Java runtime) speaks Bolt and Cypher.
``start`` picks free loopback ports, waits until a real Cypher query answers,
and writes GRAPH_API_TEST_NEO4J_* lines, the HTTP address (tests change database
settings through it), the data folder and the PID to the env file (mode 0600: it
holds the root password), which ``make test`` sources; ``stop`` ends that PID
(SIGTERM, then SIGKILL).

``--serve-settings`` (``make neo4j-up``) also writes the GRAPH_API_NEO4J_* lines
that ``graph-api serve --store neo4j`` reads, and prints them: after
``set -a; . ./FILE; set +a`` a server started from that shell talks to this
ArcadeDB. GRAPH_API_STORE is left out on purpose: the test suite run from the
same shell starts servers of its own, which must stay on their embedded stores.

An env file that names a server still running is never overwritten (that server
would be left running with nothing to stop it): ``--reuse`` prints its settings
if it serves the same data folder, and anything else is refused.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import subprocess
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


def read_env(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of an env file (``make test`` and ``bench`` read it the same way)."""
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


def alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to reuse
        return True
    return True


def env_lines(uri: str, password: str, http: int, data: Path, pid: int,
              serve_settings: bool) -> str:
    lines = [
        f"GRAPH_API_TEST_NEO4J_URI={uri}", "GRAPH_API_TEST_NEO4J_USER=root",
        f"GRAPH_API_TEST_NEO4J_PASSWORD={password}", "GRAPH_API_TEST_NEO4J_DATABASE=neo4j",
    ]
    if serve_settings:
        lines += [
            f"GRAPH_API_NEO4J_URI={uri}", "GRAPH_API_NEO4J_USER=root",
            f"GRAPH_API_NEO4J_PASSWORD={password}", "GRAPH_API_NEO4J_DATABASE=neo4j",
        ]
    lines += [f"GRAPH_API_TEST_ARCADEDB_HTTP=http://127.0.0.1:{http}",
              f"ARCADEDB_DATA={data}", f"ARCADEDB_PID={pid}"]
    return "".join(line + "\n" for line in lines)


def write_env(path: Path, text: str) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def tell(path: Path, serve_settings: bool) -> None:
    """Print the settings a user sources, and how."""
    values = read_env(path)
    if serve_settings:
        for key in ("GRAPH_API_NEO4J_URI", "GRAPH_API_NEO4J_USER", "GRAPH_API_NEO4J_PASSWORD",
                    "GRAPH_API_NEO4J_DATABASE"):
            print(f"{key}={values.get(key, '')}")
        print(f"Serve over it: set -a; . ./{path}; set +a; .venv/bin/graph-api serve --store neo4j")
    else:
        print(f"Settings in {path} (GRAPH_API_TEST_NEO4J_*)")


def running(args: argparse.Namespace, data: Path) -> bool:
    """True when the env file names a live server this start may reuse; exits when it
    names one it may not (a different data folder, or no --reuse)."""
    env = Path(args.env_file)
    if not env.exists():
        return False
    values = read_env(env)
    pid = int(values.get("ARCADEDB_PID", "0"))
    if not alive(pid):
        return False
    uri = values.get("GRAPH_API_TEST_NEO4J_URI", "?")
    same = values.get("ARCADEDB_DATA") == str(data)
    if not (args.reuse and same):
        where = values.get("ARCADEDB_DATA", "an unknown folder")
        raise SystemExit(
            f"{env} names ArcadeDB pid {pid} on {uri} (data {where}), still running; stop it "
            f"first (python scripts/arcadedb.py stop --env-file {env})"
            + ("" if same else ", or give another --env-file")
        )
    if args.serve_settings and "GRAPH_API_NEO4J_URI" not in values:
        password = values.get("GRAPH_API_TEST_NEO4J_PASSWORD", "")
        http = int(values.get("GRAPH_API_TEST_ARCADEDB_HTTP", ":0").rsplit(":", 1)[1])
        write_env(env, env_lines(uri, password, http, data, pid, serve_settings=True))
    print(f"ArcadeDB already answering Cypher on {uri} (pid {pid}); settings in {env}:")
    tell(env, args.serve_settings)
    return True


def start(args: argparse.Namespace) -> None:
    home = package_dir(Path(args.venv))
    data = Path(args.data).resolve()
    if running(args, data):
        return
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
    env = Path(args.env_file)
    write_env(env, env_lines(uri, password, http, data, proc.pid, args.serve_settings))
    print(f"ArcadeDB answering Cypher on {uri} (pid {proc.pid}); settings in {env}:")
    tell(env, args.serve_settings)


def stop(args: argparse.Namespace) -> None:
    env = Path(args.env_file)
    if not env.exists():
        return
    values = read_env(env)
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
    up.add_argument("--serve-settings", action="store_true",
                    help="also write (and print) the GRAPH_API_NEO4J_* settings that "
                    "`graph-api serve --store neo4j` reads")
    up.add_argument("--reuse", action="store_true",
                    help="if the env file names a running server over the same --data, "
                    "keep it and print its settings")
    up.set_defaults(run=start)
    down = sub.add_parser("stop")
    down.add_argument("--env-file", default=".arcadedb.env")
    down.set_defaults(run=stop)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
