"""FollowTheMoney entities of a case (format FTM_JSONL -> ``entities.ftm.json``).

One entity per line, valid under followthemoney's model. Mapping:

- SELLER -> LegalEntity (person or company unknown), STOREFRONT -> UserAccount
  (owned by the seller that operates it), LISTING -> Asset (goods offered),
  WAREHOUSE / FACTORY -> Company, RING -> Organization, BRAND -> Organization;
- identifiers: BANK_ACCOUNT / PAYMENT_ACCOUNT -> BankAccount, ADDRESS -> Address
  (the users' ``addressEntity``); a visible PHONE / EMAIL becomes the ``phone``
  / ``email`` of every entity that USES it; a hidden PHONE / EMAIL and every
  DEVICE, IP, ID_DOCUMENT, IMAGE_HASH -> Note attached to its users (so the
  pseudonymous id still shows what they share, never a hidden value);
- relations: OPERATES a warehouse/factory -> Directorship; MEMBER_OF ->
  Membership; a LegalEntity USES a bank account -> Ownership; every other
  relation -> UnknownLink with the relation kind as ``role``;
- test buys and outcomes -> Event, tied to their entities by UnknownLink.

Region becomes ``address`` where the schema has one; kind, marking and
confidence go into ``keywords`` / ``notes``; free properties into ``description``
as JSON; reporting orgs into ``publisher``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graph_api.export.common import Writer, dumps, evidence_record, format_confidence, outcome_id
from graph_api.export.view import (
    CaseView,
    ExportEntity,
    ExportOutcome,
    ExportRelation,
    ExportTestBuy,
    first_reported,
    last_reported,
    marking_of,
    reporters,
)
from graph_api.model import Assertion, EntityKind, IdentifierKind, RelationKind

if TYPE_CHECKING:
    from followthemoney.model import Model
    from followthemoney.proxy import EntityProxy

__all__ = ["FTM_FILE", "FtmWriter", "ftm_schema"]

FTM_FILE = "entities.ftm.json"

_SCHEMATA = {
    EntityKind.SELLER: "LegalEntity",
    EntityKind.STOREFRONT: "UserAccount",
    EntityKind.LISTING: "Asset",
    EntityKind.WAREHOUSE: "Company",
    EntityKind.FACTORY: "Company",
    EntityKind.RING: "Organization",
    EntityKind.BRAND: "Organization",
}
_ACCOUNTS = (IdentifierKind.BANK_ACCOUNT, IdentifierKind.PAYMENT_ACCOUNT)
_OWNER_PROPS = {IdentifierKind.PHONE: "phone", IdentifierKind.EMAIL: "email"}


def _model() -> Model:
    """followthemoney's model, imported when a package is first written as FtM: loading
    it reads 70 YAML schemata (about 2 s), which a command that writes no FtM (``verify``,
    ``audit verify``) or a server until its first export should not pay."""
    from followthemoney import model

    return model


def ftm_schema(entity: ExportEntity) -> str | None:
    """The schema an entity becomes, or None when it becomes properties of its users."""
    if entity.kind is not EntityKind.IDENTIFIER:
        return _SCHEMATA[entity.kind]
    if entity.identifier_kind in _ACCOUNTS:
        return "BankAccount"
    if entity.identifier_kind is IdentifierKind.ADDRESS:
        return "Address"
    if entity.identifier_kind in _OWNER_PROPS and entity.value is not None:
        return None
    return "Note"


# Cleaning is pure for these types, so each distinct value is cleaned once: dates
# alone cost 2 s per 10,000 entities when parsed on every add.
_CACHED_TYPES = frozenset({"date", "entity", "string", "text", "name", "identifier"})
_cleaned: dict[tuple[str, str], str | None] = {}
_FTM_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def ftm_date(moment: datetime) -> str:
    """A time as FollowTheMoney's date type cleans it: UTC, to the second, no zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _put(proxy: EntityProxy, prop: str, value: Any) -> None:
    """Add values where the schema has the property (quietly skip it elsewhere)."""
    if value is None or value == "":
        return
    spec = proxy.schema.get(prop)
    if spec is None:
        return
    if spec.type.name == "date" and isinstance(value, str) and _FTM_DATE.fullmatch(value):
        proxy.add(spec, value, cleaned=True)  # made by ftm_date: already clean
        return
    if spec.type.name not in _CACHED_TYPES:
        proxy.add(spec, value)
        return
    for item in value if isinstance(value, list) else [value]:
        cache_key = (spec.type.name, str(item))
        if cache_key not in _cleaned:
            if len(_cleaned) > 200_000:
                _cleaned.clear()
            _cleaned[cache_key] = spec.type.clean(str(item))
        clean = _cleaned[cache_key]
        if clean is not None:
            proxy.add(spec, clean, cleaned=True)


