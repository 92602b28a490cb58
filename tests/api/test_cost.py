"""Cost limits (docs/limits.md, ``graph_api.api.cost``): the rules on the served schema,
the examples the doc gives, the budget's windows, and the pipeline charging a token's
one budget before anything runs."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from graphql import parse

from graph_api.access import Scope
from graph_api.api import cost as cost_module
from graph_api.api.context import Operation
from graph_api.api.cost import MAX_SIZE, UNPAGED, CostBudgets, costing
from graph_api.api.exchange import Answer, GraphQLRequest, Status
from graph_api.api.operations import QUERIES_AND_MUTATIONS, Operations
from graph_api.api.pipeline import Credentials, Pipeline
from graph_api.config import Settings
from graph_api.ratelimit import RateSettings, TokenBuckets
from graph_api.services import Services
from tests.support import SCHEMA

ROOT = Path(__file__).resolve().parents[2]
LIMITS = ROOT / "docs" / "limits.md"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def cost_of(query: str, variables: dict[str, object] | None = None,
            name: str | None = None) -> int:
    return costing(SCHEMA._schema, parse(query), name)(variables)


def doc_examples() -> list[tuple[str, int]]:
    text = LIMITS.read_text()
    table = text.split("<!-- cost examples: document | cost -->")[1].split("<!-- end")[0]
    rows = re.findall(r"^\| `(.+)` \| (\d+) \|$", table, flags=re.MULTILINE)
    return [(query, int(cost)) for query, cost in rows]


def test_the_docs_examples_cost_what_the_docs_say() -> None:
    examples = doc_examples()
    assert len(examples) >= 8
    for query, expected in examples:
        assert cost_of(query) == expected, query


def test_a_page_size_multiplies_what_is_below_it() -> None:
    query = """query($n: Int, $m: Int) { entities(first: $n) { edges { node {
        relations(first: $m) { edges { node { id assertions { reportId } } } } } } } }"""
    # entities once, relations once per entity, assertions once per relation
    for n, m in ((1, 1), (10, 5), (100, 50), (1000, 20)):
        assert cost_of(query, {"n": n, "m": m}) == 1 + n + n * m
    assert cost_of(query, {"n": 0, "m": 50}) == 1  # nothing below an empty page runs


def test_sizes_come_from_the_document_variables_and_defaults() -> None:
    below = "edges { node { assertions { reportId } } }"
    by_variable = "query($n: Int) { entities(first: $n) { %s } }" % below
    assert cost_of(by_variable, {"n": 7}) == 1 + 7
    assert cost_of(by_variable, {}) == 1 + 50  # the argument's default: first: Int = 50
    assert cost_of(by_variable, {"n": None}) == 1 + 50  # null: the resolver's default too
    declared = "query($n: Int = 3) { entities(first: $n) { %s } }" % below
    assert cost_of(declared, {}) == 1 + 3
    assert cost_of(declared, {"n": 9}) == 1 + 9
    assert cost_of("{ publications { entity { assertions { reportId } } } }") == 1 + 50
    assert cost_of("{ publications(first: -5) { entity { assertions { reportId } } } }") == 1
    huge = "{ publications(first: 1000000000) { entity { assertions { reportId } } } }"
    assert cost_of(huge) == 1 + MAX_SIZE
    ids = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Entity { assertions { reportId } } } }"
    assert cost_of(ids, {"ids": ["a", "b", "c", "d"]}) == 1 + 4
    assert cost_of(ids, {"ids": "a"}) == 1 + 1  # one id, coerced to a list of one


def test_unpaged_lists_fragments_and_branches() -> None:
    assert cost_of("{ cases { entities { id } } }") == 1 + UNPAGED
    spread = """query { entity(id: "x") { ...A ...A } } fragment A on Entity {
        assertions { reportId } }"""
    assert cost_of(spread) == 1 + 2  # counted where spread, each time
    branches = """{ node(id: "x") { id ... on Entity { assertions { reportId } }
        ... on Notice { listings { id } outcomes { listing { id } } } } }"""
    assert cost_of(branches) == 1 + 3  # every branch counts
    skipped = '{ entity(id: "x") { assertions @skip(if: true) { reportId } } }'
    assert cost_of(skipped) == 2  # directives are not looked at
    assert cost_of("{ __typename me { id } rateLimit { cost } }") == 1


def test_the_operation_named_is_the_one_costed() -> None:
    two = """query Small { me { id } }
             query Big { entities(first: 100) { edges { node { assertions { reportId } } } } }"""
    assert cost_of(two, name="Small") == 1
    assert cost_of(two, name="Big") == 101
    assert cost_of(two, name="Missing") == 0  # graphql-core refuses it; nothing runs


def test_cost_is_computed_once_per_document() -> None:
    """The executor keeps a document's costing; evaluating it is a few multiplications."""
    query = "query($n: Int) { entities(first: $n) { edges { node { assertions { reportId } } } } }"
    made = costing(SCHEMA._schema, parse(query))
    assert made.constant == 1 and len(made.terms) == 1
    assert made({"n": 2}) == 3 and made({"n": 40}) == 41


# -- budgets -------------------------------------------------------------------------
def test_a_budget_is_spent_refused_and_renewed_after_its_hour() -> None:
    budgets = CostBudgets(100)
    first = budgets.charge("t:a", 60, T0)
    assert (first.granted, first.remaining, first.reset_at) == (True, 40, T0 + timedelta(hours=1))
    later = T0 + timedelta(minutes=30)
    refused = budgets.charge("t:a", 41, later)
    assert not refused.granted and refused.remaining == 40  # refused: nothing spent
    assert refused.seconds_to_reset(later) == 1800
    assert budgets.charge("t:a", 40, later).remaining == 0
    assert budgets.charge("t:b", 100, later).remaining == 0  # another caller, its own budget
    renewed = budgets.charge("t:a", 10, T0 + timedelta(hours=1))
    assert renewed.granted and renewed.remaining == 90
    assert renewed.reset_at == T0 + timedelta(hours=2)
    with pytest.raises(ValueError):
        CostBudgets(-1)


