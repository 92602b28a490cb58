"""The hand-written demo network in fixtures/demo: valid, and telling the stories it claims."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.fixture_rules import check_lines, merged, read_ndjson, store_key, visible_to

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
ORGS = json.loads((DEMO / "orgs.json").read_text(encoding="utf-8"))
REPORTS = list(read_ndjson(DEMO / "reports.ndjson"))
TYPES = {o["id"]: o["type"] for o in ORGS}


def _visible_entities(org: str) -> set[str]:
    seen: set[str] = set()
    for report in REPORTS:
        if visible_to(report, org, TYPES[org]):
            seen.update(store_key(report).values())
    return seen


def _by(org: str, **fields: Any) -> list[dict[str, Any]]:
    return [
        r for r in REPORTS
        if r["reportedBy"] == org and all(r.get(k) == v for k, v in fields.items())
    ]


def test_orgs_are_the_five_demo_orgs() -> None:
    assert ORGS == [
        {"id": "stridewell", "name": "Stridewell", "type": "BRAND", "trusted": True},
        {"id": "maison-verel", "name": "Maison Verel", "type": "BRAND", "trusted": False},
        {"id": "voltra", "name": "Voltra", "type": "BRAND", "trusted": False},
        {"id": "bazaarhub", "name": "BazaarHub", "type": "PLATFORM", "trusted": False},
        {"id": "ipcu", "name": "IP Crime Unit", "type": "REGULATOR", "trusted": False},
    ]


def test_every_line_obeys_the_store_rules() -> None:
    assert 40 <= len(REPORTS) <= 80
    assert check_lines(REPORTS, set(TYPES)) == []
    assert all(r.get("reportedBy") in TYPES for r in REPORTS)


def test_brands_and_the_three_rings() -> None:
    entities, relations = merged(REPORTS)
    for brand in ("brand-stridewell", "brand-maison-verel", "brand-voltra"):
        assert entities[brand] == "BRAND"
        assert any(k == "INFRINGES" and b == brand for (_, k, b) in relations)
    members = Counter(b for (_, k, b) in relations if k == "MEMBER_OF")
    assert members["ring-putian-runners"] >= 4 and members["ring-huaqiangbei-chargers"] >= 2
    regions = {
        e.get("region") for r in REPORTS for e in r["entities"]
        if e["kind"] in ("WAREHOUSE", "FACTORY", "STOREFRONT")
    }
    assert {"Fujian", "Guangdong", "Pearl River Delta", "Yangtze River Delta"} <= regions
    assert any(k == "SUPPLIED_BY" and entities[b] == "FACTORY" for (_, k, b) in relations)
    props = [e.get("properties", {}) for r in REPORTS for e in r["entities"]]
    assert any("price" in p and "url" in p for p in props)
    assert any("platform_handle" in p for p in props)


def test_markings_sources_and_sharing_are_all_present() -> None:
    assert {r["marking"] for r in REPORTS} == {"CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"}
    assert _by("stridewell", marking="RED")
    assert _by("bazaarhub", source="PLATFORM_DATA")
    assert _by("ipcu", source="LAW_ENFORCEMENT")
    assert any(r.get("sharedWith") for r in REPORTS)


def test_red_and_amber_strict_stay_where_they_belong() -> None:
    stridewell, verel, voltra, platform, police = (
        _visible_entities(o) for o in ("stridewell", "maison-verel", "voltra", "bazaarhub", "ipcu")
    )
    # Stridewell's RED factory: Stridewell only.
    assert "factory-putian-huangshi" in stridewell
    assert "factory-putian-huangshi" not in platform | police | verel | voltra
    # Maison Verel's AMBER_STRICT atelier: Maison Verel and the platform, no other brand.
    assert "factory-huadu-atelier" in verel and "factory-huadu-atelier" in platform
    assert "factory-huadu-atelier" not in stridewell | voltra | police


def test_a_relation_asserted_by_two_orgs() -> None:
    _, relations = merged(REPORTS)
    assert any(len({org for org, _, _ in facts}) >= 2 for facts in relations.values())


def test_banned_seller_and_its_come_back_share_an_identifier() -> None:
    banned = {
        e["id"] for r in REPORTS for e in r["entities"]
        if e["kind"] == "SELLER" and e.get("status") == "BANNED"
    }
    assert banned == {"seller-golden-step"}
    _, relations = merged(REPORTS)
    users: dict[str, set[str]] = {}
    for src, kind, dst in relations:
        if kind == "USES":
            users.setdefault(dst, set()).add(src)
    shared = [u for u in users.values() if "seller-golden-step" in u and "seller-swift-sole" in u]
    assert shared, "the come-back seller should re-use a banned seller's identifier"
