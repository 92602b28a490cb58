"""A caller's whole view as typed columns: what a store reads, what analytics consume.

Analytics (``graph_api.analytics``) and the stores (``graph_api.store``) are sibling
layers and import neither each other: they meet here. A store hands out one
``VisibleGraph`` per caller's view (``graph_api.store.visible``), which offers two
reads, `ViewReads`: the networkx view, and the whole view at once as `ViewColumns`
(numpy over the embedded store's fact columns). Analytics build their `Snapshot`
(``graph_api.analytics.snapshot``) from the columns.

`graph_columns` reads a networkx graph that is a caller's view already (a graph a
remote store fetched filtered, a test's graph) into the same columns through the
networkx API alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "BoolArray",
    "FloatArray",
    "HUB_DEGREE",
    "IntArray",
    "SharedNeighbours",
    "ViewColumns",
    "ViewReads",
    "confidence_of",
    "graph_columns",
    "kind_name",
    "neighbours_of",
    "plain",
    "region_name",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ViewColumns(NamedTuple):
    """The nodes and relations of one view, as arrays.

    Nodes in the view's order: ``ids``, the code of each one's ``kind`` into
    ``kinds`` and of its ``region`` into ``regions`` (-1: none; a region is
    ``str(value)`` of a truthy value). Relations ``src -> dst`` (node positions)
    of kind ``rels[rel]`` with the view's confidence ``conf``, grouped by source
    and, per pair, in the view's key order.
    """

    ids: list[str]
    kind: IntArray
    kinds: list[str]
    region: IntArray
    regions: list[str]
    src: IntArray
    dst: IntArray
    rel: IntArray
    rels: list[str]
    conf: FloatArray


class ViewReads(Protocol):
    """The two reads of one caller's view (``graph_api.store.visible.VisibleGraph``)."""

    def graph(self) -> Any:
        """The view as a read-only networkx ``MultiDiGraph``."""
        ...

    def columns(self) -> ViewColumns:
        """The whole view at once: what ``graph()`` shows, as columns."""
        ...


def plain(kind: Any) -> str:
    """A kind as a plain string: EntityKind/RelationKind members give their value.

    (``str()`` of a str-valued Enum member is "RelationKind.USES" in Python 3.11.)
    """
    return str(getattr(kind, "value", kind))


def confidence_of(data: Any) -> float:
    """The confidence in an edge's data dict (1.0 when absent)."""
    value = data.get("confidence", 1.0)
    return 1.0 if value is None else float(value)


def graph_columns(G: Any) -> ViewColumns:
    """The columns of a networkx graph read through its API: every node's kind and
    region, every relation's kind and confidence.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("w", kind="WAREHOUSE", region="PRD")
    >>> G.add_edge("s", "w", key="SHIPS_FROM", confidence=0.5)
    'SHIPS_FROM'
    >>> read = graph_columns(G)
    >>> read.ids, read.kind.tolist(), read.kinds, read.rels, read.conf.tolist()
    (['w', 's'], [0, -1], ['WAREHOUSE'], ['SHIPS_FROM'], [0.5])

    Notes
    -----
    Cost: one pass over the nodes and one over the relations, a few µs per
    relation (on a lazily filtered view, its mappings' checks besides).
    """
    ids: list[str] = []
    kinds: list[Any] = []
    regions: list[Any] = []
    for n, data in G.nodes(data=True):
        ids.append(n)
        kinds.append(data.get("kind"))
        regions.append(data.get("region"))
    index = dict(zip(ids, range(len(ids)), strict=True))
    rels = _Codes()
    code = rels.__getitem__
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
    del index
    names = [plain(k) for k in rels]  # str-valued enum members and their values: one name
    merged = {name: i for i, name in reversed(list(enumerate(names)))}
    recode = np.asarray([merged[name] for name in names], dtype=np.int64)
    kind_code, kind_names = _codes(kinds, kind_name)
    region_code, region_names = _codes(regions, region_name)
    return ViewColumns(
        ids,
        kind_code,
        kind_names,
        region_code,
        region_names,
        np.repeat(np.asarray(sources, dtype=np.int64), counts),
        np.asarray(dst, dtype=np.int64),
        recode[np.asarray(keys, dtype=np.int64)] if keys else np.zeros(0, np.int64),
        names,
        np.asarray(confs, dtype=np.float64),
    )


class _Codes(dict[Any, int]):
    """A number for each key, the next one for a key not seen before."""

    def __missing__(self, key: Any) -> int:
        code = self[key] = len(self)
        return code


def _codes(values: list[Any], name: Callable[[Any], str | None]) -> tuple[IntArray, list[str]]:
    """A code per value for its ``name(value)`` (-1 for None) and the names coded."""
    distinct = list(dict.fromkeys(values))
    named = [name(v) for v in distinct]
    names = list(dict.fromkeys(n for n in named if n is not None))
    code_of = {n: i for i, n in enumerate(names)}
    code = {v: -1 if n is None else code_of[n] for v, n in zip(distinct, named, strict=True)}
    return np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values)), names


def kind_name(value: Any) -> str | None:
    """The name a node's kind is coded by (None: no kind)."""
    return None if value is None else plain(value)


def region_name(value: Any) -> str | None:
    """The name a node's region is coded by: ``str(value)`` of a truthy value."""
    return str(value) if value else None


# -- a node's neighbours beneath a view --------------------------------------------

HUB_DEGREE = 256
"""Neighbours from which walks read a node as a hub: its neighbours' ids in order,
as far as they go (``network`` with a limit), or looked up from the other ends
(``connections``), not listed whole through the caller's view."""


class SharedNeighbours(Protocol):
    """A node's neighbours in the graph a view shows part of (the embedded store's
    shared graph behind a scoped view; the view itself for any other graph): whether
    the caller sees each is asked of the view (``v in G.succ[u]``)."""

    def degree(self, node: str) -> int:
        """Neighbours on each side, counted: at least the caller's; cheap."""
        ...

    def in_order(self, node: str) -> list[str]:
        """The ids of the node's neighbours in either direction, each once, sorted;
        not to be changed."""
        ...


class _OwnNeighbours:
    def __init__(self, G: Any) -> None:
        self._succ, self._pred = G._succ, G._pred

    def degree(self, node: str) -> int:
        return len(self._succ[node]) + len(self._pred[node])

    def in_order(self, node: str) -> list[str]:
        return sorted(set(self._succ[node]) | set(self._pred[node]))


def neighbours_of(G: Any) -> SharedNeighbours:
    """The `SharedNeighbours` beneath ``G``: a store's view says where they are kept
    (its ``shared_neighbours``); any other networkx graph's own.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph([("b", "a", "K"), ("a", "c", "K"), ("c", "a", "K")])
    >>> neighbours_of(G).in_order("a"), neighbours_of(G).degree("a")
    (['b', 'c'], 3)
    """
    found: SharedNeighbours | None = getattr(G, "shared_neighbours", None)
    return found if found is not None else _OwnNeighbours(G)
