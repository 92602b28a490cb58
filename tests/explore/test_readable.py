"""Issue 22 item 5: the explorer readable at 20, 200 and 1,000 nodes, in headless Chromium.

One server holds the demo and the 200-seller synthetic network (``graph-api
generate``). Each view is drawn as a reader would get it, screenshotted into
tests/artifacts/, and checked: no two visible labels overlap (their boxes as
Cytoscape computes them), zooming in shows more labels and still none overlap, and
the layout and first paint take bounded time (bench/bench_explore.py records the
numbers). The other tests check badges, sizes, the legend, edge labels, the side
panel following the selection, names in status lines and local times.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.server import BIN, Server
from tests.explore.conftest import ARTIFACTS, Demo, Page, _missing, parse_tokens

pytestmark = pytest.mark.e2e

MakeTab = Callable[..., Page]

# Every visible node label's box (Cytoscape's, less the bounds a status badge adds
# above and beside the node), and the pairs of them that intersect.
OVERLAPS = """(() => {
  const cy = window.explorer.cy;
  const only = { includeNodes: false, includeEdges: false, includeLabels: true,
    includeMainLabels: true, includeSourceLabels: false, includeTargetLabels: false,
    includeOverlays: false, includeUnderlays: false, includeOutlines: false };
  const px = (v) => Number(String(v).replace('px', ''));
  const boxes = [];
  cy.nodes().forEach((n) => {
    if (!n.visible() || !n.style('label') || Number(n.style('text-opacity')) === 0) return;
    if (px(n.style('font-size')) * cy.zoom() < px(n.style('min-zoomed-font-size'))) return;
    const bb = n.boundingBox(only);
    if (!(bb.w > 0)) return;
    const bex = n.data('bex');
    const [t, r, b, l] = Array.isArray(bex) ? bex : [0, 0, 0, 0];
    boxes.push({ id: n.id(), x1: bb.x1 + l, x2: bb.x2 - r, y1: bb.y1 + t, y2: bb.y2 - b,
      onScreen: n.renderedBoundingBox(only) });
  });
  const pairs = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], c = boxes[j];
      if (a.x1 < c.x2 && c.x1 < a.x2 && a.y1 < c.y2 && c.y1 < a.y2) pairs.push([a.id, c.id]);
    }
  }
  const named = cy.nodes().not(':parent').filter((n) => n.style('label'));
  return { visible: boxes.length, pairs, nodes: cy.nodes().not(':parent').length,
    labelPx: named.nonempty() ? px(named[0].style('font-size')) * cy.zoom() : 0 };
})()"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo server, with the 200-seller synthetic network imported beside it."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("readable")
    network = work / "s200.ndjson"
    subprocess.run([str(BIN), "generate", "--sellers", "200", "--seed", "7", "--out", str(network)],
                   check=True, capture_output=True)
    server = Server(work / "graph.db", "--demo").start()
    try:
        for args in (["org", "load", str(work / "s200.orgs.json")],
                     ["import", str(network), "--org", "bazaarhub"]):
            subprocess.run([str(BIN), *args, "--db", str(server.db)], check=True,
                           capture_output=True)
        demo = Demo(server, parse_tokens(server.log.read_text()))
        _wait_for(demo, "seller-000200")
        yield demo
    finally:
        server.kill()


def _wait_for(demo: Demo, entity: str) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if demo.gql("ipcu", "query($id: ID!) { entity(id: $id) { id } }", {"id": entity})["entity"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"{entity} never showed up after the import")


def sellers(demo: Demo) -> list[str]:
    edges = demo.gql("ipcu", "{ entities(kind: SELLER, first: 500) { edges { node { id } } } }")
    return [e["node"]["id"] for e in edges["entities"]["edges"]]


class MainThread:
    """CPU time of the page's main thread (Chrome's task durations in thread ticks):
    what the page costs, whatever else runs on a shared machine."""

    def __init__(self, page: Page) -> None:
        self.cdp = page.page.context.new_cdp_session(page.page)
        self.cdp.send("Performance.enable", {"timeDomain": "threadTicks"})

    def seconds(self) -> float:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return float(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))


def draw_view(page: Page, demo: Demo, size: int) -> dict[str, Any]:
    """Draw the view of about ``size`` nodes; its timings, and ``cpu_ms``: the main
    thread's CPU time for it (the API call, laying out, adding, the first paint)."""
    thread = MainThread(page)
    before = thread.seconds()
    timing = _draw_view(page, demo, size)
    return {**timing, "cpu_ms": 1000 * (thread.seconds() - before)}


