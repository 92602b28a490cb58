"""The write collection: a member's STIX objects become reports of its org.

Each SDO or relationship of an envelope becomes one report (``reportId`` derived
from the object's id and version, so posting the same version again changes
nothing: idempotent by id and version; another content under a version already
taken is refused), submitted through ``Services.submit_report`` like any report
(so the workflows react: alerts, per-org ledgers). Mapping:

- ``object_marking_refs``: exactly one TLP marking (2.0, or 1.0 with WHITE as
  CLEAR) -> the report's marking; ``confidence`` 0-100 -> 0..1 (0.5 when absent);
- ``created_by_ref`` must be the caller's org identity (``identity--`` of its org);
- ``threat-actor`` and ``identity`` -> SELLER, ``intrusion-set`` -> RING,
  ``infrastructure`` -> STOREFRONT, ``location`` -> WAREHOUSE, ``x-graph-api-<kind>``
  -> that kind; graph_api's property extension (``kind``, ``status``, ``source``...)
  refines it (an ``identity`` of kind BRAND, an ``infrastructure`` LISTING...);
- ``relationship`` -> the relation its ends' kinds allow (graph_api's ``kind`` when
  given); its ends are objects of the envelope or objects the caller can read;
- marking- and extension-definitions of this mapping, and the caller's own
  identity, are accepted as they are and write nothing.

All or nothing per envelope: every object is checked first, and when one fails
none is written; the status resource lists each object's outcome. A storage
failure half-way is reported in the status, and posting the envelope again
completes it (what was written replays).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph_api.access import Action, Scope
from graph_api.errors import GraphAPIError
from graph_api.export.common import stable_uuid
from graph_api.export.stix_mapping import (
    CUSTOM_TYPES,
    OBJECTS_EXTENSION_ID,
    PROPERTIES_EXTENSION_ID,
    TLP2_MARKING_IDS,
    identity_id,
)
from graph_api.model import (
    ALLOWED_ENDPOINTS,
    EntityKind,
    IdentifierKind,
    Marking,
    RelationKind,
    SourceKind,
    normalise_identifier,
    pseudonym,
)
from graph_api.services import Services
from graph_api.taxii.feed import Feeds, stamp
from graph_api.workflow.runtime import workflow_for

__all__ = ["STATUS", "Submitter"]

STATUS = "taxii-status"
TLP1_MARKING_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Marking.CLEAR,  # WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Marking.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Marking.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Marking.RED,
}
MARKINGS = {**{v: k for k, v in TLP2_MARKING_IDS.items()}, **TLP1_MARKING_IDS}
_BY_TYPE = {"threat-actor": EntityKind.SELLER, "identity": EntityKind.SELLER,
            "intrusion-set": EntityKind.RING, "infrastructure": EntityKind.STOREFRONT,
            "location": EntityKind.WAREHOUSE}
_BY_TYPE.update({t: k for k, t in CUSTOM_TYPES.items()})
_REFINES = {"identity": {EntityKind.SELLER, EntityKind.BRAND},
            "infrastructure": {EntityKind.STOREFRONT, EntityKind.LISTING, EntityKind.WAREHOUSE,
                               EntityKind.FACTORY},
            "location": {EntityKind.WAREHOUSE, EntityKind.FACTORY}}
_OURS = {OBJECTS_EXTENSION_ID, PROPERTIES_EXTENSION_ID}


class Refused(Exception):
    """One object that cannot be written, and why."""


@dataclass
class Item:
    obj: dict[str, Any]
    report: dict[str, Any] | None  # None: accepted as it is, nothing to write


def _details(obj: Mapping[str, Any]) -> dict[str, Any]:
    """graph_api's own properties of an object: top-level on x-graph-api-* types, else in
    the property extension."""
    ext = obj.get("extensions", {}).get(PROPERTIES_EXTENSION_ID)
    return dict(ext) if isinstance(ext, dict) else dict(obj)


class Submitter:
    def __init__(self, services: Services, feeds: Feeds) -> None:
        self.services = services
        self.feeds = feeds

    # -- the status resource ------------------------------------------------------
    def status(self, scope: Scope, status_id: str) -> dict[str, Any] | None:
        """A status the caller's org made; None for any other, as for none."""
        record = workflow_for(self.services).records.get(STATUS, status_id)
        if record is None or record.doc["org"] != scope.org_id:
            return None
        return {k: v for k, v in record.doc.items() if k != "org"}

    def accept(self, scope: Scope, objects: list[Any]) -> dict[str, Any]:
        """Check every object, write all or none, and keep the status."""
        now = self.services.clock()
        items: list[Item | Refused] = []
        known: dict[str, tuple[str, EntityKind]] = {}  # stix id -> entity of this envelope
        if not scope.can(Action.REPORT):
            items = [Refused(f"role {scope.role!r} may not report")] * len(objects)
        else:
            for obj in objects:
                try:
                    items.append(self._entity_item(scope, obj, known))
                except Refused as why:
                    items.append(why)
            for i, obj in enumerate(objects):
                if isinstance(obj, dict) and obj.get("type") == "relationship" \
                        and not isinstance(items[i], Refused):
                    try:
                        items[i] = self._relation_item(scope, obj, known)
                    except Refused as why:
                        items[i] = why
        failed = any(isinstance(i, Refused) for i in items)
        successes, failures = [], []
        for obj, item in zip(objects, items, strict=True):
            row = _row(obj)
            if isinstance(item, Refused):
                failures.append({**row, "message": str(item)})
            elif failed:
                failures.append({**row, "message": "not written: another object of the "
                                                    "envelope was refused (all or nothing)"})
            elif item.report is None:
                successes.append({**row, "message": "accepted; nothing to write"})
            else:
                try:
                    result = self.services.submit_report(scope, item.report)
                except GraphAPIError as exc:
                    failures.append({**row, "message": f"{exc.code}: {exc.message}"})
                    continue
                said = "written" if result.created else "already written (same id and version)"
                successes.append({**row, "message": f"{said}: report {result.report_id}"})
        status_id, requested = str(uuid.uuid4()), stamp(now)
        doc: dict[str, Any] = {
            "id": status_id, "status": "complete", "request_timestamp": requested,
            "total_count": len(objects), "success_count": len(successes), "successes": successes,
            "failure_count": len(failures), "failures": failures, "pending_count": 0,
            "pendings": [], "org": scope.org_id,
        }
        workflow_for(self.services).records.put(STATUS, status_id, doc, sort=requested,
                                                terms=(f"org:{scope.org_id}",), expect=0)
        return {k: v for k, v in doc.items() if k != "org"}

    # -- mapping ---------------------------------------------------------------------
    def _common(self, scope: Scope, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("created_by_ref") != identity_id(scope.org_id):
            raise Refused(f"created_by_ref must be your org's identity "
                          f"{identity_id(scope.org_id)}")
        markings = [MARKINGS[m] for m in obj.get("object_marking_refs") or () if m in MARKINGS]
        if len(markings) != 1:
            raise Refused("object_marking_refs: exactly one TLP marking-definition")
        version = obj.get("modified") or obj.get("created")
        if not isinstance(version, str):
            raise Refused("modified (or created): the object's version is required")
        details = _details(obj)
        confidence = obj.get("confidence", 50)
        if isinstance(confidence, bool) or not isinstance(confidence, int | float) \
                or not 0 <= confidence <= 100:
            raise Refused("confidence: 0 to 100")
        source = details.get("source", SourceKind.OSINT.value)
        if source not in SourceKind.__members__:
            raise Refused(f"source: one of {', '.join(SourceKind.__members__)}")
        raw: dict[str, Any] = {
            "reportId": "stix-" + stable_uuid("taxii", str(obj.get("id")), version).hex,
            "source": source, "confidence": confidence / 100, "marking": markings[0].value,
        }
        if details.get("shared_with"):
            raw["sharedWith"] = details["shared_with"]
        return raw

    def _entity_item(self, scope: Scope, obj: Any, known: dict[str, tuple[str, EntityKind]]
                     ) -> Item:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise Refused("not a STIX object (an id is required)")
        kind_name, sid = obj.get("type"), obj["id"]
        if kind_name == "marking-definition":
            if sid not in MARKINGS:
                raise Refused("only the TLP marking-definitions are known here")
            return Item(obj, None)
        if kind_name == "extension-definition":
            if sid not in _OURS:
                raise Refused("unknown extension-definition")
            return Item(obj, None)
        if kind_name == "identity" and sid == identity_id(scope.org_id):
            return Item(obj, None)
        if kind_name == "relationship":
            return Item(obj, None)  # checked once every entity of the envelope is known
        kind = _BY_TYPE.get(str(kind_name))
        if kind is None:
            raise Refused(f"type {kind_name!r} is not accepted here")
        details = _details(obj)
        named = details.get("kind")
        if named is not None and named in _REFINES.get(str(kind_name), ()):
            kind = EntityKind(named)
        raw = self._common(scope, obj)
        entity: dict[str, Any] = {"kind": kind.value, "name": obj.get("name")}
        entity["region"] = details.get("region") or obj.get("region") or obj.get("country")
        entity["status"] = details.get("status")
        properties = details.get("properties")
        entity["properties"] = {**(properties if isinstance(properties, dict) else {}),
                                "stix_id": sid}
        if kind is EntityKind.IDENTIFIER:
            entity["identifierKind"] = details.get("identifier_kind")
            entity["value"] = details.get("value")
            try:
                ident = IdentifierKind(entity["identifierKind"])
                eid = pseudonym(self.services.secret, ident,
                                normalise_identifier(ident, str(entity["value"])))
            except (ValueError, TypeError) as exc:
                raise Refused(f"an identifier needs identifier_kind and value ({exc})") from None
        else:
            given = details.get("graph_api_id")
            eid = given if isinstance(given, str) else sid
        entity["id"] = eid
        seen = self.feeds.of(self.services.store, scope).kinds.get(eid)
        if seen is not None and seen is not kind:
            raise Refused(f"{sid} is a {seen.value} here, not a {kind.value}")
        known[sid] = (eid, kind)
        return Item(obj, {**raw, "entities": [entity], "relations": []})

    def _relation_item(self, scope: Scope, obj: dict[str, Any],
                       known: dict[str, tuple[str, EntityKind]]) -> Item:
        raw = self._common(scope, obj)
        feed = self.feeds.of(self.services.store, scope)
        ends = []
        for side in ("source_ref", "target_ref"):
            ref = obj.get(side)
            end = known.get(ref) if isinstance(ref, str) else None
            entry = feed.at(ref) if end is None and isinstance(ref, str) else None
            if entry is not None and entry.ref[0] == "e":
                end = (entry.ref[1], feed.kinds[entry.ref[1]])
            if end is None:
                raise Refused(f"{side}: no object {ref!r} in the envelope or visible to you")
            ends.append(end)
        (source, source_kind), (target, target_kind) = ends
        named = _details(obj).get("kind")
        fits = [k for k, (froms, tos) in ALLOWED_ENDPOINTS.items()
                if source_kind in froms and target_kind in tos]
        if named in RelationKind.__members__:
            fits = [k for k in fits if k.value == named]
        if not fits:
            raise Refused(f"no relation joins a {source_kind.value} to a {target_kind.value}")
        relation = {"kind": fits[0].value, "from": source, "to": target}
        return Item(obj, {**raw, "entities": [], "relations": [relation]})


def _row(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        return {"id": ""}
    row = {"id": str(obj.get("id", ""))}
    version = obj.get("modified") or obj.get("created")
    if isinstance(version, str):
        row["version"] = version
    return row
