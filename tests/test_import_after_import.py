"""A second `graph-api import` into a database another import filled: the store opens
without reading its entities (as `org` and `token` commands do), and still checks each
new report against every kind stated before."""

from __future__ import annotations

import io
from pathlib import Path

from graph_api.bulk import import_ndjson
from graph_api.config import Settings
from graph_api.model import OrgType
from graph_api.services import Services
from tests.support import write_lines


def open_writer(db: Path) -> Services:
    return Services.open(Settings.from_env(db=db), with_graph=False)


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
