"""A real ``graph-api serve --demo`` and headless Debian Chromium driven by Playwright.

Every browser test is skipped, with the reason, when Chromium, the Playwright
package, the npm libraries or the /explore route are missing; ``make test``
installs the first three.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_api.explore.routes import VENDOR, modules_dir
from tests.e2e.server import Server

CHROMIUM = os.environ.get("GRAPH_API_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
_TOKEN_LINE = re.compile(r"^\s+(\S+)\s+(\S+)\s+(gapi_\S+)\s*$")


def _missing() -> str | None:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (make test does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: pip install -e '.[dev]' (make test does)"
    absent = [name for name, rel in VENDOR.items() if not (modules_dir() / rel).is_file()]
    if absent:
        return f"npm libraries missing ({', '.join(absent)}): npm ci --prefix explore"
    return None


def parse_tokens(log: str) -> dict[tuple[str, str], str]:
    """(org id, role) -> token, from what ``serve --demo`` printed."""
    tokens = {}
    for line in log.splitlines():
        match = _TOKEN_LINE.match(line)
        if match:
            tokens[(match.group(1), match.group(2))] = match.group(3)
    return tokens


class Demo:
    def __init__(self, server: Server, tokens: dict[tuple[str, str], str]) -> None:
        self.server = server
        self.url = server.url
        self.tokens = tokens

    def token(self, org: str, role: str = "investigator") -> str:
        return self.tokens[(org, role)]

    def gql(self, org: str, query: str, variables: dict[str, Any] | None = None,
            role: str = "investigator") -> dict[str, Any]:
        answer = self.server.gql(self.token(org, role), query, variables)
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    import httpx

    server = Server(tmp_path_factory.mktemp("explore") / "graph.db", "--demo").start()
    try:
        if httpx.get(server.url + "/explore", timeout=10).status_code == 404:
            pytest.skip("/explore is not mounted: app.py must add graph_api.explore.routes()")
        tokens = parse_tokens(server.log.read_text())
        assert tokens, server.log.read_text()
        yield Demo(server, tokens)
    finally:
        server.kill()


@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """One logged-in tab, with helpers that wait without evaluating strings in the page
    (the CSP forbids eval, and Playwright's wait_for_function needs it)."""

    def __init__(self, page: Any, demo: Demo) -> None:
        self.page = page
        self.demo = demo
        self.errors: list[str] = []
        self.posts: list[dict[str, Any]] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", self._console)
        page.on("request", self._record)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _record(self, request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/graphql"):
            self.posts.append({"url": request.url, "headers": request.headers,
                               "body": request.post_data_json})

    def open(self, org: str | None = None, role: str = "investigator") -> Page:
        self.page.goto(self.demo.url + "/explore")
        if org:
            self.login(self.demo.token(org, role))
        return self

    def login(self, token: str) -> None:
        self.page.fill("#token", token)
        self.page.click("#login-form button[type=submit]")
        self.page.wait_for_selector("#app:not([hidden])")

    def js(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def until(self, expression: str, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.page.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}; errors: {self.errors}")

    def idle(self) -> None:
        """Wait until no API call is under way."""
        self.until("window.explorer && window.explorer.state.busy === 0")

    def search(self, text: str = "", kind: str = "") -> list[str]:
        self.page.fill("#search", text)
        self.page.select_option("#kind", kind)
        self.page.click("#search-form button[type=submit]")
        self.page.wait_for_selector("#search-count:not(:empty)")
        self.idle()
        ids: list[str] = self.page.eval_on_selector_all(
            "#results li", "els => els.map(e => e.dataset.id)")
        return ids

    def drawn(self) -> set[str]:
        return set(self.js("window.explorer.drawnIds()"))

    def drawn_edges(self) -> set[str]:
        return set(self.js("window.explorer.cy.edges().map(e => e.id())"))

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def tab(browser: Any, demo: Demo) -> Iterator[Callable[..., Page]]:
    contexts: list[Any] = []

    def make(org: str | None = None, role: str = "investigator") -> Page:
        context = browser.new_context(viewport={"width": 1500, "height": 900},
                                      accept_downloads=True)
        contexts.append(context)
        return Page(context.new_page(), demo).open(org, role)

    yield make
    for context in contexts:
        context.close()
