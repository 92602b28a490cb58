"""A per-request time budget, checked cooperatively where work can grow.

The GraphQL layer opens a budget for each operation; walks over the caller's
view call ``check()`` as they expand nodes, so a runaway query ends with
LIMIT_EXCEEDED instead of holding the server. Whole-graph results that are
cached for every caller (rings, rankings) run outside any one request's budget.
A store that hands work to a server (Neo4j) asks ``current()`` how long the
server may take, and knows the operation by it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from graph_api.errors import LimitExceeded

__all__ = ["Budget", "budget", "check", "current", "exceeded", "suspended"]


@dataclass(frozen=True, eq=False)
class Budget:
    """One operation's time budget: a new object per ``budget()``, so its identity
    names the operation (a store may keep what the operation read by it)."""

    ends: float  # time.monotonic() when the budget is spent
    seconds: float  # the budget as given

    def remaining(self) -> float:
        """Seconds left (negative once spent)."""
        return self.ends - time.monotonic()


_deadline: ContextVar[Budget | None] = ContextVar("deadline", default=None)


@contextlib.contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Allow the enclosed work ``seconds`` of wall time."""
    token = _deadline.set(Budget(time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    token = _deadline.set(None)
    try:
        yield
    finally:
        _deadline.reset(token)


def current() -> Budget | None:
    """The budget of the enclosing operation, None outside one (or while suspended).

    >>> current() is None
    True
    >>> with budget(5.0):
    ...     0 < current().remaining() <= 5.0
    True
    """
    return _deadline.get()


def exceeded(seconds: float | None = None) -> LimitExceeded:
    """The error of a spent budget (of ``seconds``, else the current one's)."""
    if seconds is None:
        found = _deadline.get()
        seconds = found.seconds if found is not None else 0.0
    return LimitExceeded(
        f"the request ran past its time limit of {seconds:g} s; "
        "narrow it (fewer hops, a lower limit, a higher minConfidence)"
    )


def check() -> None:
    """Raise LimitExceeded once the current budget is spent.

    >>> with budget(-1.0):
    ...     check()
    Traceback (most recent call last):
    graph_api.errors.LimitExceeded: the request ran past its time limit of -1 s; ...
    """
    current = _deadline.get()
    if current is not None and time.monotonic() > current.ends:
        raise exceeded(current.seconds)
