"""Who may read what, and who may do what: every authorisation rule in one place.

A caller's ``Scope`` is built once per request from its token. Stores and
analytics receive it on every call; there is no call without a scope.

Visibility is decided per *visibility class*: the triple (reporting org,
marking, sharedWith) that every assertion carries. Stores intern classes to
small integers, so a scope can answer "may I see class 17?" from a cache and a
query can filter with ``vclass IN (...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

from graph_api.errors import BadUserInput, Forbidden
from graph_api.model import Marking, OrgType

__all__ = [
    "PUBLIC_ORG",
    "ROLES",
    "Action",
    "Reporters",
    "Scope",
    "VisibilityClass",
    "instant",
    "may_see",
    "public_scope",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def instant(at: datetime) -> int:
    """A time as whole microseconds since the epoch, UTC (a time without a zone is UTC):
    what "at or before" compares, exactly (report and record times are kept to the
    microsecond).

    >>> from datetime import timedelta, timezone
    >>> instant(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC))
    1000005
    >>> paris = timezone(timedelta(hours=1))
    >>> instant(datetime(1970, 1, 1, 1, 0, 1, 5, tzinfo=paris)), instant(datetime(1970, 1, 1))
    (1000005, 0)
    """
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - _EPOCH) // _MICROSECOND


@dataclass(frozen=True, slots=True)
class VisibilityClass:
    """What decides who may read an assertion."""

    reporter: str
    marking: Marking
    shared_with: frozenset[str]


def may_see(vc: VisibilityClass, org_id: str, org_type: OrgType) -> bool:
    """The marking table of DESIGN.md.

    >>> vc = VisibilityClass("acme", Marking.AMBER, frozenset())
    >>> may_see(vc, "bazaar", OrgType.PLATFORM), may_see(vc, "rival", OrgType.BRAND)
    (True, False)
    """
    if vc.marking in (Marking.CLEAR, Marking.GREEN):
        return True
    if org_id == vc.reporter or org_id in vc.shared_with:
        return True
    if vc.marking is Marking.AMBER:
        return org_type in (OrgType.PLATFORM, OrgType.REGULATOR)
    if vc.marking is Marking.AMBER_STRICT:
        return org_type is OrgType.PLATFORM
    return False


class Action(str, Enum):
    READ = "read"
    REPORT = "report"
    IMPORT = "import"
    NOTICE = "notice"
    TEST_BUY = "test_buy"
    CASE = "case"
    EXPORT = "export"
    REVIEW = "review"
    ADMIN = "admin"


ROLES: dict[str, frozenset[Action]] = {
    "investigator": frozenset({Action.READ, Action.REPORT, Action.NOTICE, Action.TEST_BUY}),
    "analyst": frozenset({Action.READ, Action.REPORT, Action.IMPORT}),
    "liaison": frozenset({Action.READ, Action.CASE, Action.EXPORT}),
    "reviewer": frozenset({Action.READ, Action.REVIEW}),
    "admin": frozenset({Action.READ, Action.ADMIN}),
}

# Roles bound to an org type (DESIGN.md "Roles").
ROLE_ORG_TYPES: dict[str, frozenset[OrgType]] = {
    "liaison": frozenset({OrgType.REGULATOR}),
    "reviewer": frozenset({OrgType.PLATFORM}),
}


def check_role_for_org(role: str, org_type: OrgType) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(sorted(ROLES))}")
    allowed = ROLE_ORG_TYPES.get(role)
    if allowed is not None and org_type not in allowed:
        kinds = " or ".join(sorted(t.value for t in allowed))
        raise ValueError(f"role {role!r} is for {kinds} orgs only")


@dataclass
class Scope:
    """One caller: principal, org and role, with a cache of visible classes.

    ``as_of`` (an ``@asOf`` operation's time, microseconds since the epoch: `instant`)
    narrows the view to the assertions reported at or before it and the workflow
    records as they stood then (see ``at``); today's visibility rules still decide
    which of those the caller may read.
    """

    principal_id: str
    org_id: str
    org_type: OrgType
    role: str
    # An export's or a feed's ``max_marking``: assertions marked above it are not seen,
    # as if the store did not hold them (see ``capped``).
    ceiling: Marking | None = None
    as_of: int | None = None
    _seen: dict[int, bool] = field(default_factory=dict, repr=False, compare=False)

    @property
    def view_key(self) -> str:
        """Callers with equal view keys see exactly the same assertions (and records)."""
        key = self.org_id if self.ceiling is None else f"{self.org_id}<={self.ceiling.value}"
        return key if self.as_of is None else f"{key}@{self.as_of}"  # slugs: no "<" or "@"

    @property
    def live(self) -> Scope:
        """This caller reading today's store (the scope without ``as_of``)."""
        if self.as_of is None:
            return self
        return Scope(self.principal_id, self.org_id, self.org_type, self.role, self.ceiling)

    @property
    def as_of_time(self) -> datetime | None:
        """``as_of`` as a UTC time (None: today)."""
        return None if self.as_of is None else _EPOCH + self.as_of * _MICROSECOND

    def at(self, when: datetime | int | None) -> Scope:
        """This caller reading the store as it stood at ``when`` (a time, or `instant` of
        one): the assertions reported at or before it, the workflow records as they
        stood then. Never later than a time the scope reads as of already (like
        ``capped``, a view only narrows).

        >>> scope = Scope("p", "acme", OrgType.BRAND, "analyst").at(datetime(1970, 1, 1, 0, 1))
        >>> scope.as_of, scope.view_key, scope.at(None) is scope, scope.live.view_key
        (60000000, 'acme@60000000', True, 'acme')
        >>> scope.at(datetime(1971, 1, 1)).as_of, scope.capped(Marking.GREEN).view_key
        (60000000, 'acme<=GREEN@60000000')
        """
        if when is None:
            return self
        micros = when if isinstance(when, int) else instant(when)
        if self.as_of is not None and self.as_of <= micros:
            return self
        return Scope(self.principal_id, self.org_id, self.org_type, self.role, self.ceiling,
                     micros)

    @property
    def markings(self) -> list[str]:
        """The markings this scope may read at all (every one below no ceiling): the
        ``$markings`` of the Cypher visibility fragment."""
        top = len(Marking) if self.ceiling is None else self.ceiling.rank + 1
        return [m.value for m in list(Marking)[:top]]

    def capped(self, ceiling: Marking | None) -> Scope:
        """This caller reading only the assertions marked ``ceiling`` or lower: a view
        narrower than its own, never wider (exports' and feeds' ``max_marking``).

        >>> scope = Scope("p", "acme", OrgType.BRAND, "analyst").capped(Marking.GREEN)
        >>> scope.sees(VisibilityClass("acme", Marking.RED, frozenset())), scope.view_key
        (False, 'acme<=GREEN')
        >>> scope.capped(Marking.RED).ceiling, scope.capped(None).ceiling
        (<Marking.GREEN: 'GREEN'>, <Marking.GREEN: 'GREEN'>)
        """
        if ceiling is None or (self.ceiling is not None and self.ceiling.rank <= ceiling.rank):
            return self
        return Scope(self.principal_id, self.org_id, self.org_type, self.role, ceiling,
                     self.as_of)

    def can(self, action: Action) -> bool:
        return action in ROLES.get(self.role, frozenset())

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise Forbidden(f"role {self.role!r} may not {action.value.replace('_', ' ')}")

    def sees(self, vc: VisibilityClass) -> bool:
        if self.ceiling is not None and vc.marking.rank > self.ceiling.rank:
            return False
        return may_see(vc, self.org_id, self.org_type)

    def sees_reported(self, vc: VisibilityClass, reported_at: int) -> bool:
        """Whether the caller sees an assertion of class ``vc`` reported at ``reported_at``
        (`instant`): the class, and as of a time, reported at or before it. The rule the
        stores apply (the embedded store's ``AsOfMask``, ``cypher/_visible.cypher``).

        >>> scope = Scope("p", "acme", OrgType.BRAND, "analyst").at(100)
        >>> vc = VisibilityClass("rival", Marking.GREEN, frozenset())
        >>> [scope.sees_reported(vc, t) for t in (99, 100, 101)]
        [True, True, False]
        """
        return self.sees(vc) and (self.as_of is None or reported_at <= self.as_of)

    def sees_class(self, class_id: int, classes: list[VisibilityClass]) -> bool:
        """Cached ``sees`` for an interned class id."""
        hit = self._seen.get(class_id)
        if hit is None:
            hit = self._seen[class_id] = self.sees(classes[class_id])
        return hit

    def visible_class_ids(self, classes: list[VisibilityClass]) -> list[int]:
        return [i for i in range(len(classes)) if self.sees_class(i, classes)]

    def sees_identifier_values(self, reporters: Iterable[str]) -> bool:
        """Clear identifier values: PLATFORM and REGULATOR orgs, and orgs that asserted it."""
        if self.org_type in (OrgType.PLATFORM, OrgType.REGULATOR):
            return True
        return self.org_id in set(reporters)


@dataclass(frozen=True)
class Reporters:
    """Whom a bulk line reports as: the importing scope, or for a local operator the
    org its ``reportedBy`` names (by id or name); a token imports for its own org only."""

    scope: Scope
    operator: bool
    named: Mapping[str, Scope]  # org id and name -> the operator's scope for that org

    def pick(self, reported_by: object) -> Scope:
        if reported_by is None or reported_by == self.scope.org_id:
            return self.scope
        if not self.operator:
            raise BadUserInput(
                "reportedBy: a token imports for its own org only", field="reportedBy"
            )
        found = self.named.get(reported_by) if isinstance(reported_by, str) else None
        if found is None:
            raise BadUserInput(f"reportedBy: no org {reported_by!r}", field="reportedBy")
        return found


PUBLIC_ORG = ""  # no org has this id: a scope of it sees CLEAR and GREEN assertions only


def public_scope() -> Scope:
    """What every alliance member reads: CLEAR and GREEN assertions, nothing else
    (``nameAndShame`` shows sellers as the public knows them).

    >>> scope = public_scope()
    >>> scope.sees(VisibilityClass("acme", Marking.GREEN, frozenset()))
    True
    >>> scope.sees(VisibilityClass("acme", Marking.AMBER, frozenset()))
    False
    """
    return Scope("public", PUBLIC_ORG, OrgType.BRAND, "investigator")
