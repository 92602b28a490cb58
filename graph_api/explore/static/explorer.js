// The /explore page: search, open, expand, trace, linked entities, rings, cases,
// exports. Text from the API is only ever set as textContent, never as HTML.

import { ApiError, DEFAULT_LIMIT, Q, RING_KINDS, clampLimit, gql, token } from "./api.js";
import {
  GROUP_AT, MARKINGS, STYLE, TLP, edgeData, nodeData, strictest, toGraphML,
} from "./graph.js";
import { createView } from "./view.js";

const $ = (id) => document.getElementById(id);

/** A DOM element with text children only. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "on") Object.entries(v).forEach(([ev, fn]) => node.addEventListener(ev, fn));
    else if (k === "data") Object.entries(v).forEach(([dk, dv]) => { node.dataset[dk] = dv; });
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const chip = (marking) => h("span", { class: `tlp tlp-${marking}`, title: `TLP ${marking}` },
  marking === "AMBER_STRICT" ? "AMBER+STRICT" : marking);
const fmt = (x) => (typeof x === "number" ? x.toFixed(2) : "");
const now = () => performance.now();
const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

const INTRO = "Search, then open an entity to see who reported it, under which marking, "
  + "with what confidence and evidence. Double-click a node to expand its neighbours.";

const state = {
  me: null,
  canOpenCase: false,
  cursor: null,
  busy: 0,
};
const timings = {};

cytoscape.warnings(false);
const cy = cytoscape({
  container: $("cy"),
  style: STYLE,
  minZoom: 0.02,
  maxZoom: 4,
  boxSelectionEnabled: true,
  selectionType: "additive",
  wheelSensitivity: 0.3,
});

// -- status and errors -------------------------------------------------------------
const notes = { view: "", group: "", error: "" };
function setStatus(key, text) {
  notes[key] = text;
  $("status").textContent = [notes.error, notes.view, notes.group].filter(Boolean).join(" · ");
}

/** Run one API action: busy cursor, errors shown; ``quiet`` leaves the view's note. */
async function run(label, fn, quiet = false) {
  state.busy += 1;
  document.body.style.cursor = "progress";
  setStatus("error", "");
  const before = notes.view;
  if (!quiet) setStatus("view", `${label}…`);
  try {
    const result = await fn();
    if (quiet) setStatus("view", before);
    return result;
  } catch (err) {
    if (err instanceof ApiError && err.code === "UNAUTHENTICATED") {
      logout("Your token was refused: log in again.");
    } else {
      setStatus("view", "");
      setStatus("error", `${label} failed: ${err.message}${err.code ? ` (${err.code})` : ""}`);
    }
    return undefined;
  } finally {
    state.busy -= 1;
    if (!state.busy) document.body.style.cursor = "";
  }
}

const limit = () => clampLimit($("limit").value || DEFAULT_LIMIT);
const keep = () => $("keep").checked;

const {
  big, draw, renderGroups, toggleGroup, arrange, resetView, viewElements, placeAround,
  fitView, warmUp,
} = createView(cy, { setStatus, timings, keep, groupBy: () => $("group-by").value });

const asNode = (e, cls) => ({ group: "nodes", data: nodeData(e), classes: cls || "" });
const asEdge = (r, walkFrom) => ({ group: "edges", data: edgeData(r, walkFrom) });

// -- login -----------------------------------------------------------------------------
async function login(candidate) {
  $("login-error").textContent = "";
  let me;
  try {
    me = (await gql(Q.me, {}, candidate)).me;
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
    const t = (await gql(Q.mutations)).__type;
    mutations = t ? t.fields.map((f) => f.name) : [];
  } catch {
    mutations = [];
  }
  state.canOpenCase = me.role === "liaison" && mutations.includes("openCase");
  $("open-case").hidden = !state.canOpenCase;
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
  resetView();
  ["results", "rings", "analysis"].forEach((id) => $(id).replaceChildren());
  $("details").replaceChildren(h("p", { class: "muted" }, "Logged out."));
  $("search-count").textContent = "";
  $("more").hidden = true;
  $("case-form").hidden = true;
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
  return h("li", { data: { id: e.id, kind: e.kind } },
    h("div", {}, h("span", { class: "name", on: { click: () => openEntity(e.id) } }, d.label), " ",
      chip(d.marking)),
    h("div", { class: "meta" }, [e.kind, e.id, e.region, e.status].filter(Boolean).join(" · ")),
    actionsFor(e));
}

