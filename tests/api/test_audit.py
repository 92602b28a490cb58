"""The audit ledger: every operation recorded, chained, and checked."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from graph_api.access import Scope
from graph_api.audit import digest_of
from graph_api.services import Services
from tests.scenario import acme_ring
from tests.support import codes, gql

SUBMIT = """mutation Share($input: ReportInput!) { submitReport(input: $input) { created } }"""
LOG = """query Ledger { auditLog(first: 1000) {
    seq operation digest hash principal { id org { id } } } }"""


def admin(services: Services, org: str) -> Scope:
    principal, _ = services.issue_token(services.find_org(org), "admin")
    return services.scope_for(principal)


def test_every_operation_is_recorded_with_its_principal_and_digest(
    services: Services, orgs: dict[str, Scope]
) -> None:
    gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})
    gql(services, orgs["rival"], 'query Peek { entity(id: "seller-1") { id } }')
    refused = acme_ring()
    refused["confidence"] = 7
    assert codes(gql(services, orgs["acme"], SUBMIT, {"input": refused})) == ["BAD_USER_INPUT"]
    log = gql(services, admin(services, "bazaar"), LOG)["data"]["auditLog"]
    ops = [
        (r["operation"], r["principal"]["org"]["id"]) for r in log if r["principal"]["org"]["id"]
    ]
    assert ("mutation Share", "acme") in ops and ("query Peek", "rival") in ops
    assert ops.count(("mutation Share", "acme")) == 2  # the refused write is recorded too
    shared = [r for r in log if r["operation"] == "mutation Share"][0]
    assert shared["digest"] == digest_of({"input": acme_ring()})
    assert [r["seq"] for r in log] == sorted(r["seq"] for r in log)


def test_audit_log_is_for_platform_and_regulator_admins(
    services: Services, orgs: dict[str, Scope]
) -> None:
    assert codes(gql(services, orgs["bazaar"], LOG)) == ["FORBIDDEN"]  # not an admin
    assert codes(gql(services, admin(services, "acme"), LOG)) == ["FORBIDDEN"]  # a brand
    assert gql(services, admin(services, "police"), LOG)["data"]["auditLog"]


def test_a_write_and_its_record_share_one_transaction(
    services: Services, orgs: dict[str, Scope]
) -> None:
    before = len(services.store.audit_records())
    gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})
    records = services.store.audit_records()
    assert len(records) == before + 1 and records[-1].operation == "mutation Share"


@pytest.mark.parametrize("column", ["operation", "digest", "principal_id", "at"])
def test_audit_verify_names_the_first_edited_record(
    make_services: object, tmp_path: Path, column: str
) -> None:
    from tests.conftest import add_orgs

    services = make_services()  # type: ignore[operator]
    scopes = add_orgs(services)
    for i in range(5):
        gql(services, scopes["acme"], f"query Q{i} {{ me {{ id }} }}")
    db = services.settings.db
    graph_api = Path(sys.executable).parent / "graph-api"
    ok = subprocess.run(
        [str(graph_api), "audit", "verify", "--db", str(db)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "intact" in ok.stdout
    victim = services.store.audit_records()[6].seq
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE audit SET {column} = ? WHERE seq = ?", ("x", victim))
    bad = subprocess.run(
        [str(graph_api), "audit", "verify", "--db", str(db)], capture_output=True, text=True
    )
    assert bad.returncode == 1 and f"record {victim}" in bad.stdout


def test_deleting_a_record_breaks_the_chain(services: Services, orgs: dict[str, Scope]) -> None:
    from graph_api.audit import verify_chain

    for i in range(4):
        gql(services, orgs["acme"], f"query Q{i} {{ me {{ id }} }}")
    records = services.store.audit_records()
    assert verify_chain(records)[1] is None
    assert verify_chain(records[:3] + records[4:])[1] == records[4].seq
