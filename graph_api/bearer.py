"""One reading of a bearer token, shared by authentication and the rate limiter.

A token that authenticates must also be the key of its rate bucket: if the two
read a header differently, every spelling that one accepts and the other keys
apart is a fresh bucket (``Bearer TOKEN`` followed by U+00A0 was one: ``str.strip``
dropped it for authentication, ``bytes.strip`` kept it for the limiter). So there
is one reading, strict: the scheme ``Bearer`` (any case, RFC 9110), then the token
in RFC 6750's ``b64token`` alphabet, with only ASCII spaces and tabs around it.
Anything else is no token at all: the caller is unauthenticated and shares its
address's bucket.
"""

from __future__ import annotations

import re

__all__ = ["bearer_token", "token_from_params"]

_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_OWS = " \t"


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization`` value; None when it holds none or a malformed one.

    >>> bearer_token("Bearer gapi_abc-1"), bearer_token("bearer \\tgapi_abc-1 ")
    ('gapi_abc-1', 'gapi_abc-1')
    >>> [bearer_token(h) for h in ("Bearer gapi_abc\\u00a0", "Bearer gapi_abc\\x85",
    ...                            "Basic gapi_abc", "Bearer", None)]
    [None, None, None, None, None]
    """
    if not header or header[:7].lower() != "bearer ":
        return None
    return _token(header[7:])


def token_from_params(params: object) -> str | None:
    """The token a WebSocket client sent in ``connection_init``'s payload, as
    ``{"Authorization": "Bearer TOKEN"}`` or ``{"token": "TOKEN"}`` (browsers cannot
    set headers on a WebSocket); None when there is none or it is malformed.

    >>> token_from_params({"Authorization": "Bearer t1"}), token_from_params({"token": "t2"})
    ('t1', 't2')
    >>> token_from_params({"token": "t2\\u00a0"}), token_from_params(None)
    (None, None)
    """
    if not isinstance(params, dict):
        return None
    header = params.get("Authorization", params.get("authorization"))
    if isinstance(header, str):
        return bearer_token(header)
    token = params.get("token")
    return _token(token) if isinstance(token, str) else None


def _token(text: str) -> str | None:
    token = text.strip(_OWS)
    return token if _B64TOKEN.fullmatch(token) else None
