"""Non-interference, proven by a stateful two-world test (issue 18, "The proof").

For an observing org C (every brand and the regulator), a hypothesis state
machine drives two services side by side. World A receives every operation;
world B only those whose facts C may see (DESIGN.md "Derived facts: nothing
computed may widen an audience"):

- both worlds: reports C may read (C's own under every marking, others' CLEAR,
  GREEN, shared with C, AMBER when C is the regulator); notices C may see and
  all that is done to them (filing and withdrawal by their brand, the platform
  reviewer's refutations, decisions, per-listing decisions and counter-notices);
  rights C may see and their verification; appeals of strikes C's own ledger
  holds and their decisions; the deadline sweep with both clocks moved alike;
  test buys and cases C may see with their outcomes; C's own reads and exports;
  the platform's explicit ``publish`` acts (the only widening the design allows;
  the publication policy is off);
- world A only: other orgs' RED and AMBER_STRICT reports (AMBER when C is a
  brand), other brands' notices, rights and test buys C may not see and all
  that is done to them, appeals of penalties C's ledger does not hold, cases
  not shared with C, other orgs' reads and exports (each an audit record).

After each step C's investigator asks the battery (``noninterference_battery``:
every root query field of the served schema, its arguments drawn from the pool
and from the notices, cases and test buys made so far, hidden ones included),
C's admin asks the audit log, and C's ``alertRaised`` subscriber (in process, on
strawberry's subscription path, as the WebSocket runs it) is drained: every
answer and event must be equal in both worlds. A difference fails with the
steps, the field, the query and both answers; hypothesis shrinks the steps.

``GRAPH_API_NONINTERFERENCE_EXAMPLES`` (default 100), ``..._STEPS`` (25) and
``..._NEO4J_EXAMPLES`` (5) size a run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse, validate
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from graph_api.api.schema import build_schema
from graph_api.workflow import sweep
from graph_api.workflow.appeals import local_penalty_id
from graph_api.workflow.sweep import expire
from tests.conftest import NEO4J_URI
from tests.security import noninterference_ops as ops
from tests.security.noninterference_battery import (
    ADMIN,
    ADMIN_SELECTIONS,
    BATTERY,
    SELECTIONS,
    Selection,
    Subscriber,
    document,
    documents,
    explain,
)
from tests.security.noninterference_world import OBSERVERS, World, open_world, right_input, sees
from tests.security.support import ORDERED_AT, Ids
from tests.support import codes

EXAMPLES = int(os.environ.get("GRAPH_API_NONINTERFERENCE_EXAMPLES", "100"))
STEPS = int(os.environ.get("GRAPH_API_NONINTERFERENCE_STEPS", "25"))
CONTROL_EXAMPLES = 5
NEO4J_EXAMPLES = int(os.environ.get("GRAPH_API_NONINTERFERENCE_NEO4J_EXAMPLES", "5"))
ARCADEDB_HTTP = os.environ.get("GRAPH_API_TEST_ARCADEDB_HTTP")


@dataclass(frozen=True)
class Made:
    """A notice, right, case or appeal made in world A, and whether C may see it."""

    id: str
    owner: str
    marking: str
    visible: bool


def _pick(items: list[str], index: int) -> str:
    return items[index % len(items)]


class NonInterference(RuleBasedStateMachine):
    def __init__(self, ids: Ids, folder: Path, store: str = "memory",
                 databases: tuple[str, str] | None = None, control: bool = False) -> None:
        """``control``: world B receives every operation too (the harness's own check)."""
        super().__init__()
        ids.counters.clear()
        self.ids, self.store, self.databases, self.control = ids, store, databases, control
        self.folder = Path(tempfile.mkdtemp(prefix="example-", dir=folder))
        self.worlds: list[World] = []
        self.subscribers: list[Subscriber] = []
        self.observer = ""
        self.step = 0
        self.trace: list[str] = []
        self.notices: list[Made] = []
        self.rights: list[Made] = []
        self.cases: list[Made] = []
        self.appeals: list[Made] = []
        self.buys: list[str] = []
        self.held: set[str] = set()  # the penalties of C's own ledger (local ids)
        self.cursors: list[str] = []  # the cursors of C's last page of entities
        self.audit_seen = 0  # the last audit record C's admin was shown

    @property
    def a(self) -> World:
        return self.worlds[0]

    @property
    def b(self) -> World:
        return self.worlds[1]

    @initialize(observer=st.sampled_from(OBSERVERS), probe=ops.probes)
    def open_worlds(self, observer: str, probe: int) -> None:
        self.observer = observer
        names = self.databases or (None, None)
        self.worlds.append(open_world("A", self.folder / "a", self.ids, self.store, names[0]))
        self.worlds.append(open_world("B", self.folder / "b", self.ids, self.store, names[1],
                                      keys_from=self.folder / "a"))
        assert self.a.services.secret == self.b.services.secret
        assert self.a.rights == self.b.rights
        for world in self.worlds:
            with self.ids.at(world.label, "subscribe"):
                subscriber = Subscriber(world.services, world.scopes[observer])
            world.opened.append(subscriber)
            self.subscribers.append(subscriber)
        self.trace.append(f"0. C = {observer}; both worlds hold the marketplace and each "
                          "brand's verified trademark")
        self.check(probe)

    def teardown(self) -> None:
        for world in self.worlds:
            world.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def sees(self, owner: str, marking: str, shared: list[str] | None = None) -> bool:
        """Whether C may see what ``owner`` made under ``marking`` and ``shared``."""
        return self.control or sees(self.observer, owner, marking, shared or [])

    def run(self, who: str, query: str, variables: dict[str, Any], visible: bool,
            what: str) -> dict[str, Any]:
        """One operation by ``who``: in A, and in B when C may see what it leaves.
        C's own operations answer C alike in both; any other visible one must at
        least succeed or fail alike (the worlds agree on everything C may see)."""
        visible = visible or self.control
        self.step += 1
        phase = f"step-{self.step}"
        self.trace.append(f"{self.step}. {what} [{'both worlds' if visible else 'A only'}]")
        in_a = self.a.ask(phase, who, query, variables)
        event(f"{query.split('(')[0].split('{')[0].strip()}: {','.join(codes(in_a)) or 'ok'}")
        if visible:
            in_b = self.b.ask(phase, who, query, variables)
            if who.split(":")[0] == self.observer:
                self.same(f"the answer to its own operation {what}", query, variables,
                          in_a, in_b)
            else:
                self.same(f"the outcome of {what}", query, variables,
                          {"codes": codes(in_a)}, {"codes": codes(in_b)})
        return in_a

    # -- intelligence ------------------------------------------------------------------
    @rule(reporter=ops.reporters, tlp=ops.marking_and_sharing(), body=ops.report_inputs(),
          probe=ops.probes)
    def report(self, reporter: str, tlp: tuple[str, list[str]], body: dict[str, Any],
               probe: int) -> None:
        marking, shared = tlp
        raw = {"reportId": f"r-{self.step + 1}", "marking": marking, **body}
        if shared:
            raw["sharedWith"] = shared
        names = ",".join(e["id"] for e in body["entities"])
        rels = ",".join(f"{r['from']}-{r['kind']}->{r['to']}" for r in body["relations"])
        self.run(reporter, ops.SUBMIT, {"r": raw}, self.sees(reporter, marking, shared),
                 f"{reporter} reports {marking}{f' shared with {shared}' if shared else ''}: "
                 f"{names} {rels}")
        self.check(probe)

    @rule(buyer=ops.buyers, listing=st.sampled_from(ops.BASE_LISTINGS),
          shipped=st.sampled_from([None, "w1", "w2"]),
          result=st.sampled_from(["COUNTERFEIT", "GENUINE", "INCONCLUSIVE"]),
          marking=st.sampled_from(ops.MARKINGS), probe=ops.probes)
    def test_buy(self, buyer: str, listing: str, shipped: str | None, result: str,
                 marking: str, probe: int) -> None:
        buy = {"listing": listing, "result": result, "orderedAt": ORDERED_AT,
               "shippedFrom": shipped, "marking": marking,
               "evidence": [{"kind": "parcel", "sha256": "c" * 64}]}
        answer = self.run(buyer, ops.BUY, {"i": buy}, self.sees(buyer, marking),
                          f"{buyer} records a {marking} {result} test buy of {listing}"
                          f"{f' shipped from {shipped}' if shipped else ''}")
        if answer.get("data"):
            self.buys.append(answer["data"]["recordTestBuy"]["id"])
        self.check(probe)

    @rule(read=ops.other_reads, probe=ops.probes)
    def someone_reads(self, read: tuple[str, str], probe: int) -> None:
        who, query = read
        self.run(who, query, {}, who.split(":")[0] == self.observer, f"{who} reads {query}")
        self.check(probe)

    # -- rights and notices --------------------------------------------------------------
    @rule(holder=ops.right_holders, shared=ops.sharing, probe=ops.probes)
    def register_right(self, holder: str, shared: list[str], probe: int) -> None:
        visible = self.sees(holder, "AMBER", shared)  # holder, PLATFORM, REGULATOR, sharedWith
        answer = self.run(holder, ops.REGISTER, {"i": right_input(holder, shared)}, visible,
                          f"{holder} registers a right shared with {shared}")
        if answer.get("data"):
            self.rights.append(Made(answer["data"]["registerRight"]["id"], holder, "AMBER",
                                    visible))
        self.check(probe)

    @precondition(lambda self: self.rights)
    @rule(n=ops.indexes, verified=st.booleans(), probe=ops.probes)
    def verify_right(self, n: int, verified: bool, probe: int) -> None:
        right = self.rights[n % len(self.rights)]
        self.run("bazaar:reviewer", ops.VERIFY, {"id": right.id, "ok": verified}, right.visible,
                 f"bazaar {'verifies' if verified else 'rejects'} {right.owner}'s right")
        self.check(probe)

    @rule(filer=ops.brands, listings=ops.listings, marking=st.sampled_from(ops.MARKINGS),
          reason=ops.reasons, probe=ops.probes)
    def file_notice(self, filer: str, listings: list[str], marking: str, reason: str,
                    probe: int) -> None:
        visible = self.sees(filer, marking)
        notice = {"listings": listings, "grounds": "fakes", "marking": marking,
                  "rights": [self.a.rights[filer]], "reasonCode": reason}
        answer = self.run(filer, ops.FILE, {"i": notice}, visible,
                          f"{filer} files a {marking} notice on {listings}")
        if answer.get("data"):
            self.notices.append(Made(answer["data"]["fileNotice"]["id"], filer, marking, visible))
        self.check(probe)

    def notice(self, n: int) -> Made:
        return self.notices[n % len(self.notices)]

    @precondition(lambda self: self.notices)
    @rule(n=ops.indexes, probe=ops.probes)
    def withdraw_notice(self, n: int, probe: int) -> None:
        notice = self.notice(n)
        self.run(notice.owner, ops.WITHDRAW, {"id": notice.id}, notice.visible,
                 f"{notice.owner} withdraws its {notice.marking} notice {notice.id}")
        self.check(probe)

    @precondition(lambda self: self.notices)
    @rule(n=ops.indexes, probe=ops.probes)
    def refute_notice(self, n: int, probe: int) -> None:
        notice = self.notice(n)
        self.run("bazaar:reviewer", ops.REFUTE, {"id": notice.id}, notice.visible,
                 f"bazaar refutes {notice.owner}'s {notice.marking} notice {notice.id}")
        self.check(probe)

    @precondition(lambda self: self.notices)
    @rule(n=ops.indexes, upheld=st.booleans(), probe=ops.probes)
    def decide_notice(self, n: int, upheld: bool, probe: int) -> None:
        notice = self.notice(n)
        self.run("bazaar:reviewer", ops.DECIDE, {"id": notice.id, "up": upheld}, notice.visible,
                 f"bazaar {'upholds' if upheld else 'reverses'} {notice.owner}'s "
                 f"{notice.marking} notice {notice.id}")
        self.check(probe)

    @precondition(lambda self: self.notices)
    @rule(n=ops.indexes, listings=ops.listings, upheld=st.booleans(), probe=ops.probes)
    def decide_listings(self, n: int, listings: list[str], upheld: bool, probe: int) -> None:
        notice = self.notice(n)
        self.run("bazaar:reviewer", ops.DECIDE_LISTINGS,
                 {"id": notice.id, "l": listings, "up": upheld}, notice.visible,
                 f"bazaar {'upholds' if upheld else 'reverses'} {listings} of "
                 f"{notice.owner}'s {notice.marking} notice {notice.id}")
        self.check(probe)

    @precondition(lambda self: self.notices)
    @rule(n=ops.indexes, listings=ops.listings, probe=ops.probes)
    def counter_notice(self, n: int, listings: list[str], probe: int) -> None:
        notice = self.notice(n)
        self.run("bazaar:reviewer", ops.COUNTER, {"id": notice.id, "l": listings},
                 notice.visible, f"bazaar records a counter-notice on {listings} of "
                 f"{notice.owner}'s {notice.marking} notice {notice.id}")
        self.check(probe)

    @rule(hours=ops.hours, probe=ops.probes)
    def sweep(self, hours: int, probe: int) -> None:
        """The server's deadline sweep, after ``hours`` on both clocks."""
        self.step += 1
        self.trace.append(f"{self.step}. {hours} h later, the sweep [both worlds]")
        for world in self.worlds:
            world.clock.now += timedelta(hours=hours)
            with self.ids.at(world.label, f"step-{self.step}"):
                sweep(world.services, world.clock.now)
                expire(world.services, world.clock.now)
        self.check(probe)

    # -- appeals -------------------------------------------------------------------------
    @precondition(lambda self: self.notices)
    @rule(n=ops.indexes, probe=ops.probes)
    def appeal_penalty(self, n: int, probe: int) -> None:
        """The reviewer records a seller's appeal against one of the platform's penalties
        (as they stand in A, the real world). It is C's business when C's own ledger holds
        the penalty: then only a STRIKE is appealed, the one penalty that the platform's
        ledger holds in A exactly when it does in B (a ladder step's level counts the
        notices the platform sees, which differ between the worlds by construction)."""
        read = self.run("bazaar:reviewer", ops.PLATFORM_PENALTIES, {}, False,
                        "bazaar reads its ledger's penalties")
        found = [p for notice in (read.get("data") or {}).get("notices") or []
                 for p in notice["penalties"] if p["liftedAt"] is None]
        open_ = [p for p in found if local_penalty_id(p["id"]) not in self.held
                 or p["kind"] == "STRIKE"]
        if open_:
            penalty = open_[n % len(open_)]
            visible = local_penalty_id(penalty["id"]) in self.held
            answer = self.run("bazaar:reviewer", ops.APPEAL_PENALTY, {"p": penalty["id"]},
                              visible, f"bazaar records an appeal of {penalty['id']}")
            if answer.get("data"):
                self.appeals.append(Made(answer["data"]["appealPenalty"]["id"], "bazaar",
                                         penalty["kind"], visible))
        self.check(probe)

    @precondition(lambda self: self.appeals)
    @rule(n=ops.indexes, upheld=st.booleans(), probe=ops.probes)
    def decide_appeal(self, n: int, upheld: bool, probe: int) -> None:
        appeal = self.appeals[n % len(self.appeals)]
        self.run("bazaar:reviewer", ops.DECIDE_APPEAL, {"id": appeal.id, "up": upheld},
                 appeal.visible, f"bazaar {'upholds' if upheld else 'rejects'} the appeal "
                 f"{appeal.id} of a {appeal.marking}")
        self.check(probe)

    # -- cases and publication -----------------------------------------------------------
    @rule(entities=ops.case_entities, tlp=ops.marking_and_sharing(), probe=ops.probes)
    def open_case(self, entities: list[str], tlp: tuple[str, list[str]], probe: int) -> None:
        marking, shared = tlp
        visible = self.sees("police", marking, shared)
        answer = self.run("police:liaison", ops.OPEN_CASE, {"i": {
            "title": "Operation", "entities": entities, "marking": marking,
            "sharedWith": shared}}, visible,
            f"police opens a {marking} case on {entities} shared with {shared}")
        if answer.get("data"):
            self.cases.append(Made(answer["data"]["openCase"]["id"], "police", marking, visible))
        self.check(probe)

    @precondition(lambda self: self.cases)
    @rule(n=ops.indexes, outcome=ops.outcomes, probe=ops.probes)
    def case_outcome(self, n: int, outcome: tuple[str, str | None], probe: int) -> None:
        case = self.cases[n % len(self.cases)]
        kind, entity = outcome
        self.run("police:liaison", ops.OUTCOME, {"id": case.id, "i": {
            "kind": kind, "entity": entity, "description": "done"}}, case.visible,
            f"police records a {kind} of {entity} in {case.marking} case {case.id}")
        self.check(probe)

    @precondition(lambda self: self.cases)
    @rule(n=ops.indexes, probe=ops.probes)
    def export_case(self, n: int, probe: int) -> None:
        case = self.cases[n % len(self.cases)]
        self.run("police:liaison", ops.EXPORT, {"id": case.id}, self.observer == "police",
                 f"police exports {case.marking} case {case.id}")
        self.check(probe)

    @rule(act=ops.publications, reason=st.sampled_from([None, "court order"]),
          probe=ops.probes)
    def publish(self, act: tuple[str, str], reason: str | None, probe: int) -> None:
        entity, status = act
        self.run("bazaar:reviewer", ops.PUBLISH, {"e": entity, "s": status, "r": reason}, True,
                 f"bazaar publishes {entity} {status}")
        self.check(probe)

    # -- what C observes -----------------------------------------------------------------
    def check(self, seed: int) -> None:
        events = [s.drain() for s in self.subscribers]
        self.same("the alertRaised events of its subscriber", "subscription alertRaised", None,
                  {"events": events[0]}, {"events": events[1]})
        values = self.resolve(ops.probe(seed))
        held: set[str] = set()
        for name, selections in documents(BATTERY).items():
            answer = self.ask(f"step-{self.step}-{name}", self.observer, name, selections,
                              values)
            held |= {local_penalty_id(p["id"]) for p in _penalties(answer.get("data"))}
            edges = ((answer.get("data") or {}).get("allEntities") or {}).get("edges") or []
            self.cursors = [e["cursor"] for e in edges] or self.cursors
        self.held = held
        values["auditSeen"] = self.audit_seen
        audit = self.ask(f"step-{self.step}-audit", f"{self.observer}:admin", "Audit", ADMIN,
                         values)
        records = (audit.get("data") or {}).get("auditLog") or []
        self.audit_seen = records[-1]["seq"] if records else self.audit_seen

    def ask(self, phase: str, who: str, name: str, selections: list[Selection],
            values: dict[str, Any]) -> dict[str, Any]:
        """Ask both worlds as ``who``; fail unless they answer alike. Returns A's answer."""
        query = document(name, selections)
        used = {v for s in selections for v in s.variables}
        variables = {k: v for k, v in values.items() if k in used}
        answers = [w.ask(phase, who, query, variables) for w in self.worlds]
        for answer in answers:
            refused = [e for e in answer.get("errors", []) if not e.get("path")]
            assert not refused, f"the battery itself was refused (it checks nothing): {refused}"
        self.same(f"{name} as {who}", query, variables, *answers, selections)
        if answers[0].get("data") is None and len(selections) > 1:
            # an error in a non-null field nulled the whole answer: each field alone
            for selection in selections:
                self.ask(f"{phase}-{selection.key}", who, name, [selection], values)
        return answers[0]

    def resolve(self, probe: dict[str, Any]) -> dict[str, Any]:
        """The probe's symbols as ids: pool entities (identifiers by pseudonym) and
        the notices, cases and test buys made so far, hidden ones included."""
        stored = self.a.entity_id
        notices = [n.id for n in self.notices] + ["ntc-missing"]
        cases = [c.id for c in self.cases] + ["case-missing"]
        nodes = [stored(e) for e in ops.ENTITY_IDS] + notices + cases + self.buys
        values = dict(probe)
        for key in ("e1", "from", "to", "penaltyOf"):
            values[key] = stored(probe[key])
        for key in ("seeds", "remove"):
            values[key] = [stored(s) for s in probe[key]]
        if probe["after"] is not None:  # a cursor of C's last page of entities
            values["after"] = _pick(self.cursors, probe["after"]) if self.cursors else None
        if probe["noticeAfter"] is not None:
            values["noticeAfter"] = _pick(notices, probe["noticeAfter"])
        values["notice"] = _pick(notices, probe["notice"])
        values["case"] = _pick(cases, probe["case"])
        values["node"] = _pick(nodes, probe["node"])
        return values

    def same(self, what: str, query: str, variables: dict[str, Any] | None,
             in_a: dict[str, Any], in_b: dict[str, Any],
             selections: list[Selection] | None = None) -> None:
        if in_a != in_b:
            raise AssertionError(explain(
                f"{self.observer} can tell the worlds apart by {what}", self.trace, query,
                variables, in_a, in_b, selections or []))


def _penalties(data: Any) -> list[dict[str, Any]]:
    """Every penalty (with an id) in an answer."""
    if isinstance(data, dict):
        found = [data] if "appliedAt" in data and "id" in data else []
        return found + [p for v in data.values() for p in _penalties(v)]
    if isinstance(data, list):
        return [p for v in data for p in _penalties(v)]
    return []


def run_machine(ids: Ids, folder: Path, examples: int, store: str = "memory",
                databases: tuple[str, str] | None = None, control: bool = False) -> None:
    run_state_machine_as_test(
        lambda: NonInterference(ids, folder, store, databases, control),
        settings=settings(max_examples=examples, stateful_step_count=STEPS, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.filter_too_much]),
    )


