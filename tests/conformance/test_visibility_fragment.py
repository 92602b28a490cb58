"""The Cypher visibility fragment answers exactly as access.may_see, case by case."""

from __future__ import annotations

import itertools

import pytest

from graph_api.access import VisibilityClass, may_see
from graph_api.model import Marking, OrgType
from graph_api.services import Services
from tests.conftest import MakeServices

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
