"""Bulk import on Neo4j, where a checker thread checks batch n+1 while batch n is
written (``WriteAhead``), answers exactly as the embedded store's inline import: the
same counts, the same bad lines in file order, the same graph; and a failure of either
thread stops the import."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

from graph_api.bulk import ImportSummary, import_ndjson
from graph_api.services import Services
from graph_api.store.base import WriteAhead
from tests.conftest import NEO4J_URI, MakeServices, add_orgs
from tests.support import gql, write_lines
from tests.test_bulk_pipeline import lines

pytestmark = pytest.mark.skipif(not NEO4J_URI, reason="no Bolt server: set "
                                "GRAPH_API_TEST_NEO4J_URI (make test does)")

ENTITY = """query($id: ID!) { entity(id: $id) { id kind name confidence
  assertions { reportId reportedBy { id } confidence }
  relations(first: 50) { totalCount edges { node { kind confidence to { id } } } } } }"""


def run(services: Services, path: Path, batch_rows: int = 7) -> tuple[ImportSummary, str]:
    scope = services.operator_scope(services.find_org("acme"))  # an analyst
    errors = io.StringIO()
    summary = import_ndjson(services, scope, path, operator=False, batch_rows=batch_rows,
                            progress=False, errors_to=errors)
    return summary, errors.getvalue()


@pytest.mark.parametrize(("batch_rows", "slow"), [(1, False), (7, False), (7, True),
                                                  (10_000, False)])
def test_checking_ahead_answers_as_the_embedded_import(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    batch_rows: int, slow: bool
) -> None:
    path = write_lines(tmp_path / "in.ndjson", lines())
    memory, neo4j = make_services("memory", name="m"), make_services("neo4j", name="n")
    assert isinstance(neo4j.store, WriteAhead) and not isinstance(memory.store, WriteAhead)
    if slow:  # every batch is checked while the one before it is still being written
        real_write, real_check = neo4j.store.write_checked, neo4j.store.check_many
        ahead: list[int] = []

        def write(checked: Any, audit: Any = None) -> None:
            time.sleep(0.05)
            real_write(checked, audit)

        def check(reports: Any, ahead_of: Any = ()) -> Any:
            ahead.append(len(ahead_of))
            return real_check(reports, ahead_of)

        monkeypatch.setattr(neo4j.store, "write_checked", write)
        monkeypatch.setattr(neo4j.store, "check_many", check)
    readers = {name: add_orgs(s)["rival"] for name, s in (("m", memory), ("n", neo4j))}
    assert run(neo4j, path, batch_rows) == run(memory, path, batch_rows)
    if slow:
        assert max(ahead) >= 1  # batches not yet written were counted as written
    for i in (0, 3, 5, 16, 39):
        for eid in (f"s{i}", f"st{i}"):
            assert gql(neo4j, readers["n"], ENTITY, {"id": eid}) == gql(
                memory, readers["m"], ENTITY, {"id": eid})


@pytest.mark.parametrize("broken", ["check_many", "write_checked"])
def test_a_failure_of_either_thread_stops_the_import(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    services = make_services("neo4j")
    add_orgs(services)
    path = write_lines(tmp_path / "in.ndjson", lines())
    writes: list[int] = []
    real_write = services.store.write_checked  # type: ignore[attr-defined]

    def write(checked: Any, audit: Any = None) -> None:
        writes.append(len(checked.good))
        if broken == "write_checked":
            raise RuntimeError("the database went away")
        real_write(checked, audit)

    def check(reports: Any, ahead: Any = ()) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.store, "write_checked", write)
    if broken == "check_many":
        monkeypatch.setattr(services.store, "check_many", check)
    with pytest.raises(RuntimeError, match="went away"):
        run(services, path)
    assert writes == ([] if broken == "check_many" else writes[:1])
    assert len(writes) <= 1  # nothing after the failed batch was written
