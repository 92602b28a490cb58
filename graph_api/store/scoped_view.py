"""A caller's view of the shared graph: a read-only networkx graph, never a copy.

The store keeps one ``MultiDiGraph`` whose nodes and edges carry every
assertion (``facts``) with its visibility class. ``scoped_view`` wraps it in
mappings that hide what the caller may not see and recompute what depends on
it (confidence, name, region, status), so analytics written against plain
networkx run unchanged on exactly the caller's graph.

Node facts: ``(seq, vclass, confidence, kind, name, region, status, ...)``.
Edge facts: ``(seq, vclass, confidence)``.

Every fact is decided by ``VisibilityMask.sees``: its class, and in a view as of a
time (`AsOfMask`) also its report's time (``graph_api.store.horizon``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any
from weakref import WeakKeyDictionary

import networkx as nx
import numpy as np

from graph_api import deadline
from graph_api.model import noisy_or
from graph_api.store.facts import Data, EntityFact, Fact
from graph_api.store.horizon import Horizon
from graph_api.view_columns import BoolArray

__all__ = [
    "AsOfMask",
    "VisibilityMask",
    "merged_node",
    "scoped_view",
    "visible_node",
    "visible_relations_at",
]



class VisibilityMask:
    """``mask[class_id]`` is True when the caller may see that visibility class;
    ``mask.sees(fact)`` whether it sees one fact (report key first, class second)."""

    horizon: Horizon | None = None  # a view as of a time: `AsOfMask`

    def __init__(self, decide: Callable[[int], bool]) -> None:
        self._decide = decide
        self.bits: list[bool] = []

    def __getitem__(self, class_id: int) -> bool:
        bits = self.bits
        while class_id >= len(bits):
            bits.append(self._decide(len(bits)))
        return bits[class_id]

    def sees(self, fact: Fact) -> bool:
        """Whether the caller sees this fact: its class."""
        c = fact[1]
        bits = self.bits
        return bits[c] if c < len(bits) else self[c]

    def sees_node(self, data: Data) -> bool:
        """``visible_node(data, self) is not None``, stopping at the first visible fact: a
        hub is asked only past its first ``HUB_FACTS`` (its merge, kept per mask, is then
        made once), a neighbour of a page need not have its visible facts merged."""
        facts = data["facts"]
        sees = self.sees
        for fact in facts[:HUB_FACTS] if len(facts) > HUB_FACTS else facts:
            if sees(fact):
                return True
        return len(facts) > HUB_FACTS and visible_node(data, self) is not None

    def class_bits(self, count: int) -> BoolArray:
        """Whether the caller sees each of the classes ``0 .. count - 1``: a whole view
        read with numpy decides its facts by class with this array."""
        return np.fromiter((self[c] for c in range(count)), dtype=bool, count=count)

    def admitted(self) -> BoolArray | None:
        """For a view as of a time, whether each report (by key) is admitted; None when
        every report is."""
        return None if self.horizon is None else self.horizon.bits()

    def fixed(self, classes: int) -> VisibilityMask:
        """This mask's decisions for the first ``classes`` classes (and, as of a time,
        the reports admitted now), taken now, to be read on any thread: the
        store's classes and reports may grow meanwhile on the thread that owns it.

        >>> mask = VisibilityMask(lambda c: c % 2 == 0).fixed(3)
        >>> mask.class_bits(3).tolist(), mask.sees((1, 2, 0.5))
        ([True, False, True], True)
        """
        if classes:
            self[classes - 1]
        return _FixedMask(self.bits[:classes], self.admitted())

    def kept(self, data: Data, name: str) -> MutableMapping[Any, Any]:
        """What a node keeps per mask under ``name`` (a hub's merges): a view as of a
        time keeps it weakly, so that the masks of past times asked once go with it."""
        found: MutableMapping[Any, Any] = data.setdefault(name, {})
        return found


class AsOfMask(VisibilityMask):
    """The mask of a view as of a time: a fact is seen when its class is and its report
    was received at or before the time (``horizon``, by report key).

    >>> from graph_api.store.horizon import ReportTimes
    >>> times = ReportTimes(lambda a, u: [(1, "2026-11-01T09:00:00+00:00"),
    ...                                   (2, "2026-11-02T09:00:00+00:00")][a:u])
    >>> times.follow(2)
    >>> mask = AsOfMask(lambda c: c == 0, Horizon(times, int(times.array()[1])))
    >>> [mask.sees(f) for f in ((1, 0, 0.5), (2, 0, 0.5), (1, 1, 0.5))]
    [True, False, False]
    """

    def __init__(self, decide: Callable[[int], bool], horizon: Horizon) -> None:
        super().__init__(decide)
        self.horizon = horizon
        self._admitted = horizon.__getitem__

    def sees(self, fact: Fact) -> bool:
        c = fact[1]
        bits = self.bits
        return bool((bits[c] if c < len(bits) else self[c]) and self._admitted(fact[0]))

    def kept(self, data: Data, name: str) -> MutableMapping[Any, Any]:
        found: MutableMapping[Any, Any] | None = data.get(name + "@")
        if found is None:
            found = data[name + "@"] = WeakKeyDictionary()
        return found


class _FixedMask(VisibilityMask):
    """`VisibilityMask.fixed`: a class beyond those taken is an error, not a decision."""

    def __init__(self, bits: list[bool], admitted: BoolArray | None) -> None:
        super().__init__(bits.__getitem__)
        self.bits = bits
        self._reports = admitted

    def sees(self, fact: Fact) -> bool:
        return bool(self.bits[fact[1]] and (self._reports is None or self._reports[fact[0]]))

    def admitted(self) -> BoolArray | None:
        return self._reports


def merged_node(facts: list[EntityFact]) -> Data:
    """Merge node facts (oldest first): the latest non-null value of each field wins."""
    data: Data = {"kind": facts[0][3], "name": None, "region": None, "status": None}
    for fact in facts:
        if fact[4] is not None:
            data["name"] = fact[4]
        if fact[5] is not None:
            data["region"] = fact[5]
        if fact[6] is not None:
            data["status"] = fact[6]
    miss = 1.0
    for fact in facts:
        miss *= 1.0 - fact[2]
    data["miss"] = miss
    data["confidence"] = 1.0 - miss
    data["facts"] = facts
    return data


HUB_FACTS = 32  # nodes stated this often (brands, public warehouses) cache their views


def visible_node(data: Data, mask: VisibilityMask) -> tuple[list[EntityFact], Data] | None:
    """The caller's facts of a node and the node's fields merged from them.

    Facts only ever append, so a hub keeps, per mask, how far it has looked and
    what it found, and only new facts are checked on the next call.
    """
    facts = data["facts"]
    sees = mask.sees
    if len(facts) <= HUB_FACTS:
        visible = [f for f in facts if sees(f)]
        if not visible:
            return None
        return visible, data if len(visible) == len(facts) else merged_node(visible)
    seen = mask.kept(data, "seen")
    hit = seen.get(mask)
    if hit is None or hit[0] != len(facts):
        checked, before, merged = hit if hit else (0, [], {})
        more = [f for f in facts[checked:] if sees(f)]
        visible = before + more if more else before
        if len(visible) == len(facts):
            merged = data
        elif not visible:
            merged = {}
        elif merged and merged is not data:
            merged = _merged_more(merged, more, visible) if more else merged
        else:  # all was visible (``data`` has moved on since) or nothing was
            merged = merged_node(visible)
        hit = seen[mask] = (len(facts), visible, merged)
    return (hit[1], hit[2]) if hit[1] else None


def _merged_more(merged: Data, more: list[EntityFact], visible: list[EntityFact]) -> Data:
    """``merged_node(visible)`` from ``merged`` (that of the facts before ``more``):
    O(new facts), where a hub stated 200,000 times took 40 ms to merge again."""
    out: Data = {
        "kind": merged["kind"],
        "name": merged["name"],
        "region": merged["region"],
        "status": merged["status"],
    }
    miss = merged["miss"]
    for fact in more:
        if fact[4] is not None:
            out["name"] = fact[4]
        if fact[5] is not None:
            out["region"] = fact[5]
        if fact[6] is not None:
            out["status"] = fact[6]
        miss *= 1.0 - fact[2]
    out["miss"] = miss
    out["confidence"] = 1.0 - miss
    out["facts"] = visible
    return out


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
        data = self._atlas.get(node)  # type: ignore[call-overload]
        return data is not None and visible_node(data, self._mask) is not None

    def __iter__(self) -> Iterator[str]:
        mask = self._mask
        for node, data in self._atlas.items():
            if visible_node(data, mask) is not None:
                yield node

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Keys(Mapping[str, Data]):
    """Relation kind -> the caller's edge data, for one (u, v)."""

    def __init__(self, keydict: dict[str, Data], mask: VisibilityMask) -> None:
        self._keydict = keydict
        self._mask = mask

    def __getitem__(self, key: str) -> Data:
        data = self._keydict.get(key)
        scoped = None if data is None else scoped_edge_data(data, self._mask)
        if scoped is None:
            raise KeyError(key)
        return scoped

    def __iter__(self) -> Iterator[str]:
        sees = self._mask.sees
        for key, data in self._keydict.items():
            if any(sees(f) for f in data["facts"]):
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Neighbours(Mapping[str, Mapping[str, Data]]):
    def __init__(self, nbrs: dict[str, dict[str, Data]], nodes: _Nodes, mask: VisibilityMask):
        self._nbrs = nbrs
        self._nodes = nodes
        self._mask = mask

    def _edge_visible(self, keydict: dict[str, Data]) -> bool:
        sees = self._mask.sees
        return any(sees(f) for data in keydict.values() for f in data["facts"])

    def __getitem__(self, nbr: str) -> Mapping[str, Data]:
        keydict = self._nbrs.get(nbr)
        if keydict is None or not self._edge_visible(keydict) or nbr not in self._nodes:
            raise KeyError(nbr)
        return _Keys(keydict, self._mask)

    def __contains__(self, nbr: object) -> bool:
        keydict = self._nbrs.get(nbr)  # type: ignore[call-overload]
        return keydict is not None and self._edge_visible(keydict) and nbr in self._nodes

    def __iter__(self) -> Iterator[str]:
        nodes = self._nodes
        for nbr, keydict in self._nbrs.items():
            if self._edge_visible(keydict) and nbr in nodes:
                yield nbr

    def items(self) -> Iterator[tuple[str, Mapping[str, Data]]]:  # type: ignore[override]
        nodes, mask = self._nodes, self._mask
        for nbr, keydict in self._nbrs.items():
            if self._edge_visible(keydict) and nbr in nodes:
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
) -> list[tuple[str, str]]:
    """``(neighbour, kind)`` for each visible relation of one of ``kinds`` into
    (``incoming``) or out of a visible ``node``: what ``G.pred[node]`` /
    ``G.succ[node]`` filtered by kind give, but on a scoped view only those
    relations' facts and ends are checked, not every neighbour's.

    >>> G = nx.MultiDiGraph()
    >>> for n, kind in (("l", "LISTING"), ("w", "WAREHOUSE"), ("b", "BRAND")):
    ...     _ = G.add_node(n, **merged_node([(1, 0, 0.5, kind, n, None, None)]))
    >>> _ = G.add_edge("l", "w", key="SHIPS_FROM", confidence=0.5, facts=[(1, 0, 0.5)])
    >>> _ = G.add_edge("l", "b", key="INFRINGES", confidence=0.5, facts=[(2, 1, 0.5)])
    >>> V = scoped_view(G, VisibilityMask(lambda c: c == 0))
    >>> related_by(V, "l", ("SHIPS_FROM", "INFRINGES"), incoming=False)
    [('w', 'SHIPS_FROM')]
    >>> related_by(G, "w", ("SHIPS_FROM",), incoming=True)
    [('l', 'SHIPS_FROM')]
    """
    shared = getattr(G, "_graph", None)
    if shared is None or not isinstance(G._succ, _Adjacency):
        adjacency = G.pred if incoming else G.succ
        return [(other, k) for other, keys in adjacency[node].items() for k in kinds if k in keys]
    sees, nodes = G._succ._mask.sees, G._node
    out = []
    for other, keydict in (shared._pred if incoming else shared._succ)[node].items():
        for k in kinds:
            data = keydict.get(k)
            if data is not None and any(sees(f) for f in data["facts"]) and other in nodes:
                out.append((other, k))
    return out
