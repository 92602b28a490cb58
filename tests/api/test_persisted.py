"""Persisted queries (docs/limits.md, ``graph_api.api.persisted``) in process: Apollo's
automatic persisted queries through the one executor (a hash's hit neither parses nor
validates), over HTTP POST and GET, the bounded memory, and the safelist mode with its
two ways in (the operator's command, a PLATFORM admin's registration) surviving a
restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.api import operations as operations_module
from graph_api.api import persisted as persisted_module
from graph_api.api.app import create_app
from graph_api.api.context import Operation
from graph_api.api.exchange import Answer, GraphQLRequest, Status, formatted
from graph_api.api.operations import Operations
from graph_api.api.persisted import FOLDER, sha256_of
from graph_api.config import Settings
from graph_api.model import OrgType
from graph_api.services import Services
from graph_api.workflow import start_workflow
from tests.cli_support import Run, cli_over
from tests.conftest import FixedClock
from tests.security.test_limits import TestClient
from tests.support import SCHEMA

ME = "query Me { me { role org { id } } }"
SUBMIT = "mutation($input: ReportInput!) { submitReport(input: $input) { created } }"


def persisted(query: str | None, sha256: str | None = None, version: object = 1,
              variables: dict[str, Any] | None = None) -> GraphQLRequest:
    hashed = sha256 or sha256_of(query or "")
    return GraphQLRequest(query, variables, None,
                          {"persistedQuery": {"version": version, "sha256Hash": hashed}})


def run(executor: Operations, operation: Operation, request: GraphQLRequest) -> Answer:
    return asyncio.run(executor.run(operation, request))


def codes(answer: Answer) -> list[str]:
    return [formatted(e)["extensions"]["code"] for e in answer.errors]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the executor parses and validates."""
    calls = {"parse": 0, "validate": 0}
    parse, validate = operations_module.parse, operations_module.validate_document

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        calls["parse"] += 1
        return parse(*args, **kwargs)

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        calls["validate"] += 1
        return validate(*args, **kwargs)

    monkeypatch.setattr(operations_module, "parse", counting_parse)
    monkeypatch.setattr(operations_module, "validate_document", counting_validate)
    return calls


def test_register_then_hit_without_parse_or_validation(
    services: Services, orgs: dict[str, Scope], counted: dict[str, int]
) -> None:
    executor = Operations(SCHEMA, services.settings)
    operation = lambda: Operation(services, _scope=orgs["acme"])  # noqa: E731
    missed = run(executor, operation(), persisted(None, sha256_of(ME)))
    assert missed.status is Status.PERSISTED_QUERY_NOT_FOUND
    assert [e.message for e in missed.errors] == ["PersistedQueryNotFound"]
    assert codes(missed) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert counted == {"parse": 0, "validate": 0}
    registered = run(executor, operation(), persisted(ME))
    assert registered.data == {"me": {"role": "investigator", "org": {"id": "acme"}}}
    assert counted == {"parse": 1, "validate": 1}
    for _ in range(3):
        hit = run(executor, operation(), persisted(None, sha256_of(ME)))
        assert hit.status is Status.EXECUTED and hit.data == registered.data
    assert counted == {"parse": 1, "validate": 1}  # the hash alone: neither again
    # the same document sent as text with its hash (a client resending) runs as well
    assert run(executor, operation(), persisted(ME)).data == registered.data


def test_what_is_refused_and_not_kept(services: Services, orgs: dict[str, Scope]) -> None:
    executor = Operations(SCHEMA, services.settings)
    operation = lambda: Operation(services, _scope=orgs["acme"])  # noqa: E731
    other = "{ me { id } }"
    wrong = run(executor, operation(), persisted(ME, sha256_of(other)))
    assert (wrong.status, [e.message for e in wrong.errors]) == (
        Status.MALFORMED, ["provided sha does not match query"])
    for request in (persisted(ME, version=2), persisted(ME, sha256_of(ME).upper()),
                    persisted(None, "abc"), GraphQLRequest(ME, None, None, {"persistedQuery": 1})):
        refused = run(executor, operation(), request)
        assert refused.status is Status.MALFORMED and codes(refused) == ["BAD_USER_INPUT"]
    invalid = "{ me { nickname } }"
    answer = run(executor, operation(), persisted(invalid))
    assert answer.status is Status.INVALID and codes(answer) == ["BAD_USER_INPUT"]
    unknown = run(executor, operation(), persisted(None, sha256_of(invalid)))
    assert unknown.status is Status.PERSISTED_QUERY_NOT_FOUND  # not kept
    # a persisted mutation is still a mutation: not by GET
    submit = run(executor, operation(), persisted(SUBMIT, variables={"input": {}}))
    assert submit.status is Status.INVALID  # its variables are refused, but it is kept
    by_get = asyncio.run(executor.run(operation(), persisted(None, sha256_of(SUBMIT)),
                                      allowed=operations_module.QUERIES))
    assert by_get.status is Status.NOT_ALLOWED


