"""A page of entities with their relations, ends and assertions costs a bounded number of
store reads: records and envelopes are read once per list, not once per field."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.services import Services
from tests.scenario import acme_ring, green_store, rival_red
from tests.support import gql

PAGE = """query($first: Int) { entities(first: $first) { edges { node {
  id assertions { reportId reportedBy { id } }
  relations(first: 20) { edges { node {
    id assertions { reportId }
    from { id } to { id name assertions { reportId } }
  } } }
} } } }"""

READS = ("entities_by_id", "envelopes", "find_entities")


@pytest.fixture
def counted(services: Services, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()
    store = services.store
    for name in READS:
        original = getattr(store, name)

        def wrapper(*args: Any, _name: str = name, _original: Any = original) -> Any:
            calls[_name] += 1
            return _original(*args)

        monkeypatch.setattr(store, name, wrapper)
    return calls


def load(services: Services, orgs: dict[str, Scope]) -> None:
    for org, raw in (("acme", acme_ring()), ("rival", rival_red()), ("bazaar", green_store())):
        answer = gql(services, orgs[org], """mutation($input: ReportInput!) {
            submitReport(input: $input) { created } }""", {"input": raw})
        assert answer.get("errors") is None, answer


def test_reads_do_not_grow_with_the_page(
    services: Services, orgs: dict[str, Scope], counted: Counter[str]
) -> None:
    load(services, orgs)
    per_size = {}
    for first in (1, 3, 50):
        counted.clear()
        answer = gql(services, orgs["bazaar"], PAGE, {"first": first})
        assert answer.get("errors") is None, answer
        edges = answer["data"]["entities"]["edges"]
        per_size[len(edges)] = dict(counted)
    sizes = sorted(per_size)
    assert sizes[-1] >= 5, sizes  # the scenario gives the page something to batch
    # One page read, one envelope read for the page's assertions, one for its relations'
    # and their ends' (each list read once), one for the ends' records.
    assert per_size[sizes[-1]] == per_size[sizes[1]], per_size
    assert per_size[sizes[-1]]["find_entities"] == 1
    assert per_size[sizes[-1]]["entities_by_id"] <= 2
    assert per_size[sizes[-1]]["envelopes"] <= 3


def test_batched_answers_equal_one_by_one(services: Services, orgs: dict[str, Scope]) -> None:
    """The batched page answers each entity as asking for it alone does."""
    load(services, orgs)
    one = """query($id: ID!) { entity(id: $id) {
      id assertions { reportId reportedBy { id } }
      relations(first: 20) { edges { node {
        id assertions { reportId } from { id } to { id name assertions { reportId } } } } } } }"""
    for org in ("acme", "rival", "bazaar"):
        page = gql(services, orgs[org], PAGE, {"first": 50})["data"]["entities"]["edges"]
        assert page
        for edge in page:
            alone = gql(services, orgs[org], one, {"id": edge["node"]["id"]})
            assert alone["data"]["entity"] == edge["node"], org
