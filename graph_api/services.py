"""What the API and the command line do, once: auth, orgs, tokens, reports.

``Services`` binds a store to the settings, the server secrets and a clock.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from graph_api import deadline
from graph_api.access import Action, Reporters, Scope, check_role_for_org
from graph_api.audit import AuditEntry, digest_of
from graph_api.bearer import bearer_token
from graph_api.config import Settings
from graph_api.errors import Unauthenticated
from graph_api.keyfiles import (
    AUDIT_KEY_FILE,
    PSEUDONYM_KEY_FILE,
    adopt_folder_files,
    load_or_create_secret,
)
from graph_api.model import Org, OrgType, Principal, Report
from graph_api.reports import parse_report
from graph_api.store.base import GraphStore, SubmitResult

if TYPE_CHECKING:
    from graph_api.analytics.kept import KeptViews

__all__ = ["Services", "hash_token", "open_store", "slug"]

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
T = TypeVar("T")
CACHED = 256  # whole-graph answers kept (`Services.cached`), over every view


def utc_now() -> datetime:
    return datetime.now(UTC)


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


def open_store(settings: Settings, with_graph: bool = True, create: bool = True) -> GraphStore:
    """The store of ``settings``; ``create=False`` refuses (ValueError) a database that
    is not there yet instead of making it."""
    if settings.store == "neo4j":
        from graph_api.store.neo4j import Neo4jStore

        return Neo4jStore(settings, create=create)
    if settings.store != "memory":
        raise ValueError(f"unknown store {settings.store!r}: memory or neo4j")
    from graph_api.store.memory import MemoryStore

    return MemoryStore(settings.db, with_graph=with_graph, create=create)


def _kept_views() -> KeptViews:
    from graph_api.analytics.kept import KeptViews  # imports the analytics: only when asked

    return KeptViews()


@dataclass
class Services:
    settings: Settings
    store: GraphStore
    clock: Clock = field(default=utc_now)
    secret: bytes = b""
    audit_key: bytes = b""  # the audit digest key (`audit_digest`)
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    _kept: KeptViews = field(default_factory=_kept_views, repr=False)

    @classmethod
    def open(cls, settings: Settings, clock: Clock = utc_now, with_graph: bool = True,
             create: bool = True) -> Services:
        """``with_graph=False``: a bulk writer that keeps no graph in memory.
        ``create=False``: the database must exist (its missing secrets are still made)."""
        existed = settings.store == "neo4j" or settings.db.is_file()
        store = open_store(settings, with_graph, create)
        adopted = adopt_folder_files(settings.db, existed,
                                     lambda principal: store.principal(principal) is not None)
        if adopted:
            log.warning("%s: copied the folder's %s into %s (this database's own folder); "
                        "remove them from %s once every database there has started",
                        settings.db, ", ".join(adopted), settings.secrets_dir,
                        settings.db.parent)
        secret = load_or_create_secret(settings.secrets_dir / PSEUDONYM_KEY_FILE)
        audit_key = load_or_create_secret(settings.secrets_dir / AUDIT_KEY_FILE)
        return cls(settings=settings, store=store, clock=clock, secret=secret,
                   audit_key=audit_key)

    def close(self) -> None:
        from graph_api.workflow import close_workflow

        close_workflow(self)
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
    def cached(self, scope: Scope, name: str, arg: Any, compute: Callable[[Any], T]) -> T:
        """``compute(view)`` once per (caller's view, its version, name, arg).

        The view's version (``GraphStore.view_version``) moves with every write the
        caller may see, so a cached answer never outlives the data it was computed
        from; a write the caller may not see leaves its answers cached (and its next
        query as fast as before: no timing signal of the write). Each view keeps its
        latest version only; ``CACHED`` answers are kept over all views.
        """
        key = (scope.view_key, self.store.view_version(scope), name, arg)
        if key not in self._cache:
            with deadline.suspended():  # shared by every request of this view
                view = self.store.view(scope)  # follows the database first
                key = (scope.view_key, self.store.view_version(scope), name, arg)
                if key not in self._cache:
                    for k in [k for k in self._cache if k[0] == key[0] and k[1] != key[1]]:
                        del self._cache[k]
                    while len(self._cache) >= CACHED:
                        del self._cache[next(iter(self._cache))]  # the oldest computed
                    view.__networkx_cache__ = self._derived_cache(scope.view_key, key[1], view)
                    self._cache[key] = compute(view)
        result: T = self._cache[key]
        return result

    def _derived_cache(self, view_key: str, version: int, view: Any) -> dict[str, Any]:
        """networkx's per-graph cache for the view: what whole-graph analytics
        derive from it (the numpy snapshot, graph_api.analytics.snapshot), kept
        for the few views asked last (`graph_api.analytics.kept.KeptViews`) and
        followed over the store's changes rather than read again after a write.
        """
        changes_since = getattr(self.store, "changes_since", None)  # the embedded store's
        return self._kept.cache(view_key, version, view, changes_since)

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
        """Store a parsed report, then let the workflows react (alerts)."""
        from graph_api.workflow import on_report_committed

        result = self.store.submit(scope, report, audit)
        if result.created:
            on_report_committed(self, scope, report)
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
