"""docs/exports.md's curl walk-through, run as written against a real demo server: open a
case, export it, download it, verify it; the i2 files it holds read as documented."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "exports.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("demo") / "graph.db", "--demo").start()
    yield server
    server.kill()


def walk_through() -> str:
    section = DOC.read_text().split("## From case to download, with curl", 1)[1]
    (block,) = re.findall(r"```sh\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)
    return block


def test_the_documented_curl_walk_through_runs(demo: Server, tmp_path: Path) -> None:
    script = walk_through()
    assert "openCase" in script and "exportCase" in script and "curl" in script
    token = demo.demo_tokens()[("ipcu", "liaison")]
    script = script.replace("URL=http://127.0.0.1:8000", f"URL={demo.url}", 1)
    script = script.replace("TOKEN=gapi_paste_the_liaison_token_here", f"TOKEN={token}", 1)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "GRAPH_API_DB": ""}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^case case-\w+$", done.stdout, flags=re.M)
    assert re.search(r"^package /exports/\S+$", done.stdout, flags=re.M)
    assert re.search(r"^OK", done.stdout, flags=re.M)  # graph-api verify
    package = zipfile.ZipFile(tmp_path / "case-package.zip")
    names = set(package.namelist())
    assert {"i2/entities.csv", "i2/links.csv", "i2/assertions.csv"} <= names
    assert not any(n.endswith(".ximp") for n in names)
    entities = list(csv.DictReader(io.StringIO(package.read("i2/entities.csv").decode(
        "utf-8-sig"), newline="")))
    by_id = {e["id"]: e for e in entities}
    assert {"ring-putian-runners", "seller-chen-wei", "wh-putian-licheng"} <= set(by_id)
    assert by_id["seller-chen-wei"]["i2_type"] == "Organisation"
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", by_id["seller-chen-wei"]["first_reported"])
    links = list(csv.DictReader(io.StringIO(package.read("i2/links.csv").decode("utf-8-sig"),
                                            newline="")))
    assert links and all(row["from_id"] in by_id and row["to_id"] in by_id for row in links)
