"""The operation pipeline: the same steps for every operation on every transport.

HTTP POST, HTTP GET and each ``subscribe`` message on a ``graphql-transport-ws``
socket hand their request to ``Pipeline.run`` (or ``stream``) with the caller's
``Credentials``. Per operation, in this order:

1. **rate**: one token from the caller's bucket (``ratelimit.caller_key``: the
   token as ``bearer.bearer_token`` reads it, so one token has one bucket on every
   transport), else RATE_LIMITED;
2. **authenticate**: the token is looked up now, for this operation (a token
   revoked since the socket opened fails here), into a new ``Operation``;
3. **execute** (``operations.Operations``): the document (sent, or named by its
   hash: ``api.persisted``), limits (tokens, depth, aliases) while it is prepared,
   the operation type the transport allows, its cost charged to the caller's budget
   (``api.cost``; keyed as the bucket is, so one token has one budget on every
   transport), else RATE_LIMITED before anything runs, then the audit record and
   the time budget around the execution (``auditing.audited``), the role checked
   by each resolver (``Operation.require``);
4. **answer**: an ``exchange.Answer`` whose errors all carry ``extensions.code``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from graphql import OperationType

from graph_api.access import Scope
from graph_api.api.context import Operation
from graph_api.api.exchange import Answer, GraphQLRequest, Status
from graph_api.api.operations import EVERY_OPERATION, Operations
from graph_api.bearer import bearer_token
from graph_api.errors import GraphAPIError
from graph_api.ratelimit import TokenBuckets, caller_key, retry_after
from graph_api.services import Services

__all__ = ["Credentials", "Pipeline"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who a transport says is asking: the ``Authorization`` value it was given (a
    header, or a WebSocket's ``connectionParams``), the client's address, and the
    token as ``bearer_token`` reads it (None: no well-formed token)."""

    authorization: str | None
    client: str
    token: str | None

    @classmethod
    def of(cls, authorization: str | None, client: str) -> Credentials:
        return cls(authorization, client, bearer_token(authorization))

    @property
    def bucket(self) -> str:
        return caller_key(self.token, self.client)


class Pipeline:
    def __init__(self, services: Services, executor: Operations, buckets: TokenBuckets) -> None:
        self.services = services
        self.executor = executor
        self.buckets = buckets

    def authenticate(self, credentials: Credentials) -> Scope:
        """The caller's scope, looked up now; raises UNAUTHENTICATED."""
        return self.services.authenticate(credentials.authorization)

    def rate_limited(self, credentials: Credentials) -> Answer | None:
        """The answer refusing the caller for its rate; None when its bucket had a token."""
        if not self.buckets.enabled:
            return None
        wait = self.buckets.take(credentials.bucket)
        if wait <= 0.0:
            return None
        retry = retry_after(wait)
        return Answer.refused(
            Status.RATE_LIMITED, f"too many requests for this token: retry after {retry} s",
            "RATE_LIMITED", retry,
        )

    def _operation(self, credentials: Credentials) -> Operation:
        """A new operation, its caller authenticated now (or why not)."""
        operation = Operation(services=self.services, caller=credentials.bucket)
        try:
            operation._scope = self.authenticate(credentials)
        except GraphAPIError as error:
            operation.auth_error = error
        return operation

    async def run(
        self, credentials: Credentials, request: GraphQLRequest | str,
        allowed: frozenset[OperationType],
    ) -> Answer:
        """One query or mutation (of the types ``allowed``) for HTTP; ``request`` may be
        why the client's was none (it still takes from the bucket). A caller without a
        valid token is answered field by field (UNAUTHENTICATED), as any other error."""
        refused = self.rate_limited(credentials)
        if refused is not None:
            return refused
        if isinstance(request, str):
            return Answer.refused(Status.MALFORMED, request, "BAD_USER_INPUT")
        operation = self._operation(credentials)
        return await self.executor.run(operation, request, allowed=allowed)

    async def stream(
        self, credentials: Credentials, request: GraphQLRequest
    ) -> Answer | AsyncGenerator[Answer, None]:
        """Any operation, for a WebSocket: its answer, or a subscription's stream. A
        token that no longer authenticates is refused (UNAUTHENTICATED) before anything
        runs: the socket is then closed."""
        refused = self.rate_limited(credentials)
        if refused is not None:
            return refused
        operation = self._operation(credentials)
        if operation.auth_error is not None:
            return Answer.refused(Status.UNAUTHENTICATED, operation.auth_error.message,
                                  operation.auth_error.code)
        return await self.executor.stream(operation, request, allowed=EVERY_OPERATION)
