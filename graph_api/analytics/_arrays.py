"""The array joins of the interdiction steps: ids to snapshot positions, CSR rows
expanded, distinct pairs, values grouped by row, ids sorted."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from graph_api.analytics.snapshot import Snapshot, distinct
from graph_api.view_columns import IntArray


def _positions(sn: Snapshot, wanted: Iterable[str]) -> list[int]:
    """Positions of the ``wanted`` ids that the view has, in the order given.

    By the ids' hashes, sorted once per snapshot (16 bytes a node, where a dict
    would take about 70): a binary search, then the ids of equal hashes compared.
    """
    got = sn.derived.get("id_hashes")
    if got is None:
        hashes = np.fromiter(map(hash, sn.ids), dtype=np.int64, count=len(sn.ids))
        order = np.argsort(hashes, kind="stable")
        got = sn.derived["id_hashes"] = (hashes[order], order)
    hashes, order = got
    ids = sn.ids
    out: list[int] = []
    for w in wanted:
        if not isinstance(w, str):
            continue
        h = hash(w)
        i = int(np.searchsorted(hashes, h))
        while i < len(hashes) and hashes[i] == h:
            p = int(order[i])
            if ids[p] == w:
                out.append(p)
                break
            i += 1
    return out


def _expand(
    rows: IntArray, indptr: IntArray, indices: IntArray, at: IntArray
) -> tuple[IntArray, IntArray]:
    """Every (rows[i], v) for v in ``indices[indptr[at[i]]:indptr[at[i] + 1]]``."""
    starts = indptr[at]
    counts = indptr[at + 1] - starts
    ends = np.cumsum(counts)
    within = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    within -= np.repeat(ends - counts, counts)
    return np.repeat(rows, counts), indices[np.repeat(starts, counts) + within]


def _pairs(rows: IntArray, values: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct (row, value) pairs, sorted."""
    width = int(values.max()) + 1 if len(values) else 1
    keys = distinct(rows * width + values)
    return keys // width, keys % width


def _split(rows: IntArray, values: IntArray, count: int) -> list[list[int]]:
    """``values`` grouped by ``rows`` (0 <= row < count)."""
    order = np.argsort(rows, kind="stable")
    bounds = np.searchsorted(rows[order], np.arange(count + 1)).tolist()
    ordered = values[order].tolist()
    return [ordered[bounds[i] : bounds[i + 1]] for i in range(count)]


def _sorted_ids(ids: list[str], positions: IntArray) -> tuple[str, ...]:
    return tuple(sorted(ids[p] for p in positions.tolist()))
