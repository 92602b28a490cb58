"""A query's plan (`api.compiled`) answers exactly what graphql-core answers: data,
errors and their paths, nulls; what it does not cover is handed to graphql-core."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from graph_api.api.context import Context
from graph_api.api.operations import Operations
from graph_api.config import Settings
from graph_api.services import Services
from graph_api.synthetic import iter_reports
from tests.api.test_direct_resolvers import QUERIES as CORE_AND_ANALYTICS
from tests.api.test_view_equivalence import ENTITY_FIELDS, load
from tests.conftest import MakeServices
from tests.support import SCHEMA

ENTITY = (
    "query($id: ID!) { entity(id: $id) { id kind name status confidence properties "
    "assertions { reportId reportedBy { id } marking confidence source } "
    "relations(first: 20) { totalCount edges { node { id kind confidence to { id kind } } } } } }"
)

# Shapes a client sends: fragments (named, inline, on the same key with other
# subfields), aliases, __typename, several root fields, operation names.
SHAPES: list[tuple[str, dict[str, Any], str | None]] = [
    (ENTITY, {"id": "listing-0000007"}, None),
    (
        "fragment Ends on Relation { from { id kind } to { id } } "
        "fragment Rel on Entity { relations(first: 5) { totalCount edges { node { ...Ends "
        "kind } } } } "
        "query($id: ID!) { entity(id: $id) { __typename id ...Rel ... on Entity { "
        "relations(first: 5) { edges { cursor node { to { kind name } } } } } } }",
        {"id": "seller-000003"},
        None,
    ),
    (
        "query Two($a: ID!, $b: ID!) { a: entity(id: $a) { id name } "
        "b: entity(id: $b) { id kind n: name } me { id } } query Other { me { id } }",
        {"a": "seller-000003", "b": "listing-0000007"},
        "Two",
    ),
    ("query($id: ID!) { entity(id: $id) { %s } }" % ENTITY_FIELDS, {"id": "seller-000002"}, None),
    # an error below the root: graphql-core's partial data and error path
    (
        "query($id: ID!) { entity(id: $id) { id relations(first: -1) { totalCount } } }",
        {"id": "seller-000003"},
        None,
    ),
    ("query($id: ID!) { entity(id: $id) { id } }", {"id": 5}, None),  # a bad variable
    ("query($id: ID!) { entity(id: $id) { id } }", {}, None),  # a missing one
]

UNPLANNED = [
    "query($id: ID!, $r: Boolean!) { entity(id: $id) { id relations @include(if: $r) "
    "{ totalCount } } }",
    "query { __schema { queryType { name } } }",
]


def answer(operations: Operations, services: Services, scope: Any, query: str,
           variables: Any, name: str | None = None) -> Any:
    context = Context(services=services)
    context._scope = scope
    result = asyncio.run(operations.run(context, query, variables, name))
    errors = [(e.message, e.path, (e.extensions or {}).get("code")) for e in result.errors or []]
    return result.data, errors


def loaded(make_services: MakeServices, folder: Path, org: str) -> tuple[Services, Any]:
    """A store loaded with a small synthetic network, and ``org``'s operator scope."""
    services = make_services()
    load(services, list(iter_reports(40, seed=5)), folder)
    return services, services.operator_scope(services.find_org(org))


@pytest.mark.parametrize("org", ["stridewell", "bazaarhub", "ipcu"])
def test_plans_answer_as_graphql_core(
    make_services: MakeServices, tmp_path: Path, org: str
) -> None:
    services, scope = loaded(make_services, tmp_path, org)
    planned, core = Operations(SCHEMA, Settings()), Operations(SCHEMA, Settings(), plans=False)
    cases = [(q, v, None) for q, v in CORE_AND_ANALYTICS] + SHAPES
    for query, variables, name in cases:
        expected = answer(core, services, scope, query, variables, name)
        assert answer(planned, services, scope, query, variables, name) == expected, query
        # the second run of a text runs on its cached plan (or cached refusal)
        assert answer(planned, services, scope, query, variables, name) == expected, query
    assert answer(planned, services, scope, ENTITY, {"id": "listing-0000007"})[0]["entity"]


def test_the_hot_queries_run_on_plans_without_giving_back(
    make_services: MakeServices, tmp_path: Path
) -> None:
    services, scope = loaded(make_services, tmp_path, "bazaarhub")
    planned = Operations(SCHEMA, Settings())
    for query, variables, name in SHAPES[:4]:
        data, errors = answer(planned, services, scope, query, variables, name)
        assert not errors and all(data.values()), (query, data)
        assert planned.plan_of(query, name) is not None, query
    assert planned.given_back == 0
    answer(planned, services, scope, *SHAPES[4][:2])  # the error: graphql-core's answer
    assert planned.given_back == 1


def test_directives_and_introspection_stay_on_graphql_core(
    make_services: MakeServices, tmp_path: Path
) -> None:
    services, scope = loaded(make_services, tmp_path, "bazaarhub")
    planned, core = Operations(SCHEMA, Settings()), Operations(SCHEMA, Settings(), plans=False)
    for query in UNPLANNED:
        variables = {"id": "seller-000003", "r": False}
        assert answer(planned, services, scope, query, variables) == answer(
            core, services, scope, query, variables
        )
        assert planned.plan_of(query) is None
    assert planned.given_back == 0
