"""``make neo4j-up``: the settings it writes and prints put a user's server on its ArcadeDB."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import BIN, free_port

ROOT = Path(__file__).resolve().parents[1]
ARC_VENV = ROOT / ".venv-arcadedb"
SCRIPT = ROOT / "scripts" / "arcadedb.py"


def arcadedb(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=240, check=check, cwd=ROOT)


def sourced(env_file: Path) -> dict[str, str]:
    """What `set -a; . ./FILE; set +a` exports, as bash reads it."""
    done = subprocess.run(["bash", "-c", f"set -a; . '{env_file}'; set +a; env -0"],
                          capture_output=True, check=True,
                          env={"PATH": os.environ["PATH"]})
    pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k.startswith(("GRAPH_API_", "ARCADEDB_"))}


@pytest.mark.e2e
def test_neo4j_up_settings_put_a_served_graph_api_on_its_arcadedb(tmp_path: Path) -> None:
    if not ARC_VENV.is_dir():
        pytest.skip("no ArcadeDB here (make test and make neo4j-up install it)")
    env_file, data = tmp_path / "dev.env", tmp_path / "arcadedb"
    start = ("start", "--venv", str(ARC_VENV), "--data", str(data), "--env-file", str(env_file),
             "--heap", "512m", "--serve-settings", "--reuse")
    up = arcadedb(*start)
    server = None
    try:
        settings = sourced(env_file)
        uri = settings["GRAPH_API_NEO4J_URI"]
        assert uri.startswith("bolt://127.0.0.1:") and uri == settings["GRAPH_API_TEST_NEO4J_URI"]
        assert settings["GRAPH_API_NEO4J_PASSWORD"] == settings["GRAPH_API_TEST_NEO4J_PASSWORD"]
        assert "GRAPH_API_STORE" not in settings  # a test run from that shell stays embedded
        for key in ("GRAPH_API_NEO4J_URI", "GRAPH_API_NEO4J_USER", "GRAPH_API_NEO4J_PASSWORD",
                    "GRAPH_API_NEO4J_DATABASE"):
            assert f"{key}={settings[key]}" in up.stdout.splitlines()  # printed, too
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600  # it holds the password

        # `graph-api serve --store neo4j` from a shell that sourced the file
        env = {**os.environ, **settings, "GRAPH_API_DB": str(tmp_path / "graph.db")}
        for variable in ("GRAPH_API_STORE", "GRAPH_API_TEST_NEO4J_URI"):
            env.pop(variable, None)
        on_neo4j = {**env, "GRAPH_API_STORE": "neo4j"}  # org and token take no --store
        org = subprocess.run([str(BIN), "org", "add", "Dev Brand", "--type", "BRAND",
                              "--id", "dev-brand"],
                             capture_output=True, text=True, env=on_neo4j, timeout=120)
        assert org.returncode == 0, org.stderr
        issued = subprocess.run([str(BIN), "token", "issue", "--org", "dev-brand", "--role",
                                 "investigator"],
                                capture_output=True, text=True, env=on_neo4j, timeout=120)
        assert issued.returncode == 0, issued.stderr
        bearer = {"Authorization": f"Bearer {issued.stdout.split()[-1]}"}
        port = free_port()
        with (tmp_path / "serve.log").open("wb") as log:
            server = subprocess.Popen([str(BIN), "serve", "--store", "neo4j", "--port", str(port)],
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
        answer = None
        for _ in range(600):
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/graphql", timeout=5,
                                    json={"query": "{ me { org { id name } } }"},
                                    headers=bearer)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                subprocess.run(["sleep", "0.1"], check=True)
        assert answer is not None and answer.json()["data"]["me"]["org"] == {
            "id": "dev-brand", "name": "Dev Brand"}  # the org is in that ArcadeDB
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        assert health["store"] == "neo4j"

        # make neo4j-up again: the same server, its settings printed again
        again = arcadedb(*start)
        assert "already answering Cypher on " + uri in again.stdout
        assert f"GRAPH_API_NEO4J_URI={uri}" in again.stdout
        assert sourced(env_file)["ARCADEDB_PID"] == settings["ARCADEDB_PID"]
        # a start that would leave it running with nothing to stop it is refused
        other = arcadedb("start", "--venv", str(ARC_VENV), "--data", str(tmp_path / "other"),
                         "--env-file", str(env_file), "--reuse", check=False)
        assert other.returncode != 0 and "still running; stop it first" in other.stderr
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=30)
        down = arcadedb("stop", "--env-file", str(env_file))
    assert "stopped" in down.stdout or "killed" in down.stdout
    assert not env_file.exists()
