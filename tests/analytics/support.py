"""Graph factories for the analytics tests (and bench/bench_analytics.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any

import networkx as nx

from graph_api.access import Scope
from graph_api.analytics.snapshot import CACHE_KEY, snapshot_of
from graph_api.model import IdentifierKind, normalise_identifier
from graph_api.store.base import GraphStore


def graph(
    nodes: dict[str, str | tuple[str, str]], edges: Iterable[tuple[str, str, str, float]]
) -> nx.MultiDiGraph:
    """A view-like graph: ``nodes`` id -> kind or (kind, region); edges (u, v, kind, conf)."""
    G = nx.MultiDiGraph()
    for n, spec in nodes.items():
        kind, region = (spec, None) if isinstance(spec, str) else spec
        G.add_node(n, kind=kind, name=n, region=region, status=None)
    for u, v, k, c in edges:
        assert u in G and v in G, (u, v)
        G.add_edge(u, v, key=k, confidence=c)
    return G


def store_view(store: GraphStore, scope: Scope) -> nx.MultiDiGraph:
    """The caller's view with its snapshot read from its columns, as the services read a
    whole view (``VisibleGraph.columns``), not through its mappings."""
    visible = store.visible(scope)
    view = visible.graph()
    view.__networkx_cache__[CACHE_KEY] = snapshot_of(visible)
    return view


def graph_from_reports(reports: Iterable[dict[str, Any]]) -> nx.MultiDiGraph:
    """Merge generator reports as the store would for an all-seeing reader.

    Identifier handles are report-local: identifier nodes are keyed
    "KIND:normalised value" (the store keys them by a pseudonym of the same).
    A relation's confidence is the noisy-OR of its assertions (the relation's
    own confidence, else the report's).
    """
    entities: dict[str, dict[str, Any]] = {}
    miss: dict[tuple[str, str, str], float] = {}
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for report in reports:
            local: dict[str, str] = {}
            for e in report["entities"]:
                if e["kind"] == "IDENTIFIER":
                    kind = e["identifierKind"]
                    value = normalise_identifier(IdentifierKind(kind), e["value"])
                    eid = local[e["id"]] = f"{kind}:{value}"
                else:
                    eid = e["id"]
                attrs = entities.setdefault(
                    eid, {"kind": e["kind"], "name": None, "region": None, "status": None}
                )
                for key in ("name", "region", "status"):
                    if e.get(key) is not None:
                        attrs[key] = e[key]
            for r in report["relations"]:
                key = (local.get(r["from"], r["from"]), local.get(r["to"], r["to"]), r["kind"])
                conf = r.get("confidence")
                conf = report["confidence"] if conf is None else conf
                miss[key] = miss.get(key, 1.0) * (1.0 - conf)
        G = nx.MultiDiGraph()
        G.add_nodes_from(entities.items())
        G.add_edges_from((u, v, k, {"confidence": 1.0 - m}) for (u, v, k), m in miss.items())
    finally:
        if was_enabled:
            gc.enable()
    return G
