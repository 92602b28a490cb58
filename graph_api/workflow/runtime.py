"""What every workflow shares: the record store, the alert broker, acting scopes, plans.

A workflow step never edits the graph directly: it writes ordinary reports
("effects") under the acting org's scope, so every store and every view gets
them with provenance. A ``Plan`` gathers a step's effects and record writes;
``commit`` submits the effects first (idempotent report ids), then writes the
records in one transaction with the versions that were read, so a retry after
a crash between the two repeats the same reports and changes nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graph_api.access import Scope
from graph_api.audit import AuditEntry
from graph_api.model import Org, OrgType
from graph_api.reports import parse_evidence
from graph_api.store.records import Record, RecordStore

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "AlertBroker",
    "Plan",
    "Workflow",
    "acting_scope",
    "close_workflow",
    "closes_with",
    "effect",
    "evidence_docs",
    "platform_org",
    "reading_time",
    "records_for",
    "workflow_for",
]

log = logging.getLogger("graph_api.workflow")


class AlertBroker:
    """Fan-out of raised alerts' record keys (``org/alert id``) to every live
    subscription (one queue each); a subscription keeps its own org's."""

    def __init__(self) -> None:
        self._queues: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = set()

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        entry = (asyncio.get_running_loop(), queue)
        self._queues.add(entry)
        try:
            yield queue
        finally:
            self._queues.discard(entry)

    def publish(self, alert_id: str) -> None:
        for loop, queue in list(self._queues):
            try:
                loop.call_soon_threadsafe(_offer, queue, alert_id)
            except RuntimeError:  # that loop is closed: the subscriber is gone
                self._queues.discard((loop, queue))

    @property
    def subscribers(self) -> int:
        return len(self._queues)


def _offer(queue: asyncio.Queue[str], item: str) -> None:
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:  # a stalled subscriber loses alerts, never blocks writers
        log.warning("alert subscriber queue full; alert %s dropped for it", item)


@dataclass
class Workflow:
    """Per-``Services`` workflow state: the records and the alert broker."""

    records: RecordStore
    broker: AlertBroker = field(default_factory=AlertBroker)
    # Per org, (brand, source) pairs known to be upstream in that org's view. Reports
    # only add to a view, so a pair once upstream stays so: NEW_SOURCE checks it once.
    upstream_known: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


def workflow_for(services: Services) -> Workflow:
    """The services' workflow state (``Services.workflow``), made on first use, its
    records where the backend keeps them (``Backend.open_records``: in Neo4j beside
    the graph, every replica sharing them; else in the embedded store's file)."""
    found = services.workflow
    if isinstance(found, Workflow):
        return found
    wf = Workflow(records=services.open_records())
    services.workflow = wf
    closes_with(services)  # its records close with the services, started or not
    return wf


def records_for(services: Services, scope: Scope) -> RecordStore:
    """The records as ``scope``'s operation reads them: today's, or for a query
    ``@asOf`` a time (``Scope.as_of``) as they stood then, read only."""
    records = workflow_for(services).records
    return records if scope.as_of is None else records.as_of(scope.as_of)


def reading_time(services: Services, scope: Scope) -> datetime:
    """"Now" as ``scope``'s operation reads: the clock, or its ``@asOf`` time (a right
    read as of a time is expired as of that time)."""
    return scope.as_of_time or services.clock()


def close_workflow(services: Services) -> None:
    """Close the workflow state's records, if any (made again on next use)."""
    wf, services.workflow = services.workflow, None
    if isinstance(wf, Workflow):
        wf.records.close()


def closes_with(services: Services) -> None:
    """``close_workflow`` subscribed to the services' close, once."""
    if close_workflow not in services.on_close:
        services.on_close.append(close_workflow)


def platform_org(services: Services) -> Org | None:
    """The platform that hosts the alliance (the first PLATFORM org by id)."""
    for org in services.store.orgs():
        if org.type is OrgType.PLATFORM:
            return org
    return None


def acting_scope(org_id: str, org_type: OrgType, what: str = "workflow") -> Scope:
    """The scope a workflow writes effects under when no person acts (sweep, detection)."""
    return Scope(f"{what}:{org_id}", org_id, org_type, "analyst")


def evidence_docs(items: Sequence[Mapping[str, Any]] | None, prefix: str
                  ) -> list[dict[str, Any]]:
    """Evidence inputs checked (SHA-256 format, sizes) and given ids ``prefix``-n."""
    parsed = parse_evidence([dict(e) for e in items or []], "evidence", prefix)
    return [
        {"id": e.id, "kind": e.kind, "description": e.description, "sha256": e.sha256,
         "uri": e.uri}
        for e in parsed
    ]


def effect(
    report_id: str,
    source: str,
    marking: str,
    entities: list[dict[str, Any]],
    relations: list[dict[str, Any]] | None = None,
    shared_with: list[str] | None = None,
    evidence: list[dict[str, Any]] | None = None,
    confidence: float = 1.0,
) -> dict[str, Any]:
    """A ``ReportInput`` mapping; deterministic for the same arguments (retries replay)."""
    raw: dict[str, Any] = {
        "reportId": report_id,
        "source": source,
        "confidence": confidence,
        "marking": marking,
        "entities": entities,
        "relations": relations or [],
    }
    if shared_with:
        raw["sharedWith"] = sorted(set(shared_with))
    if evidence:
        raw["evidence"] = evidence
    return raw


