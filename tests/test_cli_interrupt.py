"""Ctrl-C during `graph-api import` ends it with one line and status 130, not a
traceback; the batches committed before stay, and running the import again counts
them as unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_api import bulk
from graph_api.cli import main
from tests.support import write_lines


def report(n: int) -> dict[str, Any]:
    return {"reportId": f"r{n}", "source": "OSINT", "confidence": 0.7, "marking": "GREEN",
            "entities": [{"id": f"s{n}", "kind": "SELLER"}], "relations": []}


def test_ctrl_c_during_an_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "graph.db")
    assert main(["org", "add", "Acme", "--type", "BRAND", "--db", db]) == 0
    path = write_lines(tmp_path / "in.ndjson", [report(n) for n in range(30)])
    written = bulk._Writer._write

    def stop_after_first_batch(self: Any, batch: Any) -> None:
        written(self, batch)
        raise KeyboardInterrupt  # as if Ctrl-C came while the next batch was read

    monkeypatch.setattr(bulk._Writer, "_write", stop_after_first_batch)
    capsys.readouterr()
    status = main(["import", str(path), "--org", "acme", "--db", db, "--quiet",
                   "--batch-rows", "10"])
    err = capsys.readouterr().err
    assert status == 130
    assert err.startswith("interrupted: what was committed stays") and "Traceback" not in err
    monkeypatch.setattr(bulk._Writer, "_write", written)
    assert main(["import", str(path), "--org", "acme", "--db", db, "--quiet"]) == 0
    assert "imported 20 reports" in capsys.readouterr().out  # the first 10 were kept
