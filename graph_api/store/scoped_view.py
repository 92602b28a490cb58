"""A caller's view of the shared graph: a read-only networkx graph, never a copy.

The store keeps one ``MultiDiGraph`` whose nodes and edges carry every
assertion (``facts``) with its visibility class. ``scoped_view`` wraps it in
mappings that hide what the caller may not see and recompute what depends on
it (confidence, name, region, status), so analytics written against plain
networkx run unchanged on exactly the caller's graph.

Node facts: ``(seq, vclass, confidence, kind, name, region, status, ...)``.
Edge facts: ``(seq, vclass, confidence)``.

Every fact is decided by a mask's ``sees`` and a node's fields merged from the facts
it admits (`graph_api.store.masks`: ``VisibilityMask``, ``AsOfMask``, ``visible_node``).
"""

from __future__ import annotations

import bisect
import itertools
import weakref
from collections.abc import Callable, Iterator, Mapping

import networkx as nx

from graph_api import deadline
from graph_api.model import noisy_or
from graph_api.store.facts import Data, Fact
from graph_api.store.masks import VisibilityMask, visible_node
from graph_api.view_columns import HUB_DEGREE

__all__ = [
    "scoped_view",
    "visible_relations_at",
]


def scoped_node_data(data: Data, mask: VisibilityMask) -> Data | None:
    found = visible_node(data, mask)
    if found is None:
        return None
    merged = found[1]
    if merged is data or "identifier_kind" not in data:
        return merged
    return {**merged, "identifier_kind": data["identifier_kind"], "value": data.get("value")}


def scoped_edge_data(data: Data, mask: VisibilityMask) -> Data | None:
    facts = data["facts"]
    if len(facts) == 1:
        return data if mask.sees(facts[0]) else None
    sees = mask.sees
    visible = [f for f in facts if sees(f)]
    if len(visible) == len(facts):
        return data
    if not visible:
        return None
    return {"confidence": noisy_or([f[2] for f in visible]), "facts": visible}


class _Nodes(Mapping[str, Data]):
    def __init__(self, atlas: dict[str, Data], mask: VisibilityMask) -> None:
        self._atlas = atlas
        self._mask = mask

    def __getitem__(self, node: str) -> Data:
        data = self._atlas.get(node)
        scoped = None if data is None else scoped_node_data(data, self._mask)
        if scoped is None:
            raise KeyError(node)
        return scoped

    def __contains__(self, node: object) -> bool:
        # Asked of every neighbour a walk reads: stop at the first fact seen, merge none.
        data = self._atlas.get(node)  # type: ignore[call-overload]
        return data is not None and self._mask.sees_node(data)

    def __iter__(self) -> Iterator[str]:
        sees_node = self._mask.sees_node
        for node, data in self._atlas.items():
            if sees_node(data):
                yield node

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Keys(Mapping[str, Data]):
    """Relation kind -> the caller's edge data, for one (u, v); as `_Neighbours`, what
    an iteration found is not decided again by the lookups that follow it."""

    def __init__(self, keydict: dict[str, Data], mask: VisibilityMask) -> None:
        self._keydict = keydict
        self._mask = mask
        self._found: dict[str, Data] = {}

    def __getitem__(self, key: str) -> Data:
        scoped = self._found.get(key)
        if scoped is None:
            data = self._keydict.get(key)
            scoped = None if data is None else scoped_edge_data(data, self._mask)
            if scoped is None:
                raise KeyError(key)
        return scoped

    def __iter__(self) -> Iterator[str]:
        mask, found = self._mask, self._found
        for key, data in self._keydict.items():
            scoped = scoped_edge_data(data, mask)
            if scoped is not None:
                found[key] = scoped
                yield key

    def items(self) -> Iterator[tuple[str, Data]]:  # type: ignore[override]
        # One pass (Mapping's would look every key up again and decide its facts twice).
        mask = self._mask
        for key, data in self._keydict.items():
            scoped = scoped_edge_data(data, mask)
            if scoped is not None:
                yield key, scoped

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _edge_visible(keydict: dict[str, Data], sees: Callable[[Fact], bool]) -> bool:
    """Whether any relation of one (u, v) has a fact the caller sees (asked of every
    neighbour a walk reads: plain loops, no generator)."""
    for data in keydict.values():
        for fact in data["facts"]:
            if sees(fact):
                return True
    return False


