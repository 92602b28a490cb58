"""`make bench`: every benchmark under bench/, each printing JSON lines.

Pass --quick for small sizes (a smoke run); record real runs in bench/RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    quick = "--quick" in sys.argv
    benches = sorted(p for p in HERE.glob("bench_*.py"))
    failed = 0
    for bench in benches:
        args = [sys.executable, str(bench)]
        if quick and bench.name == "bench_core.py":
            args += ["--sellers", "2000", "--requests", "500"]
        print(f"== {bench.name}", flush=True)
        failed += subprocess.run(args).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