@dataclass
class _Write:
    doc: dict[str, Any]
    sort: str
    terms: tuple[str, ...]


class Plan:
    """Effects and record writes of one step (or one sweep batch), committed together."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.records = workflow_for(services).records
        self.effects: list[tuple[Scope, dict[str, Any]]] = []
        self.after_commit: list[tuple[Scope, dict[str, Any]]] = []  # effects to run detection on
        self._read: dict[tuple[str, str], int] = {}
        self._writes: dict[tuple[str, str], _Write] = {}
        self._by_term: dict[tuple[str, str], set[str]] = {}
        self._cache: dict[tuple[str, str], Record | None] = {}
        self.memo: dict[tuple[str, str], Any] = {}  # per-plan lookups (e.g. sellers behind)
        self.audits: list[AuditEntry] = []  # the workflow's own acts, recorded after commit

    # -- records ---------------------------------------------------------------
    def _stored(self, kind: str, id: str) -> Record | None:
        """The stored record, read once per plan (``prefetch`` reads many at once)."""
        key = (kind, id)
        if key in self._cache:
            return self._cache[key]
        record = self._cache[key] = self.records.get(kind, id)
        return record

    def prefetch(self, kind: str, ids: list[str]) -> None:
        """Read the records of ``ids`` not read yet in one store call (a step that will
        ``get`` each of a notice's 300 listings' penalties asks once)."""
        missing = [i for i in dict.fromkeys(ids) if (kind, i) not in self._cache]
        if missing:
            found = self.records.get_many(kind, missing)
            for id_ in missing:
                self._cache[(kind, id_)] = found.get(id_)

    def get(self, kind: str, id: str) -> dict[str, Any] | None:
        pending = self._writes.get((kind, id))
        if pending is not None:
            return dict(pending.doc)
        record = self._stored(kind, id)
        self._read.setdefault((kind, id), 0 if record is None else record.version)
        return None if record is None else dict(record.doc)

    def seen(self, record: Record) -> dict[str, Any]:
        """Remember a record read elsewhere (its version is checked at commit)."""
        self._read.setdefault((record.kind, record.id), record.version)
        return dict(record.doc)

    def get_many(self, kind: str, ids: list[str]) -> list[dict[str, Any]]:
        """The documents found among ``ids``, pending writes included, in the order given."""
        missing = [i for i in ids if (kind, i) not in self._writes]
        stored = self.records.get_many(kind, missing)
        out = []
        for id_ in ids:
            pending = self._writes.get((kind, id_))
            if pending is not None:
                out.append(dict(pending.doc))
            elif id_ in stored:
                out.append(self.seen(stored[id_]))
        return out

    def put(
        self, kind: str, id: str, doc: Mapping[str, Any], sort: str, terms: tuple[str, ...],
        new: bool = False,
    ) -> None:
        """Write at commit; ``new``: the id is fresh (not read; commit fails if it exists)."""
        if new:
            self._read.setdefault((kind, id), 0)
        if (kind, id) not in self._read and (kind, id) not in self._writes:
            record = self._stored(kind, id)
            self._read[(kind, id)] = 0 if record is None else record.version
        old = self._writes.get((kind, id))
        for term in old.terms if old is not None else ():
            self._by_term[(kind, term)].discard(id)
        for term in terms:
            self._by_term.setdefault((kind, term), set()).add(id)
        self._writes[(kind, id)] = _Write(dict(doc), sort, terms)

    def find(self, kind: str, term: str) -> list[dict[str, Any]]:
        """Documents carrying ``term``, this plan's pending writes included."""
        found: dict[str, dict[str, Any]] = {}
        for record in self.records.find(kind, term=term):
            self._read.setdefault((kind, record.id), record.version)
            if (kind, record.id) not in self._writes:
                found[record.id] = dict(record.doc)
        for id_ in self._by_term.get((kind, term), ()):
            found[id_] = dict(self._writes[(kind, id_)].doc)
        return [found[i] for i in sorted(found)]

    # -- effects ---------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> None:
        """Record a policy's own act (a trust granted) in the ledger once committed."""
        self.audits.append(entry)

    def report(self, scope: Scope, raw: dict[str, Any], detect: bool = False) -> None:
        self.effects.append((scope, raw))
        if detect:
            self.after_commit.append((scope, raw))

    def commit(self, audit: AuditEntry | None = None) -> None:
        """Submit the effects (one transaction), then the records (another)."""
        services = self.services
        parsed = [(scope, services.parse(scope, raw)) for scope, raw in self.effects]
        if len(parsed) == 1 and audit is None:
            services.store.submit(parsed[0][0], parsed[0][1])
        elif parsed or audit is not None:
            if parsed:
                results = services.store.submit_many(parsed, audit)
                failed = [r for r in results if isinstance(r, Exception)]
                if failed:
                    raise failed[0]
            elif audit is not None:
                services.store.append_audit(audit)
        self.records.put_many(
            (kind, id_, write.doc, write.sort, write.terms, self._read.get((kind, id_), 0))
            for (kind, id_), write in self._writes.items()
        )
        for entry in self.audits:
            services.store.append_audit(entry)
        if self.after_commit:  # what subscribed to new reports (start_workflow: alerts)
            by_id = {report.id: (scope, report) for scope, report in parsed}
            for scope, raw in self.after_commit:
                scope_report = by_id.get(str(raw["reportId"]))
                if scope_report is not None:
                    for committed in services.on_commit:
                        committed(services, scope, scope_report[1])

