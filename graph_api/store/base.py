"""The storage protocol every backend implements, and the records it returns.

The embedded store (SQLite + networkx, ``embedded/store.py``) is the reference; the
Neo4j store must answer every method identically. Every read takes the
caller's ``Scope`` and answers from the assertions that scope may see alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

import networkx as nx

from graph_api.access import Scope
from graph_api.audit import AuditEntry, AuditHead, AuditRecord
from graph_api.model import (
    Assertion,
    EntityKind,
    IdentifierKind,
    Org,
    Principal,
    RelationKind,
    Report,
)
from graph_api.store.events import LoggedReport, ReportChanges
from graph_api.store.facts import EntityFact, RelationFact

if TYPE_CHECKING:
    from graph_api.store.visible import VisibleGraph

__all__ = [
    "AuditAhead",
    "CheckedBatch",
    "EntityFilter",
    "EntityRecord",
    "GraphStore",
    "Page",
    "PrincipalRecord",
    "RelationRecord",
    "SubmitResult",
    "WriteAhead",
]


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """An entity as one caller sees it: every field merged from visible assertions."""

    id: str
    kind: EntityKind
    name: str | None
    region: str | None
    status: str | None
    properties: dict[str, Any]
    confidence: float
    facts: Sequence[EntityFact]  # the visible assertions, oldest first
    identifier_kind: IdentifierKind | None = None
    value: str | None = None  # clear identifier value, None where the caller may not see it


@dataclass(frozen=True, slots=True)
class RelationRecord:
    id: str
    kind: RelationKind
    source: str
    target: str
    confidence: float
    facts: Sequence[RelationFact]  # the visible assertions, oldest first


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool
    total: int | None  # None: not asked for (it costs a full count)
    cursors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EntityFilter:
    kind: EntityKind | None = None
    search: str | None = None
    region: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class PrincipalRecord:
    """A principal as the operator lists it (``graph-api token list``): times as the
    store keeps them (UTC ISO text), ``last_used`` its newest audit record's."""

    id: str
    org_id: str
    role: str
    created_at: str
    revoked_at: str | None
    last_used: str | None


@dataclass(frozen=True, slots=True)
class SubmitResult:
    report_id: str
    entities: int
    relations: int
    created: bool


