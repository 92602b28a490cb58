"""Issues 8 and 22's numbers: /explore in headless Chromium.

    python bench/bench_explore.py [--runs 5] [--screenshot docs/explore.png]

A 501-node trace (a listing shipping from 10 warehouses, each supplied by 7
warehouses, each supplied by 6 factories: 420 sources) and the 200-seller synthetic
network (``graph-api generate``) are imported beside the demo network; the page
traces the first and expands nodes in the drawn view, then draws views of 20 (a
demo seller two hops out), about 200 (two ring candidates as boxes) and 1,000
entities (every seller two hops out, capped at 1,000). Times come from
performance.now() in the page: ``api`` is the GraphQL round trip, ``draw`` laying
the view out, adding the elements and two animation frames (so the canvas has
painted: "laid out and drawn"), ``layout`` the layout alone, ``total`` both,
``cpu`` the page's main-thread CPU time for the whole ask (Chrome's task durations
in thread ticks). The machine is shared: each line carries the load average.
Prints one JSON line per measurement; bench/RESULTS.md records them with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "graph-api"
sys.path.insert(0, str(ROOT))

from tests.e2e.server import Server  # noqa: E402
from tests.explore.conftest import CHROMIUM, CHROMIUM_ARGS, _missing, parse_tokens  # noqa: E402

LISTING = "listing-bench-500"
TRACE = """query($id: ID!) { traceToSource(from: $id) {
  sources { paths { nodes { id } } } } }"""


def emit(name: str, **values: object) -> None:
    load = round(os.getloadavg()[0], 1)
    print(json.dumps({"bench": name, **values, "load": load}), flush=True)


def tree_reports(fan: tuple[int, int, int] = (10, 7, 6)) -> list[dict[str, Any]]:
    """Reports for listing -> 10 warehouses -> 70 warehouses -> 420 factories."""
    markings = ["GREEN", "AMBER", "RED", "CLEAR"]
    first = [f"wh-bench-{i}" for i in range(fan[0])]
    reports: list[dict[str, Any]] = [{
        "reportId": "bench-explore-0", "source": "TEST_BUY", "confidence": 0.9,
        "marking": "GREEN",
        "entities": [{"id": LISTING, "kind": "LISTING", "name": "Bench listing, 500-node trace"}]
        + [{"id": w, "kind": "WAREHOUSE", "region": "Fujian"} for w in first],
        "relations": [{"kind": "SHIPS_FROM", "from": LISTING, "to": w} for w in first],
    }]
    for i, w in enumerate(first):
        for j in range(fan[1]):
            mid = f"{w}-{j}"
            factories = [f"factory-bench-{i}-{j}-{k}" for k in range(fan[2])]
            reports.append({
                "reportId": f"bench-explore-{i}-{j}", "source": "INVESTIGATION",
                "confidence": 0.5 + 0.05 * j, "marking": markings[(i + j) % 4],
                "entities": [{"id": w, "kind": "WAREHOUSE"},
                             {"id": mid, "kind": "WAREHOUSE", "region": "Guangdong"}]
                + [{"id": f, "kind": "FACTORY", "region": "Guangdong"} for f in factories],
                "relations": [{"kind": "SUPPLIED_BY", "from": w, "to": mid}]
                + [{"kind": "SUPPLIED_BY", "from": mid, "to": f} for f in factories],
            })
    # A hub beside the trace: a warehouse supplied by 200 of its factories and by 100
    # factories of its own, to expand in the drawn view.
    hub = [f"factory-bench-{i % fan[0]}-{(i // fan[0]) % fan[1]}-{i % fan[2]}" for i in range(200)]
    own = [f"factory-bench-hub-{k}" for k in range(100)]
    reports.append({
        "reportId": "bench-explore-hub", "source": "OSINT", "confidence": 0.6, "marking": "AMBER",
        "entities": [{"id": "wh-bench-hub", "kind": "WAREHOUSE", "name": "Bench hub"}]
        + [{"id": f, "kind": "FACTORY"} for f in sorted(set(hub)) + own],
        "relations": [{"kind": "SUPPLIED_BY", "from": "wh-bench-hub", "to": f}
                      for f in sorted(set(hub)) + own],
    })
    return reports


def wait_for_trace(server: Server, token: str, size: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        data = server.gql(token, TRACE, {"id": LISTING}).get("data") or {}
        trace = data.get("traceToSource") or {"sources": []}
        nodes = {n["id"] for s in trace["sources"] for p in s["paths"] for n in p["nodes"]}
        if len(nodes) >= size:
            return
        time.sleep(0.5)
    raise SystemExit("the imported bench network never showed up in the trace")


def summary(samples: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1),
            "min_ms": round(min(samples), 1), "n": len(samples)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshot", help="save a screenshot of a demo trace here")
    args = parser.parse_args()
    reason = _missing()
    if reason:
        print(f"bench_explore skipped: {reason}")
        return 0
    from playwright.sync_api import sync_playwright

    emit("machine", cpus=os.cpu_count(), date=time.strftime("%Y-%m-%d"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = Server(work / "graph.db", "--demo").start()
        try:
            tokens = parse_tokens(server.log.read_text())
            token = tokens[("stridewell", "investigator")]
            if _status(server) == 404:
                print("bench_explore skipped: /explore is not mounted in app.py")
                return 0
            network = work / "tree.ndjson"
            network.write_text("".join(
                json.dumps({**r, "reportedBy": "stridewell"}) + "\n" for r in tree_reports()))
            subprocess.run([str(BIN), "import", str(network), "--org", "stridewell",
                            "--db", str(server.db)], check=True, capture_output=True)
            wait_for_trace(server, token, 501)
            synthetic(server, work)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1500, "height": 900})
                page.goto(server.url + "/explore")
                page.fill("#token", token)
                page.click("#login-form button[type=submit]")
                page.wait_for_selector("#app:not([hidden])")
                measure(page, args.runs)
                views(browser, server, tokens[("ipcu", "investigator")], args.runs,
                      Path(args.screenshot) if args.screenshot else None)
                browser.close()
        finally:
            server.kill()
    return 0


def synthetic(server: Server, work: Path) -> None:
    """The 200-seller synthetic network, imported beside the demo (issue 22's views)."""
    network = work / "s200.ndjson"
    subprocess.run([str(BIN), "generate", "--sellers", "200", "--seed", "7", "--out", str(network)],
                   check=True, capture_output=True)
    for args in (["org", "load", str(work / "s200.orgs.json")],
                 ["import", str(network), "--org", "bazaarhub"]):
        subprocess.run([str(BIN), *args, "--db", str(server.db)], check=True, capture_output=True)
    token = parse_tokens(server.log.read_text())[("ipcu", "investigator")]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        data = server.gql(token, '{ entity(id: "seller-000200") { id } }').get("data") or {}
        if data.get("entity"):
            return
        time.sleep(0.5)
    raise SystemExit("the synthetic network never showed up")


VIEWS = {
    20: "window.explorer.network(['seller-chen-wei'], { maxHops: 2 }).then(() => "
        "window.explorer.timings.network)",
    200: "window.explorer.findRings().then(() => window.explorer.drawRings("
         "window.explorer.rings().slice(0, 2))).then(() => window.explorer.timings.rings)",
    1000: "window.explorer.network(SELLERS, { maxHops: 2, cap: 1000 }).then(() => "
          "window.explorer.timings.network)",
}


def main_thread_seconds(cdp: Any) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return float(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))


