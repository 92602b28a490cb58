"""The per-request context: the caller's scope and batch loaders over the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from graph_api.access import Action, Scope
from graph_api.audit import AuditEntry
from graph_api.errors import GraphAPIError, LimitExceeded, Unauthenticated
from graph_api.model import Assertion
from graph_api.services import Services
from graph_api.store.base import EntityRecord, GraphStore

__all__ = ["Context", "MAX_HOPS", "MAX_LIMIT", "check_limit"]

MAX_HOPS = 8
MAX_LIMIT = 10_000


def check_limit(name: str, value: int, maximum: int, minimum: int = 0) -> int:
    if value > maximum:
        raise LimitExceeded(f"{name} is at most {maximum}, got {value}", field=name)
    if value < minimum:
        from graph_api.errors import BadUserInput

        raise BadUserInput(f"{name} is at least {minimum}, got {value}", field=name)
    return value


@dataclass
class Context:
    services: Services
    auth_error: GraphAPIError | None = None
    _scope: Scope | None = None
    entity_loader: DataLoader[str, EntityRecord | None] = field(init=False)
    envelope_loader: DataLoader[int, Assertion] = field(init=False)
    extra: dict[str, Any] = field(default_factory=dict)
    pending_audit: AuditEntry | None = None
    connection_params: dict[str, Any] | None = None  # WebSocket connection_init payload

    def __post_init__(self) -> None:
        self.entity_loader = DataLoader(load_fn=self._load_entities)
        self.envelope_loader = DataLoader(load_fn=self._load_envelopes)

    def take_audit(self) -> AuditEntry | None:
        """The operation's audit entry, once: a write records it in its own transaction."""
        entry, self.pending_audit = self.pending_audit, None
        return entry

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            raise self.auth_error or Unauthenticated("send Authorization: Bearer <token>")
        return self._scope

    def require(self, action: Action) -> Scope:
        scope = self.scope
        scope.require(action)
        return scope

    @property
    def store(self) -> GraphStore:
        return self.services.store

    async def _load_entities(self, ids: list[str]) -> list[EntityRecord | None]:
        found = self.services.store.entities_by_id(self.scope, list(dict.fromkeys(ids)))
        return [found.get(i) for i in ids]

    async def _load_envelopes(self, keys: list[int]) -> list[Assertion]:
        found = self.services.store.envelopes(list(dict.fromkeys(keys)))
        return [found[k] for k in keys]
