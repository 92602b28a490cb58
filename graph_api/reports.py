"""Turning a submitted ``ReportInput`` into a validated ``Report``.

Everything that can be checked without the store is checked here, so that a
rejected report never reaches a transaction. Errors name the offending field
(``entities[2].kind``) in ``BadUserInput.field``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import orjson

from graph_api.errors import BadUserInput, LimitExceeded
from graph_api.model import (
    ALLOWED_ENDPOINTS,
    EntityKind,
    Evidence,
    IdentifierKind,
    Marking,
    RelationKind,
    Report,
    ReportedEntity,
    ReportedRelation,
    SourceKind,
    normalise_identifier,
    pseudonym,
)

__all__ = [
    "MAX_REPORT_ITEMS",
    "canonical_digest",
    "check_against_view",
    "mentioned_ids",
    "parse_report",
    "validate_endpoints",
]

MAX_REPORT_ITEMS = 50_000
MAX_STRING = 10_000
MAX_PROPERTIES_BYTES = 64_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _strip(value: Any) -> Any:
    """Drop nulls and empty lists/objects, so absent and null compare equal."""
    kind = type(value)
    if kind is dict:
        for v in value.values():
            if v is None or type(v) is dict or type(v) is list:
                break
        else:
            return value  # nothing to drop (most items): no copy
        out = {}
        for k, v in value.items():
            if v is None:
                continue
            t = type(v)
            if t is dict or t is list:
                v = _strip(v)
                if not v:
                    continue
            out[k] = v
        return out
    if kind is list:
        return [_strip(v) if type(v) in (dict, list) else v for v in value]
    return value


def canonical_digest(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the input with sorted keys: equal content, equal digest.

    >>> canonical_digest({"a": 1, "b": None}) == canonical_digest({"a": 1})
    True
    """
    data = _strip({k: v for k, v in raw.items() if k not in ("reportId", "reportedBy")})
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


_MEMBERS: dict[type[Any], dict[str, Any]] = {
    cls: {member.value: member for member in cls}
    for cls in (EntityKind, IdentifierKind, Marking, RelationKind, SourceKind)
}


def _enum(cls: type[Any], value: Any, field: str) -> Any:
    member = _MEMBERS[cls].get(value) if type(value) is str else None
    if member is not None:
        return member
    if isinstance(value, cls):
        return value
    names = ", ".join(m.value for m in cls)
    raise BadUserInput(f"{field}: {value!r} is not one of {names}", field=field)


# The ``_at`` readers take an item and a key, and name the field (``entities[3].kind``)
# only when it is wrong: a bulk import reads millions of good fields.
def _enum_at(cls: type[Any], item: dict[str, Any], key: str, at: str) -> Any:
    value = item.get(key)
    member = _MEMBERS[cls].get(value) if type(value) is str else None
    return member if member is not None else _enum(cls, value, f"{at}.{key}")


def _text_at(item: dict[str, Any], key: str, at: str) -> str | None:
    value = item.get(key)
    if value is None or (type(value) is str and len(value) <= MAX_STRING):
        return value
    return _text(value, f"{at}.{key}")


