"""Relay global object identification: ``node(id:)`` and ``nodes(ids:)`` on Query.

Every object a caller may read by id implements ``Node`` (``types.Node``): entities
of every kind, and the workflow records notices, cases, test buys, alerts, rights
and appeals. A
node's id is the id every other field already shows (``seller-1``, ``ntc-…``):
no base64 "global id" is layered on top, so the contract's ids stay as they are
and any id a client holds round-trips through ``node``.

Visibility is the one of the object's own field: a notice the caller could not
read by ``notice(id:)``, a case ``case(id:)`` hides, a test buy ``testBuys``
leaves out, an alert ``alerts`` does not list (another org's, or its explanation
partly hidden), an entity ``entity(id:)`` answers null for. Each of those answers
null here, exactly as for an id that exists nowhere.

Which kind an id names: workflow records carry their kind's prefix in the ids
they are made with (``ntc-``, ``case-``, ``tb-``, ``alert-``, ``right-``, ``apl-``), so
only ids with
a record prefix are looked up among records, and a visible record wins over an
entity that a report happened to give the same id. Entity ids are chosen by
reporters, record ids by the server (random, or derived from the alert's
facts), so no report can hide a record from ``node``; the answer is still
computed from what the caller may see alone (an invisible record with a
visible entity's id leaves the entity's answer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from graph_api.access import Action, Scope
from graph_api.api.context import check_limit
from graph_api.api.desk_fields import Appeal
from graph_api.api.desk_types import Right
from graph_api.api.typed import typed_field
from graph_api.api.types import Batch, Entity, Node
from graph_api.api.value_types import Info
from graph_api.api.workflow_types import Alert, Case, Notice, TestBuy, alert_of
from graph_api.workflow import alerts as wf_alerts
from graph_api.workflow import appeals as wf_appeals
from graph_api.workflow import cases as wf_cases
from graph_api.workflow import queries as wf_queries
from graph_api.workflow import rights as wf_rights
from graph_api.workflow import testbuys as wf_testbuys
from graph_api.workflow.penalties import NOTICE
from graph_api.workflow.runtime import reading_time

__all__ = ["MAX_NODES", "NodeQuery", "find_nodes"]

MAX_NODES = 1000  # ids per ``nodes`` call, as ``first`` is bounded for a page

def _right(info: Info, doc: dict[str, Any]) -> Node:
    return Right.from_doc(doc, reading_time(info.context.services, info.context.scope))


# The GraphQL object of each record kind's document (``workflow.queries`` decides which
# documents the caller may read).
BUILDERS: dict[str, Callable[[Info, dict[str, Any]], Node]] = {
    NOTICE: lambda info, doc: Notice.from_doc(doc),
    wf_cases.CASE: lambda info, doc: Case.from_doc(doc),
    wf_testbuys.TEST_BUY: lambda info, doc: TestBuy.from_doc(doc),
    wf_rights.RIGHT: _right,
    wf_appeals.APPEAL: lambda info, doc: Appeal.from_doc(doc),
}
ALERT_PREFIX = "alert-"


def find_nodes(info: Info, ids: list[str]) -> list[Node | None]:
    """The objects ``ids`` name in the caller's view, in order; None where there is none
    the caller may read. One read per record kind present, one for the entities."""
    context = info.context
    scope = context.scope
    unique = list(dict.fromkeys(ids))
    found: dict[str, Node] = {
        record_id: BUILDERS[kind](info, doc)
        for record_id, (kind, doc) in wf_queries.visible_records(context.services, scope,
                                                                 unique).items()
    }
    alert_ids = [i for i in unique if i.startswith(ALERT_PREFIX)]
    if alert_ids:
        found.update(_alerts(info, scope, alert_ids))
    rest = [i for i in unique if i not in found]
    entities = [r for r in context.entity_records(rest) if r is not None]
    batch = Batch(entities)  # their assertions and relations read together
    found.update((r.id, Entity.from_record(r, batch)) for r in entities)
    return [found.get(i) for i in ids]


def _alerts(info: Info, scope: Scope, ids: list[str]) -> dict[str, Alert]:
    """The caller's org's alerts among ``ids`` (alerts are decided per org: another
    org's alert of the same id is not the caller's), as ``alerts`` lists them: those
    whose explanation the caller sees, paths and confidences from its own view."""
    services = info.context.services
    stored = [r for r in (wf_alerts.get_alert(services, scope, i) for i in ids) if r is not None]
    if not stored:
        return {}
    G = info.context.store.view(scope)
    out: dict[str, Alert] = {}
    for record in stored:
        paths = wf_alerts.visible_paths(G, record.doc)
        if paths is not None:
            out[record.doc["id"]] = alert_of(info, G, record.doc, paths)
    return out


@strawberry.type
class NodeQuery:
    @typed_field(
        description=(
            "The entity, notice, case, test buy, alert, right or appeal with this id; null "
            "when there is none the caller may read."
        )
    )
    def node(self, info: Info, id: strawberry.ID) -> Node | None:
        info.context.require(Action.READ)
        return find_nodes(info, [str(id)])[0]

    @typed_field(
        description=f"`node` for each id, in order (at most {MAX_NODES} ids)."
    )
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        info.context.require(Action.READ)
        check_limit("ids", len(ids), MAX_NODES)
        return find_nodes(info, [str(i) for i in ids])