def views(browser: Any, server: Server, token: str, runs: int, shot: Path | None) -> None:
    """Views of 20, 200 and 1,000 entities: laid out and drawn, each in a fresh tab
    (cold: the first after the log-in's warm-up) and then again in it (warm). ``shot``:
    save the 20-entity view there, its seller selected (docs/explore.png)."""
    sellers = server.gql(token, "{ entities(kind: SELLER, first: 500) { edges { node { id } } } }")
    ids = [e["node"]["id"] for e in sellers["data"]["entities"]["edges"]]
    for size, script in VIEWS.items():
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        page.goto(server.url + "/explore")
        page.fill("#token", token)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#app:not([hidden])")
        page.fill("#ring-min", "20")
        page.wait_for_timeout(500)  # the layouts' warm-up after log-in
        # The page's main-thread CPU time (Chrome's task durations in thread ticks):
        # on a shared machine wall time also counts waiting for a core.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        samples = []
        for _ in range(runs + 1):
            before = main_thread_seconds(cdp)
            sample = page.evaluate(script.replace("SELLERS", json.dumps(ids)))
            samples.append({**sample, "cpu": 1000 * (main_thread_seconds(cdp) - before)})
        cold, warm = samples[0], samples[1:]
        emit(f"view_{size}", nodes=cold["nodes"], edges=cold["edges"],
             labels_shown=cold["labels"]["shown"],
             cold_draw_ms=round(cold["draw"], 1), cold_layout_ms=round(cold["layout"], 1),
             cold_cpu_ms=round(cold["cpu"], 1),
             draw=summary([s["draw"] for s in warm]), layout=summary([s["layout"] for s in warm]),
             cpu=summary([s["cpu"] for s in warm]), api=summary([s["api"] for s in warm]))
        if size == 20 and shot is not None:
            screenshot(page, shot)
        page.close()


