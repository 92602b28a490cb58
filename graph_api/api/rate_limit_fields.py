"""``rateLimit`` on Query: the caller's cost budget, as GitHub's GraphQL API shows it.

The executor charges an operation's cost (``api.cost``) to its caller's budget
before it runs and leaves the charge on the ``Operation``; this field only reads it
back. Everything in it follows from the documents and variables the caller itself
sent in the current window, and the time: nothing another caller does, nothing the
store holds (docs/limits.md).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph_api.api.typed import typed_field
from graph_api.api.value_types import Info

__all__ = ["RateLimit", "RateLimitQuery"]


@strawberry.type(description="The caller's cost budget (docs/limits.md), after this operation.")
class RateLimit:
    cost: int = strawberry.field(description="What this operation cost, in requests.")
    limit: int = strawberry.field(description="The budget of a token per window of an hour.")
    remaining: int = strawberry.field(description="What is left of it after this operation.")
    reset_at: datetime = strawberry.field(description="When the window ends and the budget "
                                                      "is whole again.")


@strawberry.type
class RateLimitQuery:
    @typed_field(description=(
        "The caller's cost budget after this operation; asking it costs nothing. Null "
        "when no budget is kept (GRAPH_API_COST_PER_HOUR=0)."
    ))
    def rate_limit(self, info: Info) -> RateLimit | None:
        info.context.scope  # noqa: B018 - a caller with a valid token, like every field
        spend = info.context.rate_limit
        if spend is None:
            return None
        return RateLimit(cost=spend.cost, limit=spend.limit, remaining=spend.remaining,
                         reset_at=spend.reset_at)
