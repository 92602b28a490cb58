"""Whole-graph work: the one seam of rings, topSources, hotspots, key players,
interdiction and exports.

``WholeGraph.cached`` computes in process (tests, the command line);
``WholeGraph.answer`` answers a request, computing off the event loop
(`graph_api.offload`); ``WholeGraph.off_loop`` runs work that is neither shared nor
kept (an export's package) on the same pool. Both of the first keep an answer per
(view, name, arg) with the view's version it was computed at
(`graph_api.kept_answers`) and prepare its computation the same way (``_job``).
``Services`` holds one (``services.whole_graph``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from graph_api import deadline
from graph_api.access import Scope
from graph_api.clock import utc_now
from graph_api.config import Settings
from graph_api.kept_answers import Answered, Flight, Flights, KeptAnswer, KeptAnswers, Question
from graph_api.offload import Job, Offload, Prepared
from graph_api.store.backend import Backend, GraphInProcess

if TYPE_CHECKING:
    from graph_api.analytics.kept import KeptViews
    from graph_api.store.columns import ColumnMirror

__all__ = ["WholeGraph"]

T = TypeVar("T")


def _kept_views(entities: int = 0) -> KeptViews:
    """The views' caches kept, as many as fit in memory for ``entities`` (0: unknown,
    the fewest)."""
    from graph_api.analytics.kept import KEPT_VIEWS, KeptViews, views_within

    return KeptViews(views_within(entities) if entities else KEPT_VIEWS)


class _Detached:
    """What a whole-graph job is handed instead of the live view: its networkx cache
    (where the snapshot is) and nothing else, so that a step reading the view itself
    fails loudly instead of racing the loop's writes."""

    def __init__(self, cache: dict[str, Any]) -> None:
        self.__networkx_cache__ = cache


