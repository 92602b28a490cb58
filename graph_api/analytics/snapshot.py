"""A view's nodes and relations as numpy arrays, read once, shared by whole-graph steps.

`top_sources`, `hotspots` and `ring_candidates` read every node and relation of
the caller's view. Reading a lazy, filtered view through Python mappings costs
microseconds per neighbour; `snapshot` reads it once into arrays (nodes and
relations in the view's order) and keeps the result in
``G.__networkx_cache__``, where networkx itself keeps converted graphs, so every
whole-graph step on the same view object reuses it. As with networkx's own
cache, a change made through the networkx API clears it; a view whose
underlying graph changes behind it must be given a fresh cache (the service
layer keeps one per view version, see `graph_api.services.Services.cached`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from graph_api.analytics._walk import confidence_of, plain
from graph_api.gc_pause import no_collection
from graph_api.store.columns import FactColumns
from graph_api.store.scoped_view import (
    VisibilityMask,
    visible_columns,
    visible_nodes,
    visible_relations,
)

__all__ = [
    "ColumnMirror",
    "IdIndex",
    "Snapshot",
    "detached_read",
    "distinct",
    "follow_read",
    "followed",
    "snapshot",
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


def _codes(values: list[Any], name: Callable[[Any], str | None]) -> tuple[IntArray, list[str]]:
    """A code per value for its ``name(value)`` (-1 for None) and the names coded."""
    distinct = list(dict.fromkeys(values))
    named = [name(v) for v in distinct]
    names = list(dict.fromkeys(n for n in named if n is not None))
    code_of = {n: i for i, n in enumerate(names)}
    code = {v: -1 if n is None else code_of[n] for v, n in zip(distinct, named, strict=True)}
    return np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values)), names


def _kind(value: Any) -> str | None:
    return None if value is None else plain(value)


def _region(value: Any) -> str | None:
    return str(value) if value else None


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
    µs per relation; on the store's scoped view the visibility of each fact is
    read directly (`graph_api.store.scoped_view.visible_relations`).
    """
    cache = getattr(G, "__networkx_cache__", None)
    found = None if cache is None else cache.get(CACHE_KEY)
    if isinstance(found, Snapshot):
        return found
    pending = None if cache is None else cache.pop(PENDING_KEY, None)
    built = pending() if pending is not None else _build(G)
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
                _code(kind_code, kinds, _kind(data.get("kind"))),
                _code(region_code, regions, _region(data.get("region"))),
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


def _build(G: Any) -> Snapshot:
    with no_collection():
        built = _read(G)
        built.index = IdIndex.of(built.ids)
        return built


def _read(G: Any) -> Snapshot:
    if isinstance(G, _Frozen):  # a view's columns copied for another thread
        return Snapshot(*G.columns.read(G.bits.__getitem__, G.admitted))
    read = visible_columns(G)  # the embedded store's view: numpy over its fact columns
    if read is not None:
        return Snapshot(*read)
    found = visible_nodes(G, ("kind", "region"))
    if found is None:
        found = _plain_nodes(G)
    ids, (kinds, regions) = found
    index = dict(zip(ids, range(len(ids)), strict=True))
    rels = _Codes()
    columns = visible_relations(G, index, rels.__getitem__)
    if columns is None:
        columns = _plain_relations(G, index, rels.__getitem__)
    del index
    sources, counts, dst, codes, confs = columns
    del columns
    names = [plain(k) for k in rels]  # str-valued enum members and their values: one name
    merged = {name: i for i, name in reversed(list(enumerate(names)))}
    recode = np.asarray([merged[name] for name in names], dtype=np.int64)
    return Snapshot(
        ids,
        _codes(kinds, _kind),
        _codes(regions, _region),
        (
            np.repeat(np.asarray(sources, dtype=np.int64), counts),
            np.asarray(dst, dtype=np.int64),
            recode[np.asarray(codes, dtype=np.int64)] if codes else np.zeros(0, np.int64),
            names,
            np.asarray(confs, dtype=np.float64),
        ),
    )


class _Codes(dict[Any, int]):
    """A number for each key, the next one for a key not seen before."""

    def __missing__(self, key: Any) -> int:
        code = self[key] = len(self)
        return code


def _plain_nodes(G: Any) -> tuple[list[str], list[list[Any]]]:
    ids: list[str] = []
    kinds: list[Any] = []
    regions: list[Any] = []
    for n, data in G.nodes(data=True):
        ids.append(n)
        kinds.append(data.get("kind"))
        regions.append(data.get("region"))
    return ids, [kinds, regions]


def _plain_relations(
    G: Any, index: dict[str, int], code: Callable[[Any], int]
) -> tuple[list[int], list[int], list[int], list[int], list[float]]:
    sources: list[int] = []
    counts: list[int] = []
    dst: list[int] = []
    keys: list[int] = []
    confs: list[float] = []
    for u, nbrs in G.succ.items():
        before = len(dst)
        for v, keydict in nbrs.items():
            j = index[v]
            for key, data in keydict.items():
                dst.append(j)
                keys.append(code(key))
                confs.append(confidence_of(data))
        sources.append(index[u])
        counts.append(len(dst) - before)
    return sources, counts, dst, keys, confs


# -- reading a view on another thread ---------------------------------------------
# The embedded store appends facts to its columns on the event loop's thread, and
# an append may move an array's buffer: no other thread may read them. Whole-graph
# work runs on pool threads (graph_api.offload), so the loop hands it a copy of
# the columns as they are when the job is prepared: `ColumnMirror` keeps numpy
# copies that only grow (each job copies only what was appended since the last,
# in slices the loop interleaves with requests), and a job reads a prefix of them.

