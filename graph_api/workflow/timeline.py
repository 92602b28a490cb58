"""An entity's timeline: what was stated about it and what the workflows did to it, in
time order, as one caller may read it (``Entity.timeline``; DESIGN, "Interdiction and
time").

Events, each only where the caller may read what it comes from:

- ASSERTION: one per visible assertion about the entity, and per visible assertion
  about a visible relation of it (either direction); at its report's time;
- NOTICE: a notice naming the entity (``sees_notice``), at its filing; OUTCOME: each
  change of the entity's outcome in it, at the step that made it (read from the
  notice's versions: ``RecordStore.versions``);
- PENALTY: each penalty on the entity applied, and lifted, in the caller's own ledger
  or shared by a notice it sees (as ``penalties(entity:)`` lists them);
- TEST_BUY: each recorded test buy of the entity (``sees_test_buy``);
- PUBLICATION: each public state published for it (public).

A read as of a time (``Scope.as_of``) reads the assertions and records as they
stood then. Order: time, then kind, then record id, then what tells apart events
equal in all three (the reporting org and what the assertion is about): the
cursor is that key, made only of what the event itself shows.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from graph_api.access import Scope
from graph_api.errors import BadUserInput
from graph_api.model import Assertion, Marking
from graph_api.store.base import EntityRecord, RelationRecord
from graph_api.store.facts import EntityFact
from graph_api.store.records import RecordStore
from graph_api.workflow.enforcement import sees_notice
from graph_api.workflow.model import time_key
from graph_api.workflow.penalties import NOTICE
from graph_api.workflow.publication import PUBLICATION
from graph_api.workflow.queries import ledger_penalties
from graph_api.workflow.runtime import records_for
from graph_api.workflow.testbuys import TEST_BUY, sees_test_buy

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["Event", "decode_cursor", "entity_timeline", "page"]

ALL = 10**9  # every relation of the entity on one page


@dataclass(frozen=True, slots=True)
class Event:
    """One timeline event; ``at`` is a ``time_key`` (string order is time order)."""

    at: str
    kind: str
    summary: str
    marking: Marking | None
    reported_by: str | None
    record_id: str | None
    tie: str  # tells apart events equal in (at, kind, record id): only what they show

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.at, self.kind, self.record_id or "", self.tie)

    @property
    def cursor(self) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(list(self.key))).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str, str, str]:
    """An event's cursor back to its key; BAD_USER_INPUT for anything else."""
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        key = None
    if not (isinstance(key, list) and len(key) == 4 and all(isinstance(k, str) for k in key)):
        raise BadUserInput("after: not a cursor this API gave out", field="after")
    return key[0], key[1], key[2], key[3]


def page(events: Sequence[Event], first: int, after: str | None) -> list[Event]:
    """``first`` events after the cursor ``after`` (events in timeline order)."""
    if after is not None:
        last = decode_cursor(after)
        events = [e for e in events if e.key > last]
    return list(events[:first])


def _fields(fact: EntityFact) -> str:
    """What a node fact states, in words: its kind and the fields it sets."""
    stated = [f"{name} {value}" for name, value in
              (("name", fact.name), ("region", fact.region), ("status", fact.status))
              if value is not None]
    if fact.properties:
        stated.append("properties " + ", ".join(sorted(orjson.loads(fact.properties))))
    return fact.kind + (": " + "; ".join(stated) if stated else "")


def _assertion(at: Assertion, summary: str, about: str) -> Event:
    return Event(time_key(at.reported_at), "ASSERTION", summary, at.marking, at.reported_by,
                 at.report_id, f"{at.reported_by}\x1f{about}")


def assertion_events(
    record: EntityRecord, relations: Iterable[RelationRecord],
    envelopes: Callable[[list[int]], dict[int, Assertion]],
) -> list[Event]:
    """ASSERTION events of an entity's visible facts and its visible relations' facts."""
    relations = list(relations)
    keys = [f.seq for f in record.facts] + [f.seq for r in relations for f in r.facts]
    found = envelopes(keys)
    out = [_assertion(found[f.seq], f"stated {record.id} as {_fields(f)}", record.id)
           for f in record.facts]
    for r in relations:
        about = f"{r.source} {r.kind.value} {r.target}"
        out += [_assertion(found[f.seq], f"stated {about}", about) for f in r.facts]
    return out


def _notice_events(records: RecordStore, scope: Scope, eid: str) -> list[Event]:
    out = []
    for record in records.find(NOTICE, term=f"listing:{eid}"):
        doc = record.doc
        if not sees_notice(scope, doc):
            continue
        marking = Marking(doc["marking"])
        out.append(Event(doc["filedAt"], "NOTICE",
                         f"notice filed by {doc['brand']} naming {len(doc['listings'])} "
                         f"listing(s)", marking, doc["brand"], doc["id"], ""))
        before, changes = "OPEN", 0
        for version in records.versions(NOTICE, doc["id"]):
            held = {o["listing"]: o["status"] for o in version.doc["outcomes"]}
            status = held.get(eid, before)
            if status != before:
                changes += 1
                step = version.doc["history"][-1]
                out.append(Event(step["at"], "OUTCOME", f"outcome {status}: {step['note']}",
                                 marking, doc["brand"], doc["id"], f"{changes:06d}"))
            before = status
    return out


def _penalty_events(records: RecordStore, scope: Scope, eid: str) -> list[Event]:
    out = []
    for d in ledger_penalties(records, scope, eid):
        out.append(Event(d["appliedAt"], "PENALTY", f"{d['kind']} applied (notice "
                         f"{d['notice']})", None, None, d["id"], "applied"))
        if d.get("liftedAt"):
            out.append(Event(d["liftedAt"], "PENALTY", f"{d['kind']} lifted", None, None,
                             d["id"], "lifted"))
    return out


def _test_buy_events(records: RecordStore, scope: Scope, eid: str) -> list[Event]:
    return [Event(r.doc["recordedAt"], "TEST_BUY", f"test buy: {r.doc['result']}",
                  Marking(r.doc["marking"]), r.doc["org"], r.doc["id"], "")
            for r in records.find(TEST_BUY, term=f"listing:{eid}") if sees_test_buy(scope, r.doc)]


def _publication_events(records: RecordStore, eid: str) -> list[Event]:
    return [Event(r.doc["publishedAt"], "PUBLICATION", f"published {r.doc['status']}",
                  Marking.CLEAR, r.doc["org"], r.doc["id"], "")
            for r in records.find(PUBLICATION, term=f"entity:{eid}")]


def entity_timeline(
    services: Services, scope: Scope, record: EntityRecord,
    envelopes: Callable[[list[int]], dict[int, Assertion]],
) -> list[Event]:
    """Every event of the visible entity ``record`` that ``scope`` may read, in order.

    Notes
    -----
    Cost: the entity's visible facts and relations (a hub's are many), one envelope
    read for them all, and the workflow records naming it (a notice's versions each).
    """
    relations = services.store.relations_of(scope, record.id, "BOTH", None, ALL, None,
                                            False).items
    records = records_for(services, scope)
    events = assertion_events(record, relations, envelopes)
    events += _notice_events(records, scope, record.id)
    events += _penalty_events(records, scope, record.id)
    events += _test_buy_events(records, scope, record.id)
    events += _publication_events(records, record.id)
    return sorted(events, key=lambda e: e.key)
