"""The upstream walk of `graph_api.analytics.walks`, run for many origins at once on a
`Snapshot`: a breadth-first search over (origin, node) pairs in numpy.

The walk steps are those of `UpstreamWalk` at ``min_confidence`` 0: SHIPS_FROM
and SUPPLIED_BY forwards from any entity, OPERATES forwards from a SELLER,
LISTS backwards from a LISTING. A node is reachable from an origin within
``depth`` steps exactly when its breadth-first distance is at most ``depth``,
so the search keeps, per level, only the pairs not seen before.
"""

from __future__ import annotations

import numpy as np

from graph_api.analytics.snapshot import Snapshot, distinct
from graph_api.view_columns import BoolArray, IntArray

__all__ = ["infringing", "is_source", "reach", "upstream_steps"]


def upstream_steps(sn: Snapshot) -> tuple[IntArray, IntArray]:
    """The walk's steps as CSR (``indptr``, ``indices``): targets of node i are
    ``indices[indptr[i]:indptr[i + 1]]``, sorted, without repeats."""
    got = sn.derived.get("upstream_steps")
    if got is None:
        n = len(sn)
        walked = sn.conf >= 0.0  # min_confidence 0 (every confidence is in [0, 1])
        seller = sn.of_kind("SELLER")
        forward = walked & (
            sn.rel_is("SHIPS_FROM", "SUPPLIED_BY") | (sn.rel_is("OPERATES") & seller[sn.src])
        )
        backward = walked & sn.rel_is("LISTS") & sn.of_kind("LISTING")[sn.dst]
        a = np.concatenate((sn.src[forward], sn.dst[backward]))
        b = np.concatenate((sn.dst[forward], sn.src[backward]))
        keys = distinct(a * n + b)
        got = sn.derived["upstream_steps"] = (
            np.searchsorted(keys // max(n, 1), np.arange(n + 1)).astype(np.int64),
            keys % max(n, 1),
        )
    return got


def is_source(sn: Snapshot) -> BoolArray:
    """Per node: a trace source, i.e. a FACTORY, or a WAREHOUSE without a walkable
    SUPPLIED_BY of its own."""
    got = sn.derived.get("is_source")
    if got is None:
        supplied = np.zeros(len(sn), dtype=bool)
        supplied[sn.src[sn.rel_is("SUPPLIED_BY") & (sn.conf >= 0.0)]] = True
        got = sn.derived["is_source"] = sn.of_kind("FACTORY") | (
            sn.of_kind("WAREHOUSE") & ~supplied
        )
    return got


def infringing(sn: Snapshot, brand: str | None = None) -> IntArray:
    """Positions of the nodes with an INFRINGES relation to ``brand`` (to any BRAND
    when None), sorted."""
    if brand is None:
        target = sn.of_kind("BRAND")
    else:
        target = np.zeros(len(sn), dtype=bool)
        b = sn.position(brand)
        if b is None:
            return np.zeros(0, dtype=np.int64)
        target[b] = True
    return distinct(sn.src[sn.rel_is("INFRINGES") & target[sn.dst]])


def reach(
    sn: Snapshot, origins: IntArray, depth: int, blocked: BoolArray | None = None
) -> tuple[IntArray, IntArray]:
    """Every (row, node) with ``node`` reachable from ``origins[row]`` in 1..``depth``
    walk steps (an origin reaches itself only round a cycle); sorted, unique.
    ``blocked`` (per node): walk the view without those nodes (no step enters one;
    an origin that is blocked still steps out: leave it out of ``origins``)."""
    n = max(len(sn), 1)
    if depth <= 0 or len(origins) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    indptr, indices = upstream_steps(sn)
    if blocked is not None and blocked.any():
        kept = ~blocked[indices]
        indptr = np.concatenate(([0], np.cumsum(kept)))[indptr]
        indices = indices[kept]
    seen = frontier = _step(indptr, indices, np.arange(len(origins)), origins, n)
    for _ in range(depth - 1):
        if frontier.size == 0:
            break
        nxt = _step(indptr, indices, frontier // n, frontier % n, n)
        at = np.searchsorted(seen, nxt)
        old = at < len(seen)
        old[old] = seen[at[old]] == nxt[old]
        frontier = nxt[~old]
        seen = np.sort(np.concatenate((seen, frontier)))
    return seen // n, seen % n


def _step(indptr: IntArray, indices: IntArray, rows: IntArray, nodes: IntArray, n: int) -> IntArray:
    """Sorted unique keys ``row * n + target`` of one step from each (row, node)."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    ends = np.cumsum(counts)
    within = np.arange(total, dtype=np.int64) - np.repeat(ends - counts, counts)
    targets = indices[np.repeat(starts, counts) + within]
    return distinct(np.repeat(rows, counts) * n + targets)
