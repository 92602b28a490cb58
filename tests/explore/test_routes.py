"""The /explore routes without a browser: what is served, and what is not."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from graph_api.explore import routes
from graph_api.explore.routes import CSP, STATIC, VENDOR

ROOT = Path(__file__).resolve().parents[2]


class Client:
    """Requests to the routes in this process (starlette's TestClient is deprecated with httpx)."""

    def __init__(self) -> None:
        self.app = Starlette(routes=routes())

    def get(self, path: str, follow_redirects: bool = True) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(path, follow_redirects=follow_redirects)

        return asyncio.run(fetch())


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Client:
    modules = tmp_path / "node_modules"
    for relative in VENDOR.values():
        (modules / relative).parent.mkdir(parents=True, exist_ok=True)
        (modules / relative).write_text("/* lib */")
    (modules / "cytoscape" / "package.json").write_text("{}")
    monkeypatch.setenv("GRAPH_API_EXPLORE_MODULES", str(modules))
    return Client()


def test_page_is_served_with_a_strict_csp(client: Client) -> None:
    page = client.get("/explore")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "unsafe" not in CSP
    assert page.headers["referrer-policy"] == "no-referrer"
    assert client.get("/explore/", follow_redirects=False).headers["location"] == "/explore"


def test_every_script_the_page_names_is_served(client: Client) -> None:
    html = (STATIC / "index.html").read_text()
    for name in VENDOR:
        assert f"/explore/vendor/{name}" in html
        answer = client.get(f"/explore/vendor/{name}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/javascript")
    for name in ("explorer.js", "api.js", "graph.js", "explorer.css"):
        assert client.get(f"/explore/static/{name}").status_code == 200


@pytest.mark.parametrize("path", [
    "/explore/vendor/package.json",
    "/explore/vendor/..%2Fcytoscape%2Fpackage.json",
    "/explore/vendor/cytoscape%2Fpackage.json",
    "/explore/static/routes.py",
    "/explore/static/..%2Froutes.py",
    "/explore/static/..%2F..%2Fcli.py",
])
def test_nothing_outside_the_lists_is_served(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_missing_libraries_say_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GRAPH_API_EXPLORE_MODULES", str(tmp_path / "nothing"))
    answer = Client().get("/explore/vendor/cytoscape.min.js")
    assert answer.status_code == 503
    assert "npm ci --prefix explore" in answer.text


def test_libraries_come_from_the_committed_lock_file() -> None:
    import json

    lock = json.loads((ROOT / "explore" / "package-lock.json").read_text())
    packages = lock["packages"]
    for relative in VENDOR.values():
        package = relative.split("/")[0]
        assert f"node_modules/{package}" in packages, package
        assert packages[f"node_modules/{package}"]["integrity"].startswith("sha512-")


def test_every_module_the_page_imports_is_served(client: Client) -> None:
    modules = {p.name: p.read_text() for p in STATIC.glob("*.js")}
    imported = {name for text in modules.values()
                for name in re.findall(r'from "\./([\w-]+\.js)"', text)}
    assert {"explorer.js", "view.js", "layout.js", "labels.js"} <= set(modules)
    assert imported <= set(modules), imported - set(modules)
    for name in imported:
        answer = client.get(f"/explore/static/{name}")
        assert answer.status_code == 200 and answer.headers["content-security-policy"] == CSP
