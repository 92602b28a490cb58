"""``@asOf(at:)``: a query answered as of a time equals the same query on a store rebuilt
from only the reports and workflow operations up to that time, on both stores.

One world of steps at given times (two in the same instant, one report parsed before
a later one and committed after it, a sweep days later): store H runs them all;
for each cut time T, store R_T runs, in the same order, only the steps of time <= T,
its clock then set to T. Every caller asks H with ``@asOf(at: T)`` and R_T without,
the same documents: answers (data, errors, cursors, counts, timelines) must be
equal. Asked of H first, then R_T built (on Neo4j, one database: H is gone then).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph_api.config import Settings
from graph_api.keyfiles import SECRET_FILES, database_folder
from graph_api.services import Services
from graph_api.workflow import cases as wf_cases
from graph_api.workflow import notices as wf_notices
from graph_api.workflow import publication as wf_publication
from graph_api.workflow import rights as wf_rights
from graph_api.workflow import start_workflow
from graph_api.workflow import testbuys as wf_testbuys
from graph_api.workflow.sweep import sweep
from tests.conftest import OLD_NOTICES, FixedClock, neo4j_settings
from tests.security.support import Ids, Scopes, make_scopes, report
from tests.security.test_leak_matrix import CASE, ENTITY, NOTICE, TEST_BUY
from tests.support import gql
from tests.workflow.support import marketplace

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SHA = "b" * 64
CALLERS = ("acme", "rival", "police", "bazaar")
TIMELINE = ("history: timeline(first: 200) {"  # ENTITY asks timeline(first: 1000) already
            " at kind summary marking reportedBy { id } recordId cursor }")


@dataclass(frozen=True)
class Step:
    at: datetime  # the time its reports and records are written at
    run: Callable[[Services, Scopes, FixedClock], None]


def _chain(services: Services, s: Scopes, clock: FixedClock) -> None:
    report(services, s["acme"], "acme-chain", "AMBER", [
        {"id": "listing-1", "kind": "LISTING"}, {"id": "listing-2", "kind": "LISTING"},
        {"id": "wh-1", "kind": "WAREHOUSE", "name": "Putian 3", "region": "Pearl River Delta"},
        {"id": "fac-1", "kind": "FACTORY", "name": "Sole Works", "region": "Fujian"},
    ], [
        {"kind": "SHIPS_FROM", "from": "listing-1", "to": "wh-1", "confidence": 0.9},
        {"kind": "SHIPS_FROM", "from": "listing-2", "to": "wh-1", "confidence": 0.6},
        {"kind": "SUPPLIED_BY", "from": "wh-1", "to": "fac-1", "confidence": 0.8},
    ])


def _rival_red(services: Services, s: Scopes, clock: FixedClock) -> None:
    """In the same instant as Acme's chain."""
    report(services, s["rival"], "rival-red", "RED", [
        {"id": "wh-1", "kind": "WAREHOUSE", "name": "SECRET NAME", "status": "CLOSED"},
        {"id": "wh-9", "kind": "WAREHOUSE", "region": "Secret Region"},
        {"id": "listing-3", "kind": "LISTING"},
    ], [{"kind": "SHIPS_FROM", "from": "listing-3", "to": "wh-9"}], confidence=0.7)


def _notice(services: Services, s: Scopes, clock: FixedClock) -> None:
    wf_notices.file_notice(services, s["acme"], ["listing-1", "listing-2"], "fake sneakers")


def _test_buy(services: Services, s: Scopes, clock: FixedClock) -> None:
    wf_testbuys.record_test_buy(services, s["acme"], "listing-1", "COUNTERFEIT",
                                clock.now - timedelta(days=1), "wh-1",
                                [{"kind": "parcel", "sha256": SHA}])


def _raid(services: Services, s: Scopes, clock: FixedClock) -> None:
    report(services, s["police"], "police-raid", "AMBER", [
        {"id": "fac-1", "kind": "FACTORY", "status": "RAIDED"}], [],
        shared_with=["acme"], source="LAW_ENFORCEMENT")
    wf_cases.open_case(services, s["police:liaison"], "Putian ring", ["wh-1", "fac-1"],
                       "AMBER_STRICT", ["acme"])


def _uphold_one(services: Services, s: Scopes, clock: FixedClock) -> None:
    notice = _only_notice(services, s)
    wf_notices.decide_listings(services, s["bazaar:reviewer"], notice, ["listing-1"], True,
                               "counterfeit confirmed")


