"""i2 Analyst's Notebook import files (format I2_CSV).

Three delimited text files for Analyst's Notebook's import wizard (Home > Import >
Import from File), which reads text files in which "the data for one item is
never broken across lines", maps columns to the identity, label, date and
attributes of entities and links, and reads dates in the format its Date & Time
Format page is given:

- ``i2/entities.csv``: one row per entity (and per test buy and case outcome,
  kinds TEST_BUY and OUTCOME);
- ``i2/links.csv``: one row per link, with both ends named (id, kind, suggested
  Analyst's Notebook type, label), so that one row makes one entity-link-entity
  of the wizard's design;
- ``i2/assertions.csv``: one row per assertion behind an entity or link (report,
  org, time, source, confidence, marking), the provenance a chart's attributes
  summarise.

Every cell is flat text: no JSON, no line breaks (a property map is written
``key: value; key: value``), numbers as plain decimals, times in UTC as
``yyyy-MM-dd HH:mm:ss``. CSV per RFC 4180 (comma, double quotes where needed,
CRLF), UTF-8 with a byte order mark so Windows programs read Chinese names as
they are. docs/exports.md walks through the import. There is no import
specification file: i2 publishes none for the classic wizard's ``.ximp``, so the
wizard builds the specification (and saves it for the next package; it offers a
saved one whose column headers match).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from graph_api.export.common import Writer, format_confidence, outcome_id
from graph_api.export.view import (
    ExportEntity,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
    first_reported,
    last_reported,
    marking_of,
    reporters,
)
from graph_api.model import Assertion, EntityKind, Evidence, IdentifierKind

__all__ = [
    "ASSERTIONS_FILE",
    "ASSERTION_COLUMNS",
    "ENTITIES_FILE",
    "ENTITY_COLUMNS",
    "I2Writer",
    "LINKS_FILE",
    "LINK_COLUMNS",
    "TIME_FORMAT",
    "flat",
    "i2_time",
    "i2_type",
    "property_text",
]

ENTITIES_FILE = "i2/entities.csv"
LINKS_FILE = "i2/links.csv"
ASSERTIONS_FILE = "i2/assertions.csv"

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""The times' format: ``yyyy-MM-dd HH:mm:ss`` in the wizard's notation, in UTC."""

ENTITY_COLUMNS = (
    "id", "kind", "i2_type", "label", "name", "region", "status", "identifier_kind", "value",
    "confidence", "marking", "reported_by", "reported_by_ids", "sources", "assertions",
    "first_reported", "last_reported", "details", "evidence",
)  # fmt: skip
LINK_COLUMNS = (
    "id", "from_id", "from_kind", "from_i2_type", "from_label", "link_type", "link_label",
    "to_id", "to_kind", "to_i2_type", "to_label", "confidence", "marking", "reported_by",
    "reported_by_ids", "sources", "assertions", "first_reported", "last_reported", "details",
)  # fmt: skip
ASSERTION_COLUMNS = (
    "item_id", "item", "report_id", "reported_by", "reported_by_id", "reported_at", "source",
    "confidence", "marking", "shared_with", "evidence",
)  # fmt: skip

# The entity type of a standard Analyst's Notebook chart nearest to each kind: a
# suggestion for the wizard's Type list (its template decides what exists).
_I2_TYPES = {
    EntityKind.SELLER.value: "Organisation",
    EntityKind.STOREFRONT.value: "Web Site",
    EntityKind.LISTING.value: "Document",
    EntityKind.WAREHOUSE.value: "Location",
    EntityKind.FACTORY.value: "Location",
    EntityKind.RING.value: "Organisation",
    EntityKind.IDENTIFIER.value: "Document",
    EntityKind.BRAND.value: "Organisation",
    "TEST_BUY": "Event",
    "OUTCOME": "Event",
}
_IDENTIFIER_TYPES = {
    IdentifierKind.PHONE.value: "Telephone",
    IdentifierKind.EMAIL.value: "Email Address",
    IdentifierKind.BANK_ACCOUNT.value: "Account",
    IdentifierKind.PAYMENT_ACCOUNT.value: "Account",
    IdentifierKind.ADDRESS.value: "Address",
    IdentifierKind.DEVICE.value: "Device",
    IdentifierKind.IP.value: "IP Address",
    IdentifierKind.ID_DOCUMENT.value: "Document",
    IdentifierKind.IMAGE_HASH.value: "Document",
}


