"""What the API reads of the workflow's records, each read deciding here what the
caller may see: a resolver never filters records nor spells an index term itself.

Every function reads the records as the caller's operation reads them
(``runtime.records_for``: today's, or as of its ``@asOf`` time) and returns plain
documents (the records' JSON) the caller may see, in a stable order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from graph_api.access import Scope
from graph_api.store.records import RecordStore
from graph_api.workflow import appeals, cases, rights, testbuys
from graph_api.workflow.alerts import ALERT, own_alert
from graph_api.workflow.enforcement import sees_notice
from graph_api.workflow.penalties import NOTICE, NOTICE_AUDIENCE, PENALTY
from graph_api.workflow.runtime import records_for, workflow_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "RECORD_KINDS",
    "alert_by_key",
    "cited_rights",
    "ledger_penalties",
    "penalties_of_notice",
    "penalties_on",
    "penalty",
    "raised_alerts",
    "visible_records",
]

Doc = dict[str, Any]
Sees = Callable[["Services", Scope, Doc], bool]


def penalty(services: Services, scope: Scope, penalty_id: str) -> Doc | None:
    """One penalty of the caller's org's own ledger, by id; None when not in it."""
    if not penalty_id.startswith(f"{scope.org_id}/"):
        return None
    record = records_for(services, scope).get(PENALTY, penalty_id)
    return None if record is None else record.doc


def penalties_of_notice(services: Services, scope: Scope, notice_id: str) -> list[Doc]:
    """What a notice caused in the caller's ledger: the penalties shared by the
    notice's whole audience, then the caller's org's own."""
    records = records_for(services, scope)
    return [r.doc for owner in (NOTICE_AUDIENCE, scope.org_id)
            for r in records.find(PENALTY, term=f"notice:{owner}:{notice_id}")]


def penalties_on(services: Services, scope: Scope, entity_id: str) -> list[Doc]:
    """Penalties on an entity in the caller's ledger, oldest first (`ledger_penalties`)."""
    docs = ledger_penalties(records_for(services, scope), scope, entity_id)
    return sorted(docs, key=lambda d: (d["appliedAt"], d["id"]))


def ledger_penalties(records: RecordStore, scope: Scope, entity_id: str) -> list[Doc]:
    """Penalties on an entity in the caller's ledger as ``records`` hold them: its org's
    own, then those shared over notices the caller may see."""
    own = [r.doc for r in records.find(PENALTY, term=f"subject:{scope.org_id}:{entity_id}")]
    shared = [r.doc for r in records.find(PENALTY, term=f"subject:{NOTICE_AUDIENCE}:{entity_id}")]
    notices = records.get_many(NOTICE, sorted({d["notice"] for d in shared}))
    return own + [d for d in shared
                  if d["notice"] in notices and sees_notice(scope, notices[d["notice"]].doc)]


def cited_rights(services: Services, scope: Scope, right_ids: Iterable[str]) -> list[Doc]:
    """The rights a notice cites that the caller may see, in the order cited."""
    wanted = list(right_ids)
    found = records_for(services, scope).get_many(rights.RIGHT, wanted)
    return [found[r].doc for r in wanted
            if r in found and rights.sees_right(scope, found[r].doc)]


def raised_alerts(services: Services) -> AbstractContextManager[asyncio.Queue[str]]:
    """The keys of alerts as they are raised (every org's: read each with
    ``alert_by_key``), for as long as the context lasts."""
    return workflow_for(services).broker.subscribe()


def alert_by_key(services: Services, scope: Scope, key: str) -> Doc | None:
    """A published alert's record, if it is one of the caller's org's alerts."""
    if not own_alert(scope, key):
        return None
    record = records_for(services, scope).get(ALERT, key)
    return None if record is None else record.doc


def _by_scope(sees: Callable[[Scope, Doc], bool]) -> Sees:
    return lambda services, scope, doc: sees(scope, doc)


# By id prefix: the record kind whose ids begin so, and who may see one.
RECORD_KINDS: dict[str, tuple[str, Sees]] = {
    "ntc-": (NOTICE, _by_scope(sees_notice)),
    "case-": (cases.CASE, _by_scope(cases.sees_case)),
    "tb-": (testbuys.TEST_BUY, _by_scope(testbuys.sees_test_buy)),
    "right-": (rights.RIGHT, _by_scope(rights.sees_right)),
    "apl-": (appeals.APPEAL, appeals.sees_appeal),
}


def visible_records(services: Services, scope: Scope, ids: Iterable[str]
                    ) -> dict[str, tuple[str, Doc]]:
    """The records among ``ids`` (by their ids' prefixes) that the caller may read, as
    ``{id: (kind, doc)}``: one read per kind present."""
    records = records_for(services, scope)
    unique = list(dict.fromkeys(ids))
    found: dict[str, tuple[str, Doc]] = {}
    for prefix, (kind, sees) in RECORD_KINDS.items():
        wanted = [i for i in unique if i.startswith(prefix)]
        if wanted:
            for record_id, record in records.get_many(kind, wanted).items():
                if sees(services, scope, record.doc):
                    found[record_id] = (kind, record.doc)
    return found
