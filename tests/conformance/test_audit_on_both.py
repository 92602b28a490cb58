"""The ledger on both stores: one record per operation, whichever way it is written.

A mutation records itself in its own transaction; on the embedded store a query's
record is appended after the answer is built, on the Neo4j store (``AuditAhead``) it
is carried by the query's first read (one server: ``CARRIES_AUDIT``) or appended on
the store's audit thread while the query runs, and waited for before the answer
leaves. Either way: each operation once, the chain whole, and an answer
whose record is refused is withheld.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import threading
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import ServiceUnavailable

from graph_api.access import Scope
from graph_api.api.context import Context
from graph_api.audit import AuditEntry, verify_chain
from graph_api.errors import LimitExceeded
from graph_api.model import Principal
from graph_api.services import Services, hash_token
from graph_api.store.base import AuditAhead
from graph_api.workflow import start_workflow
from tests.conftest import NEO4J_URI, FixedClock, MakeServices, add_orgs
from tests.scenario import acme_ring
from tests.support import OPERATIONS, codes, gql

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "graph-api"
SUBMIT = "mutation Share($input: ReportInput!) { submitReport(input: $input) { created } }"
READ = 'query Peek { entity(id: "seller-1") { id name relations { totalCount } } }'
TRACE = 'query Up { traceToSource(from: "listing-1") { sources { score } origin { id } } }'
NOTICE = """mutation Notify { fileNotice(input: {listings: ["no-such-listing"], grounds: "x"})
    { id } }"""
LOG = "query Ledger { auditLog(first: 1000) { seq operation } }"


def admin(services: Services, org: str) -> Scope:
    principal, _ = services.issue_token(services.find_org(org), "admin")
    return services.scope_for(principal)


def operations(services: Services, after: int) -> list[str]:
    return [r.operation for r in services.store.audit_records() if r.seq > after]


def last_seq(services: Services) -> int:
    records = services.store.audit_records()
    return records[-1].seq if records else 0


def test_each_operation_is_recorded_once(services: Services, orgs: dict[str, Scope]) -> None:
    before = last_seq(services)
    assert gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})["data"]
    refused = acme_ring()
    refused["confidence"] = 7
    assert codes(gql(services, orgs["acme"], SUBMIT, {"input": refused})) == ["BAD_USER_INPUT"]
    assert gql(services, orgs["acme"], READ)["data"]["entity"]["id"] == "seller-1"
    assert gql(services, orgs["rival"], READ)["data"] == {"entity": None}
    assert "errors" not in gql(services, orgs["acme"], TRACE)
    assert codes(gql(services, orgs["acme"], NOTICE))  # refused: recorded after it
    assert codes(gql(services, None, READ)) == ["UNAUTHENTICATED"]
    assert gql(services, orgs["acme"], "query Broken { nope }")["data"] is None
    assert operations(services, before) == [
        "mutation Share", "mutation Share", "query Peek", "query Peek", "query Up",
        "mutation Notify", "query Peek",
    ]  # a document that does not validate is not an operation: not recorded (as before)
    assert verify_chain(services.store.audit_records()) == (last_seq(services), None)


def test_a_ledger_read_leaves_out_its_own_record(
    services: Services, orgs: dict[str, Scope]
) -> None:
    """Its own record is not in what a ledger read answers, on either store, however
    fast the record begun ahead lands."""
    scope = admin(services, "bazaar")
    gql(services, orgs["bazaar"], READ)
    first = gql(services, scope, LOG)["data"]["auditLog"]
    second = gql(services, scope, LOG)["data"]["auditLog"]
    assert second[:-1] == first and second[-1]["operation"] == "query Ledger"
    assert second[-1]["seq"] == first[-1]["seq"] + 1
    paged = gql(services, scope, "query Page { auditLog(first: 2) { seq } }")["data"]
    assert [r["seq"] for r in paged["auditLog"]] == [r["seq"] for r in second[:2]]


# -- whose records an admin sees -------------------------------------------------------
ORG_LOG = """query Ledger($after: Int) { auditLog(first: 1000, after: $after) {
    seq at operation digest hash principal { id org { id } } } }"""


def fixed_principals(services: Services, role: str) -> dict[str, Scope]:
    """A principal of ``role`` per org with a fixed id (``p-ORG-ROLE``): the same records
    in two stores hash alike."""
    scopes = {}
    for org in services.store.orgs():
        principal = Principal(f"p-{org.id}-{role}", org, role)
        services.store.add_principal(principal, hash_token(f"gapi_{org.id}_{role}"))
        scopes[org.id] = services.scope_for(principal)
    return scopes


def ledger(services: Services, scope: Scope, after: int | None = None) -> list[dict[str, Any]]:
    answer = gql(services, scope, ORG_LOG, {"after": after})
    assert "errors" not in answer, answer
    records: list[dict[str, Any]] = answer["data"]["auditLog"]
    return records


def test_an_admin_sees_its_own_orgs_records_only(
    services: Services, orgs: dict[str, Scope]
) -> None:
    """An admin of a brand does not see another brand's records, the platform's, the
    operator's (``cli:...``, ``system:sweep``) or anonymous ones; each org's records
    are numbered 1, 2, 3, ... by its own sequence, and ``after`` pages by it. The
    whole chain, with every record, still verifies."""
    admins = fixed_principals(services, "admin")
    sweep = AuditEntry(services.clock(), "system:sweep", "bazaar", "mutation sweep",
                       services.audit_digest({"upheld": []}))
    steps = [
        lambda: gql(services, orgs["acme"], READ),
        lambda: gql(services, orgs["rival"], READ),
        lambda: services.store.append_audit(services.operator_audit("cli org add x", "acme")),
        lambda: gql(services, None, READ),
        lambda: gql(services, orgs["acme"], TRACE),
        lambda: services.store.append_audit(sweep),
        lambda: gql(services, orgs["bazaar"], READ),
        lambda: gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()}),
        lambda: gql(services, orgs["rival"], TRACE),
    ]
    for step in steps:
        step()
    acme = ledger(services, admins["acme"])
    assert [(r["seq"], r["operation"], r["principal"]["id"]) for r in acme] == [
        (1, "query Peek", orgs["acme"].principal_id),
        (2, "query Up", orgs["acme"].principal_id),
        (3, "mutation Share", orgs["acme"].principal_id),
    ]
    rival = ledger(services, admins["rival"])
    assert [(r["seq"], r["operation"]) for r in rival] == [(1, "query Peek"), (2, "query Up")]
    assert {r["principal"]["org"]["id"] for r in rival} == {"rival"}
    platform = ledger(services, admins["bazaar"])
    assert [(r["seq"], r["operation"]) for r in platform] == [(1, "query Peek")]
    # the admin's own reads are its org's records too; after pages by the org's numbers
    again = ledger(services, admins["acme"], after=2)
    assert [(r["seq"], r["operation"]) for r in again] == [(3, "mutation Share"),
                                                          (4, "query Ledger")]
    assert again[0] == acme[2]
    records = services.store.audit_records()
    operator = [r for r in records if r.audience == ""]
    assert {r.principal_id for r in operator} >= {"system:sweep", "anonymous"}
    assert any(r.principal_id.startswith("cli:") for r in operator)
    assert verify_chain(records) == (len(records), None)


def test_an_admins_log_is_the_same_whatever_other_orgs_did(
    make_services: MakeServices, store_kind: str
) -> None:
    """Non-interference of the log: the same operations of acme, with and without other
    orgs' and the operator's records between them, give acme's admin the same answer
    (numbers, times, digests and hashes) on every page."""
    answers = []
    for noisy in (False, True):
        services = make_services(store_kind, name=f"noisy-{noisy}")  # neo4j: emptied first
        services.audit_key = bytes(range(32))  # one server secret for both worlds
        add_orgs(services)
        people = fixed_principals(services, "investigator")
        admins = fixed_principals(services, "admin")
        for i in range(3):
            if noisy:
                gql(services, people["rival"], READ)
                services.store.append_audit(services.operator_audit(f"cli sweep {i}", "acme"))
                gql(services, None, READ)
            gql(services, people["acme"], TRACE if i % 2 else READ)
            if noisy:
                gql(services, admins["bazaar"], LOG)
        answers.append([ledger(services, admins["acme"], after) for after in (None, 1, 3)])
    assert answers[0] == answers[1]
    assert [r["seq"] for r in answers[0][0]] == [1, 2, 3]


def test_a_ledger_written_before_org_numbers_is_numbered_on_opening(
    make_services: MakeServices, store_kind: str
) -> None:
    """A database whose ledger predates org-local numbers (no audience, org_seq or
    org_hash) gets them, in chain order, when a store first opens it: the same as if
    they had been there, and the chain verifies."""
    services = make_services(store_kind, name="old")
    scopes = add_orgs(services)
    admins = fixed_principals(services, "admin")
    for i in range(4):
        gql(services, scopes["acme" if i % 2 else "rival"], READ)
    logs = {org: ledger(services, admins[org]) for org in ("acme", "rival")}
    before = services.store.audit_records()
    services.store.close()
    if store_kind == "memory":
        with sqlite3.connect(services.settings.db) as conn:
            conn.executescript(OLD_SQLITE_LEDGER)
    else:
        strip_neo4j_ledger(services)
    reopened = start_workflow(Services.open(services.settings, clock=FixedClock()))
    try:
        assert reopened.store.audit_records() == before
        for org, log in logs.items():
            assert ledger(reopened, admins[org])[:len(log)] == log
        records = reopened.store.audit_records()
        assert verify_chain(records) == (len(records), None)
    finally:
        reopened.close()


OLD_SQLITE_LEDGER = """
DROP INDEX audit_org;
CREATE TABLE old_audit (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, principal_id TEXT NOT NULL,
    org_id TEXT NOT NULL, operation TEXT NOT NULL, digest TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
INSERT INTO old_audit SELECT seq, at, principal_id, org_id, operation, digest, prev_hash, hash
    FROM audit;
DROP TABLE audit;
ALTER TABLE old_audit RENAME TO audit;
"""


def strip_neo4j_ledger(services: Services) -> None:
    """The Neo4j ledger as the store wrote it before org-local numbers."""
    settings = services.settings
    with GraphDatabase.driver(settings.neo4j_uri, auth=(settings.neo4j_user,
                              settings.neo4j_password)) as driver:
        with driver.session(database=settings.neo4j_database) as session:
            session.run("MATCH (a:Audit) REMOVE a.audience, a.org_seq, a.org_hash").consume()
            session.run("MATCH (m:Meta) WHERE m.key STARTS WITH 'audit-org:' OR "
                        "m.key = 'audit_layout' DETACH DELETE m").consume()
            left = session.run("MATCH (a:Audit) WHERE a.org_seq IS NOT NULL "
                               "RETURN count(a) AS n").single()
            assert left is not None and left["n"] == 0


def test_each_operation_of_a_websocket_is_recorded_once(
    services: Services, orgs: dict[str, Scope]
) -> None:
    """A WebSocket runs every operation through the executor (``Operations.stream``), each
    with an ``Operation`` of its own: a mutation, a query and a subscription, one record
    each, in order."""
    before = last_seq(services)

    async def run() -> None:
        for query, variables in ((SUBMIT, {"input": acme_ring()}), (READ, None)):
            answer = await OPERATIONS.stream(Context(services, _scope=orgs["acme"]), query,
                                             variables)
            assert not isinstance(answer, AsyncGenerator) and answer.errors == [], answer
        stream = await OPERATIONS.stream(Context(services, _scope=orgs["acme"]),
                                         "subscription Watch { alertRaised { id } }")
        assert isinstance(stream, AsyncGenerator)
        await stream.aclose()

    asyncio.run(run())
    assert operations(services, before) == ["mutation Share", "query Peek", "subscription Watch"]


def test_audit_verify_holds_after_operations(
    services: Services, orgs: dict[str, Scope], store_kind: str
) -> None:
    gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})
    for _ in range(5):
        gql(services, orgs["acme"], READ)
        gql(services, orgs["rival"], TRACE)
    env = {**os.environ, "GRAPH_API_DB": "", "GRAPH_API_STORE": store_kind}
    settings = services.settings
    if store_kind == "neo4j":
        env.update(GRAPH_API_NEO4J_URI=settings.neo4j_uri, GRAPH_API_NEO4J_USER=settings.neo4j_user,
                   GRAPH_API_NEO4J_PASSWORD=settings.neo4j_password,
                   GRAPH_API_NEO4J_DATABASE=settings.neo4j_database)
    done = subprocess.run([str(BIN), "audit", "verify", "--db", str(settings.db)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        f"audit chain intact: {last_seq(services)} records"
    )


# -- the Neo4j store: the append runs beside the query ---------------------------------
neo4j_only = pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")


class DeadWrites:
    """A session whose writes meet a stopped server (reads go through)."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def _down(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(threading.current_thread().name)
        raise ServiceUnavailable("connection refused (injected)")

    run = execute_write = _down

    def close(self) -> None:
        pass


@neo4j_only
@pytest.mark.parametrize("carried", [True, False], ids=["carried", "on the audit thread"])
def test_a_query_whose_record_is_refused_is_not_answered(
    make_services: MakeServices, monkeypatch: pytest.MonkeyPatch, carried: bool
) -> None:
    services = make_services("neo4j")
    store = services.store
    assert isinstance(store, AuditAhead)
    assert store.CARRIES_AUDIT  # type: ignore[attr-defined]  # a bolt:// server
    store.CARRIES_AUDIT = carried  # type: ignore[attr-defined]
    scopes = add_orgs(services)
    gql(services, scopes["acme"], SUBMIT, {"input": acme_ring()})
    gql(services, scopes["acme"], READ)  # the ledger head is known: a read may carry
    before = last_seq(services)
    writes: list[str] = []
    real = store._session  # type: ignore[attr-defined]
    monkeypatch.setattr(store, "_session", lambda mode: DeadWrites(writes)
                        if mode == "WRITE" else real(mode))
    answer = gql(services, scopes["acme"], READ)
    assert answer["data"] is None
    assert codes(answer) == ["UNAVAILABLE"]
    # with the query's read, or beside it
    assert writes and all(name.startswith("audit") != carried for name in writes[:1])
    monkeypatch.undo()
    assert last_seq(services) == before  # nothing recorded: nothing answered
    assert gql(services, scopes["acme"], READ)["data"]["entity"]["id"] == "seller-1"
    assert operations(services, before) == ["query Peek"]
    assert verify_chain(services.store.audit_records()) == (last_seq(services), None)


@neo4j_only
def test_a_carrying_read_that_fails_still_records_its_query(
    make_services: MakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read that carried the record failed (its transaction with it): the record
    is appended when the query ends, once, and the query answers its error."""
    services = make_services("neo4j")
    store = services.store
    scopes = add_orgs(services)
    gql(services, scopes["acme"], SUBMIT, {"input": acme_ring()})
    gql(services, scopes["acme"], READ)
    before = last_seq(services)
    real = store._run  # type: ignore[attr-defined]
    carrying: list[str] = []

    def run(mode: str, text: str, **params: Any) -> Any:
        if "audit_seq" in text and "MATCH (s:ESum)" in text:
            carrying.append(text)
            raise LimitExceeded("the query ran past the graph database's time limit")
        return real(mode, text, **params)

    monkeypatch.setattr(store, "_run", run)
    assert codes(gql(services, scopes["acme"], READ)) == ["LIMIT_EXCEEDED"]
    assert carrying  # the read did carry it
    monkeypatch.undo()
    assert operations(services, before) == ["query Peek"]
    gql(services, scopes["acme"], READ)
    assert operations(services, before) == ["query Peek", "query Peek"]
    assert verify_chain(services.store.audit_records()) == (last_seq(services), None)


@neo4j_only
@pytest.mark.parametrize("carried", [True, False], ids=["carried", "on the audit thread"])
def test_records_begun_ahead_chain_with_other_writers(
    make_services: MakeServices, carried: bool
) -> None:
    """Two processes' stores over one database (two API workers): queries begun ahead
    on each and mutations in between keep one unforked chain (a read carrying a record
    after the head moved leaves it to the locked append)."""
    one = make_services("neo4j", name="one")
    two = make_services("neo4j", name="two")  # empties the database too, before any write
    for store in (one.store, two.store):
        store.CARRIES_AUDIT = carried  # type: ignore[attr-defined]
    scopes = add_orgs(one)
    before = last_seq(one)
    for i in range(6):
        gql(one if i % 2 else two, scopes["acme"], TRACE if i % 3 == 1 else READ)
        if i % 3 == 0:
            report = acme_ring()
            report["reportId"] = f"acme-{i + 10}"
            gql(two, scopes["acme"], SUBMIT, {"input": report})
    records = one.store.audit_records()
    assert [r.operation for r in records if r.seq > before] == [
        "query Peek", "mutation Share", "query Up", "query Peek", "query Peek",
        "mutation Share", "query Up", "query Peek"]
    assert verify_chain(records) == (len(records), None)


@neo4j_only
@pytest.mark.parametrize("carried", [True, False], ids=["carried", "on the audit thread"])
def test_a_query_after_a_mutation_appends_without_the_lock(
    make_services: MakeServices, monkeypatch: pytest.MonkeyPatch, carried: bool
) -> None:
    """A mutation's record (in its own transaction) is the head this process saw last
    once it commits, so the next query's record goes in one statement, not through the
    locked re-read of the head."""
    services = make_services("neo4j")
    store = services.store
    store.CARRIES_AUDIT = carried  # type: ignore[attr-defined]
    scopes = add_orgs(services)
    gql(services, scopes["acme"], READ)
    before = last_seq(services)
    locked: list[str] = []
    real = store._write  # type: ignore[attr-defined]

    def write(work: Any, facts: bool = True) -> Any:
        locked.append("facts" if facts else "audit")
        return real(work, facts)

    monkeypatch.setattr(store, "_write", write)
    for i in range(3):
        report = acme_ring()
        report["reportId"] = f"acme-{i + 20}"
        assert gql(services, scopes["acme"], SUBMIT, {"input": report})["data"]
        assert gql(services, scopes["acme"], READ)["data"]["entity"]["id"] == "seller-1"
    assert locked == ["facts"] * 3  # the mutations' own transactions, no locked append
    assert operations(services, before) == ["mutation Share", "query Peek"] * 3
    assert verify_chain(services.store.audit_records()) == (last_seq(services), None)
