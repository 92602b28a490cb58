"""Neighbourhoods, connecting paths and identifier linkage, each from one seed.

Undirected where DESIGN.md says so: a relation joins its two ends both ways,
and results report it in its stored direction (``results.Rel``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

import networkx as nx

from graph_api.analytics.results import Linkage, Path, Rel, Subgraph
from graph_api.analytics.walks import confidence_of, node_kind, plain
from graph_api.view_columns import HUB_DEGREE, neighbours_of

__all__ = ["network", "connections", "linked_entities"]

_Step = tuple[str, float, Rel]
_Ranked = tuple[float, tuple[str, ...], tuple[Rel, ...]]  # (-confidence, nodes, relations)


def _undirected_steps(G: Any, u: str, ordered: bool = True) -> list[_Step]:
    """Every relation at ``u`` as (other end, confidence, relation), sorted if ``ordered``."""
    out: list[_Step] = []
    for v, keydict in G.succ[u].items():
        for k, data in keydict.items():
            out.append((v, confidence_of(data), (u, v, plain(k))))
    for v, keydict in G.pred[u].items():
        if v == u:
            continue  # a self-loop was seen from the successor side
        for k, data in keydict.items():
            out.append((v, confidence_of(data), (v, u, plain(k))))
    if ordered:
        out.sort(key=lambda s: (s[0], s[2]))
    return out


def _steps_between(at: tuple[Any, Any], u: str, v: str) -> list[_Step]:
    """The relations joining ``u`` and ``v`` as `_undirected_steps` gives them, sorted;
    ``at`` is ``(G.succ[u], G.pred[u])``, taken once for all of ``u``'s lookups."""
    out: list[_Step] = []
    succ, pred = at
    if v in succ:
        for k, data in succ[v].items():
            out.append((v, confidence_of(data), (u, v, plain(k))))
    if v != u and v in pred:
        for k, data in pred[v].items():
            out.append((v, confidence_of(data), (v, u, plain(k))))
    out.sort(key=lambda s: s[2])
    return out


def _steps_in_order(G: Any, u: str) -> Iterator[_Step]:
    """``_undirected_steps(G, u)``, read as far as the walk goes: a hub's from its
    neighbours' ids in order (`SharedNeighbours.in_order`), not all at once."""
    beneath = neighbours_of(G)
    if beneath.degree(u) < HUB_DEGREE:
        yield from _undirected_steps(G, u)
        return
    at = G.succ[u], G.pred[u]
    for v in beneath.in_order(u):
        yield from _steps_between(at, u, v)


def _steps_towards(G: Any, u: str, ends: Collection[str]) -> Iterator[_Step]:
    """The relations joining ``u`` to any of ``ends``: looked up from each end when
    ``u`` has more neighbours than there are ends (a hub), else read from ``u``."""
    if neighbours_of(G).degree(u) <= len(ends):
        yield from (st for st in _undirected_steps(G, u, ordered=False) if st[0] in ends)
        return
    at = G.succ[u], G.pred[u]
    for v in ends:
        yield from _steps_between(at, u, v)


