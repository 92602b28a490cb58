"""The Cypher visibility fragment answers exactly as access.may_see, case by case, and
as of a time exactly as ``Scope.sees_reported`` (the same rule on the embedded store)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from graph_api.access import VisibilityClass, instant, may_see
from graph_api.model import Marking, OrgType
from graph_api.services import Services
from tests.conftest import FixedClock, MakeServices

CALLERS = [("acme", OrgType.BRAND), ("friend", OrgType.BRAND), ("rival", OrgType.BRAND),
           ("bazaar", OrgType.PLATFORM), ("police", OrgType.REGULATOR)]
SHARES = [(), ("friend",), ("bazaar", "police")]


def test_fragment_equals_may_see(make_services: MakeServices, store_kind: str) -> None:
    """Every marking x sharedWith x caller, through the store's own reads."""
    services: Services = make_services(store_kind)
    for org_id, org_type in CALLERS:
        services.add_org(org_id.title(), org_type, False, org_id)
    reporter = services.operator_scope(services.find_org("acme"))
    expected: dict[tuple[str, str], bool] = {}
    for n, (marking, shared) in enumerate(itertools.product(Marking, SHARES)):
        eid = f"seller-{n}"
        services.submit_report(reporter, {
            "reportId": f"r{n}", "source": "OSINT", "confidence": 0.5,
            "marking": marking.value, "sharedWith": list(shared),
            "entities": [{"id": eid, "kind": "SELLER"}], "relations": [],
        })
        vc = VisibilityClass("acme", marking, frozenset(shared))
        for org_id, org_type in CALLERS:
            expected[(eid, org_id)] = may_see(vc, org_id, org_type)
    ids = sorted({eid for eid, _ in expected})
    for org_id, _ in CALLERS:
        principal, _ = services.issue_token(services.find_org(org_id), "investigator")
        seen = services.store.entities_by_id(services.scope_for(principal), ids)
        for eid in ids:
            assert (eid in seen) is expected[(eid, org_id)], (eid, org_id)
    assert any(expected.values()) and not all(expected.values())


@pytest.mark.parametrize("marking", list(Marking))
def test_relations_follow_the_same_rule(
    make_services: MakeServices, store_kind: str, marking: Marking
) -> None:
    services: Services = make_services(store_kind)
    for org_id, org_type in CALLERS:
        services.add_org(org_id.title(), org_type, False, org_id)
    acme = services.operator_scope(services.find_org("acme"))
    services.submit_report(acme, {
        "reportId": "ends", "source": "OSINT", "confidence": 0.5, "marking": "CLEAR",
        "entities": [{"id": "s", "kind": "SELLER"}, {"id": "t", "kind": "STOREFRONT"}],
        "relations": [],
    })
    services.submit_report(acme, {
        "reportId": "rel", "source": "OSINT", "confidence": 0.5, "marking": marking.value,
        "entities": [], "relations": [{"kind": "OPERATES", "from": "s", "to": "t"}],
    })
    vc = VisibilityClass("acme", marking, frozenset())
    for org_id, org_type in CALLERS:
        principal, _ = services.issue_token(services.find_org(org_id), "investigator")
        page = services.store.relations_of(services.scope_for(principal), "s", "OUT", None,
                                           10, None, True)
        assert (page.total == 1) is may_see(vc, org_id, org_type)


def test_as_of_a_time_the_fragment_equals_sees_reported(
    make_services: MakeServices, store_kind: str
) -> None:
    """Every marking x sharedWith x caller x report time around the view's time (a
    microsecond before, the same instant, a microsecond after), entities and relations:
    seen exactly when the class is and the report came at or before the time."""
    clock = FixedClock()
    services: Services = make_services(store_kind, clock=clock)
    for org_id, org_type in CALLERS:
        services.add_org(org_id.title(), org_type, False, org_id)
    acme = services.operator_scope(services.find_org("acme"))
    at = clock.now
    services.submit_report(acme, {
        "reportId": "hub", "source": "OSINT", "confidence": 0.5, "marking": "CLEAR",
        "entities": [{"id": "hub", "kind": "WAREHOUSE"}], "relations": []})
    cases = []
    for n, (marking, shared, delta) in enumerate(itertools.product(
            Marking, SHARES, (-1, 0, 1))):
        clock.now = at + timedelta(microseconds=delta)
        services.submit_report(acme, {
            "reportId": f"r{n}", "source": "OSINT", "confidence": 0.5,
            "marking": marking.value, "sharedWith": list(shared),
            "entities": [{"id": f"seller-{n}", "kind": "LISTING"}],
            "relations": [{"kind": "SHIPS_FROM", "from": f"seller-{n}", "to": "hub"}],
        })
        cases.append((f"seller-{n}", VisibilityClass("acme", marking, frozenset(shared)),
                      instant(clock.now)))
    for org_id, _ in CALLERS:
        principal, _ = services.issue_token(services.find_org(org_id), "investigator")
        scope = services.scope_for(principal).at(at)
        seen = services.store.entities_by_id(scope, [eid for eid, _, _ in cases])
        rels = services.store.relations_of(scope, "hub", "IN", None, 100, None, True)
        ends = {r.source for r in rels.items}
        for eid, vc, reported in cases:
            expected = scope.sees_reported(vc, reported)
            assert (eid in seen) is expected, (eid, org_id)
            assert (eid in ends) is expected, (eid, org_id)
        assert seen and len(seen) < len(cases)
