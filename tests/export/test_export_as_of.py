"""exportCase(asOf:): the package as of a time holds what was known then, and its
manifest records the time; a package of today's view has no ``as_of``."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from typing import Any

from graph_api.api.export_fields import export_dir
from graph_api.clock import utc_now
from graph_api.services import Services
from graph_api.workflow import cases as wf_cases
from tests.conftest import FixedClock, MakeServices, add_orgs
from tests.support import gql
from tests.workflow.support import ok, role

EXPORT = """mutation($id: ID!, $t: DateTime) { exportCase(id: $id, recipient: "Court",
  formats: [GRAPHML], asOf: $t) { id files { name } } }"""


def _package(services: Services, answer: dict[str, Any]) -> tuple[dict[str, Any], str]:
    package_id = ok(answer)["exportCase"]["id"]
    with zipfile.ZipFile(export_dir(services) / f"{package_id}.zip") as archive:
        return (json.loads(archive.read("manifest.json")),
                archive.read("network.graphml").decode())


def test_a_package_as_of_a_time(make_services: MakeServices) -> None:
    clock = FixedClock()
    services = make_services("memory", clock=clock)
    scopes = add_orgs(services)
    t0 = clock.now
    services.submit_report(scopes["police"], {
        "reportId": "early", "source": "LAW_ENFORCEMENT", "confidence": 0.8,
        "marking": "GREEN", "entities": [{"id": "wh-1", "kind": "WAREHOUSE", "name": "Early"}],
        "relations": []})
    liaison = role(services, "police", "liaison")
    case = wf_cases.open_case(services, liaison, "Putian", ["wh-1"], "AMBER_STRICT")
    clock.now = t0 + timedelta(hours=1)
    services.submit_report(scopes["police"], {
        "reportId": "late", "source": "LAW_ENFORCEMENT", "confidence": 0.8,
        "marking": "GREEN", "entities": [{"id": "wh-1", "kind": "WAREHOUSE", "name": "Late"},
                                         {"id": "fac-1", "kind": "FACTORY"}],
        "relations": [{"kind": "SUPPLIED_BY", "from": "wh-1", "to": "fac-1"}]})
    clock.now = t0 + timedelta(hours=2)
    today, today_graph = _package(services, gql(services, liaison, EXPORT, {"id": case["id"]}))
    past, past_graph = _package(services, gql(services, liaison, EXPORT, {
        "id": case["id"], "t": (t0 + timedelta(minutes=30)).isoformat()}))
    assert "as_of" not in today
    assert past["as_of"] == "2026-11-01T09:30:00.000Z"
    assert "Late" in today_graph and "fac-1" in today_graph
    assert "Early" in past_graph and "Late" not in past_graph and "fac-1" not in past_graph
    before = gql(services, liaison, EXPORT, {"id": case["id"],
                                            "t": (t0 - timedelta(seconds=1)).isoformat()})
    assert before["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # no case then


def test_as_of_its_own_time_a_write_is_there(make_services: MakeServices) -> None:
    """On the server's real clock, a case as of its ``openedAt`` (and a notice as of its
    ``filedAt``) exists: a mutation writes its records and their history at one instant
    (graph_api.clock.one_instant); before, the history's time was read a moment later."""
    services = make_services("memory", clock=utc_now)
    scopes = add_orgs(services)
    services.submit_report(scopes["police"], {
        "reportId": "wh", "source": "LAW_ENFORCEMENT", "confidence": 0.8, "marking": "GREEN",
        "entities": [{"id": "wh-1", "kind": "WAREHOUSE"}], "relations": []})
    services.submit_report(scopes["acme"], {
        "reportId": "l", "source": "OSINT", "confidence": 0.8, "marking": "AMBER",
        "entities": [{"id": "listing-1", "kind": "LISTING"}], "relations": []})
    liaison = role(services, "police", "liaison")
    case = ok(gql(services, liaison, """mutation { openCase(input: {title: "Putian",
        entities: ["wh-1"]}) { id openedAt } }"""))["openCase"]
    notice = ok(gql(services, scopes["acme"], """mutation { fileNotice(input: {
        listings: ["listing-1"], grounds: "fake"}) { id filedAt } }"""))["fileNotice"]
    cases = ok(gql(services, liaison, "query($t: DateTime!) @asOf(at: $t) { cases { id } }",
                   {"t": case["openedAt"]}))["cases"]
    notices = ok(gql(services, scopes["acme"],
                     "query($t: DateTime!) @asOf(at: $t) { notices { id } }",
                     {"t": notice["filedAt"]}))["notices"]
    assert [c["id"] for c in cases] == [case["id"]]
    assert [n["id"] for n in notices] == [notice["id"]]
    package = _package(services, gql(services, liaison, EXPORT, {
        "id": case["id"], "t": case["openedAt"]}))[0]
    assert package["as_of"]