def test_nothing_c_may_not_see_changes_any_answer_it_gets(ids: Ids, tmp_path: Path) -> None:
    run_machine(ids, tmp_path, EXAMPLES)


def test_the_worlds_agree_when_both_receive_every_operation(ids: Ids, tmp_path: Path) -> None:
    """The harness's control: with world B receiving every operation too, nothing may
    differ (ids, times, keys and principals are the same in both worlds), so a
    difference found above is the hidden operations' doing."""
    run_machine(ids, tmp_path, CONTROL_EXAMPLES, control=True)


@pytest.fixture(scope="module")
def neo4j_databases() -> Iterator[tuple[str, str]]:
    """Two databases on the test Bolt server, one per world (ArcadeDB's HTTP API makes
    them; ``make test`` starts the server and names its address); every example
    empties them first."""
    if not NEO4J_URI:
        pytest.skip("no Bolt server: set GRAPH_API_TEST_NEO4J_URI (make test does)")
    if ARCADEDB_HTTP is None:
        pytest.skip("two worlds need two databases: set GRAPH_API_TEST_ARCADEDB_HTTP")
    auth = ("root", os.environ.get("GRAPH_API_TEST_NEO4J_PASSWORD", ""))
    names = ("noninterference_a", "noninterference_b")

    def command(text: str) -> None:
        httpx.post(f"{ARCADEDB_HTTP}/api/v1/server", auth=auth,
                   json={"command": text}).raise_for_status()

    existing = httpx.get(f"{ARCADEDB_HTTP}/api/v1/databases", auth=auth).json()["result"]
    for name in names:
        if name not in existing:
            command(f"create database {name}")
    yield names
    for name in names:
        command(f"drop database {name}")


