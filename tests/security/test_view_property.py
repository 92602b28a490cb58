"""Property: for random small sets of reports over a fixed id pool — random reporters,
markings, sharedWith, confidences, statuses and regions — every query of a random
caller answers exactly as on a store loaded with only the reports that caller may
read (DESIGN.md "view equivalence")."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_api.access import VisibilityClass, may_see
from graph_api.model import Marking
from graph_api.services import Services
from tests.security.support import make_scopes, open_services
from tests.security.test_leak_matrix import ENTITY, PATH
from tests.support import gql

POOL = {
    "s1": "SELLER", "s2": "SELLER", "s3": "SELLER",
    "f1": "STOREFRONT", "f2": "STOREFRONT",
    "l1": "LISTING", "l2": "LISTING", "l3": "LISTING",
    "w1": "WAREHOUSE", "w2": "WAREHOUSE", "x1": "FACTORY",
    "b1": "BRAND", "r1": "RING", "p1": "IDENTIFIER", "p2": "IDENTIFIER",
}
PHONES = {"p1": "+44 20 7946 0001", "p2": "+44 20 7946 0002"}
RELATIONS = [
    ("OPERATES", "s1", "f1"), ("OPERATES", "s2", "f2"), ("OPERATES", "s3", "f2"),
    ("OPERATES", "s1", "w1"), ("LISTS", "f1", "l1"), ("LISTS", "f1", "l2"),
    ("LISTS", "f2", "l3"), ("INFRINGES", "l1", "b1"), ("INFRINGES", "l2", "b1"),
    ("INFRINGES", "l3", "b1"), ("SHIPS_FROM", "l1", "w1"), ("SHIPS_FROM", "l2", "w2"),
    ("SHIPS_FROM", "l3", "w1"), ("SHIPS_FROM", "f2", "w2"), ("SUPPLIED_BY", "w1", "x1"),
    ("SUPPLIED_BY", "w2", "w1"), ("SUPPLIED_BY", "w2", "x1"), ("MEMBER_OF", "s1", "r1"),
    ("MEMBER_OF", "s2", "r1"), ("USES", "s1", "p1"), ("USES", "s2", "p1"),
    ("USES", "s3", "p2"), ("USES", "f1", "p2"), ("USES", "w1", "p1"),
    ("ASSOCIATED_WITH", "s1", "s3"),
]
ORG_IDS = ["acme", "rival", "bazaar", "police"]
REGIONS = [None, "Pearl River Delta", "Fujian"]
STATUSES = {"SELLER": [None, "ACTIVE", "BANNED"], "STOREFRONT": [None, "OPEN", "CLOSED"],
            "LISTING": [None, "LIVE", "DELISTED"], "WAREHOUSE": [None, "OPERATING", "RAIDED"]}


@st.composite
def reports(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for n in range(draw(st.integers(1, 7))):
        reporter = draw(st.sampled_from(ORG_IDS))
        rels = draw(st.lists(st.sampled_from(RELATIONS), max_size=6, unique=True))
        ids = set(draw(st.lists(st.sampled_from(sorted(POOL)), max_size=4)))
        ids |= {end for _, a, b in rels for end in (a, b)}
        if not ids:
            ids = {"l1"}
        entities = []
        for eid in sorted(ids):
            kind = POOL[eid]
            entity: dict[str, Any] = {"id": eid, "kind": kind}
            if kind == "IDENTIFIER":
                entity.update(identifierKind="PHONE", value=PHONES[eid])
            else:
                entity["region"] = draw(st.sampled_from(REGIONS))
                entity["status"] = draw(st.sampled_from(STATUSES.get(kind, [None])))
                if draw(st.booleans()):
                    entity["properties"] = {"note": draw(st.sampled_from(["a", "b"])),
                                            "by": reporter}
            entities.append(entity)
        out.append({
            "reportId": f"r{n}",
            "reportedBy": reporter,
            "source": "OSINT",
            "confidence": draw(st.sampled_from([0.3, 0.6, 0.9])),
            "marking": draw(st.sampled_from([m.value for m in Marking])),
            "sharedWith": draw(st.lists(st.sampled_from(ORG_IDS), max_size=2, unique=True)),
            "entities": entities,
            "relations": [{"kind": k, "from": a, "to": b,
                           "confidence": draw(st.sampled_from([None, 0.5, 0.95]))}
                          for k, a, b in rels],
        })
    return out


def load(services: Services, lines: list[dict[str, Any]]) -> None:
    scopes = make_scopes(services)
    for line in lines:
        raw = {k: v for k, v in line.items() if k != "reportedBy"}
        services.submit_report(scopes[line["reportedBy"]], raw)


def visible(lines: list[dict[str, Any]], services: Services, caller: str) -> list[dict[str, Any]]:
    org = services.store.org(caller)
    assert org is not None
    return [line for line in lines if may_see(
        VisibilityClass(line["reportedBy"], Marking(line["marking"]),
                        frozenset(line["sharedWith"]) - {line["reportedBy"]}),
        org.id, org.type)]


QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("query($id: ID!) { entity(id: $id) { %s } }" % ENTITY, {"id": eid}) for eid in POOL
] + [
    ("""query($k: EntityKind, $s: String, $r: String, $st: String, $n: Int, $a: String) {
        entities(kind: $k, search: $s, region: $r, status: $st, first: $n, after: $a) {
        totalCount edges { cursor node { id name region status properties confidence } }
        pageInfo { hasNextPage endCursor } } }""", {}),
]


def entities_variables() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "k": st.sampled_from([None, "SELLER", "LISTING", "WAREHOUSE", "IDENTIFIER"]),
        "s": st.sampled_from([None, "a", "b", "acme", "s", "w"]),
        "r": st.sampled_from(REGIONS),
        "st": st.sampled_from([None, "BANNED", "LIVE", "RAIDED"]),
        "n": st.integers(0, 4),
        "a": st.sampled_from([None, "WyJsMSJd", "WyJzMiJd", "WyJ3MSJd"]),  # ["l1"] ["s2"] ["w1"]
    })


ANALYTICS = """query($a: ID!, $b: ID!, $d: Int, $c: Float, $h: Int, $l: Int) {
  traceToSource(from: $a, maxDepth: $d, minConfidence: $c) { origin { id }
    sources { entity { id } score depth paths { %(path)s } } }
  network(seeds: [$a, $b], maxHops: $h, minConfidence: $c, limit: $l) { truncated
    nodes { id confidence } relations { id kind confidence } }
  connections(from: $a, to: $b, maxHops: $h) { %(path)s }
  linkedEntities(id: $a, maxHops: $h) { entity { id } sharedIdentifiers { id value }
    path { %(path)s } }
  topSources(first: 20) { entity { id } score }
  brand: topSources(brand: "b1", first: 20) { entity { id } score }
  rings(minSize: 1) { id size members { id } keyPlayers { entity { id } score } sources { id }
    regions knownRing { id } }
  hotspots(first: 5) { totalListings regions { region listings sources share cumulativeShare } }
}""" % {"path": PATH}


def analytics_variables() -> st.SearchStrategy[dict[str, Any]]:
    ids = st.sampled_from(sorted(POOL) + ["nope"])
    return st.fixed_dictionaries({
        "a": ids, "b": ids, "d": st.integers(1, 6), "c": st.sampled_from([0.0, 0.5, 0.9]),
        "h": st.integers(1, 4), "l": st.sampled_from([1, 3, 2000]),
    })


def twin_stores(tmp: Path, lines: list[dict[str, Any]], caller: str) -> tuple[Services, Services]:
    full = open_services(tmp / "full")
    load(full, lines)
    own = open_services(tmp / "own", keys_from=tmp / "full")
    load(own, visible(lines, full, caller))
    return full, own


def same(full: Services, own: Services, scope: Any, query: str, variables: dict[str, Any]) -> None:
    a, b = gql(full, scope, query, variables), gql(own, scope, query, variables)
    assert a == b, f"{variables}\nfull: {a}\nown:  {b}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=reports(), caller=st.sampled_from(ORG_IDS), data=st.data())
def test_random_reports_random_queries_view_equivalence(
    lines: list[dict[str, Any]], caller: str, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        full, own = twin_stores(Path(tmp), lines, caller)
        try:
            scope = make_scope(full, caller)
            for query, variables in QUERIES[:-1]:
                same(full, own, scope, query, variables)
            for _ in range(3):
                same(full, own, scope, QUERIES[-1][0], data.draw(entities_variables()))
                same(full, own, scope, ANALYTICS, data.draw(analytics_variables()))
        finally:
            full.close()
            own.close()


def make_scope(services: Services, caller: str) -> Any:
    principal = services.store.principal(f"p-{caller}-investigator")
    assert principal is not None
    return services.scope_for(principal)
