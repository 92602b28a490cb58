"""The leak matrix's world: what every org shares, and what only some may read.

Shared (in both twin stores): the platform's GREEN marketplace, Acme's AMBER
supply chain, Rival's GREEN sightings, the police's AMBER raid shared with
Acme, Acme's notice and test buy, a police case shared with Acme.

Secrets (each in store A only, unless the caller is among its readers) touch
what the caller CAN see: extra assertions on visible entities and relations
(names, properties, status, confidence), hidden relations between visible
ends (which would change traces, rankings, rings, hotspots and counts), new
hidden entities with ids close to visible ones, a reused report id, notices,
test buys and cases.
"""

from __future__ import annotations

from typing import Any

from graph_api.model import IdentifierKind, normalise_identifier, pseudonym
from graph_api.services import Services
from graph_api.workflow import cases as wf_cases
from graph_api.workflow import notices as wf_notices
from graph_api.workflow import testbuys as wf_testbuys
from tests.security.support import ORDERED_AT, Scopes, Secret, report
from tests.workflow.support import marketplace

PHONE = "+86 138 0000 1111"
SECRET_PHONE = "+86 139 9999 0000"
SHA = "a" * 64


def phone_id(services: Services, value: str) -> str:
    kind = IdentifierKind.PHONE
    return pseudonym(services.secret, kind, normalise_identifier(kind, value))


def phone(handle: str, value: str) -> dict[str, Any]:
    return {"id": handle, "kind": "IDENTIFIER", "identifierKind": "PHONE", "value": value}


def shared(services: Services, s: Scopes) -> None:
    marketplace(services, s)  # GREEN: seller-1/2, store-1..3, listing-1..5, 9, brand-acme
    report(services, s["acme"], "acme-chain", "AMBER", [
        {"id": "listing-1", "kind": "LISTING"}, {"id": "listing-2", "kind": "LISTING"},
        {"id": "store-1", "kind": "STOREFRONT"}, {"id": "seller-1", "kind": "SELLER"},
        {"id": "wh-1", "kind": "WAREHOUSE", "name": "Putian 3", "region": "Pearl River Delta",
         "properties": {"dock": 4}},
        {"id": "wh-2", "kind": "WAREHOUSE", "name": "Jinjiang", "region": "Fujian"},
        {"id": "fac-1", "kind": "FACTORY", "name": "Sole Works", "region": "Yangtze River Delta"},
        {"id": "ring-1", "kind": "RING", "name": "Putian ring"},
        phone("p", PHONE),
    ], [
        {"kind": "SHIPS_FROM", "from": "listing-1", "to": "wh-1", "confidence": 0.9},
        {"kind": "SHIPS_FROM", "from": "store-1", "to": "wh-1", "confidence": 0.7},
        {"kind": "SHIPS_FROM", "from": "listing-2", "to": "wh-2", "confidence": 0.6},
        {"kind": "SUPPLIED_BY", "from": "wh-1", "to": "fac-1", "confidence": 0.8},
        {"kind": "USES", "from": "seller-1", "to": "p"},
        {"kind": "MEMBER_OF", "from": "seller-1", "to": "ring-1"},
    ])
    report(services, s["rival"], "rival-green", "GREEN", [
        {"id": "listing-3", "kind": "LISTING"}, {"id": "wh-2", "kind": "WAREHOUSE"},
        {"id": "seller-2", "kind": "SELLER"}, {"id": "seller-1", "kind": "SELLER"},
        {"id": "store-3", "kind": "STOREFRONT"}, {"id": "ring-1", "kind": "RING"},
        phone("p", PHONE),
    ], [
        {"kind": "SHIPS_FROM", "from": "listing-3", "to": "wh-2", "confidence": 0.5},
        {"kind": "SHIPS_FROM", "from": "store-3", "to": "wh-2", "confidence": 0.5},
        {"kind": "USES", "from": "seller-2", "to": "p"},
        {"kind": "ASSOCIATED_WITH", "from": "seller-2", "to": "seller-1"},
        {"kind": "MEMBER_OF", "from": "seller-2", "to": "ring-1"},
    ])
    report(services, s["police"], "police-raid", "AMBER", [
        {"id": "fac-1", "kind": "FACTORY", "status": "RAIDED"},
    ], [], shared_with=["acme"], source="LAW_ENFORCEMENT")
    wf_notices.file_notice(services, s["acme"], ["listing-4"], "fake sneakers")
    wf_testbuys.record_test_buy(services, s["acme"], "listing-1", "COUNTERFEIT",
                                _at(), "wh-1", [{"kind": "parcel", "sha256": SHA}])
    wf_cases.open_case(services, s["police:liaison"], "Putian ring", ["seller-1", "wh-1"],
                       "AMBER_STRICT", ["acme"])


