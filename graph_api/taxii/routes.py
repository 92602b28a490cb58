"""The TAXII 2.1 endpoints under ``/taxii2/`` (OASIS TAXII 2.1, section 4 and 5).

Discovery, one API root (``/taxii2/graph-api/``), its collections, their objects
(``added_after`` exclusive, ``limit``, ``next``, ``match[id|type|version|spec_version]``),
an object and its versions, the manifest, ``POST`` to the write collection and
the status of what was posted. Every answer is ``application/taxii+json;version=2.1``
and comes from the caller's view alone (``collections``), capped by
``max_marking`` when asked.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from graph_api.services import Services
from graph_api.taxii.collections import (
    MAX_PAGE,
    SUBMISSIONS,
    Collection,
    Match,
    Page,
    collection_of,
    collections_of,
    version_of,
)
from graph_api.taxii.feed import Feeds
from graph_api.taxii.http import (
    STIX,
    TAXII,
    Caller,
    TaxiiError,
    answer,
    caller_of,
    decode_next,
    encode_next,
    parse_time,
    taxii_error,
)
from graph_api.taxii.submissions import Submitter

__all__ = ["API_ROOT", "DEFAULT_PAGE", "TaxiiRoutes"]

API_ROOT = "graph-api"
DEFAULT_PAGE = 1000
MAX_CONTENT = 20 * 1024 * 1024  # what a POST may carry (the app's body limit may be lower)


class TaxiiRoutes:
    def __init__(self, services: Services, feeds: Feeds, submitter: Submitter) -> None:
        self.services = services
        self.feeds = feeds
        self.submitter = submitter

    def routes(self) -> list[BaseRoute]:
        base = "/taxii2/{root}"
        col = f"{base}/collections/{{cid}}"
        return [
            Route("/taxii2/", self._handle(self.discovery, "discovery")),
            Route(f"{base}/", self._handle(self.api_root, "api root")),
            Route(f"{base}/collections/", self._handle(self.collections, "collections")),
            Route(f"{col}/", self._handle(self.collection, "collection")),
            Route(f"{col}/objects/", self._handle(self.objects, "objects"),
                  methods=["GET", "POST"]),
            Route(f"{col}/objects/{{oid}}/", self._handle(self.object, "object")),
            Route(f"{col}/objects/{{oid}}/versions/", self._handle(self.versions, "versions")),
            Route(f"{col}/manifest/", self._handle(self.manifest, "manifest")),
            Route(f"{base}/status/{{sid}}/", self._handle(self.status, "status")),
        ]

    def _handle(self, endpoint: Any, label: str) -> Any:
        async def handle(request: Request) -> Response:
            try:
                _check_accept(request)
                caller = caller_of(self.services, request, f"{request.method} {label}")
                root = request.path_params.get("root")
                if root is not None and root != API_ROOT:
                    raise TaxiiError(404, "Not Found", f"no API root {root!r}")
                # the caller's feed folded first, in slices (a view's first fold
                # reads all of it) and held: no fold runs across this request's reads
                async with self.feeds.using(self.services.store, caller.scope):
                    result: Response = await endpoint(request, caller)
                return result
            except TaxiiError as error:
                return taxii_error(error)

        return handle

    # -- resources -------------------------------------------------------------------
    async def discovery(self, request: Request, caller: Caller) -> Response:
        return answer({
            "title": "graph_api TAXII 2.1",
            "description": "The anti-counterfeiting alliance's intelligence, per object as "
                           "your organisation may read it.",
            "default": f"/taxii2/{API_ROOT}/",
            "api_roots": [f"/taxii2/{API_ROOT}/"],
        })

    async def api_root(self, request: Request, caller: Caller) -> Response:
        return answer({"title": "graph_api", "versions": [TAXII],
                       "max_content_length": MAX_CONTENT})

    async def collections(self, request: Request, caller: Caller) -> Response:
        found = collections_of(self.services, self.feeds, caller)
        return answer({"collections": [c.resource() for c in found]})

    async def collection(self, request: Request, caller: Caller) -> Response:
        return answer(self._collection(request, caller).resource())

    def _collection(self, request: Request, caller: Caller) -> Collection:
        return collection_of(self.services, self.feeds, caller, request.path_params["cid"])

    def _readable(self, request: Request, caller: Caller) -> Collection:
        found = self._collection(request, caller)
        if not found.can_read:
            raise TaxiiError(403, "Forbidden", f"collection {found.id!r} is write-only")
        return found

    def _page(self, request: Request, caller: Caller, found: Collection,
              object_id: str | None = None) -> Page:
        params = request.query_params
        match = Match.of(params, object_id)
        limit = DEFAULT_PAGE
        if "limit" in params:
            if not params["limit"].isdigit() or int(params["limit"]) < 1:
                raise TaxiiError(400, "Bad Request", "limit: a whole number from 1")
            limit = min(int(params["limit"]), MAX_PAGE)
        after = None
        if "next" in params:
            after = decode_next(params["next"], found.id, caller.ceiling)
        added_after = None
        if "added_after" in params:
            added_after = parse_time(params["added_after"], "added_after")
        return found.page(after, added_after, match, limit)

    def _headers(self, page: Page) -> dict[str, str]:
        if not page.items:
            return {}
        return {"X-TAXII-Date-Added-First": page.items[0][1],
                "X-TAXII-Date-Added-Last": page.items[-1][1]}

    def _envelope(self, page: Page, found: Collection, caller: Caller,
                  body: dict[str, Any]) -> dict[str, Any]:
        body["more"] = page.more
        if page.more:
            body["next"] = encode_next(found.id, caller.ceiling, page.items[-1][0])
        return body

    async def objects(self, request: Request, caller: Caller) -> Response:
        if request.method == "POST":
            return await self.post(request, caller)
        found = self._readable(request, caller)
        page = self._page(request, caller, found)
        body = self._envelope(page, found, caller, {"objects": [o for _, _, o in page.items]})
        return answer(body, headers=self._headers(page))

    async def object(self, request: Request, caller: Caller) -> Response:
        found = self._readable(request, caller)
        page = self._page(request, caller, found, request.path_params["oid"])
        if not page.items and "next" not in request.query_params:
            raise TaxiiError(404, "Not Found", f"no object {request.path_params['oid']!r}")
        body = self._envelope(page, found, caller, {"objects": [o for _, _, o in page.items]})
        return answer(body, headers=self._headers(page))

    async def versions(self, request: Request, caller: Caller) -> Response:
        found = self._readable(request, caller)
        page = self._page(request, caller, found, request.path_params["oid"])
        if not page.items and "next" not in request.query_params:
            raise TaxiiError(404, "Not Found", f"no object {request.path_params['oid']!r}")
        body = self._envelope(page, found, caller,
                              {"versions": [version_of(o) for _, _, o in page.items]})
        return answer(body, headers=self._headers(page))

    async def manifest(self, request: Request, caller: Caller) -> Response:
        found = self._readable(request, caller)
        page = self._page(request, caller, found)
        rows = [{"id": o["id"], "date_added": added, "version": version_of(o),
                 "media_type": STIX} for _, added, o in page.items]
        body: dict[str, Any] = {"objects": rows}
        if caller.ceiling is not None:  # the ceiling the rows were computed under
            body["x_graph_api_max_marking"] = caller.ceiling.value
        return answer(self._envelope(page, found, caller, body), headers=self._headers(page))

    async def post(self, request: Request, caller: Caller) -> Response:
        found = self._collection(request, caller)
        if found.id != SUBMISSIONS or not found.can_write:
            raise TaxiiError(403, "Forbidden", f"you may not add objects to {found.id!r}")
        media = request.headers.get("content-type", "").replace(" ", "").lower()
        if not media.startswith("application/taxii+json"):
            raise TaxiiError(415, "Unsupported Media Type", f"send {TAXII}")
        body = await request.body()
        if len(body) > MAX_CONTENT:
            raise TaxiiError(413, "Payload Too Large", f"at most {MAX_CONTENT} bytes")
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise TaxiiError(400, "Bad Request", "the body is not JSON") from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
            raise TaxiiError(400, "Bad Request", "send an envelope: {\"objects\": [...]}")
        status = self.submitter.accept(caller.own, envelope["objects"])
        return answer(status, 202)

    async def status(self, request: Request, caller: Caller) -> Response:
        found = self.submitter.status(caller.own, request.path_params["sid"])
        if found is None:
            raise TaxiiError(404, "Not Found", f"no status {request.path_params['sid']!r}")
        return answer(found)


def _check_accept(request: Request) -> None:
    """A TAXII client asks for taxii+json 2.1 (or anything); another version is refused."""
    accept = request.headers.get("accept", "").replace(" ", "").lower()
    if "taxii+json" in accept and "taxii+json;version=2.1" not in accept \
            and "application/taxii+json," not in accept + ",":
        raise TaxiiError(406, "Not Acceptable", f"this server speaks {TAXII}")
