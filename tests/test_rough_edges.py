"""Issue 22's rough edges: an unknown id answers alike everywhere, an import before the
orgs exist says what to do, a line that is not JSON says what is wrong, and hotspots'
shares are explained (a listing counts in every region it touches)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_api.access import Scope
from graph_api.bulk_parse import LineParser, parsed_lines
from graph_api.services import Services
from tests.e2e.server import BIN
from tests.scenario import acme_ring, report, rival_red
from tests.support import codes, gql

ANALYTICS = {
    "traceToSource": ("query($id: ID!) { traceToSource(from: $id) { origin { id } } }", "from"),
    "network": ('query($id: ID!) { network(seeds: ["seller-1", $id]) { nodes { id } } }',
                "seeds[1]"),
    "connections": ('query($id: ID!) { connections(from: "seller-1", to: $id) { confidence } }',
                    "to"),
    "connectionsFrom": ('query($id: ID!) { connections(from: $id, to: "seller-1") { confidence } }',
                        "from"),
    "linkedEntities": ("query($id: ID!) { linkedEntities(id: $id) { entity { id } } }", "id"),
}


@pytest.fixture
def loaded(services: Services, orgs: dict[str, Scope]) -> dict[str, Scope]:
    services.submit_report(orgs["acme"], acme_ring())
    services.submit_report(orgs["rival"], rival_red())  # factory-9: Rival's RED
    return orgs


def answer_of(services: Services, scope: Scope, query: str, entity_id: str) -> dict[str, Any]:
    answer = gql(services, scope, query, {"id": entity_id})
    for error in answer.get("errors", []):  # the id asked for, spelt the same way
        error["message"] = error["message"].replace(entity_id, "ID")
    return answer


@pytest.mark.parametrize("field", sorted(ANALYTICS))
def test_an_unknown_or_hidden_id_is_not_found_on_every_analytic(
    services: Services, loaded: dict[str, Scope], field: str
) -> None:
    """``network`` once answered an empty graph where ``traceToSource`` answered
    NOT_FOUND: now every analytic that names an entity answers NOT_FOUND for one the
    caller cannot read, exactly as for one that does not exist."""
    query, path = ANALYTICS[field]
    acme = loaded["acme"]
    hidden = answer_of(services, acme, query, "factory-9")
    missing = answer_of(services, acme, query, "no-such-entity")
    assert hidden == missing
    assert codes(missing) == ["NOT_FOUND"]
    assert missing["errors"][0]["message"] == "no entity 'ID'"
    assert missing["errors"][0]["extensions"]["field"] == path  # the argument that names it
    assert missing["data"] is None
    # the one who may read it gets an answer
    seen = gql(services, loaded["rival"], query, {"id": "factory-9"})
    assert "errors" not in seen, (field, seen)


def test_network_names_the_first_unknown_seed(
    services: Services, loaded: dict[str, Scope]
) -> None:
    query = "query($s: [ID!]!) { network(seeds: $s) { nodes { id } } }"
    answer = gql(services, loaded["acme"], query, {"s": ["seller-1", "x-1", "factory-9"]})
    assert codes(answer) == ["NOT_FOUND"] and "'x-1'" in answer["errors"][0]["message"]
    found = gql(services, loaded["acme"], query, {"s": ["seller-1", "store-1"]})["data"]
    assert {"seller-1", "store-1"} <= {n["id"] for n in found["network"]["nodes"]}
    assert gql(services, loaded["acme"], query, {"s": []})["data"]["network"]["nodes"] == []


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**os.environ, "GRAPH_API_DB": ""})


LINE = {"reportId": "r1", "reportedBy": "bazaarhub", "source": "OSINT", "confidence": 0.5,
        "marking": "GREEN", "entities": [{"id": "s1", "kind": "SELLER"}], "relations": []}


def test_an_import_before_the_orgs_exist_says_how_to_add_them(tmp_path: Path) -> None:
    lines = tmp_path / "network.ndjson"
    lines.write_bytes(orjson.dumps(LINE) + b"\n")
    db = str(tmp_path / "graph.db")
    refused = run("import", str(lines), "--org", "bazaarhub", "--db", db, cwd=tmp_path)
    assert refused.returncode != 0
    assert "no org 'bazaarhub'" in refused.stderr
    assert "graph-api org load ORGS.json" in refused.stderr and "org add" in refused.stderr
    assert "its orgs: none yet" in refused.stderr
    assert run("org", "add", "Voltra", "--type", "BRAND", "--db", db, cwd=tmp_path).returncode == 0
    again = run("import", str(lines), "--org", "bazaarhub", "--db", db, cwd=tmp_path)
    assert "its orgs: voltra" in again.stderr


BAD_LINES = [
    (b'{"reportId": nul}', "not JSON at column 14 ('nul}'): a word JSON does not know: "
                           "write 'null'"),
    (b'{reportId: "x"}', "not JSON at column 2 ('reportId: \"x\"}'): a key is not in double "
                         "quotes"),
    (b'{"reportId": "x",}', "not JSON at column 17 (',}'): a comma before a closing bracket"),
    (b'{"reportId": "x"', "not JSON at column 17 (the end of the line): the line ends inside "
                          "the JSON"),
    (b'{"reportId": "x"} {"reportId": "y"}', "more after the end of the JSON object (one "
                                             "report per line)"),
    (b'{"reportId": "x" "source": "OSINT"}', "a ',' between fields, or the closing '}', is "
                                             "missing"),
    (b'{"confidence": 0.}', "a number is cut short"),
]


@pytest.mark.parametrize("pooled", [False, True])
def test_a_line_that_is_not_json_is_told_in_words_with_its_number(
    services: Services, orgs: dict[str, Scope], tmp_path: Path, pooled: bool
) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_bytes(b"".join(line + b"\n\n" for line, _ in BAD_LINES))  # odd line numbers
    parser = LineParser(services.reporters(orgs["acme"], False), services.secret,
                        frozenset({"acme"}), services.clock)
    # pooled: parsed in a worker process, whose words must be the same
    got = {p.number: p.outcome for p in parsed_lines(path, parser, workers=1 if pooled else 0,
                                                     advance=lambda n: None,
                                                     pool_from=0 if pooled else None)}
    assert sorted(got) == [2 * i + 1 for i in range(len(BAD_LINES))]
    for i, (_, words) in enumerate(BAD_LINES):
        outcome = got[2 * i + 1]
        assert isinstance(outcome, str) and outcome.startswith("BAD_USER_INPUT: not JSON at")
        assert words in outcome, outcome
        assert "invalid literal" not in outcome and "line 1 column" not in outcome


def test_the_import_command_reports_the_bad_line_by_number(tmp_path: Path) -> None:
    db = str(tmp_path / "graph.db")
    assert run("org", "add", "BazaarHub", "--type", "PLATFORM", "--db", db,
               cwd=tmp_path).returncode == 0
    lines = tmp_path / "network.ndjson"
    lines.write_bytes(orjson.dumps(LINE) + b"\n" + b'{"reportId": nul}\n')
    done = run("import", str(lines), "--org", "bazaarhub", "--db", db, cwd=tmp_path)
    assert ("line 2: BAD_USER_INPUT: not JSON at column 14 ('nul}'): a word JSON does not "
            "know: write 'null'") in done.stderr, done.stderr
    assert "1 failed" in done.stdout + done.stderr


def test_hotspot_shares_count_a_listing_in_every_region_it_touches(
    services: Services, orgs: dict[str, Scope]
) -> None:
    """Sold from Fujian, shipped from Guangdong: one listing, a share of 1 in each; the
    shares add up to 2, the cumulative share to 1 (docs/link-analysis.md says why)."""
    services.submit_report(orgs["acme"], report("two-regions", "GREEN", [
        {"id": "brand-acme", "kind": "BRAND"}, {"id": "store-f", "kind": "STOREFRONT",
                                               "region": "Fujian"},
        {"id": "listing-x", "kind": "LISTING"},
        {"id": "wh-g", "kind": "WAREHOUSE", "region": "Guangdong"},
    ], [
        {"kind": "LISTS", "from": "store-f", "to": "listing-x"},
        {"kind": "INFRINGES", "from": "listing-x", "to": "brand-acme"},
        {"kind": "SHIPS_FROM", "from": "listing-x", "to": "wh-g"},
    ]))
    hot = gql(services, orgs["rival"], """{ hotspots { totalListings
        regions { region listings share cumulativeShare } } }""")["data"]["hotspots"]
    assert hot["totalListings"] == 1
    assert hot["regions"] == [
        {"region": "Fujian", "listings": 1, "share": 1.0, "cumulativeShare": 1.0},
        {"region": "Guangdong", "listings": 1, "share": 1.0, "cumulativeShare": 1.0},
    ]
    assert sum(r["share"] for r in hot["regions"]) == 2.0