class _Neighbours(Mapping[str, Mapping[str, Data]]):
    """One node's visible neighbours. networkx reads ``G.succ[u].items()`` as an
    iteration then a lookup of each neighbour: what the iteration found visible is
    not decided again by the lookup (``_found``; the mapping lives for one read)."""

    def __init__(self, nbrs: dict[str, dict[str, Data]], nodes: _Nodes, mask: VisibilityMask):
        self._nbrs = nbrs
        self._nodes = nodes
        self._mask = mask
        self._found: dict[str, dict[str, Data]] = {}

    def __getitem__(self, nbr: str) -> Mapping[str, Data]:
        keydict = self._found.get(nbr)
        if keydict is None:
            keydict = self._nbrs.get(nbr)
            if keydict is None or not _edge_visible(keydict, self._mask.sees) \
                    or nbr not in self._nodes:
                raise KeyError(nbr)
        return _Keys(keydict, self._mask)

    def __contains__(self, nbr: object) -> bool:
        keydict = self._nbrs.get(nbr)  # type: ignore[call-overload]
        return keydict is not None and _edge_visible(keydict, self._mask.sees) \
            and nbr in self._nodes

    def __iter__(self) -> Iterator[str]:
        nodes, sees, found = self._nodes, self._mask.sees, self._found
        for nbr, keydict in self._nbrs.items():
            if _edge_visible(keydict, sees) and nbr in nodes:
                found[nbr] = keydict
                yield nbr

    def items(self) -> Iterator[tuple[str, Mapping[str, Data]]]:  # type: ignore[override]
        nodes, mask = self._nodes, self._mask
        sees = mask.sees
        for nbr, keydict in self._nbrs.items():
            if _edge_visible(keydict, sees) and nbr in nodes:
                yield nbr, _Keys(keydict, mask)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Adjacency(Mapping[str, Mapping[str, Mapping[str, Data]]]):
    def __init__(
        self, adj: dict[str, dict[str, dict[str, Data]]], nodes: _Nodes, mask: VisibilityMask
    ):
        self._adj = adj
        self._nodes = nodes
        self._mask = mask

    def __getitem__(self, node: str) -> _Neighbours:
        deadline.check()  # every walk expands nodes through here
        if node not in self._nodes:
            raise KeyError(node)
        return _Neighbours(self._adj[node], self._nodes, self._mask)

    def __contains__(self, node: object) -> bool:
        return node in self._nodes

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


def scoped_view(G: nx.MultiDiGraph, mask: VisibilityMask) -> nx.MultiDiGraph:
    """A frozen MultiDiGraph showing only what ``mask`` admits, with the caller's values.

    >>> from graph_api.store.masks import merged_node
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", **merged_node([(1, 0, 0.5, "LISTING", "a", None, None)]))
    >>> G.add_node("w", **merged_node([(1, 0, 0.5, "WAREHOUSE", "w", None, None)]))
    >>> G.add_edge("a", "w", key="SHIPS_FROM", confidence=0.75, facts=[(1, 0, 0.5), (2, 1, 0.5)])
    'SHIPS_FROM'
    >>> V = scoped_view(G, VisibilityMask(lambda c: c == 0))
    >>> V["a"]["w"]["SHIPS_FROM"]["confidence"]
    0.5
    >>> H = scoped_view(G, VisibilityMask(lambda c: c == 1))
    >>> "a" in H, H.number_of_edges()
    (False, 0)
    """
    view = nx.freeze(nx.MultiDiGraph())
    nodes = _Nodes(G._node, mask)
    view._graph = G
    view.graph = G.graph
    view._node = nodes
    view._succ = _Adjacency(G._succ, nodes, mask)
    view._pred = _Adjacency(G._pred, nodes, mask)
    view._adj = view._succ
    view.shared_neighbours = _kept_neighbours(G)  # graph_api.view_columns.neighbours_of
    return view


# -- reads beside the mappings ---------------------------------------------------
# A whole view is read as columns by `graph_api.store.visible.VisibleGraph`; the
# reads here answer one node's relations as the mappings do, in one pass.


Row = tuple[tuple[str, str, str], Data]  # ((kind, other end, side), the caller's edge data)


def visible_relations_at(
    G: nx.MultiDiGraph, node: str, direction: str, kinds: set[str] | None
) -> list[Row] | None:
    """The relations at ``node`` of a scoped view, as its mappings show them: one
    row per relation kind and other end with a fact the caller sees, the other end
    visible; ``direction`` OUT, IN or BOTH; only ``kinds`` when given. In the shared
    graph's order. Each edge's facts are read once and each end's until its first
    visible fact (the mappings scan them three times and copy the visible ones: a
    storefront's page of 20 read all its listings that way). None when ``G`` is not
    a `scoped_view`."""
    nodes = G._node
    if not isinstance(nodes, _Nodes):
        return None
    deadline.check()  # as the mappings do on every expansion
    mask, atlas, shared = nodes._mask, nodes._atlas, G._graph
    sides = []
    if direction in ("OUT", "BOTH"):
        sides.append(("OUT", shared._succ[node]))
    if direction in ("IN", "BOTH"):
        sides.append(("IN", shared._pred[node]))
    rows: list[Row] = []
    ends: dict[str, bool] = {}
    for side, neighbours in sides:
        for other, keydict in neighbours.items():
            for kind, data in keydict.items():
                if kinds is not None and kind not in kinds:
                    continue
                scoped = scoped_edge_data(data, mask)
                if scoped is None:
                    continue
                seen = ends.get(other)
                if seen is None:
                    seen = ends[other] = mask.sees_node(atlas[other])
                if not seen:
                    break
                rows.append(((kind, other, side), scoped))
    return rows


