"""GraphiQL's page and files without a browser: served by the app, nothing from elsewhere."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest

from graph_api.api.app import create_app
from graph_api.graphiql import CSP, VENDOR
from graph_api.graphiql.routes import STATIC
from graph_api.services import Services
from tests.conftest import MakeServices

ROOT = Path(__file__).resolve().parents[2]


class Client:
    """Requests to the whole app in this process (no lifespan: no background tasks)."""

    def __init__(self, services: Services) -> None:
        self.app = create_app(services)

    def get(self, path: str, **headers: str) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(path, headers=headers)

        return asyncio.run(fetch())


@pytest.fixture
def modules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    modules = tmp_path / "node_modules"
    for relative in VENDOR.values():
        (modules / relative).parent.mkdir(parents=True, exist_ok=True)
        (modules / relative).write_text("/* lib */")
    (modules / "graphiql" / "package.json").write_text("{}")
    monkeypatch.setenv("GRAPH_API_GRAPHIQL_MODULES", str(modules))
    return modules


@pytest.fixture
def client(modules: Path, make_services: MakeServices) -> Client:
    return Client(make_services("memory"))


def test_a_browsers_get_is_graphiql_with_a_strict_csp(client: Client) -> None:
    page = client.get("/graphql", accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "style-src 'self';" in CSP and "unsafe" not in CSP
    assert "connect-src 'self';" in CSP and "frame-ancestors 'none'" in CSP
    # Every script and stylesheet the page names is this server's, and served.
    names = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert names and all(n.startswith("/graphiql/") or n == "data:," for n in names), names
    assert "<script>" not in page.text and "<style" not in page.text  # nothing inline
    for name in names:
        if name.startswith("/graphiql/"):
            answer = client.get(name)
            assert answer.status_code == 200, name
            assert answer.headers["content-security-policy"] == CSP
    assert {f"/graphiql/vendor/{n}" for n in VENDOR} <= set(names)


def test_other_gets_are_graphql_as_before(client: Client) -> None:
    # No text/html: a GraphQL request by GET, answered as JSON (here: not authenticated).
    plain = client.get("/graphql?query=%7Bme%7Bid%7D%7D")
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A query string wins over Accept: text/html.
    html = client.get("/graphql?query=%7Bme%7Bid%7D%7D", accept="text/html")
    assert html.headers["content-type"].startswith("application/json")
    # A GET without a query and without text/html is a malformed request.
    assert client.get("/graphql").status_code == 400


@pytest.mark.parametrize("path", [
    "/graphiql/vendor/package.json",
    "/graphiql/vendor/graphiql%2Fpackage.json",
    "/graphiql/vendor/..%2Fgraphiql%2Fpackage.json",
    "/graphiql/static/routes.py",
    "/graphiql/static/..%2Froutes.py",
])
def test_nothing_outside_the_lists_is_served(client: Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_missing_libraries_say_how_to_install_them(
    client: Client, modules: Path
) -> None:
    (modules / VENDOR["graphiql.min.js"]).unlink()
    answer = client.get("/graphiql/vendor/graphiql.min.js")
    assert answer.status_code == 503
    assert "npm ci --prefix graphiql" in answer.text
    # The page says so too, rather than "Loading..." for ever.
    assert "npm ci --prefix graphiql" in (STATIC / "graphiql-page.js").read_text()


def test_libraries_come_from_the_committed_lock_file() -> None:
    package = json.loads((ROOT / "graphiql" / "package.json").read_text())
    lock = json.loads((ROOT / "graphiql" / "package-lock.json").read_text())
    packages = lock["packages"]
    for relative in VENDOR.values():
        name = relative.split("/")[0]
        assert package["dependencies"][name] == packages[f"node_modules/{name}"]["version"]
        assert packages[f"node_modules/{name}"]["integrity"].startswith("sha512-")
