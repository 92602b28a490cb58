"""A small hand-made scenario: two competing brands, the platform, a regulator."""

from __future__ import annotations

from typing import Any

PHONE = "+86 138 0013 8000"


def report(
    report_id: str,
    marking: str,
    entities: list[dict[str, Any]],
    relations: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "reportId": report_id,
        "source": extra.pop("source", "OSINT"),
        "confidence": extra.pop("confidence", 0.8),
        "marking": marking,
        "entities": entities,
        "relations": relations or [],
        **extra,
    }


def acme_ring() -> dict[str, Any]:
    """Acme's AMBER report: a seller, its storefront, a listing and a shared phone."""
    return report(
        "acme-1",
        "AMBER",
        [
            {"id": "seller-1", "kind": "SELLER", "name": "Shoe King", "status": "ACTIVE"},
            {
                "id": "store-1",
                "kind": "STOREFRONT",
                "name": "Kicks4U",
                "region": "Fujian",
                "properties": {"url": "https://bazaar.example/kicks4u"},
            },
            {
                "id": "listing-1",
                "kind": "LISTING",
                "name": "Air Runner 90",
                "properties": {"price": 19.9},
            },
            {"id": "ph", "kind": "IDENTIFIER", "identifierKind": "PHONE", "value": PHONE},
        ],
        [
            {"kind": "OPERATES", "from": "seller-1", "to": "store-1"},
            {"kind": "LISTS", "from": "store-1", "to": "listing-1", "confidence": 0.9},
            {"kind": "USES", "from": "seller-1", "to": "ph", "confidence": 0.6},
        ],
        evidence=[{"kind": "screenshot", "sha256": "ab" * 32, "uri": "s3://acme/1.png"}],
    )


def rival_red() -> dict[str, Any]:
    """Rival's RED report: the same seller and a factory only Rival knows."""
    return report(
        "rival-1",
        "RED",
        [
            {
                "id": "seller-1",
                "kind": "SELLER",
                "name": "Shoe King Ltd",
                "status": "WARNED",
                "properties": {"secret_note": "rival-only"},
            },
            {"id": "factory-9", "kind": "FACTORY", "name": "Hidden Works", "region": "Guangdong"},
        ],
        [{"kind": "OPERATES", "from": "seller-1", "to": "factory-9", "confidence": 0.7}],
        confidence=0.5,
    )


def green_store() -> dict[str, Any]:
    return report(
        "plat-1",
        "GREEN",
        [{"id": "store-2", "kind": "STOREFRONT", "name": "Sole Mates", "region": "Zhejiang"}],
        source="PLATFORM_DATA",
    )
