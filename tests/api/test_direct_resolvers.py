"""Direct resolvers (`api.direct`) answer exactly as strawberry's own resolver chain:
attributes, methods with ``Info``, arguments converted (enums, lists, defaults), errors."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from graph_api.api.context import Context
from graph_api.api.operations import Operations
from graph_api.api.schema import build_schema
from graph_api.config import Settings
from graph_api.services import Services
from graph_api.synthetic import iter_reports
from tests.api.test_view_equivalence import ENTITY_FIELDS, load
from tests.conftest import MakeServices
from tests.support import OPERATIONS, SCHEMA

WRAPPED = Operations(build_schema(direct=False), Settings())

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("query { me { id role org { id name type trusted } } }", {}),
    (
        "query($k: EntityKind) { entities(first: 30, kind: $k) { totalCount edges { cursor "
        "node { %s } } pageInfo { hasNextPage endCursor } } }" % ENTITY_FIELDS,
        {"k": "SELLER"},
    ),
    (
        "query($s: String) { entities(first: 20, search: $s) { edges { node { id "
        "relations(direction: OUT, kinds: [OPERATES, SHIPS_FROM], first: 3) { totalCount "
        "edges { node { kind to { id kind } } } pageInfo { hasNextPage endCursor } } } } } }",
        {"s": "seller"},
    ),
    ("query($id: ID!) { entity(id: $id) { %s } }" % ENTITY_FIELDS, {"id": "listing-0000007"}),
    ("query($id: ID!) { entity(id: $id) { id } }", {"id": "no-such-entity"}),
    (
        "query($id: ID!) { traceToSource(from: $id, maxDepth: 6) { origin { id } sources { "
        "score depth entity { id kind } paths(first: 2) { confidence nodes { id } "
        "relations { kind } } } } }",
        {"id": "listing-0000007"},
    ),
    ("query { topSources(first: 5) { score entity { id kind } } }", {}),
    (
        "query { rings(minSize: 3, first: 3) { id size regions members { id } "
        "keyPlayers(first: 2) { score entity { id } } sources { id } knownRing { id } } }",
        {},
    ),
    (
        "query { hotspots { totalListings regions { region listings sources share "
        "cumulativeShare } } }",
        {},
    ),
    ("query { entity(id: 7) { id } }", {}),  # a bad argument: the same error
    ("query { entities(first: -1) { totalCount } }", {}),
]


def answer(operations: Operations, services: Services, scope: Any, q: str, v: Any) -> Any:
    context = Context(services=services)
    context._scope = scope
    result = asyncio.run(operations.run(context, q, v))
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


def test_the_served_schema_uses_direct_resolvers() -> None:
    entity = SCHEMA._schema.type_map["Entity"].fields  # type: ignore[union-attr]
    wrapped = WRAPPED.schema._schema.type_map["Entity"].fields  # type: ignore[union-attr]
    assert entity["relations"].resolve.__module__ == "graph_api.api.direct"
    assert wrapped["relations"].resolve.__module__ != "graph_api.api.direct"


@pytest.mark.parametrize("org", ["stridewell", "bazaarhub", "ipcu"])
def test_direct_resolvers_answer_as_strawberrys_chain(
    make_services: MakeServices, tmp_path: Path, org: str
) -> None:
    services = make_services()
    load(services, list(iter_reports(40, seed=5)), tmp_path)
    scope = services.operator_scope(services.find_org(org))
    for query, variables in QUERIES:
        direct = answer(OPERATIONS, services, scope, query, variables)
        assert direct == answer(WRAPPED, services, scope, query, variables), query
    assert all(answer(OPERATIONS, services, scope, q, v)[0] for q, v in QUERIES[:-2])
