"""TAXII requests go through the GraphQL pipeline's own steps: the one token reading
(Bearer, Token, Basic), the same rate bucket per token, and a record in the audit ledger
for every request, refused ones included."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import httpx

from graph_api.api.app import create_app
from graph_api.config import Settings
from graph_api.model import OrgType
from graph_api.ratelimit import RateSettings
from graph_api.services import Services
from graph_api.workflow import start_workflow
from tests.conftest import FixedClock

COLLECTIONS = "/taxii2/graph-api/collections/"


def _services(tmp_path: Path, rate: RateSettings) -> tuple[Services, str]:
    services = start_workflow(
        Services.open(Settings(db=tmp_path / "graph.db", rate=rate), clock=FixedClock()))
    org = services.add_org("Acme", OrgType.BRAND, False, "acme")
    return services, services.issue_token(org, "analyst")[1]


def _statuses(services: Services, requests: list[tuple[str, dict[str, str]]]) -> list[int]:
    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            out = []
            for path, headers in requests:
                if path == "/graphql":
                    response = await client.post(path, json={"query": "{ me { id } }"},
                                                 headers=headers)
                else:
                    response = await client.get(path, headers=headers)
                out.append(response.status_code)
            return out

    return asyncio.run(run())


def test_one_bucket_per_token_whatever_the_scheme_and_transport(tmp_path: Path) -> None:
    services, token = _services(tmp_path, RateSettings(rate=0.001, burst=4))
    basic = "Basic " + base64.b64encode(f"opencti:{token}".encode()).decode()
    statuses = _statuses(services, [
        (COLLECTIONS, {"Authorization": f"Token {token}"}),
        (COLLECTIONS, {"Authorization": basic}),
        ("/stream?heartbeat=x", {"Authorization": f"Bearer {token}"}),  # 400, still counted
        ("/graphql", {"Authorization": f"Bearer {token}"}),
        (COLLECTIONS, {"Authorization": f"Token {token}"}),  # the bucket is empty
        ("/graphql", {"Authorization": f"Bearer {token}"}),
    ])
    assert statuses == [200, 200, 400, 200, 429, 429]
    services.close()


def test_every_taxii_request_is_in_the_audit_ledger(tmp_path: Path) -> None:
    services, token = _services(tmp_path, RateSettings(rate=0))
    before = len(services.store.audit_records())
    statuses = _statuses(services, [
        (COLLECTIONS, {"Authorization": f"Token {token}"}),
        (COLLECTIONS + "alliance/objects/?limit=2", {"Authorization": f"Bearer {token}"}),
        (COLLECTIONS, {"Authorization": "Token gapi_wrong"}),
    ])
    assert statuses == [200, 200, 401]
    records = services.store.audit_records()[before:]
    assert [r.entry.operation for r in records] == [
        "taxii GET collections", "taxii GET objects", "taxii GET collections"]
    assert [r.entry.org_id for r in records] == ["acme", "acme", ""]
    assert records[2].entry.principal_id == "anonymous"
    services.close()