def _late_parse(services: Services, s: Scopes, clock: FixedClock) -> None:
    """A report parsed now, committed after the next step's (an import's race)."""
    late = services.parse(s["rival"], {
        "reportId": "rival-late", "source": "OSINT", "confidence": 0.6, "marking": "GREEN",
        "entities": [{"id": "listing-3", "kind": "LISTING", "name": "late name"}],
        "relations": [],
    })
    services.__dict__["_late"] = late


def _rename(services: Services, s: Scopes, clock: FixedClock) -> None:
    report(services, s["rival"], "rival-green", "GREEN", [
        {"id": "seller-1", "kind": "SELLER", "name": "Renamed"},
        {"id": "listing-3", "kind": "LISTING", "name": "rival's name"},
        {"id": "listing-4", "kind": "LISTING"}, {"id": "wh-1", "kind": "WAREHOUSE"}],
        [{"kind": "SHIPS_FROM", "from": "listing-4", "to": "wh-1", "confidence": 0.5}])
    late = services.__dict__.pop("_late", None)
    if late is not None:
        services.commit_report(s["rival"], late)


def _late_commit(services: Services, s: Scopes, clock: FixedClock) -> None:
    """Where the late report stands when the step after it is not replayed."""
    late = services.__dict__.pop("_late", None)
    if late is not None:
        services.commit_report(s["rival"], late)


def _counter(services: Services, s: Scopes, clock: FixedClock) -> None:
    wf_notices.counter_notice(services, s["bazaar:reviewer"], _only_notice(services, s),
                              ["listing-1"], "genuine after all")


def _right(services: Services, s: Scopes, clock: FixedClock) -> None:
    right = wf_rights.register_right(services, s["acme"], "TRADEMARK", "EU-1", "EU", ["25"],
                                     T0 + timedelta(days=2), [{"kind": "cert", "sha256": SHA}],
                                     [])
    wf_rights.verify_right(services, s["bazaar:reviewer"], right["id"], True, "checked")


def _sweep(services: Services, s: Scopes, clock: FixedClock) -> None:
    sweep(services, clock.now)


def _reverse(services: Services, s: Scopes, clock: FixedClock) -> None:
    wf_notices.decide_listings(services, s["bazaar:reviewer"], _only_notice(services, s),
                               ["listing-1"], False, "seller proved it genuine")
    wf_publication.publish(services, s["bazaar:reviewer"], "seller-2", "BANNED", "repeat")


def _only_notice(services: Services, s: Scopes) -> str:
    found = wf_notices_list(services, s)
    assert len(found) == 1, found
    return found[0]


def wf_notices_list(services: Services, s: Scopes) -> list[str]:
    answer = gql(services, s["bazaar"], "{ notices(first: 10) { id } }")
    return [n["id"] for n in answer["data"]["notices"]]


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


LATER = T0 + timedelta(days=4)
# (step, name): steps run in this order; a step's time is when it writes.
STEPS = [
    Step(minutes(0), lambda sv, s, c: marketplace(sv, s)),
    Step(minutes(1), _chain),
    Step(minutes(1), _rival_red),
    Step(minutes(2), _notice),
    Step(minutes(3), _test_buy),
    Step(minutes(4), _raid),
    Step(minutes(5), _uphold_one),
    Step(minutes(6.5), _late_parse),
    Step(minutes(7), _rename),
    Step(minutes(6.5), _late_commit),  # replayed only where _rename is not
    Step(minutes(8), _counter),
    Step(minutes(9), _right),
    Step(LATER, _sweep),
    Step(LATER + timedelta(hours=1), _reverse),
]
CUTS = [minutes(0) - timedelta(microseconds=1), minutes(1), minutes(2.5), minutes(5),
        minutes(6.75), minutes(8), LATER, LATER + timedelta(hours=2)]


def queries(world: Services, s: Scopes) -> list[tuple[str, dict[str, Any]]]:
    """What each caller asks: entities, analytics, the workflow's reads."""
    out: list[tuple[str, dict[str, Any]]] = [
        ("""{ entities(first: 100) { totalCount edges { cursor node { id kind name region status
               confidence } } pageInfo { hasNextPage endCursor } }
             kinds: entities(kind: LISTING, first: 2) { totalCount edges { cursor node { id } } }
             search: entities(search: "name", first: 10) { totalCount edges { node { id } } }
             hotspots(first: 10) { totalListings regions { region listings share } }
             topSources(first: 5) { entity { id } score }
             rings(minSize: 2) { size members { id } }
             chokepoints(first: 5) { cut entity { id } listings { id } }
             me { id } }""", {}),
        ("""{ notices(first: 100) { %s } noticeStats { filed open upheld reversed refuted }
             penalties(entity: "listing-1") { id kind liftedAt appliedAt }
             sellerPenalties: penalties(entity: "seller-1") { id kind liftedAt }
             publications(first: 50) { id status publishedAt entity { id } }
             nameAndShame { id name status } testBuys(first: 50) { %s }
             cases { %s } alerts(first: 50) { id kind raisedAt subject { id } }
             rights { id status } appeals { id status }
             notifierStats { org { id } notices upheld reversed trusted } }"""
         % (NOTICE, TEST_BUY, CASE), {}),
    ]
    for eid in ("listing-1", "listing-3", "wh-1", "fac-1", "seller-1", "seller-2"):
        out.append(("query($id: ID!) { entity(id: $id) { %s %s } }" % (ENTITY, TIMELINE),
                    {"id": eid}))
    out.append(("""query($id: ID!) { traceToSource(from: $id) { sources { entity { id }
                 score depth } } network(seeds: [$id], maxHops: 3) { nodes { id status }
                 relations { id confidence } } }""", {"id": "listing-1"}))
    return out


