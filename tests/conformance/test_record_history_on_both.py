"""The records' history on both backends: every version a put writes, read back as the
records stood at any time (``RecordStore.as_of``), equal to a store that had received
only the puts up to then; records written before the history existed; no writes
through the past.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_api.access import instant
from graph_api.services import Services
from graph_api.store.embedded.records import SqliteRecordStore
from graph_api.store.record_history import pack
from graph_api.store.records import Record, RecordStore
from tests.conftest import NEO4J_URI, FixedClock, MakeServices

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
Open = Callable[[FixedClock, str], RecordStore]


@pytest.fixture(params=["sqlite", "neo4j"])
def open_records(
    request: pytest.FixtureRequest, make_services: MakeServices, tmp_path: Path
) -> Iterator[Open]:
    """``open_records(clock, name)``: a fresh record store on its clock (on Neo4j one
    database: a second call empties it)."""
    opened: list[RecordStore] = []
    if request.param == "neo4j" and not NEO4J_URI:
        pytest.skip("no Bolt server: set GRAPH_API_TEST_NEO4J_URI (make test does)")

    def make(clock: FixedClock, name: str) -> RecordStore:
        rs: RecordStore
        if request.param == "neo4j":
            from graph_api.store.neo4j.records import Neo4jRecordStore
            from graph_api.store.neo4j.store import Neo4jStore

            services: Services = make_services("neo4j", name=name)
            assert isinstance(services.store, Neo4jStore)
            rs = Neo4jRecordStore(services.store.driver, services.store.database, clock=clock)
        else:
            rs = SqliteRecordStore(tmp_path / name / "g.db", clock)
        opened.append(rs)
        return rs

    yield make
    for rs in opened:
        rs.close()


Put = tuple[datetime, list[tuple[str, str, dict[str, Any], str, tuple[str, ...]]]]


def script(seed: int) -> list[Put]:
    """Batches of puts at non-decreasing times (some in the same instant): two kinds, a
    handful of ids rewritten with other sort keys and terms."""
    rng = random.Random(seed)
    at = T0
    out: list[Put] = []
    for n in range(14):
        if rng.random() < 0.7:
            at += timedelta(seconds=rng.choice([1, 60, 3600]))
        batch = []
        for id_ in rng.sample(["a", "b", "c", "d", "e"], rng.randint(1, 3)):
            kind = rng.choice(["notice", "penalty"])
            status = rng.choice(["OPEN", "UPHELD", "REVERSED"])
            batch.append((kind, id_, {"id": id_, "status": status, "n": n},
                          f"{rng.randint(0, 3):02d}", (f"status:{status}", "all")))
        out.append((at, batch))
    return out


def apply(rs: RecordStore, clock: FixedClock, puts: list[Put]) -> None:
    for at, batch in puts:
        clock.now = at
        if len(batch) == 1:
            kind, id_, doc, sort, terms = batch[0]
            rs.put(kind, id_, doc, sort=sort, terms=terms)
        else:
            rs.put_many((kind, id_, doc, sort, terms, None) for kind, id_, doc, sort, terms
                        in batch)


def reads(rs: RecordStore) -> dict[str, Any]:
    """Every read of the contract, over both kinds, terms, cursors and directions."""
    def plain(records: list[Record]) -> list[tuple[Any, ...]]:
        return [(r.kind, r.id, r.version, r.sort, r.terms, r.doc) for r in records]

    out: dict[str, Any] = {}
    for kind in ("notice", "penalty"):
        out[f"{kind} get"] = {i: None if (r := rs.get(kind, i)) is None else plain([r])
                              for i in "abcdef"}
        out[f"{kind} many"] = sorted(plain(list(rs.get_many(kind, list("abcdef")).values())))
        for term, desc, limit, sort_max in itertools.product(
                (None, "all", "status:OPEN", "status:UPHELD"), (False, True), (None, 2),
                (None, "01")):
            found = rs.find(kind, term=term, descending=desc, limit=limit, sort_max=sort_max)
            out[f"{kind} {term} {desc} {limit} {sort_max}"] = plain(found)
            if found:
                after = (found[0].sort, found[0].id)
                out[f"{kind} {term} {desc} after"] = plain(rs.find(
                    kind, term=term, descending=desc, after=after, sort_max=sort_max))
        out[f"{kind} count"] = [rs.count(kind), rs.count(kind, "status:OPEN")]
        out[f"{kind} versions"] = {i: plain(rs.versions(kind, i)) for i in "abcde"}
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_as_of_any_time_equals_the_puts_up_to_then(open_records: Open, seed: int) -> None:
    puts = script(seed)
    clock = FixedClock(T0)
    history = open_records(clock, "history")
    apply(history, clock, puts)
    times = sorted({at for at, _ in puts})
    cuts = [T0 - timedelta(seconds=1), *times[1::2], times[-1] + timedelta(days=1)]
    cuts += [t + delta for t in times[:2] for delta in (timedelta(0), timedelta(microseconds=1),
                                                        -timedelta(microseconds=1))]
    past = {cut: reads(history.as_of(instant(cut))) for cut in cuts}
    assert reads(history.as_of(instant(max(cuts)))) == reads(history)  # after all: today
    for n, cut in enumerate(cuts):
        replay_clock = FixedClock(T0)
        replay = open_records(replay_clock, f"replay-{seed}-{n}")
        apply(replay, replay_clock, [p for p in puts if p[0] <= cut])
        expected = reads(replay)
        # the history's own versions: a replay of fewer puts numbers them alike
        assert past[cut] == expected, f"as of {cut.isoformat()}"


def test_the_past_is_read_only_and_earlier_records_enter_once(open_records: Open) -> None:
    clock = FixedClock(T0)
    rs = open_records(clock, "one")
    rs.put("notice", "a", {"v": 1}, sort="1", terms=("all",))
    past = rs.as_of(instant(T0))
    with pytest.raises(PermissionError):
        past.put("notice", "a", {"v": 2})
    with pytest.raises(PermissionError):
        past.put_many([("notice", "a", {"v": 2}, "1", (), None)])
    assert past.as_of(instant(T0 + timedelta(days=1))) is past  # never later than it reads
    assert rs.as_of(instant(T0 - timedelta(microseconds=1))).get("notice", "a") is None


# The tables as files written before records carried their time had them.
EARLIER_LAYOUT = """
CREATE TABLE wf_records (
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, sort TEXT NOT NULL,
    terms TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE TABLE wf_terms (
    kind TEXT NOT NULL, term TEXT NOT NULL, sort TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (kind, term, sort, id)) WITHOUT ROWID;
CREATE TABLE wf_history (
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, at INTEGER NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (kind, id, version));
"""


def earlier_file(path: Path, history: list[tuple[int, int, dict[str, Any]]]) -> None:
    """A file of the earlier layout holding notice ``a`` at its last version, each of
    ``history``'s (version, at, doc) in its history (every version was, then)."""
    conn = sqlite3.connect(path)
    conn.executescript(EARLIER_LAYOUT)
    version, _, doc = history[-1] if history else (1, 0, {"v": 1})
    conn.execute("INSERT INTO wf_records VALUES ('notice', 'a', ?, '1', '[\"all\"]', ?)",
                 (version, orjson.dumps(doc).decode()))
    conn.execute("INSERT INTO wf_terms VALUES ('notice', 'all', '1', 'a')")
    conn.executemany("INSERT INTO wf_history VALUES ('notice', 'a', ?, ?, ?)",
                     [(v, at, pack("1", ["all"], d)) for v, at, d in history])
    conn.commit()
    conn.close()


def test_a_file_of_the_earlier_layout_reads_and_writes_its_history(tmp_path: Path) -> None:
    t1, t2 = instant(T0), instant(T0 + timedelta(days=1))
    earlier_file(tmp_path / "g.db", [(1, t1, {"v": 1}), (2, t2, {"v": 2})])
    clock = FixedClock(T0 + timedelta(days=2))
    rs = SqliteRecordStore(tmp_path / "g.db", clock)
    try:
        assert [r.doc for r in rs.versions("notice", "a")] == [{"v": 1}, {"v": 2}]
        assert rs.as_of(t1).get("notice", "a").doc == {"v": 1}  # type: ignore[union-attr]
        assert rs.as_of(t2).get("notice", "a").doc == {"v": 2}  # type: ignore[union-attr]
        rs.put("notice", "a", {"v": 3}, sort="1", terms=("all",))
        now = instant(clock.now)
        assert [(r.version, r.doc) for r in rs.versions("notice", "a")] == [
            (1, {"v": 1}), (2, {"v": 2}), (3, {"v": 3})]
        assert rs.as_of(t2).get("notice", "a").doc == {"v": 2}  # type: ignore[union-attr]
        assert [r.doc for r in rs.as_of(now).find("notice", term="all")] == [{"v": 3}]
        assert [r.doc for r in rs.as_of(t2).find("notice", term="all")] == [{"v": 2}]
    finally:
        rs.close()


def test_records_from_before_the_history_are_known_from_its_start(tmp_path: Path) -> None:
    earlier_file(tmp_path / "g.db", [])  # a database written before the history
    clock = FixedClock(T0 + timedelta(days=2))
    rs = SqliteRecordStore(tmp_path / "g.db", clock)
    try:
        assert rs.as_of(instant(T0 + timedelta(days=1))).get("notice", "a") is None
        found = rs.as_of(instant(clock.now)).get("notice", "a")
        assert found is not None and found.doc == {"v": 1} and found.version == 1
        clock.now += timedelta(days=1)
        rs.close()
        rs = SqliteRecordStore(tmp_path / "g.db", clock)  # once: not entered again
        assert len(rs.versions("notice", "a")) == 1
    finally:
        rs.close()
