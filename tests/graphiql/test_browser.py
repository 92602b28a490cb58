"""GraphiQL on a closed network: headless Chromium may reach the server and nothing
else, and a query typed into the page, with the token typed into its Headers tab,
runs and shows the API's answer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.explore.conftest import ARTIFACTS, Demo

pytestmark = pytest.mark.e2e

QUERY = """{ me { role org { id name } }
  entity(id: "listing-sw-aeropace-01") { id name kind } }"""


class Offline:
    """A tab whose every request to anywhere but the server is refused, and recorded."""

    def __init__(self, browser: Any, demo: Demo) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._guard)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.origin = demo.url

    def _guard(self, route: Any) -> None:
        url = route.request.url
        if url == self.origin or url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")

    def editor(self, selector: str, text: str) -> None:
        """Replace an editor's text as typed (inserted at the caret, no auto-closing)."""
        self.page.click(f"{selector} .CodeMirror")
        self.page.keyboard.press("Control+A")
        self.page.keyboard.insert_text(text)

    def result(self, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.page.evaluate(
                "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()")
            if text.strip():
                answer: dict[str, Any] = json.loads(text)
                return answer
            time.sleep(0.05)
        raise AssertionError(f"no result shown; errors: {self.errors}")


@pytest.fixture
def offline(browser: Any, demo: Demo) -> Iterator[Offline]:
    tab = Offline(browser, demo)
    yield tab
    tab.context.close()


def test_graphiql_runs_a_query_with_nothing_but_the_server(offline: Offline, demo: Demo) -> None:
    page = offline.page
    response = page.goto(demo.url + "/graphql")
    assert response is not None and response.status == 200
    assert "script-src 'self';" in response.headers["content-security-policy"]
    page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20_000)
    assert page.is_hidden("#graphiql-loading")

    token = demo.token("stridewell")
    offline.editor(".graphiql-editor-tool .graphiql-editor:not(.hidden)",
                   json.dumps({"Authorization": f"Bearer {token}"}))
    offline.editor(".graphiql-query-editor", QUERY)
    page.click(".graphiql-execute-button")
    shown = offline.result()
    assert shown == {"data": demo.gql("stridewell", QUERY)}
    assert shown["data"]["me"]["org"]["id"] == "stridewell"
    assert shown["data"]["entity"]["id"] == "listing-sw-aeropace-01"

    # The schema came from the server too: the docs explorer lists the root types.
    page.click("button[aria-label='Show Documentation Explorer']")
    page.wait_for_selector(".graphiql-doc-explorer-content :text('Query')")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graphiql-offline.png"))

    assert offline.blocked == []  # the page asked nothing of any other host
    assert not [e for e in offline.errors if "Content Security Policy" in e], offline.errors
    # The token is in no storage the browser keeps (GraphiQL's history is in localStorage).
    stored = page.evaluate("JSON.stringify([localStorage, sessionStorage])")
    assert token not in stored and "gapi_" not in stored
    assert "me { role org" in stored  # the history itself is kept, without the token


def test_a_refused_token_is_shown_as_the_apis_error(offline: Offline, demo: Demo) -> None:
    offline.page.goto(demo.url + "/graphql")
    offline.page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20_000)
    offline.editor(".graphiql-editor-tool .graphiql-editor:not(.hidden)",
                   '{"Authorization": "Bearer gapi_not-a-token"}')
    offline.editor(".graphiql-query-editor", "{ me { id } }")
    offline.page.click(".graphiql-execute-button")
    shown = offline.result()
    assert shown["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert offline.blocked == []
