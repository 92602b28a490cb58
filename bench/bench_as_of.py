"""Issue 25's numbers for time: ``entity`` @asOf against today's, and what time costs
the store.

    .venv/bin/python bench/bench_as_of.py --db PATH [--ids 200] [--rounds 3]

``--db`` names an imported database (e.g. ``generate --sellers 150000 --seed 7``
then ``import``: bench/bench_core.py). The store is opened in process as ``serve``
opens it, and every query runs through the GraphQL pipeline (tests/support.gql), as
a brand's investigator. Measured, alternating in blocks so the machine's load falls
on both alike:

- ``today``: ``entity(id)`` with its assertions and first 20 relations (bench_core's
  ENTITY_QUERY) for ``--ids`` ids spread over the view;
- ``as_of_now``: the same with ``@asOf(at:)`` a second after the newest report (every
  fact admitted: the time check's own cost);
- ``as_of_past``: ``@asOf(at:)`` the middle report's time (half the reports admitted).

Each phase's first round is reported apart (a past view's first read builds the
report times: ``store/horizon.py``). Size: the bytes of what time travel added to the
database — the workflow records' history (``wf_history``, its rows and index, by
SQLite's ``dbstat``), against the whole file; report times were kept before time
travel and are not counted. Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_core import ENTITY_QUERY, emit  # noqa: E402
from graph_api.config import Settings  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.workflow import start_workflow  # noqa: E402
from tests.support import gql  # noqa: E402

AS_OF_QUERY = ENTITY_QUERY.replace("query($id: ID!)", "query($id: ID!, $t: DateTime!) "
                                   "@asOf(at: $t)", 1)


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def history_bytes(db: Path) -> dict[str, int]:
    """Bytes of the whole file and of what time travel added (table and index)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        total = db.stat().st_size
        try:
            rows = con.execute("SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE "
                               "'%wf_history%' GROUP BY name").fetchall()
            added = sum(size for _, size in rows)
        except sqlite3.OperationalError:  # no dbstat compiled in: the data alone
            added = con.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) + COUNT(*) * 48 "
                                "FROM wf_history").fetchone()[0]
        versions = con.execute("SELECT COUNT(*) FROM wf_history").fetchone()[0]
    finally:
        con.close()
    return {"file_bytes": total, "time_travel_bytes": added, "versions": versions}


def report_times(db: Path) -> tuple[datetime, datetime]:
    """The middle and the newest report times."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        columns = {row[1] for row in con.execute("PRAGMA table_info(reports)")}
        column = next(c for c in ("received_at", "reported_at", "at", "created_at")
                      if c in columns)
        times = [row[0] for row in con.execute(f"SELECT {column} FROM reports ORDER BY "
                                               f"{column}")]
    finally:
        con.close()

    def parse(value: Any) -> datetime:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value / 1e6 if value > 1e12 else value, UTC)
        parsed = datetime.fromisoformat(str(value))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    return parse(times[len(times) // 2]), parse(times[-1])


def sample_ids(services: Services, scope: Any, count: int) -> list[str]:
    kinds = ("SELLER", "STOREFRONT", "LISTING", "WAREHOUSE", "FACTORY")
    ids: list[str] = []
    for kind in kinds:
        answer = gql(services, scope, "query($k: EntityKind!, $n: Int!) { entities(kind: $k, "
                     "first: $n) { edges { node { id } } } }",
                     {"k": kind, "n": max(1, count // len(kinds))})
        ids += [e["node"]["id"] for e in answer["data"]["entities"]["edges"]]
    return ids


def lap(services: Services, scope: Any, ids: list[str], at: datetime | None) -> list[float]:
    out = []
    for eid in ids:
        start = time.perf_counter()
        if at is None:
            answer = gql(services, scope, ENTITY_QUERY, {"id": eid})
        else:
            answer = gql(services, scope, AS_OF_QUERY, {"id": eid, "t": at.isoformat()})
        out.append(time.perf_counter() - start)
        assert "errors" not in answer, answer["errors"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--ids", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--org", default="stridewell")
    args = parser.parse_args()
    db = Path(args.db)
    emit("machine", cpus=os.cpu_count(), python=platform.python_version(),
         date=time.strftime("%Y-%m-%d %H:%M"), load=_load())
    middle, newest = report_times(db)
    start = time.perf_counter()
    services = start_workflow(Services.open(Settings.from_env(db=db), create=False))
    emit("open", seconds=round(time.perf_counter() - start, 1), load=_load())
    try:
        principal, _ = services.issue_token(services.find_org(args.org), "investigator")
        scope = services.scope_for(principal)
        gql(services, scope, "{ notices(first: 1) { id } }")  # the records' history begun
        emit("size", **history_bytes(db))
        ids = sample_ids(services, scope, args.ids)
        phases = {"today": None, "as_of_now": newest + timedelta(seconds=1),
                  "as_of_past": middle}
        laps: dict[str, list[float]] = {name: [] for name in phases}
        for round_ in range(args.rounds + 1):
            for name, at in phases.items():
                times = lap(services, scope, ids, at)
                if round_ == 0:
                    emit("entity_first_round", phase=name, ids=len(ids),
                         p50_ms=round(statistics.median(times) * 1e3, 2),
                         max_ms=round(max(times) * 1e3, 1), load=_load())
                else:
                    laps[name] += times
        today = statistics.median(laps["today"])
        for name, times in laps.items():
            times.sort()
            emit("entity", phase=name, requests=len(times),
                 p50_ms=round(statistics.median(times) * 1e3, 2),
                 p90_ms=round(times[int(len(times) * 0.9)] * 1e3, 2),
                 ratio_to_today=round(statistics.median(times) / today, 2), load=_load())
    finally:
        services.close()


if __name__ == "__main__":
    main()
