"""The rules every NDJSON report line must obey, shared by the fixture and generator tests.

A line is one ``ReportInput`` of the contract (GraphQL field names) plus an
optional ``reportedBy`` org id. The store enforces the same rules; checking them
here keeps the demo network and the synthetic generator importable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from graph_api.model import (
    ALLOWED_ENDPOINTS,
    EntityKind,
    IdentifierKind,
    Marking,
    RelationKind,
    SourceKind,
    normalise_identifier,
)

STATUSES: dict[str, set[str]] = {
    "SELLER": {"ACTIVE", "WARNED", "RESTRICTED", "BANNED"},
    "STOREFRONT": {"OPEN", "RESTRICTED", "CLOSED"},
    "LISTING": {"LIVE", "NOTIFIED", "DELISTED"},
    "FACTORY": {"OPERATING", "RAIDED", "CLOSED"},
    "WAREHOUSE": {"OPERATING", "RAIDED", "CLOSED"},
    "RING": {"SUSPECTED", "UNDER_INVESTIGATION", "DISMANTLED"},
}
REPORT_KEYS = {
    "reportId", "source", "confidence", "marking", "sharedWith", "entities", "relations",
    "evidence", "reportedBy",
}
ENTITY_KEYS = {"id", "kind", "name", "region", "status", "properties", "identifierKind", "value"}
RELATION_KEYS = {"kind", "from", "to", "confidence"}
EVIDENCE_KEYS = {"kind", "description", "sha256", "uri"}


def read_ndjson(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def identifier_key(entity: dict[str, Any]) -> str:
    """The store-wide key of an IDENTIFIER: its kind and normalised value."""
    kind = IdentifierKind(entity["identifierKind"])
    return f"{kind.value}:{normalise_identifier(kind, entity['value'])}"


def report_errors(report: dict[str, Any], org_ids: set[str]) -> list[str]:
    """Every rule the report breaks (empty when it is valid)."""
    errors: list[str] = []
    extra = set(report) - REPORT_KEYS
    if extra:
        errors.append(f"unknown report fields {sorted(extra)}")
    if not isinstance(report.get("reportId"), str) or not report["reportId"]:
        errors.append("reportId missing")
    for key, enum in (("source", SourceKind), ("marking", Marking)):
        if report.get(key) not in {m.value for m in enum}:
            errors.append(f"bad {key} {report.get(key)!r}")
    if not 0.0 <= float(report.get("confidence", -1)) <= 1.0:
        errors.append("report confidence outside 0..1")
    if report.get("reportedBy") is not None and report["reportedBy"] not in org_ids:
        errors.append(f"unknown reportedBy {report['reportedBy']!r}")
    for org in report.get("sharedWith") or []:
        if org not in org_ids:
            errors.append(f"sharedWith names unknown org {org!r}")
    for ev in report.get("evidence") or []:
        if "kind" not in ev or set(ev) - EVIDENCE_KEYS:
            errors.append(f"bad evidence {ev!r}")
    kinds: dict[str, str] = {}
    for ent in report.get("entities", []):
        errors += _entity_errors(ent)
        eid = ent.get("id")
        if eid in kinds and kinds[eid] != ent.get("kind"):
            errors.append(f"{eid} stated with two kinds")
        if isinstance(eid, str):
            kinds[eid] = str(ent.get("kind"))
    for rel in report.get("relations", []):
        errors += _relation_errors(rel, kinds)
    return errors


def _entity_errors(ent: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    eid, kind = ent.get("id"), ent.get("kind")
    if set(ent) - ENTITY_KEYS:
        errors.append(f"{eid}: unknown fields {sorted(set(ent) - ENTITY_KEYS)}")
    if kind not in {k.value for k in EntityKind}:
        return errors + [f"{eid}: bad kind {kind!r}"]
    if not isinstance(eid, str) or not eid:
        errors.append(f"entity without id: {ent!r}")
    if kind == "IDENTIFIER":
        try:
            identifier_key(ent)
        except (KeyError, ValueError) as exc:
            errors.append(f"{eid}: bad identifier ({exc})")
    elif "identifierKind" in ent or "value" in ent:
        errors.append(f"{eid}: identifierKind/value on a {kind}")
    status = ent.get("status")
    if status is not None and status not in STATUSES.get(str(kind), set()):
        errors.append(f"{eid}: status {status!r} not in the {kind} vocabulary")
    if "properties" in ent and not isinstance(ent["properties"], dict):
        errors.append(f"{eid}: properties must be an object")
    return errors


def _relation_errors(rel: dict[str, Any], kinds: dict[str, str]) -> list[str]:
    errors: list[str] = []
    if set(rel) - RELATION_KEYS:
        errors.append(f"relation with unknown fields {rel!r}")
    try:
        rkind = RelationKind(rel.get("kind"))
    except ValueError:
        return [f"bad relation kind {rel.get('kind')!r}"]
    src, dst = rel.get("from"), rel.get("to")
    if src not in kinds or dst not in kinds:
        return [f"{rkind.value} {src}->{dst}: endpoint not restated in the report"]
    allowed_from, allowed_to = ALLOWED_ENDPOINTS[rkind]
    if EntityKind(kinds[src]) not in allowed_from or EntityKind(kinds[dst]) not in allowed_to:
        errors.append(f"{rkind.value} {kinds[src]}->{kinds[dst]} not allowed")
    conf = rel.get("confidence")
    if conf is not None and not 0.0 <= float(conf) <= 1.0:
        errors.append(f"{rkind.value} {src}->{dst}: confidence outside 0..1")
    return errors


def check_lines(reports: Iterable[dict[str, Any]], org_ids: set[str]) -> list[str]:
    """Errors of every line, plus reportId uniqueness per org (``line N: ...``)."""
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for n, report in enumerate(reports, 1):
        errors += [f"line {n}: {e}" for e in report_errors(report, org_ids)]
        key = (str(report.get("reportedBy")), str(report.get("reportId")))
        if key in seen:
            errors.append(f"line {n}: reportId {key[1]} repeated for {key[0]}")
        seen.add(key)
    return errors


def store_key(report: dict[str, Any]) -> dict[str, str]:
    """Report-local id -> store-wide id (identifier handles become kind:value keys)."""
    return {
        e["id"]: identifier_key(e) if e["kind"] == "IDENTIFIER" else e["id"]
        for e in report["entities"]
    }


def merged(
    reports: Iterable[dict[str, Any]],
) -> tuple[dict[str, str], dict[tuple[str, str, str], list[tuple[str, str, float]]]]:
    """Entities (store id -> kind) and relations -> [(org, marking, confidence)], as stored."""
    entities: dict[str, str] = {}
    relations: dict[tuple[str, str, str], list[tuple[str, str, float]]] = {}
    for report in reports:
        ids = store_key(report)
        for e in report["entities"]:
            entities[ids[e["id"]]] = e["kind"]
        for r in report["relations"]:
            key = (ids[r["from"]], r["kind"], ids[r["to"]])
            conf = float(r.get("confidence", report["confidence"]))
            relations.setdefault(key, []).append(
                (str(report.get("reportedBy")), report["marking"], conf)
            )
    return entities, relations


def visible_to(report: dict[str, Any], org: str, org_type: str) -> bool:
    """Whether a report's assertions are visible to a caller of ``org`` (DESIGN.md markings)."""
    marking = report["marking"]
    if marking in ("CLEAR", "GREEN"):
        return True
    if report.get("reportedBy") == org or org in (report.get("sharedWith") or []):
        return True
    if marking == "AMBER":
        return org_type in ("PLATFORM", "REGULATOR")
    if marking == "AMBER_STRICT":
        return org_type == "PLATFORM"
    return False
