"""Whole-graph work off the request loop: a bounded pool, one computation per key.

The server answers every request on one asyncio loop. A whole-graph step (a
view's snapshot, rings, topSources, hotspots, chokepoints, an export's
formats) takes seconds at a million entities; run on the loop it would hold
every other caller's cheap read for that long. ``Offload`` runs such work on
a few threads instead, and the loop goes on answering:

- **one computation per key**: concurrent requests for the same answer (the
  same view at the same version, the same question) await one shared task;
- **one view at a time**: jobs of the same view run one after the other (they
  share its snapshot and what is derived from it), each prepared on the loop
  just before it runs (`Job`), so the second finds what the first built;
- **the caller's budget**: a request waits for the computation at most its
  time budget (`graph_api.deadline`), then fails with LIMIT_EXCEEDED; the
  computation goes on for whoever else waits, and its answer is kept;
- **the client gone**: when the transport says its client went away
  (`client_watched`), the waiting request is cancelled (`ClientGone`); a
  computation nobody waits for any more is dropped if it has not started;
- **background refreshes** (`Offload.refresh`): a computation no request waits
  for, started when a request was answered an older kept answer (a max age,
  ``GRAPH_API_ANALYTICS_MAX_AGE``): one at a time per question, in nobody's turn
  or budget, shared with the requests that ask for its key, never dropped for want
  of a waiter, its failure logged;
- **fairness** (`graph_api.ratelimit.Turns`): at most ``per_caller`` whole-graph
  requests of one caller (a token: ``ratelimit.caller_key``) run or wait for a
  computation at once, ``queued`` more wait their turn (within their budget and
  while their client is there), and any beyond are refused with RATE_LIMITED;
  other callers are not held up by them.

The threads are few because the work holds the GIL for its Python steps and
releases it in numpy and networkit; the loop gets it back within the switch
interval (`SWITCH_INTERVAL`, set lower than Python's 5 ms while jobs run).
Nothing here reads the store: what a job reads is handed to it by its
``prepare`` step on the loop (a consistent copy, see
``graph_api.analytics.kept.detached``), so the store stays single-threaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import threading
from collections.abc import (
    Awaitable,
    Callable,
    Generator,
    Hashable,
    Iterator,
    MutableMapping,
)
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from graph_api import deadline
from graph_api.ratelimit import Turns

__all__ = [
    "ClientGone",
    "Job",
    "Offload",
    "Prepared",
    "SWITCH_INTERVAL",
    "client_watched",
    "in_slices",
]

T = TypeVar("T")
log = logging.getLogger(__name__)
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

SWITCH_INTERVAL = 0.001
"""sys.setswitchinterval while whole-graph jobs run: a thread holding the GIL in a
Python step hands it to the loop within 1 ms (Python's default is 5 ms; an
``entity`` read releases the GIL several times, for SQLite and its socket)."""


class ClientGone(asyncio.CancelledError):
    """The request's client went away while it waited for a whole-graph answer: the
    waiting is cancelled (the transport answers no one)."""


_client: ContextVar[Receive | None] = ContextVar("offload_client", default=None)


@contextlib.contextmanager
def client_watched(receive: Receive | None) -> Iterator[None]:
    """While the enclosed operation runs, a wait for whole-graph work also ends when
    ``receive`` (the ASGI channel of an HTTP request whose body was read) says the
    client disconnected: the wait raises `ClientGone`."""
    token = _client.set(receive)
    try:
        yield
    finally:
        _client.reset(token)


async def in_slices(steps: Generator[None, None, T]) -> T:
    """Run ``steps`` (work that must read the store, hence on the loop) to its value,
    letting the loop serve other requests at each of its yields."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            value: T = done.value
            return value
        await asyncio.sleep(0)


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return


@dataclass
class Job(Generic[T]):
    """A whole-graph job as its ``prepare`` step (on the loop, when its turn comes)
    hands it over: ``work`` runs on a pool thread and must read nothing but what it
    was given; ``done`` (on the loop) keeps its answer. ``answer`` set instead of
    ``work``: nothing to compute (a cache filled meanwhile)."""

    work: Callable[[], T] | None = None
    done: Callable[[T], None] | None = None
    answer: T | None = None
    kept: bool = True  # its answer is kept (a cache): else it is written and let go