async function search(more = false) {
  await run("Search", async () => {
    const variables = {
      search: $("search").value.trim() || null,
      kind: $("kind").value || null,
      first: 50,
      after: more ? state.cursor : null,
    };
    const { entities } = await gql(Q.search, variables);
    if (!more) $("results").replaceChildren();
    entities.edges.forEach(({ node }) => $("results").append(entityRow(node)));
    state.cursor = entities.pageInfo.endCursor;
    $("more").hidden = !entities.pageInfo.hasNextPage;
    $("search-count").textContent = `${entities.totalCount.toLocaleString()} found`;
    setStatus("view", "");
  });
}

// -- details -------------------------------------------------------------------------------
function table(rows) {
  return h("table", {}, rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v))));
}

function assertionBox(a) {
  return h("div", { class: "assertion" },
    h("div", {}, h("strong", {}, a.reportedBy.name), ` (${a.reportedBy.type}) `, chip(a.marking)),
    h("div", { class: "muted" }, `${a.source} · confidence ${fmt(a.confidence)} · `
      + `${a.reportedAt} · report ${a.reportId}`),
    a.sharedWith.length ? h("div", {}, `shared with ${a.sharedWith.map((o) => o.name).join(", ")}`) : null,
    a.evidence.length ? h("ul", { class: "evidence" }, a.evidence.map((ev) => h("li", {},
      `${ev.kind}: ${ev.description || ""}`,
      ev.sha256 ? h("div", { class: "muted" }, `sha256 ${ev.sha256}`) : null,
      ev.uri ? h("div", { class: "muted" }, ev.uri) : null))) : null);
}

async function openEntity(id) {
  await run("Open", async () => {
    const { entity: e } = await gql(Q.entity, { id });
    if (!e) {
      $("details").replaceChildren(h("p", { class: "muted" }, `${id}: not found.`));
      return;
    }
    if (cy.getElementById(e.id).empty()) {
      draw([asNode(e)], [], { replace: false, layout: "none" });
      const node = cy.getElementById(e.id);
      const ext = cy.extent();
      if (cy.nodes().length > 1) node.position({ x: ext.x1 + ext.w / 2, y: ext.y1 + ext.h / 2 });
      else fitView(node);
    }
    cy.elements().unselect();
    cy.getElementById(e.id).select();
    showEntity(e);
  }, true);
}