def network(
    G: Any,
    seeds: Iterable[str],
    max_hops: int = 2,
    kinds: Iterable[str] | None = None,
    min_confidence: float = 0.0,
    limit: int = 2000,
) -> Subgraph:
    """The undirected ``max_hops`` neighbourhood of ``seeds``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view.
    seeds : iterable of str
        Start nodes; ids not in ``G`` are ignored.
    max_hops : int
        Hops from the nearest seed.
    kinds : iterable of str, optional
        Relation kinds to follow (every kind when None).
    min_confidence : float
        Relations of lower confidence are neither followed nor returned.
    limit : int
        At most this many nodes; ``truncated`` tells when more were reachable.

    Returns
    -------
    Subgraph
        Nodes in breadth-first order (seeds sorted by id, then each node's new
        neighbours sorted by id), and every followed-kind relation among them,
        sorted.

    Examples
    --------
    >>> G = nx.MultiDiGraph([("a", "b", "USES"), ("c", "b", "USES"), ("c", "d", "LISTS")])
    >>> network(G, ["a"]).nodes
    ('a', 'b', 'c')
    >>> network(G, ["a"], max_hops=3, limit=3).truncated
    True

    Notes
    -----
    Cost: O(nodes + relations returned); each node's adjacency is read once, a
    hub's (`HUB_DEGREE` neighbours or more) in id order only as far as the limit
    goes, and its relations to the nodes returned looked up from them.
    """
    wanted = None if kinds is None else {plain(k) for k in kinds}

    def keep(rel: Rel, c: float) -> bool:
        return c >= min_confidence and (wanted is None or rel[2] in wanted)

    order: list[str] = []
    seen: set[str] = set()
    truncated = False
    for s in sorted({s for s in seeds if s in G}):
        if len(order) >= limit:
            truncated = True
            break
        order.append(s)
        seen.add(s)
    steps: dict[str, list[_Step]] = {}  # each expanded node's, all of them
    cut_at = None  # the node whose steps the limit cut (a hub's are read as far as needed)
    frontier = list(order)
    for _ in range(max_hops):
        if truncated or not frontier:
            break
        nxt: list[str] = []
        for u in frontier:
            found: list[_Step] = []
            for st in _steps_in_order(G, u):
                if not keep(st[2], st[1]):
                    continue
                v = st[0]
                if v not in seen:
                    if len(order) >= limit:
                        truncated = True
                        break
                    seen.add(v)
                    order.append(v)
                    nxt.append(v)
                found.append(st)
            if truncated:
                cut_at = u
                break
            steps[u] = found
        frontier = nxt
    rels: set[Rel] = set()
    beneath = neighbours_of(G)
    for u in order:
        if u in steps:
            rels.update(rel for v, _, rel in steps[u] if v in seen)
        elif u == cut_at or beneath.degree(u) > len(seen):  # both ways: what the other
            # end reads of them is the same relation
            rels.update(rel for _, c, rel in _steps_towards(G, u, seen) if keep(rel, c))
        else:
            for v, keydict in G.succ[u].items():
                if v in seen:
                    for k, data in keydict.items():
                        rel = (u, v, plain(k))
                        if keep(rel, confidence_of(data)):
                            rels.add(rel)
    return Subgraph(nodes=tuple(order), relations=tuple(sorted(rels)), truncated=truncated)