class GraphStore(Protocol):
    """What the API, the CLI and the workflows need from a store."""

    # -- orgs and principals -------------------------------------------------
    def add_org(self, org: Org, audit: AuditEntry | None = None) -> Org:
        """Record a new org (and ``audit``, in one transaction); ValueError if taken."""
        ...

    def orgs(self) -> list[Org]:
        """Every org, by id."""
        ...

    def org(self, org_id: str) -> Org | None:
        """One org by id (cached: orgs are never deleted)."""
        ...

    def add_principal(
        self, principal: Principal, token_hash: str, audit: AuditEntry | None = None
    ) -> None:
        """Record a principal with the SHA-256 of its bearer token (never the token)."""
        ...

    def principal_by_token_hash(self, token_hash: str) -> Principal | None:
        """The principal holding this token hash, or None (also when revoked)."""
        ...

    def revoke_principal(self, principal_id: str, audit: AuditEntry | None = None) -> bool:
        """Revoke a principal's token; False when there is no such principal."""
        ...

    def principal_records(self, org_id: str | None = None) -> list[PrincipalRecord]:
        """Every principal (of ``org_id``), revoked or not, by org and creation; when each
        last acted is read from the audit ledger (one pass over it)."""
        ...

    # -- writes --------------------------------------------------------------
    def submit(self, scope: Scope, report: Report, audit: AuditEntry | None = None) -> SubmitResult:
        """Store a validated report atomically; idempotent per (org, report id).

        Raises Conflict for a known id with other content, BadUserInput or
        NotFound for endpoints the reporter cannot see or of the wrong kind.
        Returns only after the report is durable. ``audit`` is appended to the
        ledger in the same transaction.
        """
        ...

    def submit_many(
        self, reports: list[tuple[Scope, Report]], audit: AuditEntry | None = None
    ) -> list[SubmitResult | Exception]:
        """Bulk import: each report validated alone, the good ones stored in one transaction
        together with ``audit``."""
        ...

    # -- audit ledger --------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        """Append a record in a transaction of its own (reads, refused writes)."""
        ...

    def append_audit_seq(self, entry: AuditEntry) -> int:
        """``append_audit``, answering the record's seq (a custody event names its record:
        ``graph_api.workflow.evidence``)."""
        ...

    def audit_records(self, after: int = 0, limit: int | None = None) -> list[AuditRecord]:
        """The whole chain (the operator's): records with seq > after, oldest first."""
        ...

    def org_audit_records(
        self, org_id: str, after: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        """The records of one org (audience ``org_id``, never ``""``) with org_seq > after,
        oldest first: what its admins see."""
        ...

    def audit_head(self, org_id: str = "") -> AuditHead:
        """The ledger's newest record (seq, hash) and that of ``org_id``'s own chain
        (org_seq, org_hash): what an audit checkpoint anchors."""
        ...

    def principal(self, principal_id: str) -> Principal | None:
        """A principal by id, revoked or not (audit records name them)."""
        ...

    # -- reads ---------------------------------------------------------------
    def entities_by_id(self, scope: Scope, ids: list[str]) -> dict[str, EntityRecord]:
        """The visible entities among ``ids`` (missing and invisible ids are absent)."""
        ...

    def find_entities(
        self, scope: Scope, where: EntityFilter, first: int, after: str | None, count: bool
    ) -> Page[EntityRecord]:
        """Visible entities matching ``where`` by id, a page after the cursor."""
        ...

    def relations_of(
        self,
        scope: Scope,
        entity_id: str,
        direction: str,
        kinds: frozenset[RelationKind] | None,
        first: int,
        after: str | None,
        count: bool,
    ) -> Page[RelationRecord]:
        """Visible relations at an entity (both ends visible), ordered by kind, other end."""
        ...

    def envelopes(self, keys: list[int]) -> dict[int, Assertion]:
        """Report provenance by report key (keys come from visible records only);
        the assertion's confidence is the report's, the record's fact overrides it."""
        ...

    def view(
        self,
        scope: Scope,
        seeds: list[str] | None = None,
        hops: int | None = None,
        kinds: frozenset[RelationKind] | None = None,
        upstream: bool = False,
    ) -> nx.MultiDiGraph:
        """The caller's visible graph for analytics (nodes: kind, name, region, status;
        edges keyed by relation kind with the caller's ``confidence``).

        ``seeds``/``hops``/``kinds`` promise that the caller will only walk that far
        from the seeds (undirected) over those relation kinds: a remote store may
        fetch just that neighbourhood; the embedded store hands out its lazy view.
        ``upstream`` narrows the promise to traceToSource's directed walk.
        """
        ...

    def visible(self, scope: Scope) -> VisibleGraph:
        """The caller's whole graph as one ``VisibleGraph``, its two reads: ``graph()``, what
        ``view(scope)`` gives, and ``columns()``, all of it as columns (whole-graph work)."""
        ...

    def view_version(self, scope: Scope) -> int:
        """The version of the caller's view: the newest report key among the visibility
        classes ``scope`` may see (0 when none). It grows with every applied write the
        caller may see and with no other, so what is cached per view (whole-graph
        answers, ``totalCount``) keys on it and outlives the writes it may not see: a
        write invisible to the caller must not make its next query slower. Costs no
        work proportional to the graph."""
        ...

    # -- the change log of STIX feeds (store.events) --------------------------
    def visible_reports(self, scope: Scope, after: int) -> list[LoggedReport]:
        """The reports after key ``after`` that ``scope`` may see, oldest first."""
        ...

    def report_changes(self, scope: Scope, after: int, upto: int) -> ReportChanges:
        """The entities and relations stated by the reports in (after, upto] that
        ``scope`` may see."""
        ...

    def close(self) -> None: ...


@dataclass
class CheckedBatch:
    """A bulk batch checked by a `WriteAhead` store: an answer per report (a
    `SubmitResult` or the error that refused it), the reports to write, and whether
    they are written (set by ``write_checked``, read by the thread checking later
    batches)."""

    results: list[SubmitResult | Exception]
    good: list[Report]
    written: bool = False


@runtime_checkable
class WriteAhead(Protocol):
    """A store whose writes wait on a server: a bulk import checks batch n+1 while
    batch n is written (``graph_api.bulk``), and ``submit_many`` is ``check_many`` then
    ``write_checked``."""

    def check_many(
        self, reports: list[tuple[Scope, Report]], ahead: Sequence[CheckedBatch] = ()
    ) -> CheckedBatch:
        """Check each report as ``submit_many`` would, writing nothing; the good reports
        of ``ahead`` (checked earlier, maybe not yet committed) count as written."""
        ...

    def write_checked(self, checked: CheckedBatch, audit: AuditEntry | None = None) -> None:
        """Write a checked batch's good reports in one transaction with ``audit``."""
        ...


@runtime_checkable
class AuditAhead(Protocol):
    """A store whose audit append waits on a server: a query's record, known before it
    runs, is appended while the query's own reads wait (``graph_api.api.auditing``):
    ``Backend.audit_ahead`` (a benchmark sets it to None to compare)."""

    def begin_audit(self, entry: AuditEntry) -> Callable[[], None]:
        """Start appending ``entry`` while the operation runs (off the calling thread, or
        with the operation's first read); the callable returned waits for it and raises
        what the append raised. A ledger read by the same operation
        (``deadline.current()``) leaves this record out, as on a store that appends it
        after the answer."""
        ...
