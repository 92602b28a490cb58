"""A bulk file parsed by a pool of processes answers exactly as parsed in the importing
process: the same reports, reporters, line numbers and errors, in file order, wherever
the ranges handed to the workers begin and end; and an import through the pool stores
the same facts and reports the same summary."""

from __future__ import annotations

import io
import os
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_api import bulk_parse
from graph_api.bulk import default_parse_workers, import_ndjson
from graph_api.bulk_parse import LineParser, ParsedLine, parsed_lines, report_from_row, report_row
from graph_api.config import Settings
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.workflow import start_workflow


def fixed_clock() -> datetime:
    """A clock the workers can import (a lambda cannot go to another process)."""
    return datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def report(n: int, **extra: Any) -> dict[str, Any]:
    return {"reportId": f"r{n}", "source": "OSINT", "confidence": 0.7, "marking": "GREEN",
            "entities": [{"id": f"s{n}", "kind": "SELLER", "name": f"Seller {n}"},
                         {"id": f"f{n}", "kind": "STOREFRONT"}],
            "relations": [{"kind": "OPERATES", "from": f"s{n}", "to": f"f{n}"}], **extra}


def network_lines() -> list[bytes]:
    """Good lines among every kind of bad one, blank lines, and one long line."""
    lines: list[bytes] = []
    for n in range(60):
        lines.append(orjson.dumps(report(n)))
        if n % 9 == 1:
            lines.append(b"")
            lines.append(b"   \t")
        if n % 9 == 2:
            lines.append(orjson.dumps(report(1000 + n, confidence=1.5)))
        if n % 9 == 3:
            lines.append(b"{not json")
        if n % 9 == 4:
            lines.append(b"[1, 2]")
        if n % 9 == 5:
            lines.append(orjson.dumps(report(2000 + n, reportedBy="Rival")))  # by name
        if n % 9 == 6:
            lines.append(orjson.dumps(report(3000 + n, reportedBy="nobody")))
        if n % 9 == 7:
            lines.append(b'{"reportId": "\xff\xfe"}')  # not UTF-8
    lines.append(orjson.dumps(report(
        9999, marking="AMBER", sharedWith=["rival"],
        entities=[{"id": f"l{i}", "kind": "LISTING", "properties": {"title": "x" * 50}}
                  for i in range(40)]
        + [{"kind": "IDENTIFIER", "identifierKind": "PHONE", "value": "+86 138 0000 0000"},
           {"id": "f9999", "kind": "STOREFRONT"}],
        relations=[{"kind": "LISTS", "from": "f9999", "to": f"l{i}"} for i in range(40)],
        evidence=[{"kind": "screenshot", "sha256": "ab" * 32, "uri": "https://x.test/1"}])))
    lines.append(orjson.dumps(report(77, reportedBy="rival")))  # by id, no newline after it
    return lines


def open_store(folder: Path) -> tuple[Services, Any]:
    services = start_workflow(
        Services.open(Settings.from_env(db=folder / "graph.db"), with_graph=False))
    services.secret = b"k" * 32  # two stores, the same pseudonyms
    for org_id, org_type in (("acme", OrgType.BRAND), ("rival", OrgType.BRAND),
                             ("bazaar", OrgType.PLATFORM)):
        services.add_org(org_id.title(), org_type, True, org_id)
    return services, services.operator_scope(services.find_org("acme"))


@pytest.fixture
def network(tmp_path: Path) -> Path:
    path = tmp_path / "network.ndjson"
    path.write_bytes(b"\n".join(network_lines()))
    return path


def parse(services: Services, scope: Any, path: Path, workers: int,
          clock: Any = fixed_clock) -> tuple[list[ParsedLine], int]:
    parser = LineParser(services.reporters(scope, True), services.secret,
                        frozenset(org.id for org in services.store.orgs()), clock)
    done: list[int] = []
    lines = list(parsed_lines(path, parser, workers=workers, advance=done.append, pool_from=0))
    return lines, sum(done)


@pytest.mark.parametrize("range_bytes", [1, 300, 1 << 20])
def test_a_pool_parses_as_this_process_does(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, range_bytes: int
) -> None:
    services, scope = open_store(tmp_path)
    here, here_bytes = parse(services, scope, network, workers=0)
    monkeypatch.setattr(bulk_parse, "RANGE_BYTES", range_bytes)
    pooled, pooled_bytes = parse(services, scope, network, workers=2)
    assert pooled == here
    assert pooled_bytes == here_bytes == network.stat().st_size
    rejected = {line.number: line.outcome for line in here if isinstance(line.outcome, str)}
    assert len(rejected) == 33 and all(text.startswith("BAD_USER_INPUT: ")
                                       for text in rejected.values())
    last = here[-1]
    assert last.number == len(network_lines()) and last.reporter.org_id == "rival"
    by_name = next(line for line in here if not isinstance(line.outcome, str)
                   and line.outcome.id == "r2005")
    assert by_name.reporter.org_id == "rival"
    services.close()


def test_a_parser_that_cannot_go_to_a_worker_parses_here(network: Path, tmp_path: Path) -> None:
    services, scope = open_store(tmp_path)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    lines, _ = parse(services, scope, network, workers=2, clock=lambda: at)
    assert lines == parse(services, scope, network, workers=0, clock=lambda: at)[0]
    services.close()


def test_a_report_comes_back_from_a_worker_whole(network: Path, tmp_path: Path) -> None:
    services, scope = open_store(tmp_path)
    reports = [line.outcome for line in parse(services, scope, network, workers=0)[0]
               if not isinstance(line.outcome, str)]
    full = next(r for r in reports if r.id == "r9999")
    assert full.evidence and full.shared_with and any(e.value for e in full.entities)
    assert [report_from_row(report_row(r)) for r in reports] == reports
    services.close()


def stored(folder: Path) -> tuple[list[Any], list[Any]]:
    with sqlite3.connect(folder / "graph.db") as conn:
        reports = conn.execute("SELECT seq, org_id, report_id, digest, received_at "
                               "FROM reports ORDER BY seq").fetchall()
        facts = conn.execute("SELECT * FROM entity_facts ORDER BY seq, entity_id").fetchall()
        facts += conn.execute("SELECT * FROM relation_facts ORDER BY seq, source").fetchall()
    return [r[:4] for r in reports], facts


def test_an_import_through_the_pool_stores_what_an_import_here_does(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_parse, "RANGE_BYTES", 500)
    outcomes = []
    for workers in (0, 2):
        folder = tmp_path / f"w{workers}"
        services, scope = open_store(folder)
        monkeypatch.setattr(bulk_parse, "POOL_FROM_BYTES", 0)
        errors = io.StringIO()
        summary = import_ndjson(services, scope, network, operator=True, batch_rows=25,
                                progress=False, errors_to=errors, workers=workers)
        services.close()
        outcomes.append((summary, errors.getvalue(), stored(folder)))
    assert outcomes[1] == outcomes[0]
    summary = outcomes[0][0]
    assert (summary.imported, summary.failed) == (69, 33)


def test_parse_workers_by_default_for_the_embedded_store_only(tmp_path: Path) -> None:
    """Into the embedded store the importing process is the bound, so each core parses;
    a store whose writer waits on a server already overlaps parsing with it."""
    services, _ = open_store(tmp_path)
    assert default_parse_workers(services) == (os.cpu_count() or 1)
    services.backend = replace(services.backend, overlaps_writes=True)  # as Neo4j's
    assert default_parse_workers(services) == 0
    services.close()
