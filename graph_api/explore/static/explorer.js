// The /explore page: search, open, expand, trace, linked entities, rings, plans,
// cases, exports, and the view as of a past time. Text from the API is only ever set
// as textContent, never as HTML.

import { ApiError, DEFAULT_LIMIT, Q, clampLimit, clock, gql, gqlNow, token } from "./api.js";
import { createCases } from "./cases.js";
import { $, chip, fmt, h, idCode, localTime } from "./dom.js";
import {
  GROUP_AT, MARKINGS, STYLE, TLP, edgeData, entityName, nodeData, toGraphML,
} from "./graph.js";
import { rasterize, selfContained } from "./kinds.js";
import { createLabels } from "./labels.js";
import { buildLegend } from "./legend.js";
import { INTRO, createPanel } from "./panel.js";
import { createPlan } from "./plan.js";
import { createRings } from "./rings.js";
import { createTimeSlider } from "./time.js";
import { createTrace } from "./trace.js";
import { createView } from "./view.js";

const now = () => performance.now();
const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

const state = {
  me: null,
  canOpenCase: false,
  canExport: false,
  cursor: null,
  searched: null, // the last search's text and kind: a time change asks it again
  busy: 0,
};
const timings = {};
const names = new Map(); // id -> what a reader calls it, from every answer seen
const rings = new Map(); // ring box id -> the ring candidate the API answered

cytoscape.warnings(false);
const cy = cytoscape({
  container: $("cy"),
  style: STYLE,
  minZoom: 0.02,
  maxZoom: 4,
  boxSelectionEnabled: true,
  selectionType: "single", // a click selects one; ctrl-click and shift-drag add
  wheelSensitivity: 0.3,
  pixelRatio: 1,
  hideEdgesOnViewport: false,
});

// -- status and errors -------------------------------------------------------------
const notes = { view: "", group: "", error: "" };
function setStatus(key, text) {
  // What was drawn as of a past time says so (the time it was asked as of).
  notes[key] = key === "view" && text && clock.get()
    ? `As of ${localTime(clock.get(), { seconds: true })}: ${text}` : text;
  $("status").textContent = [notes.error, notes.view, notes.group].filter(Boolean).join(" · ");
}

/** Mark the page busy until the returned function is called. */
function hold() {
  state.busy += 1;
  document.body.classList.add("busy");
  let done = false;
  return () => {
    if (done) return;
    done = true;
    state.busy -= 1;
    if (!state.busy) document.body.classList.remove("busy");
  };
}

/** Run one API action: busy cursor, errors shown; ``quiet`` leaves the view's note. */
async function run(label, fn, quiet = false) {
  const release = hold();
  setStatus("error", "");
  if (!quiet) setStatus("view", `${label}…`);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.code === "UNAUTHENTICATED") {
      logout("Your token was refused: log in again.");
    } else {
      if (!quiet) setStatus("view", "");
      setStatus("error", `${label} failed: ${err.message}${err.code ? ` (${err.code})` : ""}`);
    }
    return undefined;
  } finally {
    release();
  }
}

const limit = () => clampLimit($("limit").value || DEFAULT_LIMIT);
const keep = () => $("keep").checked;
/** What a reader calls ``id``: its name from any answer seen, else the id. */
const nameOf = (id) => names.get(id) || cy.getElementById(id).data("fullName") || id;
const quote = (id) => `“${nameOf(id)}”`;

const labels = createLabels(cy);
const {
  big, draw, decorate, renderGroups, toggleGroup, arrange, resetView, viewElements,
  placeAround, fitView, warmUp,
} = createView(cy, {
  setStatus, timings, keep, labels, groupBy: () => $("group-by").value,
  sizeBy: () => $("size-by").value,
});

