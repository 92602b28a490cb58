"""Bulk import with the writer in a thread of its own (what a store that waits on a
server gets, ``Backend.overlaps_writes``) answers exactly as with the writer inline: the same
counts, the bad lines in file order, and a store failure stops the import."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from graph_api.bulk import ImportSummary, import_ndjson
from graph_api.services import Services
from tests.conftest import MakeServices, add_orgs
from tests.support import write_lines


def lines() -> list[Any]:
    out: list[Any] = []
    for i in range(40):
        out.append({"reportId": f"r{i}", "source": "OSINT", "confidence": 0.7,
                    "marking": "GREEN", "entities": [
                        {"id": f"s{i}", "kind": "SELLER"}, {"id": f"st{i}", "kind": "STOREFRONT"}],
                    "relations": [{"kind": "OPERATES", "from": f"s{i}", "to": f"st{i}"}]})
        if i % 7 == 3:
            out.append({"reportId": f"bad{i}", "source": "OSINT", "confidence": 2,
                        "marking": "GREEN", "entities": [{"id": "x", "kind": "SELLER"}],
                        "relations": []})
        if i % 11 == 5:  # a relation to an entity of an earlier batch, one to nothing
            out.append({"reportId": f"late{i}", "source": "OSINT", "confidence": 0.5,
                        "marking": "GREEN", "entities": [], "relations": [
                            {"kind": "ASSOCIATED_WITH", "from": f"s{i}", "to": "s0"}]})
            out.append({"reportId": f"ghost{i}", "source": "OSINT", "confidence": 0.5,
                        "marking": "GREEN", "entities": [], "relations": [
                            {"kind": "ASSOCIATED_WITH", "from": f"s{i}", "to": "nobody"}]})
    out.append("not an object")
    out.append(out[0])  # already present by then: unchanged
    return out


def run(services: Services, path: Path, threaded: bool) -> tuple[ImportSummary, str]:
    add_orgs(services)
    scope = services.operator_scope(services.find_org("acme"))  # an analyst
    if threaded:
        services.backend = replace(services.backend, overlaps_writes=True)
    errors = io.StringIO()
    summary = import_ndjson(services, scope, path, operator=False, batch_rows=7,
                            progress=False, errors_to=errors)
    return summary, errors.getvalue()


def test_a_threaded_writer_answers_as_an_inline_one(
    make_services: MakeServices, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "in.ndjson", lines())
    inline, inline_errors = run(make_services("memory", name="a"), path, False)
    threaded, threaded_errors = run(make_services("memory", name="b"), path, True)
    assert threaded == inline
    assert threaded_errors == inline_errors
    numbers = [n for n, _ in threaded.errors]
    assert numbers == sorted(numbers) and len(numbers) == 6 + 4 + 1
    assert (threaded.imported, threaded.unchanged) == (40 + 4, 1)


def test_a_store_failure_stops_a_threaded_import(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services("memory")
    path = write_lines(tmp_path / "in.ndjson", lines())
    calls = []

    def broken(reports: Any, audit: Any = None) -> Any:
        calls.append(len(reports))
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.store, "submit_many", broken)
    with pytest.raises(RuntimeError, match="went away"):
        run(services, path, True)
    assert len(calls) == 1  # nothing after the failed batch was written
