"""A hand-built case view: one small ring with every entity kind, several orgs and markings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph_api.export.view import (
    CaseView,
    ExportCustody,
    ExportEntity,
    ExportEvidence,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
)
from graph_api.model import (
    Assertion,
    EntityKind,
    Evidence,
    IdentifierKind,
    Marking,
    Org,
    OrgType,
    RelationKind,
    SourceKind,
    relation_id,
)

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
BRAND_A = Org("org-brand-a", "Acme Sports", OrgType.BRAND, trusted=True)
BRAND_B = Org("org-brand-b", "Lux & Co", OrgType.BRAND)
PLATFORM = Org("org-platform", "MegaMarket", OrgType.PLATFORM, trusted=True)
POLICE = Org("org-police", "Fujian EconCrime", OrgType.REGULATOR)
HIDDEN_ID = "idn-ph-00000000000000000000000000hidden"
ABSENT_ID = "seller-never-visible"


def assertion(
    org: Org, marking: Marking, days: int = 0, confidence: float = 0.7, report: str = ""
) -> Assertion:
    return Assertion(
        report_id=report or f"rep-{org.id}-{marking.value}-{days}",
        reported_by=org.id,
        reported_at=T0 + timedelta(days=days),
        source=SourceKind.INVESTIGATION,
        confidence=confidence,
        marking=marking,
        shared_with=(POLICE.id,) if marking in (Marking.RED, Marking.AMBER_STRICT) else (),
        evidence=(
            Evidence(f"ev-{org.id}-{days}", "PHOTO", "parcel label", "ab" * 32, "s3://ev/1.jpg"),
        )
        if days == 1
        else (),
    )


def entity(
    id: str,
    kind: EntityKind,
    name: str | None,
    *assertions: Assertion,
    region: str | None = None,
    status: str | None = None,
    properties: dict[str, object] | None = None,
    identifier_kind: IdentifierKind | None = None,
    value: str | None = None,
) -> ExportEntity:
    confidence = 1.0
    for a in assertions:
        confidence *= 1 - a.confidence
    return ExportEntity(
        id=id,
        kind=kind,
        name=name,
        region=region,
        status=status,
        properties=dict(properties or {}),
        confidence=1 - confidence,
        assertions=assertions,
        identifier_kind=identifier_kind,
        value=value,
    )


def relation(
    source: str, kind: RelationKind, target: str, *assertions: Assertion
) -> ExportRelation:
    return ExportRelation(
        id=relation_id(source, kind, target),
        kind=kind,
        source=source,
        target=target,
        confidence=max(a.confidence for a in assertions),
        assertions=assertions,
    )


def build_view(*, absent_relation: bool = False) -> CaseView:
    K, R = EntityKind, RelationKind
    g = assertion(BRAND_A, Marking.GREEN)
    a = assertion(BRAND_A, Marking.AMBER, days=1, confidence=0.8)
    s = assertion(PLATFORM, Marking.AMBER_STRICT, days=2, confidence=0.9)
    red = assertion(POLICE, Marking.RED, days=3, confidence=0.95)
    clear = assertion(BRAND_B, Marking.CLEAR, days=4, confidence=0.5)
    entities = (
        entity(
            "seller-1",
            K.SELLER,
            "Shoe King Trading",
            g,
            s,
            region="Pearl River Delta",
            status="BANNED",
            properties={"aliases": ["ShoeKing", "SK"], "strikes": 3, "Odd Key!": "x", "b": None},
        ),
        entity(
            "store-1",
            K.STOREFRONT,
            "shoeking-official",
            g,
            region="Pearl River Delta",
            status="CLOSED",
            properties={"url": "https://mm.example/s/1"},
        ),
        entity(
            "store-2",
            K.STOREFRONT,
            'sk-outlet "2"',
            a,
            status="OPEN",
            properties={"opened": "2026-01-02", "rating": 4.5, "tags": [], "extra": {}},
        ),
        entity(
            "listing-1",
            K.LISTING,
            "Air Runner, 90% off",
            g,
            a,
            status="DELISTED",
            properties={"price": 19.99, "currency": "USD"},
        ),
        entity("listing-2", K.LISTING, "Lux bag\r\nreplica <&> \u00e9\u4e2d", clear, status="LIVE"),
        entity(
            "wh-1",
            K.WAREHOUSE,
            "Putian depot",
            s,
            region="Southeast China",
            status="RAIDED",
            properties={"nested": {"a": [1, 2]}},
        ),
        entity(
            "factory-1",
            K.FACTORY,
            "Jinjiang works",
            red,
            region="Southeast China",
            status="OPERATING",
        ),
        entity("ring-1", K.RING, "Putian shoe ring", red, status="UNDER_INVESTIGATION"),
        entity("brand-1", K.BRAND, "Acme", clear),
        entity("brand-2", K.BRAND, "Lux", clear),
        entity(
            "idn-ph-visible",
            K.IDENTIFIER,
            None,
            s,
            identifier_kind=IdentifierKind.PHONE,
            value="+8613800138000",
        ),
        entity(
            HIDDEN_ID, K.IDENTIFIER, None, red, identifier_kind=IdentifierKind.PHONE, value=None
        ),
        entity(
            "idn-em-1",
            K.IDENTIFIER,
            None,
            a,
            identifier_kind=IdentifierKind.EMAIL,
            value="shoe.king@example.com",
        ),
        entity(
            "idn-ba-1",
            K.IDENTIFIER,
            None,
            s,
            identifier_kind=IdentifierKind.BANK_ACCOUNT,
            value="6222020200112233445",
        ),
        entity(
            "idn-ad-1",
            K.IDENTIFIER,
            None,
            a,
            identifier_kind=IdentifierKind.ADDRESS,
            value="12 xinhua rd, putian",
        ),
        entity(
            "idn-de-1",
            K.IDENTIFIER,
            None,
            s,
            identifier_kind=IdentifierKind.DEVICE,
            value="device-abc",
        ),
    )
    relations = [
        relation("seller-1", R.OPERATES, "store-1", g, s),
        relation("seller-1", R.OPERATES, "store-2", a),
        relation("seller-1", R.OPERATES, "wh-1", s),
        relation("store-1", R.LISTS, "listing-1", g),
        relation("store-2", R.LISTS, "listing-2", clear),
        relation("listing-1", R.INFRINGES, "brand-1", g),
        relation("listing-2", R.INFRINGES, "brand-2", clear),
        relation("listing-1", R.SHIPS_FROM, "wh-1", a),
        relation("wh-1", R.SUPPLIED_BY, "factory-1", red),
        relation("seller-1", R.MEMBER_OF, "ring-1", red),
        relation("factory-1", R.MEMBER_OF, "ring-1", red),
        relation("seller-1", R.USES, "idn-ph-visible", s),
        relation("store-2", R.USES, HIDDEN_ID, red),
        relation("seller-1", R.USES, HIDDEN_ID, red),
        relation("store-1", R.USES, "idn-em-1", a),
        relation("seller-1", R.USES, "idn-ba-1", s),
        relation("wh-1", R.USES, "idn-ad-1", a),
        relation("store-2", R.USES, "idn-de-1", s),
    ]
    if absent_relation:  # a view bug: a relation to an entity the view does not hold
        relations.append(relation("seller-1", R.ASSOCIATED_WITH, ABSENT_ID, red))
    buys = (
        ExportTestBuy(
            id="tb-1",
            listing="listing-1",
            result="COUNTERFEIT",
            ordered_at=T0 + timedelta(days=1, hours=3),
            shipped_from="wh-1",
            evidence=(Evidence("ev-tb-1", "RECEIPT", "order receipt", "cd" * 32, None),),
            marking=Marking.AMBER,
            reported_by=BRAND_A.id,
        ),
        ExportTestBuy(
            id="tb-2",
            listing="listing-2",
            result="GENUINE",
            ordered_at=T0 + timedelta(days=6),
            shipped_from=None,
            evidence=(),
            marking=Marking.GREEN,
            reported_by=BRAND_B.id,
        ),
    )
    outcomes = (
        ExportOutcome(
            "RAID", "wh-1", "Warehouse raided, 4,000 pairs seized", 4000.0, T0 + timedelta(days=10)
        ),
        ExportOutcome("ARREST", "seller-1", "Operator arrested", None, T0 + timedelta(days=11)),
        ExportOutcome("NOTE", None, "Prosecutor informed", None, T0 + timedelta(days=12)),
    )
    return CaseView(
        case_id="case-7",
        title="Operation Putian Shoes",
        status="OPEN",
        opened_by=POLICE,
        opened_at=T0 + timedelta(days=5),
        marking=Marking.AMBER_STRICT,
        exporter=POLICE,
        exporter_principal="prn-liaison-1",
        recipient="Putian PSB, Inspector Lin",
        created_at=T0 + timedelta(days=20),
        entities=entities,
        relations=tuple(relations),
        test_buys=buys,
        outcomes=outcomes,
        orgs={o.id: o for o in (BRAND_A, BRAND_B, PLATFORM, POLICE)},
        evidence=EVIDENCE,
    )


def _custody(action: str, days: float, org: Org, note: str | None = None) -> ExportCustody:
    return ExportCustody(action, T0 + timedelta(days=days), f"holder of {org.name}",
                         f"store room of {org.name}", note, f"prn-{org.id}", org.id)


# A parcel photo on test buy tb-1 (AMBER, handed over to the police) and a seizure
# record on the case itself.
EVIDENCE = (
    ExportEvidence(
        id="evd-parcel", attached_to="tb-1", target_kind="testbuy", name="parcel.jpg",
        media_type="image/jpeg", bytes=2048, sha256="ef" * 32, description="parcel label",
        attached_at=T0 + timedelta(days=1, hours=5), attached_by="prn-brand-a",
        org=BRAND_A.id, marking=Marking.AMBER,
        custody=(_custody("SAMPLE_RECEIVED", 1.5, BRAND_A, "sealed bag 12"),
                 _custody("TRANSFERRED", 7, BRAND_A), _custody("STORED", 7.5, POLICE)),
        chain_verified=True,
    ),
    ExportEvidence(
        id="evd-seizure", attached_to="case-7", target_kind="case", name="seizure.pdf",
        media_type="application/pdf", bytes=4096, sha256="0a" * 32, description=None,
        attached_at=T0 + timedelta(days=10, hours=2), attached_by="prn-liaison-1",
        org=POLICE.id, marking=Marking.AMBER_STRICT, custody=(), chain_verified=True,
    ),
)