@dataclass
class Prepared(Generic[T]):
    """A job being prepared on the loop: ``copying`` yields between slices of the copy
    the job will read (the loop serves other requests there; one job copies at a
    time), then ``job()`` hands the job over."""

    copying: Iterator[None]
    job: Callable[[], Job[T]]

    @classmethod
    def ready(cls, job: Job[T]) -> Prepared[T]:
        return cls(iter(()), lambda: job)

    @classmethod
    def answered(cls, answer: T) -> Prepared[T]:
        return cls.ready(Job(answer=answer))

    def run_here(self) -> T:
        """Prepare and run the job on this thread (in process: tests, the command line)."""
        for _ in self.copying:
            pass
        job = self.job()
        if job.work is None:
            return job.answer  # type: ignore[return-value]
        result = job.work()
        if job.done is not None:
            job.done(result)
        return result


@dataclass(eq=False)
class _Shared:
    """One computation, and how many requests await it."""

    task: asyncio.Task[Any]
    waiting: int = 0
    started: bool = False  # handed to a thread: it finishes even if nobody waits


class Offload:
    """Whole-graph jobs on ``workers`` threads (0: run on the caller's thread, as
    before the pool), shared per key, one at a time per view, with the caller's
    budget, disconnection and turns (see the module)."""

    def __init__(self, workers: int = 2, per_caller: int = 2, queued: int = 8) -> None:
        self.workers = workers
        self.turns = Turns(per_caller, queued)
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shared: dict[Hashable, _Shared] = {}
        self._views: dict[str, tuple[asyncio.Lock, list[int]]] = {}  # lock, its users
        self._copying = asyncio.Lock()  # one job's copy at a time (they share the mirror)
        self._active = 0  # jobs on threads now (the switch interval is lowered meanwhile)
        self._paused = 0  # jobs running with the collector paused (answers let go)
        self._collecting = True  # whether the collector was on when the first paused
        self._switch = sys.getswitchinterval()
        self._guard = threading.Lock()
        self._refreshing: dict[Hashable, Hashable] = {}  # question: the key refreshed
        self.started = 0  # jobs handed to a thread, for tests and /metrics
        self.shared_waits = 0  # requests that joined a computation already under way
        self.refreshes = 0  # background refreshes started (`refresh`)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def computing(self, key: Hashable) -> bool:
        """Whether a computation of ``key`` is under way (or waiting for its turn)."""
        return key in self._shared

    def waiting(self, key: Hashable) -> int:
        found = self._shared.get(key)
        return 0 if found is None else found.waiting

    # -- the one entry --------------------------------------------------------------
    async def run(self, key: Hashable, view: str, prepare: Callable[[], Prepared[T]],
                  caller: str | None = None) -> T:
        """The answer of ``key``: computed by the job ``prepare`` hands over when the
        view ``view``'s turn comes, or by the computation of ``key`` already under way.
        Waits within the caller's budget and turn (RATE_LIMITED, LIMIT_EXCEEDED,
        ``ClientGone``)."""
        self._bind()
        async with self.turns.turn(caller, self._bounded):
            shared = self._shared.get(key)
            if shared is None:
                shared = self._share(key, view, prepare)
            else:
                self.shared_waits += 1
            shared.waiting += 1
            try:
                result: T = await self._bounded(shared.task)
                return result
            finally:
                shared.waiting -= 1
                if shared.waiting == 0 and not shared.started and not shared.task.done():
                    shared.task.cancel()  # nobody waits and nothing ran: drop it
                    if self._shared.get(key) is shared:  # a request after it starts anew,
                        del self._shared[key]  # rather than join what is cancelled

    def refresh(self, question: Hashable, key: Hashable, view: str,
                prepare: Callable[[], Prepared[T]]) -> bool:
        """Start computing ``key`` (the current version of ``question``) in the
        background, unless a refresh of ``question`` is under way (of this version or an
        earlier one: its answer comes first). It is shared as `run` shares (a request
        asking for ``key`` meanwhile joins it, and it joins a computation of ``key``
        already under way), takes nobody's turn, budget or connection, and waits for
        itself: it is never dropped for want of a waiter. Its answer is kept by its job's
        ``done`` step; a failure is logged. Whether one was started."""
        self._bind()
        if question in self._refreshing:
            return False
        shared = self._shared.get(key)
        if shared is None:
            shared = self._share(key, view, prepare)
        shared.waiting += 1  # the refresh itself, until the computation ends
        self._refreshing[question] = key
        self.refreshes += 1
        shared.task.add_done_callback(lambda task: self._refreshed(question, key, task))
        return True

    async def call(self, view: str, work: Callable[[], T], caller: str | None = None) -> T:
        """``work`` (reading only what it was given) on a thread, in ``view``'s turn;
        not shared, not kept (an export)."""
        return await self.run(object(), view,
                              lambda: Prepared.ready(Job(work=work, kept=False)), caller)

    # -- internals --------------------------------------------------------------------
    def _bind(self) -> None:
        """Tie the shared state to the running loop (tests run one loop per query)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._shared.clear()
            self._views.clear()
            self._refreshing.clear()
            self._copying = asyncio.Lock()
            self.turns.clear()

    def _share(self, key: Hashable, view: str, prepare: Callable[[], Prepared[T]]) -> _Shared:
        """The computation of ``key``, started now (awaited by nobody yet)."""
        task = asyncio.get_running_loop().create_task(self._drive(key, view, prepare))
        shared = self._shared[key] = _Shared(task)
        task.add_done_callback(lambda _: self._forget(key, shared))
        return shared

    def _refreshed(self, question: Hashable, key: Hashable, task: asyncio.Task[Any]) -> None:
        if self._refreshing.get(question) == key:
            del self._refreshing[question]
        if not task.cancelled() and task.exception() is not None:
            log.error("the background refresh of %r failed", key, exc_info=task.exception())

    def _forget(self, key: Hashable, shared: _Shared) -> None:
        if self._shared.get(key) is shared:
            del self._shared[key]
        if not shared.task.cancelled():
            shared.task.exception()  # retrieved: each waiter has raised it already

    async def _drive(self, key: Hashable, view: str, prepare: Callable[[], Prepared[T]]) -> T:
        found = self._views.get(view)
        if found is None:
            found = self._views[view] = (asyncio.Lock(), [0])
        lock, users = found
        users[0] += 1
        try:
            with deadline.suspended():  # a shared computation: no one request's budget
                async with lock:
                    return await self._in_turn(key, prepare)
        finally:
            users[0] -= 1
            if users[0] == 0 and self._views.get(view) is found:
                del self._views[view]  # views come and go (one per time asked @asOf)

    async def _in_turn(self, key: Hashable, prepare: Callable[[], Prepared[T]]) -> T:
        """Prepare ``key``'s job on the loop (the view's turn), then run it."""
        prepared = prepare()  # on the loop: what the job reads, as of now
        async with self._copying:
            for _ in prepared.copying:
                await asyncio.sleep(0)
        job = prepared.job()
        if job.work is None:
            return job.answer  # type: ignore[return-value]
        shared = self._shared.get(key)
        if shared is not None:
            shared.started = True
        self.started += 1
        if self.workers <= 0:
            result = job.work()
        else:
            result = await asyncio.get_running_loop().run_in_executor(
                self._pool(), self._on_thread, job.work, job.kept)
        if job.done is not None:
            job.done(result)
        return result

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="whole-graph")
        return self._executor

    def _on_thread(self, work: Callable[[], T], kept: bool = True) -> T:
        """Run ``work`` with the switch interval lowered. A kept answer's objects are
        frozen after (no collection scans them again: `graph_api.gc_pause`); work whose
        answer is let go (an export's package: millions of short-lived objects) runs
        with the collector paused, so that no full collection holds the GIL for 0.2-0.3
        s in its midst (measured at 1M), and nothing is frozen while it is paused (the
        loop's garbage of that time would never be collected)."""
        with self._guard:
            if self._active == 0:
                self._switch = sys.getswitchinterval()
                sys.setswitchinterval(min(self._switch, SWITCH_INTERVAL))
            self._active += 1
            if not kept:
                if self._paused == 0:
                    self._collecting = gc.isenabled()
                    gc.disable()
                self._paused += 1
        try:
            result = work()
            if kept:
                with self._guard:
                    if self._paused == 0:
                        gc.freeze()
            return result
        finally:
            with self._guard:
                self._active -= 1
                if self._active == 0:
                    sys.setswitchinterval(self._switch)
                if not kept:
                    self._paused -= 1
                    if self._paused == 0 and self._collecting:
                        gc.enable()

    async def _bounded(self, waited: asyncio.Future[T]) -> T:
        """``waited``'s result, within the current time budget (`graph_api.deadline`:
        LIMIT_EXCEEDED) and while the client is there (`ClientGone`); ``waited`` itself
        is left as it is when the wait ends early (a shared computation goes on)."""
        if waited.done():
            return waited.result()
        budget = deadline.current()
        receive = _client.get()
        shielded = asyncio.shield(waited)  # cancelling the wait leaves the computation
        waits: set[asyncio.Future[Any]] = {shielded}
        watch = None
        if receive is not None:
            watch = asyncio.ensure_future(_disconnected(receive))
            waits.add(watch)
        try:
            timeout = None if budget is None else max(budget.remaining(), 0.0)
            done, _ = await asyncio.wait(waits, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in waits:
                if not pending.done():
                    pending.cancel()
        if waited.done():
            return waited.result()
        if watch is not None and watch in done:
            raise ClientGone("the client went away")
        raise deadline.exceeded()
