"""The one STIX 2.1 mapping of graph_api's entities, relations and orgs.

``exportCase``'s bundle (``export.stix.StixWriter``) and the TAXII collections
(``graph_api.taxii``) both build their objects here, so an entity has the same
STIX id, type and shape in a signed package and in a feed.

- SELLER -> ``threat-actor`` (``criminal``), RING -> ``intrusion-set``;
  storefronts, listings, warehouses, factories, identifiers and brands -> custom
  SDOs ``x-graph-api-<kind>`` declared by one ``extension-definition`` (new-sdo);
- graph_api fields that STIX has no property for (kind, status, region, the
  assertions' provenance...) ride in a property-extension declared by a second
  ``extension-definition``;
- relations -> ``relationship`` of type ``related-to`` (the only types the
  validator's strict mode accepts between custom objects) with the graph_api
  kind in the description and the extension, confidence 0-100;
- every reporting org -> an ``identity`` (``created_by_ref`` names the first
  reporter of an object); an org's identity never changes, so it has one version;
- markings -> the official TLP 2.0 ``marking-definition`` objects; each object
  carries the narrowest marking of its assertions.

Ids are uuid5 over canonical keys with the version bits set to 4 (the OASIS
validator accepts only v4): the same entity has the same id in every export and
every feed.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

import stix2
from stix2.properties import (
    DictionaryProperty,
    FloatProperty,
    ListProperty,
    StringProperty,
)

from graph_api.export.common import assertion_record, stix_uuid
from graph_api.export.view import (
    ExportEntity,
    ExportRelation,
    first_reported,
    iso,
    last_reported,
    marking_of,
    reporters,
)
from graph_api.model import Assertion, EntityKind, Evidence, Marking, Org

__all__ = [
    "CUSTOM_TYPES",
    "OBJECTS_EXTENSION_ID",
    "PARCEL_TYPE",
    "PROPERTIES_EXTENSION_ID",
    "SCHEMA_EPOCH",
    "STIX_TYPES",
    "SYSTEM_IDENTITY_ID",
    "TLP2_EXTENSION_ID",
    "TLP2_MARKING_IDS",
    "TestBuyObservable",
    "definition_objects",
    "entity_object",
    "external_references",
    "full",
    "identity_id",
    "marking_definition",
    "org_identity",
    "plain",
    "property_extension",
    "relation_object",
    "stix_confidence",
    "stix_id",
]

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
SYSTEM_IDENTITY_ID = "identity--" + stix_uuid("stix", "identity", "graph_api")
SCHEMA_EPOCH = "2026-01-01T00:00:00.000Z"  # when this mapping's extensions were defined
_SCHEMA_URL = "https://graph-api.invalid/stix/graph-api-objects-v1"

CUSTOM_TYPES = {
    EntityKind.STOREFRONT: "x-graph-api-storefront",
    EntityKind.LISTING: "x-graph-api-listing",
    EntityKind.WAREHOUSE: "x-graph-api-warehouse",
    EntityKind.FACTORY: "x-graph-api-factory",
    EntityKind.IDENTIFIER: "x-graph-api-identifier",
    EntityKind.BRAND: "x-graph-api-brand",
}
STIX_TYPES = {EntityKind.SELLER: "threat-actor", EntityKind.RING: "intrusion-set"}
STIX_TYPES.update(CUSTOM_TYPES)

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
_CUSTOM_CLASSES: dict[EntityKind, Any] = {k: _custom_class(t) for k, t in CUSTOM_TYPES.items()}
PARCEL_TYPE = "x-graph-api-test-buy"


def _parcel_class() -> Any:
    # observed-data may point only at cyber observables: a test buy's parcel is one.
    @stix2.v21.CustomObservable(
        PARCEL_TYPE,
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


TestBuyObservable = _parcel_class()


# A feed renders the same entities, reports and orgs page after page: their ids and the
# records of their assertions are kept (all immutable) instead of made again each time.
KEPT = 1 << 19


@functools.lru_cache(maxsize=KEPT)
def stix_id(kind: EntityKind, entity_id: str) -> str:
    """The STIX id of a graph_api entity."""
    return f"{STIX_TYPES[kind]}--{stix_uuid('stix', 'entity', entity_id)}"


@functools.lru_cache(maxsize=KEPT)
def relation_stix_id(relation_id: str) -> str:
    """The STIX id of a graph_api relation (by its ``relation_id``)."""
    return "relationship--" + stix_uuid("stix", "relation", relation_id)


@functools.lru_cache(maxsize=1 << 12)
def identity_id(org_id: str) -> str:
    """The STIX id of an org's ``identity`` (what ``created_by_ref`` names)."""
    return "identity--" + stix_uuid("stix", "org", org_id)


