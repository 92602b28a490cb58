"""Building the one ``CaseView`` an export reads, from the exporter's view alone.

The case's entities that the exporter may see, the sources their upstream
walks reach (with the entities and relations on those paths), every visible
relation among all of them, their assertions with provenance, the case's test
buys and outcomes. Nothing here is read from anywhere but the exporter's scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph_api import analytics
from graph_api.access import Scope
from graph_api.export.view import CaseView, ExportEntity, ExportRelation
from graph_api.model import Marking, RelationKind, relation_id
from graph_api.services import Services
from graph_api.workflow.cases import case_export_parts
from graph_api.workflow.model import from_key

__all__ = ["build_case_view", "UPSTREAM_KINDS"]

UPSTREAM_KINDS = frozenset(
    {RelationKind.SHIPS_FROM, RelationKind.SUPPLIED_BY, RelationKind.LISTS, RelationKind.OPERATES}
)
TRACE_DEPTH = 6


def build_case_view(
    services: Services, scope: Scope, case: Mapping[str, Any], recipient: str
) -> CaseView:
    store = services.store
    visible = store.entities_by_id(scope, list(case["entities"]))
    members = [e for e in case["entities"] if e in visible]
    upstream = store.view(scope, members, TRACE_DEPTH, UPSTREAM_KINDS, upstream=True)
    included = set(members)
    for origin in members:
        for source in analytics.trace_to_source(upstream, origin, max_depth=TRACE_DEPTH).sources:
            for path in source.paths:
                included.update(path.nodes)
    records = store.entities_by_id(scope, sorted(included))
    around = store.view(scope, sorted(records), 1, None)
    relations = []
    for u in sorted(records):
        for v, keydict in around.succ[u].items():
            if v not in records:
                continue
            for kind, data in keydict.items():
                relations.append((u, v, kind, data))
    keys = sorted({f[0] for r in records.values() for f in r.facts}
                  | {f[0] for *_, data in relations for f in data["facts"]})
    envelopes = store.envelopes(keys)

    def assertions(facts: Any) -> tuple[Any, ...]:
        from dataclasses import replace

        return tuple(replace(envelopes[f[0]], confidence=f[2]) for f in facts)

    entities = tuple(
        ExportEntity(
            id=r.id, kind=r.kind, name=r.name, region=r.region, status=r.status,
            properties=r.properties, confidence=r.confidence, assertions=assertions(r.facts),
            identifier_kind=r.identifier_kind, value=r.value,
        )
        for r in records.values()
    )
    rels = tuple(
        ExportRelation(
            id=relation_id(u, kind, v), kind=RelationKind(kind), source=u, target=v,
            confidence=data["confidence"], assertions=assertions(data["facts"]),
        )
        for u, v, kind, data in relations
    )
    test_buys, outcomes = case_export_parts(services, scope, case)
    named = {a.reported_by for e in entities for a in e.assertions}
    named |= {a.reported_by for r in rels for a in r.assertions}
    named |= {t.reported_by for t in test_buys} | {case["org"], scope.org_id}
    orgs = {o.id: o for o in store.orgs() if o.id in named}
    return CaseView(
        case_id=case["id"], title=case["title"], status=case["status"],
        opened_by=orgs[case["org"]], opened_at=from_key(case["openedAt"]),
        marking=Marking(case["marking"]), exporter=orgs[scope.org_id],
        exporter_principal=scope.principal_id, recipient=recipient,
        created_at=services.clock(), entities=entities, relations=rels,
        test_buys=test_buys, outcomes=outcomes, orgs=orgs,
    )
