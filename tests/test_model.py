from __future__ import annotations

import pytest

from graph_api.model import (
    ALLOWED_ENDPOINTS,
    EntityKind,
    IdentifierKind,
    RelationKind,
    noisy_or,
    normalise_identifier,
    pseudonym,
    relation_id,
)


@pytest.mark.parametrize(
    ("kind", "raw", "folded"),
    [
        (IdentifierKind.PHONE, "+86 138-0013-8000", "+8613800138000"),
        (IdentifierKind.PHONE, "0086 138 0013 8000", "+8613800138000"),
        (IdentifierKind.EMAIL, "Shoe.King@Example.COM", "shoe.king@example.com"),
        (IdentifierKind.BANK_ACCOUNT, "6222 0212-3456 7890", "6222021234567890"),
        (IdentifierKind.PAYMENT_ACCOUNT, "gb29 nwbk 6016 1331 9268 19", "GB29NWBK60161331926819"),
        (IdentifierKind.ADDRESS, "  12 Xinhua   ROAD,\nPutian ", "12 xinhua road, putian"),
        (IdentifierKind.ID_DOCUMENT, "e 123-456", "E123456"),
    ],
)
def test_identifier_values_fold_to_one_form(kind: IdentifierKind, raw: str, folded: str) -> None:
    assert normalise_identifier(kind, raw) == folded


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (IdentifierKind.PHONE, "138 0013 8000"),  # no country code
        (IdentifierKind.PHONE, "+86"),
        (IdentifierKind.EMAIL, "not-an-address"),
        (IdentifierKind.BANK_ACCOUNT, "12/34"),
        (IdentifierKind.ADDRESS, "   "),
    ],
)
def test_unusable_identifier_values_are_refused(kind: IdentifierKind, raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_identifier(kind, raw)


def test_pseudonym_joins_equal_values_and_hides_them() -> None:
    a = pseudonym(b"secret", IdentifierKind.PHONE, "+8613800138000")
    assert a == pseudonym(b"secret", IdentifierKind.PHONE, "+8613800138000")
    assert a != pseudonym(b"other", IdentifierKind.PHONE, "+8613800138000")
    assert a != pseudonym(b"secret", IdentifierKind.EMAIL, "+8613800138000")
    assert "8613800138000" not in a


def test_every_relation_kind_has_endpoint_rules() -> None:
    assert set(ALLOWED_ENDPOINTS) == set(RelationKind)
    sources, targets = ALLOWED_ENDPOINTS[RelationKind.LISTS]
    assert EntityKind.FACTORY not in sources and targets == {EntityKind.LISTING}


def test_noisy_or_and_relation_ids() -> None:
    assert noisy_or([]) == 0.0
    assert noisy_or([0.9, 0.5]) == pytest.approx(0.95)
    assert relation_id("a", RelationKind.USES, "b") == relation_id("a", "USES", "b")
    assert relation_id("a", "USES", "b") != relation_id("b", "USES", "a")
