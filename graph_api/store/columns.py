"""Every fact of the embedded store's graph as typed columns, for whole-view reads.

The embedded store keeps its graph as networkx dicts, where reading a caller's
whole view (every node and relation, each fact's visibility decided) is one
Python step per fact: 10–20 s at a million entities. The store also appends
each fact it applies to the columns here (a few typed-array appends per fact),
so that a whole view is read with numpy instead (`FactColumns.read`), giving
exactly what `graph_api.store.scoped_view.visible_nodes` and
`visible_relations` give through the dicts.

Nodes are numbered in the order the graph first got them, which is the order
of the graph's node dict; a relation is one (source, target, kind).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["NODE_WIDTH", "FactColumns", "ViewColumns", "node_column"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

ViewColumns = tuple[
    list[str],
    tuple[IntArray, list[str]],
    tuple[IntArray, list[str]],
    tuple[IntArray, IntArray, IntArray, list[str], FloatArray],
]
"""ids; (kind code per node, kind names); (region code, region names);
(source, target, kind code, kind names, confidence) per relation."""

SHORT_RUN = 16
"""Facts of one relation above which its confidence is multiplied out in Python."""


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


class _Grouped:
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
    `add_relation_fact`), read per view with numpy (`read`).

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
        self._grouped: _Grouped | None = None

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

    def _groups(self) -> _Grouped:
        g = self._grouped
        if (g is None or g.facts != len(self.edge_conf)
                or NODE_WIDTH * g.node_facts != len(self.node_facts)):
            g = self._grouped = None  # the old one goes before the new one is built
            g = self._grouped = _Grouped(self)
        return g

    def read(self, sees: Callable[[int], bool], admitted: BoolArray | None = None
             ) -> ViewColumns:
        """The nodes and relations a caller sees, ``sees(class_id)`` deciding each fact,
        and for a view as of a time ``admitted[report key]`` too (``horizon.Horizon``).

        As `visible_nodes` and `visible_relations` read them through the graph's
        dicts: a node is seen when one of its facts is, with the kind of its
        first seen fact and the latest region a seen fact states (a region is
        ``str(value)`` of a truthy value); a relation when one of its facts is
        and both ends are, with confidence 1 − ∏(1 − cᵢ) over its seen facts in
        the order stated (the same float steps). Nodes in the graph's order,
        relations by (source, target), a pair's kinds in the graph's order.
        """
        g = self._groups()
        classes = (node_column(self, 1), _column(self.edges, 3))
        top = max((int(c.max()) for c in classes if len(c)), default=-1)
        bits = np.fromiter((sees(c) for c in range(top + 1)), dtype=bool, count=top + 1)
        seen_node, kind, region = self._nodes(g, bits, admitted)
        src, dst, rel, conf = self._relations(g, bits, seen_node, admitted)
        nodes = np.flatnonzero(seen_node)
        position = np.cumsum(seen_node) - 1
        ids = self.ids
        kinds, kind_code = _compact(kind[nodes], self.kinds, str)
        names = [str(r) if r else None for r in self.regions]
        regions, region_code = _compact(region[nodes], names, lambda r: r)
        rel_names, rel_code = _compact(rel, self.rel_kinds, str)
        return (
            [ids[i] for i in nodes.tolist()],
            (kind_code, kinds),
            (region_code, regions),
            (position[src], position[dst], rel_code, rel_names, conf),
        )

    def _nodes(self, g: _Grouped, bits: BoolArray, admitted: BoolArray | None
               ) -> tuple[BoolArray, IntArray, IntArray]:
        n = len(self.ids)
        facts = g.node_order
        visible = bits[node_column(self, 1)[facts]]
        if admitted is not None:
            visible &= admitted[node_column(self, 5)[facts]]
        node = g.node[visible]
        at = facts[visible]  # positions in the order applied, grouped by node
        seen = np.zeros(n, dtype=bool)
        seen[node] = True
        kind = np.full(n, -1, dtype=np.int64)
        firsts = np.concatenate(([True], node[1:] != node[:-1])) if len(node) else node.astype(bool)
        kind[node[firsts]] = node_column(self, 2)[at[firsts]]
        region = np.full(n, -1, dtype=np.int64)
        raw = node_column(self, 3)[at]
        stated = raw >= 0
        node, raw = node[stated], raw[stated]
        lasts = np.concatenate((node[1:] != node[:-1], [True])) if len(node) else node.astype(bool)
        region[node[lasts]] = raw[lasts]
        return seen, kind, region

    def _relations(
        self, g: _Grouped, bits: BoolArray, seen_node: BoolArray, admitted: BoolArray | None
    ) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
        classes = _column(self.edges, 3)
        fact_seen = bits[classes] if len(classes) else np.zeros(0, dtype=bool)
        if admitted is not None and len(classes):
            fact_seen &= admitted[np.frombuffer(self.edge_seq, dtype=np.int32)]
        confs = np.frombuffer(self.edge_conf, dtype=np.float64).copy()
        starts, lengths = g.starts.astype(np.int64), g.lengths
        miss = np.ones(len(starts), dtype=np.float64)
        seen = np.zeros(len(starts), dtype=bool)
        short = lengths <= SHORT_RUN
        rows = np.flatnonzero(short)
        for k in range(int(lengths[short].max(initial=0))):
            rows = rows[lengths[rows] > k]
            fact = g.order[starts[rows] + k]
            hit = fact_seen[fact]
            miss[rows[hit]] *= 1.0 - confs[fact[hit]]
            seen[rows[hit]] = True
        for r in np.flatnonzero(~short).tolist():  # rare: stated many times
            m, any_seen = 1.0, False
            for f in g.order[starts[r] : starts[r] + lengths[r]].tolist():
                if fact_seen[f]:
                    m *= 1.0 - float(confs[f])
                    any_seen = True
            miss[r], seen[r] = m, any_seen
        keep = seen & seen_node[g.src] & seen_node[g.dst]
        return (
            g.src[keep].astype(np.int64),
            g.dst[keep].astype(np.int64),
            g.kind[keep].astype(np.int64),
            1.0 - miss[keep],
        )


def _compact(
    codes: IntArray, names: list[Any], name: Callable[[Any], str | None]
) -> tuple[list[str], IntArray]:
    """The codes renumbered into only the names used (``name(value)``; None and
    -1 give -1). No answer depends on how names are numbered, so long as a name
    the view does not use is not among them."""
    present = np.zeros(len(names) + 1, dtype=bool)
    present[codes] = True  # -1 marks the spare last slot
    out: list[str] = []
    index: dict[str, int] = {}
    remap = np.full(len(names) + 1, -1, dtype=np.int64)
    for c in np.flatnonzero(present[:-1]).tolist():
        named = name(names[c])
        if named is None:
            continue
        if named not in index:
            index[named] = len(out)
            out.append(named)
        remap[c] = index[named]
    return out, remap[codes]