function showEntity(e) {
  const d = nodeData(e);
  const props = Object.entries(e.properties || {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
  $("details").replaceChildren(
    h("h3", {}, d.label, " ", chip(d.marking)),
    table([["id", e.id], ["kind", e.kind], ["region", e.region], ["status", e.status],
      ["confidence", fmt(e.confidence)], ["identifier", e.identifierKind],
      ["value", e.kind === "IDENTIFIER" ? (e.value ?? "(hidden from your org)") : null],
      ["relations", e.relations.totalCount], ...props]),
    h("div", { class: "buttons" },
      h("button", { type: "button", id: "d-expand", on: { click: () => expand(e.id) } }, "Expand neighbours"),
      e.kind !== "IDENTIFIER" ? h("button", { type: "button", id: "d-trace", on: { click: () => trace(e.id) } }, "Trace to source") : null,
      h("button", { type: "button", id: "d-linked", on: { click: () => linked(e.id) } }, "Linked entities")),
    h("h3", {}, `Assertions (${e.assertions.length})`),
    ...e.assertions.map(assertionBox));
}

async function showRelation(edge) {
  const d = edge.data();
  await run("Relation", async () => {
    const { entity } = await gql(`query R($id: ID!, $kinds: [RelationKind!]) { entity(id: $id) {
      relations(direction: OUT, kinds: $kinds, first: 500) { edges { node { id
        assertions { reportId reportedAt source confidence marking
          reportedBy { id name type } sharedWith { id name }
          evidence { id kind description sha256 uri } } } } } } }`,
    { id: d.relFrom, kinds: [d.kind] });
    const rel = entity && entity.relations.edges.map((x) => x.node).find((r) => r.id === d.id);
    $("details").replaceChildren(
      h("h3", {}, d.kind, " ", chip(d.marking)),
      table([["id", d.id], ["from", d.relFrom], ["to", d.relTo], ["confidence", fmt(d.confidence)]]),
      h("h3", {}, `Assertions (${rel ? rel.assertions.length : 0})`),
      ...(rel ? rel.assertions.map(assertionBox) : []));
  }, true);
}

// -- analyses --------------------------------------------------------------------------------
async function expand(id) {
  return run("Expand", async () => {
    const t0 = now();
    const { network } = await gql(Q.network, { seeds: [id], maxHops: 1, limit: limit() });
    const t1 = now();
    const nodes = network.nodes.map((e) => asNode(e));
    const edges = network.relations.map((r) => asEdge(r));
    const before = cy.elements().not(":parent").length;
    const replace = cy.getElementById(id).empty() && !keep();
    const added = draw(nodes, edges, { replace, layout: "none" });
    added.anchor = id;
    if (!big.on) placeAround(added);
    await frame();
    const t2 = now();
    timings.expand = { api: t1 - t0, draw: t2 - t1, total: t2 - t0, nodes: network.nodes.length };
    const grew = cy.elements().not(":parent").length - before;
    setStatus("view", `Expanded ${id}: ${network.nodes.length - 1} neighbours, `
      + `${network.relations.length} relations (${grew} new elements)`
      + (network.truncated ? `; truncated at ${limit().toLocaleString()} (Settings: up to 10,000)` : ""));
  });
}

async function trace(id) {
  return run("Trace", async () => {
    const t0 = now();
    const variables = {
      from: id,
      maxDepth: Math.min(8, Math.max(1, Number($("max-depth").value) || 6)),
      minConfidence: Math.min(1, Math.max(0, Number($("min-conf").value) || 0)),
    };
    const t = await traceAnswer(variables);
    const t1 = now();
    const nodes = [asNode(t.origin, "origin")];
    const edges = [];
    for (const s of t.sources) {
      nodes.push(asNode(s.entity, "source"));
      for (const p of s.paths) {
        p.nodes.forEach((e) => nodes.push(asNode(e)));
        p.relations.forEach((r, i) => edges.push(asEdge(r, p.nodes[i].id)));
      }
    }
    draw(nodes, edges, {
      replace: !keep(), layout: "trace",
      classes: { origin: [t.origin.id], source: t.sources.map((s) => s.entity.id) },
    });
    await frame();
    const t2 = now();
    timings.trace = {
      api: t1 - t0, draw: t2 - t1, total: t2 - t0, ...timings.lastDraw,
      nodes: new Set(nodes.map((n) => n.data.id)).size,
    };
    showSources(t);
    setStatus("view", `Trace from ${id}: ${t.sources.length} sources, `
      + `${timings.trace.nodes} entities on their paths (upstream to the left)`);
  });
}

/**
 * traceToSource with every entity and relation filled in. Asking the trace for ids
 * only and then network(seeds, maxHops: 0) for the details is 3-4 times quicker
 * than resolving each path's elements in the trace itself, when it fits one ask.
 */
async function traceAnswer(variables) {
  const { traceToSource: shape } = await gql(Q.traceIds, variables);
  const ids = new Set([shape.origin.id]);
  const relIds = new Set();
  shape.sources.forEach((s) => {
    ids.add(s.entity.id);
    s.paths.forEach((p) => {
      p.nodes.forEach((n) => ids.add(n.id));
      p.relations.forEach((r) => relIds.add(r.id));
    });
  });
  if (ids.size > limit()) return (await gql(Q.trace, variables)).traceToSource;
  const { network } = await gql(Q.network, { seeds: [...ids], maxHops: 0, limit: ids.size });
  const entity = new Map(network.nodes.map((e) => [e.id, e]));
  const relation = new Map(network.relations.filter((r) => relIds.has(r.id)).map((r) => [r.id, r]));
  if (entity.size !== ids.size || relation.size !== relIds.size) {
    // The graph changed between the two asks: take the trace whole.
    return (await gql(Q.trace, variables)).traceToSource;
  }
  return {
    origin: entity.get(shape.origin.id),
    sources: shape.sources.map((s) => ({
      score: s.score, depth: s.depth, entity: entity.get(s.entity.id),
      paths: s.paths.map((p) => ({
        confidence: p.confidence,
        nodes: p.nodes.map((n) => entity.get(n.id)),
        relations: p.relations.map((r) => relation.get(r.id)),
      })),
    })),
  };
}

function showSources(t) {
  const list = h("ol", { class: "list", id: "sources" });
  t.sources.forEach((s, rank) => {
    const d = nodeData(s.entity);
    list.append(h("li", { data: { id: s.entity.id } },
      h("div", {}, h("span", { class: "name" }, `${rank + 1}. ${d.label}`), " ", chip(d.marking)),
      h("div", { class: "meta" }, `${s.entity.kind} · score ${fmt(s.score)} · depth ${s.depth} · `
        + `${s.entity.region || "no region"}`),
      h("div", { class: "actions" },
        h("button", { type: "button", on: { click: (ev) => highlightPaths(s, ev.target.closest("li")) } },
          "Show paths"),
        h("button", { type: "button", on: { click: () => openEntity(s.entity.id) } }, "Open"))));
  });
  $("analysis").replaceChildren(
    h("h3", {}, `Sources of ${t.origin.name || t.origin.id}`),
    t.sources.length ? list : h("p", { class: "muted" }, "No source reached."));
}

/** Select a source's paths (so they can open a case) and fade the rest. */
function highlightPaths(source, li) {
  document.querySelectorAll("#sources li").forEach((x) => x.classList.remove("active"));
  li.classList.add("active");
  const ids = new Set();
  source.paths.forEach((p) => {
    p.nodes.forEach((n) => ids.add(n.id));
    p.relations.forEach((r) => ids.add(r.id));
  });
  cy.batch(() => {
    cy.elements().unselect().addClass("faded");
    cy.elements().filter((el) => ids.has(el.id())).removeClass("faded").select();
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
    draw(nodes, edges, { replace: !keep(), layout: "fcose", classes: { origin: [id] } });
    const list = h("ol", { class: "list" });
    linkedEntities.forEach((l) => {
      const d = nodeData(l.entity);
      list.append(h("li", { data: { id: l.entity.id } },
        h("div", {}, h("span", { class: "name", on: { click: () => openEntity(l.entity.id) } }, d.label), " ", chip(d.marking)),
        h("div", { class: "meta" }, `${l.entity.kind} · path confidence ${fmt(l.path.confidence)}`),
        h("div", {}, "shares: ", l.sharedIdentifiers.map((i) =>
          `${i.identifierKind} ${i.value ?? `(value hidden) ${i.id.slice(0, 14)}…`}`).join("; "))));
    });
    $("analysis").replaceChildren(h("h3", {}, `Linked to ${id} (${linkedEntities.length})`),
      linkedEntities.length ? list : h("p", { class: "muted" }, "No shared identifiers visible to you."));
    setStatus("view", `Linked entities of ${id}: ${linkedEntities.length}`);
  });
}

async function findRings() {
  await run("Rings", async () => {
    const minSize = Math.max(1, Number($("ring-min").value) || 3);
    const { rings } = await gql(Q.rings, { minSize, first: 20 });
    $("rings").replaceChildren(...rings.map((ring, i) => h("li", { data: { id: ring.id } },
      h("div", { class: "name", on: { click: () => drawRing(ring) } },
        ring.knownRing ? (ring.knownRing.name || ring.knownRing.id) : `Candidate ${i + 1}`),
      h("div", { class: "meta" }, `${ring.size} sellers/storefronts · ${ring.regions.join(", ") || "no region"}`),
      h("div", { class: "meta" }, `key: ${ring.keyPlayers.map((k) => k.entity.name || k.entity.id).join(", ")}`),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "draw-ring", on: { click: () => drawRing(ring) } }, "Draw")))));
    if (!rings.length) $("rings").append(h("li", { class: "muted" }, "No candidate of that size."));
    setStatus("view", `${rings.length} ring candidates`);
  });
}

