"""STIX 2.1 bundle of a case (format STIX21 -> ``bundle.stix.json``).

Entities, relations, orgs and markings are mapped by ``export.stix_mapping``, the
one mapping the TAXII collections use too. What only a case has:

- test buys -> ``observed-data`` over a parcel observable, related to the listing
  (and warehouse); outcomes (raids, arrests...) -> ``note``;
- evidence files -> ``observed-data`` over a ``file`` (name, size, media type, SHA-256),
  related to its test buy; each custody event -> a ``note`` on it;
- the case -> a ``grouping`` referencing every other object.

Ids are uuid5 over canonical keys with the version bits set to 4 (the OASIS
validator accepts only v4), so the same case exported twice has the same ids.
"""

from __future__ import annotations

from typing import Any

import orjson
import stix2

from graph_api.export.common import Writer, evidence_record, stix_uuid
from graph_api.export.stix_mapping import (
    OBJECTS_EXTENSION_ID,
    PARCEL_TYPE,
    PROPERTIES_EXTENSION_ID,
    TLP2_EXTENSION_ID,
    TLP2_MARKING_IDS,
    TestBuyObservable,
    definition_objects,
    entity_object,
    external_references,
    identity_id,
    marking_definition,
    org_identity,
    plain,
    property_extension,
    relation_object,
    stix_id,
)
from graph_api.export.view import (
    CaseView,
    ExportEntity,
    ExportEvidence,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
    highest_marking,
    iso,
    iter_items,
    marking_of,
    reporters,
)
from graph_api.model import EntityKind, Marking, Org

__all__ = [
    "OBJECTS_EXTENSION_ID",
    "PROPERTIES_EXTENSION_ID",
    "STIX_FILE",
    "TLP2_EXTENSION_ID",
    "TLP2_MARKING_IDS",
    "StixWriter",
    "case_objects",
    "stix_id",
]

STIX_FILE = "bundle.stix.json"