COPY_SLICE = 1 << 20
"""Items copied per slice (4-8 MB): about a millisecond; the loop serves requests
between slices."""


class _Mirror:
    """A growing numpy copy of one ``array`` column; ``data[:n]`` never changes."""

    def __init__(self, dtype: type) -> None:
        self.dtype = dtype
        self.data: npt.NDArray[Any] = np.zeros(0, dtype=dtype)
        self.n = 0

    def steps(self, live: Any, want: int) -> Iterator[None]:
        """Copy ``live`` up to ``want`` items, yielding between slices (other work may
        run there: it only appends to ``live``, beyond what is copied)."""
        if want > len(self.data):
            grown: npt.NDArray[Any] = np.zeros(want + want // 4, dtype=self.dtype)
            # A new buffer: the old one stays as it is for the jobs still reading it.
            for at in range(0, self.n, COPY_SLICE):
                end = min(at + COPY_SLICE, self.n)
                grown[at:end] = self.data[at:end]
                yield
            self.data = grown
        while self.n < want:
            end = min(self.n + COPY_SLICE, want)
            # a view of the live buffer: let go before yielding (an append may move it)
            source: npt.NDArray[Any] = np.frombuffer(live, dtype=self.dtype)
            self.data[self.n : end] = source[self.n : end]
            del source
            self.n = end
            yield

    def prefix(self, n: int) -> npt.NDArray[Any]:
        assert n <= self.n
        view = self.data[:n]
        view.flags.writeable = False
        return view


class ColumnMirror:
    """Copies of a store's `FactColumns` for readers on other threads.

    `copy` takes the columns' lengths now, on the thread that appends to them,
    and gives the steps that bring the copies up to them and the columns as of
    then, to be read anywhere: the numbers copied, and the (append-only) name
    lists shared, read only at positions the copied facts name. One copy runs at
    a time (the caller's to ensure).

    Examples
    --------
    >>> columns = FactColumns()
    >>> _ = columns.add_node_fact("w", 0, "WAREHOUSE", "PRD", None, 1, True)
    >>> mirror = ColumnMirror()
    >>> steps, frozen = mirror.copy(columns)
    >>> _ = columns.add_node_fact("f", 0, "FACTORY", None, None, 2, True)  # after: not in it
    >>> for _ in steps:
    ...     pass
    >>> frozen().read(lambda c: True)[0], columns.read(lambda c: True)[0]
    (['w'], ['w', 'f'])

    Notes
    -----
    Memory: one more copy of the numbers (about 180 MB at a million entities and
    3.4M relations, plus up to a quarter for growth). Cost: a memory copy of what
    was appended since the last copy, in slices of `COPY_SLICE` items.
    """

    def __init__(self) -> None:
        self._mirrors = (_Mirror(np.int32), _Mirror(np.int32), _Mirror(np.float64),
                         _Mirror(np.int32))
        self._frozen: tuple[tuple[int, ...], FactColumns] | None = None

    def copy(self, columns: FactColumns) -> tuple[Iterator[None], Callable[[], FactColumns]]:
        lives = (columns.node_facts, columns.edges, columns.edge_conf, columns.edge_seq)
        wants = tuple(len(live) for live in lives)  # one moment for all four

        def steps() -> Iterator[None]:
            for mirror, live, want in zip(self._mirrors, lives, wants, strict=True):
                yield from mirror.steps(live, want)

        return steps(), lambda: self._columns(columns, wants)

    def _columns(self, columns: FactColumns, wants: tuple[int, ...]) -> FactColumns:
        """The columns as of ``wants`` (the same object for the same lengths: what it
        groups once is shared by every view read from it)."""
        if self._frozen is not None and self._frozen[0] == wants:
            return self._frozen[1]
        frozen: Any = FactColumns.__new__(FactColumns)  # no arrays of its own
        frozen.ids, frozen.number = columns.ids, {}
        frozen.kinds, frozen.regions = columns.kinds, columns.regions
        frozen.statuses, frozen.rel_kinds = columns.statuses, columns.rel_kinds
        frozen.node_facts, frozen.edges, frozen.edge_conf, frozen.edge_seq = (
            mirror.prefix(want) for mirror, want in zip(self._mirrors, wants, strict=True))
        frozen._grouped = None
        self._frozen = (wants, frozen)
        return frozen  # type: ignore[no-any-return]


def detached_read(frozen: FactColumns, mask: VisibilityMask, classes: int
                  ) -> Callable[[], Snapshot]:
    """The reading of a view's snapshot from ``frozen`` columns (`ColumnMirror`), made
    on the thread that owns the store, to be run on any thread: the view's decision
    for each of the ``classes`` visibility classes known (every class a copied fact
    names), and for a view as of a time which reports it admits, are taken now."""
    if classes:
        mask[classes - 1]
    horizon = mask.horizon
    view = _Frozen(frozen, list(mask.bits[:classes]), None if horizon is None else horizon.bits())
    return lambda: _build(view)


class _Frozen:
    """A view as `detached_read` took it: columns, class bits, admitted reports."""

    def __init__(self, columns: FactColumns, bits: list[bool], admitted: BoolArray | None
                 ) -> None:
        self.columns, self.bits, self.admitted = columns, bits, admitted
