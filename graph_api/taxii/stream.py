"""``GET /stream``: the caller's view as Server-Sent Events, resumable by ``Last-Event-ID``.

The stream walks the caller's feed (``feed.Feed``, the alliance collection's
order) from where the client left off, then follows it live:

- each event is one STIX object as the view has it now: ``event: create`` when
  it entered the view after what the client had already covered, else
  ``update`` (consumers upsert either way, as OpenCTI does); ``data`` is
  ``{"data": <object>, "date_added": ..., "position": n}``;
- each event's ``id`` is ``<position>:<STIX id>``: sent back as ``Last-Event-ID``
  (or ``?from=``), the stream goes on after it, with every object changed since.
  Positions come from the store's durable change log, so an id stays valid
  across disconnects, restarts and replicas;
- a new client (no id) gets every object of the view once, at its latest change
  (a consistent snapshot: nothing moves backwards), then the live tail;
- ``: heartbeat`` every ``heartbeat`` seconds (15, or ``?heartbeat=1..60``), when
  the token is checked again: a revoked token's stream ends;
- ``max_marking`` caps the view as for the collections.

The store is append-only, so an object never leaves a view: no ``delete`` is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from graph_api.access import Scope
from graph_api.errors import GraphAPIError
from graph_api.services import Services
from graph_api.taxii.feed import Feeds, Position
from graph_api.taxii.http import TaxiiError, caller_of, taxii_error

__all__ = ["HEARTBEAT", "Stream", "event_id", "parse_event_id"]

HEARTBEAT = 15.0
POLL = 0.25  # seconds between looks at the store when caught up
BATCH = 500  # objects rendered (and written) at a time


def event_id(at: Position) -> str:
    return f"{at[0]}:{at[1]}"


def parse_event_id(text: str) -> Position:
    """``<position>:<STIX id>``, as the stream gave it.

    >>> parse_event_id("12:threat-actor--x")
    (12, 'threat-actor--x')
    """
    position, colon, sid = text.strip().partition(":")
    if not colon or not position.isdigit() or "--" not in sid:
        raise TaxiiError(400, "Bad Request", "Last-Event-ID: not an id this stream gave")
    return int(position), sid


class Stream:
    def __init__(self, services: Services, feeds: Feeds) -> None:
        self.services = services
        self.feeds = feeds

    async def handle(self, request: Request) -> Response:
        try:
            caller = caller_of(self.services, request, "GET stream")
            raw = request.headers.get("last-event-id") or request.query_params.get("from")
            start = parse_event_id(raw) if raw else None
            beat = request.query_params.get("heartbeat", str(HEARTBEAT))
            try:
                heartbeat = min(60.0, max(1.0, float(beat)))
            except ValueError:
                raise TaxiiError(400, "Bad Request", "heartbeat: seconds, 1 to 60") from None
        except TaxiiError as error:
            return taxii_error(error)
        header = request.headers.get("authorization")
        events = self._events(caller.scope, header, start, heartbeat)
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _events(self, scope: Scope, header: str | None, start: Position | None,
                      heartbeat: float) -> AsyncIterator[bytes]:
        store = self.services.store
        at = start
        covered = -1 if start is None else start[0] - 1  # every object as of it was received
        next_beat = time.monotonic() + heartbeat
        yield b"retry: 2000\n\n"
        while True:
            feed = await self.feeds.ready(store, scope)  # read before the next await
            batch = []
            for pair, entry in feed.after(at):
                batch.append((pair, entry))
                if len(batch) == BATCH:
                    break
            if batch:
                objects = feed.objects(store, [pair[1] for pair, _ in batch])
                chunk = []
                for pair, entry in batch:
                    obj = objects.get(pair[1])
                    if obj is None:
                        continue
                    kind = "create" if entry.created > covered else "update"
                    data = orjson.dumps({"data": obj, "date_added": feed.date_added(pair[0]),
                                         "position": pair[0]})
                    chunk.append(b"id: %s\nevent: %s\ndata: %s\n\n" % (
                        event_id(pair).encode(), kind.encode(), data))
                at = batch[-1][0]
                yield b"".join(chunk)
                await asyncio.sleep(0)  # let others run between batches
                continue
            covered = max(covered, feed.last)
            if time.monotonic() >= next_beat:
                try:
                    self.services.authenticate(header)
                except GraphAPIError:
                    return  # revoked: the stream ends
                next_beat = time.monotonic() + heartbeat
                yield b": heartbeat\n\n"
            await asyncio.sleep(POLL)