def stix_confidence(value: float) -> int:
    return max(0, min(100, round(value * 100)))


def external_references(evidence: list[Evidence]) -> list[dict[str, Any]]:
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


def marking_definition(marking: Marking) -> dict[str, Any]:
    """The OASIS TLP 2.0 marking-definition of ``marking``."""
    name, level = _TLP2_NAMES[marking]
    return plain(stix2.v21.MarkingDefinition(
        id=TLP2_MARKING_IDS[marking],
        created=_TLP2_CREATED,
        name=name,
        extensions={TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}},
    ))


def definition_objects() -> list[dict[str, Any]]:
    """What every bundle and feed needs once: the system identity and the two
    extension-definitions the objects name (all TLP:CLEAR)."""
    clear = [TLP2_MARKING_IDS[Marking.CLEAR]]
    system = stix2.v21.Identity(
        id=SYSTEM_IDENTITY_ID,
        created=SCHEMA_EPOCH,
        modified=SCHEMA_EPOCH,
        name="graph_api",
        identity_class="system",
        description="The anti-counterfeiting alliance graph that made this export.",
        object_marking_refs=clear,
    )
    common = {"created_by_ref": SYSTEM_IDENTITY_ID, "created": SCHEMA_EPOCH,
              "modified": SCHEMA_EPOCH, "version": "1.0.0", "object_marking_refs": clear}
    return [plain(system), plain(stix2.v21.ExtensionDefinition(
        id=OBJECTS_EXTENSION_ID,
        name="graph_api anti-counterfeiting objects",
        description=(
            "Storefronts, listings, warehouses, factories, identifiers and brands of "
            "the anti-counterfeiting alliance graph (x-graph-api-* types)."
        ),
        schema=_SCHEMA_URL,
        extension_types=["new-sdo", "new-sco"],
        **common,
    )), plain(stix2.v21.ExtensionDefinition(
        id=PROPERTIES_EXTENSION_ID,
        name="graph_api provenance properties",
        description=(
            "graph_api kind, status, region and per-report provenance (assertions) "
            "on standard STIX objects."
        ),
        schema=_SCHEMA_URL + "#properties",
        extension_types=["property-extension"],
        **common,
    ))]


