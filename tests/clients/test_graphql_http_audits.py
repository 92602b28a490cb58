"""npm ``graphql-http``'s server audits (the GraphQL Foundation's GraphQL-over-HTTP spec,
written as tests by the spec's own implementers) against a real server: every MUST and
every SHOULD passes, and so does every MAY we chose to honour."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.clients.support import demo_server, node
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    with demo_server(tmp_path_factory.mktemp("audits")) as server:
        yield run_audits(server, server.demo_tokens()[("stridewell", "investigator")])


def run_audits(server: Server, token: str) -> list[dict[str, Any]]:
    process = node("audit_http.mjs", server.url + "/graphql", token)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    results: list[dict[str, Any]] = json.loads(out)
    return results


def test_every_must_and_should_audit_passes(audits: list[dict[str, Any]]) -> None:
    assert len(audits) >= 60  # the suite ran whole
    failed = [a for a in audits if a["status"] in ("error", "warn")]
    assert failed == [], json.dumps(failed, indent=1)
    assert {a["name"].split()[0] for a in audits} == {"MUST", "SHOULD", "MAY"}


def test_the_may_audits_pass_too(audits: list[dict[str, Any]]) -> None:
    """GET for queries, 400 for a body that is no GraphQL request: optional in the spec,
    promised by our README."""
    notices = [a for a in audits if a["status"] == "notice"]
    assert notices == [], json.dumps(notices, indent=1)
