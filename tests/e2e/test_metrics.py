"""/metrics on a real server: a PLATFORM admin's token or GRAPH_API_METRICS_TOKEN only,
and the process's own numbers only (nothing counted across orgs' data)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import Server, cli

pytestmark = pytest.mark.e2e

SECRET = "metrics-scraper-7f3a9c"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = tmp_path / "graph.db"
    for name, kind in (("Acme", "BRAND"), ("Bazaar", "PLATFORM"), ("Police", "REGULATOR")):
        cli(db, "org", "add", name, "--type", kind)
    running = Server(db, env={"GRAPH_API_METRICS_TOKEN": SECRET}).start()
    yield running
    running.kill()


def token(db: Path, org: str, role: str) -> str:
    return cli(db, "token", "issue", "--org", org, "--role", role).stdout.split()[-1]


def scrape(server: Server, bearer: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.get(server.url + "/metrics", headers=headers)


def test_only_a_platform_admin_or_the_metrics_token_reads_metrics(server: Server) -> None:
    refused = {
        None: 401, "gapi_not-a-token": 401, "metrics-scraper-wrong": 401,
        token(server.db, "acme", "admin"): 403, token(server.db, "police", "admin"): 403,
        token(server.db, "bazaar", "investigator"): 403,
    }
    for bearer, status in refused.items():
        response = scrape(server, bearer)
        assert response.status_code == status, bearer
        code = response.json()["errors"][0]["extensions"]["code"]
        assert code == ("UNAUTHENTICATED" if status == 401 else "FORBIDDEN")
        assert "graph_api" not in response.text
    for bearer in (token(server.db, "bazaar", "admin"), SECRET):
        response = scrape(server, bearer)
        assert response.status_code == 200 and response.text.startswith("# TYPE")


def test_metrics_are_the_process_numbers_only(server: Server) -> None:
    brand = token(server.db, "acme", "investigator")
    report = {"reportId": "r1", "source": "OSINT", "confidence": 0.5, "marking": "RED",
              "entities": [{"id": "wh-1", "kind": "WAREHOUSE"}], "relations": []}
    server.gql(brand, "mutation($r: ReportInput!) { submitReport(input: $r) { created } }",
               {"r": report})
    server.gql(brand, "{ me { nickname } }")  # an error
    text = scrape(server, SECRET).text
    names = {line.split("{")[0].split()[0] for line in text.splitlines()
             if line and not line.startswith("#")}
    assert names == {
        "graph_api_operations_total", "graph_api_request_seconds_total",
        "graph_api_open_websockets", "process_cpu_seconds_total",
        "process_max_resident_memory_bytes", "process_uptime_seconds",
    }
    assert 'graph_api_operations_total{transport="http"} 2' in text
    assert "code=" not in text and "report" not in text.lower()
