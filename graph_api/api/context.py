"""One GraphQL operation: who asks, its time budget, what it has read, its audit record.

The operation pipeline (``graph_api.api.pipeline``) makes an ``Operation`` for every
operation on every transport — an HTTP request, and each ``subscribe`` message on
a WebSocket — and graphql-core hands it to every resolver as ``info.context``
(hence the other name, ``Context``). Nothing in it outlives the operation: a
WebSocket connection keeps only its token, and its next operation is
authenticated, limited and audited afresh.

Entity records and assertion envelopes read once per operation are kept here,
so a record named twice (a relation's end, a path's node) costs one read. Two
ways fill it, both one store call per batch: ``entity_records`` /
``envelopes_of`` synchronously for a list the resolver holds (a page, a path:
see ``types.Batch``), and ``entity_loader`` for fields that run side by side
under different parents (every ring's members), which pays asyncio's overhead
to batch across them.

Whole-graph answers are asked through ``Operation.whole_graph``, which notes those
that were older than the caller's view (a max age: ``GRAPH_API_ANALYTICS_MAX_AGE``)
for the response's ``extensions.wholeGraph`` (``older_answers``), on every transport.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from graphql.pyutils import Path
from strawberry.dataloader import DataLoader

from graph_api import deadline
from graph_api.access import Action, Scope
from graph_api.api.cost import Spend
from graph_api.audit import AuditEntry
from graph_api.errors import BadUserInput, GraphAPIError, LimitExceeded, Unauthenticated
from graph_api.model import Assertion
from graph_api.services import Services
from graph_api.store.base import EntityRecord, GraphStore

__all__ = ["Context", "MAX_HOPS", "MAX_LIMIT", "OlderAnswer", "Operation", "check_limit"]

MAX_HOPS = 8
MAX_LIMIT = 10_000
T = TypeVar("T")


def check_limit(name: str, value: int, maximum: int, minimum: int = 0) -> int:
    if value > maximum:
        raise LimitExceeded(f"{name} is at most {maximum}, got {value}", field=name)
    if value < minimum:
        raise BadUserInput(f"{name} is at least {minimum}, got {value}", field=name)
    return value


class OlderAnswer(NamedTuple):
    """A field answered with a whole-graph answer computed from an older version of the
    caller's view, read at ``as_of`` (at most the server's max age before)."""

    path: tuple[str | int, ...]  # the field's response path, as an error's ``path``
    as_of: datetime

    def extension(self) -> dict[str, Any]:
        """As ``extensions.wholeGraph`` lists it.

        >>> from datetime import UTC
        >>> OlderAnswer(("rings",), datetime(2026, 11, 1, 9, 0, tzinfo=UTC)).extension()
        {'path': ['rings'], 'asOf': '2026-11-01T09:00:00+00:00', 'current': False}
        """
        return {"path": list(self.path), "asOf": self.as_of.isoformat(), "current": False}


@dataclass(eq=False)
class Operation:
    """The state of one operation, made for it and dropped after it."""

    services: Services
    auth_error: GraphAPIError | None = None  # why there is no scope (None: there is one)
    _scope: Scope | None = None
    label: str = ""  # "query entity": what the audit record names
    # Whose cost budget pays for it (``ratelimit.caller_key``, set by the pipeline; None:
    # run in process, charged to nobody) and what it was charged (``api.cost``).
    caller: str | None = None
    rate_limit: Spend | None = None
    budget: deadline.Budget | None = None  # its time, while it runs (``auditing.audited``)
    pending_audit: AuditEntry | None = None  # its record, until a write takes it
    entity_loader: DataLoader[str, EntityRecord | None] = field(init=False)
    _records: dict[str, EntityRecord | None] = field(default_factory=dict)
    _envelopes: dict[int, Assertion] = field(default_factory=dict)
    older_answers: list[OlderAnswer] = field(default_factory=list)  # see `whole_graph`

    def __post_init__(self) -> None:
        self.entity_loader = DataLoader(load_fn=self._load_entities)

    def take_audit(self) -> AuditEntry | None:
        """The operation's audit entry, once: a write records it in its own transaction."""
        entry, self.pending_audit = self.pending_audit, None
        return entry

    async def whole_graph(self, path: Path, name: str, arg: Any,
                          compute: Callable[[Any], T]) -> T:
        """`WholeGraph.answer`'s answer for the caller, noted in ``older_answers``
        under the field's ``path`` when it is an older one."""
        answered = await self.services.whole_graph.answer(self.scope, name, arg, compute,
                                                          self.caller)
        if answered.as_of is not None:
            self.older_answers.append(OlderAnswer(tuple(path.as_list()), answered.as_of))
        return answered.value

    def take_extensions(self) -> dict[str, Any] | None:
        """The response's ``extensions`` for what ran since the last call (an
        operation, or one event of a subscription): the older answers it was given."""
        older, self.older_answers = self.older_answers, []
        if not older:
            return None
        return {"wholeGraph": [answer.extension() for answer in older]}

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

    def entity_records(self, ids: Sequence[str]) -> list[EntityRecord | None]:
        """The caller's records of ``ids`` (None: missing or invisible), those not read
        before in this operation in one store call."""
        known = self._records
        missing = [i for i in dict.fromkeys(ids) if i not in known]
        if missing:
            found = self.services.store.entities_by_id(self.scope, missing)
            for i in missing:
                known[i] = found.get(i)
        return [known[i] for i in ids]

    def envelopes_of(self, keys: Iterable[int]) -> None:
        """Read the envelopes of these report keys not read before, in one store call."""
        known = self._envelopes
        missing = [k for k in dict.fromkeys(keys) if k not in known]
        if missing:
            known.update(self.services.store.envelopes(missing))

    def envelope(self, key: int) -> Assertion:
        """An envelope read by ``envelopes_of`` (or read now, alone)."""
        found = self._envelopes.get(key)
        if found is None:
            self.envelopes_of((key,))
            found = self._envelopes[key]
        return found

    def forget_entities(self) -> None:
        """After a write in this operation, and before each event of a subscription:
        read records afresh."""
        self._records.clear()
        self.entity_loader.clear_all()

    async def _load_entities(self, ids: list[str]) -> list[EntityRecord | None]:
        return self.entity_records(ids)


Context = Operation  # what resolvers call ``info.context``
