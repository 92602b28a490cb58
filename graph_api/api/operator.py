"""The operator's pages (``/metrics``, and any other page about the whole process):
a PLATFORM admin's token or ``GRAPH_API_METRICS_TOKEN`` reads them, nobody else.

Such a page tells about every org at once (how busy the process is, how long the
ledger is), so no brand's or regulator's token reads it, whatever its role. The
metrics token is compared in constant time; without a valid token the answer is
401, with another one 403, both in the JSON envelope.
"""

from __future__ import annotations

import hmac

import orjson
from starlette.requests import Request
from starlette.responses import Response

from graph_api.access import Action
from graph_api.api.exchange import envelope
from graph_api.bearer import bearer_token
from graph_api.errors import Forbidden, GraphAPIError
from graph_api.model import OrgType
from graph_api.services import Services

__all__ = ["operator_refusal"]


def operator_refusal(services: Services, request: Request) -> Response | None:
    """The answer refusing ``request`` to an operator's page; None when it may read it."""
    header = request.headers.get("authorization")
    secret = services.settings.metrics_token
    token = bearer_token(header)
    if secret and token and hmac.compare_digest(token.encode(), secret.encode()):
        return None
    try:
        scope = services.authenticate(header)
        scope.require(Action.ADMIN)
        if scope.org_type is not OrgType.PLATFORM:
            raise Forbidden(f"{request.url.path} is for a PLATFORM admin or "
                            "GRAPH_API_METRICS_TOKEN")
    except GraphAPIError as error:
        status = 403 if isinstance(error, Forbidden) else 401
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        return Response(orjson.dumps(envelope(error.message, error.code)), status, headers,
                        "application/json")
    return None
