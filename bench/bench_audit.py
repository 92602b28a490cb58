"""What the audit ledger adds to `entity` by id: the same query with and without it.

    python bench/bench_audit.py [--sellers 2000] [--requests 2000]

Runs the served executor in-process (no HTTP), alternating the two variants in
rounds so background load hits both alike: "without" replaces ``auditing.audited``
(the one place an operation is recorded) by the time budget alone. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph_api import deadline  # noqa: E402
from graph_api.api import operations as operations_module  # noqa: E402
from graph_api.api.auditing import Outcome  # noqa: E402
from graph_api.api.context import Context  # noqa: E402
from graph_api.api.operations import Operations  # noqa: E402
from graph_api.api.schema import build_schema  # noqa: E402
from graph_api.bulk import import_ndjson  # noqa: E402
from graph_api.config import Settings  # noqa: E402
from graph_api.model import OrgType  # noqa: E402
from graph_api.services import Services  # noqa: E402
from graph_api.synthetic import orgs, write_network  # noqa: E402
from graph_api.workflow import start_workflow  # noqa: E402

QUERY = """query($id: ID!) { entity(id: $id) { id kind name status confidence properties
  assertions { reportId reportedBy { id } marking confidence source }
  relations(first: 20) { totalCount edges { node { id kind confidence to { id kind } } } } } }"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    write_network(args.sellers, 5, work / "net.ndjson")
    services = start_workflow(Services.open(Settings(db=work / "graph.db")))
    for org in orgs():
        services.add_org(org["name"], OrgType(org["type"]), org["trusted"], org["id"])
    scope = services.operator_scope(services.find_org("bazaarhub"))
    import_ndjson(services, scope, work / "net.ndjson", operator=True, progress=False)
    ids = [i for i in services.store.ids_in_order(scope) if i.startswith(("listing", "seller"))]
    executor = Operations(build_schema(), services.settings)
    audited = operations_module.audited

    @contextlib.contextmanager
    def unaudited(operation: Context, variables: object) -> Iterator[Outcome]:
        with deadline.budget(services.settings.request_seconds):
            yield Outcome()

    timings: dict[str, list[float]] = {"with": [], "without": []}

    async def run(name: str, batch: list[str]) -> None:
        operations_module.audited = audited if name == "with" else unaudited  # type: ignore[assignment]
        for eid in batch:
            context = Context(services=services)
            context._scope = scope
            start = time.perf_counter()
            await executor.run(context, QUERY, {"id": eid})
            timings[name].append(time.perf_counter() - start)
        operations_module.audited = audited

    for round_start in range(0, args.requests, 100):
        batch = [ids[(round_start + i) * 7 % len(ids)] for i in range(100)]
        asyncio.run(run("with", batch))
        asyncio.run(run("without", batch))
    p50 = {k: statistics.median(v) * 1000 for k, v in timings.items()}
    print(json.dumps({"bench": "audit_overhead", "requests": args.requests,
                      "entity_p50_ms_with_audit": round(p50["with"], 3),
                      "entity_p50_ms_without": round(p50["without"], 3),
                      "overhead_percent": round(100 * (p50["with"] / p50["without"] - 1), 1)}))


if __name__ == "__main__":
    main()
