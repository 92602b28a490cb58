"""The ASGI application: /graphql (HTTP and WebSocket), /healthz, /metrics, /schema.graphql,
/explore, /export-key, /exports/{id}, /evidence/{id}.

Every GraphQL operation, whatever its transport, goes through one pipeline
(``api.pipeline``) to one executor (``api.operations``); ``api.http`` and
``api.websocket`` only read requests and write answers. Every error answered by
HTTP, at any layer (an unknown path, a refused method, a body too large, a
failure), is the JSON envelope ``{"errors": [{"message", "extensions": {"code"}}]}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from graph_api.api.audit_head import audit_head_page
from graph_api.api.evidence_download import evidence_download
from graph_api.api.exchange import envelope
from graph_api.api.export_fields import package_for
from graph_api.api.http import GraphQLOverHTTP
from graph_api.api.metrics import Metrics, metrics_page
from graph_api.api.operations import Operations
from graph_api.api.pipeline import Pipeline
from graph_api.api.schema import build_schema
from graph_api.api.uploads import Uploads, is_upload
from graph_api.api.websocket import Sockets, serve_websocket
from graph_api.checkpoints import checkpoint_forever
from graph_api.config import Settings
from graph_api.errors import GraphAPIError
from graph_api.explore import routes as explore_routes
from graph_api.export.keys import load_or_create_signing_key, public_key_pem
from graph_api.graphiql import routes as graphiql_routes
from graph_api.ratelimit import RateLimit, TokenBuckets
from graph_api.services import Services
from graph_api.taxii import taxii_routes
from graph_api.workflow import start_workflow, sweep_forever
from graph_api.workflow.evidence import evidence_folder

__all__ = ["BodyLimit", "create_app"]

log = logging.getLogger("graph_api")
FOLLOW_SECONDS = 1.0
STAGED_SECONDS = 24 * 3600  # an upload still staged after a day was abandoned
_CODES = {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 413: "LIMIT_EXCEEDED",
          503: "UNAVAILABLE"}


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 LIMIT_EXCEEDED, before the app
    reads them: the body is read here (a declared length over the limit is refused
    unread; a chunked one is counted as it comes) and handed on whole. A request that
    ``streamed`` names (a file upload: ``api.uploads``, which limits it as it writes it
    to disk) goes through unread."""

    def __init__(self, app: ASGIApp, limit: int,
                 streamed: Callable[[Scope], bool] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD") or (
                self.streamed is not None and self.streamed(scope)):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return whole
            return await receive()  # after the body: the disconnect

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = envelope(f"request body over {self.limit} bytes", "LIMIT_EXCEEDED")
        await JSONResponse(body, status_code=413, headers={"Connection": "close"})(
            scope, receive, send
        )


def app_from_env() -> ASGIApp:
    """The app of one uvicorn worker: its own store over the database of GRAPH_API_*."""
    return create_app(Services.open(Settings.from_env()))


def create_app(services: Services) -> ASGIApp:
    """The app over ``services``, the workflow started on them (alerts after each
    committed report: `graph_api.workflow.start_workflow`)."""
    start_workflow(services)
    settings = services.settings
    schema = build_schema()
    metrics = Metrics()
    buckets = TokenBuckets(settings.rate)
    pipeline = Pipeline(services, Operations(schema, settings), buckets)
    sockets = Sockets(pipeline, settings.ws_recheck_seconds)
    uploads = Uploads(pipeline, metrics, evidence_folder(services),
                      settings.evidence_max_bytes, settings.max_body_bytes)
    over_http = GraphQLOverHTTP(pipeline, metrics, uploads)

    async def over_websocket(websocket: WebSocket) -> None:
        await serve_websocket(websocket, pipeline, sockets, metrics)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "store": settings.store})

    async def export_key(request: Request) -> Response:
        key = load_or_create_signing_key(settings.secrets_dir)
        return PlainTextResponse(public_key_pem(key).decode(), media_type="application/x-pem-file")

    async def download(request: Request) -> Response:
        """A package, to the exporting org's token only; anyone else gets 404 as for none."""
        package_id = request.path_params["package_id"]
        try:
            scope = services.authenticate(request.headers.get("authorization"))
        except GraphAPIError as exc:
            return JSONResponse(envelope(exc.message, exc.code), status_code=401)
        label = f"GET /exports/{package_id}"[:200]
        services.store.append_audit(services.audit_entry(scope, label, {"id": package_id}))
        path = package_for(services, scope, package_id)
        if path is None or not path.is_file():
            return JSONResponse(envelope(f"no export {package_id!r}", "NOT_FOUND"),
                                status_code=404)
        return FileResponse(path, media_type="application/zip",
                            filename=f"case-package-{package_id}.zip")

    async def sdl(request: Request) -> Response:
        return PlainTextResponse(schema.as_str() + "\n")

    async def home(request: Request) -> Response:
        """The address a person types first leads to the explorer."""
        return RedirectResponse("/explore", status_code=302)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        uploads.folder.sweep_staging(older_than=STAGED_SECONDS)  # left by a killed server
        tasks = [
            asyncio.create_task(_follow(services)),
            asyncio.create_task(sweep_forever(services)),  # notices past their deadline
            asyncio.create_task(checkpoint_forever(services)),  # the audit head, signed
            asyncio.create_task(sockets.watch()),  # revoked tokens' sockets closed
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/graphql", over_http.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", over_websocket),
            Route("/healthz", healthz),
            Route("/metrics", metrics_page(services, metrics)),
            Route("/audit-head", audit_head_page(services)),
            Route("/schema.graphql", sdl),
            *explore_routes(),
            *graphiql_routes(),  # what GraphiQL's page (GET /graphql) loads
            Route("/export-key", export_key),
            Route("/exports/{package_id}", download),
            Route("/evidence/{evidence_id}", evidence_download(services)),
            *taxii_routes(services),  # /taxii2/... and /stream (graph_api.taxii)
        ],
        exception_handlers={HTTPException: _http_error, Exception: _failure},
        lifespan=lifespan,
    )
    timed = _Timed(app, metrics)
    # /graphql takes from the same buckets per operation, in the pipeline
    return RateLimit(BodyLimit(timed, settings.max_body_bytes, is_upload), buckets,
                     exempt=frozenset({"/healthz", "/graphql"}))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (unknown path, method not allowed) in the JSON envelope."""
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, "BAD_USER_INPUT")
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"no such path: {request.url.path} (GraphQL is at /graphql)"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    body = orjson.dumps(envelope(message, code))
    return Response(body, exc.status_code, exc.headers, "application/json")


async def _failure(request: Request, exc: Exception) -> Response:
    """A failure nobody expected: logged (by the server), answered without a trace."""
    body = orjson.dumps(envelope("internal error; it has been logged", "INTERNAL"))
    return Response(body, 500, media_type="application/json")


class _Timed:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.metrics.seconds += time.perf_counter() - start


async def _follow(services: Services) -> None:
    """See what other processes commit (``graph-api import``) within two seconds."""
    catch_up = services.backend.catch_up
    if catch_up is None:
        return
    while True:
        await asyncio.sleep(FOLLOW_SECONDS)
        try:
            catch_up()
        except Exception:  # keep following; the next tick retries
            log.exception("following the database failed")
