"""A GraphQL request and its answer, as every transport reads and writes them.

A transport (``http``, ``websocket``) turns what it received into a
``GraphQLRequest`` (``request_from``), hands it to the operation pipeline, and
writes the ``Answer`` it gets back in its own way: the ``status`` says what kind of
answer it is (executed, or refused before execution and why), so HTTP can choose
its status code and a WebSocket its message. Every error leaves through
``formatted``: a message (never a stack trace), ``locations`` and ``path`` where
there are any, and ``extensions.code`` always. An executed answer may carry the
response's top-level ``extensions`` (``wholeGraph``: the fields answered from an
older version of the caller's view, ``context.Operation.take_extensions``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError

from graph_api.api.schema import error_extensions

__all__ = ["Answer", "GraphQLRequest", "Status", "envelope", "formatted", "request_from"]

log = logging.getLogger("graph_api")


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """What a client asks: GraphQL over HTTP's parameters (a POST body, GET's query
    string, a WebSocket ``subscribe`` payload). ``query`` is None only when
    ``extensions.persistedQuery`` names the document by its hash (``api.persisted``)."""

    query: str | None
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None


def request_from(params: Mapping[str, Any]) -> GraphQLRequest | str:
    """The request in ``params`` (JSON values already decoded), or why it is not one.

    >>> request_from({"query": "{ me { id } }", "variables": None})
    GraphQLRequest(query='{ me { id } }', variables=None, operation_name=None, extensions=None)
    >>> request_from({"query": "{ me { id } }", "variables": [1]})
    'variables must be a JSON object'
    >>> request_from({"extensions": {"persistedQuery": {"version": 1}}}).query is None
    True
    """
    query = params.get("query")
    variables, name = params.get("variables"), params.get("operationName")
    extensions = params.get("extensions")
    if query is None and isinstance(extensions, dict) and "persistedQuery" in extensions:
        pass  # the document named by its hash (``api.persisted``)
    elif not isinstance(query, str) or not query:
        return "the request has no query (a non-empty string)"
    if variables is not None and not isinstance(variables, dict):
        return "variables must be a JSON object"
    if name is not None and not isinstance(name, str):
        return "operationName must be a string"
    if extensions is not None and not isinstance(extensions, dict):
        return "extensions must be a JSON object"
    return GraphQLRequest(query, variables, name, extensions)


class Status(enum.Enum):
    """What kind of answer: executed, or refused before execution (and why)."""

    EXECUTED = "executed"  # data and field errors, as graphql-core answered
    MALFORMED = "malformed"  # not a GraphQL request at all (a body that is not one)
    INVALID = "invalid"  # a document or variables the schema refuses: a request error
    NOT_ALLOWED = "not allowed"  # an operation this method may not run (a mutation by GET)
    RATE_LIMITED = "rate limited"  # the caller's bucket or budget is empty: ``retry_after`` s
    # a hash alone that names no known document: the client sends it again with the
    # document (Apollo's automatic persisted queries; answered as Apollo Server does)
    PERSISTED_QUERY_NOT_FOUND = "persisted query not found"
    UNAUTHENTICATED = "unauthenticated"  # where a token is required (a WebSocket's)
    FAILED = "failed"  # a subscription's stream ended in an error


@dataclass(slots=True)
class Answer:
    """The outcome of one operation (or of one event of a subscription)."""

    data: dict[str, Any] | None
    errors: list[GraphQLError] = field(default_factory=list)
    status: Status = Status.EXECUTED
    retry_after: int = 0
    extensions: dict[str, Any] | None = None  # the response's, beside data and errors

    @classmethod
    def refused(cls, status: Status, message: str, code: str | None = None,
                retry_after: int = 0) -> Answer:
        """An answer refusing the request before execution, with one error."""
        extensions = None if code is None else {"code": code}
        return cls(None, [GraphQLError(message, extensions=extensions)], status, retry_after)

    @property
    def executed(self) -> bool:
        return self.status is Status.EXECUTED

    def body(self, with_data: bool = True) -> dict[str, Any]:
        """The GraphQL response: ``data`` (unless ``with_data`` is False and the request
        never executed), ``errors`` and ``extensions`` when there are any."""
        out: dict[str, Any] = {}
        if with_data or self.executed:
            out["data"] = self.data
        if self.errors:
            out["errors"] = [formatted(e) for e in self.errors]
        if self.extensions:
            out["extensions"] = self.extensions
        return out


def formatted(error: GraphQLError) -> dict[str, Any]:
    """An error as every transport sends it; an unexpected one is logged, never shown."""
    extensions: dict[str, Any] = dict(error_extensions(error))
    extensions.update(error.extensions or {})  # a code given when the error was made wins
    message = error.message
    if extensions["code"] == "INTERNAL":
        log.error("internal error: %s", message, exc_info=error.original_error)
        message = "internal error; it has been logged"
    out: dict[str, Any] = {"message": message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = error.path
    out["extensions"] = extensions
    return out


def envelope(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """The body of an error answered outside GraphQL (a refused body, an unknown path)."""
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
