"""File uploads on ``POST /graphql``: the GraphQL multipart request spec, streamed to disk.

A ``multipart/form-data`` POST carries, in this order (the spec's
https://github.com/jaydenseric/graphql-multipart-request-spec):

- ``operations``: the GraphQL request as JSON, each file's variable ``null``;
- ``map``: JSON naming, for each file part, the variable(s) it fills
  (``{"0": ["variables.file"]}``);
- the file parts (``0``, ...), each with its file name and ``Content-Type``.

Each file is written to the evidence folder's ``staging/`` as it arrives
(``store.evidence_files.Staged``: its SHA-256 counted on the way, never held in
memory) and handed to the resolver in its variable (the ``Upload`` scalar takes
nothing else). After the operation every staged file is removed: one that an
``attachEvidence`` kept was linked under its hash first, and one it did not keep —
the operation refused, failed or never asked for it — leaves nothing behind.

Limits: the files of one request together at most ``GRAPH_API_EVIDENCE_MAX_BYTES``
(default 100 MiB) and ``MAX_FILES``; ``operations`` and ``map`` each at most the
request body limit (``max_body_bytes``); over either 413 LIMIT_EXCEEDED (a declared
``Content-Length`` over the whole allowance is refused unread). The general body
limit (``app.BodyLimit``, which buffers a body whole) lets an upload request through
to this module, which never buffers one.

**CSRF.** A browser sends a ``multipart/form-data`` POST from any page without a
CORS preflight (it is a "simple" request), so an upload request must carry a header
that forces one — ``GraphQL-Require-Preflight`` or ``Apollo-Require-Preflight``
(any value), or ``X-Apollo-Operation-Name``, as Apollo Server's CSRF prevention
asks — else 400 before anything is read. (The bearer token is a header too, so no
cross-site page can send one; the rule stands in case a proxy ever adds it.)
A caller whose token does not authenticate is refused (401) before its body is read.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import orjson
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from graph_api.api.exchange import GraphQLRequest, envelope, request_from
from graph_api.api.metrics import Metrics
from graph_api.api.operations import QUERIES_AND_MUTATIONS
from graph_api.api.pipeline import Credentials, Pipeline
from graph_api.errors import GraphAPIError
from graph_api.store.evidence_files import EvidenceFolder, Staged, TooLarge

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["MAX_FILES", "PREFLIGHT_HEADERS", "Uploads", "is_upload"]

MAX_FILES = 10
MAX_INT = 2**31 - 1  # EvidenceFile.bytes is a GraphQL Int
PREFLIGHT_HEADERS = ("graphql-require-preflight", "apollo-require-preflight",
                     "x-apollo-operation-name")
MULTIPART = "multipart/form-data"
JSON_TYPE = "application/json; charset=utf-8"
Respond = Callable[[Any, str], Response]


def is_upload(scope: Scope) -> bool:
    """Whether an ASGI request is an upload: a multipart POST to /graphql (the general
    body limit lets it through; ``Uploads`` limits it)."""
    if scope["type"] != "http" or scope.get("method") != "POST" or scope["path"] != "/graphql":
        return False
    content_type: bytes = dict(scope.get("headers", [])).get(b"content-type", b"")
    return content_type.split(b";", 1)[0].strip().lower() == MULTIPART.encode()


def _refusal(status: int, message: str, code: str) -> Response:
    headers = {"Connection": "close"} if status == 413 else None
    return Response(orjson.dumps(envelope(message, code)), status, headers, JSON_TYPE)


class BadUpload(Exception):
    """Not a request of the multipart spec: answered 400 with this message."""


class OverLimit(Exception):
    """Over a limit of this module: answered 413 with this message."""


@dataclass
class _Part:
    name: str = ""
    file_name: str | None = None
    media_type: str = "application/octet-stream"
    data: bytearray = field(default_factory=bytearray)
    staged: Staged | None = None
    disposition: bytes = b""
    content_type: bytes = b""


class _Receiver:
    """The parser's callbacks: fields kept (bounded), files written to staging."""

    def __init__(self, folder: EvidenceFolder, field_limit: int, file_limit: int,
                 charset: str, staged: list[Staged]) -> None:
        self.folder = folder
        self.field_limit = field_limit
        self.left = file_limit  # bytes the request's files may still take
        self.charset = charset
        self.fields: dict[str, bytes] = {}
        self.files: dict[str, Staged] = {}
        self.staged = staged  # every file begun (removed after the request)
        self.part = _Part()
        self._header_name = b""
        self._header_value = b""

    def _text(self, raw: bytes) -> str:
        return raw.decode(self.charset, errors="replace")

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self._header_name.strip().lower()
        if name == b"content-disposition":
            self.part.disposition = self._header_value
        elif name == b"content-type":
            self.part.content_type = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.disposition)
        if b"name" not in options:
            raise BadUpload("every part names its field (Content-Disposition: form-data; "
                            "name=...)")
        self.part.name = self._text(options[b"name"])
        if b"filename" not in options:
            if self.part.name not in ("operations", "map"):
                raise BadUpload(f"part {self.part.name!r}: only operations, map and files "
                                "are sent")
            if self.part.name == "map" and "operations" not in self.fields:
                raise BadUpload("operations comes before map")
            return
        if "map" not in self.fields:
            raise BadUpload("operations and map come before the files")
        if len(self.staged) >= MAX_FILES:
            raise OverLimit(f"at most {MAX_FILES} files per request")
        media = self._text(self.part.content_type) or "application/octet-stream"
        self.part.staged = self.folder.stage(self._text(options[b"filename"]), media, self.left)
        self.staged.append(self.part.staged)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        if part.staged is not None:
            part.staged.write(data[start:end])  # TooLarge past the request's allowance
            return
        part.data += data[start:end]
        if len(part.data) > self.field_limit:
            raise OverLimit(f"{part.name} is over {self.field_limit} bytes")

    def on_part_end(self) -> None:
        part = self.part
        if part.staged is not None:
            part.staged.finish()
            self.left -= part.staged.size
            if part.name in self.files:
                raise BadUpload(f"file part {part.name!r} sent twice")
            self.files[part.name] = part.staged
        else:
            if part.name in self.fields:
                raise BadUpload(f"{part.name} sent twice")
            self.fields[part.name] = bytes(part.data)

    def callbacks(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "on_part_begin", "on_part_data", "on_part_end", "on_header_field",
            "on_header_value", "on_header_end", "on_headers_finished")}


