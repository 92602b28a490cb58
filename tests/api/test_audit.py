"""The audit ledger: every operation recorded, chained, and checked."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_api.access import Scope
from graph_api.audit import digest_of
from graph_api.keyfiles import AUDIT_KEY_FILE
from graph_api.services import Services
from tests.conftest import MakeServices
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
    gql(services, orgs["acme"], 'query Peek { entity(id: "seller-1") { id } }')
    refused = acme_ring()
    refused["confidence"] = 7
    assert codes(gql(services, orgs["acme"], SUBMIT, {"input": refused})) == ["BAD_USER_INPUT"]
    log = gql(services, admin(services, "acme"), LOG)["data"]["auditLog"]
    assert [(r["operation"], r["principal"]["id"]) for r in log] == [
        ("mutation Share", orgs["acme"].principal_id),
        ("query Peek", orgs["acme"].principal_id),
        ("mutation Share", orgs["acme"].principal_id),  # the refused write is recorded too
    ]
    assert {r["principal"]["org"]["id"] for r in log} == {"acme"}
    assert log[0]["digest"] == digest_of({"input": acme_ring()}, services.audit_key)
    assert [r["seq"] for r in log] == [1, 2, 3]


def test_audit_log_is_for_admins_of_every_org_type(
    services: Services, orgs: dict[str, Scope]
) -> None:
    for org in ("acme", "bazaar", "police"):
        gql(services, orgs[org], "query Me { me { id } }")
        assert codes(gql(services, orgs[org], LOG)) == ["FORBIDDEN"]  # not an admin
        log = gql(services, admin(services, org), LOG)["data"]["auditLog"]
        assert [r["operation"] for r in log] == ["query Me", "query Ledger"], org


def test_a_write_and_its_record_share_one_transaction(
    services: Services, orgs: dict[str, Scope]
) -> None:
    before = len(services.store.audit_records())
    gql(services, orgs["acme"], SUBMIT, {"input": acme_ring()})
    records = services.store.audit_records()
    assert len(records) == before + 1 and records[-1].operation == "mutation Share"


@pytest.mark.parametrize("column", ["operation", "digest", "principal_id", "at", "audience",
                                    "org_seq", "org_hash"])
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


# -- the variables digest: keyed ---------------------------------------------------------
MARKINGS = ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"]


def notice_variables(listing: int, marking: str) -> dict[str, Any]:
    return {"input": {"listings": [f"listing-{listing}"], "grounds": "counterfeit",
                      "marking": marking}}


def test_the_digest_cannot_be_recomputed_without_the_key(make_services: MakeServices) -> None:
    """Issue 18's attack: a notice's variables tried over every listing id and marking
    against its digest. With an unsalted hash it recovered a RED notice; keyed, only the
    holder of the server's key can try them, and another server's key gives other
    digests."""
    one, other = make_services(name="one"), make_services(name="other")
    assert len(one.audit_key) == 32 and one.audit_key != other.audit_key
    secret = notice_variables(7, "RED")
    digest = one.audit_digest(secret)
    assert digest != other.audit_digest(secret)
    candidates = [notice_variables(n, m) for n in range(50) for m in MARKINGS]
    unsalted = {hashlib.sha256(orjson.dumps(c, option=orjson.OPT_SORT_KEYS)).hexdigest()
                for c in candidates}
    assert digest not in unsalted
    assert [c for c in candidates if other.audit_digest(c) == digest] == []
    assert [c for c in candidates if one.audit_digest(c) == digest] == [secret]
    with pytest.raises(ValueError, match="no audit digest key"):
        digest_of(secret, b"")


def test_the_audit_key_is_kept_beside_the_database_for_its_owner_only(
    make_services: MakeServices,
) -> None:
    services = make_services(name="keyed")
    path = services.settings.secrets_dir / AUDIT_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == services.audit_key
    again = make_services(name="keyed")  # the same database: the same key
    assert again.audit_key == services.audit_key
