"""Workflow vocabulary: notice states, alert kinds, test-buy results, case outcomes.

No framework is imported here; the GraphQL layer wraps these enums.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache

from graph_api.access import Scope, VisibilityClass
from graph_api.model import Marking, OrgType

__all__ = [
    "AlertKind",
    "AppealStatus",
    "NoticeReason",
    "RightKind",
    "RightStatus",
    "NoticeStatus",
    "OutcomeKind",
    "TestBuyResult",
    "from_key",
    "sees_record",
    "time_key",
]


class NoticeStatus(str, Enum):
    OPEN = "OPEN"
    REFUTED = "REFUTED"
    UPHELD = "UPHELD"
    WITHDRAWN = "WITHDRAWN"
    REVERSED = "REVERSED"


class RightKind(str, Enum):
    TRADEMARK = "TRADEMARK"
    DESIGN = "DESIGN"
    PATENT = "PATENT"
    COPYRIGHT = "COPYRIGHT"


class RightStatus(str, Enum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class NoticeReason(str, Enum):
    COUNTERFEIT = "COUNTERFEIT"
    TRADEMARK_MISUSE = "TRADEMARK_MISUSE"
    DESIGN_COPY = "DESIGN_COPY"
    COPYRIGHT_IMAGE = "COPYRIGHT_IMAGE"
    UNAUTHORISED_SALE = "UNAUTHORISED_SALE"


class AppealStatus(str, Enum):
    OPEN = "OPEN"
    UPHELD = "UPHELD"
    REJECTED = "REJECTED"


class AlertKind(str, Enum):
    RECIDIVISM = "RECIDIVISM"
    NEW_SOURCE = "NEW_SOURCE"
    RING_GROWTH = "RING_GROWTH"


class TestBuyResult(str, Enum):
    __test__ = False  # not a pytest class

    COUNTERFEIT = "COUNTERFEIT"
    GENUINE = "GENUINE"
    INCONCLUSIVE = "INCONCLUSIVE"


class OutcomeKind(str, Enum):
    ARREST = "ARREST"
    SEIZURE = "SEIZURE"
    CLOSURE = "CLOSURE"
    RAID = "RAID"


@lru_cache(maxsize=256)
def time_key(at: datetime) -> str:
    """A fixed-width UTC timestamp: string order is time order.

    >>> time_key(datetime(2026, 11, 1, 9, tzinfo=UTC))
    '2026-11-01T09:00:00.000000Z'
    """
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_key(key: str) -> datetime:
    """The datetime of a ``time_key``.

    >>> from_key("2026-11-01T09:00:00.000000Z").isoformat()
    '2026-11-01T09:00:00+00:00'
    """
    return datetime.strptime(key, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def sees_record(
    scope: Scope, owner: str, marking: str, shared_with: list[str] | tuple[str, ...] = ()
) -> bool:
    """The marking table applied to a workflow record (owner = the org that made it)."""
    vc = VisibilityClass(owner, Marking(marking), frozenset(shared_with))
    return scope.sees(vc)


def is_platform(scope: Scope) -> bool:
    return scope.org_type is OrgType.PLATFORM
