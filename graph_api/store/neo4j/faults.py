"""The Bolt server's outages as answers: down, restarting, or dropping sessions.

While the graph database is stopped or restarting, the driver raises
``ServiceUnavailable``/``SessionExpired``, a shutting-down server invalidates
credentials (``AuthError``) or refuses requests in the wrong protocol state
(``Neo.ClientError.Request.*``), and a busy one raises ``TransientError``. A
``DatabaseError`` is the database failing to service a request (Neo4j's own
classification): a stopping ArcadeDB fails the statement it was running with
``Neo.DatabaseError.General.UnknownError`` while it still accepts connections, so
it is one too, as SQLite's operational errors are for the embedded store. Each
becomes :class:`~graph_api.errors.Unavailable` (UNAVAILABLE, retry; the server's
message is kept in it); any other error is a bug and stays as it is. A query the
server ended at its time limit (`timed_out`) is neither: the store answers
LIMIT_EXCEEDED.

>>> from neo4j.exceptions import ServiceUnavailable
>>> outage(ServiceUnavailable("connection refused")).code
'UNAVAILABLE'
>>> outage(ValueError("x")) is None
True
>>> from neo4j.exceptions import CypherSyntaxError, DatabaseError
>>> outage(DatabaseError("stopping")).code
'UNAVAILABLE'
>>> outage(CypherSyntaxError("a bug")) is None
True
"""

from __future__ import annotations

from neo4j.exceptions import (
    AuthError,
    ClientError,
    DatabaseError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph_api.errors import Unavailable

__all__ = ["outage", "timed_out"]

# Neo4j: the driver's per-query timeout (TransactionTimedOutClientConfiguration) or the
# server's db.transaction.timeout (TransactionTimedOut); ArcadeDB 26.10 answers its
# arcadedb.command.timeout with TransactionTimedOut too.
_TIMEOUT_CODES = ("Neo.ClientError.Transaction.TransactionTimedOut",)


def outage(exc: BaseException) -> Unavailable | None:
    """UNAVAILABLE for an outage of the graph database, None for anything else."""
    down = isinstance(exc, ServiceUnavailable | SessionExpired | TransientError | AuthError
                      | DatabaseError) or (
        isinstance(exc, ClientError) and (exc.code or "").startswith("Neo.ClientError.Request.")
    )
    return Unavailable(f"the graph database is unavailable: {exc}") if down else None


def timed_out(exc: BaseException) -> bool:
    """Whether the server ended the query at its time limit: Neo4j's transaction
    timeout (the driver's or its own), or ArcadeDB's ``arcadedb.command.timeout``."""
    return isinstance(exc, Neo4jError) and (exc.code or "").startswith(_TIMEOUT_CODES)
