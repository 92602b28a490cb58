"""Building the one ``CaseView`` an export reads, from the exporter's view alone.

The case's entities that the exporter may see, the sources their upstream
walks reach (with the entities and relations on those paths), every visible
relation among all of them, their assertions with provenance, the case's test
buys and outcomes, and the evidence files of the case and of those test buys with
their custody (each as the record it is attached to lets the exporter read it).
Nothing here is read from anywhere but the exporter's scope;
with a ``max_marking`` that scope is capped (``Scope.capped``): what is marked
above the ceiling is not in the view at all, so nothing can point at it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from graph_api import analytics
from graph_api.access import Scope
from graph_api.analytics.walks import TRACE_DEPTH, UPSTREAM_KINDS
from graph_api.export.view import (
    CaseView,
    ExportCustody,
    ExportEntity,
    ExportEvidence,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
)
from graph_api.model import Assertion, Evidence, Marking, OrgType, RelationKind, relation_id
from graph_api.services import Services
from graph_api.store.base import EntityRecord
from graph_api.store.facts import Fact
from graph_api.workflow import evidence as wf_evidence
from graph_api.workflow.custody_chain import verify_custody
from graph_api.workflow.model import from_key
from graph_api.workflow.testbuys import list_test_buys

__all__ = ["build_case_view", "export_entity", "export_relation", "with_envelopes"]


@functools.lru_cache(maxsize=1 << 17)
def _stated(envelope: Assertion, confidence: float) -> Assertion:
    return envelope if envelope.confidence == confidence else replace(
        envelope, confidence=confidence)


def with_envelopes(envelopes: Mapping[int, Assertion], facts: Sequence[Fact]
                   ) -> tuple[Assertion, ...]:
    """The assertions of visible facts: each report's envelope with the fact's confidence."""
    return tuple(_stated(envelopes[f.seq], f.confidence) for f in facts)


def export_entity(scope: Scope, record: EntityRecord, envelopes: Mapping[int, Assertion]
                  ) -> ExportEntity:
    """An entity record as the exporters (and the TAXII feeds) take it. An identifier's
    clear value goes out to PLATFORM and REGULATOR orgs and to an org that asserted it
    *in this view*: under a ceiling, an org's own RED assertion of it no longer counts."""
    assertions = with_envelopes(envelopes, record.facts)
    value = record.value
    if value is not None and scope.org_type is OrgType.BRAND and all(
            a.reported_by != scope.org_id for a in assertions):
        value = None
    return ExportEntity(
        id=record.id, kind=record.kind, name=record.name, region=record.region,
        status=record.status, properties=record.properties, confidence=record.confidence,
        assertions=assertions, identifier_kind=record.identifier_kind, value=value,
    )


def export_relation(source: str, target: str, kind: str, data: Mapping[str, Any],
                    envelopes: Mapping[int, Assertion]) -> ExportRelation:
    """A visible relation (a view's edge data) as the exporters take it."""
    return ExportRelation(
        id=relation_id(source, kind, target), kind=RelationKind(kind), source=source,
        target=target, confidence=data["confidence"],
        assertions=with_envelopes(envelopes, data["facts"]),
    )


def build_case_view(
    services: Services, scope: Scope, case: Mapping[str, Any], recipient: str,
    max_marking: Marking | None = None,
) -> CaseView:
    """The case as ``scope`` sees it, capped at ``max_marking`` when given (the caller
    checks that the case itself is not marked above it)."""
    steps = case_view_steps(services, scope, case, recipient, max_marking)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            view: CaseView = done.value
            return view


SLICE_SECONDS = 0.005
"""Wall time `case_view_steps` reads before it yields: a 4,000-entity case reads for
seconds at a million entities, and each of its steps (a trace, a record, an entity
exported) for well under a millisecond."""


READ = 200
"""Records read per call (one round trip on Neo4j)."""


class _Pace:
    """Whether a slice of work is over (``SLICE_SECONDS`` since the last yield)."""

    def __init__(self) -> None:
        self.since = time.perf_counter()

    def due(self) -> bool:
        now = time.perf_counter()
        if now - self.since < SLICE_SECONDS:
            return False
        self.since = now
        return True