def test_budgets_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cost_module, "MAX_ACCOUNTS", 10)
    budgets = CostBudgets(100)
    for n in range(10):
        budgets.charge(f"t:{n}", 50 + n, T0)
    for n in range(10, 30):  # windows ended are forgotten first, then the least spent
        budgets.charge(f"t:{n}", 1, T0 + timedelta(minutes=n))
    assert len(budgets.accounts) <= 10
    assert "t:9" in budgets.accounts  # the most spent is kept


def test_settings_read_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRAPH_API_COST_PER_HOUR", raising=False)
    monkeypatch.delenv("GRAPH_API_RATE_PER_SECOND", raising=False)
    assert Settings.from_env().cost_per_hour == 500_000
    monkeypatch.setenv("GRAPH_API_RATE_PER_SECOND", "0")  # no per-token limit: no budget
    assert Settings.from_env().cost_per_hour == 0
    monkeypatch.setenv("GRAPH_API_COST_PER_HOUR", "1234")
    assert Settings.from_env().cost_per_hour == 1234


# -- in the pipeline -----------------------------------------------------------------
SUBMIT = "mutation($input: ReportInput!) { submitReport(input: $input) { created } }"
REPORT = {"reportId": "r-cost", "source": "OSINT", "confidence": 0.5, "marking": "GREEN",
          "entities": [{"id": "wh-cost", "kind": "WAREHOUSE"}], "relations": []}
PAGE = """{ entities(first: 30) { edges { node { assertions { reportId } } } }
  rateLimit { cost remaining } }"""


def pipeline_of(services: Services, per_hour: int) -> Pipeline:
    executor = Operations(SCHEMA, Settings(db=services.settings.db, cost_per_hour=per_hour))
    return Pipeline(services, executor, TokenBuckets(RateSettings(rate=0)))


def test_over_budget_nothing_runs_and_nothing_is_recorded(
    services: Services, orgs: dict[str, Scope]
) -> None:
    token = services.issue_token(services.find_org("acme"), "investigator")[1]
    pipeline = pipeline_of(services, 62)
    http = Credentials.of(f"Bearer {token}", "10.0.0.1")
    socket = Credentials.of(f"bearer \t{token} ", "10.0.0.2")  # another spelling, one token

    async def scenario() -> list[object]:
        out: list[object] = []
        answer = await pipeline.run(http, GraphQLRequest(PAGE), QUERIES_AND_MUTATIONS)
        out.append(answer.data["rateLimit"] if answer.data else answer.errors)
        answer = await pipeline.run(socket, GraphQLRequest(PAGE), QUERIES_AND_MUTATIONS)
        out.append(answer.data["rateLimit"] if answer.data else answer.errors)
        before = services.store.audit_records()[-1].seq
        refused = await pipeline.stream(socket, GraphQLRequest(SUBMIT, {"input": REPORT}))
        assert isinstance(refused, Answer)
        out.append((refused.status, refused.retry_after, [e.extensions for e in refused.errors]))
        out.append(services.store.audit_records()[-1].seq == before)
        free = await pipeline.run(http, GraphQLRequest("{ rateLimit { cost remaining } }"),
                                  QUERIES_AND_MUTATIONS)
        out.append(free.data)
        return out

    page, again, refused, unrecorded, free = asyncio.run(scenario())
    assert page == {"cost": 31, "remaining": 31}
    assert again == {"cost": 31, "remaining": 0}  # the same budget by either spelling
    status, retry, extensions = refused  # type: ignore[misc]
    assert status is Status.RATE_LIMITED and retry == 3600
    assert extensions == [{"code": "RATE_LIMITED", "cost": 1, "remaining": 0,
                           "resetAt": "2026-11-01T10:00:00+00:00"}]
    assert unrecorded
    assert free == {"rateLimit": {"cost": 0, "remaining": 0}}  # always answered
    assert services.store.entities_by_id(orgs["acme"], ["wh-cost"]).get("wh-cost") is None


def test_a_refused_operation_spends_nothing_and_over_the_whole_budget_is_a_limit(
    services: Services, orgs: dict[str, Scope]
) -> None:
    token = services.issue_token(services.find_org("acme"), "investigator")[1]
    pipeline = pipeline_of(services, 50)
    caller = Credentials.of(f"Bearer {token}", "10.0.0.1")
    big = "{ entities(first: 100) { edges { node { assertions { reportId } } } } }"

    async def scenario() -> list[object]:
        too_big = await pipeline.run(caller, GraphQLRequest(big), QUERIES_AND_MUTATIONS)
        left = await pipeline.run(caller, GraphQLRequest("{ rateLimit { remaining } }"),
                                  QUERIES_AND_MUTATIONS)
        return [too_big.status, [e.extensions for e in too_big.errors], left.data]

    status, extensions, left = asyncio.run(scenario())
    assert status is Status.INVALID and extensions == [{"code": "LIMIT_EXCEEDED"}]
    assert left == {"rateLimit": {"remaining": 50}}


def test_in_process_operations_are_charged_to_nobody(
    services: Services, orgs: dict[str, Scope]
) -> None:
    executor = Operations(SCHEMA, Settings(cost_per_hour=1))
    operation = Operation(services, _scope=orgs["acme"])
    answer = asyncio.run(executor.run(operation, PAGE))
    assert answer.status is Status.EXECUTED and answer.data is not None
    assert answer.data["rateLimit"] is None and not executor.budgets.accounts
