"""What the API and the command line do, once: auth, orgs, tokens, reports.

``Services`` binds a store to the settings, the server secrets and a clock. What is
built on them (the workflow) subscribes to their hooks when it starts
(``on_commit``, ``on_close``): services import nothing above them.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from graph_api import deadline
from graph_api.access import Action, Reporters, Scope, check_role_for_org
from graph_api.audit import AuditEntry, digest_of
from graph_api.bearer import bearer_token
from graph_api.clock import utc_now
from graph_api.config import Settings
from graph_api.errors import Unauthenticated
from graph_api.kept_answers import Answered, Flight, Flights, KeptAnswer, KeptAnswers, Question
from graph_api.keyfiles import (
    AUDIT_KEY_FILE,
    PSEUDONYM_KEY_FILE,
    adopt_folder_files,
    load_or_create_secret,
)
from graph_api.model import Org, OrgType, Principal, Report
from graph_api.offload import Job, Offload, Prepared
from graph_api.reports import parse_report
from graph_api.store import open_backend
from graph_api.store.backend import Backend, GraphInProcess
from graph_api.store.base import GraphStore, SubmitResult
from graph_api.store.records import RecordStore

if TYPE_CHECKING:

    from graph_api.analytics.kept import KeptViews
    from graph_api.store.columns import ColumnMirror

__all__ = ["Closing", "ReportCommitted", "Services", "hash_token", "slug"]

Clock = Callable[[], datetime]
ReportCommitted = Callable[["Services", Scope, Report], object]
"""A subscriber to ``Services.on_commit``: called after ``commit_report`` stored a new
report, with the scope it was reported under (the workflow's alert detection)."""
Closing = Callable[["Services"], object]
"""A subscriber to ``Services.on_close``: called first when the services close."""
log = logging.getLogger(__name__)
T = TypeVar("T")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def slug(name: str) -> str:
    """An org id from its name.

    >>> slug("Maison Verel")
    'maison-verel'
    """
    text = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    if not text:
        raise ValueError(f"cannot make an id from {name!r}")
    return text


def _kept_views(entities: int = 0) -> KeptViews:
    """The views' caches kept, as many as fit in memory for ``entities`` (0: unknown,
    the fewest)."""
    from graph_api.analytics.kept import KEPT_VIEWS, KeptViews, views_within

    return KeptViews(views_within(entities) if entities else KEPT_VIEWS)


def _offload(settings: Settings) -> Offload:
    return Offload(settings.whole_graph_workers, settings.whole_graph_per_token,
                   settings.whole_graph_queued)


class _Detached:
    """What a whole-graph job is handed instead of the live view: its networkx cache
    (where the snapshot is) and nothing else, so that a step reading the view itself
    fails loudly instead of racing the loop's writes."""

    def __init__(self, cache: dict[str, Any]) -> None:
        self.__networkx_cache__ = cache


@dataclass
class Services:
    settings: Settings
    backend: Backend
    store: GraphStore = field(init=False)  # ``backend.store``: what every read and write uses
    clock: Clock = field(default=utc_now)
    secret: bytes = b""
    audit_key: bytes = b""  # the audit digest key (`audit_digest`)
    # How old a whole-graph answer is (`whole_graph`), in seconds: time.monotonic's.
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    _answers: KeptAnswers = field(default_factory=KeptAnswers, repr=False)  # whole-graph
    _flights: Flights = field(default_factory=Flights, repr=False)  # ... being computed
    _kept: KeptViews = field(default_factory=_kept_views, repr=False)
    offload: Offload | None = field(default=None, repr=False)  # whole-graph work's pool
    _mirror: ColumnMirror | None = field(default=None, repr=False)
    # What is built on these services subscribes when it starts, in order
    # (`graph_api.workflow.start_workflow`).
    on_commit: list[ReportCommitted] = field(default_factory=list, repr=False)
    on_close: list[Closing] = field(default_factory=list, repr=False)
    # The workflow's state (`graph_api.workflow.runtime.Workflow`, a layer above: typed
    # there), made on first use and dropped by its close.
    workflow: object | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.store = self.backend.store
        in_process = self.backend.in_process
        if in_process is not None and in_process.with_graph:
            self._kept = _kept_views(len(in_process.graph))
        if self.offload is None:
            self.offload = _offload(self.settings)

    @classmethod
    def open(cls, settings: Settings, clock: Clock = utc_now, with_graph: bool = True,
             create: bool = True) -> Services:
        """``with_graph=False``: a bulk writer that keeps no graph in memory.
        ``create=False``: the database must exist (its missing secrets are still made)."""
        existed = settings.store == "neo4j" or settings.db.is_file()
        backend = open_backend(settings, with_graph, create)
        store = backend.store
        adopted = adopt_folder_files(settings.db, existed,
                                     lambda principal: store.principal(principal) is not None)
        if adopted:
            log.warning("%s: copied the folder's %s into %s (this database's own folder); "
                        "remove them from %s once every database there has started",
                        settings.db, ", ".join(adopted), settings.secrets_dir,
                        settings.db.parent)
        secret = load_or_create_secret(settings.secrets_dir / PSEUDONYM_KEY_FILE)
        audit_key = load_or_create_secret(settings.secrets_dir / AUDIT_KEY_FILE)
        return cls(settings=settings, backend=backend, clock=clock, secret=secret,
                   audit_key=audit_key)

    def open_records(self) -> RecordStore:
        """A new connection to where the workflow's records live (``backend``)."""
        return self.backend.open_records(self.clock)

    def close(self) -> None:
        """The subscribers' ``on_close`` first (the workflow's records), then the
        whole-graph pool, then the store."""
        for closing in self.on_close:
            closing(self)
        if self.offload is not None:
            self.offload.close()
        self.store.close()

    # -- orgs and tokens -----------------------------------------------------
    def add_org(
        self, name: str, org_type: OrgType, trusted: bool = False, org_id: str | None = None
    ) -> Org:
        org = Org(org_id or slug(name), name, org_type, trusted)
        return self.store.add_org(org, self.operator_audit(f"cli org add {org.id}", org.id))

    def find_org(self, name_or_id: str) -> Org:
        orgs = self.store.orgs()
        for org in orgs:
            if name_or_id in (org.id, org.name):
                return org
        known = ", ".join(sorted(o.id for o in orgs)) or "none yet"
        raise ValueError(
            f"no org {name_or_id!r} in this database (its orgs: {known}); add it first with "
            "`graph-api org add NAME --type BRAND|PLATFORM|REGULATOR`, or all of a list with "
            "`graph-api org load ORGS.json` (`graph-api generate` writes FILE.orgs.json)"
        )

    def issue_token(self, org: Org, role: str) -> tuple[Principal, str]:
        check_role_for_org(role, org.type)
        token = "gapi_" + secrets.token_urlsafe(32)
        principal = Principal(f"p-{uuid.uuid4().hex[:16]}", org, role)
        audit = self.operator_audit(f"cli token issue {principal.id} {role}", org.id)
        self.store.add_principal(principal, hash_token(token), audit)
        return principal, token

    def authenticate(self, header: str | None) -> Scope:
        """The scope of an ``Authorization: Bearer TOKEN`` header, read by ``bearer_token``
        (as the rate limiter reads it: one token, one bucket)."""
        token = bearer_token(header)
        if token is None:
            raise Unauthenticated("send Authorization: Bearer <token>")
        principal = self.store.principal_by_token_hash(hash_token(token))
        if principal is None:
            raise Unauthenticated("the token is not valid (unknown or revoked)")
        return self.scope_for(principal)

    def operator_audit(self, operation: str, org_id: str = "") -> AuditEntry:
        """An audit entry for a local operator's command (``graph-api ...``)."""
        return AuditEntry(
            self.clock(),
            f"cli:{getpass.getuser()}",
            org_id,
            operation,
            self.audit_digest({"operation": operation}),
        )

    def audit_entry(self, scope: Scope | None, label: str,
                    variables: Mapping[str, Any] | None) -> AuditEntry:
        """The record of an operation (or a download) by ``scope`` on any transport (a
        GraphQL operation, a TAXII request): the one place that digests what it was
        asked with."""
        return AuditEntry(
            at=self.clock(),
            principal_id=scope.principal_id if scope else "anonymous",
            org_id=scope.org_id if scope else "",
            operation=label,
            digest=self.audit_digest(variables),
        )

    def audit_digest(self, variables: Mapping[str, Any] | None) -> str:
        """An operation's variables as the ledger keeps them: HMAC under the audit key."""
        return digest_of(variables, self.audit_key)

    def revoke(self, principal_id: str) -> bool:
        return self.store.revoke_principal(
            principal_id, self.operator_audit(f"cli token revoke {principal_id}")
        )

    @staticmethod
    def scope_for(principal: Principal) -> Scope:
        return Scope(principal.id, principal.org.id, principal.org.type, principal.role)

    def operator_scope(self, org: Org) -> Scope:
        """A local operator acting for an org from the command line (``--org``)."""
        return Scope(f"cli:{org.id}", org.id, org.type, "analyst")

    # -- whole-graph results, cached per view ---------------------------------
    # The one seam of whole-graph work: `cached` in process (tests, the command
    # line), `whole_graph` for requests, which computes off the event loop
    # (graph_api.offload). Both keep an answer per (view, name, arg) with the
    # view's version it was computed at (graph_api.kept_answers) and prepare its
    # computation the same way (`_job`).

    def cached(self, scope: Scope, name: str, arg: Any, compute: Callable[[Any], T]) -> T:
        """``compute(view)`` once per (caller's view, its version, name, arg), here.

        The view's version (``GraphStore.view_version``) moves with every write the
        caller may see, so a cached answer never outlives the data it was computed
        from; a write the caller may not see leaves its answers cached (and its next
        query as fast as before: no timing signal of the write). Each question keeps
        its latest answer only; ``kept_answers.CACHED`` are kept over all views.
        """
        kept = self._answers.exact((scope.view_key, name, arg), self.store.view_version(scope))
        if kept is not None:
            found: T = kept.value
            return found
        with deadline.suspended():  # shared by every request of this view
            return self._job(scope, name, arg, compute).run_here()

    async def whole_graph(self, scope: Scope, name: str, arg: Any,
                          compute: Callable[[Any], T], caller: str | None = None
                          ) -> Answered[T]:
        """`cached`'s answer for a request: a kept one at once, else computed on the
        pool's threads while the loop serves others (`graph_api.offload.Offload.run`:
        one computation per key, the caller's turn, time budget and connection).

        With a max age A (``settings.analytics_max_age``) above 0, a request whose
        view has moved since the question's kept answer was computed is answered that
        answer at once if its job read the view at most A seconds ago (``as_of`` says
        when), and the current version is computed in the background for the next
        requests (`Offload.refresh`: one refresh of a question at a time, in nobody's
        turn). Whether an older answer is given depends only on the caller's view (its
        key and version) and the clock, so never on a write the caller may not see.
        """
        question = (scope.view_key, name, arg)
        version = self.store.view_version(scope)
        kept = self._answers.get(question)
        if kept is not None and kept.version == version:
            return Answered(kept.value)

        def prepare(flight: Flight) -> Callable[[], Prepared[T]]:
            return lambda: self._job(scope, name, arg, compute, flight)

        assert self.offload is not None
        now, max_age = self.monotonic(), self.settings.analytics_max_age
        if kept is not None and kept.young(now, max_age):
            newest = self._flights.newest(question)
            if newest is None or not self.offload.computing(newest.key):
                flight = self._flights.start(question)
                self.offload.refresh(question, flight.key, scope.view_key, prepare(flight))
            return Answered(kept.value, kept.as_of)
        flight = self._flights.joinable(question, version, now, max_age) \
            or self._flights.start(question)
        value = await self.offload.run(flight.key, scope.view_key, prepare(flight), caller)
        read = flight.read
        if read is not None and read.version < version:  # joined, read before: young
            return Answered(value, read.as_of)
        return Answered(value)

    async def off_loop(self, scope: Scope, work: Callable[[], T],
                       caller: str | None = None) -> T:
        """``work`` (reading only what it was handed: an export's case view) on the pool,
        in the caller's turn and the view's; not shared, not kept."""
        assert self.offload is not None
        return await self.offload.call(scope.view_key, work, caller)

    def _job(self, scope: Scope, name: str, arg: Any, compute: Callable[[Any], T],
             flight: Flight | None = None) -> Prepared[T]:
        """On the loop, in the view's turn: what computing ``name`` reads, taken now.

        The view is the store's ``VisibleGraph`` of the caller. The embedded store's
        view is followed over its changes or read from a copy of its columns
        (`graph_api.store.columns.ColumnMirror`: copied in slices, ``copying``;
        ``VisibleGraph.detached``, read by `graph_api.analytics.snapshot.snapshot_of`);
        the job is then handed a stand-in holding only the view's cache. The Neo4j
        store's view is fetched by the job itself (its driver may be used from any
        thread; what it keeps is kept by content)."""
        store = self.store
        in_process = self.backend.in_process
        if in_process is not None and in_process.columns is not None:
            return self._in_process_job(in_process, scope, name, arg, compute, flight)
        version = store.view_version(scope)
        question = (scope.view_key, name, arg)
        kept = self._kept_now(question, version, flight)
        if kept is not None:
            return Prepared.answered(kept.value)
        keep = self._keep(question, version, flight)
        derived = self._kept.cache(scope.view_key, version, None, None)

        def work() -> T:
            view = store.visible(scope).graph()  # fetched: `snapshot` reads it as it is
            view.__networkx_cache__ = derived
            return compute(view)

        return Prepared.ready(Job(work=work, done=keep))

    def _in_process_job(self, store: GraphInProcess, scope: Scope, name: str, arg: Any,
                        compute: Callable[[Any], T], flight: Flight | None
                        ) -> Prepared[T]:
        from graph_api.analytics.snapshot import CACHE_KEY, PENDING_KEY, snapshot_of
        from graph_api.store.columns import ColumnMirror

        visible = store.visible(scope)  # follows the database first
        version = self.store.view_version(scope)
        question = (scope.view_key, name, arg)
        kept = self._kept_now(question, version, flight)
        if kept is not None:
            return Prepared.answered(kept.value)
        keep = self._keep(question, version, flight)
        derived = self._kept.cache(scope.view_key, version, visible, store.changes_since)
        stand_in = _Detached(derived)
        if CACHE_KEY in derived or PENDING_KEY in derived:  # kept, or followed over writes
            return Prepared.ready(Job(work=lambda: compute(stand_in), done=keep))
        columns = store.columns
        assert columns is not None
        if not visible.reads_columns():  # not the graph its columns describe
            derived[CACHE_KEY] = snapshot_of(visible)  # its graph read, here
            return Prepared.ready(Job(work=lambda: compute(stand_in), done=keep))
        if self._mirror is None:
            self._mirror = ColumnMirror()
        mirror = self._mirror
        copying, frozen = mirror.copy(columns)  # as of now: the version just read

        def job() -> Job[T]:  # after the copy: the columns as copied, every class they name
            detached = visible.detached(frozen(), len(store.classes))

            def work() -> T:
                derived[CACHE_KEY] = snapshot_of(detached)
                return compute(stand_in)

            return Job(work=work, done=keep)

        return Prepared(copying, job)

    def _kept_now(self, question: Question, version: int, flight: Flight | None
                  ) -> KeptAnswer | None:
        """In a job's turn: the answer kept of ``question`` at ``version`` (kept meanwhile
        by another job), which ``flight`` then is as if it had read."""
        kept = self._answers.exact(question, version)
        if kept is not None and flight is not None:
            flight.read = kept
        return kept

    def _keep(self, question: Question, version: int, flight: Flight | None
              ) -> Callable[[Any], None]:
        """How a job of ``question`` at ``version``, its view read now (its as-of
        time), keeps its answer; ``flight``, the computation it is, learns what it
        read. With no max age the view's answers of other versions are dropped now:
        none will be answered again."""
        if self.settings.analytics_max_age <= 0:
            self._answers.forget_other_versions(question[0], version)
        read = KeptAnswer(version, None, self.monotonic(), self.clock())
        if flight is not None:
            flight.read = read

        def keep(result: Any) -> None:
            self._answers.keep(question, read._replace(value=result), self.monotonic(),
                               self.settings.analytics_max_age)
            if flight is not None:
                self._flights.landed(question, flight)

        return keep

    # -- reports -------------------------------------------------------------
    def parse(self, scope: Scope, raw: Mapping[str, Any]) -> Report:
        return parse_report(
            raw,
            org_id=scope.org_id,
            principal_id=scope.principal_id,
            secret=self.secret,
            now=self.clock(),
            known_orgs={o.id for o in self.store.orgs()},
        )

    def submit_report(
        self, scope: Scope, raw: Mapping[str, Any], audit: AuditEntry | None = None
    ) -> SubmitResult:
        """Validate and store a report; ``audit`` is recorded in the same transaction."""
        scope.require(Action.REPORT)
        return self.commit_report(scope, self.parse(scope, raw), audit)

    def commit_report(
        self, scope: Scope, report: Report, audit: AuditEntry | None = None
    ) -> SubmitResult:
        """Store a parsed report, then, if it was new, let the subscribers of
        ``on_commit`` react in order (the workflow's alerts)."""
        result = self.store.submit(scope, report, audit)
        if result.created:
            for committed in self.on_commit:
                committed(self, scope, report)
        return result

    def reporter_scope(self, scope: Scope, raw: Mapping[str, Any], operator: bool) -> Scope:
        """The scope a bulk line reports under: its ``reportedBy`` for a local operator."""
        named = raw.get("reportedBy") if isinstance(raw, Mapping) else None
        return self.reporters(scope, operator).pick(named)

    def reporters(self, scope: Scope, operator: bool) -> Reporters:
        """Whom the lines of an import by ``scope`` may report as."""
        named: dict[str, Scope] = {}
        if operator:
            for org in self.store.orgs():  # the first org by id or name, as find_org
                scope_of_org = self.operator_scope(org)
                named.setdefault(org.id, scope_of_org)
                named.setdefault(org.name, scope_of_org)
        return Reporters(scope, operator, named)
