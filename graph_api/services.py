"""What the API and the command line do, once: auth, orgs, tokens, reports, and
whole-graph work through its seam (``whole_graph``: `graph_api.whole_graph`).

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
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph_api.access import Action, Reporters, Scope, check_role_for_org
from graph_api.audit import AuditEntry, digest_of
from graph_api.bearer import bearer_token
from graph_api.clock import utc_now
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
from graph_api.store import open_backend
from graph_api.store.backend import Backend
from graph_api.store.base import GraphStore, SubmitResult
from graph_api.store.records import RecordStore
from graph_api.whole_graph import WholeGraph

__all__ = ["Closing", "ReportCommitted", "Services", "hash_token", "slug"]

Clock = Callable[[], datetime]
ReportCommitted = Callable[["Services", Scope, Report], object]
"""A subscriber to ``Services.on_commit``: called after ``commit_report`` stored a new
report, with the scope it was reported under (the workflow's alert detection)."""
Closing = Callable[["Services"], object]
"""A subscriber to ``Services.on_close``: called first when the services close."""
log = logging.getLogger(__name__)


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


@dataclass
class Services:
    settings: Settings
    backend: Backend
    store: GraphStore = field(init=False)  # ``backend.store``: what every read and write uses
    clock: Clock = field(default=utc_now)
    secret: bytes = b""
    audit_key: bytes = b""  # the audit digest key (`audit_digest`)
    # Rings, topSources, exports...: kept per view, computed off the request loop.
    whole_graph: WholeGraph = field(init=False, repr=False)
    # What is built on these services subscribes when it starts, in order
    # (`graph_api.workflow.start_workflow`).
    on_commit: list[ReportCommitted] = field(default_factory=list, repr=False)
    on_close: list[Closing] = field(default_factory=list, repr=False)
    # The workflow's state (`graph_api.workflow.runtime.Workflow`, a layer above: typed
    # there), made on first use and dropped by its close.
    workflow: object | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.store = self.backend.store
        self.whole_graph = WholeGraph.of(self.settings, self.backend, self.clock)

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
        self.whole_graph.close()
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
