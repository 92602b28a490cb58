"""A per-request time budget, checked cooperatively where work can grow.

The GraphQL layer opens a budget for each operation; walks over the caller's
view call ``check()`` as they expand nodes, so a runaway query ends with
LIMIT_EXCEEDED instead of holding the server. Whole-graph results that are
cached for every caller (rings, rankings) run outside any one request's budget.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

from graph_api.errors import LimitExceeded

__all__ = ["budget", "check", "suspended"]

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("deadline", default=None)


@contextlib.contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Allow the enclosed work ``seconds`` of wall time."""
    token = _deadline.set((time.monotonic() + seconds, seconds))
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


def check() -> None:
    """Raise LimitExceeded once the current budget is spent.

    >>> with budget(-1.0):
    ...     check()
    Traceback (most recent call last):
    graph_api.errors.LimitExceeded: the request ran past its time limit of -1 s; ...
    """
    current = _deadline.get()
    if current is not None and time.monotonic() > current[0]:
        raise LimitExceeded(
            f"the request ran past its time limit of {current[1]:g} s; "
            "narrow it (fewer hops, a lower limit, a higher minConfidence)"
        )
