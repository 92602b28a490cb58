"""The ASGI application: /graphql (GraphiQL on GET), /healthz, /metrics, /schema.graphql."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from graph_api.api.context import Context
from graph_api.api.export_fields import package_for
from graph_api.api.operations import Operations
from graph_api.api.schema import build_schema, error_extensions
from graph_api.audit import AuditEntry
from graph_api.errors import GraphAPIError
from graph_api.explore import routes as explore_routes
from graph_api.export.keys import load_or_create_signing_key, public_key_pem
from graph_api.ratelimit import RateLimit
from graph_api.services import Services
from graph_api.workflow import sweep_forever

__all__ = ["create_app"]

log = logging.getLogger("graph_api")
FOLLOW_SECONDS = 1.0


class Metrics:
    """Counters exposed as Prometheus text."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.seconds = 0.0

    def render(self, applied_seq: int) -> str:
        lines = [
            "# TYPE graph_api_requests_total counter",
            *(
                f'graph_api_requests_total{{kind="{k}"}} {v}'
                for k, v in sorted(self.requests.items())
            ),
            "# TYPE graph_api_errors_total counter",
            *(f'graph_api_errors_total{{code="{k}"}} {v}' for k, v in sorted(self.errors.items())),
            "# TYPE graph_api_request_seconds_total counter",
            f"graph_api_request_seconds_total {self.seconds:.6f}",
            "# TYPE graph_api_applied_reports gauge",
            f"graph_api_applied_reports {applied_seq}",
        ]
        return "\n".join(lines) + "\n"


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, schema: strawberry.Schema, services: Services, metrics: Metrics) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.services = services
        self.metrics = metrics

    async def get_context(self, request: Any, response: Any) -> Context:
        context = Context(services=self.services)
        header = request.headers.get("authorization")
        try:
            context._scope = self.services.authenticate(header)
        except GraphAPIError as exc:
            context.auth_error = exc
        return context

    async def on_ws_connect(self, context: Context) -> None:
        """Browsers cannot set headers on a WebSocket: the token may come in connection_init
        as {"Authorization": "Bearer TOKEN"} (or {"token": "TOKEN"})."""
        if context._scope is not None:
            return
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if header is None and params.get("token"):
            header = f"Bearer {params['token']}"
        try:
            context._scope = self.services.authenticate(header)
        except GraphAPIError as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from None

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)  # several times faster than json on large answers

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        self.metrics.requests["graphql"] += 1
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            data["errors"] = [self._format(e) for e in result.errors]
        return data

    def _format(self, error: GraphQLError) -> dict[str, Any]:
        ext = error_extensions(error)
        self.metrics.errors[ext["code"]] += 1
        message = error.message
        if ext["code"] == "INTERNAL":
            log.error("internal error", exc_info=error.original_error)
            message = "internal error; it has been logged"
        out: dict[str, Any] = {"message": message, "extensions": ext}
        if error.path:
            out["path"] = error.path
        return out


class GraphQLEndpoint:
    """/graphql: POST with a JSON body (every query and mutation) runs on ``Operations``;
    anything else (GraphiQL on GET, WebSocket subscriptions, other bodies) on strawberry."""

    def __init__(self, strawberry_app: GraphQLApp, operations: Operations) -> None:
        self.strawberry_app = strawberry_app
        self.operations = operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        content_type = request.headers.get("content-type", "")
        if scope["type"] != "http" or request.method != "POST" or not content_type.startswith(
            "application/json"
        ):
            await self.strawberry_app(scope, receive, send)
            return
        payload = _payload(await request.body())
        if isinstance(payload, str):
            response = _refusal(payload)
        else:
            query, variables, operation_name = payload
            context = await self.strawberry_app.get_context(request, None)
            result = await self.operations.run(context, query, variables, operation_name)
            answer = await self.strawberry_app.process_result(request, result)  # type: ignore[arg-type]
            response = Response(orjson.dumps(answer), media_type="application/json")
        await response(scope, receive, send)