def org_identity(org: Org) -> dict[str, Any]:
    """An alliance org as an ``identity``: one version (the mapping's epoch), TLP:CLEAR,
    since every object it made names its org id in its provenance anyway."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id(org.id),
        "created_by_ref": SYSTEM_IDENTITY_ID,
        "created": SCHEMA_EPOCH,
        "modified": SCHEMA_EPOCH,
        "name": org.name,
        "description": f"Alliance member ({org.type.value.lower()})",
        "identity_class": "organization",
        "object_marking_refs": [TLP2_MARKING_IDS[Marking.CLEAR]],
    }


def _common(assertions: tuple[Assertion, ...], default_marking: Marking,
            default_at: datetime) -> dict[str, Any]:
    marking = marking_of(assertions, default_marking)
    created = first_reported(assertions, default_at)
    fields: dict[str, Any] = {
        "created": _iso(created),
        "modified": _iso(max(created, last_reported(assertions, default_at))),
        "object_marking_refs": [TLP2_MARKING_IDS[marking]],
    }
    who = reporters(assertions)
    if who:
        fields["created_by_ref"] = identity_id(who[0])
    refs = external_references(_assertion_evidence(assertions))
    if refs:
        fields["external_references"] = refs
    return fields


@functools.lru_cache(maxsize=1 << 16)
def _iso(moment: datetime) -> str:
    return iso(moment)


@functools.lru_cache(maxsize=1 << 17)
def _record(assertion: Assertion) -> dict[str, Any]:
    """``assertion_record``, kept: never changed by its readers (they serialise it)."""
    return assertion_record(assertion)


def _provenance(assertions: tuple[Assertion, ...]) -> dict[str, Any]:
    return {
        "reported_by": reporters(assertions),
        "assertions": [_record(a) for a in assertions],
    }


# Entities and relations are the bulk of a case and of a feed: they are written as plain
# dicts in exactly the shape stix2 gives (tests parse every one back with stix2.parse),
# since building each through the library costs about 0.4 ms: 16 s for 40,000 relations.
def entity_object(entity: ExportEntity, default_marking: Marking = Marking.CLEAR,
                  default_at: datetime | None = None) -> dict[str, Any]:
    """The STIX object of an entity as the caller sees it (its visible assertions)."""
    at = default_at or datetime.fromisoformat(SCHEMA_EPOCH)
    fields = _common(entity.assertions, default_marking, at)
    details: dict[str, Any] = {"graph_api_id": entity.id, "kind": entity.kind.value}
    if entity.region is not None:
        details["region"] = entity.region
    if entity.status is not None:
        details["status"] = entity.status
    if entity.identifier_kind is not None:
        details["identifier_kind"] = entity.identifier_kind.value
    if entity.value is not None:  # a hidden value is never written, not even as null
        details["value"] = entity.value
    if entity.properties:
        details["properties"] = entity.properties
    details["confidence_score"] = entity.confidence
    details.update(_provenance(entity.assertions))
    obj: dict[str, Any] = {
        "type": STIX_TYPES[entity.kind],
        "spec_version": "2.1",
        "id": stix_id(entity.kind, entity.id),
        "name": entity.name or entity.id,
        "confidence": stix_confidence(entity.confidence),
        **fields,
    }
    if entity.kind in CUSTOM_TYPES:
        obj.update(full(details))
        obj["extensions"] = {OBJECTS_EXTENSION_ID: {"extension_type": "new-sdo"}}
    else:
        if entity.kind is EntityKind.SELLER:
            obj["threat_actor_types"] = ["criminal"]
        obj["extensions"] = property_extension(details)
    return obj


def relation_object(relation: ExportRelation, source: EntityKind, target: EntityKind,
                    default_marking: Marking = Marking.CLEAR,
                    default_at: datetime | None = None) -> dict[str, Any]:
    """The ``relationship`` of a relation between entities of kinds ``source``/``target``."""
    at = default_at or datetime.fromisoformat(SCHEMA_EPOCH)
    details: dict[str, Any] = {
        "graph_api_id": relation.id,
        "kind": relation.kind.value,
        "confidence_score": relation.confidence,
    }
    details.update(_provenance(relation.assertions))
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": relation_stix_id(relation.id),
        "relationship_type": "related-to",
        "description": f"{source.value} {relation.kind.value} {target.value}",
        "source_ref": stix_id(source, relation.source),
        "target_ref": stix_id(target, relation.target),
        "confidence": stix_confidence(relation.confidence),
        "extensions": property_extension(details),
        **_common(relation.assertions, default_marking, at),
    }


def plain(obj: Any) -> dict[str, Any]:
    """A library object as the dict it serialises to (dicts pass through)."""
    if isinstance(obj, dict):
        return obj
    out: dict[str, Any] = json.loads(obj.serialize())
    return out


def property_extension(details: dict[str, Any]) -> dict[str, Any]:
    return {PROPERTIES_EXTENSION_ID: {"extension_type": "property-extension", **full(details)}}


def full(details: dict[str, Any]) -> dict[str, Any]:
    """Without empty lists and dicts: STIX forbids empty arrays."""
    return {k: v for k, v in details.items() if v is not None and v != [] and v != {}}