def as_of(query: str) -> str:
    """The same query asked ``@asOf($asOf)``."""
    head, _, body = query.partition("{")
    head = head.strip()
    if head.startswith("query("):
        head = head[: -1] + ", $asOf: DateTime!)"
    else:
        head = "query($asOf: DateTime!)"
    return f"{head} @asOf(at: $asOf) {{{body}"


def open_world(kind: str, folder: Path, keys_from: Path | None, clock: FixedClock) -> Services:
    folder.mkdir(parents=True, exist_ok=True)
    if keys_from is not None:
        source, target = database_folder(keys_from / "graph.db"), database_folder(
            folder / "graph.db")
        target.mkdir(exist_ok=True)
        for name in SECRET_FILES:
            if (source / name).exists():
                shutil.copy(source / name, target / name)
    settings = (neo4j_settings(folder) if kind == "neo4j"
                else Settings(db=folder / "graph.db", notice_rights=OLD_NOTICES))
    services = start_workflow(Services.open(settings, clock=clock))
    if kind == "neo4j":
        services.store.reset()  # type: ignore[attr-defined]
    return services


def build(kind: str, folder: Path, keys_from: Path | None, ids: Ids, label: str,
          upto: datetime | None) -> tuple[Services, Scopes, FixedClock]:
    clock = FixedClock(T0)
    services = open_world(kind, folder, keys_from, clock)
    scopes = make_scopes(services)
    replayed = [i for i, step in enumerate(STEPS) if upto is None or step.at <= upto]
    if upto is not None and any(STEPS[i].run is _rename for i in replayed):
        replayed = [i for i in replayed if STEPS[i].run is not _late_commit]
    for i in replayed:
        clock.now = STEPS[i].at
        with ids.at(label, f"step-{i}"):
            STEPS[i].run(services, scopes, clock)
    if upto is not None:
        clock.now = upto
    return services, scopes, clock


@pytest.fixture
def ids(monkeypatch: pytest.MonkeyPatch) -> Ids:
    ids = Ids()
    monkeypatch.setattr(uuid, "uuid4", ids)
    return ids


def test_as_of_equals_the_store_rebuilt_up_to_then(
    tmp_path: Path, store_kind: str, ids: Ids
) -> None:
    history, scopes, clock = build(store_kind, tmp_path / "history", None, ids, "H", None)
    clock.now = LATER + timedelta(days=30)  # asked long after
    asked = {}
    for cut in CUTS:
        for caller in CALLERS:
            for n, (query, variables) in enumerate(queries(history, scopes)):
                with ids.at("H", f"ask-{n}"):
                    asked[(cut, caller, n)] = gql(history, scopes[caller], as_of(query),
                                                  {**variables, "asOf": cut.isoformat()})
    history.close()
    seen_workflow = seen_timeline = 0
    for k, cut in enumerate(CUTS):
        rebuilt, _, _ = build(store_kind, tmp_path / f"cut-{k}", tmp_path / "history", ids,
                              f"R{k}", cut)
        try:
            for caller in CALLERS:
                for n, (query, variables) in enumerate(queries(rebuilt, scopes)):
                    with ids.at(f"R{k}", f"ask-{n}"):
                        expected = gql(rebuilt, scopes[caller], query, variables)
                    got = asked[(cut, caller, n)]
                    assert got == expected, (
                        f"{caller} as of {cut.isoformat()} differs from the store rebuilt then"
                        f"\nquery: {query}\nvariables: {variables}\nas of: {got}\n"
                        f"rebuilt: {expected}")
                    data = expected.get("data") or {}
                    seen_workflow += bool(data.get("notices"))
                    entity = data.get("entity") or {}
                    seen_timeline += len(entity.get("history") or ())
        finally:
            rebuilt.close()
    assert seen_workflow and seen_timeline > 20  # the cuts saw notices and timelines