def _status(server: Server) -> int:
    import httpx

    return httpx.get(server.url + "/explore", timeout=10).status_code


def measure(page: Any, runs: int) -> None:
    traces = []
    for _ in range(runs + 1):  # the first is the cold run
        page.evaluate(f"window.explorer.trace({json.dumps(LISTING)})")
        traces.append(page.evaluate("window.explorer.timings.trace"))
    emit("trace_500_cold", nodes=traces[0]["nodes"], api_ms=round(traces[0]["api"], 1),
         draw_ms=round(traces[0]["draw"], 1), total_ms=round(traces[0]["total"], 1))
    warm = traces[1:]
    emit("trace_500_first_paint", nodes=warm[0]["nodes"],
         total=summary([t["total"] for t in warm]), draw=summary([t["draw"] for t in warm]),
         api=summary([t["api"] for t in warm]), layout=summary([t["layout"] for t in warm]))

    # Expand nodes of the drawn 501-node view: warehouses of both levels, the listing.
    targets = [LISTING, *(f"wh-bench-{i}" for i in range(5)),
               *(f"wh-bench-{i}-3" for i in range(5))]
    expands = []
    for target in targets:
        page.evaluate(f"window.explorer.expand({json.dumps(target)})")
        expands.append(page.evaluate("window.explorer.timings.expand"))
    emit("expand_in_500_view", elements=page.evaluate("window.explorer.cy.elements().length"),
         total=summary([e["total"] for e in expands]), draw=summary([e["draw"] for e in expands]),
         api=summary([e["api"] for e in expands]))
    hubs = []
    for _ in range(3):
        page.evaluate(f"window.explorer.trace({json.dumps(LISTING)})")
        page.evaluate("document.getElementById('keep').checked = true")
        page.evaluate("window.explorer.expand('wh-bench-hub')")
        page.evaluate("document.getElementById('keep').checked = false")
        hubs.append(page.evaluate("window.explorer.timings.expand"))
    emit("expand_hub_in_500_view", neighbours=hubs[0]["nodes"] - 1,
         elements=page.evaluate("window.explorer.cy.elements().length"),
         total=summary([e["total"] for e in hubs]), draw=summary([e["draw"] for e in hubs]),
         api=summary([e["api"] for e in hubs]))

    grouped = page.evaluate("""(() => {
      const KINDS = ['SELLER', 'STOREFRONT', 'LISTING', 'WAREHOUSE', 'FACTORY', 'RING',
        'IDENTIFIER', 'BRAND'];
      const nodes = [], edges = [];
      for (let i = 0; i < 4000; i++) {
        nodes.push({ group: 'nodes', data: { id: 'g' + i, label: 'g' + i,
          kind: KINDS[i % 8], marking: 'GREEN',
          fill: '#33FF00', border: '#1E9600', shape: 'ellipse', confidence: 1 } });
        if (i) edges.push({ group: 'edges', data: { id: 'ge' + i, source: 'g' + (i >> 1),
          target: 'g' + i, relFrom: 'g' + (i >> 1), relTo: 'g' + i, kind: 'USES',
          confidence: 0.5, marking: 'GREEN', line: '#33FF00', label: 'USES 0.50' } });
      }
      const t0 = performance.now();
      window.explorer.draw(nodes, edges, { replace: true, layout: 'fcose' });
      return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done({
        ms: performance.now() - t0, drawn: window.explorer.cy.elements().length }))));
    })()""")
    emit("grouped_8000_first_paint", loaded=8000 - 1, drawn=grouped["drawn"],
         ms=round(grouped["ms"], 1))
    opened = page.evaluate("""new Promise((done) => {
      const t0 = performance.now();
      window.explorer.toggleGroup('group:SELLER');
      requestAnimationFrame(() => requestAnimationFrame(() => done({
        ms: performance.now() - t0, drawn: window.explorer.cy.elements().length })));
    })""")
    emit("grouped_open_500_members", drawn=opened["drawn"], ms=round(opened["ms"], 1))


def screenshot(page: Any, path: Path) -> None:
    """The demo seller's network two hops out, the seller selected (its assertions in
    the panel, times local), for docs/explore.md."""
    page.evaluate("window.explorer.openEntity('seller-chen-wei')")
    page.wait_for_selector("#details .assertion")
    page.wait_for_timeout(300)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    emit("screenshot", path=str(path))


if __name__ == "__main__":
    sys.exit(main())
