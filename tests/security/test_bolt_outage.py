"""The Neo4j store when its Bolt server goes away under load: requests answer
UNAVAILABLE (never INTERNAL, never a hang past the driver's few seconds), and once
the server is back the API serves again without a restart, with every
acknowledged report there.

Runs its own ArcadeDB (the suite's is shared by other tests) on a fixed port so
that it can be stopped and started again at the same address.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import Server, cli, free_port
from tests.security.test_faults import SUBMIT, report_line

ROOT = Path(__file__).resolve().parents[2]
ARC_VENV = ROOT / ".venv-arcadedb"
READ = '{ entity(id: "seller-rep-00001") { id } }'


def arcadedb(command: str, env_file: Path, *extra: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "arcadedb.py"), command,
                    "--env-file", str(env_file), *extra], check=True, capture_output=True,
                   timeout=180)


def codes_of(answer: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in answer.get("errors", [])]


@pytest.fixture
def bolt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    if not os.environ.get("GRAPH_API_TEST_NEO4J_URI") or not ARC_VENV.is_dir():
        pytest.skip("no ArcadeDB here (make test installs and starts it)")
    port, password = free_port(), secrets.token_hex(12)
    env_file = tmp_path / "arcadedb.env"
    args = ("--venv", str(ARC_VENV), "--data", str(tmp_path / "arcadedb"), "--heap", "512m",
            "--bolt-port", str(port), "--password", password)

    def up() -> None:
        arcadedb("start", env_file, *args)

    def down() -> None:
        arcadedb("stop", env_file)

    up()
    for name, value in (("STORE", "neo4j"), ("NEO4J_URI", f"bolt://127.0.0.1:{port}"),
                        ("NEO4J_USER", "root"), ("NEO4J_PASSWORD", password),
                        ("NEO4J_DATABASE", "neo4j")):
        monkeypatch.setenv(f"GRAPH_API_{name}", value)
    try:
        yield up, down
    finally:
        down()


def test_bolt_server_stopped_and_restarted_under_load(bolt: Any, tmp_path: Path) -> None:
    up, down = bolt
    db = tmp_path / "graph.db"
    cli(db, "org", "add", "Acme", "--type", "BRAND", "--id", "acme")
    cli(db, "org", "add", "Bazaar", "--type", "PLATFORM", "--id", "bazaar")
    token = cli(db, "token", "issue", "--org", "acme", "--role", "analyst").stdout.split()[-1]
    server = Server(db).start()
    try:
        answers, acknowledged = _under_load(server, token, lambda seen: _outage(up, down, seen))
        _check(server, token, answers, acknowledged)
    finally:
        server.kill()


Answers = list[tuple[str, dict[str, Any], float]]  # (read or write, answer, seconds)


def _under_load(server: Server, token: str, during: Any) -> tuple[Answers, list[str]]:
    """One client writing and reading in a loop while ``during(answers)`` runs."""
    answers: Answers = []
    acknowledged: list[str] = []
    stop = threading.Event()

    def load() -> None:
        n = 0
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                n += 1
                line = report_line(n)
                started = time.monotonic()
                wrote = server.gql(token, SUBMIT, {"r": line}, client=client)
                answers.append(("write", wrote, time.monotonic() - started))
                if wrote.get("data") and wrote["data"]["submitReport"]:
                    acknowledged.append(line["reportId"])
                started = time.monotonic()
                answers.append(("read", server.gql(token, READ, client=client),
                                time.monotonic() - started))

    worker = threading.Thread(target=load)
    worker.start()
    try:
        _wait(lambda: len(acknowledged) >= 5, "no write went through before the outage")
        during(answers)
    finally:
        stop.set()
        worker.join(timeout=120)
    return answers, acknowledged


def _outage(up: Any, down: Any, answers: Answers) -> None:
    down()
    start = len(answers)
    _wait(lambda: any(codes_of(a) for _, a, _ in answers[start:]), "no request noticed the outage")
    time.sleep(3)  # a few more requests meet the closed port
    up()
    back = len(answers)
    _wait(lambda: any(k == "write" and not codes_of(a) for k, a, _ in answers[back:]),
          "the API did not recover without a restart", seconds=120)


def _check(server: Server, token: str, answers: Answers, acknowledged: list[str]) -> None:
    refused = [(k, a) for k, a, _ in answers if codes_of(a)]
    assert refused, "the outage was never seen"
    assert {c for _, a in refused for c in codes_of(a)} == {"UNAVAILABLE"}, refused[:3]
    assert all("unavailable" in a["errors"][0]["message"] for _, a in refused)
    slowest = max(seconds for _, a, seconds in answers if codes_of(a))
    assert slowest < 25, f"a refusal took {slowest:.1f} s: the request deadline is 30 s"
    for rid in acknowledged:  # every acknowledged write survived the outage, whole
        seen = server.gql(token, '{ entity(id: "seller-%s") { id relations { totalCount } } }'
                          % rid)
        assert seen["data"]["entity"] is not None, rid


def _wait(predicate: Any, message: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message)
