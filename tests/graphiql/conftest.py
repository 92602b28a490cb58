"""A real ``graph-api serve --demo`` and headless Debian Chromium for GraphiQL's page.

Skipped, with the reason, when Chromium, Playwright or GraphiQL's npm files are
missing (``make test`` installs them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_api.graphiql import VENDOR, modules_dir
from tests.e2e.server import Server
from tests.explore.conftest import CHROMIUM, CHROMIUM_ARGS, Demo, parse_tokens


def _missing() -> str | None:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (make test does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: pip install -e '.[dev]' (make test does)"
    absent = [name for name, rel in VENDOR.items() if not (modules_dir() / rel).is_file()]
    if absent:
        return f"GraphiQL's npm files missing ({', '.join(absent)}): npm ci --prefix graphiql"
    return None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    server = Server(tmp_path_factory.mktemp("graphiql") / "graph.db", "--demo").start()
    try:
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