def _draw_view(page: Page, demo: Demo, size: int) -> dict[str, Any]:
    if size == 20:  # a seller two hops out, on the demo network
        page.js("window.explorer.network(['seller-chen-wei'], { maxHops: 2 })")
        page.idle()
        return dict(page.js("window.explorer.timings.network"))
    if size == 200:  # two ring candidates of the synthetic network, as boxes
        page.page.fill("#ring-min", "20")
        page.page.click("#rings-form button[type=submit]")
        page.page.wait_for_selector("#rings li")
        page.idle()
        page.js("window.explorer.drawRings(window.explorer.rings().slice(0, 2))")
        page.idle()
        return dict(page.js("window.explorer.timings.rings"))
    page.js(f"window.explorer.network({json.dumps(sellers(demo))}, {{ maxHops: 2, cap: 1000 }})")
    page.idle()
    return dict(page.js("window.explorer.timings.network"))


# (view size, nodes drawn at least / at most, budget of the page's main-thread CPU
# time in ms from the ask to the first paint). Wall time on a machine shared by many
# jobs varies fivefold; the page's own CPU time does not: 1,000 nodes take about
# 1-1.5 s of it (bench/RESULTS.md). The budgets leave twice that.
VIEWS = [(20, 15, 40, 800), (200, 120, 300, 2000), (1000, 1000, 1000, 4000)]


@pytest.mark.parametrize(("size", "least", "most", "cpu_ms"), VIEWS)
def test_a_view_of_n_nodes_has_no_overlapping_labels(
    tab: MakeTab, demo: Demo, size: int, least: int, most: int, cpu_ms: int
) -> None:
    page = tab("ipcu")
    page.page.wait_for_timeout(300)  # the layouts' warm-up, as after any log-in
    timing = draw_view(page, demo, size)
    check = page.js(OVERLAPS)
    page.shot(f"explore-{size}-nodes.png")
    (ARTIFACTS / f"explore-{size}-nodes.json").write_text(json.dumps({**timing, **check}, indent=1))
    assert least <= check["nodes"] <= most, check["nodes"]
    assert check["pairs"] == [], f"overlapping labels: {check['pairs'][:5]}"
    assert check["visible"] >= min(12, check["nodes"] // 2), check
    assert 9 <= check["labelPx"] <= 16  # readable on screen, whatever the zoom
    assert timing["cpu_ms"] < cpu_ms, timing
    if size == 20:
        assert check["visible"] >= 0.6 * check["nodes"]  # a small view names most of its nodes

    # Zoomed in 2.5 times: labels keep their size on screen, so more fit, and still
    # none overlaps another.
    page.js("""(() => { const cy = window.explorer.cy;
      const middle = { x: cy.width() / 2, y: cy.height() / 2 };
      cy.zoom({ level: cy.zoom() * 2.5, renderedPosition: middle });
    })()""")
    page.until(f"window.explorer.labels.stats.size < {check['labelPx']} / "
               "window.explorer.cy.zoom() * 2.5 - 0.01 || window.explorer.cy.zoom() >= 1")
    page.page.wait_for_timeout(400)
    closer = page.js(OVERLAPS)
    assert closer["pairs"] == [], f"overlapping labels zoomed in: {closer['pairs'][:5]}"
    if size > 20:
        assert closer["visible"] > check["visible"], (closer["visible"], check["visible"])
    page.shot(f"explore-{size}-nodes-zoomed.png")
    assert not page.errors


def test_nodes_carry_kind_size_and_enforcement_badges(tab: MakeTab, demo: Demo) -> None:
    page = tab("ipcu")
    active = demo.gql("ipcu", """{ entities(kind: SELLER, status: "ACTIVE", first: 12) {
        edges { node { id } } } }""")["entities"]["edges"]
    seeds = ["seller-000035", "seller-golden-step", *(e["node"]["id"] for e in active)]
    page.js(f"window.explorer.network({json.dumps(seeds)}, {{ maxHops: 1 }})")
    page.idle()
    nodes = page.js("""window.explorer.cy.nodes().not(':parent').map((n) => ({ id: n.id(),
      kind: n.data('kind'), status: n.data('status'), size: n.width(), degree: n.degree(false),
      image: n.style('background-image'), shape: n.style('shape'), bex: n.data('bex') }))""")
    answered = {s: {e["node"]["id"] for e in demo.gql("ipcu", """query($s: String) {
        entities(status: $s, first: 500) { edges { node { id } } } }""", {"s": s})
        ["entities"]["edges"]} for s in ("BANNED", "RESTRICTED", "WARNED", "ACTIVE")}
    by_id = {n["id"]: n for n in nodes}
    banned = [by_id[i] for i in answered["BANNED"] if i in by_id]
    assert banned, "the view should hold a banned seller"
    plain = [by_id[i] for i in answered["ACTIVE"] if i in by_id]
    # A badge: the node's image differs from its kind's plain one and reaches above it.
    for node in banned:
        assert isinstance(node["bex"], list) and node["bex"][0] > 0
        assert node["image"] != plain[0]["image"]
    assert all(n["bex"] == 0 for n in plain)
    # One shape per kind.
    shapes = {(n["kind"], n["shape"]) for n in nodes}
    assert len({k for k, _ in shapes}) == len(shapes)
    # Size follows relations in the view.
    most = max(nodes, key=lambda n: n["degree"])
    least = min(nodes, key=lambda n: n["degree"])
    assert most["size"] > least["size"]
    # The legend names every kind and every badge.
    kinds = page.page.eval_on_selector_all("#legend-items .kinds li",
                                           "els => els.map(e => e.dataset.kind)")
    assert set(kinds) == {"SELLER", "STOREFRONT", "LISTING", "WAREHOUSE", "FACTORY", "RING",
                          "IDENTIFIER", "BRAND"}
    badges = page.page.eval_on_selector_all("#legend-items .badges li",
                                            "els => els.map(e => e.dataset.status)")
    assert {"BANNED", "CLOSED", "RAIDED", "DELISTED"} <= set(badges)
    page.shot("explore-badges.png")


def test_edge_labels_show_on_hover_and_on_selected_paths(tab: MakeTab) -> None:
    page = tab("stridewell")
    page.js("window.explorer.trace('listing-sw-trailsurge-02')")
    page.idle()
    labels = page.js("window.explorer.cy.edges().map((e) => e.style('label'))")
    assert labels and all(label == "" for label in labels)
    page.js("void window.explorer.cy.edges()[0].emit('mouseover')")
    assert page.js("window.explorer.cy.edges()[0].style('label')").startswith(
        page.js("window.explorer.cy.edges()[0].data('kind')"))
    page.js("void window.explorer.cy.edges()[0].emit('mouseout')")
    assert page.js("window.explorer.cy.edges()[0].style('label')") == ""
    page.page.click("#sources li:first-child button:text('Show paths')")
    shown = page.js("window.explorer.cy.edges(':selected').map((e) => e.style('label'))")
    assert shown and all(re.match(r"^[A-Z_]+ \d\.\d\d$", label) for label in shown)


def click(page: Page, node: str) -> None:
    """Click ``node`` where it is drawn, as a reader would."""
    box = page.page.locator("#cy").bounding_box()
    at = page.js(f"window.explorer.cy.getElementById({json.dumps(node)}).renderedPosition()")
    page.page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])


