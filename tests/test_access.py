from __future__ import annotations

import itertools

import pytest

from graph_api.access import ROLES, Action, Scope, VisibilityClass, check_role_for_org, may_see
from graph_api.errors import Forbidden
from graph_api.model import Marking, OrgType

# DESIGN.md's marking table, written out case by case.
EXPECTED = {
    # marking: (reporter, shared-with org, other brand, platform, regulator)
    Marking.CLEAR: (True, True, True, True, True),
    Marking.GREEN: (True, True, True, True, True),
    Marking.AMBER: (True, True, False, True, True),
    Marking.AMBER_STRICT: (True, True, False, True, False),
    Marking.RED: (True, True, False, False, False),
}
CALLERS = [
    ("acme", OrgType.BRAND),
    ("friend", OrgType.BRAND),
    ("rival", OrgType.BRAND),
    ("bazaar", OrgType.PLATFORM),
    ("police", OrgType.REGULATOR),
]


@pytest.mark.parametrize("marking", list(Marking))
def test_marking_table(marking: Marking) -> None:
    vc = VisibilityClass("acme", marking, frozenset({"friend"}))
    got = tuple(may_see(vc, org, kind) for org, kind in CALLERS)
    assert got == EXPECTED[marking]


def test_shared_with_reaches_a_platform_or_regulator_named_in_it() -> None:
    for marking, (org, kind) in itertools.product(Marking, CALLERS[3:]):
        assert may_see(VisibilityClass("acme", marking, frozenset({org})), org, kind)


def test_roles_and_their_org_types() -> None:
    scope = Scope("p", "acme", OrgType.BRAND, "analyst")
    assert scope.can(Action.IMPORT) and not scope.can(Action.NOTICE)
    with pytest.raises(Forbidden):
        scope.require(Action.EXPORT)
    assert all(Action.READ in actions for actions in ROLES.values())
    check_role_for_org("liaison", OrgType.REGULATOR)
    with pytest.raises(ValueError, match="REGULATOR"):
        check_role_for_org("liaison", OrgType.BRAND)
    with pytest.raises(ValueError, match="unknown role"):
        check_role_for_org("root", OrgType.BRAND)


def test_identifier_values_rule() -> None:
    brand = Scope("p", "acme", OrgType.BRAND, "investigator")
    assert brand.sees_identifier_values(["acme", "rival"])
    assert not brand.sees_identifier_values(["rival"])
    assert Scope("p", "x", OrgType.PLATFORM, "reviewer").sees_identifier_values([])
    assert Scope("p", "y", OrgType.REGULATOR, "liaison").sees_identifier_values([])