const reportTimes = (x) => (x.assertions || []).map((a) => a.reportedAt);
function asNode(e, cls) {
  names.set(e.id, entityName(e));
  time.see(reportTimes(e));
  return { group: "nodes", data: nodeData(e), classes: cls || "" };
}
function asEdge(r, walkFrom) {
  time.see(reportTimes(r));
  return { group: "edges", data: edgeData(r, walkFrom) };
}

// -- the view as of a time -----------------------------------------------------------
// Each action that draws remembers how to draw again (a step); one that replaces the
// view starts the recipe afresh, one that adds to it (expand, open, "add to the view")
// appends. Moving the time slider replays the recipe with every query asked as of
// the chosen time, so the graph shows what was known then, and only that.
let recipe = [];
let replaying = false;

function remember(step, replace) {
  if (replaying) return;
  recipe = replace ? [step] : [...recipe, step];
}

async function replay(stale) {
  const steps = recipe;
  const selected = cy.nodes(":selected").not(".group").not(".ring-group").map((n) => n.id());
  replaying = true;
  try {
    if (steps.length) {
      resetView();
      $("analysis").replaceChildren();
      setStatus("view", "");
    }
    // The search results listed beside the view, as of the time too.
    if (state.searched) await search(false, state.searched);
    for (const step of steps) {
      if (stale()) return;
      await step();
    }
  } finally {
    replaying = false;
  }
  if (stale()) return;
  const kept = selected.filter((id) => cy.getElementById(id).nonempty());
  if (kept.length) selectOnly(kept);
  await panel.render();
  if (steps.length && cy.nodes().empty()) setStatus("view", "nothing of this view had been reported yet");
}

const time = createTimeSlider({ hold, replay });

/** Select exactly these (the panel follows), without moving the view. */
function selectOnly(ids) {
  cy.batch(() => {
    cy.elements(":selected").unselect();
    ids.forEach((id) => cy.getElementById(id).select());
  });
}

// -- login -----------------------------------------------------------------------------
async function login(candidate) {
  $("login-error").textContent = "";
  let me;
  try {
    me = (await gqlNow(Q.me, {}, candidate)).me;
  } catch (err) {
    $("login-error").textContent = err.code === "UNAUTHENTICATED"
      ? "That token was refused." : `Could not log in: ${err.message}`;
    token.clear();
    return false;
  }
  token.set(candidate);
  state.me = me;
  $("token").value = "";
  $("who-text").textContent = `${me.org.name} (${me.org.type}) · ${me.role}`;
  $("who").hidden = false;
  $("details").replaceChildren(h("p", { class: "muted" }, INTRO));
  let mutations = [];
  try {
    const t = (await gqlNow(Q.mutations)).__type;
    mutations = t ? t.fields.map((f) => f.name) : [];
  } catch {
    mutations = [];
  }
  state.canOpenCase = me.role === "liaison" && mutations.includes("openCase");
  state.canExport = me.role === "liaison" && mutations.includes("exportCase");
  $("open-case").hidden = !state.canOpenCase;
  $("cases-button").hidden = !state.canExport;
  await plan.start();
  await pictures;
  // Shown only now, so what the page offers is settled when it appears.
  $("login").hidden = true;
  $("app").hidden = false;
  cy.resize();
  setTimeout(warmUp, 50);
  return true;
}

function logout(message = "") {
  token.clear();
  state.me = null;
  state.searched = null;
  resetView();
  recipe = [];
  time.reset();
  names.clear();
  rings.clear();
  ["results", "rings", "analysis"].forEach((id) => $(id).replaceChildren());
  $("details").replaceChildren(h("p", { class: "muted" }, "Logged out."));
  $("search-count").textContent = "";
  $("more").hidden = true;
  $("network-of-results").hidden = true;
  cases.reset();
  plan.reset();
  Object.keys(notes).forEach((k) => setStatus(k, ""));
  $("who").hidden = true;
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("token").focus();
}

