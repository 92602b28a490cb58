"""A second `graph-api import` into a database another import filled: the store opens
without reading its entities (as `org` and `token` commands do), and still checks each
new report against every kind stated before."""

from __future__ import annotations

import io
from pathlib import Path

from graph_api import deadline
from graph_api.bulk import import_ndjson
from graph_api.config import Settings
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.workflow import start_workflow
from tests.support import write_lines


def open_writer(db: Path) -> Services:
    return start_workflow(Services.open(Settings.from_env(db=db), with_graph=False))


def line(report_id: str, entities: list[dict[str, str]], relations: list[dict[str, str]]) -> dict:
    return {
        "reportId": report_id, "source": "OSINT", "confidence": 0.8, "marking": "GREEN",
        "entities": entities, "relations": relations,
    }


def test_a_second_import_checks_kinds_stated_by_the_first(tmp_path: Path) -> None:
    db = tmp_path / "graph.db"
    first = open_writer(db)
    org = first.add_org("Stridewell", OrgType.BRAND, True, "stridewell")
    scope = first.operator_scope(org)
    seller = {"id": "s-1", "kind": "SELLER", "name": "Seller One"}
    store = {"id": "f-1", "kind": "STOREFRONT", "name": "Shop One"}
    lines = [line("r1", [seller, store], [{"kind": "OPERATES", "from": "s-1", "to": "f-1"}])]
    summary = import_ndjson(first, scope, write_lines(tmp_path / "a.ndjson", lines),
                            operator=True, progress=False)
    assert summary.imported == 1
    first.close()

    second = open_writer(db)
    assert second.store._kinds == {}  # type: ignore[attr-defined]  # nothing read yet
    later = [
        line("r2", [], [{"kind": "OPERATES", "from": "f-1", "to": "s-1"}]),  # wrong way round
        line("r3", [{"id": "s-1", "kind": "FACTORY"}], []),  # s-1 is a seller
        line("r4", [{"id": "f-2", "kind": "STOREFRONT"}],
             [{"kind": "OPERATES", "from": "s-1", "to": "f-2"}]),  # good
    ]
    errors = io.StringIO()
    summary = import_ndjson(second, second.operator_scope(second.find_org("stridewell")),
                            write_lines(tmp_path / "b.ndjson", later), operator=True,
                            progress=False, errors_to=errors)
    assert (summary.imported, summary.failed) == (1, 2)
    assert [number for number, _ in summary.errors] == [1, 2]
    second.close()


def test_each_operation_reads_what_another_process_committed_before_it(tmp_path: Path) -> None:
    """A server's store checks the database for other processes' commits once per
    operation: every read of one operation answers from the same state, and the
    next operation sees what was committed meanwhile (an import, another worker)."""
    db = tmp_path / "graph.db"
    writer = open_writer(db)
    org = writer.add_org("Stridewell", OrgType.BRAND, True, "stridewell")
    seller = {"id": "s-1", "kind": "SELLER", "name": "Seller One"}
    import_ndjson(writer, writer.operator_scope(org), write_lines(tmp_path / "a.ndjson", [
        line("r1", [seller], [])]), operator=True, progress=False)
    server = start_workflow(  # with the graph, as `serve` opens it
        Services.open(Settings.from_env(db=db)))
    scope = server.operator_scope(server.find_org("stridewell"))

    def read(ids: list[str]) -> set[str]:
        return set(server.store.node_data(scope, ids))  # type: ignore[attr-defined]

    with deadline.budget(30):  # one operation
        assert read(["s-1", "s-2"]) == {"s-1"}
        import_ndjson(writer, writer.operator_scope(org), write_lines(tmp_path / "b.ndjson", [
            line("r2", [{"id": "s-2", "kind": "SELLER"}], [])]), operator=True, progress=False)
        assert read(["s-1", "s-2"]) == {"s-1"}  # the same state for the whole operation
    with deadline.budget(30):  # the next one
        assert read(["s-1", "s-2"]) == {"s-1", "s-2"}
    assert read(["s-2"]) == {"s-2"}  # and outside any operation, always the latest
    server.close()
    writer.close()
