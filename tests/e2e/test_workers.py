"""``serve --workers 2`` over a real socket: two forked workers sharing one loaded graph.

Which worker answers a new connection is the kernel's choice; a test makes it
certain by stopping the other (SIGSTOP: it cannot accept, so the one running
does) and letting it go again (SIGCONT) afterwards.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import Server, cli
from tests.scenario import acme_ring, green_store, report

pytestmark = pytest.mark.e2e

SUBMIT = """mutation($input: ReportInput!) { submitReport(input: $input) { reportId created } }"""
READS = [
    '{ entity(id: "seller-1") { id kind name confidence } }',
    "{ entities(first: 50) { totalCount edges { cursor node { id kind name } } } }",
    '{ entities(search: "kicks") { totalCount edges { node { id } } } }',
    '{ traceToSource(from: "listing-1") { sources { entity { id } score depth } } }',
    '{ linkedEntities(id: "seller-1") { entity { id } } }',
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "graph.db"
    for name, kind in (("Acme", "BRAND"), ("Rival", "BRAND"), ("Bazaar", "PLATFORM")):
        cli(path, "org", "add", name, "--type", kind)
    return path


def token(db: Path, org: str, role: str = "investigator") -> str:
    return cli(db, "token", "issue", "--org", org, "--role", role).stdout.strip().splitlines()[-1]


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # fields[1]: the parent's pid
            found.add(int(stat.parent.name))
    return found


def workers(server: Server, count: int = 2, other_than: set[int] | None = None) -> list[int]:
    """The server's ``count`` workers (none of ``other_than``), once they all run."""
    assert server.proc is not None
    until = time.monotonic() + 60
    while time.monotonic() < until:
        found = children(server.proc.pid)
        if len(found) == count and not found & (other_than or set()):
            return sorted(found)
        time.sleep(0.1)
    raise AssertionError(f"no {count} workers: {children(server.proc.pid)}")


@contextmanager
def served_by(worker: int, others: list[int]) -> Iterator[None]:
    """New connections accepted by ``worker`` only: the others stopped meanwhile."""
    stopped = [pid for pid in others if pid != worker]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)


def answers(server: Server, secret: str) -> list[dict[str, Any]]:
    return [server.gql(secret, query) for query in READS]  # a new connection each


def submit(server: Server, secret: str, raw: dict[str, Any]) -> None:
    answer = server.gql(secret, SUBMIT, {"input": raw})
    assert answer["data"]["submitReport"]["created"], answer


@pytest.fixture
def two(db: Path) -> Iterator[Server]:
    running = Server(db, "--workers", "2").start()
    yield running
    running.kill()


def test_both_workers_answer_alike_and_see_each_others_writes(two: Server, db: Path) -> None:
    acme, rival = token(db, "acme"), token(db, "rival")
    first, second = workers(two)
    count = '{ entities(kind: STOREFRONT) { totalCount } }'
    with served_by(first, [first, second]):
        submit(two, acme, acme_ring())  # written through the first
    with served_by(second, [first, second]):
        written_on_first = two.gql(acme, READS[0])["data"]["entity"]
        submit(two, acme, green_store())  # written through the second
        on_second, rival_second = answers(two, acme), answers(two, rival)
    with served_by(first, [first, second]):
        written_on_second = two.gql(acme, count)["data"]["entities"]["totalCount"]
        on_first, rival_first = answers(two, acme), answers(two, rival)
    assert written_on_first["name"] == "Shoe King"
    assert written_on_second == 2  # store-1 from the first, store-2 from the second
    assert on_first == on_second
    assert rival_first == rival_second
    assert on_first[2]["data"]["entities"]["totalCount"] == 1  # the search ("Kicks4U")
    assert rival_first[0]["data"]["entity"] is None  # acme's AMBER: not rival's to read
    assert "errors" not in str(on_first)  # rival is told NOT_FOUND, alike on both


def test_a_worker_that_dies_is_replaced_and_catches_up(two: Server, db: Path) -> None:
    acme = token(db, "acme")
    first, second = workers(two)
    with served_by(second, [first, second]):
        submit(two, acme, acme_ring())  # after the parent loaded the graph
        before = answers(two, acme)
    os.kill(first, signal.SIGKILL)
    third = next(pid for pid in workers(two, other_than={first}) if pid != second)
    with served_by(third, [second, third]):
        assert answers(two, acme) == before
        submit(two, acme, report("acme-2", "GREEN", [
            {"id": "factory-2", "kind": "FACTORY", "name": "Second Works"}]))
    with served_by(second, [second, third]):
        assert two.gql(acme, '{ entity(id: "factory-2") { name } }')["data"]["entity"] == {
            "name": "Second Works"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_parent_stops_its_workers(db: Path, sig: signal.Signals) -> None:
    server = Server(db, "--workers", "2").start()
    try:
        assert server.proc is not None
        pids = workers(server)
        server.proc.send_signal(sig)  # the parent only, as a service manager sends it
        assert server.proc.wait(timeout=60) == 0
        for pid in pids:
            assert not Path(f"/proc/{pid}").exists()
        assert "stopped" in server.log.read_text()
    finally:
        server.kill()


def test_a_worker_owning_too_much_is_replaced(db: Path) -> None:
    """``--recycle-worker-at``: a fraction this small is exceeded by every worker, so
    one is replaced every few seconds; the answers stay whole and current, and a
    client sending on one keep-alive connection all along never sees it reset."""
    acme = token(db, "acme")
    server = Server(db, "--workers", "2", "--recycle-worker-at", "0.00001").start()
    try:
        assert server.proc is not None
        before = set(workers(server))
        submit(server, acme, acme_ring())
        until = time.monotonic() + 90
        with httpx.Client() as client:  # keep-alive: a replaced worker drains, resets none
            while children(server.proc.pid) & before and time.monotonic() < until:
                answer = server.gql(acme, READS[0], client=client)
                assert answer["data"]["entity"]["name"] == "Shoe King"
        assert not children(server.proc.pid) & before  # both replaced, by forks that
        for _ in range(10):  # loaded nothing of the report: they caught up
            assert server.gql(acme, READS[0])["data"]["entity"]["name"] == "Shoe King"
        assert "replacing it" in server.log.read_text()
    finally:
        server.kill()