def connections(G: Any, source: str, target: str, max_hops: int = 6, first: int = 5) -> list[Path]:
    """Shortest undirected paths between two entities, most confident first.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view.
    source, target : str
        The two ends.
    max_hops : int
        Paths longer than this are not looked for.
    first : int
        At most this many paths.

    Returns
    -------
    list of Path
        Paths of the fewest hops (over every relation kind, either direction;
        parallel relations make distinct paths), by confidence descending,
        then node ids, then relations. Empty when none within ``max_hops``.

    Raises
    ------
    networkx.NodeNotFound
        If ``source`` or ``target`` is not in ``G``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("a", "x", key="USES", confidence=0.9)
    >>> _ = G.add_edge("b", "x", key="USES", confidence=0.5)
    >>> _ = G.add_edge("a", "y", key="USES", confidence=0.6)
    >>> _ = G.add_edge("b", "y", key="USES", confidence=0.6)
    >>> [(p.nodes, round(p.confidence, 2)) for p in connections(G, "a", "b")]
    [(('a', 'x', 'b'), 0.45), (('a', 'y', 'b'), 0.36)]

    Notes
    -----
    Cost: a bidirectional breadth-first search (always expanding the smaller
    frontier), then k-best dynamic programming over the shortest-path DAG:
    O(nodes + relations within the two search balls + first**2 per meeting node).
    A hub met (`HUB_DEGREE` neighbours or more, more than the other side has
    reached) is not listed: the other side's nodes are looked up among its
    neighbours, so a brand's hundreds of thousands of listings cost nothing until
    the search must go on past them.
    """
    for n in (source, target):
        if n not in G:
            raise nx.NodeNotFound(f"node {n!r} is not in the graph")
    if source == target:
        return [Path(nodes=(source,), relations=(), confidence=1.0)]
    if first <= 0:
        return []
    cache: dict[str, list[_Step]] = {}
    beneath = neighbours_of(G)

    def nbrs(u: str) -> list[_Step]:
        got = cache.get(u)
        if got is None:
            # Unsorted: the search does not depend on the order.
            got = cache[u] = _undirected_steps(G, u, ordered=False)
        return got

    def joined(at: tuple[Any, Any], v: str) -> bool:
        return v in at[0] or v in at[1]

    dist = ({source: 0}, {target: 0})
    at_level: tuple[list[list[str]], list[list[str]]] = ([[source]], [[target]])
    frontiers = ([source], [target])
    # A hub met by one side is not listed: its neighbours are that side's next level
    # without being named, found by lookups from the other side's nodes (at most one
    # side holds such hubs; they are listed if that side must go on).
    hubs: tuple[list[str], list[str]] = ([], [])
    levels = [0, 0]
    meet: list[str] = []

    def size(side: int) -> int:
        return len(frontiers[side]) + sum(beneath.degree(h) for h in hubs[side])

    def reach(side: int, v: str) -> None:
        dist[side][v] = levels[side]
        at_level[side][levels[side]].append(v)

    while (not meet and (frontiers[0] or hubs[0]) and (frontiers[1] or hubs[1])
           and levels[0] + levels[1] < max_hops):
        side = 0 if size(0) <= size(1) else 1
        mine, other = dist[side], dist[1 - side]
        for h in hubs[side]:  # this side goes on: its hubs' neighbours listed now
            for v, _, _ in nbrs(h):
                if v not in mine:
                    reach(side, v)
                    frontiers[side].append(v)
        hubs[side].clear()
        levels[side] += 1
        at_level[side].append([])
        new: list[str] = []
        for u in frontiers[side]:
            if not hubs[1 - side] and beneath.degree(u) >= HUB_DEGREE \
                    and beneath.degree(u) > len(other):
                hubs[side].append(u)
                continue
            for v, _, _ in nbrs(u):
                if v not in mine:
                    reach(side, v)
                    new.append(v)
        frontiers[side][:] = new
        hits = [v for v in new if v in other]
        for h in hubs[1 - side]:  # new here, and a neighbour of one of the other's hubs
            at = G.succ[h], G.pred[h]
            for v in new:
                if v not in other and joined(at, v):
                    dist[1 - side][v] = levels[1 - side]
                    at_level[1 - side][-1].append(v)
                    hits.append(v)
        for h in hubs[side]:  # the other side's, and a neighbour of one of this side's hubs
            at = G.succ[h], G.pred[h]
            for v in list(other):
                if v not in mine and joined(at, v):
                    reach(side, v)
                    hits.append(v)
        if hits:
            shortest = min(mine[v] + other[v] for v in hits)
            meet = sorted({v for v in hits if mine[v] + other[v] == shortest})
    if not meet:
        return []

    def before(root: int, x: str) -> list[_Step]:
        """The relations from ``x`` to the root side's level just before its own."""
        earlier = at_level[root][dist[root][x] - 1]
        if beneath.degree(x) > len(earlier):  # a hub: looked up from the fewer
            at = G.succ[x], G.pred[x]
            return [st for y in earlier for st in _steps_between(at, x, y)]
        d = dist[root]
        return [st for st in nbrs(x) if d.get(st[0]) == d[x] - 1]

    def best_from(root: int, memo: dict[str, list[_Ranked]], x: str) -> list[_Ranked]:
        """k most confident paths root-end -> x over the root side's BFS levels."""
        got = memo.get(x)
        if got is not None:
            return got
        cands: list[_Ranked] = []
        for y, c, rel in before(root, x):
            for negp, nodes, rels in best_from(root, memo, y):
                cands.append((negp * c, (*nodes, x), (*rels, rel)))
        got = memo[x] = sorted(cands)[:first]
        return got

    start: _Ranked = (-1.0, (source,), ())
    end: _Ranked = (-1.0, (target,), ())
    memo_s: dict[str, list[_Ranked]] = {source: [start]}
    memo_t: dict[str, list[_Ranked]] = {target: [end]}
    found: list[_Ranked] = []
    for m in meet:
        for _, pn, pr in best_from(0, memo_s, m):
            for _, sn, sr in best_from(1, memo_t, m):
                nodes = pn + tuple(reversed(sn[:-1]))
                rels = pr + tuple(reversed(sr))
                conf = 1.0
                for rel in rels:
                    conf *= _confidence(G, rel)
                found.append((-conf, nodes, rels))
    found.sort()
    return [Path(nodes=n, relations=r, confidence=-negp) for negp, n, r in found[:first]]


