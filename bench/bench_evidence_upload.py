"""Issue 24's number for evidence: a 50 MB upload streamed to disk, not held in memory.

Starts ``graph-api serve --demo`` on a fresh database, opens a case as the regulator's
liaison, resets the server's peak RSS (``/proc/PID/clear_refs``, 5), and sends one
``attachEvidence`` of ``--mb`` MB as the GraphQL multipart request spec has it, the body
generated chunk by chunk (the client holds none of it either). The server's peak RSS
growth is ``VmHWM`` after the upload minus ``VmRSS`` before it. Prints one JSON line.

    .venv/bin/python bench/bench_evidence_upload.py [--mb 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "graph-api"
CHUNK = 64 * 1024
ATTACH = """mutation($to: ID!, $f: Upload!) { attachEvidence(to: $to, file: $f) {
  id bytes sha256 chainVerified } }"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(pid: int, field: str) -> int:
    """A /proc/PID/status field in bytes (it gives kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _body(case_id: str, size: int, boundary: str) -> Iterator[bytes]:
    operations = json.dumps({"query": ATTACH, "variables": {"to": case_id, "f": None}})
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n"
           f"{operations}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n"
           f"\r\n{{\"0\": [\"variables.f\"]}}\r\n--{boundary}\r\nContent-Disposition: "
           f"form-data; name=\"0\"; filename=\"video.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
           ).encode()
    block = os.urandom(CHUNK)
    for sent in range(0, size, CHUNK):
        yield block[: min(CHUNK, size - sent)]
    yield f"\r\n--{boundary}--\r\n".encode()


def run(mb: int, runs: int) -> dict[str, object]:
    size = mb * 1_000_000
    folder = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    port = _port()
    log = (folder / "server.log").open("wb")
    env = {**os.environ, "GRAPH_API_RATE_PER_SECOND": "0"}
    server = subprocess.Popen([str(BIN), "serve", "--demo", "--db", str(folder / "graph.db"),
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        tokens = {}
        for line in (folder / "server.log").read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2].startswith("gapi_"):
                tokens[(parts[0], parts[1])] = parts[2]
        token = tokens[("ipcu", "liaison")]
        headers = {"Authorization": f"Bearer {token}"}
        opened = httpx.post(url + "/graphql", headers=headers, json={"query": """mutation {
            openCase(input: {title: "bench", entities: ["listing-sw-aeropace-01"]}) { id } }"""})
        case_id = opened.json()["data"]["openCase"]["id"]
        growth, seconds = [], []
        for _ in range(runs):
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # reset VmHWM
            before = _status(server.pid, "VmRSS")
            start = time.perf_counter()
            answer = httpx.post(
                url + "/graphql", content=_body(case_id, size, "bench-boundary"), timeout=600,
                headers={**headers, "GraphQL-Require-Preflight": "1",
                         "Content-Type": "multipart/form-data; boundary=bench-boundary"})
            seconds.append(time.perf_counter() - start)
            made = answer.json()["data"]["attachEvidence"]
            assert made["bytes"] == size and made["chainVerified"], answer.text
            growth.append(_status(server.pid, "VmHWM") - before)
        kept = folder / "graph.db.d" / "evidence" / "sha256"
        files = list(kept.glob("*/*"))
        assert all(hashlib.sha256(f.read_bytes()).hexdigest() == f.name for f in files)
        return {"bench": "evidence_upload", "mb": mb, "runs": runs,
                "peak_rss_growth_mb": [round(g / 2**20, 1) for g in growth],
                "max_peak_rss_growth_mb": round(max(growth) / 2**20, 1),
                "seconds": [round(s, 2) for s in seconds],
                "mb_per_second": round(mb / min(seconds), 1),
                "server_rss_after_mb": round(_status(server.pid, "VmRSS") / 2**20, 1),
                "target_mb": 64}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one 10 MB upload")
    args = parser.parse_args()
    result = run(10, 1) if args.quick else run(args.mb, args.runs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
