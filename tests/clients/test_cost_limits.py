"""Cost limits with a client written by others: Python ``gql`` over HTTP against
``graph-api serve --demo`` with a small budget (GRAPH_API_COST_PER_HOUR). ``rateLimit``
shows a page size multiplying what is below it; once the budget is spent, a mutation is
refused with RATE_LIMITED (429, Retry-After) and nothing ran: no report, no audit record
(the org admin's ``auditLog``, on a budget of its own)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from gql import GraphQLRequest
from gql.transport.exceptions import TransportQueryError

from tests.clients.support import demo_server, http_client
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

PAGE = """query Page($n: Int) { entities(first: $n) { edges { node { id
  relations(first: 10) { totalCount } } } } rateLimit { cost limit remaining resetAt } }"""
SUBMIT = """mutation Spend($input: ReportInput!) { submitReport(input: $input) { created } }"""
REPORT = {"reportId": "over-budget", "source": "OSINT", "confidence": 0.5, "marking": "GREEN",
          "entities": [{"id": "wh-over-budget", "kind": "WAREHOUSE"}], "relations": []}
BUDGET = 1040  # the five pages below, exactly


async def ask(server: Server, token: str, query: str,
              variables: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
    """gql's answer (or its refusal: the error list), and the answer's HTTP headers."""
    client = http_client(server, token)
    async with client as session:
        try:
            answer = await session.execute(GraphQLRequest(query, variable_values=variables))
        except TransportQueryError as error:
            answer = error.errors
        headers = dict(client.transport.response_headers or {})  # type: ignore[attr-defined]
    return answer, headers


def test_costs_add_up_to_the_budget_then_nothing_runs(tmp_path: Path) -> None:
    with demo_server(tmp_path, env={"GRAPH_API_COST_PER_HOUR": str(BUDGET)}) as server:
        tokens = server.demo_tokens()
        investigator, admin = tokens[("ipcu", "investigator")], tokens[("ipcu", "admin")]

        async def scenario() -> list[Any]:
            out = []
            for n in (5, 10, 20, 500, 500, 500):  # entities once, relations once per entity
                out.append(await ask(server, investigator, PAGE, {"n": n}))
            out.append(await ask(server, investigator, SUBMIT, {"input": REPORT}))
            out.append(await ask(server, investigator, "{ rateLimit { cost remaining } }"))
            out.append(await ask(server, admin, """{ auditLog(first: 100) { operation }
                entity(id: "wh-over-budget") { id } }"""))
            return out

        *pages, over, (refused, headers), (free, _), (audit, _) = asyncio.run(scenario())
    # the cost follows the page size asked, whatever the page holds
    spent = [page["rateLimit"] for page, _ in pages]
    assert [s["cost"] for s in spent] == [6, 11, 21, 501, 501]
    assert [s["remaining"] for s in spent] == [1034, 1023, 1002, 501, 0]
    assert {s["limit"] for s in spent} == {BUDGET} and len({s["resetAt"] for s in spent}) == 1
    errors, _ = over
    assert [e["extensions"] for e in errors] == [{
        "code": "RATE_LIMITED", "cost": 501, "remaining": 0, "resetAt": spent[0]["resetAt"]}]
    assert [e["extensions"]["code"] for e in refused] == ["RATE_LIMITED"]
    assert 3500 < int(headers["retry-after"]) <= 3600  # the window's end
    assert free == {"rateLimit": {"cost": 0, "remaining": 0}}  # always answered
    operations = [record["operation"] for record in audit["auditLog"]]
    assert operations.count("query Page") == 5  # the sixth page never ran
    assert "mutation Spend" not in operations and audit["entity"] is None  # nor the write