async function drawRing(ring) {
  await run("Ring", async () => {
    const key = ring.keyPlayers.map((k) => k.entity.id);
    const seeds = [...new Set([...ring.members.map((m) => m.id), ...ring.sources.map((s) => s.id), ...key])];
    const { network } = await gql(Q.network, { seeds, maxHops: 1, kinds: RING_KINDS, limit: limit() });
    draw(network.nodes.map((e) => asNode(e)), network.relations.map((r) => asEdge(r)), {
      replace: !keep(), layout: "fcose",
      classes: { member: ring.members.map((m) => m.id), key, source: ring.sources.map((s) => s.id) },
    });
    const list = h("ol", { class: "list" }, ring.keyPlayers.map((k) => h("li", { data: { id: k.entity.id } },
      h("span", { class: "name", on: { click: () => openEntity(k.entity.id) } }, k.entity.name || k.entity.id),
      h("div", { class: "meta" }, `${k.entity.kind} · betweenness ${fmt(k.score)}`))));
    $("analysis").replaceChildren(
      h("h3", {}, `Ring ${ring.knownRing ? ring.knownRing.name || ring.knownRing.id : ring.id}`),
      h("p", { class: "muted" }, `${ring.size} sellers/storefronts in ${ring.regions.join(", ")}. `
        + "Key players have a thick purple border."),
      h("h3", {}, "Key players"), list,
      h("h3", {}, "Sources"), h("p", {}, ring.sources.map((s) => s.name || s.id).join(", ") || "none"));
    setStatus("view", `Ring ${ring.id}: ${network.nodes.length} entities`
      + (network.truncated ? `; truncated at ${limit().toLocaleString()}` : ""));
  });
}

