"""The non-interference proof (test_noninterference.py) on the Bolt server: both worlds
Neo4j stores, C drawn from every observer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    ARCADEDB_HTTP,
    NEO4J_URI,
    arcadedb_command,
    ensure_databases,
    worker_database,
)
from tests.security.noninterference_machine import NEO4J_EXAMPLES, run_machine
from tests.security.support import Ids

# The suite starts these first (tests/conftest.py): the longest files of the run.
pytestmark = pytest.mark.first


@pytest.fixture(scope="module")
def neo4j_databases() -> Iterator[tuple[str, str]]:
    """Two databases on the test Bolt server, one per world (ArcadeDB's HTTP API makes
    them; ``make test`` starts the server and names its address); every example
    empties them first."""
    if not NEO4J_URI:
        pytest.skip("no Bolt server: set GRAPH_API_TEST_NEO4J_URI (make test does)")
    if ARCADEDB_HTTP is None:
        pytest.skip("two worlds need two databases: set GRAPH_API_TEST_ARCADEDB_HTTP")
    names = (worker_database("noninterference_a"), worker_database("noninterference_b"))
    ensure_databases(*names)
    yield names
    for name in names:
        arcadedb_command(f"drop database {name}")


@pytest.mark.neo4j
def test_nothing_c_may_not_see_changes_any_answer_it_gets_on_neo4j(
    ids: Ids, tmp_path: Path, neo4j_databases: tuple[str, str]
) -> None:
    run_machine(ids, tmp_path, NEO4J_EXAMPLES, store="neo4j", databases=neo4j_databases)
