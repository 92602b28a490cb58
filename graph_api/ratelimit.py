"""Per-token rate limiting: a token-bucket ASGI middleware.

Each caller gets a bucket of ``burst`` requests that refills at ``rate`` per
second; a request finding its bucket empty is answered HTTP 429 with a
GraphQL-shaped body (``extensions.code`` RATE_LIMITED) and ``Retry-After``.

Buckets are keyed by the SHA-256 of the bearer token, never the token itself,
so the limiter's memory holds nothing a heap dump could replay. Requests
without a bearer token share one bucket per client address. Every worker
process keeps its own buckets: with N workers a token may make up to N times
the rate (put a shared limiter in front for more).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RateLimit", "RateSettings", "bucket_key"]

EXEMPT = frozenset({"/healthz", "/metrics"})
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


def bucket_key(scope: Scope) -> str:
    """SHA-256 of the bearer token, else the client address."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            if value[:7].lower() == b"bearer ":
                return "t:" + hashlib.sha256(value[7:].strip()).hexdigest()
            break
    client = scope.get("client") or ("?", 0)
    return f"ip:{client[0]}"


class RateLimit:
    """Token buckets in front of ``app`` (HTTP only; WebSockets authenticate in-band)."""

    def __init__(
        self,
        app: ASGIApp,
        settings: RateSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.rate = settings.rate
        self.burst = float(settings.burst)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Take one token from ``key``'s bucket: 0.0 if granted, else seconds to wait."""
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0 or scope.get("path") in EXEMPT:
            await self.app(scope, receive, send)
            return
        wait = self.take(bucket_key(scope))
        if wait <= 0.0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        body = orjson.dumps({"errors": [{
            "message": f"too many requests for this token: retry after {retry} s",
            "extensions": {"code": "RATE_LIMITED"},
        }]})
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