// -- cases -----------------------------------------------------------------------------------
function caseEntities() {
  return cy.nodes(":selected").not(".group").map((n) => n.id());
}

function showCaseForm() {
  const ids = caseEntities();
  if (!ids.length) {
    setStatus("error", "Select entities first (click, ctrl-click or shift-drag), or pick a trace path.");
    return;
  }
  const markings = cy.nodes(":selected").not(".group").map((n) => ({ marking: n.data("marking") }));
  const suggested = strictest([...markings, { marking: "AMBER_STRICT" }]);
  $("case-summary").textContent = `${ids.length} entities: ${ids.slice(0, 6).join(", ")}${ids.length > 6 ? "…" : ""}`;
  $("case-marking").value = suggested;
  $("case-title").value = $("case-title").value || `Case ${new Date().toISOString().slice(0, 10)}`;
  $("case-form").hidden = false;
}

async function openCase(ev) {
  ev.preventDefault();
  const ids = caseEntities();
  await run("Open case", async () => {
    const input = { title: $("case-title").value.trim(), entities: ids, marking: $("case-marking").value };
    const { openCase: c } = await gql(Q.openCase, { input });
    $("case-form").hidden = true;
    setStatus("view", `Case ${c.id} opened: “${c.title}”, ${ids.length} entities, ${c.status}`);
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
const stamp = () => new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);

function exportPng() {
  download(cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff", maxWidth: 8000, maxHeight: 8000 }),
    `explore-${stamp()}.png`);
}
function exportSvg() {
  if (typeof cy.svg !== "function") {
    setStatus("error", "SVG export needs cytoscape-svg (npm ci --prefix explore).");
    return;
  }
  download(new Blob([cy.svg({ full: true, bg: "#ffffff" })], { type: "image/svg+xml" }), `explore-${stamp()}.svg`);
}
function exportGraphml() {
  download(new Blob([toGraphML(viewElements())], { type: "application/graphml+xml" }), `explore-${stamp()}.graphml`);
}

// -- wiring ------------------------------------------------------------------------------------
$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const value = $("token").value.trim();
  if (value) login(value);
});
$("logout").addEventListener("click", () => logout());
$("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search(false); });
$("more").addEventListener("click", () => search(true));
$("rings-form").addEventListener("submit", (ev) => { ev.preventDefault(); findRings(); });
$("fit").addEventListener("click", () => fitView());
$("relayout").addEventListener("click", () => {
  cy.elements().removeClass("faded");
  arrange(cy.nodes(".origin").nonempty() ? "trace" : "fcose");
});
$("clear").addEventListener("click", () => {
  resetView();
  setStatus("view", "");
  $("analysis").replaceChildren();
});
$("group-by").addEventListener("change", () => {
  if (big.on) {
    big.open.clear();
    renderGroups();
  }
});
$("limit").addEventListener("change", () => { $("limit").value = limit(); });
$("export-png").addEventListener("click", exportPng);
$("export-svg").addEventListener("click", exportSvg);
$("export-graphml").addEventListener("click", exportGraphml);
$("open-case").addEventListener("click", showCaseForm);
$("case-form").addEventListener("submit", openCase);
$("case-cancel").addEventListener("click", () => { $("case-form").hidden = true; });

cy.on("tap", "node", (ev) => {
  const n = ev.target;
  if (!n.data("group")) openEntity(n.id());
});
// Redrawing removes the tapped node: out of its own event, or Cytoscape spends seconds.
cy.on("dbltap", "node.group", (ev) => {
  const id = ev.target.id();
  setTimeout(() => toggleGroup(id), 0);
});
cy.on("tap", "edge", (ev) => showRelation(ev.target));
cy.on("dbltap", "node", (ev) => { if (!ev.target.data("group")) expand(ev.target.id()); });
cy.on("tap", (ev) => { if (ev.target === cy) cy.elements().removeClass("faded"); });

// For tests and benchmarks: the drawn graph and what the page measured.
window.explorer = {
  cy, state, timings, draw, trace, expand, linked, openEntity, search, findRings,
  graphml: () => toGraphML(viewElements()), TLP, MARKINGS, GROUP_AT, big, toggleGroup,
  drawnIds: () => cy.nodes().not(".group").map((n) => n.id()).sort(),
  loadedIds: () => viewElements().nodes.map((n) => n.id).sort(),
};

const saved = token.get();
if (saved) {
  login(saved).then((ok) => { if (!ok) logout(); });
} else {
  logout();
}
