"""GraphQL over HTTP on a real server: content negotiation by Accept, GET for queries (a
mutation by GET refused with 405), media types in any case, status codes per the spec,
and every error answer — at any layer — in the JSON envelope with ``extensions.code``
(and ``locations`` where the document has any)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

GRJ = "application/graphql-response+json"
JSON = "application/json"
SUBMIT = """mutation Get($input: ReportInput!) { submitReport(input: $input) { created } }"""
WAREHOUSE = {"reportId": "by-get", "source": "OSINT", "confidence": 0.5, "marking": "GREEN",
             "entities": [{"id": "wh-by-get", "kind": "WAREHOUSE"}], "relations": []}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("over-http") / "graph.db", "--demo").start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def token(demo: Server) -> str:
    return demo.demo_tokens()[("stridewell", "investigator")]


def post(demo: Server, token: str, body: Any, accept: str | None = None,
         content_type: str = JSON) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    content = body if isinstance(body, bytes) else httpx.Request(
        "POST", "http://x", json=body).content
    return httpx.post(demo.url + "/graphql", content=content, headers=headers, timeout=30)


def get(demo: Server, token: str, params: dict[str, str], accept: str | None = None
        ) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if accept is not None:
        headers["Accept"] = accept
    return httpx.get(demo.url + "/graphql", params=params, headers=headers, timeout=30)


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


def test_the_answer_follows_accept(demo: Server, token: str) -> None:
    me = {"query": "{ me { role } }"}
    for accept, expected in [(GRJ, GRJ), (JSON, JSON), (None, JSON), ("*/*", JSON),
                             (f"{GRJ}, {JSON};q=0.9", GRJ), (f"{GRJ};q=0.5, {JSON}", JSON),
                             ("text/html", JSON)]:
        response = post(demo, token, me, accept)
        assert response.status_code == 200, (accept, response.text)
        assert media(response) == expected, accept
        assert "charset=utf-8" in response.headers["content-type"]
        assert response.json() == {"data": {"me": {"role": "investigator"}}}


@pytest.mark.parametrize(("query", "variables", "located"), [
    ("{ me { role ", None, True),  # a parse error
    ("{ me { nickname } }", None, True),  # a validation error
    ("query($id: ID!) { entity(id: $id) { id } }", {"id": None}, True),  # variable coercion
])
def test_request_errors_are_400_without_data_under_graphql_response_json(
    demo: Server, token: str, query: str, variables: Any, located: bool
) -> None:
    body = {"query": query, "variables": variables}
    strict = post(demo, token, body, GRJ)
    assert strict.status_code == 400 and media(strict) == GRJ
    answer = strict.json()
    assert "data" not in answer
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert ("locations" in error) is located and error["locations"][0]["line"] == 1
    legacy = post(demo, token, body, JSON)  # the README's promise to application/json
    assert legacy.status_code == 200 and legacy.json()["data"] is None
    assert legacy.json()["errors"] == answer["errors"]


def test_limits_are_request_errors_with_their_code(demo: Server, token: str) -> None:
    aliases = " ".join(f"a{i}: me {{ role }}" for i in range(31))
    strict = post(demo, token, {"query": "{ %s }" % aliases}, GRJ)
    assert strict.status_code == 400
    assert strict.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_field_errors_keep_data_locations_path_and_code(demo: Server, token: str) -> None:
    query = ('{ me { role } entity(id: "seller-golden-step") '
             '{ relations(first: -1) { totalCount } } }')
    for accept in (GRJ, JSON):
        response = post(demo, token, {"query": query}, accept)
        assert response.status_code == 200
        answer = response.json()
        assert answer["data"] == {"me": {"role": "investigator"}, "entity": None}
        error = answer["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}
        assert error["path"] == ["entity", "relations"]
        assert error["locations"] == [{"line": 1, "column": query.index("relations") + 1}]


def test_get_runs_queries(demo: Server, token: str) -> None:
    plain = get(demo, token, {"query": "{ me { role } }"})
    assert plain.status_code == 200 and media(plain) == JSON
    assert plain.json() == {"data": {"me": {"role": "investigator"}}}
    named = get(demo, token, {
        "query": "query A($id: ID!) { entity(id: $id) { id } } query B { me { role } }",
        "variables": '{"id": "seller-golden-step"}', "operationName": "A"}, GRJ)
    assert named.status_code == 200 and media(named) == GRJ
    assert named.json() == {"data": {"entity": {"id": "seller-golden-step"}}}
    broken = get(demo, token, {"query": "{ me { role } }", "variables": "{not json"})
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_mutation_by_get_is_refused_with_405_and_not_run(demo: Server, token: str) -> None:
    for accept in (GRJ, JSON):
        refused = get(demo, token, {"query": SUBMIT, "variables": json.dumps(
            {"input": WAREHOUSE})}, accept)
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
        answer = refused.json()
        assert "data" not in answer
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "POST" in answer["errors"][0]["message"]
    missing = post(demo, token, {"query": '{ entity(id: "wh-by-get") { id } }'})
    assert missing.json() == {"data": {"entity": None}}  # nothing was written


@pytest.mark.parametrize("content_type", ["Application/JSON", "application/json; charset=UTF-8",
                                          'APPLICATION/JSON;Charset="utf-8"'])
def test_media_types_are_case_insensitive(demo: Server, token: str, content_type: str) -> None:
    response = post(demo, token, {"query": "{ me { role } }"}, "Application/GraphQL-Response+JSON",
                    content_type)
    assert response.status_code == 200 and media(response) == GRJ
    assert response.json() == {"data": {"me": {"role": "investigator"}}}


def test_every_error_answer_is_the_json_envelope(demo: Server, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    answers = {
        "unknown path": httpx.get(demo.url + "/nothing-here", headers=auth),
        "method": httpx.put(demo.url + "/graphql", headers=auth, content=b"{}"),
        "media type": post(demo, token, b'{"query": "{ me { role } }"}', None, "text/plain"),
        "charset": post(demo, token, b'{"query": "{ me { role } }"}', None,
                        "application/json; charset=latin-1"),
        "not json": post(demo, token, b"{not json"),
        "empty": post(demo, token, b""),
        "no query": post(demo, token, {"qeury": "{ me { role } }"}, GRJ),
        "batch": post(demo, token, [{"query": "{ me { role } }"}]),
        "subscription by POST": post(demo, token, {"query": "subscription { alertRaised { id } }"},
                                     GRJ),
    }
    expected = {"unknown path": (404, "NOT_FOUND"), "method": (405, "BAD_USER_INPUT"),
                "media type": (415, "BAD_USER_INPUT"), "charset": (415, "BAD_USER_INPUT"),
                "not json": (400, "BAD_USER_INPUT"), "empty": (400, "BAD_USER_INPUT"),
                "no query": (400, "BAD_USER_INPUT"), "batch": (400, "BAD_USER_INPUT"),
                "subscription by POST": (400, "BAD_USER_INPUT")}
    for name, response in answers.items():
        assert response.headers["content-type"].split(";")[0] in (JSON, GRJ), name
        body = response.json()
        assert "data" not in body, name
        code = body["errors"][0]["extensions"]["code"]
        assert (response.status_code, code) == expected[name], (name, response.text)
        assert "Traceback" not in response.text
    assert "WebSocket" in answers["subscription by POST"].json()["errors"][0]["message"]


def test_a_chunked_body_over_the_limit_is_413_not_a_failure(demo: Server, token: str) -> None:
    """No Content-Length: the body is counted as it comes, and refused in the envelope."""
    chunk = b'{"query": "{ me { role } }", "variables": {"pad": "' + b"x" * (64 * 1024)

    def body() -> Iterator[bytes]:
        yield chunk
        for _ in range(40):  # 2.5 MB in all, over the 2 MiB limit
            yield b"x" * (64 * 1024)
        yield b'"}}'

    response = httpx.post(demo.url + "/graphql", content=body(), timeout=30,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": JSON})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "Traceback" not in demo.log.read_text()
    small = httpx.post(demo.url + "/graphql", content=iter([b'{"query": "{ me { role } }"}']),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": JSON})
    assert small.json() == {"data": {"me": {"role": "investigator"}}}  # chunked and small: read
