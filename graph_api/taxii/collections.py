"""The TAXII collections of one caller, and how a page of one is read.

- ``alliance``: every STIX object of the caller's view (``feed.Feed``), each at the
  position of its latest change; read-only.
- one per case the caller may read (its id is the case's): the objects of the
  case's STIX export (``export.stix.case_objects``) as the caller's view has the
  case now, all added at the case's latest change; read-only.
- ``submissions``: write-only; a member's platform pushes bundles there
  (``submissions``).

Under a ``max_marking`` the caller's view is capped (``Scope.capped``), so a case
marked above the ceiling is no collection of it at all. A collection the caller
may not read answers exactly as one that does not exist.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from graph_api.access import Action
from graph_api.export.case_view import build_case_view
from graph_api.export.stix import case_objects
from graph_api.export.view import CaseView
from graph_api.model import Marking
from graph_api.services import Services
from graph_api.taxii.feed import Feed, Feeds, stamp
from graph_api.taxii.http import STIX, Caller, Position, TaxiiError, parse_time
from graph_api.workflow.cases import get_case, list_cases
from graph_api.workflow.model import from_key

__all__ = ["ALLIANCE", "SUBMISSIONS", "Collection", "Match", "Page", "collection_of",
           "collections_of"]

ALLIANCE = "alliance"
SUBMISSIONS = "submissions"
MAX_PAGE = 10_000
CHUNK = 500  # objects rendered at a time while a page is filled


@dataclass(frozen=True)
class Match:
    """The ``match[...]`` filters of a request."""

    ids: frozenset[str] | None = None
    types: frozenset[str] | None = None
    versions: tuple[str, ...] = ("last",)
    spec_versions: frozenset[str] | None = None

    @classmethod
    def of(cls, params: Any, object_id: str | None = None) -> Match:
        def split(name: str) -> frozenset[str] | None:
            raw = params.get(f"match[{name}]")
            return None if raw is None else frozenset(v for v in raw.split(",") if v)

        ids = frozenset({object_id}) if object_id else split("id")
        versions = tuple(params.get("match[version]", "last").split(","))
        for v in versions:
            if v not in ("last", "first", "all"):
                parse_time(v, "match[version]")
        return cls(ids, split("type"), versions, split("spec_version"))

    def admits(self, sid: str) -> bool:
        if self.ids is not None and sid not in self.ids:
            return False
        if self.types is not None and sid.partition("--")[0] not in self.types:
            return False
        return self.spec_versions is None or "2.1" in self.spec_versions

    def admits_version(self, obj: dict[str, Any]) -> bool:
        if any(v in ("last", "first", "all") for v in self.versions):
            return True  # a collection holds one version of each object: the latest
        version = parse_time(version_of(obj), "version")
        return any(parse_time(v, "match[version]") == version for v in self.versions)


def version_of(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created"))


@dataclass
class Page:
    items: list[tuple[Position, str, dict[str, Any]]]  # (position, date_added, object)
    more: bool


class Collection:
    id: str
    title: str
    description: str
    can_read: bool = True
    can_write: bool = False

    def resource(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "description": self.description,
                "can_read": self.can_read, "can_write": self.can_write, "media_types": [STIX]}

    def candidates(self, start: Position | None, match: Match) -> Iterator[tuple[Position, str]]:
        """(position, id) of the objects after ``start`` that ``match`` admits by id."""
        raise NotImplementedError

    def render(self, sids: list[str]) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def date_added(self, position: int) -> str:
        raise NotImplementedError

    def start(self, after: Position | None, added_after: datetime | None) -> Position | None:
        raise NotImplementedError

    def page(self, after: Position | None, added_after: datetime | None, match: Match,
             limit: int) -> Page:
        """Up to ``limit`` objects after ``after`` (a ``next``), added after
        ``added_after`` (exclusive), that ``match`` admits; ``more`` when others follow."""
        items: list[tuple[Position, str, dict[str, Any]]] = []
        found = self.candidates(self.start(after, added_after), match)
        while True:
            chunk = [pair for pair, _ in zip(found, range(CHUNK), strict=False)]
            if not chunk:
                return Page(items, False)
            objects = self.render([sid for _, sid in chunk])
            for pair, sid in chunk:
                obj = objects.get(sid)
                if obj is None or not match.admits_version(obj):
                    continue
                if len(items) == limit:
                    return Page(items, True)
                items.append((pair, self.date_added(pair[0]), obj))


class Alliance(Collection):
    id = ALLIANCE
    title = "Alliance"
    description = ("Every STIX object made from the assertions you may see, each as your "
                   "view has it now, by the time of its latest change.")

    def __init__(self, services: Services, feed: Feed) -> None:
        self.services = services
        self.feed = feed

    def start(self, after: Position | None, added_after: datetime | None) -> Position | None:
        if added_after is None:
            return after
        floor = (self.feed.position_after(added_after), "")
        return floor if after is None or after < floor else after

    def candidates(self, start: Position | None, match: Match) -> Iterator[tuple[Position, str]]:
        if match.ids is not None:  # a few ids: looked up, not scanned
            found = []
            for sid in match.ids:
                entry = self.feed.at(sid)
                if entry is not None and match.admits(sid):
                    found.append((entry.position, sid))
            found.sort()
            yield from ((p, p[1]) for p in found if start is None or p > start)
            return
        for pair, _ in self.feed.after(start):
            if match.admits(pair[1]):
                yield pair, pair[1]

    def render(self, sids: list[str]) -> dict[str, dict[str, Any]]:
        return self.feed.objects(self.services.store, sids)

    def date_added(self, position: int) -> str:
        return self.feed.date_added(position)


class CaseCollection(Collection):
    """A case's export as the caller's view has it now: one snapshot, all of its
    objects added at the case's latest change (a change anywhere in it re-adds them)."""

    def __init__(self, case: dict[str, Any], objects: list[dict[str, Any]], position: int,
                 added: str) -> None:
        self.id = case["id"]
        self.title = case["title"]
        self.description = f"Police case {case['id']} ({case['status']}), marked " \
                           f"{case['marking']}, as your view holds it"
        self.objects = {o["id"]: o for o in objects}
        self.order = sorted(self.objects)
        self.position = position
        self.added = added

    def start(self, after: Position | None, added_after: datetime | None) -> Position | None:
        if added_after is not None and parse_time(self.added, "date_added") <= added_after:
            return (self.position, "\uffff")  # nothing added after it
        return after

    def candidates(self, start: Position | None, match: Match) -> Iterator[tuple[Position, str]]:
        i = 0
        if start is not None:
            if start[0] != self.position:  # a next from an older snapshot: all again
                i = 0 if start[0] < self.position else len(self.order)
            else:
                i = bisect.bisect_right(self.order, start[1])
        for sid in self.order[i:]:
            if match.admits(sid):
                yield (self.position, sid), sid

    def render(self, sids: list[str]) -> dict[str, dict[str, Any]]:
        return {sid: self.objects[sid] for sid in sids}

    def date_added(self, position: int) -> str:
        return self.added


