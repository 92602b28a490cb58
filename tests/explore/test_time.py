"""The time slider (issue 25 item 5): the view redrawn as it stood at a past time.

The demo, then a later report: BazaarHub finds a new listing on RunFast Outlet and
closes the storefront. Moved back before that report, the drawn graph is exactly
the API's answer as of then (the listing gone, the storefront's status then), every
query of the redraw carries ``@asOf`` and the page says which time it shows; back to
now, today's view again; an event of the entity's timeline draws the view at it.
This module has a demo server of its own (the fixture is per module), so the report
changes no other test's world.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.explore.conftest import Demo, Page

pytestmark = pytest.mark.e2e

MakeTab = Callable[..., Page]

STORE = "store-runfast-outlet"
LATE = "listing-sw-late-01"
OPEN_CASE = "mutation($input: CaseInput!) { openCase(input: $input) { id openedAt } }"
REPORT = "mutation($input: ReportInput!) { submitReport(input: $input) { reportId created } }"
TIMES = "query($id: ID!) { entity(id: $id) { status assertions { reportedAt } } }"
NETWORK_AS_OF = """query($seeds: [ID!]!, $asOf: DateTime!) @asOf(at: $asOf) {
  network(seeds: $seeds, maxHops: 1) { nodes { id status } relations { id } } }"""
NETWORK = """query($seeds: [ID!]!) {
  network(seeds: $seeds, maxHops: 1) { nodes { id status } relations { id } } }"""


def listed(page: Page, selector: str) -> list[str]:
    ids: list[str] = page.page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.id)")
    return ids


def status_of(page: Page, id: str) -> Any:
    return page.js(f"window.explorer.cy.getElementById('{id}').data('status')")


def queries_since(page: Page, start: int) -> list[dict[str, Any]]:
    bodies = [p["body"] for p in page.posts[start:]]
    return [b for b in bodies if not b["query"].lstrip().startswith("mutation")]


@dataclass(frozen=True)
class World:
    case: str  # the IP Crime Unit's case of the storefront, opened after the demo
    opened: str
    late: str  # the time of BazaarHub's report after that


@pytest.fixture(scope="module")
def world(demo: Demo) -> World:
    """After the demo, a liaison opens a case of the storefront; then BazaarHub reports
    a new listing on the storefront, and closes it."""
    assert demo.gql("bazaarhub", TIMES, {"id": STORE})["entity"]["status"] != "CLOSED"
    case = demo.gql("ipcu", OPEN_CASE, {"input": {
        "title": "RunFast before the closure", "entities": [STORE], "marking": "AMBER"}},
        role="liaison")["openCase"]
    # Two seconds on, a time can be typed (to the second) between the case and the report.
    time.sleep(2.1)
    demo.gql("bazaarhub", REPORT, {"input": {
        "source": "PLATFORM_DATA", "confidence": 0.9, "marking": "GREEN",
        "entities": [
            {"id": STORE, "kind": "STOREFRONT", "status": "CLOSED"},
            {"id": LATE, "kind": "LISTING", "name": "Stridewell Trail Surge late copy",
             "status": "LIVE"},
        ],
        "relations": [{"kind": "LISTS", "from": STORE, "to": LATE, "confidence": 0.9}],
    }})
    at = demo.gql("bazaarhub", TIMES, {"id": LATE})["entity"]["assertions"][0]["reportedAt"]
    return World(case["id"], case["openedAt"], at)


@pytest.fixture(scope="module")
def late(world: World) -> str:
    return world.late


def test_the_time_slider_redraws_the_view_as_of_a_past_time(
    tab: MakeTab, demo: Demo, late: str
) -> None:
    today = demo.gql("bazaarhub", NETWORK, {"seeds": [STORE]})["network"]
    assert LATE in {n["id"] for n in today["nodes"]}

    page = tab("bazaarhub")
    page.search("RunFast", "")
    page.page.click(f"#results li[data-id='{STORE}'] button:has-text('Expand')")
    page.idle()
    assert page.drawn() == {n["id"] for n in today["nodes"]}
    assert status_of(page, STORE) == "CLOSED"
    assert page.page.inner_text("#as-of-text") == "Now"

    # The slider's stops are the report times the reader was shown; the last is the
    # late report's, and one step before it the view is as of the stop before.
    stops = page.js("window.explorer.time.stops()")
    assert stops[-1] == late and len(stops) >= 2
    then = stops[-2]
    expected = demo.gql("bazaarhub", NETWORK_AS_OF, {"seeds": [STORE], "asOf": then})["network"]
    assert LATE not in {n["id"] for n in expected["nodes"]}
    status_then = {n["id"]: n["status"] for n in expected["nodes"]}[STORE]
    assert status_then != "CLOSED"

    start = len(page.posts)
    page.page.focus("#as-of")
    page.page.keyboard.press("ArrowLeft")  # as of the late report itself
    page.page.keyboard.press("ArrowLeft")  # as of the stop before it
    page.idle()
    assert page.drawn() == {n["id"] for n in expected["nodes"]}
    assert LATE not in page.drawn()
    assert status_of(page, STORE) == status_then
    assert page.page.inner_text("#as-of-text").startswith("Viewing as of")
    assert page.page.is_visible("#as-of-now")
    assert page.page.inner_text("#status").startswith("As of")
    asked = queries_since(page, start)
    assert asked, "the redraw asked nothing"
    for body in asked:
        assert "@asOf(at: $asOf)" in body["query"], body["query"]
    assert {body["variables"]["asOf"] for body in asked} <= {late, then}
    assert asked[-1]["variables"]["asOf"] == then
    # The panel shows the storefront as of then: no event after it in its timeline.
    page.until("document.querySelector('#details .entity-title') !== null")
    shown = page.page.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.at)")
    assert shown and late not in shown
    page.shot("explore-as-of.png")

    start = len(page.posts)
    page.page.click("#as-of-now")
    page.idle()
    assert page.drawn() == {n["id"] for n in today["nodes"]}
    assert status_of(page, STORE) == "CLOSED"
    assert page.page.inner_text("#as-of-text") == "Now"
    assert page.page.is_hidden("#as-of-now")
    asked = queries_since(page, start)
    assert asked and not any("@asOf" in body["query"] for body in asked)

    # The storefront's timeline (today's) has the late report; its button draws the
    # view as of it, which holds the late listing ("at or before").
    event = f"#timeline li[data-at='{late}'] button.as-of"
    while not page.page.query_selector(event) and page.page.is_visible("#timeline-more"):
        page.page.click("#timeline-more")
        page.idle()
    page.page.click(event)
    page.idle()
    assert page.js("window.explorer.time.at()") == late
    assert LATE in page.drawn()
    assert status_of(page, STORE) == "CLOSED"
    assert not page.errors


def test_a_trace_as_of_before_its_origin_was_reported_draws_nothing(
    tab: MakeTab, demo: Demo, late: str
) -> None:
    page = tab("bazaarhub")
    assert page.search("late copy", "LISTING") == [LATE]
    page.page.click(f"#results li[data-id='{LATE}'] button.trace")
    page.until("window.explorer.timings.trace")
    page.idle()
    drawn_now = page.drawn()
    assert LATE in drawn_now and STORE in drawn_now
    stops = page.js("window.explorer.time.stops()")
    assert stops[-1] == late

    page.page.focus("#as-of")
    page.page.keyboard.press("ArrowLeft")
    page.page.keyboard.press("ArrowLeft")
    page.idle()
    assert page.js("window.explorer.time.at()") == stops[-2]
    assert page.drawn() == set()  # the listing was not known then: nothing to trace
    assert "nothing of this view had been reported yet" in page.page.inner_text("#status")
    # The search results beside the view are as of then too: the listing is not found.
    assert page.page.eval_on_selector_all("#results li[data-id]", "els => els.length") == 0

    page.page.click("#as-of-now")
    page.idle()
    assert page.drawn() == drawn_now
    listed = page.page.eval_on_selector_all("#results li[data-id]",
                                            "els => els.map(e => e.dataset.id)")
    assert listed == [LATE]

PLAN_AS_OF = """query($brand: ID, $asOf: DateTime!) @asOf(at: $asOf) {
  interdictionPlan(brand: $brand, budget: 2) { steps { entity { id } } } }"""
RINGS_AS_OF = """query($asOf: DateTime!) @asOf(at: $asOf) {
  rings(minSize: 3, first: 20) { id members { id } } }"""


def test_plans_and_rings_are_asked_again_as_of_the_time(
    tab: MakeTab, demo: Demo, late: str
) -> None:
    brand = "brand-stridewell"
    page = tab("ipcu")
    if not page.page.is_visible("#plan-box"):
        pytest.skip("the API has no interdictionPlan yet")
    page.page.select_option("#plan-brand", brand)
    page.page.click("#plan-form button[type=submit]")
    page.page.wait_for_selector("#plan-steps li")
    page.idle()
    stops = page.js("window.explorer.time.stops()")
    then = stops[len(stops) // 2]
    start = len(page.posts)
    page.js(f"window.explorer.time.choose({json.dumps(then)})")
    page.idle()
    expected = demo.gql("ipcu", PLAN_AS_OF, {"brand": brand, "asOf": then}, role="investigator")
    picks = [s["entity"]["id"] for s in expected["interdictionPlan"]["steps"]]
    assert listed(page, "#plan-steps li") == picks
    asked = queries_since(page, start)
    assert any("interdictionPlan" in b["query"] for b in asked)
    assert all(b["variables"].get("asOf") == then for b in asked), asked

    # Rings: the list and the drawn candidate are the ones found as of the time.
    rings = demo.gql("ipcu", RINGS_AS_OF, {"asOf": then})["rings"]
    assert rings, "a ring of the demo was known by then"
    ring = rings[0]
    page.js("window.explorer.time.now()")
    page.idle()
    page.page.click("#rings-form button[type=submit]")
    page.page.wait_for_selector("#rings li")
    page.idle()
    # Today's candidate sharing a member with it (a candidate's id is its members').
    today = page.js("window.explorer.rings().map(r => [r.id, r.members.map(m => m.id)])")
    members_then = {m["id"] for m in ring["members"]}
    same = next(id for id, members in today if members_then & set(members))
    page.page.click(f"#rings li[data-id='{same}'] .draw-ring")
    page.idle()
    start = len(page.posts)
    page.js(f"window.explorer.time.choose({json.dumps(then)})")
    page.idle()
    assert listed(page, "#rings li[data-id]") == [r["id"] for r in rings]
    box = f"window.explorer.cy.getElementById('ring:{ring['id']}')"
    members = page.js(f"{box}.children().map(n => n.id())")
    assert sorted(members) == sorted(m["id"] for m in ring["members"])
    asked = queries_since(page, start)
    assert any("rings(" in b["query"] for b in asked)
    assert all(b["variables"].get("asOf") == then for b in asked), asked
    assert not page.errors


def test_a_liaison_exports_a_case_as_of_the_time_viewed(
    tab: MakeTab, world: World, tmp_path: Path
) -> None:
    page = tab("ipcu", "liaison")
    page.page.click("#cases-button")
    page.idle()
    page.search("RunFast", "")
    page.page.click(f"#results li[data-id='{STORE}'] button:has-text('Expand')")
    page.idle()

    def export(as_of: bool) -> tuple[dict[str, Any], str]:
        page.page.click(f"#case-list li[data-id='{world.case}'] button.export-case")
        assert page.page.is_visible("#export-as-of-row") == as_of
        if as_of:
            page.page.check("#export-as-of")
        page.page.fill("#export-recipient", "Putian police, case officer")
        for other in ("STIX21", "I2_CSV", "FTM_JSONL"):
            page.page.uncheck(f"#export-{other}")
        with page.page.expect_download() as info:
            page.page.click("#case-export button[type=submit]")
        path = tmp_path / f"{as_of}-{info.value.suggested_filename}"
        info.value.save_as(path)
        page.idle()
        with zipfile.ZipFile(path) as package:
            graphml = next(n for n in package.namelist() if n.endswith(".graphml"))
            return json.loads(package.read("manifest.json")), package.read(graphml).decode()

    # A whole second after the case was opened, before the report: typed in the reader's
    # own time zone.
    opened = datetime.fromisoformat(world.opened)
    then = opened.replace(microsecond=0) + timedelta(seconds=2)
    assert opened < then < datetime.fromisoformat(world.late)
    typed = page.js(f"""(() => {{
      const d = new Date({int(then.timestamp() * 1000)});
      const p = (n) => String(n).padStart(2, '0');
      return `${{d.getFullYear()}}-${{p(d.getMonth() + 1)}}-${{p(d.getDate())}}T`
        + `${{p(d.getHours())}}:${{p(d.getMinutes())}}:${{p(d.getSeconds())}}`;
    }})()""")
    page.page.fill("#as-of-pick", typed)
    page.idle()
    assert datetime.fromisoformat(page.js("window.explorer.time.at()")) == then
    assert page.page.inner_text("#as-of-text").startswith("Viewing as of")
    manifest, graphml = export(as_of=True)
    assert datetime.fromisoformat(manifest["as_of"]) == then
    assert STORE in graphml and "CLOSED" not in graphml  # the storefront as it stood then

    page.page.click("#as-of-now")
    page.idle()
    manifest, graphml = export(as_of=False)
    assert "as_of" not in manifest
    assert STORE in graphml and "CLOSED" in graphml
    assert not page.errors
