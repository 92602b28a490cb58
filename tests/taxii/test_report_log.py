"""The feeds' change log (graph_api.store.events) on both stores: the caller's visible
reports in key order, and what each range of them stated, nothing of the others."""

from __future__ import annotations

from graph_api.access import Scope
from graph_api.model import Marking
from graph_api.services import Services


def _report(services: Services, scope: Scope, rid: str, marking: str,
            entities: list[str], relations: list[tuple[str, str, str]]) -> None:
    services.submit_report(scope, {
        "reportId": rid, "source": "OSINT", "confidence": 0.5, "marking": marking,
        "entities": [{"id": e, "kind": "SELLER"} for e in entities],
        "relations": [{"kind": k, "from": s, "to": t} for s, k, t in relations],
    })


def test_the_log_holds_each_callers_visible_reports_only(
        services: Services, orgs: dict[str, Scope]) -> None:
    acme, rival, police = orgs["acme"], orgs["rival"], orgs["police"]
    _report(services, acme, "a1", "GREEN", ["s1", "s2"], [])
    _report(services, rival, "r1", "RED", ["s3"], [("s3", "ASSOCIATED_WITH", "s1")])
    _report(services, acme, "a2", "AMBER", [], [("s1", "ASSOCIATED_WITH", "s2")])
    _report(services, rival, "r2", "GREEN", ["s4"], [])
    store = services.store
    seqs = [r.seq for r in store.visible_reports(rival, 0)]
    assert [r.org for r in store.visible_reports(rival, 0)] == ["acme", "rival", "rival"]
    assert len(seqs) == 3 and seqs == sorted(seqs)
    first, top = seqs[0], seqs[-1]
    mine = store.visible_reports(acme, 0)
    assert [r.org for r in mine] == ["acme", "acme", "rival"]
    assert [r.org for r in store.visible_reports(police, 0)] == ["acme", "acme", "rival"]
    assert [r.org for r in store.visible_reports(acme.capped(Marking.GREEN), 0)] == [
        "acme", "rival"]
    assert store.visible_reports(acme, top) == []
    changes = store.report_changes(acme, 0, top)
    assert changes.entities == {"s1", "s2", "s4"}
    assert changes.relations == {("s1", "ASSOCIATED_WITH", "s2")}
    everything = store.report_changes(rival, first, top)  # after the first report
    assert everything.entities == {"s3", "s4"}
    assert everything.relations == {("s3", "ASSOCIATED_WITH", "s1")}
    capped = store.report_changes(acme.capped(Marking.GREEN), 0, top)
    assert capped.relations == set() and capped.entities == {"s1", "s2", "s4"}
    assert store.visible_reports(acme, 0)[0].received_at == services.clock()
