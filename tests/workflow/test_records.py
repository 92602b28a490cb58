"""The record store: versions, terms, keyset order, transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_api.errors import Conflict
from graph_api.store.embedded.records import SqliteRecordStore


def test_versions_terms_and_order(tmp_path: Path) -> None:
    rs = SqliteRecordStore(tmp_path / "g.db")
    for i, status in enumerate(["OPEN", "OPEN", "UPHELD", "OPEN"]):
        rs.put("notice", f"n{i}", {"status": status}, sort=f"2026-0{i + 1}",
               terms=[f"status:{status}"], expect=0)
    assert [r.id for r in rs.find("notice", term="status:OPEN")] == ["n0", "n1", "n3"]
    assert [r.id for r in rs.find("notice", term="status:OPEN", sort_max="2026-02")] == [
        "n0", "n1"]
    assert [r.id for r in rs.find("notice", after=("2026-02", "n1"))] == ["n2", "n3"]
    assert [r.id for r in rs.find("notice", descending=True, limit=2)] == ["n3", "n2"]
    with pytest.raises(Conflict):
        rs.put("notice", "n0", {"status": "X"}, expect=0)
    updated = rs.put("notice", "n0", {"status": "UPHELD"}, sort="2026-01",
                     terms=["status:UPHELD"], expect=1)
    assert updated.version == 2
    assert rs.count("notice", "status:OPEN") == 2 and rs.count("notice", "status:UPHELD") == 2
    rs.close()


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    rs = SqliteRecordStore(tmp_path / "g.db")
    with pytest.raises(Conflict):
        with rs.transaction():
            rs.put("case", "a", {"x": 1}, expect=0)
            rs.put("case", "a", {"x": 2}, expect=0)
    assert rs.get("case", "a") is None
    with rs.transaction():
        with rs.transaction():
            rs.put("case", "b", {"x": 1})
    assert rs.get("case", "b") is not None
    rs.close()
