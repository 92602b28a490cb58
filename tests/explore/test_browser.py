"""/explore in headless Chromium against a real demo server.

What is drawn must be exactly what the API answers the logged-in caller: the
trace's nodes and edges, and nothing another org's marking hides.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import networkx as nx
import pytest

from tests.explore.conftest import Demo, Page

pytestmark = pytest.mark.e2e

TRACE = """query($id: ID!) { traceToSource(from: $id) {
  origin { id } sources { entity { id } paths { nodes { id } relations { id } } } } }"""
ATELIER = "factory-huadu-atelier"  # Maison Verel's AMBER_STRICT factory (fixtures/README.md)

MakeTab = Callable[..., Page]


def api_trace(demo: Demo, org: str, listing: str) -> tuple[set[str], set[str]]:
    trace = demo.gql(org, TRACE, {"id": listing})["traceToSource"]
    nodes = {trace["origin"]["id"]}
    edges: set[str] = set()
    for source in trace["sources"]:
        nodes.add(source["entity"]["id"])
        for path in source["paths"]:
            nodes.update(n["id"] for n in path["nodes"])
            edges.update(r["id"] for r in path["relations"])
    return nodes, edges


@pytest.mark.parametrize(("org", "listing"), [
    ("stridewell", "listing-sw-trailsurge-02"),  # reaches Stridewell's RED factory
    ("voltra", "listing-vt-gan65-01"),
    ("bazaarhub", "listing-mv-celeste-01"),
])
def test_a_trace_from_a_listing_draws_what_the_api_answers(
    tab: MakeTab, demo: Demo, org: str, listing: str
) -> None:
    page = tab(org)
    listings = page.search("", "LISTING")
    assert listing in listings
    page.page.click(f"#results li[data-id='{listing}'] button.trace")
    page.until("window.explorer.timings.trace")
    page.idle()

    nodes, edges = api_trace(demo, org, listing)
    assert len(nodes) > 2
    assert page.drawn() == nodes
    assert page.drawn_edges() == edges
    sources = page.page.eval_on_selector_all("#sources li", "els => els.map(e => e.dataset.id)")
    answer = demo.gql(org, TRACE, {"id": listing})["traceToSource"]
    expected = [s["entity"]["id"] for s in answer["sources"]]
    assert sources == expected  # ranked as the API ranks them
    # Upstream to the left: every source lies left of the origin.
    xs = page.js(
        "Object.fromEntries(window.explorer.cy.nodes().map(n => [n.id(), n.position('x')]))")
    assert all(xs[s] < xs[listing] for s in expected)
    # Confidence on each edge.
    labels = page.js("window.explorer.cy.edges().map(e => e.data('label'))")
    assert all(label.split()[-1].replace(".", "").isdigit() for label in labels)
    page.shot(f"explore-trace-{org}.png")
    assert not page.errors


def test_the_token_stays_in_session_storage_and_headers(tab: MakeTab, demo: Demo) -> None:
    token = demo.token("stridewell")
    page = tab("stridewell")
    page.search("chen", "")
    assert token not in page.page.url
    assert page.js("sessionStorage.getItem('graph_api.explore.token')") == token
    assert page.js("localStorage.length") == 0
    assert page.posts, "the page made no API call"
    for post in page.posts:
        assert token not in post["url"]
        assert post["headers"]["authorization"] == f"Bearer {token}"
        assert token not in json.dumps(post["body"])
    # A reload keeps the session in this tab; logging out forgets it and the view.
    page.page.reload()
    page.page.wait_for_selector("#app:not([hidden])")
    page.page.click("#logout")
    assert page.js("sessionStorage.length") == 0
    assert page.js("window.explorer.cy.elements().length") == 0
    assert page.page.is_visible("#login")


def test_a_refused_token_is_not_kept(tab: MakeTab) -> None:
    page = tab()
    page.page.fill("#token", "gapi_not-a-real-token")
    page.page.click("#login-form button[type=submit]")
    page.page.wait_for_selector("#login-error:not(:empty)")
    assert page.js("sessionStorage.length") == 0
    assert page.page.is_hidden("#app")


@pytest.mark.parametrize(("org", "visible"), [("stridewell", False), ("maison-verel", True)])
def test_another_brands_amber_strict_entity_never_reaches_the_page(
    tab: MakeTab, org: str, visible: bool
) -> None:
    page = tab(org)
    assert (ATELIER in page.search("atelier", "")) is visible
    assert page.search("baiyun", "") == ["wh-guangzhou-baiyun"]
    page.page.click("#results li[data-id='wh-guangzhou-baiyun'] button:text('Expand')")
    page.until("window.explorer.timings.expand")
    page.idle()
    assert "wh-guangzhou-baiyun" in page.drawn()
    assert (ATELIER in page.drawn()) is visible
    # Open the warehouse too, and trace a bag listing that ships from it.
    page.page.click("#results li[data-id='wh-guangzhou-baiyun'] .name")
    page.page.wait_for_selector("#details h3")
    page.idle()
    page.js("window.explorer.trace('listing-mv-celeste-01')")
    page.idle()
    html = page.page.content()
    assert (ATELIER in html or "Huadu" in html or ATELIER in page.drawn()) is visible
    assert (ATELIER in page.js("window.explorer.graphml()")) is visible
    if not visible:
        page.shot("explore-stridewell-no-atelier.png")


def test_markings_are_tlp_colours(tab: MakeTab) -> None:
    page = tab("stridewell")
    page.js("window.explorer.trace('listing-sw-trailsurge-02')")
    page.idle()
    fills = page.js("""Object.fromEntries(window.explorer.cy.nodes().map(
        n => [n.id(), [n.data('marking'), n.style('background-color')]]))""")
    assert fills["factory-putian-huangshi"] == ["RED", "rgb(255,43,43)"]
    colours = {"CLEAR": "rgb(255,255,255)", "GREEN": "rgb(51,255,0)",
               "AMBER": "rgb(255,192,0)", "AMBER_STRICT": "rgb(255,192,0)", "RED": "rgb(255,43,43)"}
    for marking, colour in fills.values():
        assert colour == colours[marking]
    # The strictest visible marking wins: the test-bought listing has a RED assertion.
    assert fills["listing-sw-trailsurge-02"][0] == "RED"


def test_expand_adds_the_neighbours_the_api_answers(tab: MakeTab, demo: Demo) -> None:
    page = tab("ipcu")
    page.js("window.explorer.expand('seller-chen-wei')")
    page.idle()
    net = demo.gql("ipcu", """{ network(seeds: ["seller-chen-wei"], maxHops: 1) {
        nodes { id } relations { id } } }""")["network"]
    assert page.drawn() == {n["id"] for n in net["nodes"]}
    assert page.drawn_edges() == {r["id"] for r in net["relations"]}
    assert page.js("window.explorer.timings.expand.total") < 2000


def test_rings_draw_with_key_players_highlighted(tab: MakeTab, demo: Demo) -> None:
    page = tab("bazaarhub")
    page.page.fill("#ring-min", "3")
    page.page.click("#rings-form button[type=submit]")
    page.page.wait_for_selector("#rings li")
    page.idle()
    rings = demo.gql(
        "bazaarhub", "{ rings { id members { id } keyPlayers { entity { id } } } }")["rings"]
    listed = page.page.eval_on_selector_all("#rings li", "els => els.map(e => e.dataset.id)")
    assert listed == [r["id"] for r in rings]
    page.page.click(f"#rings li[data-id='{rings[0]['id']}'] button.draw-ring")
    page.until("window.explorer.cy.nodes('.key').length > 0")
    page.idle()
    drawn = page.drawn()
    assert {m["id"] for m in rings[0]["members"]} <= drawn
    key = set(page.js("window.explorer.cy.nodes('.key').map(n => n.id())"))
    assert key == {k["entity"]["id"] for k in rings[0]["keyPlayers"]}
    assert page.js("window.explorer.cy.nodes('.key')[0].style('border-color')") == "rgb(123,44,191)"
    page.shot("explore-ring.png")


def test_linked_entities_list_shared_identifiers(tab: MakeTab, demo: Demo) -> None:
    page = tab("bazaarhub")
    page.js("window.explorer.linked('seller-chen-wei')")
    page.idle()
    linked = demo.gql("bazaarhub", """{ linkedEntities(id: "seller-chen-wei") {
        entity { id } path { nodes { id } } } }""")["linkedEntities"]
    assert linked
    listed = page.page.eval_on_selector_all("#analysis li", "els => els.map(e => e.dataset.id)")
    assert listed == [x["entity"]["id"] for x in linked]
    assert page.drawn() == {n["id"] for x in linked for n in x["path"]["nodes"]}
    assert "PHONE +8613859402217" in page.page.inner_text("#analysis")


def test_details_show_who_reported_what(tab: MakeTab) -> None:
    page = tab("stridewell")
    page.js("window.explorer.openEntity('listing-sw-aeropace-01')")
    page.idle()
    text = page.page.inner_text("#details")
    assert "listing-sw-aeropace-01" in text
    assert "Stridewell" in text and "BazaarHub" in text
    assert "TEST_BUY" in text
    assert "confidence" in text


def test_graphml_export_is_the_drawn_graph(tab: MakeTab, tmp_path: Any) -> None:
    page = tab("stridewell")
    page.js("window.explorer.trace('listing-sw-aeropace-01')")
    page.idle()
    with page.page.expect_download() as info:
        page.page.click("#export-graphml")
    path = tmp_path / "view.graphml"
    info.value.save_as(path)
    graph = nx.read_graphml(path)
    assert set(graph.nodes) == page.drawn()
    assert {d["id"] for _, _, d in graph.edges(data=True)} == page.drawn_edges()
    kinds = {(u, v): d["kind"] for u, v, d in graph.edges(data=True)}
    # True directions, even where the trace walks LISTS backwards.
    lists = [(u, v) for (u, v), kind in kinds.items() if kind == "LISTS"]
    assert lists and all(u.startswith("store-") and v.startswith("listing-") for u, v in lists)
    assert all(graph.nodes[n]["marking"] in {"CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"}
               for n in graph.nodes)
    for button, suffix in (("#export-png", ".png"), ("#export-svg", ".svg")):
        with page.page.expect_download() as info:
            page.page.click(button)
        assert info.value.suggested_filename.endswith(suffix)
        saved = tmp_path / f"view{suffix}"
        info.value.save_as(saved)
        head = saved.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in head
    assert not page.errors


def test_large_views_are_grouped_and_say_so(tab: MakeTab) -> None:
    page = tab("stridewell")
    count = page.js("""(() => {
      const kinds = ['SELLER', 'STOREFRONT', 'LISTING', 'WAREHOUSE', 'FACTORY'];
      const nodes = [], edges = [];
      for (let i = 0; i < 2500; i++) {
        nodes.push({ group: 'nodes', data: { id: 'n' + i, label: 'n' + i, kind: kinds[i % 5],
          marking: 'GREEN', fill: '#33FF00', border: '#1E9600', shape: 'ellipse',
          confidence: 1 } });
        if (i) edges.push({ group: 'edges', data: { id: 'e' + i, source: 'n' + (i - 1),
          target: 'n' + i, relFrom: 'n' + (i - 1), relTo: 'n' + i, kind: 'USES',
          confidence: 0.5, marking: 'GREEN', line: '#33FF00', label: 'USES 0.50' } });
      }
      window.explorer.draw(nodes, edges, { replace: true, layout: 'fcose' });
      return window.explorer.cy.elements().length;
    })()""")
    # Five closed compound nodes, one per kind, and the relations between them counted.
    assert page.js("window.explorer.cy.nodes('.group').map(n => n.id()).sort()") == [
        "group:FACTORY", "group:LISTING", "group:SELLER", "group:STOREFRONT", "group:WAREHOUSE"]
    assert count == 5 + 5  # a chain through the kinds in turn: 5 counted group-to-group edges
    assert "2,500 entities and 2,499 relations: grouped by kind" in page.page.inner_text("#status")
    assert page.js("window.explorer.loadedIds().length") == 2500
    drawing = page.js("window.explorer.timings.lastDraw")
    assert drawing["add"] + drawing["layout"] < 3000
    # A double-click opens a group: its members are drawn inside it.
    page.page.evaluate("void window.explorer.cy.getElementById('group:SELLER').emit('dbltap')")
    page.until("window.explorer.cy.nodes(':parent').length === 1")
    assert len(page.drawn()) == 500
    assert page.js("window.explorer.cy.getElementById('n0').parent().id()") == "group:SELLER"
    assert "1 open" in page.page.inner_text("#status")
    graph = page.js("window.explorer.graphml()")
    assert graph.count("<node ") == 2500 and graph.count("<edge ") == 2499
    page.shot("explore-grouped.png")
    page.page.click("#settings summary")
    page.page.select_option("#group-by", "region")
    assert page.js("window.explorer.cy.nodes('.group').map(n => n.id())") == ["group:no region"]
    assert "grouped by region" in page.page.inner_text("#status")
    # A group too big to draw says so instead.
    page.page.evaluate("window.explorer.toggleGroup('group:no region')")
    assert "too many to draw" in page.page.inner_text("#status")
    assert page.drawn() == set()


def test_the_page_never_asks_past_the_api_limit(tab: MakeTab) -> None:
    page = tab("stridewell")
    page.js("window.explorer.expand('seller-chen-wei')")
    page.idle()
    page.page.click("#settings summary")
    page.page.fill("#limit", "50000")
    page.page.dispatch_event("#limit", "change")
    assert page.page.input_value("#limit") == "10000"
    page.js("window.explorer.expand('seller-lin-xiaoyan')")
    page.idle()
    limits = [p["body"]["variables"]["limit"] for p in page.posts
              if "limit" in p["body"].get("variables", {})]
    assert limits == [2000, 10000]
    firsts = [p["body"]["variables"]["first"] for p in page.posts
              if "first" in p["body"].get("variables", {})]
    assert all(f <= 10000 for f in firsts)


def test_open_case_is_hidden_unless_the_api_has_it(tab: MakeTab, demo: Demo) -> None:
    mutation = demo.gql(
        "ipcu", '{ __type(name: "Mutation") { fields { name } } }', role="liaison")["__type"]
    has_open_case = "openCase" in {f["name"] for f in mutation["fields"]}
    liaison = tab("ipcu", "liaison")
    assert liaison.page.is_visible("#open-case") is has_open_case
    brand = tab("stridewell")
    assert brand.page.is_hidden("#open-case")


def test_a_selected_path_opens_as_a_case_for_a_liaison(browser: Any, demo: Demo) -> None:
    """With openCase served (faked here when the schema has none yet), a path opens a case."""
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    sent: list[dict[str, Any]] = []

    def fake(route: Any) -> None:
        body = route.request.post_data_json
        if "__type" in body["query"]:
            route.fulfill(json={"data": {"__type": {"fields": [
                {"name": "submitReport"}, {"name": "openCase"}]}}})
        elif "openCase" in body["query"]:
            sent.append(body["variables"]["input"])
            route.fulfill(json={"data": {"openCase": {
                "id": "case-1", "title": body["variables"]["input"]["title"], "status": "OPEN"}}})
        else:
            route.continue_()

    try:
        page = Page(context.new_page(), demo)
        page.page.route("**/graphql", fake)
        page.open("ipcu", "liaison")
        assert page.page.is_visible("#open-case")
        page.js("window.explorer.trace('listing-sw-aeropace-01')")
        page.idle()
        page.page.click("#sources li:first-child button:text('Show paths')")
        selected = set(page.js("window.explorer.cy.nodes(':selected').map(n => n.id())"))
        page.page.click("#open-case")
        page.page.fill("#case-title", "Aero Pace source")
        page.page.click("#case-form button[type=submit]")
        page.until("document.getElementById('status').textContent.includes('case-1')")
        assert len(sent) == 1 and sent[0]["title"] == "Aero Pace source"
        assert set(sent[0]["entities"]) == selected and len(selected) >= 2
        assert sent[0]["marking"] in {"AMBER_STRICT", "RED"}
    finally:
        context.close()
