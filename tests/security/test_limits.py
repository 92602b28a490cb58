"""Every limit once, each a clear LIMIT_EXCEEDED naming what was too big; rate limiting
per token (HTTP 429, RATE_LIMITED, Retry-After); tokens stored and looked up hashed."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from graph_api.api.app import create_app
from graph_api.errors import LimitExceeded
from graph_api.model import OrgType
from graph_api.ratelimit import RateLimit, RateSettings, bucket_key
from graph_api.reports import MAX_REPORT_ITEMS, MAX_STRING
from graph_api.services import Services, hash_token
from tests.security.support import Scopes, make_scopes, open_services, token_of
from tests.security.world import shared
from tests.support import codes, gql

TOKEN = token_of("acme", "investigator")


@pytest.fixture
def world(tmp_path: Path) -> Any:
    services = open_services(tmp_path / "db")
    scopes = make_scopes(services)
    shared(services, scopes)
    yield services, scopes
    services.close()


class TestClient:
    """Requests to an ASGI app in-process (no server, no lifespan)."""

    __test__ = False

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def run() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(run())

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)


def post(client: TestClient, query: str, variables: dict[str, Any] | None = None,
         token: str = TOKEN) -> Any:
    return client.post("/graphql", json={"query": query, "variables": variables or {}},
                       headers={"Authorization": f"Bearer {token}"})


def test_request_body_size(world: tuple[Services, Scopes]) -> None:
    services, _ = world
    client = TestClient(create_app(services))
    big = "x" * (services.settings.max_body_bytes + 1)
    response = post(client, "{ me { id } }", {"pad": big})
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED" and "body" in error["message"]


def test_query_depth(world: tuple[Services, Scopes]) -> None:
    services, scopes = world
    inner = "id"
    for _ in range(services.settings.max_depth):
        inner = "relations { edges { node { from { %s } } } }" % inner
    answer = gql(services, scopes["acme"], '{ entity(id: "wh-1") { %s } }' % inner)
    assert codes(answer) == ["LIMIT_EXCEEDED"]
    assert "depth" in answer["errors"][0]["message"]


def test_aliases(world: tuple[Services, Scopes]) -> None:
    services, scopes = world
    fields = " ".join(f"a{i}: me {{ id }}" for i in range(services.settings.max_aliases + 1))
    answer = gql(services, scopes["acme"], "{ %s }" % fields)
    assert codes(answer) == ["LIMIT_EXCEEDED"]
    assert "aliases" in answer["errors"][0]["message"]


def test_tokens(world: tuple[Services, Scopes]) -> None:
    services, scopes = world
    fields = " ".join("__typename" for _ in range(services.settings.max_tokens + 1))
    answer = gql(services, scopes["acme"], "{ %s }" % fields)
    assert codes(answer) == ["LIMIT_EXCEEDED"]
    assert "token" in answer["errors"][0]["message"]


def test_list_length(world: tuple[Services, Scopes]) -> None:
    services, scopes = world
    raw = {"source": "OSINT", "confidence": 0.5, "marking": "GREEN", "relations": [],
           "entities": [{"kind": "SELLER"}] * (MAX_REPORT_ITEMS + 1)}
    with pytest.raises(LimitExceeded) as refused:
        services.submit_report(scopes["acme"], raw)
    assert refused.value.field == "entities" and "entities" in refused.value.message


def test_string_length(world: tuple[Services, Scopes]) -> None:
    services, scopes = world
    answer = gql(services, scopes["acme"], """mutation($r: ReportInput!) {
        submitReport(input: $r) { created } }""", {"r": {
        "source": "OSINT", "confidence": 0.5, "marking": "GREEN", "relations": [],
        "entities": [{"id": "s", "kind": "SELLER", "name": "n" * (MAX_STRING + 1)}]}})
    assert codes(answer) == ["LIMIT_EXCEEDED"]
    assert answer["errors"][0]["extensions"]["field"] == "entities[0].name"


@pytest.mark.parametrize(("query", "field"), [
    ('{ network(seeds: ["wh-1"], maxHops: 9) { truncated } }', "maxHops"),
    ('{ connections(from: "wh-1", to: "fac-1", maxHops: 9) { confidence } }', "maxHops"),
    ('{ network(seeds: ["wh-1"], limit: 10001) { truncated } }', "limit"),
])
def test_max_hops_and_limit(world: tuple[Services, Scopes], query: str, field: str) -> None:
    services, scopes = world
    answer = gql(services, scopes["acme"], query)
    assert codes(answer) == ["LIMIT_EXCEEDED"]
    assert answer["errors"][0]["extensions"]["field"] == field
    assert field in answer["errors"][0]["message"]


# -- rate limiting ------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_per_token(world: tuple[Services, Scopes]) -> None:
    services, _ = world
    clock = Clock()
    app = RateLimit(create_app(services), RateSettings(rate=2.0, burst=3), clock=clock)
    client = TestClient(app)
    other = token_of("rival", "investigator")
    for _ in range(3):
        assert post(client, "{ me { id } }").status_code == 200
    refused = post(client, "{ me { id } }")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {"errors": [{
        "message": "too many requests for this token: retry after 1 s",
        "extensions": {"code": "RATE_LIMITED"}}]}
    assert post(client, "{ me { id } }", token=other).status_code == 200  # its own bucket
    assert client.get("/healthz").status_code == 200  # probes are never limited
    clock.now += 0.5  # one token back at 2 per second
    assert post(client, "{ me { id } }").status_code == 200
    assert post(client, "{ me { id } }").status_code == 429
    # the limiter keeps hashes of tokens, never a token
    assert TOKEN not in repr(app.buckets)
    assert "t:" + hashlib.sha256(TOKEN.encode()).hexdigest() in app.buckets


def test_rate_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPH_API_RATE_PER_SECOND", "5")
    monkeypatch.delenv("GRAPH_API_RATE_BURST", raising=False)
    assert RateSettings.from_env() == RateSettings(rate=5.0, burst=10)
    monkeypatch.setenv("GRAPH_API_RATE_BURST", "7")
    assert RateSettings.from_env() == RateSettings(rate=5.0, burst=7)
    monkeypatch.setenv("GRAPH_API_RATE_PER_SECOND", "0")  # off
    assert RateSettings.from_env().rate == 0
    monkeypatch.setenv("GRAPH_API_RATE_PER_SECOND", "-1")
    with pytest.raises(ValueError):
        RateSettings.from_env()


def test_bucket_key_hashes_the_token() -> None:
    scope: Any = {"headers": [(b"authorization", b"Bearer abc")], "client": ("10.0.0.1", 5)}
    assert bucket_key(scope) == "t:" + hashlib.sha256(b"abc").hexdigest()
    assert bucket_key({"headers": [], "client": ("10.0.0.1", 5)}) == "ip:10.0.0.1"


def test_rate_limit_off_passes_everything(world: tuple[Services, Scopes]) -> None:
    services, _ = world
    client = TestClient(RateLimit(create_app(services), RateSettings(rate=0, burst=1)))
    assert all(post(client, "{ me { id } }").status_code == 200 for _ in range(20))


# -- tokens ------------------------------------------------------------------------
def test_tokens_are_stored_and_looked_up_as_hashes(tmp_path: Path) -> None:
    services = open_services(tmp_path / "db")
    org = services.add_org("Acme", OrgType.BRAND)
    _, token = services.issue_token(org, "investigator")
    asked: list[str] = []
    lookup = services.store.principal_by_token_hash

    def spy(token_hash: str) -> Any:
        asked.append(token_hash)
        return lookup(token_hash)

    services.store.principal_by_token_hash = spy  # type: ignore[method-assign]
    services.authenticate(f"Bearer {token}")
    assert asked == [hash_token(token)]
    services.close()
    db = tmp_path / "db" / "graph.db"
    stored = b"".join(p.read_bytes() for p in db.parent.rglob("graph.db*") if p.is_file())
    assert token.encode() not in stored
    assert token[5:].encode() not in stored  # not even without its prefix
    assert hash_token(token).encode() in stored
