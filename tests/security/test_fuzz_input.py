"""Hypothesis fuzzing of submitReport (over GraphQL and as raw mappings) and of bulk
import lines: never INTERNAL, never a partial write, and every refusal carries a code
and a message that names the offending field."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_api.bulk import import_ndjson
from graph_api.errors import GraphAPIError
from graph_api.services import Services
from tests.security.support import Scopes, make_scopes, open_services
from tests.security.world import shared
from tests.support import gql

CODES = {"BAD_USER_INPUT", "LIMIT_EXCEEDED", "CONFLICT", "NOT_FOUND", "FORBIDDEN"}
SUBMIT = """mutation($r: ReportInput!) { submitReport(input: $r) {
    reportId entities relations created } }"""
TABLES = ("reports", "entity_facts", "relation_facts", "vclasses", "orgs", "principals")

json_leaf = st.one_of(
    # what JSON over HTTP can deliver: orjson reads wider integers as floats
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["", " ", "SELLER", "LISTING", "WAREHOUSE", "IDENTIFIER", "PHONE", "RED",
                     "GREEN", "OSINT", "SHIPS_FROM", "wh-1", "listing-1", "wh-secret",
                     "acme", "rival", "x" * 201, "a b", "../etc", "\x00", "é" * 5]),
)
json_value = st.recursive(
    json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


def valid_report(n: int) -> dict[str, Any]:
    return {
        "reportId": f"fuzz-{n}", "source": "OSINT", "confidence": 0.7, "marking": "AMBER",
        "sharedWith": ["rival"], "evidence": [{"kind": "photo", "sha256": "c" * 64}],
        "entities": [
            {"id": "listing-1", "kind": "LISTING"},
            {"id": "wh-f", "kind": "WAREHOUSE", "name": "W", "region": "R",
             "properties": {"k": [1, 2]}},
            {"id": "ph", "kind": "IDENTIFIER", "identifierKind": "PHONE",
             "value": "+44 20 7946 0999"},
            {"id": "seller-f", "kind": "SELLER"},
        ],
        "relations": [
            {"kind": "SHIPS_FROM", "from": "listing-1", "to": "wh-f", "confidence": 0.4},
            {"kind": "USES", "from": "seller-f", "to": "ph"},
        ],
    }


PATHS = [
    ("reportId",), ("source",), ("confidence",), ("marking",), ("sharedWith",),
    ("sharedWith", 0), ("evidence",), ("evidence", 0, "sha256"), ("evidence", 0, "kind"),
    ("entities",), ("entities", 0), ("entities", 0, "id"), ("entities", 0, "kind"),
    ("entities", 1, "name"), ("entities", 1, "properties"), ("entities", 1, "region"),
    ("entities", 2, "value"), ("entities", 2, "identifierKind"), ("entities", 3, "value"),
    ("relations",), ("relations", 0), ("relations", 0, "kind"), ("relations", 0, "from"),
    ("relations", 0, "to"), ("relations", 0, "confidence"), ("relations", 1, "to"),
]


@st.composite
def broken_reports(draw: st.DrawFn, n: int = 0) -> dict[str, Any]:
    """A valid report with a few fields replaced by arbitrary JSON (or dropped)."""
    raw = valid_report(n)
    for path in draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3)):
        target: Any = raw
        for key in path[:-1]:
            try:
                target = target[key]
            except (KeyError, IndexError, TypeError):
                target = None
                break
        if not isinstance(target, dict | list):
            continue
        last = path[-1]
        if isinstance(target, dict) != isinstance(last, str):
            continue  # JSON has string keys only, and lists take indexes
        if isinstance(target, dict) and draw(st.booleans()) and draw(st.booleans()):
            target.pop(last, None)
        elif isinstance(target, list) and not (isinstance(last, int) and last < len(target)):
            continue
        else:
            target[last] = draw(json_value)  # type: ignore[index]
    return raw


def snapshot(services: Services) -> tuple[Any, ...]:
    conn = sqlite3.connect(services.settings.db)
    try:
        counts = tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES)
        reports = tuple(conn.execute("SELECT org_id, report_id, digest FROM reports ORDER BY seq"))
    finally:
        conn.close()
    versions = tuple(services.store.view_version(services.operator_scope(org))
                     for org in services.store.orgs())  # every class is its reporter's
    return counts, reports, versions


def names_field(message: str, field: str) -> bool:
    """The message names the field's last part (``entities[2].kind`` -> ``kind``), or its
    singular; ``input`` is the whole report."""
    leaf = field.rsplit(".", 1)[-1].split("[", 1)[0]
    forms = {leaf, leaf.removesuffix("s"), leaf.removesuffix("ies") + "y"}
    return leaf == "input" or any(form in message for form in forms)


def check_refusal(error: dict[str, Any]) -> None:
    code = error["extensions"]["code"]
    assert code in CODES, error
    message = error["message"]
    assert message, error
    field = error["extensions"].get("field")
    if field is not None:  # our own refusals: the field, and its message names its leaf
        assert names_field(message, field), error
    else:  # GraphQL's coercion of the variables: it names the variable and the path
        assert "$r" in message or "Variable" in message or "field" in message.lower(), error


class World:
    """One store per test (hypothesis runs many examples over it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.services = open_services(folder)
        self.scopes: Scopes = make_scopes(self.services)
        shared(self.services, self.scopes)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(raw=broken_reports())
def test_fuzzed_submit_report_over_graphql(raw: dict[str, Any]) -> None:
    world = _world()
    before = snapshot(world.services)
    answer = gql(world.services, world.scopes["acme"], SUBMIT, {"r": raw})
    if "errors" in answer:
        for error in answer["errors"]:
            check_refusal(error)
        assert snapshot(world.services) == before, raw
    else:
        result = answer["data"]["submitReport"]
        if result["created"]:
            assert snapshot(world.services) != before
        _clean(world, raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(broken_reports(), json_value))
def test_fuzzed_raw_reports(raw: Any) -> None:
    """What a bulk line or a client library hands ``Services.submit_report`` directly."""
    world = _world()
    before = snapshot(world.services)
    try:
        world.services.submit_report(world.scopes["acme"], raw)
    except GraphAPIError as exc:
        assert exc.code in CODES, exc
        assert exc.message
        if exc.field is not None:
            assert names_field(exc.message, exc.field), exc
        assert snapshot(world.services) == before
    else:
        _clean(world, raw)


line_bytes = st.one_of(
    st.binary(max_size=60),
    json_value.map(orjson.dumps),
    broken_reports().map(orjson.dumps),
    st.just(orjson.dumps(valid_report(99))),
    st.just(b'{"reportId": "x", "source": "OSINT"'),  # cut short
    st.just(b'{"reportedBy": "rival", "source": "OSINT", "confidence": 1, "marking": "RED",'
            b' "entities": [{"kind": "SELLER"}], "relations": []}'),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line_bytes, min_size=1, max_size=6))