class Uploads:
    """The multipart half of ``POST /graphql`` (``api.http`` hands such requests here)."""

    def __init__(self, pipeline: Pipeline, metrics: Metrics, folder: EvidenceFolder,
                 file_limit: int, field_limit: int) -> None:
        self.pipeline = pipeline
        self.metrics = metrics
        self.folder = folder
        self.file_limit = min(file_limit, MAX_INT)
        self.field_limit = field_limit

    @property
    def request_limit(self) -> int:
        """The most bytes an upload request may declare: its files, operations and map,
        and the multipart framing (a few hundred bytes a part)."""
        return self.file_limit + 2 * self.field_limit + 64 * 1024

    async def handle(self, request: Request, media_type: str, respond: Respond) -> Response:
        if not any(request.headers.get(h, "").strip() for h in PREFLIGHT_HEADERS):
            return _refusal(400, "a multipart request carries GraphQL-Require-Preflight (or "
                            "Apollo-Require-Preflight): a browser then asks before sending it "
                            "(CSRF)", "BAD_USER_INPUT")
        authorization = request.headers.get("authorization")
        try:
            self.pipeline.authenticate(Credentials.of(authorization, "?"))
        except GraphAPIError as exc:  # before a byte of the body is stored
            return _refusal(401, exc.message, exc.code)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.request_limit:
            return _refusal(413, f"an upload request carries at most {self.file_limit} bytes "
                            "of files", "LIMIT_EXCEEDED")
        staged: list[Staged] = []  # every file begun: removed whatever happens
        try:
            try:
                receiver = await self._receive(request, staged)
                parsed: GraphQLRequest | str = _request_of(receiver)
            except BadUpload as exc:
                parsed = str(exc)
            except (OverLimit, TooLarge) as exc:
                message = str(exc) if isinstance(exc, OverLimit) else (
                    f"an upload request carries at most {self.file_limit} bytes of files")
                return _refusal(413, message, "LIMIT_EXCEEDED")
            self.metrics.operations["http"] += 1
            client = request.client.host if request.client else "?"
            credentials = Credentials.of(authorization, client)
            answer = await self.pipeline.run(credentials, parsed, QUERIES_AND_MUTATIONS)
            return respond(answer, media_type)
        finally:
            for file in staged:
                file.discard()

    async def _receive(self, request: Request, staged: list[Staged]) -> _Receiver:
        """Read the body part by part (files to staging, each also put in ``staged``)."""
        _, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if not boundary:
            raise BadUpload("multipart/form-data without a boundary")
        charset = params.get(b"charset", b"utf-8").decode("latin-1")
        try:
            charset = codecs.lookup(charset).name
        except LookupError:
            charset = "utf-8"
        receiver = _Receiver(self.folder, self.field_limit, self.file_limit, charset, staged)
        parser = MultipartParser(boundary, cast("MultipartCallbacks", receiver.callbacks()))
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except (BadUpload, OverLimit, TooLarge):
            raise
        except Exception as exc:  # the parser's own errors: not multipart
            raise BadUpload(f"not a multipart/form-data body: {exc}") from None
        if "operations" not in receiver.fields or "map" not in receiver.fields:
            raise BadUpload("a multipart request sends operations and map")
        return receiver