@dataclass
class WholeGraph:
    """Whole-graph answers of a backend's views: kept per view, computed on a pool
    (``offload``); ``of`` makes one from the settings."""

    backend: Backend
    offload: Offload  # the pool the work runs on
    # How long a kept answer may be given after its view moved, in seconds (`answer`;
    # ``settings.analytics_max_age``): 0, never.
    max_age: float = 0.0
    clock: Callable[[], datetime] = field(default=utc_now)
    # How old a kept answer is (`answer`), in seconds: time.monotonic's.
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    answers: KeptAnswers = field(default_factory=KeptAnswers, repr=False)
    flights: Flights = field(default_factory=Flights, repr=False)  # ... being computed
    kept: KeptViews = field(init=False, repr=False)  # the views' snapshots, derived data
    mirror: ColumnMirror | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        in_process = self.backend.in_process
        entities = len(in_process.graph) if in_process and in_process.with_graph else 0
        self.kept = _kept_views(entities)

    @classmethod
    def of(cls, settings: Settings, backend: Backend,
           clock: Callable[[], datetime] = utc_now) -> WholeGraph:
        offload = Offload(settings.whole_graph_workers, settings.whole_graph_per_token,
                          settings.whole_graph_queued)
        return cls(backend, offload, settings.analytics_max_age, clock)

    def close(self) -> None:
        """The pool's threads let go (work not begun is cancelled)."""
        self.offload.close()

    def cached(self, scope: Scope, name: str, arg: Any, compute: Callable[[Any], T]) -> T:
        """``compute(view)`` once per (caller's view, its version, name, arg), here.

        The view's version (``GraphStore.view_version``) moves with every write the
        caller may see, so a cached answer never outlives the data it was computed
        from; a write the caller may not see leaves its answers cached (and its next
        query as fast as before: no timing signal of the write). Each question keeps
        its latest answer only; ``kept_answers.CACHED`` are kept over all views.
        """
        version = self.backend.store.view_version(scope)
        kept = self.answers.exact((scope.view_key, name, arg), version)
        if kept is not None:
            found: T = kept.value
            return found
        with deadline.suspended():  # shared by every request of this view
            return self._job(scope, name, arg, compute).run_here()

    async def answer(self, scope: Scope, name: str, arg: Any,
                     compute: Callable[[Any], T], caller: str | None = None
                     ) -> Answered[T]:
        """`cached`'s answer for a request: a kept one at once, else computed on the
        pool's threads while the loop serves others (`graph_api.offload.Offload.run`:
        one computation per key, the caller's turn, time budget and connection).

        With a max age A (``max_age``) above 0, a request whose
        view has moved since the question's kept answer was computed is answered that
        answer at once if its job read the view at most A seconds ago (``as_of`` says
        when), and the current version is computed in the background for the next
        requests (`Offload.refresh`: one refresh of a question at a time, in nobody's
        turn). Whether an older answer is given depends only on the caller's view (its
        key and version) and the clock, so never on a write the caller may not see.
        """
        question = (scope.view_key, name, arg)
        version = self.backend.store.view_version(scope)
        kept = self.answers.get(question)
        if kept is not None and kept.version == version:
            return Answered(kept.value)

        def prepare(flight: Flight) -> Callable[[], Prepared[T]]:
            return lambda: self._job(scope, name, arg, compute, flight)

        now, max_age = self.monotonic(), self.max_age
        if kept is not None and kept.young(now, max_age):
            newest = self.flights.newest(question)
            if newest is None or not self.offload.computing(newest.key):
                flight = self.flights.start(question)
                self.offload.refresh(question, flight.key, scope.view_key, prepare(flight))
            return Answered(kept.value, kept.as_of)
        flight = self.flights.joinable(question, version, now, max_age) \
            or self.flights.start(question)
        value = await self.offload.run(flight.key, scope.view_key, prepare(flight), caller)
        read = flight.read
        if read is not None and read.version < version:  # joined, read before: young
            return Answered(value, read.as_of)
        return Answered(value)

    async def off_loop(self, scope: Scope, work: Callable[[], T],
                       caller: str | None = None) -> T:
        """``work`` (reading only what it was handed: an export's case view) on the pool,
        in the caller's turn and the view's; not shared, not kept."""
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
        store = self.backend.store
        in_process = self.backend.in_process
        if in_process is not None and in_process.columns is not None:
            return self._in_process_job(in_process, scope, name, arg, compute, flight)
        version = store.view_version(scope)
        question = (scope.view_key, name, arg)
        kept = self._kept_now(question, version, flight)
        if kept is not None:
            return Prepared.answered(kept.value)
        keep = self._keep(question, version, flight)
        derived = self.kept.cache(scope.view_key, version, None, None)

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
        version = self.backend.store.view_version(scope)
        question = (scope.view_key, name, arg)
        kept = self._kept_now(question, version, flight)
        if kept is not None:
            return Prepared.answered(kept.value)
        keep = self._keep(question, version, flight)
        derived = self.kept.cache(scope.view_key, version, visible, store.changes_since)
        stand_in = _Detached(derived)
        if CACHE_KEY in derived or PENDING_KEY in derived:  # kept, or followed over writes
            return Prepared.ready(Job(work=lambda: compute(stand_in), done=keep))
        columns = store.columns
        assert columns is not None
        if not visible.reads_columns():  # not the graph its columns describe
            derived[CACHE_KEY] = snapshot_of(visible)  # its graph read, here
            return Prepared.ready(Job(work=lambda: compute(stand_in), done=keep))
        if self.mirror is None:
            self.mirror = ColumnMirror()
        mirror = self.mirror
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
        kept = self.answers.exact(question, version)
        if kept is not None and flight is not None:
            flight.read = kept
        return kept

    def _keep(self, question: Question, version: int, flight: Flight | None
              ) -> Callable[[Any], None]:
        """How a job of ``question`` at ``version``, its view read now (its as-of
        time), keeps its answer; ``flight``, the computation it is, learns what it
        read. With no max age the view's answers of other versions are dropped now:
        none will be answered again."""
        if self.max_age <= 0:
            self.answers.forget_other_versions(question[0], version)
        read = KeptAnswer(version, None, self.monotonic(), self.clock())
        if flight is not None:
            flight.read = read

        def keep(result: Any) -> None:
            self.answers.keep(question, read._replace(value=result), self.monotonic(),
                               self.max_age)
            if flight is not None:
                self.flights.landed(question, flight)

        return keep