def details_title(page: Page) -> str:
    title: str = page.page.inner_text("#details h3")
    return title


def test_the_side_panel_follows_the_selection(tab: MakeTab, demo: Demo) -> None:
    page = tab("ipcu")
    page.js("window.explorer.openEntity('seller-chen-wei')")
    page.idle()
    assert "Chen Wei" in details_title(page)
    # A trace: the panel shows its origin, not the entity open before.
    page.js("window.explorer.trace('listing-sw-trailsurge-02')")
    page.idle()
    origin = demo.gql("ipcu", '{ entity(id: "listing-sw-trailsurge-02") { name } }')["entity"]
    assert origin["name"] in details_title(page)
    # A click on another node.
    other = page.js("window.explorer.cy.nodes().not('.origin')[0].id()")
    click(page, other)
    page.idle()
    other_name = demo.gql("ipcu", "query($id: ID!) { entity(id: $id) { name } }",
                          {"id": other})["entity"]["name"]
    assert other_name in details_title(page)
    assert page.js("window.explorer.cy.nodes(':selected').length") == 1
    # Several: their names.
    page.js("void window.explorer.cy.nodes().select()")
    page.idle()
    count = page.js("window.explorer.cy.nodes().length")
    assert details_title(page) == f"{count} entities selected"
    # None: what to do.
    page.js("void window.explorer.cy.nodes().unselect()")
    page.idle()
    assert "Search, then open an entity" in page.page.inner_text("#details")
    # A ring's box: the ring, by its name.
    page.page.fill("#ring-min", "20")
    page.page.click("#rings-form button[type=submit]")
    page.page.wait_for_selector("#rings li")
    page.idle()
    page.page.click("#rings li:first-child button.draw-ring")
    page.until("window.explorer.cy.nodes('.ring-group').length === 1")
    page.idle()
    first = page.page.inner_text("#rings li:first-child .name")
    assert details_title(page) == first