// -- search ------------------------------------------------------------------------------
function actionsFor(e) {
  const buttons = [
    h("button", { type: "button", on: { click: () => openEntity(e.id) } }, "Open"),
    h("button", { type: "button", on: { click: () => expand(e.id) } }, "Expand"),
  ];
  if (e.kind !== "IDENTIFIER" && e.kind !== "BRAND" && e.kind !== "RING") {
    buttons.push(h("button", { type: "button", class: "trace", on: { click: () => trace(e.id) } },
      "Trace to source"));
  }
  if (e.kind === "SELLER" || e.kind === "STOREFRONT") {
    buttons.push(h("button", { type: "button", on: { click: () => linked(e.id) } }, "Linked"));
  }
  return h("div", { class: "actions" }, buttons);
}

function entityRow(e) {
  const d = nodeData(e);
  names.set(e.id, d.fullName);
  return h("li", { data: { id: e.id, kind: e.kind } },
    h("div", {}, h("span", { class: "name", on: { click: () => openEntity(e.id) } }, d.fullName), " ",
      chip(d.marking), e.status ? h("span", { class: `status status-${e.status}` }, e.status) : null),
    h("div", { class: "meta" }, [e.kind, e.region].filter(Boolean).join(" · "), " · ", idCode(e.id)),
    actionsFor(e));
}

/** Search the form's text and kind (``again``: those of the last search, as of the clock). */
async function search(more = false, again = null) {
  const asked = again || { search: $("search").value.trim() || null, kind: $("kind").value || null };
  if (!more) state.searched = asked;
  await run("Search", async () => {
    const variables = {
      ...asked,
      first: 50,
      after: more ? state.cursor : null,
    };
    const { entities } = await gql(Q.search, variables);
    if (!more) $("results").replaceChildren();
    entities.edges.forEach(({ node }) => $("results").append(entityRow(node)));
    state.cursor = entities.pageInfo.endCursor;
    $("more").hidden = !entities.pageInfo.hasNextPage;
    $("search-count").textContent = `${entities.totalCount.toLocaleString()} found`;
    $("network-of-results").hidden = !entities.edges.length && !more;
    setStatus("view", "");
  });
}

// -- analyses --------------------------------------------------------------------------------
async function openEntity(id) {
  await run("Open", async () => {
    if (cy.getElementById(id).empty()) {
      const { entity: e } = await gql(Q.entity, { id });
      if (!e) {
        $("details").replaceChildren(h("p", { class: "muted" }, `${nameOf(id)}: not found.`));
        return;
      }
      draw([asNode(e)], [], { replace: false, layout: "none" });
      remember(() => openEntity(id), false);
      const node = cy.getElementById(e.id);
      const ext = cy.extent();
      if (cy.nodes().length > 1) node.position({ x: ext.x1 + ext.w / 2, y: ext.y1 + ext.h / 2 });
      else fitView(node);
      labels.refresh();
    }
    selectOnly([id]);
    await panel.render();
  }, true);
}

async function expand(id) {
  return run("Expand", async () => {
    const t0 = now();
    const { network } = await gql(Q.network, { seeds: [id], maxHops: 1, limit: limit() });
    const t1 = now();
    const nodes = network.nodes.map((e) => asNode(e));
    const edges = network.relations.map((r) => asEdge(r));
    const before = cy.elements().not(":parent").length;
    const replace = cy.getElementById(id).empty() && !keep();
    const added = draw(nodes, edges, { replace, layout: replace ? "cluster" : "none" });
    remember(() => expand(id), replace);
    added.anchor = id;
    if (!big.on && !replace) placeAround(added);
    if (!big.on) labels.refresh();
    selectOnly([id]);
    await frame();
    const t2 = now();
    timings.expand = { api: t1 - t0, draw: t2 - t1, total: t2 - t0, nodes: network.nodes.length };
    const grew = cy.elements().not(":parent").length - before;
    setStatus("view", `Expanded ${quote(id)}: ${network.nodes.length - 1} neighbours, `
      + `${network.relations.length} relations (${grew} new elements)`
      + (network.truncated ? `; truncated at ${limit().toLocaleString()} (Settings: up to 10,000)` : ""));
  });
}

