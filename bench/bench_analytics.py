"""Benchmark graph_api.analytics on a generated network.

    .venv/bin/python bench/bench_analytics.py [ENTITIES] [--no-nx] [--view | --scoped]
    .venv/bin/python bench/bench_analytics.py --http [--sellers 150000] [--org bazaarhub]
        [--work DIR] [--runs 2] [--code CHECKOUT] [--write listing|seller]
        [--first hotspots|topSources|rings] [--other-org ORG]

ENTITIES defaults to 100000 (about 6.7 entities per generated seller). Prints a
Markdown report (paste into bench/RESULTS-analytics.md). ``--view`` runs every
function on a lazily filtered ``nx.subgraph_view`` (trivial filters);
``--scoped`` on the store's own view (every assertion visible: ``VisibleGraph``,
its ``scoped_view`` and its snapshot read from fact columns), the view callers
really get; ``--no-nx`` skips the networkx comparisons.

``--http`` measures the whole-graph queries (topSources, hotspots, rings)
through a real ``graph-api serve`` on the network of bench/bench_core.py
(``generate --sellers N --seed 7``, imported once under ``--work``, default
/tmp/graph-api-bench): each cold after a write (a one-entity ``submitReport``,
so the view has a new version), then cached, then the three in a row after one
write (they share the view's snapshot); ``--write seller`` makes each write one
that changes the clustered graph. ``--code`` serves another checkout's
graph_api (e.g. a ``git worktree`` of an older commit) for a before/after
comparison. ``--first rings`` makes the view's first query (right after the
server starts: nothing read, nothing clustered) a rings query instead of
hotspots. ``--other-org ORG`` then measures views taking turns, each after a
write: rings for ORG (its view's first), rings for ``--org`` (its snapshot kept
and followed, or read again if ORG's evicted it), ORG's and ``--org``'s again. Prints
one JSON line per measurement.
"""

from __future__ import annotations

import gc
import math
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

from graph_api.analytics import (  # noqa: E402
    connections,
    hotspots,
    linked_entities,
    network,
    ring_candidates,
    top_sources,
    trace_to_source,
)
from graph_api.analytics._cluster import ENGINES, communities  # noqa: E402
from graph_api.analytics.rings import HUB_DEGREE  # noqa: E402
from graph_api.analytics.snapshot import PENDING_KEY, snapshot, snapshot_of  # noqa: E402
from graph_api.synthetic import Truth, iter_reports  # noqa: E402
from tests.analytics.support import graph_from_reports  # noqa: E402
from tests.analytics.test_planted import adjusted_rand_index  # noqa: E402

ENTITIES_PER_SELLER = 6.7


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, math.ceil(0.99 * len(ms)) - 1)]
    return f"{statistics.median(ms):.2f} / {p99:.2f} / {max(ms):.2f}"


def row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def ring_ari(truth: Truth, cands: list[Any]) -> float:
    found = {m: i for i, c in enumerate(cands) for m in c.members}
    members = sorted(truth.rings)
    pred = [found.get(m, -1 - k) for k, m in enumerate(members)]
    return adjusted_rand_index([truth.rings[m] for m in members], pred)