class FtmWriter(Writer):
    format = "FTM_JSONL"

    def __init__(self, view: CaseView) -> None:
        super().__init__(view)
        self.proxies: dict[str, EntityProxy] = {}
        self._entities: dict[str, ExportEntity] = {e.id: e for e in view.entities}

    def _make(self, schema: str, proxy_id: str) -> EntityProxy:
        proxy = _model().make_entity(schema)
        proxy.id = proxy_id
        self.proxies[proxy_id] = proxy
        return proxy

    def _provenance(
        self, proxy: EntityProxy, assertions: tuple[Assertion, ...], confidence: float, kind: str
    ) -> None:
        marking = marking_of(assertions, self.view.marking).value
        _put(proxy, "publisher", [self.org_name(o) for o in reporters(assertions)])
        first = ftm_date(first_reported(assertions, self.view.created_at))
        last = ftm_date(last_reported(assertions, self.view.created_at))
        for prop, value in (("createdAt", first), ("startDate", first), ("modifiedAt", last)):
            _put(proxy, prop, value)
        _put(proxy, "keywords", [kind, f"TLP:{marking}"])
        note = f"graph_api {kind}; confidence {format_confidence(confidence)}; marking {marking}"
        _put(proxy, "notes", note)
        if proxy.schema.get("notes") is None:
            _put(proxy, "summary", note)

    def write_entity(self, entity: ExportEntity) -> None:
        schema = ftm_schema(entity)
        if schema is None:
            return  # written as phone / email of its users by write_relation
        proxy = self._make(schema, entity.id)
        kind = entity.identifier_kind
        if entity.kind is EntityKind.IDENTIFIER and kind is not None:
            label = f"{kind.value} {entity.id}"
            _put(proxy, "name", label)
            if kind in _ACCOUNTS:
                _put(proxy, "accountNumber", entity.value)
                _put(proxy, "accountType", kind.value.replace("_", " ").lower())
            elif kind is IdentifierKind.ADDRESS:
                _put(proxy, "full", entity.value or label)
            else:
                _put(proxy, "description", entity.value or "value withheld")
        else:
            _put(proxy, "name", entity.name or entity.id)
            if schema == "UserAccount":
                _put(proxy, "username", entity.name)
                _put(proxy, "service", "marketplace storefront")
            if proxy.schema.get("address") is not None:
                _put(proxy, "address", entity.region)
            elif entity.region:
                _put(proxy, "keywords", f"region:{entity.region}")
            if proxy.schema.get("status") is not None:
                _put(proxy, "status", entity.status)
            elif entity.status:
                _put(proxy, "keywords", f"status:{entity.status}")
            if entity.kind in (EntityKind.WAREHOUSE, EntityKind.FACTORY, EntityKind.BRAND):
                _put(proxy, "classification", entity.kind.value.lower())
        if entity.properties:
            _put(proxy, "description", dumps(entity.properties))
        self._provenance(proxy, entity.assertions, entity.confidence, entity.kind.value)

    def _link(
        self,
        schema: str,
        link_id: str,
        relation: ExportRelation,
        ends: tuple[tuple[str, str], tuple[str, str]],
    ) -> EntityProxy:
        proxy = self._make(schema, link_id)
        for prop, value in ends:
            _put(proxy, prop, value)
        _put(proxy, "role", relation.kind.value.replace("_", " ").lower())
        _put(proxy, "recordId", relation.id)
        self._provenance(proxy, relation.assertions, relation.confidence, relation.kind.value)
        return proxy

    def write_relation(self, relation: ExportRelation) -> None:
        source = self._entities[relation.source]
        target = self._entities[relation.target]
        source_schema, target_schema = ftm_schema(source), ftm_schema(target)
        legal = source_schema is not None and _model().schemata[source_schema].is_a("LegalEntity")
        if relation.kind is RelationKind.USES and target.kind is EntityKind.IDENTIFIER:
            source_proxy = self.proxies.get(source.id)
            if target_schema is None:  # a visible phone / email: a property of its user
                if source_proxy is not None and target.identifier_kind in _OWNER_PROPS:
                    _put(source_proxy, _OWNER_PROPS[target.identifier_kind], target.value)
                return
            if target_schema == "Address" and source_proxy is not None:
                _put(source_proxy, "addressEntity", target.id)
            if target_schema == "Note":
                _put(self.proxies[target.id], "entity", source.id)
            if target_schema == "BankAccount" and legal:
                self._link(
                    "Ownership", relation.id, relation, (("owner", source.id), ("asset", target.id))
                )
                return
        if relation.kind is RelationKind.OPERATES and target_schema == "UserAccount":
            _put(self.proxies[target.id], "owner", source.id)
        if relation.kind is RelationKind.OPERATES and target_schema == "Company":
            self._link(
                "Directorship",
                relation.id,
                relation,
                (("director", source.id), ("organization", target.id)),
            )
        elif relation.kind is RelationKind.MEMBER_OF and legal:
            self._link(
                "Membership",
                relation.id,
                relation,
                (("member", source.id), ("organization", target.id)),
            )
        else:
            self._link(
                "UnknownLink",
                relation.id,
                relation,
                (("subject", source.id), ("object", target.id)),
            )

    def _event(
        self,
        event_id: str,
        name: str,
        at: str,
        summary: str,
        description: str,
        marking: str,
        publisher: str | None,
        about: list[tuple[str, str]],
    ) -> None:
        event = self._make("Event", event_id)
        _put(event, "name", name)
        _put(event, "date", at)
        _put(event, "summary", summary)
        _put(event, "description", description)
        _put(event, "keywords", [name.split(":")[0], f"TLP:{marking}"])
        _put(event, "publisher", publisher)
        for role, target in about:
            link = self._make("UnknownLink", f"{event_id}-{role.replace(' ', '-')}")
            _put(link, "subject", event_id)
            _put(link, "object", target)
            _put(link, "role", role)
            _put(link, "date", at)

    def write_test_buy(self, buy: ExportTestBuy) -> None:
        about = [("test buy of", buy.listing)]
        if self.known(buy.shipped_from):
            about.append(("shipped from", str(buy.shipped_from)))
        self._event(
            buy.id, f"TEST_BUY: {buy.result}", ftm_date(buy.ordered_at), buy.result,
            dumps({"evidence": [evidence_record(e) for e in buy.evidence]}),
            buy.marking.value, self.org_name(buy.reported_by), about,
        )  # fmt: skip

    def write_outcome(self, outcome: ExportOutcome) -> None:
        about = [("concerns", str(outcome.entity))] if self.known(outcome.entity) else []
        details = {"kind": outcome.kind, "value": outcome.value}
        self._event(
            outcome_id(self.view.case_id, outcome), f"{outcome.kind}: {outcome.description}",
            ftm_date(outcome.at), outcome.description, dumps(details), self.view.marking.value,
            self.view.exporter.name, about,
        )  # fmt: skip

    def finalize(self) -> dict[str, bytes]:
        lines = [
            json.dumps(self.proxies[key].to_dict(), sort_keys=True, ensure_ascii=False)
            for key in sorted(self.proxies)
        ]
        return {FTM_FILE: ("\n".join(lines) + "\n").encode("utf-8") if lines else b""}
