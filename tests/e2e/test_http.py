"""End to end over real HTTP: a uvicorn process, a real SQLite file, SIGKILL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import Server, cli
from tests.scenario import report
from tests.support import write_lines

pytestmark = pytest.mark.e2e

SUBMIT = """mutation($input: ReportInput!) { submitReport(input: $input) { reportId created } }"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "graph.db"
    for name, kind in (("Acme", "BRAND"), ("Rival", "BRAND"), ("Bazaar", "PLATFORM")):
        assert cli(path, "org", "add", name, "--type", kind).stdout.strip() == name.lower()
    return path


def token(db: Path, org: str, role: str = "investigator") -> str:
    return cli(db, "token", "issue", "--org", org, "--role", role).stdout.strip().splitlines()[-1]


@pytest.fixture
def server(db: Path) -> Iterator[Server]:
    running = Server(db).start()
    yield running
    running.kill()


def test_health_schema_and_graphiql(server: Server) -> None:
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    sdl = httpx.get(server.url + "/schema.graphql").text
    assert "type Entity" in sdl and "submitReport" in sdl
    page = httpx.get(server.url + "/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_tokens_gate_everything(server: Server, db: Path) -> None:
    unauth = server.gql(None, "{ me { role } }")
    assert unauth["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    wrong = server.gql("gapi_not-a-token", "{ me { role } }")
    assert wrong["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    good = server.gql(token(db, "acme"), "{ me { role org { id } } }")
    assert good["data"]["me"] == {"role": "investigator", "org": {"id": "acme"}}


def test_revoked_token_stops_working(server: Server, db: Path) -> None:
    secret = token(db, "acme")
    me = server.gql(secret, "{ me { id } }")["data"]["me"]["id"]
    assert cli(db, "token", "revoke", me).returncode == 0
    after = server.gql(secret, "{ me { id } }")
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_oversized_body_is_limit_exceeded(server: Server, db: Path) -> None:
    big = {"query": "{ me { id } }", "variables": {"pad": "x" * (3 * 1024 * 1024)}}
    response = httpx.post(
        server.url + "/graphql",
        json=big,
        timeout=30,
        headers={"Authorization": f"Bearer {token(db, 'acme')}"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_bodies_that_are_not_one_graphql_request_are_refused(server: Server, db: Path) -> None:
    headers = {"Authorization": f"Bearer {token(db, 'acme')}", "Content-Type": "application/json"}
    for body in (b"{not json", b"[]", b'{"variables": {}}', b'{"query": "{ me { id } }", '
                 b'"variables": [1]}', b'{"query": "{ me { id } }", "operationName": 3}'):
        response = httpx.post(server.url + "/graphql", content=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    subscription = server.gql(token(db, "acme"), "subscription { alertRaised { id } }")
    assert subscription["data"] is None
    assert "WebSocket" in subscription["errors"][0]["message"]
    named = httpx.post(server.url + "/graphql", headers=headers, json={
        "query": "query A { me { role } } query B { me { id } }", "operationName": "A"})
    assert named.json() == {"data": {"me": {"role": "investigator"}}}


def test_errors_never_carry_a_stack_trace(server: Server, db: Path) -> None:
    answer = server.gql(token(db, "acme"), '{ entities(after: "%%%") { totalCount } }')
    text = str(answer)
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Traceback" not in text and ".py" not in text


def test_acknowledged_reports_survive_sigkill(db: Path) -> None:
    server = Server(db).start()
    secret = token(db, "acme")
    acknowledged = []
    with httpx.Client() as client:
        for i in range(60):
            raw = report(
                f"burst-{i}",
                "AMBER",
                [
                    {"id": f"seller-{i}", "kind": "SELLER"},
                    {"id": f"store-{i}", "kind": "STOREFRONT"},
                ],
                [{"kind": "OPERATES", "from": f"seller-{i}", "to": f"store-{i}"}],
            )
            answer = server.gql(secret, SUBMIT, {"input": raw}, client=client)
            if answer.get("data") and answer["data"]["submitReport"]["created"]:
                acknowledged.append(i)
    server.kill()
    assert len(acknowledged) == 60
    again = Server(db).start()
    try:
        query = "{ entities(kind: STOREFRONT, first: 1000) { totalCount } }"
        assert again.gql(secret, query)["data"]["entities"]["totalCount"] == 60
        for i in acknowledged[::7]:
            rel = again.gql(
                secret, f'{{ entity(id: "seller-{i}") {{ relations {{ totalCount }} }} }}'
            )
            assert rel["data"]["entity"]["relations"]["totalCount"] == 1
    finally:
        again.kill()


def test_server_follows_an_import_by_another_process(
    server: Server, db: Path, tmp_path: Path
) -> None:
    secret = token(db, "rival", "analyst")
    lines = [
        report(f"imp-{i}", "GREEN", [{"id": f"wh-{i}", "kind": "WAREHOUSE"}]) for i in range(5)
    ]
    lines.append({"reportId": "broken", "source": "OSINT"})
    path = write_lines(tmp_path / "in.ndjson", lines)
    done = cli(db, "import", str(path), "--token", secret, "--quiet", check=False)
    assert "line 6:" in done.stderr and "BAD_USER_INPUT" in done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("imported 5 reports")
    query = "{ entities(kind: WAREHOUSE) { totalCount } }"
    deadline = time.monotonic() + 2.5
    count = 0
    while time.monotonic() < deadline and count != 5:
        count = server.gql(secret, query)["data"]["entities"]["totalCount"]
        time.sleep(0.1)
    assert count == 5