@pytest.mark.neo4j
def test_nothing_c_may_not_see_changes_any_answer_it_gets_on_neo4j(
    ids: Ids, tmp_path: Path, neo4j_databases: tuple[str, str]
) -> None:
    run_machine(ids, tmp_path, NEO4J_EXAMPLES, "neo4j", neo4j_databases)


# -- the battery covers the schema ------------------------------------------------------
def test_every_root_query_field_has_a_case_in_the_battery() -> None:
    fields = set(build_schema()._schema.query_type.fields)
    asked = set(SELECTIONS) | set(ADMIN_SELECTIONS)
    missing = sorted(fields - asked)
    assert not missing, (
        "these root query fields are never asked by the non-interference battery; add "
        "their selections to SELECTIONS in tests/security/noninterference_battery.py: "
        + ", ".join(missing))
    gone = sorted(asked - fields)
    assert not gone, f"the battery asks fields the schema does not have: {', '.join(gone)}"


def test_the_battery_is_valid_for_the_served_schema() -> None:
    """A document the schema refuses would be refused in both worlds alike: equal,
    and checking nothing. Every document validates, with every variable used."""
    schema = build_schema()._schema
    for name, selections in [*documents(BATTERY).items(), ("Audit", ADMIN)]:
        errors = validate(schema, parse(document(name, selections)))
        assert not errors, f"{name}: {errors}"
