"""A view's nodes and relations as numpy arrays, read once, shared by whole-graph steps.

`top_sources`, `hotspots` and `ring_candidates` read every node and relation of
the caller's view. Reading a lazy, filtered view through Python mappings costs
microseconds per neighbour; `snapshot` reads it once into arrays (nodes and
relations in the view's order) and keeps the result in
``G.__networkx_cache__``, where networkx itself keeps converted graphs, so every
whole-graph step on the same view object reuses it. A store's view is read whole
from its columns instead (`snapshot_of` over ``ViewReads.columns``: numpy over the
embedded store's facts) by the service layer, which puts the result in the view's
cache before any step asks. As with networkx's own cache, a change made through
the networkx API clears it; a view whose underlying graph changes behind it must
be given a fresh cache (the service layer keeps one per view version, see
`graph_api.whole_graph.WholeGraph.cached`). A snapshot of a view's earlier version is
followed over a write's changes instead of read again (`graph_api.analytics.follow`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from graph_api.gc_pause import no_collection
from graph_api.view_columns import (
    BoolArray,
    FloatArray,
    IntArray,
    ViewColumns,
    ViewReads,
    graph_columns,
)

__all__ = [
    "IdIndex",
    "Snapshot",
    "distinct",
    "snapshot",
    "snapshot_of",
]


CACHE_KEY = "graph_api.analytics.snapshot"
PENDING_KEY = "graph_api.analytics.snapshot.pending"
"""Where a view's cache may hold, instead of its snapshot, the second step of following
an earlier one (`graph_api.analytics.follow.follow_read`): `snapshot` runs it, on the
thread that asks."""


class Snapshot:
    """The nodes and relations of one view, frozen into numpy arrays.

    Nodes are numbered in the view's order, which depends on the order the
    store loaded them in: no answer may depend on it (`by_id` sorts positions
    by id). ``kind`` and ``region`` are codes into ``kinds`` and ``regions``
    (-1: none; a region is ``str(value)`` of a truthy value). Relations are
    ``src -> dst`` of kind ``rels[rel]`` with the view's confidence ``conf``,
    grouped by source and, per pair, in the view's key order.
    ``derived`` holds what steps compute from the arrays (walk steps, ...) so
    that they too are computed once per snapshot. ``memo`` is handed on to the
    snapshots `followed` from this one: steps keep there what is a pure
    function of its input (a community's betweenness, the communities of an
    unchanged clustering input), to reuse it when a write left the input as
    it was.
    """

    __slots__ = (
        "ids",
        "kind",
        "kinds",
        "region",
        "regions",
        "src",
        "dst",
        "rel",
        "rels",
        "conf",
        "derived",
        "memo",
        "index",
    )

    def __init__(
        self,
        ids: list[str],
        kind: tuple[IntArray, list[str]],
        region: tuple[IntArray, list[str]],
        edges: tuple[IntArray, IntArray, IntArray, list[str], FloatArray],
        memo: dict[str, Any] | None = None,
    ) -> None:
        self.ids = ids
        self.kind, self.kinds = kind
        self.region, self.regions = region
        self.src, self.dst, self.rel, self.rels, self.conf = edges
        self.derived: dict[str, Any] = {}
        self.memo: dict[str, Any] = {} if memo is None else memo
        self.index: IdIndex | None = None  # positions by id (`IdIndex`), when built

    @classmethod
    def of(cls, columns: ViewColumns) -> Snapshot:
        """The snapshot of a view read as columns."""
        return cls(
            columns.ids,
            (columns.kind, columns.kinds),
            (columns.region, columns.regions),
            (columns.src, columns.dst, columns.rel, columns.rels, columns.conf),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, node: str) -> int | None:
        """The position of ``node``, None when the view does not have it (a scan, or a
        look-up in `index` when built)."""
        if self.index is not None:
            return self.index.find(self.ids, node)
        try:
            return self.ids.index(node)
        except ValueError:
            return None

    def by_id(self, positions: IntArray) -> IntArray:
        """``positions`` sorted by the ids of their nodes."""
        ids = [self.ids[i] for i in positions.tolist()]
        strings = _strings(ids)  # numpy orders str by code point as Python does
        if strings is not None:
            order = np.argsort(strings, kind="stable")
        else:
            order = np.asarray(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
        return positions[order]

    def of_kind(self, *names: str) -> BoolArray:
        """Per node: is its kind one of ``names``?"""
        return np.isin(self.kind, [self.kinds.index(k) for k in names if k in self.kinds])

    def rel_is(self, *names: str) -> BoolArray:
        """Per relation: is its kind one of ``names``?"""
        return np.isin(self.rel, [self.rels.index(k) for k in names if k in self.rels])


STRINGS_SLICE = 8192


def _strings(ids: list[str]) -> npt.NDArray[np.str_] | None:
    """``ids`` as a numpy string array, None when numpy would not order them as Python
    does (an id not a plain str, or holding a NUL: numpy drops trailing NULs).

    Converted a slice at a time: converting holds the GIL (700,000 ids in one call
    stalled the request loop for 390 ms at load 7 while rings ran on a pool thread,
    graph_api.offload); numpy's sort of the result does not hold it."""
    parts = []
    for at in range(0, len(ids), STRINGS_SLICE):
        part = ids[at : at + STRINGS_SLICE]
        if not all(type(i) is str for i in part) or "\x00" in "".join(part):
            return None
        parts.append(np.asarray(part))
    return np.concatenate(parts) if parts else None


