"""One reading of a bearer token, shared by authentication and the rate limiter.

A token that authenticates must also be the key of its rate bucket: if the two
read a header differently, every spelling that one accepts and the other keys
apart is a fresh bucket (``Bearer TOKEN`` followed by U+00A0 was one: ``str.strip``
dropped it for authentication, ``bytes.strip`` kept it for the limiter). So there
is one reading, strict: the scheme ``Bearer`` (any case, RFC 9110), then the token
in RFC 6750's ``b64token`` alphabet, with only ASCII spaces and tabs around it.
TAXII clients carry the same token two other ways, read here too so that they
get the same principal and the same bucket: ``Token TOKEN`` (what the OASIS
``taxii2-client`` sends) and HTTP Basic with the token as the password (any user
name: OpenCTI's and MISP's TAXII settings ask for a user and a password).
Anything else is no token at all: the caller is unauthenticated and shares its
address's bucket.
"""

from __future__ import annotations

import base64
import binascii
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
    >>> basic = "Basic " + base64.b64encode(b"opencti:gapi_abc-1").decode()
    >>> bearer_token("Token gapi_abc-1"), bearer_token(basic)
    ('gapi_abc-1', 'gapi_abc-1')
    """
    if not header:
        return None
    scheme = header[:7].lower()
    if scheme == "bearer ":
        return _token(header[7:])
    if scheme[:6] == "token ":
        return _token(header[6:])
    if scheme[:6] == "basic ":
        return _basic_password(header[6:])
    return None


def _basic_password(text: str) -> str | None:
    """The password of HTTP Basic credentials (RFC 7617), when it is a well-formed token."""
    try:
        decoded = base64.b64decode(text.strip(_OWS), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return _token(password) if colon and password == password.strip(_OWS) else None


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
