"""The server's clock, and one instant per write.

A mutation (or a batch of the background sweep) happens at one instant: inside
``one_instant()`` every reading of ``utc_now`` gives the time it began. So the
times a write puts in its records (a case's ``openedAt``, a notice's ``filedAt``)
and the time the records' history files it under are the same, and a read as of
that time (``@asOf``) finds what it wrote.

The instant ends with the block, also for tasks started inside it (they share
its holder, emptied on exit): they read the clock again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

__all__ = ["one_instant", "utc_now"]


class _Instant:
    __slots__ = ("at",)

    def __init__(self, at: datetime) -> None:
        self.at: datetime | None = at


_CURRENT: ContextVar[_Instant | None] = ContextVar("graph_api_instant", default=None)


def utc_now() -> datetime:
    """Now, or the instant of the write under way."""
    current = _CURRENT.get()
    at = current.at if current is not None else None
    return at if at is not None else datetime.now(UTC)


@contextmanager
def one_instant() -> Iterator[datetime]:
    """Readings of ``utc_now`` inside are the instant it began (an enclosing one's)."""
    current = _CURRENT.get()
    if current is not None and current.at is not None:
        yield current.at
        return
    at = datetime.now(UTC)
    instant = _Instant(at)
    token = _CURRENT.set(instant)
    try:
        yield at
    finally:
        instant.at = None
        _CURRENT.reset(token)