def _at() -> Any:
    from datetime import datetime

    return datetime.fromisoformat(ORDERED_AT)


def rival_red(services: Services, s: Scopes) -> None:
    """Rival's RED intelligence about what Acme can see, and beyond it."""
    report(services, s["rival"], "acme-chain", "RED", [  # Acme's report id, reused
        {"id": "wh-1", "kind": "WAREHOUSE", "name": "SECRET NAME", "region": "Secret Region",
         "status": "CLOSED", "properties": {"dock": 99, "secret": True}},
        {"id": "seller-1", "kind": "SELLER", "status": "BANNED"},
        {"id": "wh-secret", "kind": "WAREHOUSE", "name": "Hidden depot", "region": "Secret Region"},
        {"id": "fac-secret", "kind": "FACTORY", "region": "Secret Region"},
        {"id": "listing-1", "kind": "LISTING"}, {"id": "listing-2", "kind": "LISTING"},
        {"id": "listing-3", "kind": "LISTING"}, {"id": "wh-2", "kind": "WAREHOUSE"},
        {"id": "fac-1", "kind": "FACTORY"}, {"id": "seller-2", "kind": "SELLER"},
        {"id": "brand-acme", "kind": "BRAND"}, {"id": "store-2", "kind": "STOREFRONT"},
        phone("p", PHONE), phone("q", SECRET_PHONE),
    ], [
        {"kind": "SHIPS_FROM", "from": "listing-1", "to": "wh-1", "confidence": 0.99},
        {"kind": "SHIPS_FROM", "from": "listing-1", "to": "wh-secret"},
        {"kind": "SUPPLIED_BY", "from": "wh-secret", "to": "fac-secret"},
        {"kind": "SHIPS_FROM", "from": "listing-2", "to": "wh-1", "confidence": 0.95},
        {"kind": "SUPPLIED_BY", "from": "wh-2", "to": "fac-1", "confidence": 0.9},
        {"kind": "INFRINGES", "from": "listing-3", "to": "brand-acme"},
        {"kind": "USES", "from": "seller-2", "to": "q"},
        {"kind": "USES", "from": "seller-1", "to": "q"},
        {"kind": "ASSOCIATED_WITH", "from": "seller-1", "to": "seller-2"},
        {"kind": "OPERATES", "from": "seller-2", "to": "store-2"},
        {"kind": "OPERATES", "from": "seller-1", "to": "wh-secret"},
    ], confidence=0.9)


def rival_red_notice(services: Services, s: Scopes) -> None:
    """A RED notice: the platform (its addressee) reads every notice."""
    wf_notices.file_notice(services, s["rival"], ["listing-1", "listing-3"], "rival's grounds",
                           marking="RED")


def trusty_red_notice(services: Services, s: Scopes) -> None:
    """A trusted notifier's RED notice: listing-2 is delisted at once."""
    wf_notices.file_notice(services, s["trusty"], ["listing-2"], "trusty's grounds",
                           marking="RED")


def rival_red_test_buy(services: Services, s: Scopes) -> None:
    """A RED test buy that learnt where listing-2 ships from (a warehouse only Rival knows)."""
    report(services, s["rival"], "rival-depot", "RED",
           [{"id": "wh-depot", "kind": "WAREHOUSE", "region": "Secret Region"}], [])
    wf_testbuys.record_test_buy(services, s["rival"], "listing-2", "COUNTERFEIT", _at(),
                                "wh-depot", [{"kind": "parcel", "sha256": "b" * 64}], "RED")


