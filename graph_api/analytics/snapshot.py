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
`graph_api.services.Services.cached`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from graph_api.gc_pause import no_collection
from graph_api.view_columns import (
    ViewColumns,
    ViewReads,
    confidence_of,
    graph_columns,
    kind_name,
    plain,
    region_name,
)

__all__ = [
    "IdIndex",
    "Snapshot",
    "distinct",
    "follow_read",
    "followed",
    "snapshot",
    "snapshot_of",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CACHE_KEY = "graph_api.analytics.snapshot"
PENDING_KEY = "graph_api.analytics.snapshot.pending"
"""Where a view's cache may hold, instead of its snapshot, the second step of following
an earlier one (`follow_read`): `snapshot` runs it, on the thread that asks."""


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


FOLLOW_AT_MOST = 50_000
"""Changed entities and pairs above which reading the view again costs about as much."""


def followed(
    sn: Snapshot, G: Any, entities: Iterable[str], pairs: Iterable[tuple[str, str]]
) -> Snapshot | None:
    """The snapshot of ``G`` made from that of an earlier version and what changed since.

    Parameters
    ----------
    sn : Snapshot
        The snapshot of the same view at an earlier version; left as it was.
    G : networkx.MultiDiGraph
        The view now.
    entities, pairs : iterables
        The entities, and the (source, target) pairs of relations, that gained
        facts since ``sn`` was read (more does no harm), as the store's
        ``changes_since`` tells: anything else is as ``sn`` read it.

    Returns
    -------
    Snapshot or None
        What `snapshot` would read from ``G`` but for the order of nodes and of
        pairs (no answer depends on it): a node that came into view, and a
        changed pair's relations, come last, a pair's kinds still together and
        in the view's order. It hands on ``sn.memo``. None when it cannot
        follow (a node went out of view, too many changes): read ``G`` again.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("w", kind="WAREHOUSE")
    >>> G.add_edge("s", "w", key="SHIPS_FROM", confidence=0.5)
    'SHIPS_FROM'
    >>> sn = snapshot(G)
    >>> G.add_node("f", kind="FACTORY", region="PRD")
    >>> G.add_edge("w", "f", key="SUPPLIED_BY", confidence=0.9)
    'SUPPLIED_BY'
    >>> after = followed(sn, G, ["f"], [("w", "f")])
    >>> after.ids, [(after.ids[u], after.ids[v], c) for u, v, c in zip(
    ...     after.src.tolist(), after.dst.tolist(), after.conf.tolist())]
    (['w', 's', 'f'], [('s', 'w', 0.5), ('w', 'f', 0.9)])
    >>> after.regions[after.region[2]], sn.ids
    ('PRD', ['w', 's'])

    Notes
    -----
    Cost: a pass over the ids to find the changed ones (a second one for the
    neighbours of a node that came into view), O(m) numpy to drop and append
    the changed pairs' relations, and each changed node and pair read through
    the view's mappings: tens of milliseconds at a million nodes for a report,
    where `snapshot` reads every node and relation (seconds).
    """
    finish = follow_read(sn, G, entities, pairs)
    return None if finish is None else finish()


def follow_read(
    sn: Snapshot, G: Any, entities: Iterable[str], pairs: Iterable[tuple[str, str]]
) -> Callable[[], Snapshot] | None:
    """`followed` in two steps: what it reads of ``G`` (the changed nodes and pairs,
    the neighbours of a node that came into view), read now, on the thread that owns
    the store; and the rest, the numpy work over every relation (a few hundred ms at
    3.4M relations on the loaded machine, too long for the request loop), returned
    to be run on any thread. None when it cannot follow."""
    entities, pairs = set(entities), set(pairs)
    if len(entities) + len(pairs) > FOLLOW_AT_MOST:
        return None
    before = len(sn.ids)
    at = _positions(sn, entities | {n for pair in pairs for n in pair})
    kinds, regions = list(sn.kinds), list(sn.regions)
    kind_code, region_code = _named(kinds), _named(regions)
    moved: list[tuple[int, int, int]] = []  # (position, kind, region) of changed nodes
    came: list[str] = []
    for n in sorted(entities):
        i = at.get(n)
        if n not in G:
            if i is not None:
                return None  # facts only add: a node leaving the view is not a write
            continue
        if i is None:
            i = at[n] = before + len(came)
            came.append(n)
        data = G.nodes[n]
        moved.append(
            (
                i,
                _code(kind_code, kinds, kind_name(data.get("kind"))),
                _code(region_code, regions, region_name(data.get("region"))),
            )
        )
    # A node coming into view brings its relations to nodes already there.
    todo = set(pairs)
    for n in came:
        todo.update((n, v) for v in G.succ[n])
        todo.update((u, n) for u in G.pred[n])
    missing = {x for pair in todo for x in pair if x not in at}
    at.update(_positions(sn, missing))
    rel_code = _named(sn.rels)
    rels = list(sn.rels)
    old: list[int] = []  # pair keys (in the new numbering) whose relations are read again
    size = before + len(came)
    src: list[int] = []
    dst: list[int] = []
    rel: list[int] = []
    conf: list[float] = []
    for u, v in sorted(todo):
        i, j = at.get(u), at.get(v)
        if i is None or j is None:  # an end out of view: so is the relation
            continue
        if i < before and j < before:
            old.append(i * size + j)
        keys = G.succ[u].get(v, {}) if u in G else {}
        for key in keys:
            src.append(i)
            dst.append(j)
            rel.append(_code(rel_code, rels, plain(key)))
            conf.append(confidence_of(keys[key]))

    def finish() -> Snapshot:
        with no_collection():
            return _followed(sn, came, moved, (src, dst, rel, rels, conf), old, kinds, regions)

    return finish


def _followed(sn: Snapshot, came: list[str], moved: list[tuple[int, int, int]],
              edges: tuple[list[int], list[int], list[int], list[str], list[float]],
              old: list[int], kinds: list[str], regions: list[str]) -> Snapshot:
    """`follow_read`'s second step: reads nothing but ``sn`` and what the first read."""
    src, dst, rel, rels, conf = edges
    before = len(sn.ids)
    ids = sn.ids + came
    size = len(ids)
    kind_of, region_of = sn.kind, sn.region
    if moved:
        where, k, r = (np.asarray(c, dtype=np.int64) for c in zip(*moved, strict=True))
        kind_of = np.concatenate((kind_of, np.full(size - before, -1, dtype=np.int64)))
        region_of = np.concatenate((region_of, np.full(size - before, -1, dtype=np.int64)))
        kind_of[where], region_of[where] = k, r
    kept = np.ones(len(sn.src), dtype=bool)
    if old:
        dropped = np.sort(np.asarray(old, dtype=np.int64))
        keys_now = sn.src * size + sn.dst
        found = np.minimum(np.searchsorted(dropped, keys_now), len(dropped) - 1)
        kept = dropped[found] != keys_now
    after = Snapshot(
        ids,
        (kind_of, kinds),
        (region_of, regions),
        (
            np.concatenate((sn.src[kept], np.asarray(src, dtype=np.int64))),
            np.concatenate((sn.dst[kept], np.asarray(dst, dtype=np.int64))),
            np.concatenate((sn.rel[kept], np.asarray(rel, dtype=np.int64))),
            rels,
            np.concatenate((sn.conf[kept], np.asarray(conf, dtype=np.float64))),
        ),
        memo=sn.memo,
    )
    if sn.index is not None:  # the ids before are where they were: only the new ones added
        after.index = sn.index.grown(ids, before)
    return after


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


def _positions(sn: Snapshot, wanted: set[str]) -> dict[str, int]:
    """The positions of the ``wanted`` ids found in the snapshot (ids are distinct): by
    its `IdIndex` when it has one, else one pass over its ids."""
    if not wanted:
        return {}
    if sn.index is not None:
        found = {n: sn.index.find(sn.ids, n) for n in wanted}
        return {n: i for n, i in found.items() if i is not None}
    return {n: i for i, n in enumerate(sn.ids) if n in wanted}


def _named(names: list[str]) -> dict[str, int]:
    """Name -> code: its first position in ``names``."""
    codes: dict[str, int] = {}
    for i, name in enumerate(names):
        codes.setdefault(name, i)
    return codes


def _code(codes: dict[str, int], names: list[str], name: str | None) -> int:
    """The code of ``name`` (-1 for None), a new one appended to ``names`` if unseen."""
    if name is None:
        return -1
    code = codes.get(name)
    if code is None:
        code = codes[name] = len(names)
        names.append(name)
    return code


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