def case_view_steps(
    services: Services, scope: Scope, case: Mapping[str, Any], recipient: str,
    max_marking: Marking | None = None,
) -> Generator[None, None, CaseView]:
    """`build_case_view` as steps: it yields every ``SLICE_SECONDS`` of work, so that an
    exporting request lets the event loop serve others between them
    (``api.export_fields``); the view it returns is read across the steps, a
    consistent one only if nothing the caller sees was written meanwhile (the caller
    checks the view's version)."""
    store = services.store
    scope = scope.capped(max_marking)
    pace = _Pace()
    listed = list(case["entities"])
    visible: dict[str, EntityRecord] = {}
    for at in range(0, len(listed), READ):
        if pace.due():
            yield
        visible.update(store.entities_by_id(scope, listed[at : at + READ]))
    members = [e for e in listed if e in visible]
    upstream = store.view(scope, members, TRACE_DEPTH, UPSTREAM_KINDS, upstream=True)
    included = set(members)
    for origin in members:
        if pace.due():
            yield
        for source in analytics.trace_to_source(upstream, origin, max_depth=TRACE_DEPTH).sources:
            for path in source.paths:
                included.update(path.nodes)
    records: dict[str, EntityRecord] = {}
    wanted = sorted(included)
    for at in range(0, len(wanted), READ):
        if pace.due():
            yield
        records.update(store.entities_by_id(scope, wanted[at : at + READ]))
    records = {eid: records[eid] for eid in sorted(records)}  # in id order, as read at once
    around = store.view(scope, sorted(records), 1, None)
    relations: list[tuple[str, str, Any, Any]] = []
    for u in sorted(records):
        if pace.due():
            yield
        found: list[tuple[str, str, Any, Any]] = []
        try:  # a hub's neighbours take long to check: yield among them too
            for v, keydict in around.succ[u].items():
                if pace.due():
                    yield
                if v in records:
                    found.extend((u, v, kind, data) for kind, data in keydict.items())
        except RuntimeError:  # a write changed u's neighbours meanwhile: read them at once
            found = [(u, v, kind, data) for v, keydict in around.succ[u].items()
                     if v in records for kind, data in keydict.items()]
        relations.extend(found)
    key_set: set[int] = set()
    for r in records.values():
        if pace.due():
            yield
        key_set.update(f.seq for f in r.facts)
    for *_, data in relations:
        if pace.due():
            yield
        key_set.update(f.seq for f in data["facts"])
    keys = sorted(key_set)
    envelopes: dict[int, Assertion] = {}
    for at in range(0, len(keys), 500):
        if pace.due():
            yield
        envelopes.update(store.envelopes(keys[at : at + 500]))
    entities_out = []
    for r in records.values():
        if pace.due():
            yield
        entities_out.append(export_entity(scope, r, envelopes))
    entities = tuple(entities_out)
    rels_out = []
    for u, v, kind, data in relations:
        if pace.due():
            yield
        rels_out.append(export_relation(u, v, kind, data, envelopes))
    rels = tuple(rels_out)
    yield
    test_buys, outcomes = case_export_parts(services, scope, case)
    evidence = export_evidence(services, scope, [case["id"], *(t.id for t in test_buys)],
                               {case["id"]: Marking(case["marking"]),
                                **{t.id: t.marking for t in test_buys}})
    named = {a.reported_by for e in entities for a in e.assertions}
    named |= {a.reported_by for r in rels for a in r.assertions}
    named |= {t.reported_by for t in test_buys} | {case["org"], scope.org_id}
    named |= {e.org for e in evidence} | {c.org for e in evidence for c in e.custody}
    orgs = {o.id: o for o in store.orgs() if o.id in named}
    return CaseView(
        case_id=case["id"], title=case["title"], status=case["status"],
        opened_by=orgs[case["org"]], opened_at=from_key(case["openedAt"]),
        marking=Marking(case["marking"]), exporter=orgs[scope.org_id],
        exporter_principal=scope.principal_id, recipient=recipient,
        created_at=services.clock(), entities=entities, relations=rels,
        test_buys=test_buys, outcomes=outcomes, orgs=orgs, max_marking=max_marking,
        evidence=evidence, as_of=scope.as_of_time,
    )


def export_evidence(services: Services, scope: Scope, targets: Sequence[str],
                    markings: Mapping[str, Marking]) -> tuple[ExportEvidence, ...]:
    """The evidence files of ``targets`` (the case, its test buys) the exporter may read,
    with their custody, whether it verifies now, and where their bytes are."""
    folder = wf_evidence.evidence_folder(services)
    out = []
    for doc in wf_evidence.evidence_of(services, scope, targets):
        path = folder.path_of(doc["sha256"])
        out.append(ExportEvidence(
            id=doc["id"], attached_to=doc["attachedTo"], target_kind=doc["targetKind"],
            name=doc["name"], media_type=doc["mediaType"], bytes=doc["bytes"],
            sha256=doc["sha256"], description=doc.get("description"),
            attached_at=from_key(doc["attachedAt"]), attached_by=doc["attachedBy"],
            org=doc["org"], marking=markings[doc["attachedTo"]],
            custody=tuple(ExportCustody(
                action=c["action"], at=from_key(c["at"]), holder=c["holder"],
                location=c["location"], note=c.get("note"), recorded_by=c["recordedBy"],
                org=c["org"]) for c in doc["custody"]),
            chain_verified=verify_custody(services, doc),
            path=path if path.is_file() else None,
        ))
    return tuple(out)


def case_export_parts(
    services: Services, scope: Scope, doc: Mapping[str, Any]
) -> tuple[tuple[ExportTestBuy, ...], tuple[ExportOutcome, ...]]:
    """The caller's visible test buys of the case's listings and the case's outcomes,
    as the exporters take them (for ``exportCase``)."""
    buys: list[ExportTestBuy] = []
    for listing in doc["entities"]:
        for tb in list_test_buys(services, scope, listing, 1000):
            buys.append(ExportTestBuy(
                id=tb["id"], listing=tb["listing"], result=tb["result"],
                ordered_at=from_key(tb["orderedAt"]), shipped_from=tb["shippedFrom"],
                evidence=tuple(Evidence(e["id"], e["kind"], e.get("description"),
                                        e.get("sha256"), e.get("uri")) for e in tb["evidence"]),
                marking=Marking(tb["marking"]), reported_by=tb["org"],
            ))
    outcomes = tuple(
        ExportOutcome(kind=o["kind"], entity=o["entity"], description=o["description"],
                      value=o["value"], at=from_key(o["at"]))
        for o in doc["outcomes"]
    )
    return tuple(buys), outcomes
