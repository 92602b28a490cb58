"""A real ``graph-api serve`` process on a free loopback port, over a real SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent / "graph-api"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(db: Path, *args: str, check: bool = True,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(BIN), *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "GRAPH_API_DB": ""},
    )
    if check and done.returncode != 0:
        raise AssertionError(f"graph-api {' '.join(args)} failed: {done.stderr}")
    return done


class Server:
    def __init__(self, db: Path, *extra: str, env: dict[str, str] | None = None,
                 log: Path | None = None) -> None:
        self.db = db
        self.env = env  # added to this process's environment
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or db.parent / f"server-{self.port}.log"
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Server:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN), "serve", "--db", str(self.db), "--port", str(self.port), *self.extra],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(self.env or {})},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log.read_text()[-2000:]}")

    def demo_tokens(self) -> dict[tuple[str, str], str]:
        """(org id, role) -> token, as ``serve --demo`` printed them."""
        tokens = {}
        for line in self.log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2].startswith("gapi_"):
                tokens[(parts[0], parts[1])] = parts[2]
        return tokens

    def cpu_seconds(self) -> float:
        """User+system CPU seconds of the server's process group (it and its uvicorn
        workers): less sensitive than wall time to other jobs sharing the machine."""
        assert self.proc is not None
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # fields[2]: process group
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def gql(
        self,
        token: str | None,
        query: str,
        variables: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": query, "variables": variables or {}}
        response = (client or httpx).post(
            self.url + "/graphql", json=body, headers=headers, timeout=30
        )
        data: dict[str, Any] = response.json()
        return data
