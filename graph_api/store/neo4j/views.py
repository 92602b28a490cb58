"""The Neo4j store's graph reads: a caller's whole view, the nodes within some hops of
seeds, traceToSource's upstream subgraph, and an entity's relation pages.

They build on the node reads (``reads.Neo4jReads``) and come back as networkx graphs
shaped like the embedded store's (``rows.graph_from_rows``). Round trips are what a
remote store pays for: a relation page is one query (relations and the summaries of
their ends, none when the operation read them with the entity); a breadth-first view
is one query per hop; an upstream view for traceToSource is two (every walkable path,
then the summaries of the nodes on them). What they fetch answers the operation's
later record lookups (`Neo4jReads._remember`); a trace's nodes are also kept across
operations per view at the view's version (`view_version`: a write the view may not
see keeps them).
"""

from __future__ import annotations

from collections import deque

import networkx as nx

from graph_api.access import Scope
from graph_api.model import RelationKind
from graph_api.store.base import Page, RelationRecord
from graph_api.store.facts import Data
from graph_api.store.neo4j.read_rows import RELATION, Row, _distinct, _summaries, _unpack
from graph_api.store.neo4j.reads import AHEAD, Neo4jReads
from graph_api.store.neo4j.rows import graph_from_rows
from graph_api.store.visible import VisibleGraph

__all__ = ["Neo4jViews"]

MAX_STEPS = 9  # the longest path read_upstream_paths.cypher walks (maxDepth <= 8, + 1)
PATH_ROWS = 20_000  # relations an upstream view reads in one query before walking by hops
_FORWARD = ("SHIPS_FROM", "SUPPLIED_BY", "OPERATES")
KEPT_NODES = 50_000  # trace nodes' data kept across operations (each at its view's version)