def distinct(values: IntArray) -> IntArray:
    """The sorted distinct values of an integer array.

    ``np.unique`` hashes first in numpy 2.3+, which at millions of values is
    several times slower than a sort and a comparison of neighbours.
    """
    out = np.sort(values)
    if len(out) > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


def snapshot(G: Any) -> Snapshot:
    """The arrays of ``G``'s nodes and relations, built once per graph object.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph or view; edge keys are relation kinds, edge data has "confidence".

    Returns
    -------
    Snapshot
        Kept in ``G.__networkx_cache__`` and returned again on the next call.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("w", kind="WAREHOUSE", region="PRD")
    >>> G.add_edge("s", "w", key="SHIPS_FROM", confidence=0.5)
    'SHIPS_FROM'
    >>> sn = snapshot(G)
    >>> sn.ids, [sn.kinds[k] if k >= 0 else None for k in sn.kind.tolist()]
    (['w', 's'], ['WAREHOUSE', None])
    >>> [(sn.ids[u], sn.ids[v], sn.rels[k]) for u, v, k in zip(*(sn.src, sn.dst, sn.rel))]
    [('s', 'w', 'SHIPS_FROM')]
    >>> snapshot(G) is sn
    True
    >>> G.add_edge("w", "f", key="SUPPLIED_BY")  # a change through networkx drops it
    'SUPPLIED_BY'
    >>> len(snapshot(G).src)
    2

    Notes
    -----
    Cost: one pass over the nodes and one over the relations, O(n + m), a few
    µs per relation (`graph_api.view_columns.graph_columns`), besides the
    visibility checks of a store's lazy view: a store's whole view is read from
    its columns instead (`snapshot_of`).
    """
    cache = getattr(G, "__networkx_cache__", None)
    found = None if cache is None else cache.get(CACHE_KEY)
    if isinstance(found, Snapshot):
        return found
    pending = None if cache is None else cache.pop(PENDING_KEY, None)
    built = pending() if pending is not None else _build(_GraphReads(G))
    if cache is not None:
        cache[CACHE_KEY] = built
    return built


class IdIndex:
    """A snapshot's positions by id without a dict of a million entries: the ids'
    ``hash`` sorted (8 bytes each) with their positions, for the first ``size`` ids,
    and a dict of the ids appended after them (`followed` appends, never moves).

    >>> ids = ["w", "s", "f"]
    >>> index = IdIndex.of(ids)
    >>> index.find(ids, "f"), index.find(ids, "x")
    (2, None)
    >>> ids.append("n")
    >>> index.grown(ids, 3).find(ids, "n")
    3

    Notes
    -----
    Cost: built in slices of `STRINGS_SLICE` ids (hashing holds the GIL; sorting does
    not), tens of ms at a million ids, off the request loop with the snapshot; a
    look-up is a binary search (the loop finds a write's few ids at once, where a
    scan of a million ids took 0.2-0.6 s at load 7).
    """

    __slots__ = ("hashes", "order", "size", "tail")

    def __init__(self, hashes: IntArray, order: IntArray, size: int, tail: dict[str, int]
                 ) -> None:
        self.hashes, self.order, self.size, self.tail = hashes, order, size, tail

    @classmethod
    def of(cls, ids: list[str]) -> IdIndex:
        hashes = np.empty(len(ids), dtype=np.int64)
        for at in range(0, len(ids), STRINGS_SLICE):
            part = ids[at : at + STRINGS_SLICE]
            hashes[at : at + len(part)] = np.fromiter(map(hash, part), dtype=np.int64,
                                                      count=len(part))
        order = np.argsort(hashes, kind="stable")
        return cls(hashes[order], order, len(ids), {})

    def find(self, ids: list[str], node: str) -> int | None:
        """The position of ``node`` in ``ids`` (the list this index was made for)."""
        found = self.tail.get(node)
        if found is not None:
            return found
        key = hash(node)
        lo = int(np.searchsorted(self.hashes, key, side="left"))
        hi = int(np.searchsorted(self.hashes, key, side="right"))
        for k in range(lo, hi):
            i = int(self.order[k])
            if ids[i] == node:
                return i
        return None

    def grown(self, ids: list[str], start: int) -> IdIndex:
        """The index of ``ids``, which holds this index's ids up to ``start`` where they
        were, then new ones."""
        tail = {n: i for n, i in self.tail.items() if i < start}
        tail.update(zip(ids[start:], range(start, len(ids)), strict=True))
        return IdIndex(self.hashes, self.order, self.size, tail)


def snapshot_of(view: ViewReads) -> Snapshot:
    """The snapshot of a store's view read whole from its columns (``view.columns()``),
    with its id index: what `snapshot` keeps, to be put in the cache of the view's
    graph (``CACHE_KEY``) before a step asks.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("s", "w", key="SHIPS_FROM", confidence=0.5)
    'SHIPS_FROM'
    >>> sn = snapshot_of(_GraphReads(G))
    >>> sn.ids, sn.position("w")
    (['s', 'w'], 1)
    """
    return _build(view)


def _build(view: ViewReads) -> Snapshot:
    with no_collection():
        built = _read(view)
        built.index = IdIndex.of(built.ids)
        return built


def _read(view: ViewReads) -> Snapshot:
    return Snapshot.of(view.columns())


class _GraphReads:
    """The reads of a networkx graph that is a view itself (a graph a remote store
    fetched for the caller, a test's graph)."""

    __slots__ = ("G",)

    def __init__(self, G: Any) -> None:
        self.G = G

    def graph(self) -> Any:
        return self.G

    def columns(self) -> ViewColumns:
        return graph_columns(self.G)
