"""STIX 2.1 bundle of a case (format STIX21 -> ``bundle.stix.json``).

Mapping:

- SELLER -> ``threat-actor`` (``criminal``), RING -> ``intrusion-set``;
  storefronts, listings, warehouses, factories, identifiers and brands -> custom
  SDOs ``x-graph-api-<kind>`` declared by one ``extension-definition`` (new-sdo);
- graph_api fields that STIX has no property for (kind, status, region, the
  assertions' provenance...) ride in a property-extension declared by a second
  ``extension-definition``;
- relations -> ``relationship`` of type ``related-to`` (the only types the
  validator's strict mode accepts between custom objects) with the graph_api
  kind in the description and the extension, confidence 0-100;
- test buys -> ``observed-data`` over the listing (and warehouse);
  outcomes (raids, arrests...) -> ``note``;
- every reporting org -> an ``identity`` used as ``created_by_ref`` (the first
  reporter of the object);
- markings -> the official TLP 2.0 ``marking-definition`` objects; each object
  carries the narrowest marking of its assertions;
- the case -> a ``grouping`` referencing every other object.

Ids are uuid5 over canonical keys with the version bits set to 4 (the OASIS
validator accepts only v4), so the same case exported twice has the same ids.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson
import stix2
from stix2.properties import (
    DictionaryProperty,
    FloatProperty,
    ListProperty,
    StringProperty,
)

from graph_api.export.common import (
    Writer,
    assertion_record,
    evidence_record,
    stix_uuid,
)
from graph_api.export.view import (
    CaseView,
    ExportEntity,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
    first_reported,
    highest_marking,
    iso,
    last_reported,
    marking_of,
    reporters,
)
from graph_api.model import Assertion, EntityKind, Evidence, Marking, Org

__all__ = [
    "OBJECTS_EXTENSION_ID",
    "PROPERTIES_EXTENSION_ID",
    "STIX_FILE",
    "TLP2_EXTENSION_ID",
    "TLP2_MARKING_IDS",
    "StixWriter",
    "stix_id",
]

STIX_FILE = "bundle.stix.json"

# Published by OASIS (cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKING_IDS: dict[Marking, str] = {
    Marking.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Marking.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Marking.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Marking.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Marking.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP2_NAMES = {
    Marking.CLEAR: ("TLP:CLEAR", "clear"),
    Marking.GREEN: ("TLP:GREEN", "green"),
    Marking.AMBER: ("TLP:AMBER", "amber"),
    Marking.AMBER_STRICT: ("TLP:AMBER+STRICT", "amber+strict"),
    Marking.RED: ("TLP:RED", "red"),
}
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"

OBJECTS_EXTENSION_ID = "extension-definition--" + stix_uuid("stix", "extension", "objects")
PROPERTIES_EXTENSION_ID = "extension-definition--" + stix_uuid("stix", "extension", "properties")
_SYSTEM_IDENTITY_ID = "identity--" + stix_uuid("stix", "identity", "graph_api")
_SCHEMA_EPOCH = "2026-01-01T00:00:00.000Z"  # when this mapping's extensions were defined
_SCHEMA_URL = "https://graph-api.invalid/stix/graph-api-objects-v1"

_CUSTOM_TYPES = {
    EntityKind.STOREFRONT: "x-graph-api-storefront",
    EntityKind.LISTING: "x-graph-api-listing",
    EntityKind.WAREHOUSE: "x-graph-api-warehouse",
    EntityKind.FACTORY: "x-graph-api-factory",
    EntityKind.IDENTIFIER: "x-graph-api-identifier",
    EntityKind.BRAND: "x-graph-api-brand",
}
_STIX_TYPES = {EntityKind.SELLER: "threat-actor", EntityKind.RING: "intrusion-set"}
_STIX_TYPES.update(_CUSTOM_TYPES)

_CUSTOM_PROPERTIES = [
    ("name", StringProperty()),
    ("graph_api_id", StringProperty(required=True)),
    ("kind", StringProperty(required=True)),
    ("region", StringProperty()),
    ("status", StringProperty()),
    ("identifier_kind", StringProperty()),
    ("value", StringProperty()),
    ("confidence_score", FloatProperty()),
    ("properties", DictionaryProperty()),
    ("reported_by", ListProperty(StringProperty)),
    ("assertions", ListProperty(DictionaryProperty)),
]


def _custom_class(type_name: str) -> Any:
    # One extension-definition declares every type, so each object names it itself
    # (the library's extension_name would register one extension per type).
    @stix2.v21.CustomObject(type_name, _CUSTOM_PROPERTIES)
    class _Custom:  # the decorator builds the registered class from this shell
        pass

    return _Custom


# Registered with stix2 so that stix2.parse checks the objects written as dicts.
_CUSTOM_CLASSES: dict[EntityKind, Any] = {k: _custom_class(t) for k, t in _CUSTOM_TYPES.items()}
_PARCEL_TYPE = "x-graph-api-test-buy"


def _parcel_class() -> Any:
    # observed-data may point only at cyber observables: a test buy's parcel is one.
    @stix2.v21.CustomObservable(
        _PARCEL_TYPE,
        [
            ("graph_api_id", StringProperty(required=True)),
            ("result", StringProperty(required=True)),
            ("ordered_at", StringProperty(required=True)),
            ("listing", StringProperty(required=True)),
            ("shipped_from", StringProperty()),
        ],
        ["graph_api_id"],
    )
    class _TestBuyParcel:
        pass

    return _TestBuyParcel


_TestBuyObservable = _parcel_class()


def stix_id(kind: EntityKind, entity_id: str) -> str:
    """The STIX id of a graph_api entity."""
    return f"{_STIX_TYPES[kind]}--{stix_uuid('stix', 'entity', entity_id)}"


def _confidence(value: float) -> int:
    return max(0, min(100, round(value * 100)))


def _external_references(evidence: list[Evidence]) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = []
    for item in evidence:
        ref: dict[str, Any] = {"source_name": "graph_api-evidence", "external_id": item.id}
        ref["description"] = item.kind + (f": {item.description}" if item.description else "")
        if item.uri:
            ref["url"] = item.uri
        if item.sha256:
            ref["hashes"] = {"SHA-256": item.sha256}
        refs.append(ref)
    return refs


def _assertion_evidence(assertions: tuple[Assertion, ...]) -> list[Evidence]:
    seen: dict[str, Evidence] = {}
    for a in assertions:
        for e in a.evidence:
            seen.setdefault(e.id, e)
    return list(seen.values())


def _marking_definition(marking: Marking) -> Any:
    name, level = _TLP2_NAMES[marking]
    return stix2.v21.MarkingDefinition(
        id=TLP2_MARKING_IDS[marking],
        created=_TLP2_CREATED,
        name=name,
        extensions={TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}},
    )


class StixWriter(Writer):
    format = "STIX21"

    def __init__(self, view: CaseView) -> None:
        super().__init__(view)
        self._objects: list[Any] = []  # stix2 objects, or dicts in their exact shape
        self._markings: set[Marking] = {Marking.CLEAR, view.marking}
        self._orgs: dict[str, Org] = {view.opened_by.id: view.opened_by}
        self._ids: dict[str, str] = {e.id: stix_id(e.kind, e.id) for e in view.entities}
        self._kinds: dict[str, EntityKind] = {e.id: e.kind for e in view.entities}

    # -- helpers ---------------------------------------------------------
    def _identity_ref(self, org_id: str) -> str | None:
        org = self.view.orgs.get(org_id)
        if org is None:
            return None
        self._orgs[org.id] = org
        return _identity_id(org.id)

    def _common(self, assertions: tuple[Assertion, ...], default_at: datetime) -> dict[str, Any]:
        marking = marking_of(assertions, self.view.marking)
        self._markings.add(marking)
        created = first_reported(assertions, default_at)
        fields: dict[str, Any] = {
            "created": iso(created),
            "modified": iso(max(created, last_reported(assertions, default_at))),
            "object_marking_refs": [TLP2_MARKING_IDS[marking]],
        }
        who = reporters(assertions)
        creator = self._identity_ref(who[0]) if who else None
        for other in who[1:]:
            self._identity_ref(other)
        if creator:
            fields["created_by_ref"] = creator
        refs = _external_references(_assertion_evidence(assertions))
        if refs:
            fields["external_references"] = refs
        return fields

    def _provenance(self, assertions: tuple[Assertion, ...]) -> dict[str, Any]:
        return {
            "reported_by": reporters(assertions),
            "assertions": [assertion_record(a) for a in assertions],
        }

    # -- items -------------------------------------------------------------
    # Entities and relations are the bulk of a case: they are written as plain dicts in
    # exactly the shape stix2 gives (tests parse every one back with stix2.parse), since
    # building each through the library costs about 0.4 ms: 16 s for 40,000 relations.
    def write_entity(self, entity: ExportEntity) -> None:
        fields = self._common(entity.assertions, self.view.created_at)
        details: dict[str, Any] = {"graph_api_id": entity.id, "kind": entity.kind.value}
        for key in ("region", "status"):
            if getattr(entity, key) is not None:
                details[key] = getattr(entity, key)
        if entity.identifier_kind is not None:
            details["identifier_kind"] = entity.identifier_kind.value
        if entity.value is not None:  # a hidden value is never written, not even as null
            details["value"] = entity.value
        if entity.properties:
            details["properties"] = entity.properties
        details["confidence_score"] = entity.confidence
        details.update(self._provenance(entity.assertions))
        obj: dict[str, Any] = {
            "type": _STIX_TYPES[entity.kind],
            "spec_version": "2.1",
            "id": self._ids[entity.id],
            "name": entity.name or entity.id,
            "confidence": _confidence(entity.confidence),
            **fields,
        }
        if entity.kind in _CUSTOM_TYPES:
            obj.update(_full(details))
            obj["extensions"] = {OBJECTS_EXTENSION_ID: {"extension_type": "new-sdo"}}
        else:
            if entity.kind is EntityKind.SELLER:
                obj["threat_actor_types"] = ["criminal"]
            obj["extensions"] = _property_extension(details)
        self._objects.append(obj)

    def write_relation(self, relation: ExportRelation) -> None:
        source, target = self._kinds[relation.source], self._kinds[relation.target]
        details: dict[str, Any] = {
            "graph_api_id": relation.id,
            "kind": relation.kind.value,
            "confidence_score": relation.confidence,
        }
        details.update(self._provenance(relation.assertions))
        self._objects.append(
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": "relationship--" + stix_uuid("stix", "relation", relation.id),
                "relationship_type": "related-to",
                "description": f"{source.value} {relation.kind.value} {target.value}",
                "source_ref": self._ids[relation.source],
                "target_ref": self._ids[relation.target],
                "confidence": _confidence(relation.confidence),
                "extensions": _property_extension(details),
                **self._common(relation.assertions, self.view.created_at),
            }
        )

    def write_test_buy(self, buy: ExportTestBuy) -> None:
        self._markings.add(buy.marking)
        marking = [TLP2_MARKING_IDS[buy.marking]]
        shipped_from = buy.shipped_from if self.known(buy.shipped_from) else None
        parcel = _TestBuyObservable(
            id=f"{_PARCEL_TYPE}--" + stix_uuid("stix", "test-buy-parcel", buy.id),
            graph_api_id=buy.id,
            result=buy.result,
            ordered_at=iso(buy.ordered_at),
            listing=buy.listing,
            shipped_from=shipped_from,
            object_marking_refs=marking,
            extensions={OBJECTS_EXTENSION_ID: {"extension_type": "new-sco"}},
        )
        details: dict[str, Any] = {
            "graph_api_id": buy.id,
            "kind": "TEST_BUY",
            "result": buy.result,
            "reported_by": [buy.reported_by],
            "evidence": [evidence_record(e) for e in buy.evidence],
        }
        observed_id = "observed-data--" + stix_uuid("stix", "test-buy", buy.id)
        fields: dict[str, Any] = {
            "id": observed_id,
            "created": buy.ordered_at,
            "modified": buy.ordered_at,
            "first_observed": buy.ordered_at,
            "last_observed": buy.ordered_at,
            "number_observed": 1,
            "object_refs": [parcel.id],
            "object_marking_refs": marking,
            "extensions": _property_extension(details),
        }
        creator = self._identity_ref(buy.reported_by)
        if creator:
            fields["created_by_ref"] = creator
        if buy.evidence:
            fields["external_references"] = _external_references(list(buy.evidence))
        self._objects += [parcel, stix2.v21.ObservedData(allow_custom=True, **fields)]
        ends = [("TEST_BUY_OF", buy.listing)]
        if shipped_from is not None:
            ends.append(("SHIPPED_FROM", shipped_from))
        for kind, entity_id in ends:
            rel_fields = {k: fields[k] for k in ("created", "modified", "object_marking_refs")}
            if creator:
                rel_fields["created_by_ref"] = creator
            self._objects.append(
                stix2.v21.Relationship(
                    id="relationship--" + stix_uuid("stix", "test-buy", buy.id, kind),
                    relationship_type="related-to",
                    description=f"TEST_BUY {kind} {self._kinds[entity_id].value}",
                    source_ref=observed_id,
                    target_ref=self._ids[entity_id],
                    extensions=_property_extension({"kind": kind, "graph_api_id": buy.id}),
                    allow_custom=True,
                    **rel_fields,
                )
            )

    def write_outcome(self, outcome: ExportOutcome) -> None:
        key = (iso(outcome.at), outcome.kind, outcome.entity or "", outcome.description)
        known = self.known(outcome.entity)
        about = [self._ids[str(outcome.entity)]] if known else [self._grouping_id]
        details: dict[str, Any] = {"kind": outcome.kind, "occurred_at": iso(outcome.at)}
        if self.known(outcome.entity):
            details["graph_api_id"] = outcome.entity
        if outcome.value is not None:
            details["value"] = outcome.value
        self._objects.append(
            stix2.v21.Note(
                id="note--" + stix_uuid("stix", "outcome", self.view.case_id, *key),
                created=outcome.at,
                modified=outcome.at,
                abstract=outcome.kind,
                content=outcome.description,
                object_refs=about,
                created_by_ref=self._identity_ref(self.view.exporter.id)
                or _identity_id(self.view.exporter.id),
                object_marking_refs=[TLP2_MARKING_IDS[self.view.marking]],
                extensions=_property_extension(details),
                allow_custom=True,
            )
        )
        self._orgs[self.view.exporter.id] = self.view.exporter

    @property
    def _grouping_id(self) -> str:
        return "grouping--" + stix_uuid("stix", "case", self.view.case_id)

    # -- the bundle ----------------------------------------------------------
    def finalize(self) -> dict[str, bytes]:
        view = self.view
        case_marking = TLP2_MARKING_IDS[view.marking]
        clear = [TLP2_MARKING_IDS[Marking.CLEAR]]
        system = stix2.v21.Identity(
            id=_SYSTEM_IDENTITY_ID,
            created=_SCHEMA_EPOCH,
            modified=_SCHEMA_EPOCH,
            name="graph_api",
            identity_class="system",
            description="The anti-counterfeiting alliance graph that made this export.",
            object_marking_refs=clear,
        )
        definitions = [
            stix2.v21.ExtensionDefinition(
                id=OBJECTS_EXTENSION_ID,
                created_by_ref=_SYSTEM_IDENTITY_ID,
                created=_SCHEMA_EPOCH,
                modified=_SCHEMA_EPOCH,
                name="graph_api anti-counterfeiting objects",
                description=(
                    "Storefronts, listings, warehouses, factories, identifiers and brands of "
                    "the anti-counterfeiting alliance graph (x-graph-api-* types)."
                ),
                schema=_SCHEMA_URL,
                version="1.0.0",
                extension_types=["new-sdo", "new-sco"],
                object_marking_refs=clear,
            ),
            stix2.v21.ExtensionDefinition(
                id=PROPERTIES_EXTENSION_ID,
                created_by_ref=_SYSTEM_IDENTITY_ID,
                created=_SCHEMA_EPOCH,
                modified=_SCHEMA_EPOCH,
                name="graph_api provenance properties",
                description=(
                    "graph_api kind, status, region and per-report provenance (assertions) "
                    "on standard STIX objects."
                ),
                schema=_SCHEMA_URL + "#properties",
                version="1.0.0",
                extension_types=["property-extension"],
                object_marking_refs=clear,
            ),
        ]
        identities = [
            stix2.v21.Identity(
                id=_identity_id(org.id),
                created=view.created_at,
                modified=view.created_at,
                name=org.name,
                identity_class="organization",
                description=f"Alliance member ({org.type.value.lower()})",
                object_marking_refs=[case_marking],
                created_by_ref=_SYSTEM_IDENTITY_ID,
            )
            for org in sorted(self._orgs.values(), key=lambda o: o.id)
        ]
        content = [system, *definitions, *identities, *self._objects]
        grouping = stix2.v21.Grouping(
            id=self._grouping_id,
            created=view.opened_at,
            modified=max(view.opened_at, view.created_at),
            created_by_ref=_identity_id(view.opened_by.id),
            name=view.title,
            context="suspicious-activity",
            object_refs=[o["id"] for o in content],
            object_marking_refs=[TLP2_MARKING_IDS[highest_marking(view)]],
            extensions=_property_extension(
                {
                    "graph_api_id": view.case_id,
                    "kind": "CASE",
                    "status": view.status,
                    "case_marking": view.marking.value,
                    "exporter": view.exporter.id,
                    "exporter_principal": view.exporter_principal,
                    "recipient": view.recipient,
                    "exported_at": iso(view.created_at),
                }
            ),
            allow_custom=True,
        )
        self._markings.add(highest_marking(view))
        markings = [_marking_definition(m) for m in Marking if m in self._markings]
        bundle = {
            "type": "bundle",
            "id": "bundle--" + stix_uuid("stix", "bundle", view.case_id, iso(view.created_at)),
            "objects": [_plain(o) for o in (*markings, *content, grouping)],
        }
        return {STIX_FILE: orjson.dumps(bundle)}


def _plain(obj: Any) -> dict[str, Any]:
    """A library object as the dict it serialises to (dicts pass through)."""
    if isinstance(obj, dict):
        return obj
    plain: dict[str, Any] = json.loads(obj.serialize())
    return plain


def _identity_id(org_id: str) -> str:
    return "identity--" + stix_uuid("stix", "org", org_id)


def _property_extension(details: dict[str, Any]) -> dict[str, Any]:
    return {PROPERTIES_EXTENSION_ID: {"extension_type": "property-extension", **_full(details)}}


def _full(details: dict[str, Any]) -> dict[str, Any]:
    """Without empty lists and dicts: STIX forbids empty arrays."""
    return {k: v for k, v in details.items() if v is not None and v != [] and v != {}}