class Neo4jViews(Neo4jReads):
    """The graph reads of ``Neo4jStore``, over its node reads (`Neo4jReads`)."""

    def _hop(self, scope: Scope, ids: list[str], kinds: list[str] | None, upstream: bool
             ) -> tuple[list[Row], list[Row]]:
        """Relations at ``ids`` (all of ``kinds``, or one upstream walk step) and the
        summaries of ``ids`` and of the relations' other ends: one round trip."""
        who = self._who(scope)
        if upstream:
            rows = self._read("read_upstream_and_ends", ids=ids, **who)
        else:
            rows = self._read("read_relations_and_ends", ids=ids, kinds=kinds, **who)
        return _distinct(_unpack(rows, "rels", RELATION)), _summaries(rows)

    def view(
        self,
        scope: Scope,
        seeds: list[str] | None = None,
        hops: int | None = None,
        kinds: frozenset[RelationKind] | None = None,
        upstream: bool = False,
    ) -> nx.MultiDiGraph:
        """The caller's visible graph: all of it, the subgraph traceToSource walks from
        the seeds (``upstream``), or the nodes within ``hops`` of the seeds over ``kinds``
        (breadth first, one query per hop: its relations and their ends' summaries;
        the last adds only the relations among nodes already reached)."""
        who = self._who(scope)
        if seeds is None:
            everything = self._nodes(scope, _summaries(
                self._read("read_all_entity_summaries", **who)))
            return graph_from_rows(everything, self._read("read_all_relations", **who))
        seeds = list(dict.fromkeys(seeds))
        steps = hops if hops is not None else 8
        if upstream:
            found = self._upstream(scope, seeds, steps)
            if found is not None:
                return found
        kind_names = None if kinds is None else sorted(k.value for k in kinds)
        nodes: dict[str, Data] = {}
        rels: dict[tuple[str, str, str, int], Row] = {}
        frontier, fetched = seeds, set(seeds)
        for step in range(steps + 1):
            if not frontier:
                break
            rows, sums = self._hop(scope, frontier, kind_names, upstream)
            reached = self._nodes(scope, (
                s for s in sums if s["id"] not in nodes and (s["id"] in fetched or step < steps)
            ))
            self._remember(scope, reached, reached)
            nodes.update(reached)
            live = {eid for eid in frontier if eid in nodes}  # an invisible seed leads nowhere
            new: dict[str, None] = {}
            for r in rows:
                if r["source"] not in live and r["target"] not in live:
                    continue
                rels[(r["source"], r["target"], r["kind"], r["seq"])] = r
                for end in (r["source"], r["target"]):
                    if end not in fetched:
                        new[end] = None
            if step == steps:
                break
            fetched.update(new)
            frontier = [eid for eid in new if eid in nodes]
        return graph_from_rows(nodes, list(rels.values()))

    def visible(self, scope: Scope) -> VisibleGraph:
        """The caller's whole graph, fetched now (filtered by the server)."""
        return VisibleGraph.fetched(self.view(scope))

    def _upstream(self, scope: Scope, seeds: list[str], hops: int) -> nx.MultiDiGraph | None:
        """traceToSource's subgraph in two queries: every walkable path from the seeds
        (forwards, and from the storefronts that LIST them), then the summaries of the
        nodes on them; the nodes within ``hops`` walk steps are kept, as a walk by hops
        keeps them. None (walk by hops instead) when the paths exceed ``PATH_ROWS`` or
        a node past the seeds is a LISTING for the caller: the paths did not follow
        LISTS backwards from there."""
        if hops + 1 > MAX_STEPS:
            return None
        who = self._who(scope)
        parts = self._read("read_upstream_paths", ids=seeds, steps=min(hops + 1, MAX_STEPS),
                           cap=PATH_ROWS, **who)
        if any(len(p["rels"]) >= PATH_ROWS for p in parts if p["rels"] is not None):
            return None
        rows = _unpack(parts, "rels", RELATION)
        rels = {(r["source"], r["target"], r["kind"], r["seq"]): r for r in rows}
        ends = set(seeds) | {r[end] for r in rows for end in ("source", "target")}
        nodes = self._upstream_nodes(scope, seeds, sorted(ends), parts)
        steps: dict[str, list[str]] = {}
        for source, target, kind, _ in rels:
            if kind == "LISTS":
                steps.setdefault(target, []).append(source)
            elif kind in _FORWARD:
                steps.setdefault(source, []).append(target)
        depth = {s: 0 for s in seeds if s in nodes}
        queue = deque(depth)
        while queue:
            u = queue.popleft()
            if depth[u] == hops:
                continue
            for v in steps.get(u, ()):
                if v in nodes and v not in depth:
                    depth[v] = depth[u] + 1
                    queue.append(v)
        if any(nodes[n]["kind"] == "LISTING" for n, d in depth.items() if d > 0):
            return None
        kept = {n: nodes[n] for n in depth}
        return graph_from_rows(kept, list(rels.values()))

    def _upstream_nodes(self, scope: Scope, seeds: list[str], ends: list[str],
                        parts: list[Row]) -> dict[str, Data]:
        """Node data of a trace's nodes: the seeds and the storefronts listing them came
        with the paths; the rest (warehouses, factories: shared by many traces) from
        what is kept at the version the paths were read at, else read now and kept."""
        version = next((p["version"] for p in parts if p["version"] is not None), None)
        came = self._nodes(scope, _summaries(parts))
        storefronts = {r["source"] for r in _unpack(parts, "rels", RELATION)
                       if r["kind"] == "LISTS" and r["target"] in seeds}
        have = set(seeds) | storefronts  # their summaries came (or they are invisible)
        self._remember(scope, have, came)
        if version is None or version[0] is None:
            rest = self.summaries(scope, [e for e in ends if e not in have])
            return {**came, **rest}
        kept = self._kept_nodes()
        out = dict(came)
        missing = []
        for eid in ends:
            if eid in have:
                continue
            key = (scope.view_key, eid)
            hit = kept.get(key)
            if hit is not None and hit[0] == version:
                kept.move_to_end(key)
                if (data := hit[1]) is not None:
                    out[eid] = data
            else:
                missing.append(eid)
        if missing:
            found = self.summaries(scope, missing)
            for eid in missing:
                kept[(scope.view_key, eid)] = (version, found.get(eid))
                kept.move_to_end((scope.view_key, eid))
            while len(kept) > KEPT_NODES:
                kept.popitem(last=False)
            out.update(found)
        self._remember(scope, ends, out)  # the operation's later record lookups
        return out

    def relations_of(
        self,
        scope: Scope,
        entity_id: str,
        direction: str,
        kinds: frozenset[RelationKind] | None,
        first: int,
        after: str | None,
        count: bool,
    ) -> Page[RelationRecord]:
        """One query: the entity's own relations and the summaries of their ends (none
        when this operation read them with the entity)."""
        kind_names = None if kinds is None else sorted(k.value for k in kinds)
        seen = self._operation()
        ahead = None if seen is None else seen.get((scope.view_key, AHEAD + entity_id))
        if ahead is not None:
            rows = [r for r in ahead["rels"] if kind_names is None or r["kind"] in kind_names]
            ends = {entity_id} | {r[end] for r in rows for end in ("source", "target")}
            nodes = {n: data for n, data in ahead["nodes"].items() if n in ends}
            return self.relations_page(graph_from_rows(nodes, rows), entity_id, direction,
                                       kinds, first, after, count)
        rows, sums = self._hop(scope, [entity_id], kind_names, False)
        nodes = self._nodes(scope, sums)
        ends = {entity_id} | {r[end] for r in rows for end in ("source", "target")}
        self._remember(scope, ends, nodes)  # an end without a summary is invisible
        return self.relations_page(graph_from_rows(nodes, rows), entity_id, direction, kinds,
                                   first, after, count)
