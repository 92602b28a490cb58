"""What every TAXII answer shares: the media type, errors, the caller, the audit record.

A TAXII request is authenticated by ``Services.authenticate`` (the one token
reading of ``graph_api.bearer``: Bearer, Token or Basic), rate-limited by the
app's ``RateLimit`` in front of it (the same bucket per token as ``/graphql``),
and recorded in the audit ledger before it is answered, as a GraphQL operation
is (``Services.audit_entry``): ``taxii GET objects`` with a keyed digest of its
parameters.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from graph_api.access import Scope
from graph_api.errors import GraphAPIError
from graph_api.model import Marking
from graph_api.services import Services

__all__ = ["STIX", "TAXII", "Caller", "Position", "TaxiiError", "answer", "caller_of",
           "decode_next", "encode_next", "parse_time", "taxii_error"]

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
Position = tuple[int, str]


class TaxiiError(Exception):
    """An answer that is a TAXII error message (``title``, ``description``, ``http_status``)."""

    def __init__(self, status: int, title: str, description: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.description = description
        self.headers = headers or {}


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, TAXII)


def taxii_error(error: TaxiiError) -> Response:
    body = {"title": error.title, "http_status": str(error.status)}
    if error.description:
        body["description"] = error.description
    return answer(body, error.status, error.headers)


def not_found(what: str) -> TaxiiError:
    return TaxiiError(404, "Not Found", what)


@dataclass(frozen=True)
class Caller:
    """An authenticated TAXII request: who asks, and the ceiling it asked for."""

    scope: Scope  # already capped at ``ceiling``
    ceiling: Marking | None
    own: Scope  # the caller's own scope, uncapped (who may read a case, who may write)


def caller_of(services: Services, request: Request, label: str) -> Caller:
    """Authenticate the request and record it in the audit ledger (also when it is
    refused: an unknown token is recorded as anonymous). Raises ``TaxiiError``."""
    params: dict[str, Any] = {"path": request.url.path, **dict(request.query_params)}
    try:
        scope: Scope | None = services.authenticate(request.headers.get("authorization"))
    except GraphAPIError as exc:
        scope = None
        refusal = exc
    try:
        services.store.append_audit(services.audit_entry(scope, f"taxii {label}", params))
    except GraphAPIError as exc:  # nothing is answered that is not in the ledger
        raise TaxiiError(503, "Service Unavailable", exc.message) from None
    if scope is None:
        raise TaxiiError(401, "Unauthorized", refusal.message,
                         {"WWW-Authenticate": 'Bearer realm="graph_api", Basic realm="graph_api"'})
    ceiling = ceiling_of(request)
    return Caller(scope.capped(ceiling), ceiling, scope)


def ceiling_of(request: Request) -> Marking | None:
    # ``match[max_marking]`` too: what taxii2-client sends for a filter keyword it does not know
    raw = request.query_params.get("max_marking", request.query_params.get("match[max_marking]"))
    if raw is None:
        return None
    try:
        return Marking(raw.upper().replace("+", "_").replace("TLP:", ""))
    except ValueError:
        names = ", ".join(m.value for m in Marking)
        raise TaxiiError(400, "Bad Request", f"max_marking: one of {names}") from None


def parse_time(text: str, name: str) -> datetime:
    """A TAXII/STIX timestamp (``2026-11-01T09:00:00.000001Z``)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TaxiiError(400, "Bad Request", f"{name}: not a timestamp: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def encode_next(collection: str, ceiling: Marking | None, at: Position) -> str:
    key = [collection, ceiling.value if ceiling else "", at[0], at[1]]
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode_next(text: str, collection: str, ceiling: Marking | None) -> Position:
    """A ``next`` this server gave for the same collection and ceiling."""
    try:
        key = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        valid = (isinstance(key, list) and len(key) == 4 and key[0] == collection
                 and key[1] == (ceiling.value if ceiling else "")
                 and isinstance(key[2], int) and isinstance(key[3], str))
    except (ValueError, orjson.JSONDecodeError):
        valid = False
    if not valid:
        raise TaxiiError(400, "Bad Request",
                         "next: not a value this collection gave with this max_marking")
    return int(key[2]), str(key[3])