def i2_type(kind: str, identifier_kind: str | None = None) -> str:
    """The suggested Analyst's Notebook entity type of a kind.

    >>> i2_type("SELLER"), i2_type("IDENTIFIER", "PHONE"), i2_type("TEST_BUY")
    ('Organisation', 'Telephone', 'Event')
    """
    if identifier_kind is not None and identifier_kind in _IDENTIFIER_TYPES:
        return _IDENTIFIER_TYPES[identifier_kind]
    return _I2_TYPES.get(kind, "Entity")


def i2_time(moment: datetime) -> str:
    """A time as the import reads it: UTC, ``yyyy-MM-dd HH:mm:ss`` (a naive one is UTC).

    >>> from datetime import timezone, timedelta
    >>> i2_time(datetime(2026, 11, 1, 17, 30, 5, 123456, tzinfo=timezone(timedelta(hours=8))))
    '2026-11-01 09:30:05'
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def flat(text: str | None) -> str:
    """One line of text: line breaks and tabs become spaces.

    >>> flat("Putian\\r\\nDock 4\\tnorth")
    'Putian Dock 4 north'
    """
    if not text:
        return ""
    return " ".join(text.replace("\t", " ").splitlines()).strip()


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_confidence(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_value_text(v)}" for k, v in sorted(value.items(), key=str)
                         if v not in (None, "", [], {}))
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v) for v in value if v not in (None, "", [], {}))
    return flat(str(value))


def property_text(properties: Mapping[str, Any]) -> str:
    """A property map as one attribute's text: ``key: value; key: value``, keys sorted,
    lists joined by commas, nested maps as ``k=v``, empty values left out.

    >>> property_text({"price": 19.99, "tags": ["a", "b"], "extra": {}, "shop": {"id": 4},
    ...                "gone": None})
    'price: 19.99; shop: id=4; tags: a, b'
    """
    parts = []
    for key in sorted(properties, key=str):
        text = _value_text(properties[key])
        if text:
            parts.append(f"{flat(str(key))}: {text}")
    return "; ".join(parts)


def evidence_text(evidence: Iterable[Evidence]) -> str:
    """Evidence as one attribute's text: ``kind: description (sha256 H, URI)``, by ``; ``."""
    parts = []
    for item in evidence:
        extra = ", ".join(x for x in (f"sha256 {item.sha256}" if item.sha256 else "",
                                      item.uri or "") if x)
        text = flat(item.kind) + (f": {flat(item.description)}" if item.description else "")
        parts.append(text + (f" ({extra})" if extra else ""))
    return "; ".join(dict.fromkeys(parts))


def _rows_to_csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