def test_status_lines_name_entities_and_rings_not_ids(tab: MakeTab, demo: Demo) -> None:
    page = tab("ipcu")
    page.page.fill("#ring-min", "3")
    page.page.click("#rings-form button[type=submit]")
    page.page.wait_for_selector("#rings li")
    page.idle()
    titles = page.page.eval_on_selector_all("#rings li .name", "els => els.map(e => e.textContent)")
    candidate = titles.index(next(t for t in titles if t.startswith("Candidate")))
    page.page.click(f"#rings li:nth-child({candidate + 1}) button.draw-ring")
    page.until("window.explorer.cy.nodes('.ring-group').length === 1")
    page.idle()
    status = page.page.inner_text("#status")
    assert f"Ring {titles[candidate]}" in status and "ringcand-" not in status
    page.js("window.explorer.trace('listing-sw-trailsurge-02')")
    page.idle()
    status = page.page.inner_text("#status")
    assert "listing-sw-trailsurge-02" not in status
    name = demo.gql("ipcu", '{ entity(id: "listing-sw-trailsurge-02") { name } }')["entity"]["name"]
    assert f"Trace from “{name}”" in status


@pytest.fixture
def german_tab(browser: Any, demo: Demo) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 900}, locale="de-DE",
                                  timezone_id="Asia/Shanghai")
    try:
        yield Page(context.new_page(), demo).open("stridewell")
    finally:
        context.close()


def test_times_are_local_and_words_do_not_break(german_tab: Page, demo: Demo) -> None:
    page = german_tab
    entity = "listing-sw-aeropace-01"
    page.js(f"window.explorer.openEntity({json.dumps(entity)})")
    page.idle()
    answer = demo.gql("stridewell", """query($id: ID!) { entity(id: $id) {
        assertions { reportedAt } } }""", {"id": entity})["entity"]["assertions"]
    times = "els => els.map(e => [e.getAttribute('datetime'), e.textContent])"
    shown = page.page.eval_on_selector_all("#details .assertion time", times)
    assert len(shown) == len(answer)
    for (_, text), assertion in zip(shown, answer, strict=True):
        at = datetime.fromisoformat(assertion["reportedAt"]).astimezone(ZoneInfo("Asia/Shanghai"))
        assert at.strftime("%d.%m.%Y") in text and at.strftime("%H:%M") in text, (text, at)
    # The timeline's events are local times too.
    events = page.page.eval_on_selector_all("#timeline time", times)
    assert events
    for iso, text in events:
        at = datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai"))
        assert at.strftime("%d.%m.%Y") in text and at.strftime("%H:%M") in text, (text, at)
    details = page.page.inner_text("#details")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", details), details  # no raw ISO left
    # Words never break across lines: each word of the lists and panels is one box
    # (ids, hashes and URIs may break anywhere: they are <code class="id">).
    page.search("", "SELLER")
    split = page.js("""(() => {
      const out = [];
      for (const root of document.querySelectorAll('#results, #details, #analysis')) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
          const node = walker.currentNode;
          if (node.parentElement.closest('code.id')) continue;
          for (const m of node.data.matchAll(/[A-Za-zÀ-ÿ]{3,}/g)) {
            const range = document.createRange();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            if (range.getClientRects().length > 1) out.push(m[0]);
          }
        }
      }
      return out;
    })()""")
    assert split == []


def test_the_case_panel_does_not_cover_the_graph(tab: MakeTab) -> None:
    page = tab("ipcu", "liaison")
    page.js("window.explorer.trace('listing-sw-aeropace-01')")
    page.idle()
    page.page.click("#sources li:first-child button:text('Show paths')")
    page.page.click("#open-case")
    page.page.wait_for_selector("#case-form:not([hidden])")
    form = page.page.locator("#case-panel").bounding_box()
    graph = page.page.locator("#cy").bounding_box()
    assert form and graph
    apart = (form["x"] >= graph["x"] + graph["width"]
             or form["x"] + form["width"] <= graph["x"]
             or form["y"] >= graph["y"] + graph["height"]
             or form["y"] + form["height"] <= graph["y"])
    assert apart, (form, graph)


