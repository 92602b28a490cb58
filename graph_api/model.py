"""The domain model: kinds, markings, assertions and reports.

No framework is imported here: GraphQL, SQLite and Neo4j adapt to these types.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

__all__ = [
    "ALLOWED_ENDPOINTS",
    "Assertion",
    "EntityKind",
    "Evidence",
    "IdentifierKind",
    "Marking",
    "Org",
    "OrgType",
    "Principal",
    "RelationKind",
    "Report",
    "ReportedEntity",
    "ReportedRelation",
    "SourceKind",
    "noisy_or",
    "normalise_identifier",
    "pseudonym",
    "relation_id",
]


class EntityKind(str, Enum):
    SELLER = "SELLER"
    STOREFRONT = "STOREFRONT"
    LISTING = "LISTING"
    WAREHOUSE = "WAREHOUSE"
    FACTORY = "FACTORY"
    RING = "RING"
    IDENTIFIER = "IDENTIFIER"
    BRAND = "BRAND"


class RelationKind(str, Enum):
    OPERATES = "OPERATES"
    LISTS = "LISTS"
    INFRINGES = "INFRINGES"
    SHIPS_FROM = "SHIPS_FROM"
    SUPPLIED_BY = "SUPPLIED_BY"
    MEMBER_OF = "MEMBER_OF"
    USES = "USES"
    ASSOCIATED_WITH = "ASSOCIATED_WITH"


class IdentifierKind(str, Enum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    PAYMENT_ACCOUNT = "PAYMENT_ACCOUNT"
    ADDRESS = "ADDRESS"
    DEVICE = "DEVICE"
    IP = "IP"
    ID_DOCUMENT = "ID_DOCUMENT"
    IMAGE_HASH = "IMAGE_HASH"


class Marking(str, Enum):
    """TLP 2.0 levels, from the widest audience to the narrowest."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER_STRICT"
    RED = "RED"

    @property
    def rank(self) -> int:
        return _MARKING_ORDER.index(self)


_MARKING_ORDER = list(Marking)


class SourceKind(str, Enum):
    TEST_BUY = "TEST_BUY"
    NOTICE = "NOTICE"
    PLATFORM_DATA = "PLATFORM_DATA"
    TRANSACTION_ANALYSIS = "TRANSACTION_ANALYSIS"
    LAW_ENFORCEMENT = "LAW_ENFORCEMENT"
    OSINT = "OSINT"
    INVESTIGATION = "INVESTIGATION"


class OrgType(str, Enum):
    BRAND = "BRAND"
    PLATFORM = "PLATFORM"
    REGULATOR = "REGULATOR"


K = EntityKind
# Which entity kinds each relation may join, as (from kinds, to kinds).
ALLOWED_ENDPOINTS: dict[RelationKind, tuple[frozenset[EntityKind], frozenset[EntityKind]]] = {
    RelationKind.OPERATES: (
        frozenset({K.SELLER}),
        frozenset({K.STOREFRONT, K.WAREHOUSE, K.FACTORY}),
    ),
    RelationKind.LISTS: (frozenset({K.STOREFRONT}), frozenset({K.LISTING})),
    RelationKind.INFRINGES: (frozenset({K.LISTING}), frozenset({K.BRAND})),
    RelationKind.SHIPS_FROM: (frozenset({K.LISTING, K.STOREFRONT}), frozenset({K.WAREHOUSE})),
    RelationKind.SUPPLIED_BY: (frozenset({K.WAREHOUSE}), frozenset({K.WAREHOUSE, K.FACTORY})),
    RelationKind.MEMBER_OF: (frozenset({K.SELLER, K.FACTORY, K.WAREHOUSE}), frozenset({K.RING})),
    RelationKind.USES: (
        frozenset({K.SELLER, K.STOREFRONT, K.WAREHOUSE, K.FACTORY}),
        frozenset({K.IDENTIFIER}),
    ),
    RelationKind.ASSOCIATED_WITH: (frozenset({K.SELLER}), frozenset({K.SELLER})),
}
del K


@dataclass(frozen=True, slots=True)
class Org:
    id: str
    name: str
    type: OrgType
    trusted: bool = False


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    org: Org
    role: str


