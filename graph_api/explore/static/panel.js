// The details panel follows the selection, whatever made it: a click, a box drag, a
// trace (its origin), an expansion (the node expanded), a ring (its box), a path. One
// entity: who reported it, under which marking, with what confidence and evidence;
// one relation: its assertions; several: their names; none: what to do. An entity's
// timeline says what was known of it when, each event a way to view the graph then.

import { Q } from "./api.js";
import { $, chip, fmt, h, idCode, isIsoTime, timeEl } from "./dom.js";
import { entityName, nodeData } from "./graph.js";
import { legendImage } from "./kinds.js";

export const INTRO = "Search, then open an entity to see who reported it, under which "
  + "marking, with what confidence and evidence. Click a node to see it here; double-click "
  + "to expand its neighbours.";

function table(rows) {
  return h("table", {}, rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v))));
}

function value(v) {
  if (isIsoTime(v)) return timeEl(v);
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function assertionBox(a) {
  return h("div", { class: "assertion" },
    h("div", {}, h("strong", {}, a.reportedBy.name), ` (${a.reportedBy.type}) `, chip(a.marking)),
    h("div", { class: "muted" }, `${a.source} · confidence ${fmt(a.confidence)} · `,
      timeEl(a.reportedAt), " · report ", idCode(a.reportId)),
    a.sharedWith.length ? h("div", {}, `shared with ${a.sharedWith.map((o) => o.name).join(", ")}`) : null,
    a.evidence.length ? h("ul", { class: "evidence" }, a.evidence.map((ev) => h("li", {},
      `${ev.kind}: ${ev.description || ""}`,
      ev.sha256 ? h("div", { class: "muted" }, "sha256 ", idCode(ev.sha256)) : null,
      ev.uri ? h("div", { class: "muted" }, idCode(ev.uri)) : null))) : null);
}

/**
 * The panel over ``cy``. ``env``: gql, run(label, fn, quiet), hold() (marks the page
 * busy until the returned function is called), actions {expand, trace, linked},
 * rings (ring box id -> what the API said of it), names (id -> name), time (the
 * time slider: see(times), choose(iso)).
 */
export function createPanel(cy, env) {
  let seq = 0;
  let pending = false;

  function entityHeader(name, kind, marking, status) {
    return h("h3", { class: "entity-title" },
      h("img", { class: "kind-icon", src: legendImage(kind), alt: kind, width: 22, height: 22 }),
      h("span", {}, name), " ", chip(marking),
      status ? h("span", { class: `status status-${status}` }, status) : null);
  }

  function showEntity(e) {
    const d = nodeData(e);
    const props = Object.entries(e.properties || {}).map(([k, v]) => [k, value(v)]);
    const { expand, trace, linked } = env.actions;
    $("details").replaceChildren(
      entityHeader(d.fullName, e.kind, d.marking, e.status),
      table([["id", idCode(e.id)], ["kind", e.kind], ["region", e.region], ["status", e.status],
        ["confidence", fmt(e.confidence)], ["identifier", e.identifierKind],
        ["value", e.kind === "IDENTIFIER" ? (e.value ?? "(hidden from your org)") : null],
        ["relations", e.relations.totalCount.toLocaleString()], ...props]),
      h("div", { class: "buttons" },
        h("button", { type: "button", id: "d-expand", on: { click: () => expand(e.id) } }, "Expand neighbours"),
        e.kind !== "IDENTIFIER" ? h("button", { type: "button", id: "d-trace", on: { click: () => trace(e.id) } }, "Trace to source") : null,
        h("button", { type: "button", id: "d-linked", on: { click: () => linked(e.id) } }, "Linked entities")),
      h("h3", {}, `Assertions (${e.assertions.length})`),
      ...e.assertions.map(assertionBox),
      timeline(e));
  }

  function eventRow(ev) {
    return h("li", { class: "event", data: { kind: ev.kind, at: ev.at } },
      h("div", {}, timeEl(ev.at), " ", h("span", { class: "event-kind" }, ev.kind), " ",
        ev.marking ? chip(ev.marking) : null),
      h("div", {}, ev.summary),
      h("div", { class: "meta" }, ev.reportedBy ? `by ${ev.reportedBy.name}` : "",
        h("button", { type: "button", class: "as-of", title: "Draw the view as it stood at this event",
          on: { click: () => env.time.choose(ev.at) } }, "View as of this")));
  }

  /** The entity's timeline (Entity.timeline), oldest first, paged by cursor. */
  function timeline(e) {
    const events = e.timeline || [];
    env.time.see([...events.map((ev) => ev.at), ...e.assertions.map((a) => a.reportedAt)]);
    const list = h("ol", { class: "list timeline", id: "timeline" }, events.map(eventRow));
    const more = h("button", { type: "button", id: "timeline-more", hidden: events.length < 20 }, "Later events");
    let after = events.length ? events[events.length - 1].cursor : null;
    more.addEventListener("click", () => env.run("Timeline", async () => {
      const { entity } = await env.gql(Q.timeline, { id: e.id, after });
      const page = entity ? entity.timeline : [];
      env.time.see(page.map((ev) => ev.at));
      page.forEach((ev) => list.append(eventRow(ev)));
      if (page.length) after = page[page.length - 1].cursor;
      more.hidden = page.length < 50;
    }, true));
    return h("section", { id: "timeline-box" },
      h("h3", {}, "Timeline"),
      events.length ? list : h("p", { class: "muted" }, "Nothing recorded yet."),
      more);
  }

  async function entity(id, my) {
    const { entity: e } = await env.gql(Q.entity, { id });
    if (my !== seq) return; // the selection moved on while we asked
    if (!e) {
      $("details").replaceChildren(h("p", { class: "muted" }, `${env.names.get(id) || id}: not found.`));
      return;
    }
    env.names.set(e.id, entityName(e));
    showEntity(e);
  }

  async function relation(edge, my) {
    const d = edge.data();
    const { entity } = await env.gql(Q.relation, { id: d.relFrom, kinds: [d.kind] });
    if (my !== seq) return;
    const rel = entity && entity.relations.edges.map((x) => x.node).find((r) => r.id === d.id);
    if (rel) env.time.see(rel.assertions.map((a) => a.reportedAt));
    const name = (id) => env.names.get(id) || cy.getElementById(id).data("fullName") || id;
    $("details").replaceChildren(
      h("h3", {}, d.kind, " ", chip(d.marking)),
      h("p", {}, `${name(d.relFrom)} → ${name(d.relTo)}`),
      table([["id", idCode(d.id)], ["from", idCode(d.relFrom)], ["to", idCode(d.relTo)],
        ["confidence", fmt(d.confidence)]]),
      h("h3", {}, `Assertions (${rel ? rel.assertions.length : 0})`),
      ...(rel ? rel.assertions.map(assertionBox) : []));
  }

  function ring(box) {
    const r = env.rings.get(box.id());
    const members = box.children();
    const name = (e) => e.name || env.names.get(e.id) || e.id;
    $("details").replaceChildren(
      h("h3", {}, box.data("fullName")),
      h("p", { class: "muted" }, `Ring candidate: ${members.length} entities drawn in its box; `
        + `${r ? r.size : "?"} sellers and storefronts in ${(r && r.regions.join(", ")) || "no region"}.`),
      r ? h("h3", {}, "Key players") : null,
      r ? h("ol", { class: "list" }, r.keyPlayers.map((k) => h("li", { data: { id: k.entity.id } },
        h("span", { class: "name", on: { click: () => env.actions.select(k.entity.id) } }, name(k.entity)),
        h("div", { class: "meta" }, `${k.entity.kind} · betweenness ${fmt(k.score)}`)))) : null,
      r && r.sources.length ? h("p", {}, "Sources: ", r.sources.map(name).join(", ")) : null);
  }

  function several(nodes, edges) {
    const list = h("ol", { class: "list", id: "selection" });
    nodes.slice(0, 200).forEach((n) => list.append(h("li", { data: { id: n.id() } },
      h("span", { class: "name", on: { click: () => env.actions.select(n.id()) } }, n.data("fullName") || n.id()),
      " ", chip(n.data("marking")),
      h("div", { class: "meta" }, [n.data("kind"), n.data("region"), n.data("status")].filter(Boolean).join(" · ")))));
    $("details").replaceChildren(
      h("h3", {}, `${nodes.length.toLocaleString()} entities`
        + (edges.length ? ` and ${edges.length.toLocaleString()} relations` : "") + " selected"),
      h("p", { class: "muted" }, "Click one to see it alone; a liaison can open them as a case."),
      list, nodes.length > 200 ? h("p", { class: "muted" }, `…and ${nodes.length - 200} more`) : null);
  }

  /** Show what is selected now. */
  async function render() {
    seq += 1;
    const my = seq;
    const sel = cy.$(":selected");
    const nodes = sel.nodes().not(".group");
    const boxes = nodes.filter(".ring-group");
    const entities = nodes.not(".ring-group");
    const edges = sel.edges().not(".meta");
    if (entities.length === 1 && boxes.empty()) {
      await env.run("Open", () => entity(entities[0].id(), my), true);
    } else if (entities.empty() && boxes.length === 1 && edges.empty()) {
      ring(boxes[0]);
    } else if (entities.empty() && edges.length === 1) {
      await env.run("Relation", () => relation(edges[0], my), true);
    } else if (entities.length || edges.length) {
      several(entities.toArray(), edges.toArray());
    } else {
      $("details").replaceChildren(h("p", { class: "muted" }, INTRO));
    }
  }

  /** Follow selection events: one render per burst (a path selects many at once). */
  function follow() {
    if (pending) return;
    pending = true;
    const release = env.hold();
    Promise.resolve().then(async () => {
      pending = false;
      try {
        await render();
      } finally {
        release();
      }
    });
  }
  cy.on("select unselect", follow);

  return { render, follow, showEntity };
}
