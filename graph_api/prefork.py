"""Several server processes over one loaded graph: ``serve --workers N`` on the
embedded store.

Each uvicorn worker used to load its own copy of the graph (4.5-5.0 GiB at a
million entities). Here the parent process loads the store once, then forks the
workers, which share the parent's memory pages until one of them writes to a
page (copy on write):

- **before the fork** (`ready_to_fork`) the parent closes what no process may
  share: its SQLite connection (the store's `before_fork`) and the workflow's
  record store; no thread runs (a thread does not cross a fork and the locks it
  holds would stay held). Every object loaded is moved to the collector's
  permanent generation (``gc.freeze``): a collection in a worker then never
  writes to them, so their pages stay shared.
- **each worker** (`forked`) opens its own SQLite connections, makes its own app
  (its rate-limit buckets, metrics, record store and whole-graph pool: what a
  worker must own) and serves the listening socket the parent bound; the kernel
  hands each new connection to whichever worker accepts it first. A worker
  follows the database as a single server does (it catches up before each
  operation and every second), so a write acknowledged by one worker is seen
  by the next read on any other.
- **the parent** (`Workers.run`) does nothing else: it waits, forks a new worker
  in place of one that died (the newcomer catches up from the parent's load), and
  on SIGTERM or SIGINT stops every worker (SIGTERM, then SIGKILL after
  ``GRACE_SECONDS``) and returns. It also replaces a worker that has come to own
  too many pages (``Workers.recycle_bytes``; below): forked again, a worker shares
  the parent's pages again, while the old one drains (`serve_on`: it stops
  accepting and asks its clients to reconnect, so no request is cut off).

What stays shared is what no worker writes to. A Python object that a worker
reads has its reference count written, so the pages of the objects a worker's
requests touch become that worker's own (and the parent's copy of a page every
worker has copied is left to the parent alone); numpy arrays' data (the fact
columns, the indexes) are only read and stay shared. So a worker's own share
grows with the part of the graph it has read, which is what recycling bounds.
``bench/bench_workers_memory.py`` measures it (docs/deploy.md, "Several workers").
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph_api.services import Services
from graph_api.store.backend import GraphInProcess

__all__ = [
    "GRACE_SECONDS",
    "Workers",
    "forked",
    "listening_socket",
    "owned_bytes",
    "ready_to_fork",
    "serve_on",
]

log = logging.getLogger(__name__)

GRACE_SECONDS = 30.0
"""How long stopped workers may take to finish their requests before SIGKILL."""
POLL_SECONDS = 0.2
"""How often the parent looks for workers that ended and for a stop signal."""
DRAIN_SECONDS = 90.0
"""How long a replaced worker may drain: longer than the server keeps an idle
connection (cli.serve.KEEP_ALIVE_SECONDS), after which its clients have gone elsewhere."""
RECYCLE_CHECK_SECONDS = 5.0
"""How often the parent reads how many pages each worker owns (``recycle_bytes``)."""
QUICK_EXIT_SECONDS = 10.0
QUICK_EXITS = 3
"""A worker ending this soon after its start, this many times in a row, is not
restarted again: the parent stops the others and fails (a worker that cannot start
would otherwise be forked forever)."""


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening, for every worker to accept on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def ready_to_fork(services: Services) -> GraphInProcess:
    """Make the loaded ``services`` safe to fork and their pages worth sharing; returns
    the embedded store (ValueError for another store: its graph is not in this process).

    RuntimeError when a thread other than this one runs: it would not exist in the
    workers, and a lock it held would stay held there."""
    from graph_api.workflow import close_workflow

    store = services.backend.in_process
    if store is None or not store.with_graph:
        raise ValueError("forked workers share the embedded store's graph; "
                         f"{type(services.store).__name__} keeps none in this process")
    others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    if others:
        raise RuntimeError(f"threads running before the fork: {', '.join(others)}")
    close_workflow(services)  # its record store's connection: each worker opens its own
    store.before_fork()
    gc.collect()  # the garbage of loading freed now, not in each worker
    gc.freeze()
    return store


def forked(services: Services) -> None:
    """In a worker just forked: what it must own, opened again."""
    store = services.backend.in_process
    assert store is not None
    store.after_fork()  # the workflow's record store opens on first use (workflow_for)


@dataclass
class Workers:
    """``count`` forked processes each running ``work`` (which returns when the worker
    is asked to stop), kept running until the parent is signalled.

    ``work`` runs in the child only; its return or exception ends the child with
    ``os._exit``, so nothing of the parent's stack (its ``finally`` blocks, atexit
    hooks) runs twice.
    """

    count: int
    work: Callable[[], None]
    grace: float = GRACE_SECONDS
    recycle_bytes: int = 0
    """A worker that owns more than this (pages no longer shared: `owned_bytes`) is
    replaced by a new fork, which shares the parent's pages again; 0: never."""
    pids: dict[int, float] = field(default_factory=dict)  # worker pid -> its start
    retiring: dict[int, float] = field(default_factory=dict)  # pid -> when told to stop
    _stop: int | None = None
    _checked: float = 0.0

    def run(self) -> int:
        """Start the workers and keep them until SIGTERM or SIGINT; the exit status."""
        previous = {sig: signal.signal(sig, self._signalled)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for _ in range(self.count):
                self._spawn()
            return self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _signalled(self, signum: int, frame: FrameType | None) -> None:
        self._stop = signum

    def _spawn(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            os._exit(_work(self.work))
        self.pids[pid] = time.monotonic()

    def _watch(self) -> int:
        quick = 0
        while self._stop is None:
            ended = _reap()
            for pid, status in ended:
                started = self.pids.pop(pid, None)
                self.retiring.pop(pid, None)
                if started is None or self._stop is not None:
                    continue
                lived = time.monotonic() - started
                quick = quick + 1 if lived < QUICK_EXIT_SECONDS else 0
                log.warning("worker %d ended (%s) after %.0f s", pid, _status(status), lived)
                print(f"worker {pid} ended ({_status(status)}); starting another",
                      file=sys.stderr, flush=True)
                if quick >= QUICK_EXITS:
                    print(f"workers end as soon as they start ({quick} in a row): stopping",
                          file=sys.stderr, flush=True)
                    return 1
                self._spawn()
            self._recycle()
            time.sleep(POLL_SECONDS)
        return 0

    def _recycle(self) -> None:
        """Replace the worker owning the most pages of its own once that is over
        ``recycle_bytes``: a new worker forked first (the listening socket never
        lacks one), then the old one drained (SIGUSR1: `serve_on`). One at a time;
        one still draining after ``DRAIN_SECONDS`` + ``grace`` is killed."""
        now = time.monotonic()
        for pid, told in self.retiring.items():
            if now - told > DRAIN_SECONDS + self.grace:
                _kill(pid, signal.SIGKILL)
        if not self.recycle_bytes or self.retiring or now - self._checked < RECYCLE_CHECK_SECONDS:
            return
        self._checked = now
        owned = {pid: owned_bytes(pid) for pid, started in self.pids.items()
                 if now - started > QUICK_EXIT_SECONDS}  # one starting owns its app
        pid = max(owned, key=owned.__getitem__, default=0)
        if not pid or owned[pid] <= self.recycle_bytes:
            return
        print(f"worker {pid} owns {owned[pid] >> 20} MiB of its own, over "
              f"{self.recycle_bytes >> 20} MiB: replacing it", file=sys.stderr, flush=True)
        self._spawn()
        del self.pids[pid]
        self.retiring[pid] = now
        _kill(pid, signal.SIGUSR1)

    def _stop_all(self) -> None:
        """SIGTERM to every worker, SIGKILL to those still running after ``grace``."""
        self.pids.update(self.retiring)
        self.retiring.clear()
        for pid in self.pids:
            _kill(pid, signal.SIGTERM)
        until = time.monotonic() + self.grace
        while self.pids and time.monotonic() < until:
            for pid, _ in _reap():
                self.pids.pop(pid, None)
            time.sleep(POLL_SECONDS / 4)
        for pid in self.pids:
            _kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.pids.clear()


def _work(work: Callable[[], None]) -> int:
    """The worker's life: the parent's signal handlers undone, ``work`` run, its status."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGUSR1, _drain_asked)  # kept until `serve_on` drains on it
    try:
        work()
        return 0
    except (KeyboardInterrupt, SystemExit) as exc:
        code: Any = getattr(exc, "code", 0)
        return code if isinstance(code, int) else 0
    except BaseException:  # noqa: BLE001 - the worker's last words, then its status
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def serve_on(sock: socket.socket, app: ASGIApp, **config: Any) -> None:
    """Serve ``app`` with uvicorn (``config``: uvicorn.Config's) on the parent's ``sock``
    until SIGTERM or SIGINT (uvicorn's shutdown), or until drained after SIGUSR1: the
    worker stops accepting (the others take the new connections), every response it
    still sends says ``Connection: close`` (its clients reconnect elsewhere, nothing
    reset under a request), and it ends when no connection is left or after
    ``DRAIN_SECONDS``."""
    closing = _Closing(app)
    closing.on = _DRAIN_ASKED[0]  # while the worker started
    server = _DrainingServer(uvicorn.Config(closing, **config), closing)
    signal.signal(signal.SIGUSR1, server.drain)
    server.run(sockets=[sock])


_DRAIN_ASKED = [False]


def _drain_asked(signum: int, frame: FrameType | None) -> None:
    _DRAIN_ASKED[0] = True


class _Closing:
    """ASGI: once ``on``, every HTTP response asks its client to close the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.on = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.on or scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, closing)


class _DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, closing: _Closing) -> None:
        super().__init__(config)
        self.closing = closing
        self.drained_from: float | None = None

    def drain(self, signum: int, frame: FrameType | None) -> None:
        self.closing.on = True  # the rest on the loop's next tick

    async def on_tick(self, counter: int) -> bool:
        if self.closing.on:
            now = time.monotonic()
            if self.drained_from is None:
                self.drained_from = now
                for listener in self.servers:  # this process's copy of the socket only
                    listener.close()
            if not self.server_state.connections or now - self.drained_from > DRAIN_SECONDS:
                return True
        return await super().on_tick(counter)


def owned_bytes(pid: int, kind: str = "Private") -> int:
    """The bytes of ``pid``'s pages that no other process maps (``Private_Clean`` +
    ``Private_Dirty`` of /proc/PID/smaps_rollup; ``kind="Rss"``: all it maps); 0 when
    it is gone."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    except OSError:
        return 0
    total = 0
    for line in lines:
        name, value, *_ = line.split()
        if name.startswith(kind):
            total += int(value) * 1024
    return total


def _reap() -> list[tuple[int, int]]:
    """(pid, wait status) of every child that ended, without waiting."""
    ended: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append((pid, status))


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
