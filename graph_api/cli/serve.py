"""``serve`` (one process, uvicorn workers on Neo4j, or forked workers sharing the
embedded graph) and ``sweep``, the pass the server otherwise runs on its own."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from graph_api.analytics import warm_up, warmed
from graph_api.cli.common import _services

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"

# An idle connection is closed by the server only after clients have given it up:
# httpx and most pools drop theirs after 5 s (uvicorn's default too), and when both
# sides time out together a request sent as the server closes is reset (ReadError).
KEEP_ALIVE_SECONDS = 75


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from graph_api.api.app import create_app

    if args.workers < 1:
        raise ValueError("--workers must be 1 or more")
    # The clustering engine's import (~1 s of CPU: analytics._cluster.engine_module)
    # beside the store's load, not in a server's first rings, where it held the GIL
    # from the request loop for up to 390 ms at a time (bench/RESULTS.md, issue 21
    # head-of-line).
    warm_up()
    services = _services(args, create=True)
    if args.demo:
        from graph_api.demo import demo_banner, load_demo

        tokens = load_demo(services, FIXTURES / "demo")
        print(demo_banner(tokens, f"http://{args.host}:{args.port}"))
    if args.workers > 1 and services.settings.store == "memory":
        return _serve_forked(services, args)
    print(f"serving http://{args.host}:{args.port}/graphql", flush=True)
    # Access lines are INFO and the server logs from WARNING: none was ever written, but
    # uvicorn formatted each one's arguments per request (access_log=False skips that).
    if args.workers > 1:
        # Neo4j: the graph is the database's, so each uvicorn worker opens its own store
        # and catches up before every read: a write acknowledged by one worker is seen
        # by the next read on any.
        settings = services.settings
        os.environ.update(GRAPH_API_DB=str(settings.db.resolve()), GRAPH_API_STORE=settings.store,
                          GRAPH_API_NEO4J_URI=settings.neo4j_uri,
                          GRAPH_API_NEO4J_USER=settings.neo4j_user,
                          GRAPH_API_NEO4J_PASSWORD=settings.neo4j_password,
                          GRAPH_API_ANALYTICS_MAX_AGE=str(settings.analytics_max_age))
        services.close()
        uvicorn.run("graph_api.api.app:app_from_env", factory=True, workers=args.workers,
                    host=args.host, port=args.port, log_level="warning",
                    timeout_keep_alive=KEEP_ALIVE_SECONDS, access_log=False)
        return 0
    uvicorn.run(create_app(services), host=args.host, port=args.port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_SECONDS, access_log=False)
    return 0


def _serve_forked(services: Any, args: argparse.Namespace) -> int:
    """The embedded store's graph loaded once here, then shared by ``--workers``
    processes forked from this one (graph_api.prefork), all serving one socket."""
    from graph_api.api.app import create_app
    from graph_api.prefork import (
        Workers,
        forked,
        listening_socket,
        owned_bytes,
        ready_to_fork,
        serve_on,
    )

    if args.recycle_worker_at is not None and args.recycle_worker_at < 0:
        raise ValueError("--recycle-worker-at must be 0 (never) or more")
    sock = listening_socket(args.host, args.port)
    warmed()  # shared by the workers, and no thread runs at the fork
    ready_to_fork(services)
    recycle = recycle_bytes(args.recycle_worker_at, owned_bytes(os.getpid(), "Rss"))

    def work() -> None:
        forked(services)
        serve_on(sock, create_app(services), log_level="warning",
                 timeout_keep_alive=KEEP_ALIVE_SECONDS, access_log=False)

    print(f"serving http://{args.host}:{args.port}/graphql with {args.workers} workers "
          f"(process {os.getpid()} holds the graph they share)", flush=True)
    status = Workers(args.workers, work, recycle_bytes=recycle).run()
    sock.close()
    print("stopped", flush=True)
    return status



RECYCLE_FRACTION = 0.5  # the default share of the loaded graph a worker may own
RECYCLE_FLOOR = 1 << 30  # ... and at least this, by default


def recycle_bytes(fraction: float | None, loaded: int) -> int:
    """What a worker may own before it is replaced: ``fraction`` of the loaded graph
    (0: never). By default (None) half of it and 1 GiB at least, plus what its views'
    snapshots may take (`graph_api.analytics.kept.KEPT_BYTES`: not drift, what its
    whole-graph answers are followed from). A small graph's half is passed by a few
    whole-graph snapshots (at 100k entities 331 MiB: workers were replaced 9 times a
    minute under load, each paying its snapshots again); at 1M, half the graph alone
    (2.6 GiB) was passed by two views' snapshots and the pages reads copy.

    >>> recycle_bytes(None, 5 << 30) >> 20, recycle_bytes(None, 600 << 20) >> 20
    (3584, 2048)
    >>> recycle_bytes(0.1, 600 << 20) >> 20, recycle_bytes(0, 5 << 30)
    (60, 0)
    """
    from graph_api.analytics.kept import KEPT_BYTES

    if fraction is None:
        return max(int(RECYCLE_FRACTION * loaded), RECYCLE_FLOOR) + KEPT_BYTES
    return int(fraction * loaded)


def cmd_sweep(args: argparse.Namespace) -> int:
    from graph_api.workflow import sweep_command

    services = _services(args)
    try:
        print(sweep_command(services, args.now))
    finally:
        services.close()
    return 0
