"""``/graphql`` over HTTP, as the GraphQL Foundation's GraphQL-over-HTTP spec has it.

- **POST** with a JSON body (``Content-Type: application/json``, any case, UTF-8)
  runs a query or a mutation; **GET** with ``?query=`` (and ``variables`` /
  ``extensions`` as JSON, ``operationName``) runs a query only: a mutation by GET is
  refused with 405 and ``Allow: POST``. A browser's GET without a query gets GraphiQL.
- The answer's media type follows ``Accept``: ``application/graphql-response+json``
  when the client prefers it, else ``application/json`` (also with no ``Accept``,
  ``*/*`` or nothing we offer).
- Status codes: 200 for an executed operation, errors and all. A body or query
  string that is not a GraphQL request: 400. A document or variables the schema
  refuses (parse, validation, limits, variable coercion): 200 with ``"data": null``
  under ``application/json`` (the README's promise to existing scripts), 400 and no
  ``data`` under ``application/graphql-response+json``. Over the rate limit 429 with
  ``Retry-After`` (the rate bucket, or the cost budget: ``api.cost``); a media type
  we do not read 415; too large a body 413 (``app.BodyLimit``). Every error, at any
  layer, is the JSON envelope with ``extensions.code``.
- Persisted queries (``api.persisted``): ``extensions.persistedQuery`` in the body,
  or in GET's ``extensions`` parameter as Apollo's ``useGETForHashedQueries`` sends
  it; a hash alone that is not known answers ``PersistedQueryNotFound`` with 200 and
  ``Cache-Control: private, no-cache, must-revalidate``, as Apollo Server does.
- A ``multipart/form-data`` POST is a file upload (the GraphQL multipart request
  spec), read by ``api.uploads``: streamed to disk, limited and CSRF-checked there.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from graph_api.api.exchange import Answer, GraphQLRequest, Status, envelope, request_from
from graph_api.api.metrics import Metrics
from graph_api.api.operations import QUERIES, QUERIES_AND_MUTATIONS
from graph_api.api.pipeline import Credentials, Pipeline
from graph_api.api.uploads import Uploads
from graph_api.graphiql import page as graphiql_page
from graph_api.offload import ClientGone, client_watched

__all__ = ["GRAPHQL_RESPONSE", "JSON", "GraphQLOverHTTP", "media_type_for", "respond"]

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
_CONTENT_TYPES = {JSON: f"{JSON}; charset=utf-8",
                  GRAPHQL_RESPONSE: f"{GRAPHQL_RESPONSE}; charset=utf-8"}
_STATUS = {
    Status.EXECUTED: 200, Status.MALFORMED: 400, Status.NOT_ALLOWED: 405,
    Status.RATE_LIMITED: 429, Status.UNAUTHENTICATED: 401, Status.FAILED: 200,
    Status.PERSISTED_QUERY_NOT_FOUND: 200,
}
# A hash the server does not know yet is about to be registered: no cache may keep the
# miss (Apollo Server's answer, which Apollo's clients expect, in either media type).
_NOT_FOUND_HEADERS = {"Cache-Control": "private, no-cache, must-revalidate"}


class GraphQLOverHTTP:
    """The HTTP half of ``/graphql`` (the WebSocket half is ``api.websocket``)."""

    def __init__(self, pipeline: Pipeline, metrics: Metrics,
                 uploads: Uploads | None = None) -> None:
        self.pipeline = pipeline
        self.metrics = metrics
        self.uploads = uploads  # multipart POSTs (file uploads): api.uploads

    async def handle(self, request: Request) -> Response:
        media_type = media_type_for(request.headers.get("accept"))
        parsed: GraphQLRequest | str | Response
        if request.method == "GET":
            if ("query" not in request.query_params and "extensions" not in request.query_params
                    and _wants_html(request)):
                return graphiql_page()  # served whole by this server (graph_api.graphiql)
            parsed = _from_query_string(request)
            allowed = QUERIES
        elif self.uploads is not None and _is_multipart(request):
            return await self.uploads.handle(request, media_type, respond)
        else:
            parsed = await _from_body(request)
            allowed = QUERIES_AND_MUTATIONS
        if isinstance(parsed, Response):
            return parsed
        self.metrics.operations["http"] += 1
        client = request.client.host if request.client else "?"
        credentials = Credentials.of(request.headers.get("authorization"), client)
        try:
            with client_watched(request.receive):  # a whole-graph wait ends if the client goes
                answer = await self.pipeline.run(credentials, parsed, allowed)
        except ClientGone:
            return Response(status_code=499)  # nobody to answer (nginx's "client closed")
        return respond(answer, media_type)


def respond(answer: Answer, media_type: str) -> Response:
    """``answer`` as an HTTP response in ``media_type`` (see the module for the codes)."""
    strict = media_type == GRAPHQL_RESPONSE
    status = 400 if answer.status is Status.INVALID and strict else _STATUS.get(answer.status, 200)
    body = answer.body(with_data=answer.status is Status.INVALID and not strict)
    headers = None
    if answer.status is Status.RATE_LIMITED:
        headers = {"Retry-After": str(answer.retry_after)}
    elif answer.status is Status.NOT_ALLOWED:
        headers = {"Allow": "POST"}
    elif answer.status is Status.PERSISTED_QUERY_NOT_FOUND:
        headers = _NOT_FOUND_HEADERS
    return Response(orjson.dumps(body), status, headers, _CONTENT_TYPES[media_type])


def media_type_for(accept: str | None) -> str:
    """The media type to answer in: the one ``accept`` ranks highest (the first on a tie)
    of ``application/graphql-response+json`` and ``application/json``; the latter when
    it names neither.

    >>> media_type_for(None), media_type_for("*/*"), media_type_for("text/html")
    ('application/json', 'application/json', 'application/json')
    >>> media_type_for("Application/GraphQL-Response+JSON, application/json;q=0.9")
    'application/graphql-response+json'
    >>> media_type_for("application/graphql-response+json;q=0.5, application/json")
    'application/json'
    """
    if not accept or accept == "*/*":
        return JSON
    best, best_q = JSON, 0.0
    for part in accept.split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        offered = GRAPHQL_RESPONSE if media == GRAPHQL_RESPONSE else (
            JSON if media in (JSON, "application/*", "*/*") else None
        )
        q = _quality(params)
        if offered is not None and q > best_q:
            best, best_q = offered, q
    return best


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def _is_multipart(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";", 1)[0]
    return media.strip().lower() == "multipart/form-data"


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "").lower()


def _from_query_string(request: Request) -> GraphQLRequest | str:
    params: dict[str, Any] = dict(request.query_params)
    for name in ("variables", "extensions"):
        if name in params:
            try:
                params[name] = orjson.loads(params[name])
            except orjson.JSONDecodeError:
                return f"{name} must be a JSON object"
    return request_from(params)


async def _from_body(request: Request) -> GraphQLRequest | str | Response:
    media, *params = request.headers.get("content-type", "").split(";")
    charset = next((v.strip().strip('"').lower() for k, _, v in
                    (p.partition("=") for p in params) if k.strip().lower() == "charset"), "utf-8")
    if media.strip().lower() != JSON or charset != "utf-8":
        message = "send the request as application/json (UTF-8)"
        return Response(orjson.dumps(envelope(message, "BAD_USER_INPUT")), 415,
                        media_type=f"{JSON}; charset=utf-8")
    body = await request.body()
    if not body.strip():
        return "the request body is empty"
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "the request body is not JSON"
    if not isinstance(payload, dict):
        return "the request body must be one JSON object (batches are not accepted)"
    return request_from(payload)