def test_fuzzed_import_lines(lines: list[bytes]) -> None:
    world = _world()
    before = snapshot(world.services)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lines.ndjson"
        path.write_bytes(b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines))
        errors = Path(tmp) / "errors.txt"
        with errors.open("w") as sink:
            summary = import_ndjson(world.services, world.scopes["acme:analyst"], path,
                                    operator=False, progress=False, errors_to=sink)
        counted = summary.imported + summary.unchanged + summary.failed
        assert counted == sum(1 for line in lines if line.replace(b"\n", b" ").strip())
        for number, text in summary.errors:
            code = text.split(":", 1)[0]
            assert code in CODES, (number, text)
        assert "INTERNAL" not in errors.read_text()
    after = snapshot(world.services)
    assert after[0][0] - before[0][0] == summary.imported  # refused lines wrote nothing
    world.services.store.catch_up()  # type: ignore[attr-defined]
    _reset()


_WORLD: dict[str, World] = {}


def _world() -> World:
    """A world shared by the examples of one test run (rebuilt after an accepted write)."""
    if "w" not in _WORLD:
        folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
        _WORLD["w"] = World(folder)
    return _WORLD["w"]


def _clean(world: World, raw: Any) -> None:
    _reset()


def _reset() -> None:
    world = _WORLD.pop("w", None)
    if world is not None:
        world.services.close()
        shutil.rmtree(world.folder, ignore_errors=True)


@pytest.fixture(autouse=True, scope="module")
def _cleanup() -> Iterator[None]:
    yield
    _reset()