def test_remembered_documents_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(persisted_module, "MAX_REMEMBERED", 3)
    monkeypatch.setattr(persisted_module, "MAX_REMEMBERED_BYTES", 100)
    documents = persisted_module.PersistedDocuments(None)
    texts = [f"{{ me {{ id{' ' * n} }} }}" for n in range(5)]
    for text in texts:
        documents.remember(sha256_of(text), text)
    assert documents.text(sha256_of(texts[0])) is None  # the least recently used went
    assert documents.text(sha256_of(texts[4])) == texts[4]
    documents.remember(sha256_of("x" * 90), "x" * 90)  # bytes bound the memory too
    assert sum(len(t) for t in documents._memory.values()) <= 100
    documents.remember(sha256_of("y" * 101), "y" * 101)  # larger than all: not kept
    assert documents.text(sha256_of("y" * 101)) is None


# -- over HTTP ------------------------------------------------------------------------
def extension(query: str) -> str:
    return json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha256_of(query)}})


def test_over_http_post_and_get(services: Services, orgs: dict[str, Scope]) -> None:
    token = services.issue_token(services.find_org("acme"), "investigator")[1]
    client = TestClient(create_app(services))
    headers = {"Authorization": f"Bearer {token}"}
    query = "query Hashed($n: Int) { entities(first: $n) { totalCount } }"
    params = {"extensions": extension(query), "variables": '{"n": 2}',
              "operationName": "Hashed"}
    for accept in ("application/json", "application/graphql-response+json", "text/html"):
        missed = client.get("/graphql", params=params, headers={**headers, "Accept": accept})
        assert missed.status_code == 200, accept  # not GraphiQL's page, not a 4xx
        assert missed.headers["cache-control"] == "private, no-cache, must-revalidate"
        assert missed.json() == {"errors": [{"message": "PersistedQueryNotFound",
                                             "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
    body = {"query": query, "variables": {"n": 2}, "operationName": "Hashed",
            "extensions": json.loads(params["extensions"])}
    registered = client.post("/graphql", json=body, headers=headers)
    assert registered.status_code == 200 and registered.json() == {
        "data": {"entities": {"totalCount": 0}}}
    hit = client.get("/graphql", params=params, headers=headers)
    assert hit.status_code == 200 and hit.json() == registered.json()
    assert "cache-control" not in hit.headers
    posted = client.post("/graphql", json={k: v for k, v in body.items() if k != "query"},
                         headers=headers)
    assert posted.json() == registered.json()
    wrong = client.post("/graphql", json={**body, "query": query + " "}, headers=headers)
    assert wrong.status_code == 400
    mutation = client.post("/graphql", headers=headers, json={
        "query": SUBMIT, "variables": {"input": {}}, "extensions": json.loads(extension(SUBMIT))})
    assert mutation.status_code == 200
    by_get = client.get("/graphql", headers=headers, params={"extensions": extension(SUBMIT)})
    assert by_get.status_code == 405 and by_get.headers["allow"] == "POST"
    assert client.get("/graphql", headers=headers,
                      params={"extensions": "{not json"}).status_code == 400


# -- the safelist -----------------------------------------------------------------------
@pytest.fixture
def safelisted(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(db=tmp_path / "safe" / "graph.db", persisted_only=True,
                        notice_rights="optional")
    (tmp_path / "safe").mkdir()
    services = start_workflow(Services.open(settings, clock=FixedClock()))
    yield services
    services.close()


def scopes_of(services: Services) -> dict[str, Scope]:
    acme = services.add_org("Acme", OrgType.BRAND, False, "acme")
    bazaar = services.add_org("Bazaar", OrgType.PLATFORM, False, "bazaar")
    out = {}
    for org, role in ((acme, "admin"), (acme, "investigator"), (bazaar, "admin")):
        principal, _ = services.issue_token(org, role)
        out[f"{org.id}:{role}"] = services.scope_for(principal)
    return out


def test_safelist_mode_runs_only_registered_documents(safelisted: Services) -> None:
    scopes = scopes_of(safelisted)
    folder = safelisted.settings.secrets_dir / FOLDER
    executor = Operations(SCHEMA, safelisted.settings)
    as_ = lambda who: Operation(safelisted, _scope=scopes[who])  # noqa: E731
    plain = run(executor, as_("acme:investigator"), GraphQLRequest(ME))
    assert plain.status is Status.INVALID and codes(plain) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    missed = run(executor, as_("acme:investigator"), persisted(None, sha256_of(ME)))
    assert missed.status is Status.PERSISTED_QUERY_NOT_FOUND  # an APQ client resends...
    for who in ("acme:investigator", "acme:admin"):  # ... and is refused: no member org adds
        refused = run(executor, as_(who), persisted(ME))
        assert codes(refused) == ["PERSISTED_QUERY_NOT_IN_LIST"], who
    assert not folder.exists() or not any(folder.iterdir())
    by_platform = run(executor, as_("bazaar:admin"), persisted(ME))
    assert by_platform.data == {"me": {"role": "admin", "org": {"id": "bazaar"}}}
    assert (folder / f"{sha256_of(ME)}.graphql").read_text() == ME
    # a restart (a new executor over the same folder): the hash and the text both run
    restarted = Operations(SCHEMA, safelisted.settings)
    for request in (persisted(None, sha256_of(ME)), GraphQLRequest(ME), persisted(ME)):
        answer = run(restarted, as_("acme:investigator"), request)
        assert answer.data == {"me": {"role": "investigator", "org": {"id": "acme"}}}
    # a file edited by hand no longer answers to its name
    (folder / f"{sha256_of(ME)}.graphql").write_text(ME.replace("role", "id"))
    edited = run(Operations(SCHEMA, safelisted.settings), as_("acme:investigator"),
                 GraphQLRequest(ME))
    assert codes(edited) == ["PERSISTED_QUERY_NOT_IN_LIST"]


@pytest.fixture
def cli(safelisted: Services, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    yield from cli_over(safelisted, capsys, monkeypatch)


def test_the_operators_command_registers_and_a_running_server_finds_it(
    safelisted: Services, cli: Run, tmp_path: Path
) -> None:
    scopes = scopes_of(safelisted)
    executor = Operations(SCHEMA, safelisted.settings)  # running before the command
    investigator = lambda: Operation(safelisted, _scope=scopes["acme:investigator"])  # noqa: E731
    assert codes(run(executor, investigator(), GraphQLRequest(ME))) == [
        "PERSISTED_QUERY_NOT_IN_LIST"]
    me = tmp_path / "me.graphql"
    me.write_text(ME)
    trace = "query Trace($id: ID!) { traceToSource(from: $id) { origin { id } } }"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({
        "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": sha256_of(trace), "name": "Trace", "type": "query",
                        "body": trace}]}))
    status, out, err = cli("persisted", "add", str(me), str(manifest))
    assert status == 0, err
    assert out.splitlines()[-1] == "2 added, 0 already registered"
    assert f"{sha256_of(ME)} added {me}" in out
    answer = run(executor, investigator(), GraphQLRequest(ME))  # found at its first use
    assert answer.data == {"me": {"role": "investigator", "org": {"id": "acme"}}}
    assert run(executor, investigator(), persisted(None, sha256_of(trace), variables={
        "id": "x"})).status is Status.EXECUTED
    status, out, _ = cli("persisted", "list")
    assert status == 0 and f"{sha256_of(ME)} query Me" in out.splitlines()
    assert out.splitlines()[-1] == "2 registered"
    assert cli("persisted", "add", str(me))[1].splitlines()[-1] == "0 added, 1 already registered"
    bad = tmp_path / "bad.graphql"
    bad.write_text("{ me { nickname } }")
    status, _, err = cli("persisted", "add", str(bad), str(me))
    assert status == 2 and "nothing registered" in err and "nickname" in err
    wrong_id = tmp_path / "wrong.json"
    wrong_id.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                                    "operations": [{"id": "1", "body": trace}]}))
    assert cli("persisted", "add", str(wrong_id))[0] == 2
    status, out, _ = cli("persisted", "remove", sha256_of(trace), "0" * 64)
    assert status == 0 and out.splitlines() == [f"{sha256_of(trace)} removed",
                                                f"{'0' * 64} not registered"]
    restarted = Operations(SCHEMA, safelisted.settings)
    assert restarted.documents.text(sha256_of(trace)) is None