def test_a_liaison_opens_exports_and_downloads_a_case(
    tab: MakeTab, demo: Demo, tmp_path: Path
) -> None:
    import zipfile

    page = tab("ipcu", "liaison")
    page.js("window.explorer.trace('listing-sw-aeropace-01')")
    page.idle()
    page.page.click("#sources li:first-child button:text('Show paths')")
    selected = set(page.js("window.explorer.cy.nodes(':selected').map(n => n.id())"))
    page.page.click("#open-case")
    page.page.fill("#case-title", "Aero Pace supply")
    page.page.click("#case-form button[type=submit]")
    page.page.wait_for_selector("#case-export:not([hidden])")
    page.idle()
    cases = demo.gql("ipcu", "{ cases { id title entities { id } } }", role="liaison")["cases"]
    case = next(c for c in cases if c["title"] == "Aero Pace supply")
    assert {e["id"] for e in case["entities"]} == selected
    assert "Aero Pace supply" in page.page.inner_text("#case-list")
    page.page.fill("#export-recipient", "Putian police, case officer")
    page.page.uncheck("#export-FTM_JSONL")
    with page.page.expect_download() as info:
        page.page.click("#case-export button[type=submit]")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.startswith("case-package-") and path.suffix == ".zip"
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        manifest = json.loads(package.read("manifest.json"))
    assert any(n.startswith("i2/") for n in names) and not any("ftm" in n.lower() for n in names)
    assert manifest["case"]["id"] == case["id"]
    assert manifest["recipient"] == "Putian police, case officer"
    verified = subprocess.run([str(BIN), "verify", str(path), "--url", demo.url],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    page.idle()
    status = page.page.inner_text("#status")
    assert "Aero Pace supply" in status and "downloaded" in status
    assert not page.errors


PLAN = """query($brand: ID, $remove: [ID!]!) {
  interdictionPlan(brand: $brand, budget: 2) { cut steps { entity { id } cutAfter } }
  simulateInterdiction(remove: $remove, brand: $brand) {
    listingsCut(first: 1000) { id } storefrontsCut(first: 1000) { id }
    sourcesRemaining(first: 1000) { id } } }"""


def test_the_plan_panel_draws_the_plan_and_simulates_cuts(tab: MakeTab, demo: Demo) -> None:
    schema = demo.gql("ipcu", '{ __type(name: "Query") { fields { name } } }')["__type"]
    if "interdictionPlan" not in {f["name"] for f in schema["fields"]}:
        pytest.skip("the API has no interdictionPlan yet")
    brand = "brand-stridewell"
    plan = demo.gql("ipcu", PLAN, {"brand": brand, "remove": []})["interdictionPlan"]
    picks = [s["entity"]["id"] for s in plan["steps"]]
    assert picks, "the plan should pick something on this network"

    def impact(remove: list[str]) -> str:
        s = demo.gql("ipcu", PLAN, {"brand": brand, "remove": remove})["simulateInterdiction"]
        return (f"Removing {len(remove)}: {len(s['listingsCut'])} listings and "
                f"{len(s['storefrontsCut'])} storefronts cut off; "
                f"{len(s['sourcesRemaining'])} sources still reached.")

    page = tab("ipcu")
    assert page.page.is_visible("#plan-box")
    page.page.select_option("#plan-brand", brand)
    page.page.fill("#plan-budget", "2")
    page.page.click("#plan-form button[type=submit]")
    page.page.wait_for_selector("#plan-steps li")
    page.idle()
    listed = page.page.eval_on_selector_all("#plan-steps li", "els => els.map(e => e.dataset.id)")
    assert listed == picks
    assert sorted(page.js("window.explorer.cy.nodes('.plan').map(n => n.id())")) == sorted(picks)
    assert page.page.inner_text("#plan-impact") == impact(picks)
    status = page.page.inner_text("#status")
    assert "Plan for “Stridewell”" in status and picks[0] not in status
    page.shot("explore-plan.png")
    # Untick the first pick: the what-if of the rest, as the API answers it.
    page.page.locator("#plan-steps li").first.locator("input.plan-toggle").uncheck()
    page.idle()
    assert page.page.inner_text("#plan-impact") == impact(picks[1:])
    assert page.js("window.explorer.plan.removed()") == sorted(picks[1:])
    first = f"window.explorer.cy.getElementById({json.dumps(picks[0])})"
    assert page.js(f"{first}.hasClass('removed')") is False
    assert not page.errors
