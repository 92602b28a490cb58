"""exportCase end to end: a liaison officer's signed package, its download, its checks."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import networkx as nx
import orjson
import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent / "graph-api"

OPEN = """mutation($input: CaseInput!) { openCase(input: $input) { id } }"""
EXPORT = """mutation($id: ID!) { exportCase(id: $id, recipient: "Guangzhou PSB, Det. Chen") {
  id downloadUrl manifestSha256 createdAt case { id title } files { name sha256 bytes } } }"""
CASE_ENTITIES = ["store-luxe-bag-vault", "listing-mv-celeste-01", "wh-guangzhou-baiyun",
                 "listing-sw-trailsurge-02", "wh-jinjiang-chendai"]
HIDDEN_FROM_POLICE = ["factory-huadu-atelier", "factory-putian-huangshi"]  # AMBER_STRICT, RED


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, Any]]]:
    server = Server(tmp_path_factory.mktemp("exports") / "graph.db", "--demo").start()
    token = server.demo_tokens()[("ipcu", "liaison")]
    case = server.gql(token, OPEN, {"input": {"title": "Baiyun bags", "entities": CASE_ENTITIES}})
    assert "errors" not in case, case
    package = server.gql(token, EXPORT, {"id": case["data"]["openCase"]["id"]})
    assert "errors" not in package, package
    yield server, package["data"]["exportCase"]
    server.kill()


def download(server: Server, url: str, token: str) -> httpx.Response:
    return httpx.get(server.url + url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_the_package_downloads_verifies_and_holds_every_format(
    exported: tuple[Server, dict[str, Any]], tmp_path: Path
) -> None:
    server, package = exported
    response = download(server, package["downloadUrl"], server.demo_tokens()[("ipcu", "liaison")])
    assert response.status_code == 200
    path = tmp_path / "case.zip"
    path.write_bytes(response.content)
    names = set(zipfile.ZipFile(path).namelist())
    assert {"manifest.json", "manifest.sig", "bundle.stix.json", "network.graphml",
            "i2/entities.csv", "i2/links.csv", "i2/assertions.csv",
            "entities.ftm.json"} <= names
    assert {f["name"] for f in package["files"]} == names
    key = tmp_path / "key.pem"
    key.write_text(httpx.get(server.url + "/export-key").text)
    done = subprocess.run([str(BIN), "verify", str(path), "--key", str(key)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1].startswith("OK")
    graph = nx.read_graphml(io.BytesIO(zipfile.ZipFile(path).read("network.graphml")),
                            force_multigraph=True)
    assert set(CASE_ENTITIES) <= set(graph.nodes)
    manifest = orjson.loads(zipfile.ZipFile(path).read("manifest.json"))
    assert manifest["recipient"] == "Guangzhou PSB, Det. Chen"


def test_a_tampered_package_fails_verification(
    exported: tuple[Server, dict[str, Any]], tmp_path: Path
) -> None:
    server, package = exported
    original = download(server, package["downloadUrl"],
                       server.demo_tokens()[("ipcu", "liaison")]).content
    source = zipfile.ZipFile(io.BytesIO(original))
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "i2/links.csv":
                data = data.replace(b"0.", b"1.", 1)
            out.writestr(item, data)
    key = tmp_path / "key.pem"
    key.write_text(httpx.get(server.url + "/export-key").text)
    done = subprocess.run([str(BIN), "verify", str(tampered), "--key", str(key)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "i2/links.csv" in done.stdout


def test_only_the_exporting_org_downloads(exported: tuple[Server, dict[str, Any]]) -> None:
    server, package = exported
    tokens = server.demo_tokens()
    other = download(server, package["downloadUrl"], tokens[("bazaarhub", "investigator")])
    missing = download(server, "/exports/0000", tokens[("bazaarhub", "investigator")])
    assert other.status_code == missing.status_code == 404
    assert download(server, package["downloadUrl"], "nope").status_code == 401
    colleague = download(server, package["downloadUrl"], tokens[("ipcu", "investigator")])
    assert colleague.status_code == 200


def test_no_file_carries_what_the_exporter_may_not_read(
    exported: tuple[Server, dict[str, Any]]
) -> None:
    server, package = exported
    content = download(server, package["downloadUrl"],
                       server.demo_tokens()[("ipcu", "liaison")]).content
    archive = zipfile.ZipFile(io.BytesIO(content))
    for name in archive.namelist():
        data = archive.read(name)
        for hidden in HIDDEN_FROM_POLICE:
            assert hidden.encode() not in data, (hidden, name)


def test_brands_may_not_export(exported: tuple[Server, dict[str, Any]]) -> None:
    server, _ = exported
    answer = server.gql(server.demo_tokens()[("stridewell", "investigator")], EXPORT,
                        {"id": "case-anything"})
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