/** The network around ``seeds`` (search results, or any ids), drawn for clusters. */
async function network(seeds, { maxHops = Number($("hops").value) || 1, cap = limit() } = {}) {
  return run("Network", async () => {
    const t0 = now();
    const { network: net } = await gql(Q.network, { seeds, maxHops, limit: cap });
    const t1 = now();
    draw(net.nodes.map((e) => asNode(e)), net.relations.map((r) => asEdge(r)), {
      replace: !keep(), layout: "cluster",
    });
    remember(() => network(seeds, { maxHops, cap }), !keep());
    await frame();
    const t2 = now();
    timings.network = { api: t1 - t0, draw: t2 - t1, total: t2 - t0, ...timings.lastDraw };
    setStatus("view", `Network of ${seeds.length === 1 ? quote(seeds[0]) : `${seeds.length} entities`} `
      + `within ${maxHops} hop${maxHops > 1 ? "s" : ""}: ${net.nodes.length.toLocaleString()} entities, `
      + `${net.relations.length.toLocaleString()} relations`
      + (net.truncated ? `; truncated at ${cap.toLocaleString()}` : ""));
  });
}

async function linked(id) {
  return run("Linked entities", async () => {
    const { linkedEntities } = await gql(Q.linked, { id, maxHops: 2 });
    const nodes = [];
    const edges = [];
    for (const l of linkedEntities) {
      l.path.nodes.forEach((e) => nodes.push(asNode(e)));
      l.path.relations.forEach((r) => edges.push(asEdge(r)));
    }
    draw(nodes, edges, { replace: !keep(), layout: "cluster", classes: { origin: [id] } });
    remember(() => linked(id), !keep());
    selectOnly([id]);
    const list = h("ol", { class: "list" });
    linkedEntities.forEach((l) => {
      const d = nodeData(l.entity);
      list.append(h("li", { data: { id: l.entity.id } },
        h("div", {}, h("span", { class: "name", on: { click: () => openEntity(l.entity.id) } }, d.fullName), " ", chip(d.marking)),
        h("div", { class: "meta" }, `${l.entity.kind} · path confidence ${fmt(l.path.confidence)}`),
        h("div", {}, "shares: ", l.sharedIdentifiers.map((i) =>
          `${i.identifierKind} ${i.value ?? `(value hidden) ${i.id.slice(0, 14)}…`}`).join("; "))));
    });
    $("analysis").replaceChildren(h("h3", {}, `Linked to ${nameOf(id)} (${linkedEntities.length})`),
      linkedEntities.length ? list : h("p", { class: "muted" }, "No shared identifiers visible to you."));
    setStatus("view", `Linked entities of ${quote(id)}: ${linkedEntities.length}`);
  });
}

// -- exports ---------------------------------------------------------------------------------
function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
const stamp = () => {
  const d = new Date();
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
};

function exportPng() {
  download(cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff", maxWidth: 8000, maxHeight: 8000 }),
    `explore-${stamp()}.png`);
}
function exportSvg() {
  if (typeof cy.svg !== "function") {
    setStatus("error", "SVG export needs cytoscape-svg (npm ci --prefix explore).");
    return;
  }
  const svg = selfContained(cy.svg({ full: true, bg: "#ffffff" }));
  download(new Blob([svg], { type: "image/svg+xml" }), `explore-${stamp()}.svg`);
}
function exportGraphml() {
  download(new Blob([toGraphML(viewElements())], { type: "application/graphml+xml" }), `explore-${stamp()}.graphml`);
}

