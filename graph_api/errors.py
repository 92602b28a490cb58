"""The exceptions graph_api raises on purpose, each mapped to one GraphQL code.

GraphAPIError                 INTERNAL (never shown with a trace)
 ├── Unauthenticated          UNAUTHENTICATED
 ├── Forbidden                FORBIDDEN
 ├── NotFound                 NOT_FOUND
 ├── BadUserInput             BAD_USER_INPUT (names the offending field)
 ├── Conflict                 CONFLICT
 ├── LimitExceeded            LIMIT_EXCEEDED
 ├── RateLimited              RATE_LIMITED (the caller's rate bucket is empty; retry later)
 └── Unavailable              UNAVAILABLE (a backing store is down; retry)
"""

from __future__ import annotations

__all__ = [
    "BadUserInput",
    "Conflict",
    "Forbidden",
    "GraphAPIError",
    "LimitExceeded",
    "NotFound",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
]


class GraphAPIError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def extensions(self) -> dict[str, str]:
        ext = {"code": self.code}
        if self.field is not None:
            ext["field"] = self.field
        return ext


class Unauthenticated(GraphAPIError):
    code = "UNAUTHENTICATED"


class Forbidden(GraphAPIError):
    code = "FORBIDDEN"


class NotFound(GraphAPIError):
    code = "NOT_FOUND"


class BadUserInput(GraphAPIError):
    code = "BAD_USER_INPUT"


class Conflict(GraphAPIError):
    code = "CONFLICT"


class LimitExceeded(GraphAPIError):
    code = "LIMIT_EXCEEDED"


class RateLimited(GraphAPIError):
    code = "RATE_LIMITED"


class Unavailable(GraphAPIError):
    code = "UNAVAILABLE"