class Submissions(Collection):
    id = SUBMISSIONS
    title = "Submissions"
    description = ("Push STIX 2.1 here: each object becomes a report of your org "
                   "(created_by_ref: your org's identity; one TLP marking each).")
    can_read = False

    def __init__(self, can_write: bool) -> None:
        self.can_write = can_write


def _case_collection(services: Services, caller: Caller, feed: Feed,
                     case: dict[str, Any]) -> CaseCollection:
    view = build_case_view(services, caller.own, case, "taxii", caller.ceiling)
    times = [from_key(case["openedAt"]), feed.times[feed.last]]
    times += [from_key(o["at"]) for o in case["outcomes"]]
    times += [t.ordered_at for t in view.test_buys]
    added = max(times)
    view = _at(view, added)
    return CaseCollection(case, case_objects(view), feed.last, stamp(added))


def _at(view: CaseView, moment: datetime) -> CaseView:
    """The case view "exported" at its latest change: the same objects on every read."""
    return replace(view, created_at=moment, recipient="TAXII")


def _readable_cases(services: Services, caller: Caller) -> list[dict[str, Any]]:
    ceiling = caller.ceiling or Marking.RED
    return [c for c in list_cases(services, caller.own)
            if Marking(c["marking"]).rank <= ceiling.rank]


def collections_of(services: Services, feeds: Feeds, caller: Caller) -> list[Collection]:
    """Every collection of the caller (cases listed, not built)."""
    feed = feeds.of(services.store, caller.scope)
    found: list[Collection] = [Alliance(services, feed)]
    for case in sorted(_readable_cases(services, caller), key=lambda c: str(c["id"])):
        found.append(_Listed(case))
    found.append(Submissions(caller.own.can(Action.REPORT)))
    return found


class _Listed(Collection):
    """A case as ``/collections/`` lists it (its objects are built when read)."""

    def __init__(self, case: dict[str, Any]) -> None:
        self.id, self.title = case["id"], case["title"]
        self.description = f"Police case {case['id']} ({case['status']}), marked " \
                           f"{case['marking']}, as your view holds it"


def collection_of(services: Services, feeds: Feeds, caller: Caller, collection_id: str
                  ) -> Collection:
    """One collection of the caller; 404 for one it may not read, as for none."""
    if collection_id == SUBMISSIONS:
        return Submissions(caller.own.can(Action.REPORT))
    feed = feeds.of(services.store, caller.scope)
    if collection_id == ALLIANCE:
        return Alliance(services, feed)
    case = get_case(services, caller.own, collection_id) if collection_id.startswith(
        "case-") else None
    ceiling = caller.ceiling or Marking.RED
    if case is None or Marking(case["marking"]).rank > ceiling.rank:
        raise TaxiiError(404, "Not Found", f"no collection {collection_id!r}")
    return _case_collection(services, caller, feed, case)