class I2Writer(Writer):
    format = "I2_CSV"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entities: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.assertions: list[dict[str, str]] = []
        self.ends: dict[str, tuple[str, str, str]] = {}  # id -> (kind, i2 type, label)

    def _provenance(self, item_id: str, item: str,
                    assertions: tuple[Assertion, ...]) -> dict[str, str]:
        who = reporters(assertions)
        for a in assertions:
            self.assertions.append({
                "item_id": item_id, "item": item, "report_id": a.report_id,
                "reported_by": self.org_name(a.reported_by), "reported_by_id": a.reported_by,
                "reported_at": i2_time(a.reported_at), "source": a.source.value,
                "confidence": format_confidence(a.confidence), "marking": a.marking.value,
                "shared_with": "; ".join(self.org_name(o) for o in a.shared_with),
                "evidence": evidence_text(a.evidence),
            })
        return {
            "marking": marking_of(assertions, self.view.marking).value,
            "reported_by": "; ".join(self.org_name(o) for o in who),
            "reported_by_ids": "; ".join(who),
            "sources": "; ".join(sorted({a.source.value for a in assertions})),
            "assertions": str(len(assertions)),
            "first_reported": i2_time(first_reported(assertions, self.view.created_at)),
            "last_reported": i2_time(last_reported(assertions, self.view.created_at)),
        }

    def _entity_row(self, **cells: str | None) -> None:
        row = {c: flat(cells.get(c)) for c in ENTITY_COLUMNS}
        self.ends[row["id"]] = (row["kind"], row["i2_type"], row["label"])
        self.entities.append(row)

    def _link_row(self, **cells: str | None) -> None:
        self.links.append({c: flat(cells.get(c)) for c in LINK_COLUMNS})

    def write_entity(self, entity: ExportEntity) -> None:
        kind = entity.identifier_kind.value if entity.identifier_kind else None
        self._entity_row(
            id=entity.id,
            kind=entity.kind.value,
            i2_type=i2_type(entity.kind.value, kind),
            label=entity.name or entity.value or entity.id,
            name=entity.name,
            region=entity.region,
            status=entity.status,
            identifier_kind=kind,
            value=entity.value,
            confidence=format_confidence(entity.confidence),
            details=property_text(entity.properties),
            evidence=evidence_text(e for a in entity.assertions for e in a.evidence),
            **self._provenance(entity.id, "entity", entity.assertions),
        )

    def write_relation(self, relation: ExportRelation) -> None:
        self._link_row(
            id=relation.id,
            link_type=relation.kind.value,
            link_label=relation.kind.value.replace("_", " ").lower(),
            confidence=format_confidence(relation.confidence),
            from_id=relation.source,
            to_id=relation.target,
            **self._provenance(relation.id, "link", relation.assertions),
        )

    def write_test_buy(self, buy: ExportTestBuy) -> None:
        at = i2_time(buy.ordered_at)
        common = {
            "marking": buy.marking.value,
            "reported_by": self.org_name(buy.reported_by),
            "reported_by_ids": buy.reported_by,
            "sources": "TEST_BUY",
            "first_reported": at,
            "last_reported": at,
        }
        self._entity_row(
            id=buy.id,
            kind="TEST_BUY",
            i2_type=i2_type("TEST_BUY"),
            label=f"Test buy: {buy.result}",
            status=buy.result,
            evidence=evidence_text(buy.evidence),
            **common,
        )
        ends = [("TEST_BUY_OF", buy.listing)]
        if self.known(buy.shipped_from):
            ends.append(("SHIPPED_FROM", str(buy.shipped_from)))
        for kind, target in ends:
            self._link_row(
                id=f"{buy.id}:{kind}",
                link_type=kind,
                link_label=kind.replace("_", " ").lower(),
                from_id=buy.id,
                to_id=target,
                **common,
            )

    def write_outcome(self, outcome: ExportOutcome) -> None:
        node = outcome_id(self.view.case_id, outcome)
        at = i2_time(outcome.at)
        common = {"marking": self.view.marking.value, "first_reported": at,
                  "last_reported": at}
        value = {} if outcome.value is None else {"value": outcome.value}
        self._entity_row(
            id=node,
            kind="OUTCOME",
            i2_type=i2_type("OUTCOME"),
            label=outcome.kind,
            name=outcome.description,
            status=outcome.kind,
            details=property_text(value),
            **common,
        )
        if self.known(outcome.entity):
            self._link_row(
                id=f"{node}:CONCERNS",
                link_type="CONCERNS",
                link_label="concerns",
                from_id=node,
                to_id=outcome.entity,
                **common,
            )

    def finalize(self) -> dict[str, bytes]:
        for row in self.links:  # both ends as the entity file names them
            for end in ("from", "to"):
                # every end is an item of the view (the ``known`` guard above)
                kind, suggested, label = self.ends.get(row[f"{end}_id"], ("", "", row[f"{end}_id"]))
                row.update({f"{end}_kind": kind, f"{end}_i2_type": suggested,
                            f"{end}_label": label})
        return {
            ENTITIES_FILE: _rows_to_csv(ENTITY_COLUMNS, self.entities),
            LINKS_FILE: _rows_to_csv(LINK_COLUMNS, self.links),
            ASSERTIONS_FILE: _rows_to_csv(ASSERTION_COLUMNS, self.assertions),
        }
