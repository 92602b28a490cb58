"""Trace a counterfeit listing to its sources, find its ring, draw the network.

    python docs/examples/trace_and_draw.py http://127.0.0.1:8000 TOKEN [LISTING_ID] [--png out.png]

Uses only graph_api.client (GraphQL in, networkx out) and matplotlib.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")  # draw to a file, no screen needed
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

from graph_api.client import GraphClient  # noqa: E402

COLOURS = {
    "SELLER": "#d62728",
    "STOREFRONT": "#ff7f0e",
    "LISTING": "#bcbd22",
    "WAREHOUSE": "#1f77b4",
    "FACTORY": "#9467bd",
    "IDENTIFIER": "#7f7f7f",
    "RING": "#2ca02c",
    "BRAND": "#17becf",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("listing", nargs="?")
    parser.add_argument("--png", default="network.png")
    args = parser.parse_args()

    with GraphClient(args.url, args.token) as client:
        listing = (
            args.listing
            or client.query("{ entities(kind: LISTING, first: 1) { edges { node { id } } } }")[
                "entities"
            ]["edges"][0]["node"]["id"]
        )

        # 1. Where does this listing's stock come from?
        trace = client.trace_to_source(listing)
        sources = sorted(
            (
                (n, d["source_score"], d["source_depth"])
                for n, d in trace.nodes(data=True)
                if "source_score" in d
            ),
            key=lambda s: (-s[1], s[2], s[0]),
        )
        print(f"listing {listing}: {len(sources)} sources")
        for node, score, depth in sources:
            print(f"  {trace.nodes[node]['kind']:<9} {node:<32} score {score:.3f} depth {depth}")

        # 2. Which ring sells it? The ring whose members include the listing's storefront.
        sellers_side = {n for n in trace.nodes if trace.nodes[n]["kind"] == "STOREFRONT"}
        ring = next(
            (
                r
                for r in client.rings(min_size=2, first=100)
                if sellers_side & {m["id"] for m in r["members"]}
            ),
            None,
        )
        seeds = [listing] + [s for s, _, _ in sources]
        if ring is not None:
            print(
                f"ring {ring['id']}: {ring['size']} sellers and storefronts, key player "
                f"{ring['keyPlayers'][0]['entity']['id'] if ring['keyPlayers'] else '-'}"
            )
            seeds += [m["id"] for m in ring["members"]]
        else:
            print("no ring candidate holds this listing's storefront")

        # 3. Draw the network around it.
        G = client.network(seeds, max_hops=1, limit=500)
    G = nx.compose(G, trace)
    positions = nx.spring_layout(nx.Graph(G), seed=7)
    plt.figure(figsize=(12, 9))
    nx.draw_networkx(
        G,
        positions,
        node_size=160,
        font_size=6,
        arrows=True,
        node_color=[COLOURS.get(k, "#cccccc") for _, k in G.nodes(data="kind")],
        width=[0.5 + 2 * c for _, _, c in G.edges(data="confidence")],
    )
    plt.axis("off")
    plt.title(f"Network of {listing}" + (f" and ring {ring['id']}" if ring else ""))
    plt.savefig(args.png, dpi=120, bbox_inches="tight")
    print(f"wrote {args.png}: {G.number_of_nodes()} nodes, {G.number_of_edges()} relations")


if __name__ == "__main__":
    main()