// -- panels ------------------------------------------------------------------------------------
const { trace } = createTrace(cy, {
  gql, run, draw, asNode, asEdge, selectOnly, setStatus, labels, limit, keep, timings, quote, remember,
  openEntity: (id) => openEntity(id),
});
const { findRings, drawRings, list: ringList } = createRings(cy, {
  gql, run, draw, asNode, asEdge, selectOnly, setStatus, limit, keep, timings, nameOf, remember,
  openEntity: (id) => openEntity(id), boxes: rings,
});
const actions = { expand, trace, linked, select: (id) => selectOnly([id]) };
const panel = createPanel(cy, { gql, run, hold, actions, rings, names, time });
// A liaison's cases are today's, whatever time the view is drawn as of (a package
// may be asked as of it: exportCase(asOf:)).
const cases = createCases(cy, { gql: gqlNow, run, setStatus, download, names });
const plan = createPlan(cy, {
  gql, run, setStatus, draw, asNode, asEdge, labels, names, quote, selectOnly, remember,
});
buildLegend($("legend-items"));
const pictures = rasterize(); // node pictures as bitmaps, while the reader logs in

// -- wiring ------------------------------------------------------------------------------------
$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const value = $("token").value.trim();
  if (value) login(value);
});
$("logout").addEventListener("click", () => logout());
$("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search(false); });
$("more").addEventListener("click", () => search(true, state.searched));
$("network-of-results").addEventListener("click", () => {
  const ids = [...document.querySelectorAll("#results li[data-id]")].map((li) => li.dataset.id);
  if (ids.length) network(ids);
});
$("rings-form").addEventListener("submit", (ev) => { ev.preventDefault(); findRings(); });
$("draw-all-rings").addEventListener("click", () => drawRings(ringList()));
$("fit").addEventListener("click", () => fitView());
$("relayout").addEventListener("click", () => {
  cy.elements().removeClass("faded");
  arrange(cy.nodes(".origin").nonempty() && cy.nodes(":parent").empty() ? "trace" : "cluster");
});
$("clear").addEventListener("click", () => {
  resetView();
  recipe = [];
  setStatus("view", "");
  $("analysis").replaceChildren();
});
$("group-by").addEventListener("change", () => {
  if (big.on) {
    big.open.clear();
    renderGroups();
  }
});
$("size-by").addEventListener("change", () => {
  decorate();
  labels.refresh();
});
$("limit").addEventListener("change", () => { $("limit").value = limit(); });
$("export-png").addEventListener("click", exportPng);
$("export-svg").addEventListener("click", exportSvg);
$("export-graphml").addEventListener("click", exportGraphml);
$("open-case").addEventListener("click", () => cases.openForm());
$("cases-button").addEventListener("click", () => run("Cases", async () => {
  await cases.list();
  $("case-panel").hidden = false;
}));

// Redrawing removes the tapped node: out of its own event, or Cytoscape spends seconds.
cy.on("dbltap", "node.group", (ev) => {
  const id = ev.target.id();
  setTimeout(() => toggleGroup(id), 0);
});
cy.on("dbltap", "node", (ev) => {
  const n = ev.target;
  if (!n.data("group") && !n.isParent()) expand(n.id());
});
cy.on("tap", (ev) => {
  if (ev.target === cy) cy.elements().removeClass("faded").removeClass("path");
});

// For tests and benchmarks: the drawn graph and what the page measured.
window.explorer = {
  cy, state, timings, draw, trace, expand, linked, openEntity, search, findRings, drawRings,
  network, plan, cases, labels, names, nameOf, time,
  rings: ringList,
  steps: () => recipe.length,
  graphml: () => toGraphML(viewElements()), TLP, MARKINGS, GROUP_AT, big, toggleGroup,
  drawnIds: () => cy.nodes().not(".group").not(".ring-group").map((n) => n.id()).sort(),
  loadedIds: () => viewElements().nodes.filter((n) => !n.compound).map((n) => n.id).sort(),
};

const saved = token.get();
if (saved) {
  login(saved).then((ok) => { if (!ok) logout(); });
} else {
  logout();
}
