"""The built wheel is the whole product: installed alone into a fresh virtualenv it
carries every ``cypher/*.cypher`` byte for byte, and the store contract passes on
both stores from that install (the Neo4j half against the suite's Bolt server).

The fresh virtualenv borrows the third-party packages of the project's own (a
``.pth`` naming its site-packages, where no editable finder runs), so nothing but
the wheel can provide ``graph_api``; the tests run from a copy of ``tests/`` and
``fixtures/`` outside the checkout for the same reason.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ["tests/conformance/test_store_contract.py"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, timeout=600)
    (built,) = out.glob("graph_api-*.whl")
    return built


def test_the_wheel_carries_every_cypher_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packed = {Path(name).name: archive.read(name) for name in archive.namelist()
                  if name.startswith("graph_api/cypher/")}
    files = {p.name: p.read_bytes() for p in (ROOT / "cypher").glob("*.cypher")}
    assert files and packed == files


def test_the_store_contract_passes_from_the_installed_wheel(
        wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                              "get_paths()['purelib'])"], check=True, capture_output=True,
                             text=True).stdout.strip()
    with zipfile.ZipFile(wheel) as archive:  # what pip install --no-deps does, minus pip
        archive.extractall(purelib)
    (Path(purelib) / "borrowed-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    work = tmp_path / "work"
    for folder in ("tests", "fixtures"):
        shutil.copytree(ROOT / folder, work / folder,
                        ignore=shutil.ignore_patterns("node_modules", "artifacts", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    env = {k: v for k, v in os.environ.items()  # this process's database, as it is
           if k != "PYTHONPATH" and not k.startswith("PYTEST_XDIST")}
    where = subprocess.run([str(python), "-c", "import graph_api.store.neo4j.cypher as c; "
                            "print(c.CYPHER_DIR)"], cwd=work, env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    assert where == str(Path(purelib) / "graph_api" / "cypher")
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-o", "addopts=--strict-markers -ra", *SMOKE], cwd=work, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    if os.environ.get("GRAPH_API_TEST_NEO4J_URI"):
        assert "skipped" not in run.stdout.splitlines()[-1], run.stdout[-2000:]
