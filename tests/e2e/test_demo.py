"""``serve --demo`` tells its story: the alerts the fixture promises, a token for every
role with the addresses to use it at, the same tokens on the next start, ``/`` leading
to the explorer."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_api.config import Settings
from graph_api.demo import DEMO_ROLES
from graph_api.model import OrgType
from tests.e2e.server import Server, cli

pytestmark = pytest.mark.e2e

ORG_TYPES = {"stridewell": OrgType.BRAND, "maison-verel": OrgType.BRAND, "voltra": OrgType.BRAND,
             "bazaarhub": OrgType.PLATFORM, "ipcu": OrgType.REGULATOR}
EVERY_ROLE = {(org, role) for org, kind in ORG_TYPES.items() for role in DEMO_ROLES[kind]}
ALERTS = "{ alerts { id kind subject { id } explanation { nodes { id } } } }"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("demo") / "graph.db", "--demo").start()
    yield server
    server.kill()


def data(answer: dict[str, Any]) -> Any:
    assert not answer.get("errors"), answer
    return answer["data"]


def test_every_role_has_a_token_that_works(demo: Server) -> None:
    tokens = demo.demo_tokens()
    assert set(tokens) == EVERY_ROLE
    assert {role for _, role in tokens} == {"investigator", "analyst", "admin", "reviewer",
                                            "liaison"}
    for (org, role), token in tokens.items():
        me = data(demo.gql(token, "{ me { role org { id } } }"))["me"]
        assert me == {"role": role, "org": {"id": org}}


def test_the_addresses_are_printed(demo: Server) -> None:
    lines = demo.log.read_text().splitlines()
    assert f"Explorer: {demo.url}/explore" in lines
    assert f"GraphiQL: {demo.url}/graphql" in lines
    explorer = httpx.get(f"{demo.url}/explore", timeout=10)
    assert explorer.status_code == 200 and "text/html" in explorer.headers["content-type"]


def test_the_root_leads_to_the_explorer(demo: Server) -> None:
    root = httpx.get(demo.url + "/", timeout=10)
    assert root.status_code == 302 and root.headers["location"] == "/explore"
    followed = httpx.get(demo.url + "/", timeout=10, follow_redirects=True)
    assert followed.status_code == 200 and followed.url.path == "/explore"


def test_the_returning_banned_seller_raises_the_recidivism_alert(demo: Server) -> None:
    """fixtures/README.md, story 4: the platform and the police are alerted; the brands,
    who cannot see the platform's AMBER bank accounts, are not."""
    tokens = demo.demo_tokens()
    for org in ("bazaarhub", "ipcu"):
        alerts = data(demo.gql(tokens[(org, "investigator")], ALERTS))["alerts"]
        recidivism = {a["subject"]["id"]: a for a in alerts if a["kind"] == "RECIDIVISM"}
        assert set(recidivism) == {"seller-swift-sole", "store-swift-sole-official"}, org
        for subject, alert in recidivism.items():
            path = [n["id"] for n in alert["explanation"][0]["nodes"]]
            assert path[0] == subject and path[-1] == "seller-golden-step"
            assert path[1].startswith("idn-ba-")  # through the shared bank account
        kinds = {a["kind"] for a in alerts}
        assert {"NEW_SOURCE", "RING_GROWTH"} <= kinds, org
    for org in ("stridewell", "maison-verel", "voltra"):
        alerts = data(demo.gql(tokens[(org, "investigator")], ALERTS))["alerts"]
        assert "RECIDIVISM" not in {a["kind"] for a in alerts}, org


def test_a_second_start_prints_the_same_tokens(tmp_path: Path) -> None:
    db = tmp_path / "graph.db"
    first = Server(db, "--demo").start()
    try:
        before = first.demo_tokens()
    finally:
        first.kill()
    kept = Settings(db=db).secrets_dir / "demo-tokens.json"  # graph.db.d/
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # the operator revokes one demo token between the two starts
    revoked = before[("voltra", "investigator")]
    second = Server(db, "--demo").start()
    try:
        principal = data(second.gql(revoked, "{ me { id } }"))["me"]["id"]
        cli(db, "token", "revoke", principal)
        assert second.gql(revoked, "{ me { id } }")["errors"][0]["extensions"]["code"] == (
            "UNAUTHENTICATED")
        assert second.demo_tokens() == before  # the second start printed the same tokens
    finally:
        second.kill()
    third = Server(db, "--demo").start()
    try:
        after = third.demo_tokens()
        assert set(after) == EVERY_ROLE
        assert {k for k in after if after[k] != before[k]} == {("voltra", "investigator")}
        me = data(third.gql(after[("voltra", "investigator")], "{ me { role org { id } } }"))
        assert me["me"] == {"role": "investigator", "org": {"id": "voltra"}}
        # reports were not imported twice: one set of alerts, as on the first start
        alerts = data(third.gql(after[("ipcu", "investigator")], ALERTS))["alerts"]
        assert len([a for a in alerts if a["kind"] == "RECIDIVISM"]) == 2
    finally:
        third.kill()