def _confidence(G: Any, rel: Rel) -> float:
    source, target, kind = rel
    return confidence_of(G.succ[source][target][kind])


def linked_entities(G: Any, entity: str, max_hops: int = 2) -> list[Linkage]:
    """Sellers and storefronts linked to ``entity`` through shared identifiers.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The caller's view.
    entity : str
        The entity to start from.
    max_hops : int
        At most this many identifier steps (entity -> identifier -> entity is one).

    Returns
    -------
    list of Linkage
        Every SELLER and STOREFRONT other than ``entity`` reachable over USES
        relations alone (through entities of any kind), with the explaining
        path of the fewest identifier steps (most confident among those, then
        smallest node ids) and ``shared_identifiers``: every identifier the
        linked entity shares with the entity before it on that path (for one
        step, with ``entity`` itself). Sorted by steps, confidence descending, id.

    Raises
    ------
    networkx.NodeNotFound
        If ``entity`` is not in ``G``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("s1", {"kind": "SELLER"}), ("s2", {"kind": "SELLER"}),
    ...                   ("f", {"kind": "STOREFRONT"})])
    >>> for u, i in [("s1", "phone"), ("s2", "phone"), ("s2", "bank"), ("f", "bank")]:
    ...     _ = G.add_edge(u, i, key="USES", confidence=1.0)
    >>> for x in linked_entities(G, "s1"):
    ...     print(x.entity, x.shared_identifiers, x.path.nodes)
    s2 ('phone',) ('s1', 'phone', 's2')
    f ('bank',) ('s1', 'phone', 's2', 'bank', 'f')

    Notes
    -----
    Cost: breadth-first by identifier step, O(USES relations within
    ``max_hops`` steps); each identifier is expanded once, from the best path
    reaching it.
    """
    if entity not in G:
        raise nx.NodeNotFound(f"node {entity!r} is not in the graph")
    uses: dict[str, dict[str, float]] = {}
    users: dict[str, list[tuple[str, float]]] = {}

    def uses_of(e: str) -> dict[str, float]:
        got = uses.get(e)
        if got is None:
            got = uses[e] = {
                i: confidence_of(kd["USES"]) for i, kd in G.succ[e].items() if "USES" in kd
            }
        return got

    def users_of(i: str) -> list[tuple[str, float]]:
        got = users.get(i)
        if got is None:
            got = users[i] = sorted(
                (e, confidence_of(kd["USES"])) for e, kd in G.pred[i].items() if "USES" in kd
            )
        return got

    best: dict[str, _Ranked] = {entity: (-1.0, (entity,), ())}
    steps = {entity: 0}
    expanded: set[str] = set()
    frontier = [entity]
    for k in range(1, max_hops + 1):
        via: dict[str, _Ranked] = {}  # best path to each identifier met this step
        for e in frontier:
            negp, nodes, rels = best[e]
            for i, c in uses_of(e).items():
                if i in expanded:
                    continue
                cand = (negp * c, (*nodes, i), (*rels, (e, i, "USES")))
                if i not in via or cand < via[i]:
                    via[i] = cand
        reached: dict[str, _Ranked] = {}
        for i in sorted(via):
            expanded.add(i)
            negp, nodes, rels = via[i]
            for e2, c in users_of(i):
                if e2 in steps:
                    continue
                cand = (negp * c, (*nodes, e2), (*rels, (e2, i, "USES")))
                if e2 not in reached or cand < reached[e2]:
                    reached[e2] = cand
        for e2, ranked in reached.items():
            best[e2] = ranked
            steps[e2] = k
        frontier = sorted(reached)
        if not frontier:
            break
    out: list[tuple[int, float, str, Linkage]] = []
    for e2, (negp, nodes, rels) in best.items():
        if e2 == entity or node_kind(G, e2) not in ("SELLER", "STOREFRONT"):
            continue
        before = nodes[-3]
        shared = tuple(sorted(set(uses_of(before)) & set(uses_of(e2))))
        path = Path(nodes=nodes, relations=rels, confidence=-negp)
        out.append((steps[e2], negp, e2, Linkage(entity=e2, shared_identifiers=shared, path=path)))
    out.sort(key=lambda t: t[:3])
    return [t[3] for t in out]
