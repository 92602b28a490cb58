"""How far the greedy interdictionPlan falls below the best plan, on small random views.

    .venv/bin/python bench/bench_interdiction_gap.py [--views 500] [--seed 25]

The views are tests/analytics/test_interdiction.py's ``random_view`` (brands,
listings, storefronts, sellers, warehouses and factories with cycles and odd
relations); per view a random brand (or all), depth 2, 3 or 6, and every
warehouse and factory as a candidate. The best plan is brute force over every
candidate set within the budget. Prints a Markdown table (bench/RESULTS.md and
docs/link-analysis.md record it).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph_api.analytics.interdiction import interdiction_plan  # noqa: E402
from tests.analytics.test_interdiction import (  # noqa: E402
    considered,
    optimum,
    random_view,
    sites,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--views", type=int, default=500)
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    print("| view size | budget | views with a cut | greedy < best | worst greedy/best "
          "| mean greedy/best | largest shortfall (listings) | greedy empty, best > 0 |")
    print("|---|---|---|---|---|---|---|---|")
    for size in (1, 2):
        for budget in (2, 3):
            rng = random.Random(args.seed * 100 + size * 10 + budget)
            views = below = empty = 0
            ratios: list[float] = []
            shortfall = 0
            for _ in range(args.views):
                G = random_view(rng, size)
                brand = rng.choice([None, "br0", "br1"])
                depth = rng.choice([2, 3, 6])
                best = optimum(G, brand, budget, sites(G), depth)
                if best == 0 or not considered(G, brand, depth):
                    continue
                got = interdiction_plan(G, brand, budget, max_depth=depth).cut
                views += 1
                ratios.append(got / best)
                below += got < best
                empty += got == 0
                shortfall = max(shortfall, best - got)
            print(f"| {size} | {budget} | {views} | {below} ({below / views:.1%}) "
                  f"| {min(ratios):.2f} | {sum(ratios) / len(ratios):.3f} | {shortfall} "
                  f"| {empty} |")


if __name__ == "__main__":
    main()