def scoped(G: nx.MultiDiGraph) -> Any:
    """The store's view (``VisibleGraph``) over a copy of ``G`` whose facts are all
    visible, with the fact columns the embedded store keeps beside its graph."""
    from graph_api.store.columns import FactColumns
    from graph_api.store.masks import VisibilityMask, merged_node
    from graph_api.store.visible import VisibleGraph

    H = nx.MultiDiGraph()
    facts = FactColumns()
    for n, d in G.nodes(data=True):
        fact = (1, 0, 0.9, d["kind"], d["name"], d["region"], d["status"])
        H.add_node(n, **merged_node([fact]))
        facts.add_node_fact(n, 0, d["kind"], d["region"], d["status"], 1, True)
    for u, v, k, c in G.edges(keys=True, data="confidence"):
        H.add_edge(*facts.add_relation_fact(u, k, v, 0, c, 1), key=k, confidence=c,
                   facts=[(1, 0, c)])
    return VisibleGraph(H, VisibilityMask(lambda c: True), facts)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    entities = int(args[0]) if args else 100_000
    with_nx = "--no-nx" not in sys.argv
    sellers = max(10, round(entities / ENTITIES_PER_SELLER))
    truth = Truth()
    build, G = timed(lambda: graph_from_reports(iter_reports(sellers, 1, truth)))
    gc.collect()
    gc.freeze()
    view: Any = G
    visible: Any = None  # the store's view: its snapshot read from its columns
    shown = "plain MultiDiGraph"
    if "--view" in sys.argv:
        view = nx.subgraph_view(G, filter_node=lambda n: True, filter_edge=lambda u, v, k: True)
        shown = "nx.subgraph_view"
    elif "--scoped" in sys.argv:
        visible = scoped(G)
        view = visible.graph()
        shown = "the store's scoped_view, its snapshot read from its columns"

    def unread() -> None:
        """Drop the view's snapshot; the store's view reads it again from its columns,
        as the services do (`snapshot_of`)."""
        view.__networkx_cache__.clear()
        if visible is not None:
            view.__networkx_cache__[PENDING_KEY] = lambda: snapshot_of(visible)
    rng = random.Random(7)
    kinds: dict[str, list[str]] = {}
    for n, k in G.nodes(data="kind"):
        kinds.setdefault(k, []).append(n)
    print(
        f"## {G.number_of_nodes():,} entities, {G.number_of_edges():,} relations "
        f"({sellers:,} sellers, seed 1)\n"
    )
    print(
        f"python {platform.python_version()}, networkx {nx.__version__}; "
        f"graph built from the generator in {build:.1f} s; "
        f"{shown}\n"
    )
    print("| step | p50 / p99 / max ms (n) |\n|---|---|")

    listings = rng.sample(kinds["LISTING"], 300)
    samples = [timed(lambda o=o: trace_to_source(view, o))[0] for o in listings]  # type: ignore[misc]
    row("trace_to_source (listing, depth 6, 3 paths/source)", percentiles(samples) + " (300)")
    stores = rng.sample(kinds["SELLER"], 300)
    samples = [timed(lambda o=o: trace_to_source(view, o))[0] for o in stores]  # type: ignore[misc]
    row("trace_to_source (seller)", percentiles(samples) + " (300)")
    if with_nx:
        walk_kinds = {"SHIPS_FROM", "SUPPLIED_BY"}

        def weight(u: str, v: str, d: dict[str, dict[str, float]]) -> float | None:
            ws = [-math.log(max(a["confidence"], 1e-300)) for k, a in d.items() if k in walk_kinds]
            return min(ws) if ws else None

        samples = [
            timed(lambda o=o: nx.single_source_dijkstra(view, o, weight=weight))[0]  # type: ignore[misc]
            for o in listings[:100]
        ]
        row(
            "  networkx single_source_dijkstra(-log c), no hop bound, no paths",
            percentiles(samples) + " (100)",
        )
    seeds = rng.sample(kinds["SELLER"], 300)
    samples = [timed(lambda s=s: network(view, [s], max_hops=2))[0] for s in seeds]  # type: ignore[misc]
    row("network (seller, 2 hops, limit 2000)", percentiles(samples) + " (300)")
    samples = [timed(lambda s=s: linked_entities(view, s, max_hops=2))[0] for s in seeds]  # type: ignore[misc]
    row("linked_entities (seller, 2 steps)", percentiles(samples) + " (300)")
    by_ring: dict[int, list[str]] = {}
    for m, r in truth.rings.items():
        by_ring.setdefault(r, []).append(m)
    pairs = [tuple(rng.sample(sorted(ms), 2)) for ms in by_ring.values() if len(ms) > 1]
    pairs = rng.sample(pairs, min(300, len(pairs)))
    samples = [timed(lambda p=p: connections(view, p[0], p[1]))[0] for p in pairs]  # type: ignore[misc]
    row(
        "connections (two members of a ring, 6 hops, first 5)",
        percentiles(samples) + f" ({len(pairs)})",
    )
    far = [(rng.choice(kinds["SELLER"]), rng.choice(kinds["SELLER"])) for _ in range(50)]
    samples = [timed(lambda p=p: connections(view, p[0], p[1]))[0] for p in far]  # type: ignore[misc]
    row("connections (two random sellers)", percentiles(samples) + " (50)")
    if with_nx:
        small = G.subgraph(list(G)[:10_000])
        samples = [
            timed(lambda s=s: nx.ego_graph(small, s, radius=2, undirected=True))[0]  # type: ignore[misc]
            for s in [n for n in seeds if n in small][:20]
        ]
        if samples:
            row(
                "  networkx ego_graph(undirected, 2) on a 10k-node subgraph",
                percentiles(samples) + f" ({len(samples)})",
            )

    print(
        "\n| whole-graph step | cold s (snapshot included) | on a built snapshot s | result |"
        "\n|---|---|---|---|"
    )

    def whole(fn: Callable[[], Any]) -> tuple[float, float, Any]:
        """Seconds with the view's snapshot built first, then on the built snapshot."""
        unread()
        cold, out = timed(fn)
        warm, _ = timed(fn)  # the answer is not cached here, only the snapshot
        return cold, warm, out

    unread()
    t, _ = timed(lambda: snapshot(view))
    row("snapshot of the view alone", f"{t:.2f}", "", "")
    t, w, top = whole(lambda: top_sources(view, first=10))
    row("top_sources (all brands)", f"{t:.2f}", f"{w:.2f}", f"top score {top[0].score:.0f}")
    brand = kinds["BRAND"][0]
    t, w, top = whole(lambda: top_sources(view, brand, first=10))
    row(f"top_sources ({brand})", f"{t:.2f}", f"{w:.2f}", f"top score {top[0].score:.0f}")
    t, w, report = whole(lambda: hotspots(view))
    diff = max(abs(r.share - truth.region_shares.get(r.region, 0.0)) for r in report.regions)
    row(
        "hotspots",
        f"{t:.2f}",
        f"{w:.2f}",
        f"{len(report.regions)} regions, max |share - planted| {diff:.4f}",
    )
    for engine in ENGINES:
        for hub_degree in (HUB_DEGREE, None):
            t, w, cands = whole(
                lambda e=engine, h=hub_degree: ring_candidates(view, engine=e, hub_degree=h)  # type: ignore[misc]
            )
            sizes = sorted((c.size for c in cands), reverse=True)
            row(
                f"ring_candidates ({engine}, hub_degree={hub_degree})",
                f"{t:.2f}",
                f"{w:.2f}",
                f"{len(cands)} candidates (largest {sizes[:3]}), "
                f"ARI {ring_ari(truth, cands):.4f} ({len(set(truth.rings.values()))} planted)",
            )

    # The clustering step alone, on the same arrays, with partition quality.
    import igraph as ig

    from graph_api.analytics import rings as rings_module

    ids = sorted(n for n, k in G.nodes(data="kind") if k in rings_module.CLUSTERED_KINDS)
    index = {n: i for i, n in enumerate(ids)}
    src, dst, w = [], [], []
    for u, v, k, c in G.edges(keys=True, data="confidence"):
        if k in rings_module.JOINING_RELATIONS and u in index and v in index:
            src.append(index[u])
            dst.append(index[v])
            w.append(c)
    s, d, wa = np.asarray(src), np.asarray(dst), np.asarray(w, dtype=float)
    g = ig.Graph(n=len(ids), edges=np.column_stack((s, d)), directed=False)
    print(f"\nclustering step alone: {len(ids):,} nodes, {len(s):,} edges\n")
    print("| engine | s | communities | modularity |\n|---|---|---|---|")
    for engine in ENGINES:
        t, labels = timed(lambda e=engine: communities(len(ids), s, d, wa, engine=e))  # type: ignore[misc]
        q = g.modularity(labels.tolist(), weights=wa)
        row(engine, f"{t:.2f}", len(set(labels.tolist())), f"{q:.4f}")
    if with_nx and len(ids) <= 150_000:
        H = nx.Graph()
        for a, b, c in zip(src, dst, w, strict=True):
            H.add_edge(a, b, weight=H.get_edge_data(a, b, {"weight": 0.0})["weight"] + c)
        H.add_nodes_from(range(len(ids)))
        t, comms = timed(lambda: nx.community.louvain_communities(H, weight="weight", seed=42))
        labels = np.empty(len(ids), dtype=np.int64)
        for i, cset in enumerate(comms):
            labels[list(cset)] = i
        q = g.modularity(labels.tolist(), weights=wa)
        row("networkx louvain_communities (reference)", f"{t:.2f}", len(comms), f"{q:.4f}")
    elif with_nx:
        row("networkx louvain_communities", "skipped", "> 900 s at 1M (PERFORMANCE.md)", "")


