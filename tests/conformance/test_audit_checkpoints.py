"""An anchored audit head (issue 22, item 3), on both stores.

Cutting the newest records of the ledger leaves a whole chain: ``audit verify``
alone says intact. Signed checkpoints of the head — the server's, every N records
and at every export, ``GET /audit-head`` and ``graph-api audit head``, and the
exporting org's in each case package — make ``audit verify --checkpoint`` name it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from neo4j import GraphDatabase

from graph_api.access import Scope
from graph_api.api.app import create_app
from graph_api.audit import verify_chain
from graph_api.checkpoints import (
    anchor_problems,
    checkpoint_forever,
    make_checkpoint,
    read_checkpoints,
    signature_problem,
    take_checkpoint,
)
from graph_api.export.keys import load_or_create_signing_key, public_key_pem
from graph_api.keyfiles import CHECKPOINTS_FILE
from graph_api.services import Services
from tests.cli_support import Run, cli_over
from tests.conftest import add_orgs
from tests.scenario import acme_ring
from tests.support import gql
from tests.workflow.support import marketplace, role

READ = 'query Peek { entity(id: "seller-1") { id } }'
SUBMIT = "mutation Share($input: ReportInput!) { submitReport(input: $input) { created } }"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        services: Services) -> Iterator[Run]:
    yield from cli_over(services, capsys, monkeypatch)


def cut_after(services: Services, seq: int) -> None:
    """What an intruder with the database would do: remove every record after ``seq``
    and set the heads back, leaving a whole chain."""
    if services.settings.store == "memory":
        with sqlite3.connect(services.settings.db) as conn:
            conn.execute("DELETE FROM audit WHERE seq > ?", (seq,))
        return
    settings = services.settings
    records = {r.seq: r for r in services.store.audit_records()}
    heads: dict[str, tuple[int, str]] = {}
    for r in sorted(records.values(), key=lambda r: r.seq):
        if r.seq <= seq:
            heads[r.audience] = (r.org_seq, r.org_hash)
    with GraphDatabase.driver(settings.neo4j_uri, auth=(settings.neo4j_user,
                              settings.neo4j_password)) as driver:
        with driver.session(database=settings.neo4j_database) as session:
            session.run("MATCH (a:Audit) WHERE a.seq > $seq DETACH DELETE a", seq=seq).consume()
            session.run("MATCH (m:Meta {key: 'audit'}) SET m.value = $seq, m.hash = $hash",
                        seq=seq, hash=records[seq].hash).consume()
            for audience, (org_seq, org_hash) in heads.items():
                session.run("MATCH (c:Meta {key: 'audit-org:' + $a}) SET c.value = $n, "
                            "c.hash = $h", a=audience, n=org_seq, h=org_hash).consume()
    services.store._audit_head = None  # type: ignore[attr-defined]  # as a fresh process


def test_cutting_the_newest_records_is_caught_by_a_checkpoint(
    services: Services, orgs: dict[str, Scope], run: Run, tmp_path: Path
) -> None:
    key = load_or_create_signing_key(services.settings.secrets_dir)  # the server's first start
    for _ in range(3):
        gql(services, orgs["acme"], READ)
    early = take_checkpoint(services, key)
    for _ in range(3):
        gql(services, orgs["rival"], READ)
    status, out, err = run("audit", "head")
    assert status == 0, err
    late = orjson.loads(out.splitlines()[-1])
    assert late["seq"] == services.store.audit_records()[-1].seq == early["seq"] + 3
    assert signature_problem(late, public_key_pem(key)) is None
    saved = tmp_path / "kept-elsewhere.jsonl"
    saved.write_bytes(b"".join(orjson.dumps(c) + b"\n" for c in (early, late)))
    status, out, _ = run("audit", "verify", "--checkpoint", str(saved))
    assert status == 0 and out.strip().endswith("2 checkpoint(s) hold")

    cut_after(services, late["seq"] - 2)  # the last two records go
    status, out, _ = run("audit", "verify")
    assert status == 0 and "intact" in out  # the chain alone cannot tell (issue 22)
    status, out, _ = run("audit", "verify", "--checkpoint", str(saved))
    assert status == 1
    assert f"the chain ends at {late['seq'] - 2}: records after it were removed" in out
    assert out.splitlines()[-1].startswith("audit chain CUT OR REWRITTEN: 1 of 2")
    # the server's own file kept them too (beside the database: keep a copy elsewhere)
    kept = read_checkpoints((services.settings.secrets_dir / CHECKPOINTS_FILE).read_bytes())
    assert [c["seq"] for c in kept] == [early["seq"], late["seq"]]


def test_a_checkpoint_changed_or_signed_by_another_key_is_not_believed(
    services: Services, orgs: dict[str, Scope]
) -> None:
    key = load_or_create_signing_key(services.settings.secrets_dir)
    gql(services, orgs["acme"], READ)
    records = services.store.audit_records()
    point = take_checkpoint(services, key)
    assert anchor_problems(records, [point], public_key_pem(key)) == []
    moved = {**point, "seq": point["seq"] - 1}  # claims an earlier head
    other = make_checkpoint(load_or_create_signing_key(Path(services.settings.db.parent / "x")),
                            point["seq"], point["hash"], services.clock())
    problems = anchor_problems(records, [moved, other], public_key_pem(key))
    assert "its signature does not hold" in problems[0]
    assert "signed by another key" in problems[1]


def test_the_server_signs_a_checkpoint_every_n_records(services: Services) -> None:
    load_or_create_signing_key(services.settings.secrets_dir)
    services.settings = replace(services.settings, audit_checkpoint_records=4)

    async def serve() -> None:
        task = asyncio.create_task(checkpoint_forever(services, every=0.005))
        for n in range(13):
            services.store.append_audit(services.operator_audit(f"cli step {n}"))
            await asyncio.sleep(0.03)
        task.cancel()

    asyncio.run(serve())
    kept = read_checkpoints((services.settings.secrets_dir / CHECKPOINTS_FILE).read_bytes())
    assert [c["seq"] for c in kept] == [4, 8, 12]
    records = services.store.audit_records()
    key = load_or_create_signing_key(services.settings.secrets_dir)
    assert anchor_problems(records, kept, public_key_pem(key)) == []


def get(services: Services, path: str, token: str | None = None) -> httpx.Response:
    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return await client.get(path, headers=headers)

    return asyncio.run(fetch())


def test_audit_head_answers_the_operator_only(services: Services,
                                              orgs: dict[str, Scope]) -> None:
    """The global head tells the volume of everyone's activity: a PLATFORM admin or the
    metrics token reads it, no other org."""
    services.settings = replace(services.settings, metrics_token="ops-secret-token")
    key = load_or_create_signing_key(services.settings.secrets_dir)
    tokens = {}
    for org in ("bazaar", "acme", "police"):
        _, tokens[org] = services.issue_token(services.find_org(org), "admin")
    gql(services, orgs["acme"], READ)
    assert get(services, "/audit-head").status_code == 401
    for org in ("acme", "police"):
        answer = get(services, "/audit-head", tokens[org])
        assert answer.status_code == 403 and "audit-head" in answer.text
    for token in (tokens["bazaar"], "ops-secret-token"):
        answer = get(services, "/audit-head", token)
        assert answer.status_code == 200
        point = answer.json()
        assert point["chain"] == "all" and signature_problem(point, public_key_pem(key)) is None
        head = services.store.audit_records()[-1]
        assert (point["seq"], point["hash"]) == (head.seq, head.hash)


def test_a_case_package_carries_its_orgs_checkpoint(
    services: Services, run: Run, tmp_path: Path
) -> None:
    """The manifest anchors the exporting org's own chain (nothing in it depends on
    other orgs: the package is the same whatever they did), and the package itself is
    a checkpoint file for ``audit verify``."""
    world: dict[str, Any] = add_orgs(services)
    world["reviewer"] = role(services, "bazaar", "reviewer")
    world["liaison"] = role(services, "police", "liaison")
    marketplace(services, world)
    key = load_or_create_signing_key(services.settings.secrets_dir)
    gql(services, world["acme"], SUBMIT, {"input": acme_ring()})
    case = gql(services, world["liaison"], """mutation { openCase(input: {title: "Raid",
        entities: ["seller-1"]}) { id } }""")["data"]["openCase"]
    exported = gql(services, world["liaison"], """mutation($id: ID!) { exportCase(id: $id,
        recipient: "Court") { id } }""", {"id": case["id"]})
    assert "errors" not in exported, exported
    package_id = exported["data"]["exportCase"]["id"]
    package = services.settings.secrets_dir / "exports" / f"{package_id}.zip"
    with zipfile.ZipFile(package) as archive:
        manifest = orjson.loads(archive.read("manifest.json"))
    point = manifest["audit_checkpoint"]
    assert (point["chain"], point["org"]) == ("org", "police")
    assert signature_problem(point, public_key_pem(key)) is None
    police = [r for r in services.store.audit_records() if r.audience == "police"]
    assert point["seq"] == police[-2].org_seq  # the head before the export's own record
    status, out, _ = run("audit", "verify", "--checkpoint", str(package))
    assert status == 0 and out.strip().endswith("1 checkpoint(s) hold")
    # the export also left the operator a checkpoint of the whole ledger
    kept = read_checkpoints((services.settings.secrets_dir / CHECKPOINTS_FILE).read_bytes())
    assert kept[-1]["chain"] == "all"
    cut_after(services, police[-2].seq - 1)  # the police's records from the openCase on go
    records = services.store.audit_records()
    assert verify_chain(records) == (len(records), None)
    status, out, _ = run("audit", "verify", "--checkpoint", str(package))
    assert status == 1 and "checkpoint of the org police" in out
