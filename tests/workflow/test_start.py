"""The workflow follows a ``Services`` through its hooks: subscribed once, in order."""

from __future__ import annotations

from typing import Any

from graph_api.access import Scope
from graph_api.config import Settings
from graph_api.model import Report
from graph_api.services import Services
from graph_api.workflow import close_workflow, on_report_committed, start_workflow
from graph_api.workflow.runtime import workflow_for
from tests.conftest import FixedClock, add_orgs

RAW = {"reportId": "r1", "source": "INVESTIGATION", "confidence": 0.8, "marking": "AMBER",
       "entities": [{"id": "s-1", "kind": "SELLER", "name": "Seller One"}], "relations": []}


def test_starting_twice_subscribes_once(services: Services) -> None:
    start_workflow(services)  # the fixture started it already
    start_workflow(services)
    assert services.on_commit == [on_report_committed]
    assert services.on_close == [close_workflow]


def test_a_new_report_reaches_the_subscribers_in_order_a_repeated_one_none(
        services: Services) -> None:
    heard: list[tuple[str, str, str]] = []

    def hear(name: str) -> Any:
        def subscriber(s: Services, scope: Scope, report: Report) -> None:
            assert s is services
            heard.append((name, scope.org_id, report.id))
        return subscriber

    services.on_commit[:] = [hear("first"), hear("second")]
    acme = add_orgs(services)["acme"]
    assert services.submit_report(acme, RAW).created
    assert not services.submit_report(acme, RAW).created  # known in full: nothing new
    assert heard == [("first", "acme", "r1"), ("second", "acme", "r1")]


def test_records_opened_on_use_close_with_services_never_started(tmp_path: Any) -> None:
    services = Services.open(Settings(db=tmp_path / "graph.db"), clock=FixedClock())
    assert services.on_commit == [] and services.on_close == []  # services import no workflow
    workflow_for(services)  # the records, opened on first use
    assert services.on_close == [close_workflow]
    services.close()
    assert "_workflow" not in services.__dict__  # close_workflow ran: the records closed
