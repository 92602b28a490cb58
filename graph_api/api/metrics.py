"""``/metrics``: the process's own numbers, as Prometheus text, for the operator only.

Only a PLATFORM admin's token or ``GRAPH_API_METRICS_TOKEN`` reads it (401 without
a token, 403 with another). And it shows the process, not the data: operations
served by transport, seconds spent, open WebSockets, CPU, memory and uptime.
Nothing that counts what callers may not see — reports applied, notice effects,
errors by code across every org — is kept here (DESIGN, "Derived facts").
"""

from __future__ import annotations

import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from graph_api.api.operator import operator_refusal
from graph_api.services import Services

__all__ = ["Metrics", "metrics_page"]


class Metrics:
    """Counters of this process."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.operations: Counter[str] = Counter()  # by transport: http, websocket
        self.seconds = 0.0  # wall time spent answering HTTP requests
        self.open_sockets = 0

    def render(self) -> str:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        lines = [
            "# TYPE graph_api_operations_total counter",
            *(f'graph_api_operations_total{{transport="{k}"}} {v}'
              for k, v in sorted(self.operations.items())),
            "# TYPE graph_api_request_seconds_total counter",
            f"graph_api_request_seconds_total {self.seconds:.6f}",
            "# TYPE graph_api_open_websockets gauge",
            f"graph_api_open_websockets {self.open_sockets}",
            "# TYPE process_cpu_seconds_total counter",
            f"process_cpu_seconds_total {usage.ru_utime + usage.ru_stime:.3f}",
            "# TYPE process_max_resident_memory_bytes gauge",
            f"process_max_resident_memory_bytes {usage.ru_maxrss * 1024}",
            "# TYPE process_uptime_seconds gauge",
            f"process_uptime_seconds {time.monotonic() - self.started:.3f}",
        ]
        return "\n".join(lines) + "\n"


def metrics_page(
    services: Services, metrics: Metrics
) -> Callable[[Request], Awaitable[Response]]:
    """The ``/metrics`` endpoint (``operator.operator_refusal`` says who reads it)."""

    async def page(request: Request) -> Response:
        refused = operator_refusal(services, request)
        if refused is not None:
            return refused
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return page