def related_by(
    G: nx.MultiDiGraph, node: str, kinds: tuple[str, ...], incoming: bool
) -> Iterator[tuple[str, str]]:
    """``(neighbour, kind)`` for each visible relation of one of ``kinds`` into
    (``incoming``) or out of a visible ``node``: what ``G.pred[node]`` /
    ``G.succ[node]`` filtered by kind give, but on a scoped view only those
    relations' facts and ends are checked, not every neighbour's; as the walk reads
    them (a walk that stops at the first it wants reads no more of a hub's).

    >>> from graph_api.store.masks import merged_node
    >>> G = nx.MultiDiGraph()
    >>> for n, kind in (("l", "LISTING"), ("w", "WAREHOUSE"), ("b", "BRAND")):
    ...     _ = G.add_node(n, **merged_node([(1, 0, 0.5, kind, n, None, None)]))
    >>> _ = G.add_edge("l", "w", key="SHIPS_FROM", confidence=0.5, facts=[(1, 0, 0.5)])
    >>> _ = G.add_edge("l", "b", key="INFRINGES", confidence=0.5, facts=[(2, 1, 0.5)])
    >>> V = scoped_view(G, VisibilityMask(lambda c: c == 0))
    >>> list(related_by(V, "l", ("SHIPS_FROM", "INFRINGES"), incoming=False))
    [('w', 'SHIPS_FROM')]
    >>> list(related_by(G, "w", ("SHIPS_FROM",), incoming=True))
    [('l', 'SHIPS_FROM')]
    """
    shared = getattr(G, "_graph", None)
    if shared is None or not isinstance(G._succ, _Adjacency):
        adjacency = G.pred if incoming else G.succ
        for other, keys in adjacency[node].items():
            for k in kinds:
                if k in keys:
                    yield other, k
        return
    sees, nodes = G._succ._mask.sees, G._node
    for other, keydict in (shared._pred if incoming else shared._succ)[node].items():
        for k in kinds:
            data = keydict.get(k)
            if data is not None and any(sees(f) for f in data["facts"]) and other in nodes:
                yield other, k

# -- hubs: a node's neighbours in id order, kept ----------------------------------
# A brand's hub has a relation from every listing infringing it (hundreds of
# thousands at 1M entities). A walk that needs only the first few of its neighbours
# in id order (``network`` with a limit) or a few lookups (``connections``) reads
# them through the view's `SharedNeighbours` instead of listing them all through
# the caller's mappings.

_Sorted = tuple[int, int, list[str]]  # (successors, predecessors) when sorted, the ids


class _KeptNeighbours:
    """`graph_api.view_columns.SharedNeighbours` of the shared graph behind every scoped
    view of it: a hub's neighbour ids sorted once, then kept up to date by what was
    appended since. The shared graph only grows (relations and their facts are
    appended, never removed) and a dict keeps its keys in the order they came, so the
    ids new since a list was sorted are the last ones of each side."""

    def __init__(self, shared: nx.MultiDiGraph) -> None:
        self._succ, self._pred = shared._succ, shared._pred
        self._kept: dict[str, _Sorted] = {}

    def degree(self, node: str) -> int:
        return len(self._succ[node]) + len(self._pred[node])

    def in_order(self, node: str) -> list[str]:
        succ, pred = self._succ[node], self._pred[node]
        found = self._kept.get(node)
        if found is not None and found[0] == len(succ) and found[1] == len(pred):
            return found[2]
        if found is None or len(succ) - found[0] + len(pred) - found[1] > 64:
            ids = sorted(set(succ) | set(pred))
        else:
            ids = list(found[2])  # a list handed out before is not changed under its reader
            for side, before in ((succ, found[0]), (pred, found[1])):
                for new in itertools.islice(reversed(side), len(side) - before):
                    at = bisect.bisect_left(ids, new)
                    if at == len(ids) or ids[at] != new:
                        ids.insert(at, new)
        if len(ids) >= HUB_DEGREE:  # a small node's are read as they are
            self._kept[node] = (len(succ), len(pred), ids)
        return ids


_kept_of: weakref.WeakKeyDictionary[nx.MultiDiGraph, _KeptNeighbours] = (
    weakref.WeakKeyDictionary())


def _kept_neighbours(shared: nx.MultiDiGraph) -> _KeptNeighbours:
    found = _kept_of.get(shared)
    if found is None:
        found = _kept_of[shared] = _KeptNeighbours(shared)
    return found