def _id_at(item: dict[str, Any], key: str, at: str) -> str:
    value = item.get(key)
    if type(value) is str and _ID.match(value):
        return value
    return _check_id(value, f"{at}.{key}")


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise BadUserInput(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise BadUserInput(f"{field} must be a string", field=field)
    if len(value) > MAX_STRING:
        raise LimitExceeded(f"{field} is longer than {MAX_STRING} characters", field=field)
    if required and not value.strip():
        raise BadUserInput(f"{field} must not be empty", field=field)
    return value


def _confidence(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadUserInput(f"{field} must be a number from 0 to 1", field=field)
    c = float(value)
    if not 0.0 <= c <= 1.0:
        raise BadUserInput(f"{field} must be from 0 to 1, got {value}", field=field)
    return c


def _list(value: Any, field: str, *, required: bool = False) -> list[Any]:
    if value is None:
        if required:
            raise BadUserInput(f"{field} is required", field=field)
        return []
    if not isinstance(value, list):
        raise BadUserInput(f"{field} must be a list", field=field)
    if len(value) > MAX_REPORT_ITEMS:
        raise LimitExceeded(f"{field} has more than {MAX_REPORT_ITEMS} items", field=field)
    return value


def _check_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise BadUserInput(
            f"{field}: ids are 1-200 characters of letters, digits and _ . : - "
            f"starting with a letter or digit",
            field=field,
        )
    return value


def parse_evidence(items: list[Any], field: str, id_prefix: str) -> tuple[Evidence, ...]:
    out = []
    for i, item in enumerate(items):
        f = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise BadUserInput(f"{f} must be an object", field=f)
        sha = _text(item.get("sha256"), f"{f}.sha256")
        if sha is not None and not _SHA256.match(sha.lower()):
            raise BadUserInput(f"{f}.sha256 must be 64 hex digits", field=f"{f}.sha256")
        out.append(
            Evidence(
                id=f"{id_prefix}-ev{i}",
                kind=_text(item.get("kind"), f"{f}.kind", required=True) or "",
                description=_text(item.get("description"), f"{f}.description"),
                sha256=sha.lower() if sha else None,
                uri=_text(item.get("uri"), f"{f}.uri"),
            )
        )
    return tuple(out)


def _properties(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if type(value) is not dict and not isinstance(value, Mapping):
        raise BadUserInput(f"{field} must be a JSON object", field=field)
    try:
        encoded = orjson.dumps(value)
    except TypeError as exc:
        raise BadUserInput(f"{field}: {exc}", field=field) from None
    if len(encoded) > MAX_PROPERTIES_BYTES:
        raise LimitExceeded(f"{field} is over {MAX_PROPERTIES_BYTES} bytes", field=field)
    return dict(value)


def _entity(item: Any, f: str, secret: bytes, handles: dict[str, str]) -> ReportedEntity:
    if not isinstance(item, dict):
        raise BadUserInput(f"{f} must be an object", field=f)
    kind = _enum_at(EntityKind, item, "kind", f)
    given = None if item.get("id") is None else _id_at(item, "id", f)
    ident_kind: IdentifierKind | None = None
    value: str | None = None
    if kind is EntityKind.IDENTIFIER:
        ident_kind = _enum_at(IdentifierKind, item, "identifierKind", f)
        raw_value = _text(item.get("value"), f"{f}.value", required=True) or ""
        try:
            value = normalise_identifier(ident_kind, raw_value)
        except ValueError as exc:
            raise BadUserInput(f"{f}.value: {exc}", field=f"{f}.value") from None
        entity_id = pseudonym(secret, ident_kind, value)
    else:
        for extra in ("identifierKind", "value"):
            if item.get(extra) is not None:
                raise BadUserInput(
                    f"{f}.{extra} is for IDENTIFIER entities only", field=f"{f}.{extra}"
                )
        entity_id = given or f"{kind.value.lower()}-{uuid.uuid4().hex[:20]}"
    handle = given or entity_id
    if handle in handles:
        raise BadUserInput(f"{f}.id {handle!r} appears twice in the report", field=f"{f}.id")
    handles[handle] = entity_id
    properties = item.get("properties")
    return ReportedEntity(
        entity_id,
        kind,
        _text_at(item, "name", f),
        _text_at(item, "region", f),
        _text_at(item, "status", f),
        {} if properties is None else _properties(properties, f"{f}.properties"),
        ident_kind,
        value,
    )


def parse_report(
    raw: Mapping[str, Any],
    *,
    org_id: str,
    principal_id: str,
    secret: bytes,
    now: datetime,
    known_orgs: Collection[str],
) -> Report:
    """Validate a ``ReportInput`` (GraphQL field names) completely.

    Relation endpoints are resolved against the report's own entities here;
    ids that are not in the report are kept as given for the store to check
    against what the reporter may see.
    """
    if not isinstance(raw, Mapping):
        raise BadUserInput("a report must be a JSON object", field="input")
    report_id = raw.get("reportId")
    if report_id is not None:
        report_id = _check_id(report_id, "reportId")
    else:
        report_id = f"rep-{uuid.uuid4().hex}"
    source = _enum(SourceKind, raw.get("source"), "source")
    confidence = _confidence(raw.get("confidence"), "confidence")
    marking = _enum(Marking, raw.get("marking"), "marking")
    shared = []
    for i, org in enumerate(_list(raw.get("sharedWith"), "sharedWith")):
        if not isinstance(org, str) or org not in known_orgs:
            raise BadUserInput(f"sharedWith[{i}]: no org {org!r}", field=f"sharedWith[{i}]")
        if org != org_id and org not in shared:
            shared.append(org)
    handles: dict[str, str] = {}
    entities = tuple(
        _entity(item, f"entities[{i}]", secret, handles)
        for i, item in enumerate(_list(raw.get("entities"), "entities", required=True))
    )
    by_id = {e.id: e for e in entities}
    if len(by_id) != len(entities):
        raise BadUserInput("two entities of the report resolve to one id", field="entities")
    relations = []
    seen: set[tuple[str, RelationKind, str]] = set()
    for i, item in enumerate(_list(raw.get("relations"), "relations", required=True)):
        f = f"relations[{i}]"
        if not isinstance(item, dict):
            raise BadUserInput(f"{f} must be an object", field=f)
        kind = _enum_at(RelationKind, item, "kind", f)
        start, end = item.get("from"), item.get("to")  # an entity of the report, or an id
        start = handles.get(start) if type(start) is str else None
        if start is None:
            start = _id_at(item, "from", f)
        end = handles.get(end) if type(end) is str else None
        if end is None:
            end = _id_at(item, "to", f)
        c = item.get("confidence")
        if c is None:
            c = confidence
        elif type(c) is not float or not 0.0 <= c <= 1.0:
            c = _confidence(c, f"{f}.confidence")
        key = (start, kind, end)
        if key in seen:
            raise BadUserInput(f"{f} repeats a relation of the report", field=f)
        seen.add(key)
        relations.append(ReportedRelation(kind, start, end, c))
    if not entities and not relations:
        raise BadUserInput("a report must state at least one entity or relation", field="entities")
    local_kinds = {e.id: e.kind for e in entities}
    validate_endpoints(relations, local_kinds.get)
    return Report(
        id=report_id,
        org_id=org_id,
        principal_id=principal_id,
        received_at=now,
        source=source,
        confidence=confidence,
        marking=marking,
        shared_with=tuple(sorted(shared)),
        entities=entities,
        relations=tuple(relations),
        evidence=parse_evidence(_list(raw.get("evidence"), "evidence"), "evidence", report_id),
        digest=canonical_digest(raw),
    )


def validate_endpoints(
    relations: list[ReportedRelation] | tuple[ReportedRelation, ...],
    kind_of: Any,
) -> None:
    """Check each relation's ends against ALLOWED_ENDPOINTS where ``kind_of`` knows them.

    ``kind_of(id)`` returns the entity kind or None when unknown (left to the store).
    """
    for i, rel in enumerate(relations):
        sources, targets = ALLOWED_ENDPOINTS[rel.kind]
        for end, ref, allowed in (("from", rel.source, sources), ("to", rel.target, targets)):
            kind = kind_of(ref)
            if kind is not None and kind not in allowed:
                names = ", ".join(sorted(k.value for k in allowed))
                raise BadUserInput(
                    f"relations[{i}].{end}: a {rel.kind.value} relation joins {names} "
                    f"here, not {kind.value}",
                    field=f"relations[{i}].{end}",
                )


def mentioned_ids(report: Report) -> list[str]:
    """Every entity id a report names: its entities, then its relations' ends."""
    ids = [e.id for e in report.entities]
    ids += [ref for rel in report.relations for ref in (rel.source, rel.target)]
    return list(dict.fromkeys(ids))


def check_against_view(report: Report, seen: Mapping[str, EntityKind]) -> None:
    """Check a report against the kinds its reporter already sees (``seen``).

    An entity of the report may not contradict a kind the reporter sees; a
    relation end outside the report must be an entity the reporter sees. What
    the reporter cannot see never matters, so an error reveals nothing hidden.
    """
    for i, entity in enumerate(report.entities):
        kind = seen.get(entity.id)
        if kind is not None and kind is not entity.kind:
            raise BadUserInput(
                f"entities[{i}].kind: {entity.id!r} is a {kind.value}, not {entity.kind.value}",
                field=f"entities[{i}].kind",
            )
    kinds: dict[str, EntityKind | None] = {e.id: e.kind for e in report.entities}
    borrowed = False  # an end's kind taken from the view: parse_report checked the others
    for i, rel in enumerate(report.relations):
        for end, ref in (("from", rel.source), ("to", rel.target)):
            if ref in kinds:
                continue
            if ref not in seen:
                raise BadUserInput(
                    f"relations[{i}].{end}: no entity {ref!r} in the report or visible to you",
                    field=f"relations[{i}].{end}",
                )
            kinds[ref] = seen[ref]
            borrowed = True
    if borrowed:
        validate_endpoints(report.relations, kinds.get)