WHOLE_GRAPH = {
    "topSources": "{ topSources(first: 10) { entity { id kind } score } }",
    "hotspots": "{ hotspots(first: 10) { totalListings regions { region listings sources share "
    "cumulativeShare } } }",
    "rings": "{ rings(first: 20) { id size members { id } keyPlayers { entity { id } score } "
    "sources { id } regions knownRing { id } } }",
}


def http_main() -> None:
    import argparse
    import json
    import os
    import subprocess

    import httpx

    from tests.e2e.server import Server

    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--sellers", type=int, default=150_000)
    parser.add_argument("--org", default="bazaarhub")
    parser.add_argument("--work", default="/tmp/graph-api-bench")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--code", default=None)
    parser.add_argument(
        "--write",
        choices=("listing", "seller"),
        default="listing",
        help="the write before each cold query: a new listing (leaves the clustered "
        "graph as it was) or a new seller and storefront shipping from a warehouse "
        "(changes it: rings must cluster again)",
    )
    parser.add_argument(
        "--first",
        choices=tuple(WHOLE_GRAPH),
        default="hotspots",
        help="the view's first query after the server starts (reads the whole view)",
    )
    parser.add_argument(
        "--other-org",
        default=None,
        help="a second org whose view takes turns with --org's (rings, after a write)",
    )
    args = parser.parse_args()
    cli = str(Path(sys.executable).parent / "graph-api")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    def emit(name: str, **values: object) -> None:
        print(json.dumps({"bench": name, **values}), flush=True)

    emit(
        "machine",
        cpus=os.cpu_count(),
        python=platform.python_version(),
        date=time.strftime("%Y-%m-%d"),
        load=os.getloadavg(),
        code=args.code or "this checkout",
        write=args.write,
    )
    network = work / f"net-{args.sellers}.ndjson"
    if not network.exists():
        subprocess.run(
            [cli, "generate", "--sellers", str(args.sellers), "--seed", "7", "--out", str(network)],
            check=True,
        )
    db = work / f"db-{args.sellers}" / "graph.db"
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [cli, "org", "load", str(network.with_suffix(".orgs.json")), "--db", str(db)],
            check=True,
        )
        subprocess.run(
            [cli, "import", str(network), "--org", args.org, "--db", str(db), "--quiet"],
            check=True,
        )
    def issue(org: str) -> str:
        return subprocess.run(
            [cli, "token", "issue", "--org", org, "--role", "investigator", "--db", str(db)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    token = issue(args.org)
    other_token = issue(args.other_org) if args.other_org else None

    server = Server(db)
    env = dict(os.environ)
    if args.code:  # serve another checkout's graph_api
        env["PYTHONPATH"] = args.code
    with server.log.open("ab") as log:
        server.proc = subprocess.Popen(
            [cli, "serve", "--db", str(db), "--port", str(server.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    client = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=900
    )
    start = time.perf_counter()
    while True:
        try:
            if client.get("/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.proc.poll() is not None or time.perf_counter() - start > 900:
            raise SystemExit(f"server did not start: {server.log.read_text()[-2000:]}")
        time.sleep(0.5)
    emit("server_start", seconds=round(time.perf_counter() - start, 1))

    def rss_gib() -> float:
        status = Path(f"/proc/{server.proc.pid}/status").read_text()  # type: ignore[union-attr]
        kib = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS"))
        return round(kib / 2**20, 2)

    def query(text: str, as_token: str | None = None) -> tuple[float, Any]:
        headers = None if as_token is None else {"Authorization": f"Bearer {as_token}"}
        t0 = time.perf_counter()
        answer = client.post("/graphql", json={"query": text}, headers=headers).json()
        seconds = time.perf_counter() - t0
        if answer.get("errors"):
            raise SystemExit(f"{text}: {answer['errors']}")
        return seconds, answer["data"]

    def timed_query(text: str, as_token: str | None = None) -> tuple[float, float, Any]:
        cpu = server.cpu_seconds()
        seconds, data = query(text, as_token)
        return seconds, server.cpu_seconds() - cpu, data

    ticks = 0

    def write() -> None:
        """A one-report write: the store's version moves, every cached answer goes.
        ``--write listing``: one new listing; ``seller``: a seller and its storefront
        shipping from a generated warehouse (joins the clustered graph)."""
        nonlocal ticks
        ticks += 1
        tick = f"bench-tick-{os.getpid()}-{ticks}"
        entities: list[dict[str, str]] = [{"id": tick, "kind": "LISTING", "name": "tick"}]
        relations: list[dict[str, str]] = []
        if args.write == "seller":
            entities = [
                {"id": tick, "kind": "SELLER", "name": "tick"},
                {"id": tick + "-store", "kind": "STOREFRONT", "name": "tick"},
            ]
            relations = [
                {"kind": "OPERATES", "from": tick, "to": tick + "-store"},
                {"kind": "SHIPS_FROM", "from": tick + "-store", "to": "wh-000001"},
            ]
        report = {
            "reportId": tick,
            "source": "OSINT",
            "confidence": 0.5,
            "marking": "GREEN",
            "entities": entities,
            "relations": relations,
        }
        mutation = "mutation($r: ReportInput!) { submitReport(input: $r) { reportId } }"
        answer = client.post("/graphql", json={"query": mutation, "variables": {"r": report}})
        if answer.json().get("errors"):
            raise SystemExit(f"write failed: {answer.json()['errors']}")

    try:
        # The first query of the view: reads the whole view into its snapshot.
        first, cpu, _ = timed_query(WHOLE_GRAPH[args.first])
        emit(
            "first_query",
            query=args.first,
            cold_s=round(first, 2),
            cold_cpu_s=round(cpu, 2),
            load=round(os.getloadavg()[0], 2),
        )
        emit("rss_after_first_query", gib=rss_gib())
        if other_token is not None:
            for who, as_token in (
                (args.other_org, other_token),
                (args.org, None),
                (args.other_org, other_token),
                (args.org, None),
            ):
                write()  # each turn at a new version: nothing answered from the cache
                cold, cpu, _ = timed_query(WHOLE_GRAPH["rings"], as_token)
                emit(
                    "views_taking_turns",
                    org=who,
                    query="rings",
                    cold_s=round(cold, 2),
                    cold_cpu_s=round(cpu, 2),
                    load=round(os.getloadavg()[0], 2),
                    rss_gib=rss_gib(),
                )
        for run in range(args.runs):
            for name, text in WHOLE_GRAPH.items():
                write()
                cold, cpu, data = timed_query(text)
                cached, _ = query(text)
                emit(
                    "cold_alone",
                    run=run,
                    query=name,
                    cold_s=round(cold, 2),
                    cold_cpu_s=round(cpu, 2),
                    cached_s=round(cached, 3),
                    load=round(os.getloadavg()[0], 2),
                    rss_gib=rss_gib(),
                    answer=len(json.dumps(data)),
                )
            write()
            for name, text in WHOLE_GRAPH.items():
                cold, cpu, _ = timed_query(text)
                emit(
                    "cold_in_a_row",
                    run=run,
                    query=name,
                    cold_s=round(cold, 2),
                    cold_cpu_s=round(cpu, 2),
                    load=round(os.getloadavg()[0], 2),
                )
    finally:
        client.close()
        server.kill()


if __name__ == "__main__":
    if "--http" in sys.argv:
        http_main()
    else:
        main()
