"""Fixtures are factories: a store of either kind, services over it, orgs and scopes.

The ``store_kind`` parameter runs a test on every store: ``memory`` always,
``neo4j`` when ``GRAPH_API_TEST_NEO4J_URI`` names a Bolt server (``make test``
starts one). ``make test`` runs the suite in two processes (pytest-xdist, a test
file per process at a time): each process has a database of its own on the one
Bolt server (``worker_database``), so no test empties another's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_api.access import Scope
from graph_api.config import Settings
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.workflow import start_workflow

NEO4J_URI = os.environ.get("GRAPH_API_TEST_NEO4J_URI")
ARCADEDB_HTTP = os.environ.get("GRAPH_API_TEST_ARCADEDB_HTTP")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1... under pytest-xdist
STORE_KINDS = ["memory", "neo4j"]


def worker_database(name: str) -> str:
    """``name`` for this test process: suffixed by its xdist worker, if any."""
    return f"{name}_{WORKER}" if WORKER else name


def _arcadedb_auth() -> tuple[str, str]:
    return ("root", os.environ.get("GRAPH_API_TEST_NEO4J_PASSWORD", ""))


def arcadedb_command(text: str) -> None:
    """A server command (``create database X``) by ArcadeDB's HTTP API."""
    httpx.post(f"{ARCADEDB_HTTP}/api/v1/server", auth=_arcadedb_auth(),
               json={"command": text}, timeout=60).raise_for_status()


def ensure_databases(*names: str) -> None:
    existing = httpx.get(f"{ARCADEDB_HTTP}/api/v1/databases", auth=_arcadedb_auth(),
                         timeout=60).json()["result"]
    for name in names:
        if name not in existing:
            arcadedb_command(f"create database {name}")


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, this process's own database on the Bolt server, named in the
    environment every store setting (and every server a test starts) reads."""
    if WORKER and NEO4J_URI and ARCADEDB_HTTP:
        database = worker_database(os.environ.get("GRAPH_API_TEST_NEO4J_DATABASE", "neo4j"))
        ensure_databases(database)
        os.environ["GRAPH_API_TEST_NEO4J_DATABASE"] = database


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files holding a test marked ``first`` run first. ``make test`` hands whole
    files to its processes in the order collected (scripts/test.sh: ``--dist loadfile
    --no-loadscope-reorder``), so a long file collected late would end the run alone."""
    first = {item.path for item in items if item.get_closest_marker("first")}
    items.sort(key=lambda item: item.path not in first)  # stable: the rest as collected


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class FixedClock:
    """An injectable clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class FixedMonotonic:
    """An injectable monotonic clock (``WholeGraph.monotonic``, seconds) that only moves
    when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


# Notices in most tests cite no right: the rights policy itself is tested in
# tests/workflow/test_desk.py, with the default (required).
OLD_NOTICES = "optional"


def neo4j_settings(tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "graph.db",
        notice_rights=OLD_NOTICES,
        store="neo4j",
        neo4j_uri=NEO4J_URI or "",
        neo4j_user=os.environ.get("GRAPH_API_TEST_NEO4J_USER", "root"),
        neo4j_password=os.environ.get("GRAPH_API_TEST_NEO4J_PASSWORD", ""),
        neo4j_database=os.environ.get("GRAPH_API_TEST_NEO4J_DATABASE", "neo4j"),
    )


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind == "neo4j" and not NEO4J_URI:
        pytest.skip("no Bolt server: set GRAPH_API_TEST_NEO4J_URI (make test does)")
    return kind


MakeServices = Callable[..., Services]


@pytest.fixture
def make_services(tmp_path: Path) -> Iterator[MakeServices]:
    """``make_services(kind="memory", clock=None, name="a")``: a fresh, empty store."""
    opened: list[Services] = []

    def make(kind: str = "memory", clock: Any = None, name: str = "s") -> Services:
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        if kind == "neo4j":
            settings = neo4j_settings(folder)
        else:
            settings = Settings(db=folder / "graph.db", notice_rights=OLD_NOTICES)
        services = start_workflow(Services.open(settings, clock=clock or FixedClock()))
        if kind == "neo4j":
            services.store.reset()  # type: ignore[attr-defined]
        opened.append(services)
        return services

    yield make
    for services in opened:
        services.close()


@pytest.fixture
def services(make_services: MakeServices, store_kind: str) -> Services:
    return make_services(store_kind)


def add_orgs(services: Services) -> dict[str, Scope]:
    """Two competing brands, the platform and a regulator, each with an investigator scope."""
    scopes = {}
    for org_id, org_type, trusted in (
        ("acme", OrgType.BRAND, True),
        ("rival", OrgType.BRAND, False),
        ("bazaar", OrgType.PLATFORM, False),
        ("police", OrgType.REGULATOR, False),
    ):
        org = services.add_org(org_id.title(), org_type, trusted, org_id)
        principal, _ = services.issue_token(org, "investigator")
        scopes[org_id] = services.scope_for(principal)
    return scopes


@pytest.fixture
def orgs(services: Services) -> dict[str, Scope]:
    return add_orgs(services)
