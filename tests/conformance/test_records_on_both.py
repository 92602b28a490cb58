"""The workflow ``RecordStore`` contract on both backends: SQLite and Neo4j.

Versions and ``Conflict``, index terms, keyset order both ways, ``sort_max``,
all-or-nothing transactions (nested ones join), and two processes over one
database racing for the same record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_api.errors import Conflict
from graph_api.services import Services
from graph_api.store.embedded.records import SqliteRecordStore
from graph_api.store.records import RecordStore
from tests.conftest import NEO4J_URI, MakeServices


@pytest.fixture(params=["sqlite", "neo4j"])
def open_records(
    request: pytest.FixtureRequest, make_services: MakeServices, tmp_path: Path
) -> Iterator[Any]:
    """``open_records()``: a record store; a second call opens another client of the same
    database (another worker or replica)."""
    opened: list[RecordStore] = []
    if request.param == "neo4j":
        if not NEO4J_URI:
            pytest.skip("no Bolt server: set GRAPH_API_TEST_NEO4J_URI (make test does)")
        from graph_api.store.neo4j.records import Neo4jRecordStore
        from graph_api.store.neo4j.store import Neo4jStore

        first: Services = make_services("neo4j")

        def make() -> RecordStore:
            if not opened:
                store = first.store
            else:
                store = make_services("neo4j", name=f"replica{len(opened)}").store
            assert isinstance(store, Neo4jStore)
            return Neo4jRecordStore(store.driver, store.database)
    else:
        def make() -> RecordStore:
            return SqliteRecordStore(tmp_path / "g.db")

    def tracked() -> RecordStore:
        rs = make()
        opened.append(rs)
        return rs

    yield tracked
    for rs in opened:
        rs.close()


def test_versions_terms_and_order(open_records: Any) -> None:
    rs = open_records()
    for i, status in enumerate(["OPEN", "OPEN", "UPHELD", "OPEN"]):
        rs.put("notice", f"n{i}", {"status": status, "n": i}, sort=f"2026-0{i + 1}",
               terms=[f"status:{status}", "all"], expect=0)
    assert [r.id for r in rs.find("notice", term="status:OPEN")] == ["n0", "n1", "n3"]
    assert [r.id for r in rs.find("notice", term="status:OPEN", sort_max="2026-02")] == [
        "n0", "n1"]
    assert [r.id for r in rs.find("notice", after=("2026-02", "n1"))] == ["n2", "n3"]
    assert [r.id for r in rs.find("notice", term="all", after=("2026-02", "n1"))] == [
        "n2", "n3"]
    assert [r.id for r in rs.find("notice", descending=True, limit=2)] == ["n3", "n2"]
    assert [r.id for r in rs.find("notice", term="all", descending=True,
                                  after=("2026-03", "n2"))] == ["n1", "n0"]
    assert rs.find("notice", term="nothing") == [] and rs.find("case") == []
    with pytest.raises(Conflict):
        rs.put("notice", "n0", {"status": "X"}, expect=0)
    with pytest.raises(Conflict):
        rs.put("notice", "n0", {"status": "X"}, expect=7)
    updated = rs.put("notice", "n0", {"status": "UPHELD"}, sort="2026-01",
                     terms=["status:UPHELD", "all"], expect=1)
    assert (updated.version, updated.doc, updated.terms) == (
        2, {"status": "UPHELD"}, ("status:UPHELD", "all"))
    assert rs.get("notice", "n0") == updated
    assert rs.count("notice", "status:OPEN") == 2 and rs.count("notice", "status:UPHELD") == 2
    assert rs.count("notice") == 4 and rs.count("case") == 0
    assert set(rs.get_many("notice", ["n1", "n2", "nope"])) == {"n1", "n2"}
    assert rs.get("notice", "nope") is None and rs.get("case", "n1") is None
    moved = rs.put("notice", "n3", {"status": "OPEN"}, sort="2026-00", terms=["status:OPEN"])
    assert moved.version == 2
    assert [r.id for r in rs.find("notice", term="status:OPEN")] == ["n3", "n1"]
    assert rs.count("notice", "all") == 3


def test_put_many_is_all_or_nothing(open_records: Any) -> None:
    rs = open_records()
    rs.put("penalty", "p1", {"x": 1}, sort="a", terms=["subject:s"])
    with pytest.raises(Conflict):
        rs.put_many([("penalty", "p2", {"x": 2}, "b", ("subject:s",), 0),
                     ("penalty", "p1", {"x": 3}, "a", ("subject:t",), 5)])
    assert rs.get("penalty", "p2") is None and rs.get("penalty", "p1").doc == {"x": 1}
    with pytest.raises(Conflict):
        rs.put_many([("penalty", "p3", {"x": 2}, "b", (), 0),
                     ("penalty", "p1", {"x": 3}, "a", (), 0)])
    assert rs.get("penalty", "p3") is None
    rs.put("penalty", "p4", {"x": 1}, sort="c", terms=["t1", "t3"])
    rs.put_many([("penalty", "p4", {"x": 2}, "c", ("t2", "t3"), 1),
                 ("penalty", "p5", {"x": 1}, "d", ("t1",), 0),
                 ("penalty", "p1", {"x": 4}, "a", ("subject:s",), 1)])
    p4 = rs.get("penalty", "p4")
    assert (p4.version, p4.doc, p4.terms) == (2, {"x": 2}, ("t2", "t3"))
    assert [r.id for r in rs.find("penalty", term="t1")] == ["p5"]
    assert [r.id for r in rs.find("penalty", term="t3")] == ["p4"]
    assert [r.doc for r in rs.find("penalty", term="subject:s")] == [{"x": 4}]


def test_a_failed_transaction_writes_nothing(open_records: Any) -> None:
    rs = open_records()
    with pytest.raises(Conflict):
        with rs.transaction():
            rs.put("case", "a", {"x": 1}, expect=0)
            assert rs.get("case", "a").doc == {"x": 1}  # reads inside see the writes
            rs.put("case", "a", {"x": 2}, expect=0)
    assert rs.get("case", "a") is None
    with pytest.raises(RuntimeError):
        with rs.transaction():
            rs.put("case", "a", {"x": 1}, terms=["all"])
            raise RuntimeError("the step failed")
    assert rs.get("case", "a") is None and rs.count("case", "all") == 0
    with rs.transaction():
        with rs.transaction():
            rs.put("case", "b", {"x": 1})
        rs.put("case", "c", {"x": 1})
    assert set(rs.get_many("case", ["b", "c"])) == {"b", "c"}


def test_two_clients_of_one_database_race_for_a_record(open_records: Any) -> None:
    one, two = open_records(), open_records()
    one.put("notice", "n1", {"status": "OPEN"}, terms=["status:OPEN"], expect=0)
    seen = two.get("notice", "n1")
    assert seen is not None and seen.version == 1  # the other worker sees the write
    one.put("notice", "n1", {"status": "UPHELD"}, terms=["status:UPHELD"], expect=1)
    with pytest.raises(Conflict):  # two decided on what it read before: refused
        two.put("notice", "n1", {"status": "REVERSED"}, expect=seen.version)
    with pytest.raises(Conflict):
        two.put("notice", "n9", {}, expect=0) if one.put("notice", "n9", {}, expect=0) else None
    assert two.get("notice", "n1").doc == {"status": "UPHELD"}
    assert [r.id for r in two.find("notice", term="status:UPHELD")] == ["n1"]
