"""Tokens end to end: stored only as SHA-256 hashes (never in the database's bytes),
revoked with ``graph-api token revoke`` while a server runs, refused alike when unknown
or revoked."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_api.config import Settings
from graph_api.services import Services, hash_token
from tests.e2e.server import Server, cli

pytestmark = pytest.mark.e2e

ME = "{ me { id org { id } role } }"


def test_revoke_ends_a_token_at_once_and_only_that_one(tmp_path: Path) -> None:
    db = tmp_path / "graph.db"
    cli(db, "org", "add", "Acme", "--type", "BRAND", "--id", "acme")
    first = cli(db, "token", "issue", "--org", "acme", "--role", "investigator").stdout.split()[-1]
    second = cli(db, "token", "issue", "--org", "acme", "--role", "analyst").stdout.split()[-1]
    server = Server(db).start()
    try:
        me = server.gql(first, ME)["data"]["me"]
        assert me["org"]["id"] == "acme"
        done = cli(db, "token", "revoke", me["id"])  # another process, the server keeps running
        assert done.stdout.strip().splitlines()[-1] == f"revoked {me['id']}"
        revoked = server.gql(first, ME)
        unknown = server.gql("gapi_" + "x" * 43, ME)
        codes = [[e["extensions"]["code"] for e in a["errors"]] for a in (revoked, unknown)]
        assert codes == [["UNAUTHENTICATED"], ["UNAUTHENTICATED"]]
        assert revoked["errors"][0]["message"] == unknown["errors"][0]["message"]
        assert server.gql(second, ME)["data"]["me"]["role"] == "analyst"
        again = cli(db, "token", "revoke", me["id"], check=False)
        assert again.returncode != 0 and "no active principal" in again.stderr
    finally:
        server.kill()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("graph.db*") if p.is_file())
    for token in (first, second):
        assert token.encode() not in stored
        assert hash_token(token).encode() in stored


def test_count_issues_that_many_tokens_each_its_own_principal(tmp_path: Path) -> None:
    db = tmp_path / "graph.db"
    cli(db, "org", "add", "Acme", "--type", "BRAND", "--id", "acme")
    tokens = cli(db, "token", "issue", "--org", "acme", "--role", "analyst",
                 "--count", "3").stdout.split()
    refused = cli(db, "token", "issue", "--org", "acme", "--role", "analyst", "--count", "0",
                  check=False)
    assert refused.returncode != 0 and "--count: 1 to 1000" in refused.stderr
    services = Services.open(Settings(db=db))
    try:
        scopes = [services.authenticate(f"Bearer {token}") for token in tokens]
        principals = {p.id for p in services.store.principal_records("acme")}
    finally:
        services.close()
    assert len(tokens) == len(set(tokens)) == 3
    assert [(s.org_id, s.role) for s in scopes] == [("acme", "analyst")] * 3
    assert {s.principal_id for s in scopes} == principals  # three, and nothing for count 0
