"""Synthetic alliance networks with planted truth, streamed as NDJSON reports.

Behind ``graph-api generate --sellers N --seed S --out FILE.ndjson``. Everything
follows from ``random.Random(seed)``: the same arguments give the same bytes.

Shape (150,000 sellers: about 1.02M entities, 3.42M distinct relations, 3.58M
relation assertions, 227k reports, 580 MB, 31 s and 80 MB RSS on 2 cores):

- a seller OPERATES 1-2 storefronts (ring sellers share out 1-3 per seller, and
  a quarter of ring storefronts are co-run by a second ring seller); a
  storefront LISTS 1-3 listings, each INFRINGING one brand; listings and
  storefronts SHIP_FROM regional warehouses, which are SUPPLIED_BY upstream
  warehouses or factories; upstream warehouses without SUPPLIED_BY are import
  hubs, hence trace sources;
- sellers and storefronts USE identifiers (phones, bank accounts, addresses,
  devices); each value is unique unless shared on purpose, and reports spell
  phones, bank accounts and e-mails in varied but equal-once-normalised ways;
- 55 % of sellers sit in planted rings of 5-40 sellers+storefronts that share a
  pool of identifiers and their own warehouses and factories; ~45 % of rings are
  known (a RING entity with MEMBER_OF), the others are not;
- default noise: 2 % of independent sellers use an identifier of an unrelated
  seller; 0.2 % of ring storefronts ship from another ring's warehouse and 0.15 %
  of ring sellers are ASSOCIATED_WITH a seller of another ring (rare, because
  Louvain fuses two small communities joined by a single edge in a graph this
  large). Louvain over the ring-forming kinds recovers the rings with an
  adjusted Rand index of about 0.99 at 2,000 sellers and 0.95 at 150,000;
- each cluster lies in one region drawn from a long tail (Pearl River Delta,
  Yangtze River Delta and Southeast China hold about 2/3, ten regions about
  93 %), with its storefronts, warehouses and factories, so every listing
  counts in exactly one region;
- 1.2 % of independent sellers are BANNED (CLEAR report, storefronts CLOSED);
  60 % of them come back as a new seller, or only a new storefront, re-using
  their phone or bank account.

Reports: a BRAND list (CLEAR); per region, public supply-chain reports (GREEN
or AMBER, ~15 % of SUPPLIED_BY asserted again by a second org); per ring, its
supply chain (sometimes confirmed by a second org) and, for known rings, a
LAW_ENFORCEMENT (AMBER) or INVESTIGATION (GREEN) report with MEMBER_OF; per
seller one PLATFORM_DATA report (GREEN, AMBER or CLEAR), a brand TEST_BUY for
35 % of sellers (GREEN, AMBER, some shared with another brand, or CLEAR) that
re-asserts LISTS and SHIPS_FROM or reveals a new warehouse, and for 5 % a RED or
AMBER_STRICT brand report. RED and AMBER_STRICT reports only re-assert entities
and USES / OPERATES / INFRINGES relations already stated in GREEN, CLEAR or
AMBER reports (never SHIPS_FROM, LISTS or SUPPLIED_BY), so the whole planted
structure, and every trace score, is the same for the platform org as for an
all-seeing reader. Every relation states its own confidence (0.5-0.99).

Truth is computed over all assertions. ``Truth.sources`` is kept for a sample
of listings only, to bound memory: every listing of the rings numbered below
``SOURCE_SAMPLE_RINGS`` and about ``SOURCE_SAMPLE_OTHERS`` other listings.
Memory stays small: reports are yielded one at a time; only the supply
network, the truth and small noise pools are kept.

The package: ``world`` (regions, brands, orgs, names, shares), ``truth`` (what was
planted), ``draws`` (the small random draws), ``bundle`` (one report being built),
``state`` (ids, identifier values, entities, the supply network kept for tracing) and
``network`` (the plan: infrastructure, independent sellers, rings, follow-ups).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from graph_api.synthetic.network import _Network
from graph_api.synthetic.truth import Truth
from graph_api.synthetic.world import REGIONS, SOURCE_SAMPLE_OTHERS, SOURCE_SAMPLE_RINGS, orgs

__all__ = [
    "REGIONS",
    "SOURCE_SAMPLE_OTHERS",
    "SOURCE_SAMPLE_RINGS",
    "Truth",
    "iter_reports",
    "orgs",
    "write_network",
]


def iter_reports(sellers: int, seed: int, truth: Truth | None = None) -> Iterator[dict[str, Any]]:
    """Yield the reports (NDJSON lines, with ``reportedBy``) of a synthetic network.

    Fills ``truth`` (when given) as it goes; it is complete once the iterator is.
    """
    yield from _Network(sellers, seed, truth if truth is not None else Truth()).reports()


def write_network(
    sellers: int, seed: int, out: Path, progress: Callable[[int], None] | None = None
) -> Truth:
    """Write the network to ``out`` and its truth to ``out.with_suffix('.truth.json')``."""
    truth = Truth()
    net = _Network(sellers, seed, truth, progress)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with out.open("w", encoding="utf-8") as fh:
        for report in net.reports():
            fh.write(dumps(report))
            fh.write("\n")
    with out.with_suffix(".truth.json").open("w", encoding="utf-8") as fh:
        json.dump(truth.to_json(), fh, separators=(",", ":"))
    return truth
