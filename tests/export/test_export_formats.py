"""Each format on the hand-built case: valid for its consumer, and faithful to the view."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import networkx as nx
import pytest
from followthemoney import model
from stix2validator import ValidationOptions, validate_string

from graph_api.export.common import export, format_confidence, stix_uuid
from graph_api.export.ftm import FTM_FILE, FtmWriter
from graph_api.export.graphml import GRAPHML_FILE, GraphmlWriter
from graph_api.export.i2 import (
    ASSERTION_COLUMNS,
    ASSERTIONS_FILE,
    ENTITIES_FILE,
    ENTITY_COLUMNS,
    LINK_COLUMNS,
    LINKS_FILE,
    I2Writer,
    flat,
    i2_time,
    i2_type,
    property_text,
)
from graph_api.export.stix import STIX_FILE, TLP2_MARKING_IDS, StixWriter, stix_id
from graph_api.export.view import CaseView, iter_items, marking_of, reporters
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
I2_FILES = (ENTITIES_FILE, LINKS_FILE, ASSERTIONS_FILE)
TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")  # yyyy-MM-dd HH:mm:ss
DECIMAL = re.compile(r"^\d+(\.\d+)?$")


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _header(data: bytes) -> tuple[str, ...]:
    return tuple(next(csv.reader(io.StringIO(data.decode("utf-8-sig")))))


def _text(*parts: str | None) -> str:
    """What a cell holds of free text: one line."""
    return flat(" ".join(p for p in parts if p))


def test_i2_files_are_what_the_import_wizard_reads(view: CaseView) -> None:
    """Delimited text, one item per physical line, flat cells (no JSON, no line breaks),
    times the Date & Time Format page reads as yyyy-MM-dd HH:mm:ss, plain decimals;
    UTF-8 with a byte order mark. No import specification of our own invention."""
    files = export(view, I2Writer)
    assert set(files) == set(I2_FILES)
    for name in I2_FILES:
        data = files[name]
        assert data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8-sig")
        lines = text.split("\r\n")
        assert lines[-1] == "" and "\n" not in text.replace("\r\n", "") and "\r" not in (
            text.replace("\r\n", ""))
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        assert len(records) == len(lines) - 1 > 1  # one record per line
        assert {len(r) for r in records} == {len(records[0])}
        for row in _rows(data):
            for column, cell in row.items():
                assert not cell.startswith(("{", "[")), (name, column, cell)
                assert cell == cell.strip() and "\t" not in cell
                if column in ("first_reported", "last_reported", "reported_at"):
                    assert TIME.match(cell), (name, column, cell)
                workflow = row.get("kind") in ("TEST_BUY", "OUTCOME") or row.get(
                    "link_type") in ("TEST_BUY_OF", "SHIPPED_FROM", "CONCERNS")
                if column == "confidence" and not workflow:  # a test buy states no grade
                    assert DECIMAL.match(cell), (name, column, cell)


def test_i2_entities_round_trip_every_column(view: CaseView) -> None:
    files = export(view, I2Writer)
    rows = {r["id"]: r for r in _rows(files[ENTITIES_FILE])}
    assert _header(files[ENTITIES_FILE]) == ENTITY_COLUMNS
    names = {o.id: o.name for o in view.orgs.values()}
    for e in view.entities:
        who = reporters(e.assertions)
        kind = e.identifier_kind.value if e.identifier_kind else ""
        expected = {
            "id": e.id,
            "kind": e.kind.value,
            "i2_type": i2_type(e.kind.value, kind or None),
            "label": _text(e.name or e.value or e.id),
            "name": _text(e.name),
            "region": e.region or "",
            "status": e.status or "",
            "identifier_kind": kind,
            "value": e.value or "",
            "confidence": format_confidence(e.confidence),
            "marking": marking_of(e.assertions, view.marking).value,
            "reported_by": "; ".join(names[o] for o in who),
            "reported_by_ids": "; ".join(who),
            "sources": "; ".join(sorted({a.source.value for a in e.assertions})),
            "assertions": str(len(e.assertions)),
            "first_reported": i2_time(min(a.reported_at for a in e.assertions)),
            "last_reported": i2_time(max(a.reported_at for a in e.assertions)),
            "details": property_text(e.properties),
            "evidence": rows[e.id]["evidence"],
        }
        assert rows[e.id] == expected
        assert float(rows[e.id]["confidence"]) == pytest.approx(e.confidence, rel=1e-5)
        for a in e.assertions:
            for ev in a.evidence:
                assert flat(ev.kind) in rows[e.id]["evidence"]
                assert not ev.sha256 or ev.sha256 in rows[e.id]["evidence"]
    assert rows["listing-2"]["name"] == "Lux bag replica <&> \u00e9\u4e2d"  # one line
    assert rows["seller-1"]["details"] == "Odd Key!: x; aliases: ShoeKing, SK; strikes: 3"
    assert rows["wh-1"]["details"] == "nested: a=1, 2"
    assert rows["store-2"]["details"] == "opened: 2026-01-02; rating: 4.5"
    assert rows["idn-ph-visible"]["i2_type"] == "Telephone"
    assert rows["idn-ph-visible"]["label"] == "+8613800138000"
    assert {r["kind"] for r in rows.values()} >= {"TEST_BUY", "OUTCOME"}


def test_i2_links_name_both_ends_as_the_entities_file_does(view: CaseView) -> None:
    files = export(view, I2Writer)
    rows = {r["id"]: r for r in _rows(files[LINKS_FILE])}
    assert _header(files[LINKS_FILE]) == LINK_COLUMNS
    entities = {r["id"]: r for r in _rows(files[ENTITIES_FILE])}
    names = {o.id: o.name for o in view.orgs.values()}
    for r in view.relations:
        who = reporters(r.assertions)
        row = rows[r.id]
        assert {k: row[k] for k in LINK_COLUMNS if not k.startswith(("from_", "to_"))} == {
            "id": r.id,
            "link_type": r.kind.value,
            "link_label": r.kind.value.replace("_", " ").lower(),
            "confidence": format_confidence(r.confidence),
            "marking": marking_of(r.assertions, view.marking).value,
            "reported_by": "; ".join(names[o] for o in who),
            "reported_by_ids": "; ".join(who),
            "sources": "; ".join(sorted({a.source.value for a in r.assertions})),
            "assertions": str(len(r.assertions)),
            "first_reported": i2_time(min(a.reported_at for a in r.assertions)),
            "last_reported": i2_time(max(a.reported_at for a in r.assertions)),
            "details": "",
        }
        assert (row["from_id"], row["to_id"]) == (r.source, r.target)
    for row in rows.values():  # test buys' and outcomes' links too
        for end in ("from", "to"):
            entity = entities[row[f"{end}_id"]]
            assert (row[f"{end}_kind"], row[f"{end}_i2_type"], row[f"{end}_label"]) == (
                entity["kind"], entity["i2_type"], entity["label"])
    assert {r["link_type"] for r in rows.values()} >= {"TEST_BUY_OF", "CONCERNS"}


def test_i2_assertions_keep_each_reports_provenance(view: CaseView) -> None:
    files = export(view, I2Writer)
    assert _header(files[ASSERTIONS_FILE]) == ASSERTION_COLUMNS
    rows = _rows(files[ASSERTIONS_FILE])
    names = {o.id: o.name for o in view.orgs.values()}
    expected = []
    for item, things in (("entity", view.entities), ("link", view.relations)):
        for thing in things:
            for a in thing.assertions:
                expected.append({
                    "item_id": thing.id, "item": item, "report_id": a.report_id,
                    "reported_by": names[a.reported_by], "reported_by_id": a.reported_by,
                    "reported_at": i2_time(a.reported_at), "source": a.source.value,
                    "confidence": format_confidence(a.confidence), "marking": a.marking.value,
                    "shared_with": "; ".join(names.get(o, o) for o in a.shared_with),
                })
    got = [{k: v for k, v in r.items() if k != "evidence"} for r in rows]
    assert sorted(got, key=str) == sorted(expected, key=str)


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