class StixWriter(Writer):
    format = "STIX21"

    def __init__(self, view: CaseView) -> None:
        super().__init__(view)
        self._objects: list[Any] = []  # stix2 objects, or dicts in their exact shape
        self._markings: set[Marking] = {Marking.CLEAR, view.marking}
        self._orgs: dict[str, Org] = {view.opened_by.id: view.opened_by}
        self._kinds: dict[str, EntityKind] = {e.id: e.kind for e in view.entities}
        self._test_buys: set[str] = set()  # written: evidence on them relates to them
        self._files: set[str] = set()  # file observables written

    # -- helpers ---------------------------------------------------------
    def _identity_ref(self, org_id: str) -> str | None:
        org = self.view.orgs.get(org_id)
        if org is None:
            return None
        self._orgs[org.id] = org
        return identity_id(org.id)

    def _named(self, assertions: Any) -> None:
        """The markings and reporting orgs an entity or relation brings into the bundle."""
        self._markings.add(marking_of(assertions, self.view.marking))
        for org_id in reporters(assertions):
            self._identity_ref(org_id)

    # -- items -------------------------------------------------------------
    def write_entity(self, entity: ExportEntity) -> None:
        self._named(entity.assertions)
        self._objects.append(entity_object(entity, self.view.marking, self.view.created_at))

    def write_relation(self, relation: ExportRelation) -> None:
        self._named(relation.assertions)
        self._objects.append(relation_object(
            relation, self._kinds[relation.source], self._kinds[relation.target],
            self.view.marking, self.view.created_at,
        ))

    def write_test_buy(self, buy: ExportTestBuy) -> None:
        self._markings.add(buy.marking)
        marking = [TLP2_MARKING_IDS[buy.marking]]
        shipped_from = buy.shipped_from if self.known(buy.shipped_from) else None
        parcel = TestBuyObservable(
            id=f"{PARCEL_TYPE}--" + stix_uuid("stix", "test-buy-parcel", buy.id),
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
        self._test_buys.add(buy.id)
        fields: dict[str, Any] = {
            "id": observed_id,
            "created": buy.ordered_at,
            "modified": buy.ordered_at,
            "first_observed": buy.ordered_at,
            "last_observed": buy.ordered_at,
            "number_observed": 1,
            "object_refs": [parcel.id],
            "object_marking_refs": marking,
            "extensions": property_extension(details),
        }
        creator = self._identity_ref(buy.reported_by)
        if creator:
            fields["created_by_ref"] = creator
        if buy.evidence:
            fields["external_references"] = external_references(list(buy.evidence))
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
                    target_ref=stix_id(self._kinds[entity_id], entity_id),
                    extensions=property_extension({"kind": kind, "graph_api_id": buy.id}),
                    allow_custom=True,
                    **rel_fields,
                )
            )

    def write_outcome(self, outcome: ExportOutcome) -> None:
        key = (iso(outcome.at), outcome.kind, outcome.entity or "", outcome.description)
        known = self.known(outcome.entity)
        about = [stix_id(self._kinds[str(outcome.entity)], str(outcome.entity))] if known \
            else [self._grouping_id]
        details: dict[str, Any] = {"kind": outcome.kind, "occurred_at": iso(outcome.at)}
        if known:
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
                or identity_id(self.view.exporter.id),
                object_marking_refs=[TLP2_MARKING_IDS[self.view.marking]],
                extensions=property_extension(details),
                allow_custom=True,
            )
        )
        self._orgs[self.view.exporter.id] = self.view.exporter

    def write_evidence(self, evidence: ExportEvidence) -> None:
        self._markings.add(evidence.marking)
        marking = [TLP2_MARKING_IDS[evidence.marking]]
        # a standard observable: its id is the UUIDv5 STIX derives from its hashes and name
        file = stix2.v21.File(
            name=evidence.name, size=evidence.bytes, mime_type=evidence.media_type,
            hashes={"SHA-256": evidence.sha256}, object_marking_refs=marking,
        )
        details: dict[str, Any] = {
            "graph_api_id": evidence.id, "kind": "EVIDENCE", "attached_to": evidence.attached_to,
            "attached_kind": evidence.target_kind, "description": evidence.description,
            "attached_by": evidence.attached_by, "reported_by": [evidence.org],
            "chain_verified": evidence.chain_verified,
        }
        last = max([evidence.attached_at, *(c.at for c in evidence.custody)])
        observed_id = "observed-data--" + stix_uuid("stix", "evidence", evidence.id)
        fields: dict[str, Any] = {
            "id": observed_id, "created": evidence.attached_at, "modified": last,
            "first_observed": evidence.attached_at, "last_observed": evidence.attached_at,
            "number_observed": 1, "object_refs": [file.id], "object_marking_refs": marking,
            "extensions": property_extension(details),
        }
        creator = self._identity_ref(evidence.org)
        if creator:
            fields["created_by_ref"] = creator
        if file.id not in self._files:  # the same bytes and name: one observable
            self._files.add(file.id)
            self._objects.append(file)
        self._objects.append(stix2.v21.ObservedData(allow_custom=True, **fields))
        if evidence.attached_to in self._test_buys:
            self._objects.append(stix2.v21.Relationship(
                id="relationship--" + stix_uuid("stix", "evidence", evidence.id, "of"),
                relationship_type="related-to", description="EVIDENCE of TEST_BUY",
                source_ref=observed_id,
                target_ref="observed-data--" + stix_uuid("stix", "test-buy",
                                                         evidence.attached_to),
                created=evidence.attached_at, modified=evidence.attached_at,
                object_marking_refs=marking, allow_custom=True,
                extensions=property_extension({"kind": "EVIDENCE_OF",
                                               "graph_api_id": evidence.id}),
                **({"created_by_ref": creator} if creator else {}),
            ))
        for n, event in enumerate(evidence.custody):
            text = f"{event.action}: held by {event.holder} at {event.location}"
            note: dict[str, Any] = {
                "id": "note--" + stix_uuid("stix", "custody", evidence.id, str(n)),
                "created": event.at, "modified": event.at, "abstract": event.action,
                "content": text + (f". {event.note}" if event.note else ""),
                "object_refs": [observed_id], "object_marking_refs": marking,
                "extensions": property_extension({
                    "kind": "CUSTODY", "graph_api_id": evidence.id, "action": event.action,
                    "occurred_at": iso(event.at), "holder": event.holder,
                    "location": event.location, "note": event.note,
                    "recorded_by": event.recorded_by, "sha256": evidence.sha256}),
            }
            recorder = self._identity_ref(event.org)
            if recorder:
                note["created_by_ref"] = recorder
            self._objects.append(stix2.v21.Note(allow_custom=True, **note))

    @property
    def _grouping_id(self) -> str:
        return "grouping--" + stix_uuid("stix", "case", self.view.case_id)

    # -- the bundle ----------------------------------------------------------
    def objects(self) -> list[dict[str, Any]]:
        """Every object of the bundle, the marking-definitions first, the grouping last."""
        view = self.view
        identities = [org_identity(org) for org in sorted(self._orgs.values(), key=lambda o: o.id)]
        content = [*definition_objects(), *identities, *map(plain, self._objects)]
        grouping = stix2.v21.Grouping(
            id=self._grouping_id,
            created=view.opened_at,
            modified=max(view.opened_at, view.created_at),
            created_by_ref=identity_id(view.opened_by.id),
            name=view.title,
            context="suspicious-activity",
            object_refs=[o["id"] for o in content],
            object_marking_refs=[TLP2_MARKING_IDS[highest_marking(view)]],
            extensions=property_extension(
                {
                    "graph_api_id": view.case_id,
                    "kind": "CASE",
                    "status": view.status,
                    "case_marking": view.marking.value,
                    "max_marking": view.max_marking.value if view.max_marking else None,
                    "exporter": view.exporter.id,
                    "exporter_principal": view.exporter_principal,
                    "recipient": view.recipient,
                    "exported_at": iso(view.created_at),
                }
            ),
            allow_custom=True,
        )
        self._markings.add(highest_marking(view))
        markings = [marking_definition(m) for m in Marking if m in self._markings]
        return [*markings, *content, plain(grouping)]

    def finalize(self) -> dict[str, bytes]:
        view = self.view
        bundle_id = "bundle--" + stix_uuid("stix", "bundle", view.case_id, iso(view.created_at))
        # orjson.dumps of the whole bundle, written an object at a time: one call for a
        # 4,000-entity case held the GIL for up to 1.2 s (packages are written on a
        # thread beside the request loop: graph_api.offload); the bytes are the same.
        head = orjson.dumps({"type": "bundle", "id": bundle_id, "objects": []})[:-2]
        objects = b",".join(orjson.dumps(o) for o in self.objects())
        return {STIX_FILE: head + objects + b"]}"}


def case_objects(view: CaseView) -> list[dict[str, Any]]:
    """The objects of the case's bundle, as a TAXII case collection serves them."""
    writer = StixWriter(view)
    for item in iter_items(view):
        writer.write(item)
    return writer.objects()
