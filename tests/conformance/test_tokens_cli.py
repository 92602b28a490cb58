"""``graph-api token list`` and ``token revoke`` by id or by the token (issue 22, item 8),
and ``org list``, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from graph_api.errors import Unauthenticated
from graph_api.services import Services
from tests.cli_support import Run, cli_over
from tests.conftest import FixedClock, add_orgs
from tests.support import gql


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        services: Services) -> Iterator[Run]:
    yield from cli_over(services, capsys, monkeypatch)


def table(out: str) -> list[list[str]]:
    """The rows of ``token list`` (columns split on runs of two spaces), header first."""
    lines = out.splitlines()[:-1]
    return [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in lines]


def test_token_list_shows_every_principal_and_never_a_token(
    services: Services, run: Run
) -> None:
    add_orgs(services)
    clock = services.clock
    assert isinstance(clock, FixedClock)
    acme = services.find_org("acme")
    used, used_token = services.issue_token(acme, "analyst")
    idle, idle_token = services.issue_token(acme, "admin")
    clock.now += timedelta(hours=2)
    gql(services, services.scope_for(used), "query Me { me { id } }")
    assert services.revoke(idle.id)
    status, out, _ = run("token", "list", "--org", "Acme")
    assert status == 0
    rows = table(out)
    assert rows[0] == ["PRINCIPAL", "ORG", "ROLE", "CREATED", "LAST USED", "REVOKED"]
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {used.id, idle.id, *(p for p in by_id if by_id[p][2] == "investigator")}
    assert by_id[used.id][1:3] == ["acme", "analyst"]
    assert by_id[used.id][4] == "2026-11-01 11:00Z"  # its query, two hours on
    assert by_id[used.id][5] == "-"
    assert by_id[idle.id][4] == "never" and by_id[idle.id][5] != "-"
    assert {row[1] for row in rows[1:]} == {"acme"}
    listed = len(rows) - 1
    assert out.splitlines()[-1] == f"{listed} principals, {listed - 1} with an active token"
    status, everyone, _ = run("token", "list")
    assert {row[1] for row in table(everyone)[1:]} == {"acme", "rival", "bazaar", "police"}
    for token in (used_token, idle_token):
        assert token not in everyone and token[5:] not in everyone
    status, _, err = run("token", "list", "--org", "nobody")
    assert status == 2 and "no org 'nobody'" in err


def test_token_revoke_takes_the_principal_id_or_the_token_itself(
    services: Services, run: Run
) -> None:
    add_orgs(services)
    acme = services.find_org("acme")
    by_id, _ = services.issue_token(acme, "analyst")
    by_token, token = services.issue_token(acme, "investigator")
    kept, kept_token = services.issue_token(acme, "admin")
    status, out, _ = run("token", "revoke", by_id.id)
    assert status == 0 and out.strip() == f"revoked {by_id.id}"
    status, out, err = run("token", "revoke", token)
    assert status == 0 and out.strip() == f"revoked {by_token.id}"
    assert token not in out + err
    with pytest.raises(Unauthenticated):
        services.authenticate(f"Bearer {token}")
    assert services.authenticate(f"Bearer {kept_token}").principal_id == kept.id
    status, _, err = run("token", "revoke", token)  # once is enough
    assert status == 2 and token not in err and "no active principal" in err
    status, _, err = run("token", "revoke", by_id.id)
    assert status == 2 and "revoked already" in err
    status, _, err = run("token", "revoke", "gapi_" + "x" * 43)
    assert status == 2 and "x" * 43 not in err
    ledger = [r.operation for r in services.store.audit_records()]
    assert ledger[-2:] == [f"cli token revoke {by_id.id}", f"cli token revoke {by_token.id}"]


def test_org_list_shows_every_org_one_row_each(services: Services, run: Run) -> None:
    add_orgs(services)
    status, out, _ = run("org", "list")
    assert status == 0
    rows = table(out)
    assert rows[0] == ["ID", "TYPE", "TRUSTED", "NAME"]
    by_id = {row[0]: row[1:] for row in rows[1:]}
    assert by_id == {o.id: [o.type.value, "yes" if o.trusted else "no", o.name]
                     for o in services.store.orgs()}
    assert {"acme", "rival", "bazaar", "police"} <= set(by_id)
    assert out.splitlines()[-1] == f"{len(by_id)} orgs"
