"""Twin stores for leak tests: one holds secrets a caller may not read, the other lacks them.

A leak test builds store A (the shared world plus every secret action) and
store B (the shared world plus only the secret actions the caller may read),
then asks both the same thing as the caller: the answers must be equal. Both
stores share the pseudonym key, the clock and principals with fixed ids, and
``uuid.uuid4`` is made deterministic per *phase* (the shared world, each
secret action, each mutation under test), so ids made by the same phase are
equal in A and B whatever else either store holds.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from graph_api.access import Scope
from graph_api.config import Settings
from graph_api.export.keys import load_or_create_signing_key
from graph_api.keyfiles import SECRET_FILES, database_folder
from graph_api.model import Org, OrgType, Principal
from graph_api.services import Services, hash_token
from graph_api.workflow import start_workflow
from tests.conftest import FixedClock
from tests.security.coverage import record
from tests.support import gql

ORGS = (
    ("acme", "Acme", OrgType.BRAND, True),
    ("rival", "Rival", OrgType.BRAND, False),
    ("trusty", "Trusty", OrgType.BRAND, True),
    ("bazaar", "Bazaar", OrgType.PLATFORM, False),
    ("police", "Police", OrgType.REGULATOR, False),
)
# (org, role) pairs every twin store holds, with fixed principal ids and tokens.
ROLES = (
    ("acme", "investigator"), ("acme", "analyst"), ("acme", "admin"),
    ("rival", "investigator"), ("rival", "analyst"), ("trusty", "investigator"),
    ("bazaar", "investigator"), ("bazaar", "reviewer"), ("bazaar", "admin"),
    ("police", "investigator"), ("police", "liaison"), ("police", "admin"),
)


def token_of(org: str, role: str) -> str:
    return f"gapi_test_{org}_{role}"


def phase_uuid(phase: str, n: int = 0) -> uuid.UUID:
    """The ``n``-th uuid4 that ``Ids`` hands out in ``phase``."""
    digest = hashlib.sha256(f"{phase}:{n}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


class Ids:
    """A deterministic ``uuid.uuid4``: counters per (store, phase), values per (phase, n)."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], int] = {}
        self.store = ""
        self.phase = "shared"

    def __call__(self) -> uuid.UUID:
        key = (self.store, self.phase)
        n = self.counters.get(key, 0)
        self.counters[key] = n + 1
        return phase_uuid(self.phase, n)

    @contextmanager
    def at(self, store: str, phase: str) -> Iterator[None]:
        saved = self.store, self.phase
        self.store, self.phase = store, phase
        try:
            yield
        finally:
            self.store, self.phase = saved


Scopes = dict[str, Scope]
Action = Callable[[Services, Scopes], None]


@dataclass(frozen=True)
class Secret:
    """One secret action and the orgs that may read what it leaves behind."""

    name: str
    readers: frozenset[str]
    run: Action


@dataclass
class Twins:
    """Store A (everything) and store B (what ``caller`` may read), asked as ``scope``."""

    a: Services
    b: Services
    scopes: Scopes
    ids: Ids
    caller: str
    phase_n: int = field(default=0)

    def ask(self, query: str, variables: dict[str, Any] | None = None,
            as_: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        scope = self.scopes[as_ or self.caller]
        record(query, variables)
        self.phase_n += 1
        phase = f"ask-{self.phase_n}"
        with self.ids.at("A", phase):
            in_a = gql(self.a, scope, query, variables)
        with self.ids.at("B", phase):
            in_b = gql(self.b, scope, query, variables)
        return in_a, in_b

    def same(self, query: str, variables: dict[str, Any] | None = None,
             as_: str | None = None) -> dict[str, Any]:
        """Ask both stores; fail with both answers unless they are equal."""
        in_a, in_b = self.ask(query, variables, as_)
        assert in_a == in_b, (
            f"{as_ or self.caller} can tell the stores apart\nquery: {query}\n"
            f"variables: {variables}\nwith secrets: {in_a}\nwithout:      {in_b}"
        )
        return in_a


def make_scopes(services: Services) -> Scopes:
    """The fixed orgs and principals; scopes named "org" (investigator) and "org:role"."""
    for org_id, name, org_type, trusted in ORGS:
        services.store.add_org(Org(org_id, name, org_type, trusted))
    scopes: Scopes = {}
    for org_id, role in ROLES:
        org = services.store.org(org_id)
        assert org is not None
        principal = Principal(f"p-{org_id}-{role}", org, role)
        services.store.add_principal(principal, hash_token(token_of(org_id, role)))
        scope = services.scope_for(principal)
        scopes[f"{org_id}:{role}"] = scope
        if role == "investigator":
            scopes[org_id] = scope
    return scopes


def open_services(folder: Path, keys_from: Path | None = None) -> Services:
    """Services over ``folder/graph.db``; with the secrets of ``keys_from/graph.db`` when
    given."""
    folder.mkdir(parents=True, exist_ok=True)
    if keys_from is not None:
        source = database_folder(keys_from / "graph.db")
        target = database_folder(folder / "graph.db")
        target.mkdir(exist_ok=True)
        for name in SECRET_FILES:
            if (source / name).exists():
                shutil.copy(source / name, target / name)
    # No publication policy: a publication is an explicit platform act that a twin
    # test applies to both stores (test_publish_and_publications); by policy a hidden
    # notice's delisting would be published to all, which is the one intended widening.
    settings = Settings(db=folder / "graph.db", publish=frozenset(), notice_rights="optional")
    services = start_workflow(Services.open(settings, clock=FixedClock()))
    load_or_create_signing_key(settings.secrets_dir)
    return services


def build_twins(
    tmp: Path,
    ids: Ids,
    caller: str,
    shared: Action,
    secrets: list[Secret],
) -> Twins:
    """Store A: shared + every secret; store B: shared + the secrets ``caller`` may read."""
    a = open_services(tmp / "with-secrets")
    b = open_services(tmp / "without", keys_from=tmp / "with-secrets")
    scopes = make_scopes(a)
    make_scopes(b)
    for label, services, wanted in (
        ("A", a, secrets),
        ("B", b, [s for s in secrets if caller in s.readers]),
    ):
        with ids.at(label, "shared"):
            shared(services, scopes)
        for secret in wanted:
            with ids.at(label, f"secret-{secret.name}"):
                secret.run(services, scopes)
    return Twins(a=a, b=b, scopes=scopes, ids=ids, caller=caller)


def report(services: Services, scope: Scope, report_id: str, marking: str,
           entities: list[dict[str, Any]], relations: list[dict[str, Any]],
           confidence: float = 0.8, shared_with: list[str] | None = None,
           source: str = "INVESTIGATION") -> None:
    raw: dict[str, Any] = {
        "reportId": report_id, "source": source, "confidence": confidence,
        "marking": marking, "entities": entities, "relations": relations,
    }
    if shared_with:
        raw["sharedWith"] = shared_with
    result = services.submit_report(scope, raw)
    assert result.created, report_id


def decode_cursor(cursor: str) -> list[str]:
    padded = cursor + "=" * (-len(cursor) % 4)
    key = orjson.loads(base64.urlsafe_b64decode(padded))
    assert isinstance(key, list)
    return [str(k) for k in key]


def encode_cursor(key: list[str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a nested answer."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def cursors_in(answer: Any) -> list[str]:
    return [v for k, v in walk(answer) if k in ("cursor", "endCursor") and isinstance(v, str)]


ORDERED_AT = datetime(2026, 10, 30, 12, 0, tzinfo=UTC).isoformat()
