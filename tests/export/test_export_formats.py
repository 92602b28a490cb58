"""Each format on the hand-built case: valid for its consumer, and faithful to the view."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.etree import ElementTree as ET

import networkx as nx
from followthemoney import model
from stix2validator import ValidationOptions, validate_string

from graph_api.export.common import assertion_record, dumps, export, stix_uuid
from graph_api.export.ftm import FTM_FILE, FtmWriter
from graph_api.export.graphml import GRAPHML_FILE, GraphmlWriter
from graph_api.export.i2 import (
    ENTITIES_FILE,
    ENTITY_COLUMNS,
    LINK_COLUMNS,
    LINKS_FILE,
    SPEC_FILE,
    I2Writer,
)
from graph_api.export.stix import STIX_FILE, TLP2_MARKING_IDS, StixWriter, stix_id
from graph_api.export.view import CaseView, iso, iter_items, marking_of, reporters
from graph_api.model import EntityKind, Marking


def _stix(view: CaseView) -> dict[str, Any]:
    return dict(json.loads(export(view, StixWriter)[STIX_FILE]))


# -- STIX ---------------------------------------------------------------------
def test_stix_bundle_is_valid_in_strict_mode_with_references_enforced(view: CaseView) -> None:
    text = export(view, StixWriter)[STIX_FILE].decode()
    results = validate_string(text, ValidationOptions(strict=True, enforce_refs=True))
    problems = [str(e) for e in (results.errors or []) + (results.warnings or [])]
    assert results.is_valid, problems
    assert problems == []


def test_stix_every_reference_resolves_inside_the_bundle(view: CaseView) -> None:
    bundle = _stix(view)
    ids = {o["id"] for o in bundle["objects"]}
    assert len(ids) == len(bundle["objects"])
    for obj in bundle["objects"]:
        refs = [v for k, v in obj.items() if k.endswith("_ref")]
        refs += [r for k, v in obj.items() if k.endswith("_refs") for r in v]
        assert set(refs) <= ids, obj["id"]
    for obj in bundle["objects"]:  # every extension an object names is defined here or by OASIS
        for key in obj.get("extensions", {}):
            assert key in ids or key.endswith("60a3c5c5-0d10-413e-aab3-9e08dde9e88d")


def test_stix_maps_kinds_markings_and_confidence(view: CaseView) -> None:
    objects = {o["id"]: o for o in _stix(view)["objects"]}
    for entity in view.entities:
        obj = objects[stix_id(entity.kind, entity.id)]
        marking = marking_of(entity.assertions, view.marking)
        assert obj["object_marking_refs"] == [TLP2_MARKING_IDS[marking]]
        assert obj["confidence"] == round(entity.confidence * 100)
    seller = objects[stix_id(EntityKind.SELLER, "seller-1")]
    assert seller["type"] == "threat-actor"
    assert objects[stix_id(EntityKind.RING, "ring-1")]["type"] == "intrusion-set"
    assert objects[stix_id(EntityKind.WAREHOUSE, "wh-1")]["type"] == "x-graph-api-warehouse"
    tlp = [o for o in objects.values() if o["type"] == "marking-definition"]
    assert {o["name"] for o in tlp} == {
        "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED",
    }  # fmt: skip
    for obj in objects.values():
        if obj["type"] != "marking-definition":
            assert len(obj["object_marking_refs"]) == 1, obj["id"]
    relations = [o for o in objects.values() if o["type"] == "relationship"]
    assert all(0 <= r.get("confidence", 0) <= 100 for r in relations)
    grouping = next(o for o in objects.values() if o["type"] == "grouping")
    assert set(grouping["object_refs"]) == set(objects) - {grouping["id"]} - {o["id"] for o in tlp}
    assert any(o["type"] == "observed-data" for o in objects.values())


def test_stix_ids_are_stable_and_version_4(view: CaseView, make_view: Any) -> None:
    assert export(view, StixWriter) == export(make_view(), StixWriter)
    assert stix_uuid("x")[14] == "4" and stix_uuid("x")[19] in "89ab"


# -- GraphML ------------------------------------------------------------------
def test_graphml_round_trips_through_networkx(view: CaseView) -> None:
    writer = GraphmlWriter(view)
    for item in iter_items(view):
        writer.write(item)
    data = writer.finalize()[GRAPHML_FILE]
    read = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    written = writer.graph
    assert dict(read.nodes(data=True)) == dict(written.nodes(data=True))
    assert sorted(read.edges(keys=True, data=True)) == sorted(written.edges(keys=True, data=True))
    defaults = {"node_default", "edge_default"}  # added by read_graphml, empty
    assert {k: v for k, v in read.graph.items() if k not in defaults} == written.graph
    seller = read.nodes["seller-1"]
    assert json.loads(seller["properties"])["aliases"] == ["ShoeKing", "SK"]
    assert json.loads(seller["reported_by"]) == ["org-brand-a", "org-platform"]
    assert "value" not in read.nodes["idn-ph-00000000000000000000000000hidden"]
    for _, attributes in read.nodes(data=True):
        assert None not in attributes.values()


def test_graphml_holds_every_entity_and_relation(view: CaseView) -> None:
    read = nx.read_graphml(io.BytesIO(export(view, GraphmlWriter)[GRAPHML_FILE]),
                           force_multigraph=True)  # fmt: skip
    assert {e.id for e in view.entities} <= set(read.nodes)
    keys = {k for _, _, k in read.edges(keys=True)}
    assert {r.id for r in view.relations} <= keys
    for relation in view.relations:
        data = read.edges[relation.source, relation.target, relation.id]
        assert data["kind"] == relation.kind.value
        assert data["confidence"] == relation.confidence


# -- i2 -----------------------------------------------------------------------
def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_i2_entities_round_trip_every_column(view: CaseView) -> None:
    files = export(view, I2Writer)
    rows = {r["id"]: r for r in _rows(files[ENTITIES_FILE])}
    header = next(csv.reader(io.StringIO(files[ENTITIES_FILE].decode())))
    assert tuple(header) == ENTITY_COLUMNS
    names = {o.id: o.name for o in view.orgs.values()}
    for e in view.entities:
        who = reporters(e.assertions)
        expected = {
            "id": e.id,
            "type": e.kind.value,
            "label": e.name or e.id,
            "name": e.name or "",
            "region": e.region or "",
            "status": e.status or "",
            "identifier_kind": e.identifier_kind.value if e.identifier_kind else "",
            "value": e.value or "",
            "confidence": format(e.confidence, ".6g"),
            "marking": marking_of(e.assertions, view.marking).value,
            "reported_by": "; ".join(names[o] for o in who),
            "reported_by_ids": "; ".join(who),
            "first_reported": iso(min(a.reported_at for a in e.assertions)),
            "last_reported": iso(max(a.reported_at for a in e.assertions)),
            "assertions": dumps([assertion_record(a) for a in e.assertions]),
            "properties": dumps(e.properties),
        }
        assert rows[e.id] == expected
        assert json.loads(rows[e.id]["properties"]) == e.properties
        assert float(rows[e.id]["confidence"]) == e.confidence
    assert {r["type"] for r in rows.values()} >= {"TEST_BUY", "OUTCOME"}


def test_i2_links_round_trip_every_column(view: CaseView) -> None:
    files = export(view, I2Writer)
    rows = {r["id"]: r for r in _rows(files[LINKS_FILE])}
    header = next(csv.reader(io.StringIO(files[LINKS_FILE].decode())))
    assert tuple(header) == LINK_COLUMNS
    names = {o.id: o.name for o in view.orgs.values()}
    for r in view.relations:
        who = reporters(r.assertions)
        assert rows[r.id] == {
            "id": r.id,
            "from": r.source,
            "to": r.target,
            "type": r.kind.value,
            "label": r.kind.value.replace("_", " ").lower(),
            "confidence": format(r.confidence, ".6g"),
            "marking": marking_of(r.assertions, view.marking).value,
            "reported_by": "; ".join(names[o] for o in who),
            "reported_by_ids": "; ".join(who),
            "first_reported": iso(min(a.reported_at for a in r.assertions)),
            "last_reported": iso(max(a.reported_at for a in r.assertions)),
            "assertions": dumps([assertion_record(a) for a in r.assertions]),
        }
    entity_ids = {r["id"] for r in _rows(files[ENTITIES_FILE])}
    assert all(r["from"] in entity_ids and r["to"] in entity_ids for r in rows.values())


def test_i2_import_specification_maps_every_column_and_type(view: CaseView) -> None:
    root = ET.fromstring(export(view, I2Writer)[SPEC_FILE])
    entity_source = root.find("EntitySource")
    link_source = root.find("LinkSource")
    assert entity_source is not None and link_source is not None
    mapped = {a.get("column") for a in entity_source.iter("Attribute")}
    assert mapped | {"id", "label", "type"} == set(ENTITY_COLUMNS)
    kinds = {m.get("value") for m in entity_source.iter("Map")}
    assert {k.value for k in EntityKind} <= kinds
    link_mapped = {a.get("column") for a in link_source.iter("Attribute")}
    assert link_mapped | {"id", "from", "to", "label", "type"} == set(LINK_COLUMNS)


# -- FollowTheMoney -------------------------------------------------------------
def test_ftm_entities_pass_the_model_and_cleaning_loses_nothing(view: CaseView) -> None:
    lines = export(view, FtmWriter)[FTM_FILE].decode().splitlines()
    assert lines
    ids = set()
    for line in lines:
        data = json.loads(line)
        proxy = model.get_proxy(data, cleaned=False)  # cleans every value again
        assert proxy.schema.name == data["schema"]
        assert proxy.to_dict()["properties"] == data["properties"], data["id"]
        ids.add(data["id"])
    schemata = {json.loads(line)["id"]: json.loads(line)["schema"] for line in lines}
    assert schemata["seller-1"] == "LegalEntity"
    assert schemata["store-1"] == "UserAccount"
    assert schemata["wh-1"] == "Company"
    assert schemata["ring-1"] == "Organization"
    assert schemata["idn-ba-1"] == "BankAccount"
    assert "Membership" in schemata.values() and "Directorship" in schemata.values()


def test_ftm_references_point_at_entities_in_the_file(view: CaseView) -> None:
    entities = [json.loads(line) for line in export(view, FtmWriter)[FTM_FILE].splitlines()]
    ids = {e["id"] for e in entities}
    for data in entities:
        proxy = model.get_proxy(data)
        for prop, value in proxy.itervalues():
            if prop.type.name == "entity":
                assert value in ids, (data["id"], prop.name, value)
                assert model.schemata[schemata_of(entities, value)].is_a(prop.range.name)  # type: ignore[union-attr]


def schemata_of(entities: list[dict[str, Any]], entity_id: str) -> str:
    return str(next(e["schema"] for e in entities if e["id"] == entity_id))


def test_ftm_visible_phone_is_a_property_of_its_user(view: CaseView) -> None:
    entities = {
        json.loads(line)["id"]: json.loads(line)
        for line in export(view, FtmWriter)[FTM_FILE].splitlines()
    }
    assert entities["seller-1"]["properties"]["phone"] == ["+8613800138000"]
    assert entities["store-1"]["properties"]["email"] == ["shoe.king@example.com"]
    assert Marking.RED.value in " ".join(entities["ring-1"]["properties"]["keywords"])


def test_stix_every_object_parses_with_the_stix2_library(view: CaseView) -> None:
    import stix2

    for obj in _stix(view)["objects"]:
        parsed = stix2.parse(obj, allow_custom=True)
        assert json.loads(parsed.serialize()) == obj
