"""Non-interference for the TAXII server and the change stream: twin stores that differ
only by what the caller may not read (tests/security/world.py) give the caller equal
answers — every object, manifest row, ``next``, ``more``, date_added header, status code,
error and stream event — with and without ``max_marking``; and none of the caller's
answers from the store with secrets names a hidden entity's STIX id."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest

from graph_api.api.app import create_app
from graph_api.export.stix_mapping import STIX_TYPES, TLP2_MARKING_IDS, identity_id, stix_id
from graph_api.model import EntityKind, Marking
from graph_api.services import Services
from graph_api.taxii.feed import Feeds
from graph_api.taxii.stream import Stream
from tests.security.conftest import MakeTwins
from tests.security.support import Twins, token_of
from tests.security.test_leak_matrix import SECRET_CASE, shared_case
from tests.security.world import ALL_IDS, HIDDEN_IDS

CALLERS = ["acme", "rival", "police", "bazaar"]
ROOT = "/taxii2/graph-api"
Answer = tuple[int, dict[str, str], Any]


def _ask(services: Services, requests: list[tuple[str, str, dict[str, Any] | None]],
         org: str) -> list[Answer]:
    """Each (method, path, json body) against the app of ``services``, in order; a path
    that starts with "@next " is followed by the previous answer's ``next``."""

    async def run() -> list[Answer]:
        transport = httpx.ASGITransport(app=create_app(services))
        answers: list[Answer] = []
        headers = {"Authorization": f"Token {token_of(org, 'investigator')}",
                   "Accept": "application/taxii+json;version=2.1",
                   "Content-Type": "application/taxii+json;version=2.1"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for method, path, body in requests:
                if path.startswith("@next "):
                    previous = answers[-1][2]
                    if not isinstance(previous, dict) or "next" not in previous:
                        answers.append((0, {}, None))  # no more pages
                        continue
                    path = path[6:] + f"&next={previous['next']}"
                response = await client.request(method, path, headers=headers,
                                                 content=orjson.dumps(body) if body else None)
                kept = {k: v for k, v in response.headers.items() if k.startswith("x-taxii")}
                answers.append((response.status_code, kept, response.json()))
        return answers

    return asyncio.run(run())


def _both(twins: Twins, requests: list[tuple[str, str, dict[str, Any] | None]],
          phase: str) -> list[Answer]:
    with twins.ids.at("A", phase):
        in_a = _ask(twins.a, requests, twins.caller)
    with twins.ids.at("B", phase):
        in_b = _ask(twins.b, requests, twins.caller)
    for request, a, b in zip(requests, in_a, in_b, strict=True):
        assert a == b, f"{twins.caller} can tell the stores apart by {request}:\n{a}\n{b}"
    return in_a


def _hidden_stix_ids(twins: Twins) -> set[str]:
    """The STIX ids (of any type) of the entities in store A that the caller may not read."""
    scope = twins.scopes[twins.caller]
    seen = twins.b.store.entities_by_id(scope, HIDDEN_IDS)
    hidden = [eid for eid in HIDDEN_IDS if eid not in seen]
    assert twins.caller != "acme" or len(hidden) >= 5  # most of the world's secrets
    return {stix_id(kind, eid) for eid in hidden for kind in STIX_TYPES}


def _paged(path: str, pages: int = 12) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [("GET", path, None)] + [("GET", "@next " + path, None)] * pages


@pytest.mark.parametrize("caller", CALLERS)
def test_taxii_answers_are_equal_with_and_without_what_the_caller_may_not_read(
        twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    case = shared_case(twins)
    objects = f"{ROOT}/collections/alliance/objects/"
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/taxii2/", None),
        ("GET", f"{ROOT}/collections/", None),
        ("GET", f"{ROOT}/collections/?max_marking=GREEN", None),
        ("GET", f"{ROOT}/collections/alliance/", None),
        *_paged(f"{objects}?limit=7"),
        *_paged(f"{ROOT}/collections/alliance/manifest/?limit=9"),
        *_paged(f"{objects}?limit=5&max_marking=AMBER"),
        *_paged(f"{objects}?limit=50&match[type]=relationship,threat-actor"),
        ("GET", f"{objects}?added_after=2026-11-01T09:00:00.000002Z", None),
        ("GET", f"{ROOT}/collections/{case}/objects/", None),
        ("GET", f"{ROOT}/collections/{case}/manifest/?max_marking=GREEN", None),
        ("GET", f"{ROOT}/collections/{SECRET_CASE}/objects/", None),
        ("GET", f"{ROOT}/collections/{SECRET_CASE}/", None),
        ("GET", f"{ROOT}/status/0b4a2b9b-5d9b-4c4e-8a1f-3c2d1e0f9a8b/", None),
    ]
    for eid in ALL_IDS:
        for kind in (EntityKind.SELLER, EntityKind.WAREHOUSE, EntityKind.FACTORY,
                     EntityKind.STOREFRONT):
            sid = stix_id(kind, eid)
            requests.append(("GET", f"{objects}{sid}/", None))
            requests.append(("GET", f"{objects}{sid}/versions/", None))
    answers = _both(twins, requests, "taxii-reads")
    assert any(a[0] == 200 and a[2].get("objects") for a in answers)
    assert any(a[0] == 0 for a in answers)  # every paged walk reached its end
    text = orjson.dumps([a[2] for a in answers if a[0] == 200]).decode()  # errors echo input
    for hidden in _hidden_stix_ids(twins):
        assert hidden not in text, hidden


@pytest.mark.parametrize("caller", ["acme", "police"])
def test_a_submission_naming_a_hidden_object_fails_as_for_a_missing_one(
        twins_for: MakeTwins, caller: str) -> None:
    twins = twins_for(caller)
    me, green = identity_id(caller), TLP2_MARKING_IDS[Marking.GREEN]
    ends = [stix_id(EntityKind.WAREHOUSE, "wh-secret"), stix_id(EntityKind.WAREHOUSE, "nope")]
    requests: list[tuple[str, str, dict[str, Any] | None]] = []
    for n, end in enumerate(ends):
        rel = {"type": "relationship", "spec_version": "2.1",
               "id": f"relationship--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5{n}",
               "created": "2026-11-02T10:00:00.000Z", "modified": "2026-11-02T10:00:00.000Z",
               "relationship_type": "related-to", "created_by_ref": me,
               "source_ref": stix_id(EntityKind.STOREFRONT, "store-1"), "target_ref": end,
               "object_marking_refs": [green]}
        requests.append(("POST", f"{ROOT}/collections/submissions/objects/", {"objects": [rel]}))
    answers = _both(twins, requests, "taxii-submit")
    messages = [a[2]["failures"][0]["message"] for a in answers]
    assert all(a[2]["failure_count"] == 1 for a in answers)
    assert messages[0].replace(ends[0], "X") == messages[1].replace(ends[1], "X")


def _stream(services: Services, caller: str, ceiling: str | None) -> list[bytes]:
    """The stream's first events (every object of the view: one batch) as bytes."""
    scope = services.authenticate(f"Bearer {token_of(caller, 'investigator')}")
    scope = scope.capped(None if ceiling is None else Marking(ceiling))

    async def first_chunks() -> list[bytes]:
        events = Stream(services, Feeds())._events(scope, None, None, 60.0)
        chunks = [await events.__anext__(), await events.__anext__()]
        await events.aclose()
        return chunks

    return asyncio.run(first_chunks())


@pytest.mark.parametrize("caller", ["acme", "rival"])
@pytest.mark.parametrize("ceiling", [None, "AMBER"])
def test_stream_events_are_equal_in_both_worlds(twins_for: MakeTwins, caller: str,
                                                ceiling: str | None) -> None:
    twins = twins_for(caller)
    in_a, in_b = _stream(twins.a, caller, ceiling), _stream(twins.b, caller, ceiling)
    assert in_a == in_b
    assert in_a[1].count(b"\nevent: ") > 20
    for hidden in _hidden_stix_ids(twins):
        assert hidden.encode() not in in_a[1]
