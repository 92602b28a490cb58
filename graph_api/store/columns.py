"""Every fact of the embedded store's graph as typed columns, for whole-view reads.

The embedded store keeps its graph as networkx dicts, where reading a caller's
whole view (every node and relation, each fact's visibility decided) is one
Python step per fact: 10–20 s at a million entities. The store also appends
each fact it applies to the columns here (a few typed-array appends per fact),
so that a whole view is read with numpy instead: `graph_api.store.visible`
applies a caller's mask to them (``VisibleGraph.columns``), giving exactly what
the caller's networkx view shows.

Nodes are numbered in the order the graph first got them, which is the order
of the graph's node dict; a relation is one (source, target, kind).

Whole-graph work runs on pool threads (graph_api.offload) while the event loop
appends facts here, and an append may move an array's buffer: `ColumnMirror`
keeps copies for those threads.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from graph_api.view_columns import IntArray

__all__ = ["EDGE_WIDTH", "NODE_WIDTH", "ColumnMirror", "FactColumns", "Grouped", "edge_column",
           "node_column"]


def _new_code(codes: dict[Any, int], names: list[Any], name: Any) -> int:
    code = codes[name] = len(names)
    names.append(name)
    return code


NODE_WIDTH = 7
"""A node fact's ints: node, class, kind, region, status, report key, whether it
names the node (1 or 0). Region and status are codes, -1 where the fact states none."""
EDGE_WIDTH = 4
"""A relation fact's ints: source, target, kind, class (its report key: ``edge_seq``)."""


def _column(values: array[int], k: int, width: int = EDGE_WIDTH) -> IntArray:
    """Column ``k`` of an array of facts ``width`` ints each, as int64."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.frombuffer(values, dtype=np.int32).reshape(-1, width)[:, k].astype(np.int64)


def node_column(columns: FactColumns, k: int) -> IntArray:
    """Column ``k`` of the node facts (``NODE_WIDTH``), as int64, in the order applied."""
    return _column(columns.node_facts, k, NODE_WIDTH)


def edge_column(columns: FactColumns, k: int) -> IntArray:
    """Column ``k`` of the relation facts (``EDGE_WIDTH``), as int64, in the order applied."""
    return _column(columns.edges, k, EDGE_WIDTH)


class Grouped:
    """The relations of every fact (all visibilities), in snapshot order: by
    (source, target), a pair's kinds in the order they were first stated."""

    def __init__(self, columns: FactColumns) -> None:
        n = max(len(columns.ids), 1)
        src, dst = _column(columns.edges, 0), _column(columns.edges, 1)
        kind = _column(columns.edges, 2)
        width = max(len(columns.rel_kinds), 1)
        # Facts by relation, each relation's facts in the order applied.
        order = np.argsort((src * n + dst) * width + kind, kind="stable")
        key = ((src * n + dst) * width + kind)[order]
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if len(key) else (
            np.zeros(0, dtype=np.int64)
        )
        first = order[starts]  # the relation's first fact: where it entered its pair's keys
        pair = key[starts] // width
        rank = np.cumsum(np.concatenate(([0], pair[1:] != pair[:-1]))) if len(pair) else pair
        by_first = np.argsort(rank * max(len(order), 1) + first, kind="stable")
        ends = np.concatenate((starts[1:], [len(order)])).astype(np.int64)
        # Kept as int32 (what the columns hold): about 70 MB at 3.4M relations.
        self.starts = starts[by_first].astype(np.int32)
        self.lengths = (ends - starts)[by_first].astype(np.int32)
        self.order = order.astype(np.int32)
        first = first[by_first]
        self.src = src[first].astype(np.int32)
        self.dst = dst[first].astype(np.int32)
        self.kind = kind[first].astype(np.int32)
        self.facts = len(order)
        # Node facts by node, each node's in the order applied.
        node = node_column(columns, 0)
        self.node_order = np.argsort(node, kind="stable").astype(np.int32)
        self.node = node[self.node_order].astype(np.int32)
        self.node_facts = len(node)


