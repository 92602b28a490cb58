"""Whole-graph answers kept per question, each with the time its view was read.

A *question* is a whole-graph question asked of one view: the view's key, the
question's name and its argument (``rings`` with ``minSize: 3`` of acme's view).
`WholeGraph` keeps one answer per question (`KeptAnswer`): the view's version it was
computed at, and its *as-of* time, when its job read the view (`WholeGraph._job`, on
the loop, in the view's turn), on the monotonic clock (its age) and on the UTC
clock (what a client is told).

A request whose view is at the kept version gets the answer exactly. With a max age
A above 0 (``GRAPH_API_ANALYTICS_MAX_AGE``), a request whose view has moved since
may be answered the kept one while it was read at most A seconds ago
(`KeptAnswer.young`), so an answer stays until the next one of its question is kept,
which replaces it in place. With A = 0 nothing older is ever answered, and the
services drop a view's answers of other versions as soon as a new version's job is
prepared (`forget_other_versions`), as before there was a max age.

What is kept is bounded: ``CACHED`` questions over all views. To make room, the
question first kept whose answer could no longer be given for a later version (read
more than the max age ago) goes first: dropping it changes no answer, only how soon
one comes (its question is computed again, exactly). Which questions are kept, and in
which order, depends on which were answered and when, never on versions: a write a
view may not see neither adds nor moves an entry, so it cannot decide whether that
view's older answer is still there (DESIGN.md "Derived facts";
tests/security/test_noninterference_max_age.py). Only when all ``CACHED`` answers
were read within the max age does an answer that could still be given go (the first
kept): then another caller's activity decides that a caller is given the current
answer, not the older one, which ``young_dropped`` counts.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

__all__ = ["Answered", "CACHED", "Flight", "Flights", "KeptAnswer", "KeptAnswers", "Question"]

T = TypeVar("T")
CACHED = 256  # whole-graph answers kept, over every view
Question = tuple[str, str, Hashable]
"""(view key, name, argument): one whole-graph question asked of one view."""


class KeptAnswer(NamedTuple):
    """A question's answer, computed from its view at ``version``, which its job read at
    ``read_at`` (the services' monotonic clock) = ``as_of`` (UTC)."""

    version: int
    value: Any
    read_at: float
    as_of: datetime

    def young(self, now: float, max_age: float) -> bool:
        """Whether it may be answered for a later version at ``now``: read at most
        ``max_age`` seconds ago (never when ``max_age`` is 0).

        >>> answer = KeptAnswer(1, [], read_at=100.0, as_of=datetime(2026, 1, 1))
        >>> answer.young(130.0, 30.0), answer.young(130.5, 30.0), answer.young(100.0, 0.0)
        (True, False, False)
        """
        return max_age > 0 and now - self.read_at <= max_age


class Answered(NamedTuple, Generic[T]):
    """A whole-graph answer as a request gets it: ``as_of`` is None when it was
    computed from the view as the caller sees it now, else the time an older version of
    the view was read to compute it (at most the max age ago)."""

    value: T
    as_of: datetime | None = None


class KeptAnswers:
    """The latest answer of each question, ``size`` questions at most.

    Examples
    --------
    >>> at = datetime(2026, 1, 1)
    >>> kept = KeptAnswers(size=2)
    >>> kept.keep(("acme", "rings", 3), KeptAnswer(1, ["r1"], 10.0, at), 10.0, 0.0)
    >>> kept.keep(("acme", "rings", 3), KeptAnswer(2, ["r1", "r2"], 20.0, at), 20.0, 0.0)
    >>> kept.get(("acme", "rings", 3)).version, len(kept)  # replaced in place
    (2, 1)
    >>> kept.keep(("rival", "hotspots", None), KeptAnswer(5, "h", 30.0, at), 30.0, 0.0)
    >>> kept.keep(("acme", "hotspots", None), KeptAnswer(2, "h", 40.0, at), 40.0, 0.0)
    >>> [question[:2] for question in kept]  # acme's rings, first kept, went
    [('rival', 'hotspots'), ('acme', 'hotspots')]

    With a max age of 15 s at 50.0, rival's hotspots (read at 30.0) could no longer be
    given for a later version, acme's (40.0) could: rival's goes first.

    >>> kept.keep(("acme", "rings", 3), KeptAnswer(3, ["r3"], 50.0, at), 50.0, 15.0)
    >>> [question[:2] for question in kept], kept.young_dropped
    ([('acme', 'hotspots'), ('acme', 'rings')], 0)
    >>> kept.forget_other_versions("acme", 3)
    >>> [question[:2] for question in kept]
    [('acme', 'rings')]

    Notes
    -----
    Cost: a dictionary look-up per request; making room and
    ``forget_other_versions`` walk up to ``size`` entries.
    """

    def __init__(self, size: int = CACHED) -> None:
        self.size = max(size, 1)
        self._kept: dict[Question, KeptAnswer] = {}  # in the order first kept
        self.young_dropped = 0  # answers that could still be given, dropped for room

    def __len__(self) -> int:
        return len(self._kept)

    def __iter__(self) -> Iterator[Question]:
        return iter(list(self._kept))

    def get(self, question: Question) -> KeptAnswer | None:
        """The question's kept answer, of whichever version."""
        return self._kept.get(question)

    def exact(self, question: Question, version: int) -> KeptAnswer | None:
        """The question's kept answer if it was computed at ``version``."""
        found = self._kept.get(question)
        return found if found is not None and found.version == version else None

    def keep(self, question: Question, answer: KeptAnswer, now: float,
             max_age: float) -> None:
        """Keep ``answer`` in place of the question's earlier one. A new question, when
        ``size`` are kept, drops the first kept of those not `KeptAnswer.young` at
        ``now`` (else the first kept)."""
        kept = self._kept
        if question not in kept:
            while len(kept) >= self.size:
                old = next((q for q, a in kept.items() if not a.young(now, max_age)), None)
                if old is None:
                    old = next(iter(kept))
                    self.young_dropped += 1
                del kept[old]
        kept[question] = answer

    def forget_other_versions(self, view_key: str, version: int) -> None:
        """Drop the view's answers of versions other than ``version`` (with no max age,
        never answered again)."""
        for question in [q for q, a in self._kept.items()
                         if q[0] == view_key and a.version != version]:
            del self._kept[question]


@dataclass(eq=False)
class Flight:
    """A computation of one question: its key in the pool (`graph_api.offload`) and
    what its job read when its turn came (``read``: the version and as-of time; None
    before)."""

    key: Hashable
    read: KeptAnswer | None = None


class Flights:
    """The newest computation of each question, which a request joins rather than
    start its own when that gives it an answer it may be given.

    Writes move a view's version every few hundred milliseconds under load; keyed by
    version, every whole-graph request of a view would start a computation of its own,
    queued one after the other in the view's turn. A computation whose job has not
    read the view yet will read it after the request came, so its answer holds
    everything the request's view holds, or more (a view only grows): any request of
    the question may join it. Once read at an older version than the request's, it
    may be joined only as a kept answer may be given: read at most the max age ago.

    >>> at = datetime(2026, 1, 1)
    >>> flights = Flights()
    >>> first = flights.start(("acme", "rings", 3))
    >>> flights.joinable(("acme", "rings", 3), 7, now=10.0, max_age=0.0) is first  # not read
    True
    >>> first.read = KeptAnswer(5, None, 9.0, at)  # its turn came at version 5
    >>> flights.joinable(("acme", "rings", 3), 7, 10.0, 0.0) is None  # older: not exact
    True
    >>> flights.joinable(("acme", "rings", 3), 7, 10.0, 30.0) is first  # young enough
    True
    >>> flights.joinable(("acme", "rings", 3), 5, 10.0, 0.0) is first  # its own version
    True
    """

    def __init__(self) -> None:
        self._newest: dict[Question, Flight] = {}
        self._started = 0

    def newest(self, question: Question) -> Flight | None:
        return self._newest.get(question)

    def joinable(self, question: Question, version: int, now: float,
                 max_age: float) -> Flight | None:
        """The question's newest computation if a request of its view at ``version`` may
        be given its answer: not read yet, read at ``version`` or later, or read at most
        ``max_age`` seconds before ``now``."""
        found = self._newest.get(question)
        if found is None:
            return None
        read = found.read
        if read is None or read.version >= version or read.young(now, max_age):
            return found
        return None

    def start(self, question: Question) -> Flight:
        """A new computation of ``question``, its newest from now on."""
        self._started += 1
        flight = self._newest[question] = Flight((question, self._started))
        return flight

    def landed(self, question: Question, flight: Flight) -> None:
        """``flight``'s answer is kept: it need not be joined any more."""
        if self._newest.get(question) is flight:
            del self._newest[question]
