"""i2 Analyst's Notebook import files (format I2_CSV).

``i2/entities.csv`` and ``i2/links.csv`` are plain RFC 4180 CSV (UTF-8, comma,
header row, every field quoted where needed) with the stable columns below;
``i2/import-spec.ximp`` is the column map for Analyst's Notebook's import:
which column is the identity, label and type of an entity or link, which
entity type (and icon) each graph_api kind becomes, and which columns become
attributes. Test buys and outcomes are entities too (types TEST_BUY and
OUTCOME), joined by TEST_BUY_OF, SHIPPED_FROM and CONCERNS links.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from xml.etree import ElementTree as ET

from graph_api.export.common import Writer, assertions_json, dumps, evidence_record
from graph_api.export.graphml import outcome_id
from graph_api.export.view import (
    ExportEntity,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
    first_reported,
    iso,
    last_reported,
    marking_of,
    reporters,
)
from graph_api.model import Assertion, EntityKind, RelationKind

__all__ = [
    "ENTITIES_FILE",
    "ENTITY_COLUMNS",
    "I2Writer",
    "LINKS_FILE",
    "LINK_COLUMNS",
    "SPEC_FILE",
    "format_confidence",
]

ENTITIES_FILE = "i2/entities.csv"
LINKS_FILE = "i2/links.csv"
SPEC_FILE = "i2/import-spec.ximp"

ENTITY_COLUMNS = (
    "id", "type", "label", "name", "region", "status", "identifier_kind", "value",
    "confidence", "marking", "reported_by", "reported_by_ids", "first_reported",
    "last_reported", "assertions", "properties",
)  # fmt: skip
LINK_COLUMNS = (
    "id", "from", "to", "type", "label", "confidence", "marking", "reported_by",
    "reported_by_ids", "first_reported", "last_reported", "assertions",
)  # fmt: skip

# Analyst's Notebook entity types (and standard icons) for each graph_api kind.
_ENTITY_TYPES = {
    EntityKind.SELLER.value: ("Person or Organisation", "Organisation"),
    EntityKind.STOREFRONT.value: ("Online Account", "Web Page"),
    EntityKind.LISTING.value: ("Advertisement", "Document"),
    EntityKind.WAREHOUSE.value: ("Location", "Warehouse"),
    EntityKind.FACTORY.value: ("Location", "Factory"),
    EntityKind.RING.value: ("Organisation", "Group"),
    EntityKind.IDENTIFIER.value: ("Communication / Account Identifier", "Telephone"),
    EntityKind.BRAND.value: ("Organisation", "Brand"),
    "TEST_BUY": ("Event", "Purchase"),
    "OUTCOME": ("Event", "Police"),
}
_LINK_TYPES = [k.value for k in RelationKind] + ["TEST_BUY_OF", "SHIPPED_FROM", "CONCERNS"]


def format_confidence(value: float) -> str:
    """Confidence as written in a cell: up to 6 significant digits."""
    return format(value, ".6g")


def _rows_to_csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


class I2Writer(Writer):
    format = "I2_CSV"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entities: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []

    def _provenance(self, assertions: tuple[Assertion, ...]) -> dict[str, str]:
        who = reporters(assertions)
        return {
            "marking": marking_of(assertions, self.view.marking).value,
            "reported_by": "; ".join(self.org_name(o) for o in who),
            "reported_by_ids": "; ".join(who),
            "first_reported": iso(first_reported(assertions, self.view.created_at)),
            "last_reported": iso(last_reported(assertions, self.view.created_at)),
            "assertions": assertions_json(assertions),
        }

    def _entity_row(self, **cells: str | None) -> None:
        self.entities.append({c: cells.get(c) or "" for c in ENTITY_COLUMNS})

    def _link_row(self, **cells: str | None) -> None:
        self.links.append({c: cells.get(c) or "" for c in LINK_COLUMNS})

    def write_entity(self, entity: ExportEntity) -> None:
        self._entity_row(
            id=entity.id,
            type=entity.kind.value,
            label=entity.name or entity.id,
            name=entity.name,
            region=entity.region,
            status=entity.status,
            identifier_kind=entity.identifier_kind.value if entity.identifier_kind else None,
            value=entity.value,
            confidence=format_confidence(entity.confidence),
            properties=dumps(entity.properties),
            **self._provenance(entity.assertions),
        )

    def write_relation(self, relation: ExportRelation) -> None:
        self._link_row(
            id=relation.id,
            type=relation.kind.value,
            label=relation.kind.value.replace("_", " ").lower(),
            confidence=format_confidence(relation.confidence),
            **{"from": relation.source, "to": relation.target},
            **self._provenance(relation.assertions),
        )

    def write_test_buy(self, buy: ExportTestBuy) -> None:
        common = {
            "marking": buy.marking.value,
            "reported_by": self.org_name(buy.reported_by),
            "reported_by_ids": buy.reported_by,
            "first_reported": iso(buy.ordered_at),
            "last_reported": iso(buy.ordered_at),
        }
        self._entity_row(
            id=buy.id,
            type="TEST_BUY",
            label=f"Test buy: {buy.result}",
            status=buy.result,
            properties=dumps({"evidence": [evidence_record(e) for e in buy.evidence]}),
            **common,
        )
        ends = [("TEST_BUY_OF", buy.listing)]
        if self.known(buy.shipped_from):
            ends.append(("SHIPPED_FROM", str(buy.shipped_from)))
        for kind, target in ends:
            self._link_row(
                id=f"{buy.id}:{kind}",
                type=kind,
                label=kind.replace("_", " ").lower(),
                **{"from": buy.id, "to": target},
                **common,
            )

    def write_outcome(self, outcome: ExportOutcome) -> None:
        node = outcome_id(self.view.case_id, outcome)
        at = iso(outcome.at)
        details: dict[str, Any] = {"kind": outcome.kind, "description": outcome.description}
        if outcome.value is not None:
            details["value"] = outcome.value
        self._entity_row(
            id=node,
            type="OUTCOME",
            label=outcome.kind,
            name=outcome.description,
            status=outcome.kind,
            marking=self.view.marking.value,
            first_reported=at,
            last_reported=at,
            properties=dumps(details),
        )
        if self.known(outcome.entity):
            self._link_row(
                id=f"{node}:CONCERNS",
                type="CONCERNS",
                label="concerns",
                marking=self.view.marking.value,
                first_reported=at,
                last_reported=at,
                **{"from": node, "to": outcome.entity},
            )

    def finalize(self) -> dict[str, bytes]:
        return {
            ENTITIES_FILE: _rows_to_csv(ENTITY_COLUMNS, self.entities),
            LINKS_FILE: _rows_to_csv(LINK_COLUMNS, self.links),
            SPEC_FILE: import_specification(self.view.case_id, self.view.title),
        }


def import_specification(case_id: str, title: str) -> bytes:
    """The column map of both CSV files for Analyst's Notebook's import."""
    root = ET.Element("ImportSpecification", version="1.0", generator="graph_api")
    ET.SubElement(root, "Description").text = f"{title} ({case_id})"
    entities = ET.SubElement(
        root, "EntitySource", file="entities.csv", encoding="UTF-8", delimiter=",",
        textQualifier='"', headerRow="true",
    )  # fmt: skip
    ET.SubElement(entities, "Identity", column="id")
    ET.SubElement(entities, "Label", column="label")
    ET.SubElement(entities, "DateTime", column="first_reported", format="ISO8601")
    ET.SubElement(entities, "Grade", column="confidence", kind="probability")
    ET.SubElement(entities, "SourceReference", column="reported_by")
    types = ET.SubElement(entities, "TypeMap", column="type")
    for kind, (entity_type, icon) in _ENTITY_TYPES.items():
        ET.SubElement(types, "Map", value=kind, entityType=entity_type, icon=icon)
    attributes = ET.SubElement(entities, "Attributes")
    for column in ENTITY_COLUMNS:
        if column not in ("id", "label", "type"):
            ET.SubElement(attributes, "Attribute", column=column, name=column, type="Text")
    links = ET.SubElement(
        root, "LinkSource", file="links.csv", encoding="UTF-8", delimiter=",",
        textQualifier='"', headerRow="true",
    )  # fmt: skip
    ET.SubElement(links, "Identity", column="id")
    ET.SubElement(links, "From", column="from", matchOn="Identity")
    ET.SubElement(links, "To", column="to", matchOn="Identity")
    ET.SubElement(links, "Label", column="label")
    ET.SubElement(links, "Direction", value="FromTo")
    ET.SubElement(links, "Grade", column="confidence", kind="probability")
    link_types = ET.SubElement(links, "TypeMap", column="type")
    for kind in _LINK_TYPES:
        ET.SubElement(link_types, "Map", value=kind, linkType=kind.replace("_", " ").title())
    link_attributes = ET.SubElement(links, "Attributes")
    for column in LINK_COLUMNS:
        if column not in ("id", "from", "to", "label", "type"):
            ET.SubElement(link_attributes, "Attribute", column=column, name=column, type="Text")
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
