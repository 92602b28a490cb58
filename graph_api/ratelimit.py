"""Per-token rate limiting: one token bucket per caller, for every transport.

Each caller gets a bucket of ``burst`` requests that refills at ``rate`` per
second. Every GraphQL operation takes one token from its caller's bucket, whether
it came by HTTP POST, HTTP GET or over a WebSocket (``graph_api.api.pipeline``);
every other HTTP request (downloads, pages) takes one in ``RateLimit``, in front of
the app. A request finding its bucket empty is refused with RATE_LIMITED (HTTP 429
and ``Retry-After``; an ``error`` message on a WebSocket).

Buckets are keyed by ``caller_key``: the SHA-256 of the bearer token as
``graph_api.bearer`` reads it for authentication (so no spelling of one token gets
a second bucket), never the token itself, so the limiter's memory holds nothing a
heap dump could replay. Callers without a (well-formed) token share one bucket per
client address. Every worker process keeps its own buckets: with N workers a
token may make up to N times the rate (put a shared limiter in front for more).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from graph_api.bearer import bearer_token
from graph_api.errors import RateLimited

__all__ = [
    "NotYourTurn",
    "RateLimit",
    "RateSettings",
    "TokenBuckets",
    "Turns",
    "bucket_key",
    "caller_key",
    "retry_after",
]

MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class RateSettings:
    """``rate`` requests per second per token after a ``burst``; rate 0 turns limiting off."""

    rate: float = 200.0
    burst: int = 400

    @classmethod
    def from_env(cls) -> RateSettings:
        rate = float(os.environ.get("GRAPH_API_RATE_PER_SECOND", cls.rate))
        default_burst = max(1, math.ceil(2 * rate)) if rate > 0 else cls.burst
        burst = int(os.environ.get("GRAPH_API_RATE_BURST", default_burst))
        if rate < 0 or burst < 1:
            raise ValueError("GRAPH_API_RATE_PER_SECOND must be >= 0 and GRAPH_API_RATE_BURST >= 1")
        return cls(rate=rate, burst=burst)


def caller_key(token: str | None, client: str) -> str:
    """The bucket of a caller: ``t:`` and the SHA-256 of its token (as
    ``graph_api.bearer`` read it), else ``ip:`` and its address.

    >>> caller_key("abc", "10.0.0.1") == "t:" + hashlib.sha256(b"abc").hexdigest()
    True
    >>> caller_key(None, "10.0.0.1")
    'ip:10.0.0.1'
    """
    if token is not None:
        return "t:" + hashlib.sha256(token.encode()).hexdigest()
    return f"ip:{client}"


def bucket_key(scope: Scope) -> str:
    """``caller_key`` of an ASGI request, from its ``Authorization`` header."""
    header = None
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            header = value.decode("latin-1")  # how starlette decodes it for authentication
            break
    client = scope.get("client") or ("?", 0)
    return caller_key(bearer_token(header), str(client[0]))


class TokenBuckets:
    """The buckets of one process, shared by every transport."""

    def __init__(self, settings: RateSettings, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.rate = settings.rate
        self.burst = float(settings.burst)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> float:
        """Take one token from ``key``'s bucket: 0.0 if granted, else seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens, at = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self.buckets[key] = (tokens - 1.0, now)
            if len(self.buckets) > MAX_BUCKETS:
                self._forget_full(now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes nothing."""
        refill = self.burst / self.rate
        for key in [k for k, (_, at) in self.buckets.items() if now - at >= refill]:
            del self.buckets[key]


def retry_after(wait: float) -> int:
    """Whole seconds to tell a refused caller (at least 1)."""
    return max(1, math.ceil(wait))


def refusal_body(retry: int) -> bytes:
    return orjson.dumps({"errors": [{
        "message": f"too many requests for this token: retry after {retry} s",
        "extensions": {"code": "RATE_LIMITED"},
    }]})


class RateLimit:
    """HTTP requests other than ``exempt`` paths take from their caller's bucket.

    The app's own instance exempts ``/graphql``, whose operations take from the same
    buckets in the operation pipeline, and ``/healthz`` (probes)."""

    def __init__(
        self,
        app: ASGIApp,
        settings: RateSettings | TokenBuckets,
        clock: Callable[[], float] = time.monotonic,
        exempt: frozenset[str] = frozenset({"/healthz"}),
    ) -> None:
        self.app = app
        self.limiter = (settings if isinstance(settings, TokenBuckets)
                        else TokenBuckets(settings, clock))
        self.exempt = exempt

    @property
    def buckets(self) -> dict[str, tuple[float, float]]:
        return self.limiter.buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or not self.limiter.enabled
                or scope.get("path") in self.exempt):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.take(bucket_key(scope))
        if wait <= 0.0:
            await self.app(scope, receive, send)
            return
        retry = retry_after(wait)
        body = refusal_body(retry)
        await send({
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry).encode()),
            ],
        })
        await send({"type": "http.response.body", "body": body})


# -- whole-graph requests at once, per caller ----------------------------------------


class NotYourTurn(RateLimited):
    """RATE_LIMITED: the caller already has as many whole-graph requests running and
    waiting as it may (``extensions.retryAfter``: seconds, a hint)."""

    def extensions(self) -> dict[str, str]:
        return {**super().extensions(), "retryAfter": "1"}


@dataclass
class _Caller:
    running: int = 0
    queue: list[asyncio.Future[None]] = field(default_factory=list)


Wait = Callable[["asyncio.Future[None]"], Awaitable[None]]


async def _plain_wait(ticket: asyncio.Future[None]) -> None:
    await ticket


class Turns:
    """Per caller (``caller_key``), at most ``per_caller`` whole-graph requests at once,
    ``queued`` more waiting in order of arrival; beyond that RATE_LIMITED (`NotYourTurn`).
    ``per_caller`` 0: no limit. One event loop's (a worker process's) callers.

    >>> async def demo():
    ...     turns = Turns(per_caller=1, queued=1)
    ...     async with turns.turn("a"):
    ...         waiting = asyncio.ensure_future(turns.turn("a").__aenter__())
    ...         await asyncio.sleep(0)
    ...         try:
    ...             async with turns.turn("a"):
    ...                 pass
    ...         except RateLimited as refused:
    ...             print(refused.code)
    ...         async with turns.turn("b"):  # another caller: not held up
    ...             print("b runs")
    ...     await waiting
    ...     print(turns.busy("a"))
    >>> asyncio.run(demo())
    RATE_LIMITED
    b runs
    (1, 0)
    """

    def __init__(self, per_caller: int, queued: int) -> None:
        self.per_caller = per_caller
        self.queued = queued
        self._callers: dict[str, _Caller] = {}

    def busy(self, caller: str) -> tuple[int, int]:
        """(running, waiting) requests of ``caller``."""
        found = self._callers.get(caller)
        return (0, 0) if found is None else (found.running, len(found.queue))

    def clear(self) -> None:
        """Forget every caller (a new event loop: the old one's waiters are gone)."""
        self._callers.clear()

    @contextlib.asynccontextmanager
    async def turn(self, caller: str | None, wait: Wait = _plain_wait) -> AsyncIterator[None]:
        """Hold one of ``caller``'s turns for the enclosed request. A request that must
        queue waits by ``wait(ticket)`` (the caller's time budget and connection
        bound it: whatever ``wait`` raises leaves the queue)."""
        if caller is None or self.per_caller <= 0:
            yield
            return
        state = self._callers.setdefault(caller, _Caller())
        if state.running >= self.per_caller:
            if len(state.queue) >= self.queued:
                raise NotYourTurn(
                    f"this token already has {state.running} whole-graph requests running "
                    f"and {len(state.queue)} waiting (at most {self.per_caller} and "
                    f"{self.queued}): retry when one has answered")
            ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            state.queue.append(ticket)
            try:
                await wait(ticket)  # handed its turn by the request that ends
            except BaseException:
                if ticket in state.queue:
                    state.queue.remove(ticket)
                elif ticket.done() and not ticket.cancelled():
                    self._release(caller, state)  # handed a turn it will not use
                raise
        else:
            state.running += 1
        try:
            yield
        finally:
            self._release(caller, state)

    def _release(self, caller: str, state: _Caller) -> None:
        while state.queue:
            ticket = state.queue.pop(0)
            if not ticket.done():
                ticket.set_result(None)  # its turn: running stays as it is
                return
        state.running -= 1
        if state.running == 0 and self._callers.get(caller) is state:
            del self._callers[caller]