@dataclass(frozen=True, slots=True)
class Evidence:
    id: str
    kind: str
    description: str | None = None
    sha256: str | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class Assertion:
    """One report's statement of an entity or relation, with its provenance."""

    report_id: str
    reported_by: str  # org id
    reported_at: datetime
    source: SourceKind
    confidence: float
    marking: Marking
    shared_with: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportedEntity:
    """An entity as it arrives in a report, its id already final."""

    id: str
    kind: EntityKind
    name: str | None = None
    region: str | None = None
    status: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    identifier_kind: IdentifierKind | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ReportedRelation:
    kind: RelationKind
    source: str
    target: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Report:
    """One organisation's bundle of intelligence under one provenance envelope."""

    id: str
    org_id: str
    principal_id: str
    received_at: datetime
    source: SourceKind
    confidence: float
    marking: Marking
    shared_with: tuple[str, ...]
    entities: tuple[ReportedEntity, ...]
    relations: tuple[ReportedRelation, ...]
    evidence: tuple[Evidence, ...]
    digest: str  # SHA-256 of the canonical input: same id + same digest = replay

    def assertion(self) -> Assertion:
        return Assertion(
            report_id=self.id,
            reported_by=self.org_id,
            reported_at=self.received_at,
            source=self.source,
            confidence=self.confidence,
            marking=self.marking,
            shared_with=self.shared_with,
            evidence=self.evidence,
        )


def noisy_or(confidences: list[float] | tuple[float, ...]) -> float:
    """Combine independent confidences: 1 - prod(1 - c).

    >>> round(noisy_or([0.5, 0.5]), 3)
    0.75
    """
    miss = 1.0
    for c in confidences:
        miss *= 1.0 - c
    return 1.0 - miss


def relation_id(source: str, kind: RelationKind | str, target: str) -> str:
    """A stable relation id derived from its ends and kind (nothing else)."""
    k = kind.value if isinstance(kind, RelationKind) else kind
    digest = hashlib.sha256(f"{source}\x1f{k}\x1f{target}".encode()).hexdigest()
    return f"rel-{digest[:24]}"


_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D")


def normalise_identifier(kind: IdentifierKind, value: str) -> str:
    """Fold an identifier value so equal real-world values compare equal.

    Raises ValueError when nothing usable is left.

    >>> normalise_identifier(IdentifierKind.PHONE, "+86 (138) 0013-8000")
    '+8613800138000'
    >>> normalise_identifier(IdentifierKind.EMAIL, " Shoe.King@Example.COM ")
    'shoe.king@example.com'
    >>> normalise_identifier(IdentifierKind.ADDRESS, "12  Xinhua Rd,\\nPutian")
    '12 xinhua rd, putian'
    """
    text = unicodedata.normalize("NFKC", value).strip()
    if kind is IdentifierKind.PHONE:
        digits = _NON_DIGITS.sub("", text)
        if text.startswith("00"):
            digits = digits[2:]
        elif not text.startswith("+"):
            raise ValueError("a phone number needs its country code (+CC...)")
        folded = "+" + digits if digits else ""
        if len(digits) < 6:
            raise ValueError("a phone number needs at least 6 digits")
        return folded
    if kind in (IdentifierKind.BANK_ACCOUNT, IdentifierKind.PAYMENT_ACCOUNT):
        compact = re.sub(r"[\s\-.]", "", text).upper()
        if not compact.isalnum():
            raise ValueError("an account number has letters and digits only")
        # Numeric accounts fold to digits; IBAN-like keep their letters.
        folded = _NON_DIGITS.sub("", compact) if compact.isdigit() else compact
    elif kind in (IdentifierKind.EMAIL, IdentifierKind.DEVICE, IdentifierKind.IMAGE_HASH):
        folded = text.lower()
        if kind is IdentifierKind.EMAIL and "@" not in folded:
            raise ValueError("an e-mail address needs an @")
    elif kind is IdentifierKind.ID_DOCUMENT:
        folded = re.sub(r"[\s\-]", "", text).upper()
    else:  # ADDRESS, IP
        folded = _SPACES.sub(" ", text.casefold())
    if not folded:
        raise ValueError("the value is empty")
    return folded


def pseudonym(secret: bytes, kind: IdentifierKind, normalised_value: str) -> str:
    """The keyed pseudonym id of an identifier: equal values meet, the id hides the value.

    >>> pseudonym(b"k", IdentifierKind.PHONE, "+8613800138000")[:7]
    'idn-ph-'
    """
    mac = hmac.new(secret, f"{kind.value}\x1f{normalised_value}".encode(), hashlib.sha256)
    return f"idn-{kind.value[:2].lower()}-{mac.hexdigest()[:32]}"
