"""The load test, short: 50 concurrent clients of mixed reads and writes for ~10 s
against a real server (bench/bench_load.py; the 60 s run is the benchmark). Zero
errors, zero lost acknowledged writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "bench_load.py"


def test_fifty_clients_mixed_reads_and_writes(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--duration", "10", "--clients", "50", "--sellers", "150",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert out.exists(), done.stderr[-3000:]
    summary = orjson.loads(out.read_bytes())
    assert done.returncode == 0, summary
    assert summary["errors"] == 0, summary["first_errors"]
    assert summary["lost_writes"] == 0
    assert summary["acknowledged_writes"] > 0
    assert summary["operations_ms"]["submit"]["n"] > 0
    assert summary["classes_ms"]["whole_graph"]["n"] > 0
    assert summary["requests"] > 100
