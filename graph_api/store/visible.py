"""One caller's graph, as a store hands it out: the mask applied, read two ways.

A ``VisibleGraph`` is built by a store for one scope (``GraphStore.visible``) and
owns what decides that caller's view: on the embedded store its visibility mask
(`graph_api.store.masks.VisibilityMask`) over the shared graph and the
store's fact columns; on Neo4j the graph the store fetched, filtered already by
``cypher/_visible.cypher``. It offers exactly two reads (``ViewReads``):

- ``graph()``: the networkx view (`scoped_view`: the mask decides each fact as
  it is read), for walks and for what analytics read node by node;
- ``columns()``: the whole view at once as `graph_api.view_columns.ViewColumns`,
  read with numpy from the fact columns (the mask decides each visibility class
  and, as of a time, each report once, as arrays), from which analytics build
  their snapshot.

Both answer alike to the last bit (tests/analytics/test_columns.py). A view whose
graph has changed behind its columns, or that has none, answers ``columns()``
by reading its own ``graph()``. ``detached`` gives the columns read of a copy
of the columns (`graph_api.store.columns.ColumnMirror`) for a whole-graph job's
thread, its mask's decisions taken on the thread that owns the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np

from graph_api.store.columns import FactColumns, Grouped, edge_column, node_column
from graph_api.store.masks import VisibilityMask
from graph_api.store.scoped_view import scoped_view
from graph_api.view_columns import BoolArray, FloatArray, IntArray, ViewColumns, graph_columns

__all__ = ["SHORT_RUN", "VisibleGraph"]


SHORT_RUN = 16
"""Facts of one relation above which its confidence is multiplied out in Python."""


class VisibleGraph:
    """One caller's view: ``graph()`` the networkx view, ``columns()`` the whole of it.

    Parameters
    ----------
    shared : networkx.MultiDiGraph or None
        The store's graph (every fact, each with its class), or the graph a remote
        store fetched for the caller (``mask`` None); None for a detached view.
    mask : VisibilityMask or None
        The caller's mask over ``shared``; None when ``shared`` is the view already.
    facts : FactColumns or None
        The store's facts as columns, when it keeps them.

    Examples
    --------
    >>> from graph_api.store.masks import merged_node
    >>> G, facts = nx.MultiDiGraph(), FactColumns()
    >>> for n, cls in (("w", 0), ("f", 1)):
    ...     _ = facts.add_node_fact(n, cls, "WAREHOUSE", "PRD", None, 1, True)
    ...     G.add_node(n, **merged_node([(1, cls, 0.5, "WAREHOUSE", n, "PRD", None)]))
    >>> visible = VisibleGraph(G, VisibilityMask(lambda c: c == 0), facts)
    >>> list(visible.graph()), visible.columns().ids
    (['w'], ['w'])
    """

    __slots__ = ("_shared", "_mask", "_facts")

    def __init__(self, shared: nx.MultiDiGraph | None, mask: VisibilityMask | None,
                 facts: FactColumns | None) -> None:
        self._shared = shared
        self._mask = mask
        self._facts = facts

    @classmethod
    def fetched(cls, G: nx.MultiDiGraph) -> VisibleGraph:
        """The view of a store that fetched ``G`` filtered for the caller (Neo4j)."""
        return cls(G, None, None)

    def graph(self) -> nx.MultiDiGraph:
        """The caller's view as a frozen networkx ``MultiDiGraph`` (a new view object:
        its ``__networkx_cache__`` is its own)."""
        if self._shared is None:
            raise RuntimeError("a detached view reads its columns only, not the live graph")
        if self._mask is None:
            return self._shared
        return scoped_view(self._shared, self._mask)

    def columns(self) -> ViewColumns:
        """What ``graph()`` shows, read whole: nodes in the graph's order, relations by
        (source, target) in the graph's node order, a pair's kinds in its key order.

        Notes
        -----
        Cost: O(facts) numpy over the fact columns (a second at a million entities);
        a view without columns that describe its graph reads ``graph()`` instead,
        a few µs per relation.
        """
        facts, mask = self._facts, self._mask
        if facts is None or mask is None or not self.reads_columns():
            return graph_columns(self.graph())
        return _read(facts, mask)

    def reads_columns(self) -> bool:
        """Whether ``columns()`` reads the fact columns (else its own ``graph()``): it has
        them, and they describe its graph (not one changed behind their back)."""
        facts = self._facts
        return facts is not None and self._mask is not None and (
            self._shared is None or len(facts.ids) == len(self._shared))

    def detached(self, frozen: FactColumns, classes: int) -> VisibleGraph:
        """This view over ``frozen`` columns (a `ColumnMirror` copy), to read with
        ``columns()`` on any thread: the decisions for the ``classes`` visibility classes
        known (every class a copied fact names), and as of a time the reports admitted,
        are taken now, on the thread that owns the store. It has no ``graph()``."""
        assert self._mask is not None, "a fetched view has no columns to detach"
        return VisibleGraph(None, self._mask.fixed(classes), frozen)


def _read(facts: FactColumns, mask: VisibilityMask) -> ViewColumns:
    """The nodes and relations ``mask`` admits, read from ``facts`` with numpy.

    As the mappings of `scoped_view` show them: a node is seen when one of its
    facts is, with the kind of its first seen fact and the latest region a seen
    fact states (a region is ``str(value)`` of a truthy value); a relation when
    one of its facts is and both ends are, with confidence 1 − ∏(1 − cᵢ) over its
    seen facts in the order stated (the same float steps). Nodes in the graph's
    order, relations by (source, target), a pair's kinds in the graph's order.
    """
    g = facts.grouped()
    classes = (node_column(facts, 1), edge_column(facts, 3))
    top = max((int(c.max()) for c in classes if len(c)), default=-1)
    bits = mask.class_bits(top + 1)
    admitted = mask.admitted()
    seen_node, kind, region = _nodes(facts, g, bits, admitted)
    src, dst, rel, conf = _relations(facts, g, bits, seen_node, admitted)
    nodes = np.flatnonzero(seen_node)
    position = np.cumsum(seen_node) - 1
    ids = facts.ids
    kinds, kind_code = _compact(kind[nodes], facts.kinds, str)
    names = [str(r) if r else None for r in facts.regions]
    regions, region_code = _compact(region[nodes], names, lambda r: r)
    rel_names, rel_code = _compact(rel, facts.rel_kinds, str)
    return ViewColumns(
        [ids[i] for i in nodes.tolist()],
        kind_code,
        kinds,
        region_code,
        regions,
        position[src],
        position[dst],
        rel_code,
        rel_names,
        conf,
    )


def _nodes(facts: FactColumns, g: Grouped, bits: BoolArray, admitted: BoolArray | None
           ) -> tuple[BoolArray, IntArray, IntArray]:
    n = len(facts.ids)
    order = g.node_order
    visible = bits[node_column(facts, 1)[order]]
    if admitted is not None:
        visible &= admitted[node_column(facts, 5)[order]]
    node = g.node[visible]
    at = order[visible]  # positions in the order applied, grouped by node
    seen = np.zeros(n, dtype=bool)
    seen[node] = True
    kind = np.full(n, -1, dtype=np.int64)
    firsts = np.concatenate(([True], node[1:] != node[:-1])) if len(node) else node.astype(bool)
    kind[node[firsts]] = node_column(facts, 2)[at[firsts]]
    region = np.full(n, -1, dtype=np.int64)
    raw = node_column(facts, 3)[at]
    stated = raw >= 0
    node, raw = node[stated], raw[stated]
    lasts = np.concatenate((node[1:] != node[:-1], [True])) if len(node) else node.astype(bool)
    region[node[lasts]] = raw[lasts]
    return seen, kind, region


def _relations(
    facts: FactColumns, g: Grouped, bits: BoolArray, seen_node: BoolArray,
    admitted: BoolArray | None,
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    classes = edge_column(facts, 3)
    fact_seen = bits[classes] if len(classes) else np.zeros(0, dtype=bool)
    if admitted is not None and len(classes):
        fact_seen &= admitted[np.frombuffer(facts.edge_seq, dtype=np.int32)]
    confs = np.frombuffer(facts.edge_conf, dtype=np.float64).copy()
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