def _payload(body: bytes) -> tuple[str, dict[str, Any] | None, str | None] | str:
    """(query, variables, operationName) of a GraphQL-over-HTTP body, or why it is refused."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "the request body is not JSON"
    if not isinstance(payload, dict):
        return "the request body must be one JSON object (batches are not accepted)"
    query, variables, name = payload.get("query"), payload.get("variables"), payload.get(
        "operationName"
    )
    if not isinstance(query, str) or not query:
        return "the request has no query"
    if variables is not None and not isinstance(variables, dict):
        return "variables must be a JSON object"
    if name is not None and not isinstance(name, str):
        return "operationName must be a string"
    return query, variables, name


def _refusal(message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}
    return Response(orjson.dumps(body), status_code=400, media_type="application/json")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with LIMIT_EXCEEDED, before parsing."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {
                "errors": [
                    {
                        "message": f"request body over {self.limit} bytes",
                        "extensions": {"code": "LIMIT_EXCEEDED"},
                    }
                ]
            },
            status_code=413,
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def app_from_env() -> ASGIApp:
    """The app of one uvicorn worker: its own store over the database of GRAPH_API_*."""
    from graph_api.config import Settings

    return create_app(Services.open(Settings.from_env()))


def create_app(services: Services) -> ASGIApp:
    settings = services.settings
    schema = build_schema(settings)
    metrics = Metrics()
    graphql_app = GraphQLApp(schema, services, metrics)
    endpoint = GraphQLEndpoint(graphql_app, Operations(schema, settings))
    store = services.store

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "store": settings.store})

    async def metrics_page(request: Request) -> Response:
        return PlainTextResponse(metrics.render(getattr(store, "applied_seq", 0)))

    async def export_key(request: Request) -> Response:
        key = load_or_create_signing_key(settings.secrets_dir)
        return PlainTextResponse(public_key_pem(key).decode(), media_type="application/x-pem-file")

    async def download(request: Request) -> Response:
        """A package, to the exporting org's token only; anyone else gets 404 as for none."""
        package_id = request.path_params["package_id"]
        try:
            scope = services.authenticate(request.headers.get("authorization"))
        except GraphAPIError as exc:
            return JSONResponse({"errors": [{"message": exc.message,
                                             "extensions": exc.extensions()}]}, status_code=401)
        services.store.append_audit(AuditEntry(
            services.clock(), scope.principal_id, scope.org_id, f"GET /exports/{package_id}"[:200],
            services.audit_digest({"id": package_id}),
        ))
        path = package_for(services, scope, package_id)
        if path is None or not path.is_file():
            return JSONResponse({"errors": [{"message": f"no export {package_id!r}",
                                             "extensions": {"code": "NOT_FOUND"}}]},
                                status_code=404)
        return FileResponse(path, media_type="application/zip",
                            filename=f"case-package-{package_id}.zip")

    async def sdl(request: Request) -> Response:
        return PlainTextResponse(schema.as_str() + "\n")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(_follow(services)),
            asyncio.create_task(sweep_forever(services)),  # notices past their deadline
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()

    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),  # subscriptions: alertRaised
            Route("/healthz", healthz),
            Route("/metrics", metrics_page),
            Route("/schema.graphql", sdl),
            *explore_routes(),
            Route("/export-key", export_key),
            Route("/exports/{package_id}", download),
        ],
        lifespan=lifespan,
    )
    timed = _Timed(app, metrics)
    return RateLimit(BodyLimit(timed, settings.max_body_bytes), settings.rate)


class _Timed:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.metrics.seconds += time.perf_counter() - start


async def _follow(services: Services) -> None:
    """See what other processes commit (``graph-api import``) within two seconds."""
    catch_up = getattr(services.store, "catch_up", None)
    if catch_up is None:
        return
    while True:
        await asyncio.sleep(FOLLOW_SECONDS)
        try:
            catch_up()
        except Exception:  # keep following; the next tick retries
            log.exception("following the database failed")
