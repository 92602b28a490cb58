"""A loopback HTTP load generator, run as its own process: bounded in count and time.

Usage: python bench/http_load.py URL TOKENS IDS_FILE --requests N --concurrency C

TOKENS is one bearer token or several, comma-separated, used in turn; "rps"
counts the answers that were not errors.
Prints one JSON line: {"requests", "errors", "seconds", "rps", "p50_ms", "p99_ms"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time

import httpx

QUERY = """query($id: ID!) { entity(id: $id) { id kind name status confidence properties
  assertions { reportId reportedBy { id } marking confidence source }
  relations(first: 20) { totalCount edges { node { id kind confidence to { id kind } } } } } }"""


async def run(
    url: str, tokens: list[str], ids: list[str], total: int, concurrency: int, max_seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    rng = random.Random(1)
    deadline = time.monotonic() + max_seconds
    counter = iter(range(total))

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as c:

        async def worker() -> None:
            nonlocal errors
            for n in counter:
                if time.monotonic() > deadline:
                    return
                body = {"query": QUERY, "variables": {"id": rng.choice(ids)}}
                start = time.perf_counter()
                headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
                response = await c.post("/graphql", json=body, headers=headers)
                latencies.append(time.perf_counter() - start)
                data = response.json()
                if response.status_code != 200 or data.get("errors"):
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(seconds, 2),
        "rps": round((len(latencies) - errors) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("tokens", help="bearer tokens, comma-separated")
    parser.add_argument("ids")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=120)
    args = parser.parse_args()
    ids = [line.strip() for line in open(args.ids) if line.strip()]
    print(
        json.dumps(
            asyncio.run(
                run(
                    args.url,
                    args.tokens.split(","),
                    ids,
                    args.requests,
                    args.concurrency,
                    args.max_seconds,
                )
            )
        )
    )


if __name__ == "__main__":
    main()