class FactColumns:
    """The store graph's facts, appended as they are applied (`add_node_fact`,
    `add_relation_fact`), read per view with numpy (``VisibleGraph.columns``).

    A fact is a few int32s (node facts: ``NODE_WIDTH``; relation facts:
    source, target, kind, class) appended at once, and a relation fact's
    confidence: one call per column per fact cost twice as much, and
    this is paid by every fact a server loads at start (about 1 µs a fact
    remains, mostly the node-number look-ups' cache misses).
    """

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.number: dict[str, int] = {}
        self.kinds: list[str] = []
        self.regions: list[Any] = []
        self.statuses: list[Any] = []
        self.rel_kinds: list[str] = []
        self._kind_codes: dict[Any, int] = {}
        self._region_codes: dict[Any, int] = {None: -1}  # -1: the fact states no region
        self._status_codes: dict[Any, int] = {None: -1}
        self._rel_codes: dict[Any, int] = {}
        self.node_facts = array("i")
        self.edges = array("i")
        self.edge_conf = array("d")
        self.edge_seq = array("i")  # each relation fact's report key (views as of a time)
        self._put_node = self.node_facts.extend
        self._put_edge = self.edges.extend
        self._put_conf = self.edge_conf.append
        self._put_seq = self.edge_seq.append
        self._grouped: Grouped | None = None

    def add_node_fact(
        self, node: str, vclass: int, kind: str, region: Any, status: Any, seq: int, named: bool
    ) -> int:
        """Append a node fact; returns the node's number."""
        number = self.number.get(node)
        if number is None:
            number = self.number[node] = len(self.ids)
            self.ids.append(node)
        k = self._kind_codes.get(kind)
        if k is None:
            k = _new_code(self._kind_codes, self.kinds, kind)
        r = self._region_codes.get(region)
        if r is None:
            r = _new_code(self._region_codes, self.regions, region)
        s = self._status_codes.get(status)
        if s is None:
            s = _new_code(self._status_codes, self.statuses, status)
        self._put_node((number, vclass, k, r, s, seq, named))
        return number

    def code(self, field: str, value: Any) -> int | None:
        """The code of a kind, region or status value (None: no fact states it)."""
        codes = {"kind": self._kind_codes, "region": self._region_codes,
                 "status": self._status_codes}[field]
        found = codes.get(value)
        return None if found is None or found < 0 else found

    def node_facts_count(self) -> int:
        return len(self.node_facts) // NODE_WIDTH

    def add_relation_fact(
        self, source: str, kind: str, target: str, vclass: int, conf: float, seq: int = 0
    ) -> tuple[str, str]:
        """Append a relation fact; returns its ends as the node's own id objects
        (the store keys its adjacency with them: one string per node, not a
        copy per relation read from the database, and identity compares)."""
        number, ids = self.number, self.ids
        i, j = number[source], number[target]
        k = self._rel_codes.get(kind)
        if k is None:
            k = _new_code(self._rel_codes, self.rel_kinds, kind)
        self._put_edge((i, j, k, vclass))
        self._put_conf(conf)
        self._put_seq(seq)
        return ids[i], ids[j]

    def grouped(self) -> Grouped:
        """The facts grouped by relation and by node (`Grouped`), kept until more come."""
        g = self._grouped
        if (g is None or g.facts != len(self.edge_conf)
                or NODE_WIDTH * g.node_facts != len(self.node_facts)):
            g = self._grouped = None  # the old one goes before the new one is built
            g = self._grouped = Grouped(self)
        return g


# -- the columns for another thread ------------------------------------------------
# The embedded store appends facts to its columns on the event loop's thread, and
# an append may move an array's buffer: no other thread may read them. Whole-graph
# work runs on pool threads (graph_api.offload), so the loop hands it a copy of
# the columns as they are when the job is prepared: `ColumnMirror` keeps numpy
# copies that only grow (each job copies only what was appended since the last,
# in slices the loop interleaves with requests), and a job reads a prefix of them
# (``VisibleGraph.detached``).

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
    >>> node_column(frozen(), 0).tolist(), node_column(columns, 0).tolist()
    ([0], [0, 1])

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
