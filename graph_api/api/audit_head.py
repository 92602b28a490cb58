"""``GET /audit-head``: a signed checkpoint of the audit chain's head, for the operator.

The answer is a checkpoint of the ledger's head now (``graph_api.checkpoints``),
also kept in the server's checkpoint file. It carries the global sequence number,
which would tell any org the volume of others' activity (DESIGN, "Audit"), so it
answers whoever may read ``/metrics``: a PLATFORM admin's token or
``GRAPH_API_METRICS_TOKEN`` (401 without a token, 403 with another). The operator
fetches it from elsewhere, on a schedule, and keeps what it answers there
(docs/security.md): that copy is what ``graph-api audit verify --checkpoint``
holds the ledger to.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response

from graph_api.access import Action
from graph_api.api.exchange import envelope
from graph_api.bearer import bearer_token
from graph_api.checkpoints import take_checkpoint
from graph_api.errors import Forbidden, GraphAPIError
from graph_api.model import OrgType
from graph_api.services import Services

__all__ = ["audit_head_page"]


def audit_head_page(services: Services) -> Callable[[Request], Awaitable[Response]]:
    """The ``/audit-head`` endpoint."""
    secret = services.settings.metrics_token

    async def page(request: Request) -> Response:
        header = request.headers.get("authorization")
        token = bearer_token(header)
        if not (secret and token and hmac.compare_digest(token.encode(), secret.encode())):
            try:
                scope = services.authenticate(header)
                scope.require(Action.ADMIN)
                if scope.org_type is not OrgType.PLATFORM:
                    raise Forbidden("/audit-head is for a PLATFORM admin or "
                                    "GRAPH_API_METRICS_TOKEN")
            except GraphAPIError as error:
                status = 403 if isinstance(error, Forbidden) else 401
                headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
                return Response(orjson.dumps(envelope(error.message, error.code)), status,
                                headers, "application/json")
        return Response(orjson.dumps(take_checkpoint(services)), media_type="application/json")

    return page