def rival_amber_strict(services: Services, s: Scopes) -> None:
    """Rival's AMBER_STRICT: the platform may read it, regulators and Acme may not."""
    report(services, s["rival"], "rival-strict", "AMBER_STRICT", [
        {"id": "seller-3", "kind": "SELLER", "name": "New name"},
        {"id": "store-9", "kind": "STOREFRONT", "region": "Strict Region"},
        {"id": "listing-5", "kind": "LISTING"}, {"id": "wh-2", "kind": "WAREHOUSE"},
        {"id": "wh-strict", "kind": "WAREHOUSE", "region": "Strict Region"},
        {"id": "listing-4", "kind": "LISTING", "status": "DELISTED"},
        phone("p", PHONE),
    ], [
        {"kind": "USES", "from": "seller-3", "to": "p"},
        {"kind": "OPERATES", "from": "seller-3", "to": "store-9"},
        {"kind": "SHIPS_FROM", "from": "listing-5", "to": "wh-2", "confidence": 0.95},
        {"kind": "SHIPS_FROM", "from": "listing-4", "to": "wh-strict"},
    ])


def rival_amber(services: Services, s: Scopes) -> None:
    """Rival's AMBER: platform and regulators may read it, Acme may not."""
    report(services, s["rival"], "rival-amber", "AMBER", [
        {"id": "fac-1", "kind": "FACTORY", "properties": {"owner": "Mr X"}},
        {"id": "wh-1", "kind": "WAREHOUSE"},
        {"id": "wh-amber", "kind": "WAREHOUSE", "region": "Amber Region"},
        {"id": "listing-9", "kind": "LISTING"}, {"id": "brand-acme", "kind": "BRAND"},
    ], [
        {"kind": "SUPPLIED_BY", "from": "wh-1", "to": "wh-amber", "confidence": 0.7},
        {"kind": "SHIPS_FROM", "from": "listing-9", "to": "wh-amber"},
        {"kind": "INFRINGES", "from": "listing-9", "to": "brand-acme"},
    ])


def police_case(services: Services, s: Scopes) -> None:
    """A police case shared with nobody (AMBER_STRICT: police and the platform)."""
    wf_cases.open_case(services, s["police:liaison"], "Secret operation", ["seller-2", "wh-2"])


def rival_shared_red(services: Services, s: Scopes) -> None:
    """RED, but shared with Acme: Acme reads it, the platform and police do not."""
    report(services, s["rival"], "rival-to-acme", "RED", [
        {"id": "wh-2", "kind": "WAREHOUSE", "properties": {"tip": "for acme"}},
        {"id": "fac-2", "kind": "FACTORY", "region": "Fujian"},
    ], [{"kind": "SUPPLIED_BY", "from": "wh-2", "to": "fac-2"}], shared_with=["acme"])


SECRETS = [
    Secret("rival-red", frozenset({"rival"}), rival_red),
    Secret("rival-red-notice", frozenset({"rival", "bazaar"}), rival_red_notice),
    Secret("trusty-red-notice", frozenset({"trusty", "bazaar"}), trusty_red_notice),
    Secret("rival-red-test-buy", frozenset({"rival"}), rival_red_test_buy),
    Secret("rival-strict", frozenset({"rival", "bazaar"}), rival_amber_strict),
    Secret("rival-amber", frozenset({"rival", "bazaar", "police"}), rival_amber),
    Secret("police-case", frozenset({"police", "bazaar"}), police_case),
    Secret("rival-to-acme", frozenset({"rival", "acme"}), rival_shared_red),
]

VISIBLE_IDS = ["seller-1", "seller-2", "store-1", "store-2", "store-3", "listing-1",
               "listing-2", "listing-3", "listing-4", "listing-5", "listing-9", "wh-1", "wh-2",
               "fac-1", "ring-1", "brand-acme"]
HIDDEN_IDS = ["wh-secret", "fac-secret", "seller-3", "store-9", "wh-strict", "wh-amber", "fac-2",
              "wh-depot"]
MISSING_IDS = ["no-such-thing", "wh-secreu"]
ALL_IDS = VISIBLE_IDS + HIDDEN_IDS + MISSING_IDS
