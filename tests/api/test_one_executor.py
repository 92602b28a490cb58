"""The executor and the pipeline in-process, on both stores: one ``Operation`` per
operation, one record per operation (also one cancelled midway), refusals before any
work, and one bucket per token whichever transport asks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from graphql import OperationType

from graph_api.access import Scope
from graph_api.api.auditing import audited
from graph_api.api.context import Operation
from graph_api.api.exchange import Answer, GraphQLRequest, Status
from graph_api.api.operations import QUERIES, QUERIES_AND_MUTATIONS, Operations
from graph_api.api.pipeline import Credentials, Pipeline
from graph_api.config import Settings
from graph_api.ratelimit import RateSettings, TokenBuckets
from graph_api.services import Services
from tests.support import OPERATIONS, SCHEMA

SUBMIT = """mutation Share($input: ReportInput!) { submitReport(input: $input) { created } }"""
REPORT = {"reportId": "r-1", "source": "OSINT", "confidence": 0.5, "marking": "GREEN",
          "entities": [{"id": "wh-1", "kind": "WAREHOUSE"}], "relations": []}


def records_after(services: Services, seq: int) -> list[str]:
    return [r.operation for r in services.store.audit_records() if r.seq > seq]


def last_seq(services: Services) -> int:
    records = services.store.audit_records()
    return records[-1].seq if records else 0


def test_an_operation_cancelled_midway_is_still_recorded(
    services: Services, orgs: dict[str, Scope]
) -> None:
    """A WebSocket client's ``complete`` cancels its operation: what it did is recorded."""
    before = last_seq(services)
    operation = Operation(services, _scope=orgs["acme"], label="query Peek")
    with pytest.raises(asyncio.CancelledError), audited(operation, {"id": "x"}):
        raise asyncio.CancelledError
    assert records_after(services, before) == ["query Peek"]


def test_refusals_before_execution_run_nothing_and_record_nothing(
    services: Services, orgs: dict[str, Scope]
) -> None:
    before = last_seq(services)

    async def run() -> list[Status]:
        statuses = []
        for query, allowed in ((SUBMIT, QUERIES),  # a mutation by GET
                               ("subscription { alertRaised { id } }", QUERIES_AND_MUTATIONS),
                               ("{ me { nickname } }", QUERIES_AND_MUTATIONS)):  # invalid
            operation = Operation(services, _scope=orgs["acme"])
            answer = await OPERATIONS.run(operation, query, {"input": REPORT}, None, allowed)
            statuses.append(answer.status)
            assert answer.data is None and answer.errors
        return statuses

    assert asyncio.run(run()) == [Status.NOT_ALLOWED, Status.INVALID, Status.INVALID]
    assert records_after(services, before) == []
    assert services.store.entities_by_id(orgs["acme"], ["wh-1"]).get("wh-1") is None


class Recording(Operations):
    """The served executor, keeping every ``Operation`` it was handed."""

    def __init__(self) -> None:
        super().__init__(SCHEMA, Settings())
        self.seen: list[Operation] = []

    async def run(self, operation: Operation, *args: Any, **kwargs: Any) -> Answer:
        self.seen.append(operation)
        return await super().run(operation, *args, **kwargs)


def test_each_operation_gets_an_operation_of_its_own(
    services: Services, orgs: dict[str, Scope]
) -> None:
    """The pipeline makes a new ``Operation`` per operation: nothing a resolver left on
    one (its scope, reads, audit record) is there for the next, even on one connection's
    credentials."""
    token = services.issue_token(services.find_org("acme"), "investigator")[1]
    credentials = Credentials.of(f"Bearer {token}", "10.0.0.1")
    executor = Recording()
    pipeline = Pipeline(services, executor, TokenBuckets(RateSettings(rate=0)))

    async def scenario() -> None:
        for _ in range(3):
            answer = await pipeline.run(credentials, GraphQLRequest("{ me { role } }"), QUERIES)
            assert answer.data == {"me": {"role": "investigator"}}

    asyncio.run(scenario())
    assert len({id(o) for o in executor.seen}) == 3
    assert all(o.pending_audit is None for o in executor.seen)  # each one's record taken
    assert len({id(o.budget) for o in executor.seen}) == 3


def test_one_bucket_per_token_whichever_transport_asks(
    services: Services, orgs: dict[str, Scope]
) -> None:
    """HTTP's credentials (the header) and a WebSocket's (``{"token": ...}`` made into a
    header) of one token draw on one bucket; U+00A0 after the token is another caller."""
    token = services.issue_token(services.find_org("acme"), "investigator")[1]
    buckets = TokenBuckets(RateSettings(rate=1e-6, burst=2), clock=lambda: 0.0)
    pipeline = Pipeline(services, OPERATIONS, buckets)
    http = Credentials.of(f"Bearer {token}", "10.0.0.1")
    socket = Credentials.of(f"bearer  {token}", "10.0.0.2")
    odd = Credentials.of(f"Bearer {token}\u00a0", "10.0.0.1")
    me = GraphQLRequest("{ me { role } }")

    async def scenario() -> list[object]:
        out: list[object] = [(await pipeline.run(http, me, frozenset(OperationType))).status]
        stream = await pipeline.stream(socket, me)
        assert not isinstance(stream, AsyncGenerator)
        out.append(stream.status)
        out.append((await pipeline.run(http, me, frozenset(OperationType))).status)
        refused = await pipeline.stream(odd, me)
        assert not isinstance(refused, AsyncGenerator)
        out.append(refused.status)
        return out

    assert asyncio.run(scenario()) == [Status.EXECUTED, Status.EXECUTED, Status.RATE_LIMITED,
                                       Status.UNAUTHENTICATED]
    assert odd.token is None and http.bucket == socket.bucket != odd.bucket
