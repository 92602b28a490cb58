"""The feed folded report by report equals the feed built at once (both stores): same
positions, same create positions, same order; a relation appears where its later end
became visible; dates added strictly increase."""

from __future__ import annotations

from graph_api.access import Scope
from graph_api.export.stix_mapping import relation_stix_id, stix_id
from graph_api.model import EntityKind, Marking, relation_id
from graph_api.services import Services
from graph_api.taxii.feed import Feed


def _state(feed: Feed) -> list[tuple[int, int, str]]:
    return [(e.position, e.created, sid) for (_, sid), e in feed.after(None)]


def test_folding_report_by_report_equals_folding_at_once(
        services: Services, orgs: dict[str, Scope]) -> None:
    acme, rival = orgs["acme"], orgs["rival"]
    op = {k: services.operator_scope(services.find_org(k)) for k in orgs}
    steps = [
        (op["rival"], "RED", [("s1", "SELLER"), ("w1", "WAREHOUSE")], []),
        (op["acme"], "GREEN", [("s2", "SELLER"), ("f1", "STOREFRONT")],
         [("s2", "OPERATES", "f1")]),
        (op["rival"], "GREEN", [], [("s1", "OPERATES", "f1")]),  # s1 not visible to acme yet
        (op["bazaar"], "GREEN", [("s2", "SELLER")], []),  # an update
        (op["rival"], "GREEN", [("s1", "SELLER")], []),  # s1 visible: its relation appears
        (op["acme"], "AMBER", [("w1", "WAREHOUSE")], [("s2", "OPERATES", "w1")]),
    ]
    folded = {org: Feed(scope) for org, scope in (("acme", acme), ("rival", rival))}
    for n, (who, marking, entities, relations) in enumerate(steps):
        services.submit_report(who, {
            "reportId": f"r{n}", "source": "OSINT", "confidence": 0.5, "marking": marking,
            "entities": [{"id": e, "kind": k} for e, k in entities],
            "relations": [{"kind": k, "from": s, "to": t} for s, k, t in relations],
        })
        for feed in folded.values():
            feed.refresh(services.store)
    for org, scope in (("acme", acme), ("rival", rival)):
        at_once = Feed(scope)
        assert at_once.refresh(services.store)
        assert _state(folded[org]) == _state(at_once), org
        assert not at_once.refresh(services.store)
    feed = folded["acme"]
    times = feed.times
    assert all(a < b for a, b in zip(times, times[1:], strict=False))
    s1_f1 = feed.at(relation_stix_id(relation_id("s1", "OPERATES", "f1")))
    assert s1_f1 is not None and s1_f1.created == s1_f1.position == 4  # acme's 4th report
    assert feed.at(stix_id(EntityKind.WAREHOUSE, "w1")) is not None  # acme's AMBER
    s2 = feed.at(stix_id(EntityKind.SELLER, "s2"))
    assert s2 is not None and (s2.created, s2.position) == (1, 3)
    w1 = folded["rival"].at(stix_id(EntityKind.WAREHOUSE, "w1"))
    assert w1 is not None and w1.position == 1  # acme's AMBER never moves it for rival
    capped = Feed(acme.capped(Marking.GREEN))
    capped.refresh(services.store)
    assert capped.at(stix_id(EntityKind.WAREHOUSE, "w1")) is None
    assert capped.at(relation_stix_id(relation_id("s2", "OPERATES", "w1"))) is None