def _request_of(receiver: _Receiver) -> GraphQLRequest | str:
    """The GraphQL request, each file in the variables ``map`` names; a string saying
    why when it is not one."""
    try:
        operations = orjson.loads(receiver.fields["operations"])
        mapping = orjson.loads(receiver.fields["map"])
    except orjson.JSONDecodeError:
        return "operations and map are JSON"
    if not isinstance(operations, dict):
        return "operations must be one JSON object (batches are not accepted)"
    if not isinstance(mapping, dict) or not all(
            isinstance(v, list) and v and all(isinstance(p, str) for p in v)
            for v in mapping.values()):
        return 'map is a JSON object of file part -> ["variables.<path>", ...]'
    unnamed = sorted(set(receiver.files) - set(mapping))
    if unnamed:
        return f"file parts not named in map: {', '.join(unnamed)}"
    for key, paths in mapping.items():
        staged = receiver.files.get(key)
        if staged is None:
            return f"map names file part {key!r}, which the request did not send"
        for path in paths:
            problem = _put(operations, path, staged)
            if problem:
                return problem
    return request_from(operations)


def _put(operations: dict[str, Any], path: str, staged: Staged) -> str | None:
    """Put ``staged`` at ``path`` (``variables.a.0.b``) of the operations, where a null
    stands; why not, else None."""
    parts = path.split(".")
    if len(parts) < 2 or parts[0] != "variables":
        return f"map path {path!r}: a file goes into the variables (variables.<name>)"
    node: Any = operations
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, dict) and part in node:
            if last:
                if node[part] is not None:
                    return f"map path {path!r}: the variable there must be null"
                node[part] = staged
                return None
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            index = int(part)
            if last:
                if node[index] is not None:
                    return f"map path {path!r}: the variable there must be null"
                node[index] = staged
                return None
            node = node[index]
        else:
            return f"map path {path!r}: no such variable in operations"
    return None

