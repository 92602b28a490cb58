"""Schemathesis (GraphQL mode) against a real server: queries and mutations generated
from the served schema — valid and malformed arguments, random selections — as a
brand, the platform and the police. No answer is an HTTP 500, none carries INTERNAL,
and every error carries a code."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # schemathesis' optional extras warn on import
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.graphql import nodes

CODES = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT",
         "LIMIT_EXCEEDED", "UNAVAILABLE"}

schemathesis.graphql.scalar(
    "DateTime",
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                 timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat())),
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(st.just(nodes.Object([])), st.text(max_size=10).map(nodes.String),
              st.integers(-5, 5).map(nodes.Int)),
)
# A file travels beside the document (the multipart request spec), never inside it:
# whatever is written in its place must be refused with a code.
schemathesis.graphql.scalar(
    "Upload", st.one_of(st.just(nodes.Null), st.text(max_size=10).map(nodes.String)),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("schemathesis") / "graph.db"
    running = Server(db, "--demo").start()
    yield running
    running.kill()


def operations(server: Server, token: str) -> list[Any]:
    schema = schemathesis.graphql.from_url(server.url + "/graphql",
                                           headers={"Authorization": f"Bearer {token}"})
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def check(response: Any) -> None:
    assert response.status_code < 500, response.text[:2000]
    body = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code in CODES, error
        assert "Traceback" not in error.get("message", ""), error


@pytest.mark.parametrize("who", [("stridewell", "investigator"), ("bazaarhub", "reviewer"),
                                 ("ipcu", "liaison")])
def test_generated_operations_never_fail_internally(server: Server, who: tuple[str, str],
                                                    tmp_path: Path) -> None:
    token = server.demo_tokens()[who]
    ops = operations(server, token)
    assert len(ops) >= 25, [op.label for op in ops]
    headers = {"Authorization": f"Bearer {token}"}

    # No shrinking: a failure is shown as drawn, and the suite's time stays bounded.
    @settings(max_examples=12, deadline=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        for op in ops:
            mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
            case = data.draw(op.as_strategy(generation_mode=mode), label=op.label)
            check(case.call(base_url=server.url, headers=headers, timeout=30))

    run()
