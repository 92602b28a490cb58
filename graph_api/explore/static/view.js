// The drawn view: adding elements, sizes and importance, layouts (layout.js),
// fitting, and grouping large views.

import { GROUP_AT, groupedPositions } from "./graph.js";
import { badgeReach } from "./kinds.js";
import { bounds, layOut, warmUp as warmLayouts } from "./layout.js";

const now = () => performance.now();
let warmed = false;

// Past this many relations edges are drawn as plain lines ("fast"; graph.js).
const FAST_EDGES = 400;

/**
 * A node's size (by its relations in the view, or by its score: Settings) and rank,
 * what label culling places first: origin, plan picks, sources and key players,
 * then score, relations, a name over a bare id, an enforcement badge.
 */
export function sizeAndRank(data, classes, degree, topScore, bySize) {
  const score = topScore > 0 ? (data.score || 0) / topScore : 0;
  const size = Math.round(bySize === "score"
    ? 20 + 34 * Math.sqrt(score)
    : Math.min(58, 18 + 5.5 * Math.sqrt(degree)));
  const has = (c) => classes.includes(c);
  const role = has("origin") ? 5 : has("plan") ? 4 : has("key") || has("source") ? 3 : 0;
  const rank = role * 1000 + score * 100 + 12 * Math.log2(1 + degree)
    + (data.name ? 8 : 0) + (data.badge ? 6 : 0) + (data.confidence || 0);
  const reach = badgeReach(data.status);
  const bex = reach ? [Math.ceil(reach.above * size), Math.ceil(reach.side * size), 0,
    Math.ceil(reach.side * size)] : 0;
  return { size, rank, bex };
}

/**
 * The view over ``cy``. ``options``: setStatus(key, text), timings (an object the
 * view writes its measurements to), keep(), groupBy() and sizeBy() (the Settings
 * box), labels (labels.js).
 */
export function createView(cy, options) {
  const { setStatus, timings, labels } = options;

  /** The viewport fitting known positions, without measuring any element (cy.fit
   * takes a second at 8,000). */
  function viewportForPoints(points) {
    let [x1, x2, y1, y2] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const p of points) {
      x1 = Math.min(x1, p.x); x2 = Math.max(x2, p.x); y1 = Math.min(y1, p.y); y2 = Math.max(y2, p.y);
    }
    [x1, x2, y1, y2] = [x1 - 150, x2 + 150, y1 - 150, y2 + 150];
    const zoom = Math.min(1.4, cy.width() / (x2 - x1), cy.height() / (y2 - y1));
    return { zoom, pan: { x: (cy.width() - zoom * (x1 + x2)) / 2, y: (cy.height() - zoom * (y1 + y2)) / 2 } };
  }

  /**
   * The zoom and pan that fit ``bb`` (nodes' bodies) in the view, never past 1.4 for
   * a small graph, leaving room round it for labels: they keep their size on screen,
   * so that room is in screen pixels (half a long label beside, a badge above, a
   * label below) and no label needs measuring.
   */
  function viewportFor(bb) {
    const [side, top, bottom] = [88, 26, 34];
    const zoom = Math.min(1.4, (cy.width() - 2 * side) / Math.max(bb.w, 1),
      (cy.height() - top - bottom) / Math.max(bb.h, 1));
    return { zoom, pan: {
      x: cy.width() / 2 - (zoom * (bb.x1 + bb.x2)) / 2,
      y: top + (cy.height() - top - bottom) / 2 - (zoom * (bb.y1 + bb.y2)) / 2,
    } };
  }

  const BODIES = { includeLabels: false, includeEdges: false, includeOverlays: false, includeUnderlays: false };

  /** Fit the view to ``eles`` (every node by default), then choose the labels. */
  function fitView(eles) {
    const target = eles && eles.nonempty() ? eles : cy.nodes();
    if (target.empty()) return;
    cy.viewport(viewportFor(target.boundingBox(BODIES)));
    labels.refresh();
  }

  function groupKey(data) {
    if (options.groupBy() === "region") return data.region || "no region";
    return data.kind;
  }

  // A large view: every loaded element is kept here and drawn as one compound node
  // per kind (or region), closed, with the relations between groups counted; a
  // double-click opens a group to draw its members inside it.
  const big = { on: false, nodes: new Map(), edges: new Map(), open: new Set() };
  const OPEN_MAX = 600; // a compound node of more children takes seconds to draw

  function resetView() {
    cy.elements().remove();
    big.on = false;
    big.nodes.clear();
    big.edges.clear();
    big.open.clear();
    setStatus("group", "");
  }

  const loaded = (id) => !cy.getElementById(id).empty() || big.nodes.has(id) || big.edges.has(id);

  /**
   * Add nodes and edges (element JSON) to the view, or replace it, and lay it out
   * ("trace", "cluster", or "none": the caller places the new nodes). Past GROUP_AT
   * entities the view is grouped (see ``big``). ``classes``: class -> ids;
   * ``scores``: id -> a score to size by (a trace's, a key player's, a cut's);
   * ``compounds``: boxes to draw (ring candidates), ``parents``: member id -> box id.
   */
  function draw(nodes, edges, {
    replace = !options.keep(), layout = "cluster", classes = {}, scores = {}, compounds = [],
    parents = {},
  } = {}) {
    const t0 = now();
    if (replace) resetView();
    const seen = new Set();
    const isNew = (el) => {
      if (seen.has(el.data.id) || loaded(el.data.id)) return false;
      seen.add(el.data.id);
      return true;
    };
    const fresh = nodes.filter(isNew);
    const freshEdges = edges.filter(isNew);
    const entities = big.on ? big.nodes.size : cy.nodes().not(":parent").length;
    if (big.on || entities + fresh.length > GROUP_AT) {
      drawGrouped(fresh, freshEdges, classes);
      timings.lastDraw = { add: now() - t0, layout: 0, nodes: 0, edges: cy.edges().length };
      return cy.collection();
    }
    const classOf = new Map();
    for (const [cls, ids] of Object.entries(classes)) {
      ids.forEach((id) => classOf.set(id, [...(classOf.get(id) || []), cls]));
    }
    // The resulting view's entities and relations, as data.
    const fast = cy.edges().length + freshEdges.length > FAST_EDGES;
    const newNodes = fresh.map((n) => {
      const data = { ...n.data };
      if (parents[data.id]) data.parent = parents[data.id];
      if (Object.hasOwn(scores, data.id)) data.score = scores[data.id];
      const cls = [...(n.classes ? n.classes.split(" ").filter(Boolean) : []), ...(classOf.get(data.id) || [])];
      return { group: "nodes", data, classes: cls.join(" ") };
    });
    const newEdges = freshEdges.map((e) => (fast ? { ...e, classes: `${e.classes || ""} fast` } : e));
    const boxes = compounds.filter((c) => cy.getElementById(c.data.id).empty());
    const degree = new Map();
    const count = (id) => degree.set(id, (degree.get(id) || 0) + 1);
    cy.edges().forEach((e) => { count(e.data("source")); count(e.data("target")); });
    newEdges.forEach((e) => { count(e.data.source); count(e.data.target); });
    let top = 0;
    cy.nodes().forEach((n) => { top = Math.max(top, Object.hasOwn(scores, n.id()) ? scores[n.id()] : n.data("score") || 0); });
    newNodes.forEach((n) => { top = Math.max(top, n.data.score || 0); });
    const bySize = options.sizeBy();
    for (const n of newNodes) {
      Object.assign(n.data, sizeAndRank(n.data, n.classes.split(" "), degree.get(n.data.id) || 0, top, bySize));
    }
    const t1 = now();
    let positions = null;
    let viewport = null;
    if (layout !== "none") {
      // Lay the whole view out off screen, then choose the zoom, and so the label
      // size, before the drawn graph computes its style (once).
      const bare = [];
      const sizes = new Map();
      const seenBoxes = new Set();
      cy.nodes().forEach((n) => {
        if (n.isParent()) { seenBoxes.add(n.id()); bare.push({ id: n.id() }); return; }
        const parent = parents[n.id()] || n.data("parent");
        const size = sizeAndRank(n.data(), n.classes(), degree.get(n.id()) || 0, top, bySize).size;
        sizes.set(n.id(), size);
        bare.push(parent ? { id: n.id(), size, parent } : { id: n.id(), size });
      });
      boxes.forEach((b) => { if (!seenBoxes.has(b.data.id)) bare.push({ id: b.data.id }); });
      newNodes.forEach((n) => {
        sizes.set(n.data.id, n.data.size);
        bare.push(n.data.parent ? { id: n.data.id, size: n.data.size, parent: n.data.parent } : { id: n.data.id, size: n.data.size });
      });
      const links = cy.edges().map((e) => ({ id: e.id(), source: e.data("source"), target: e.data("target") }))
        .concat(newEdges.map((e) => ({ id: e.data.id, source: e.data.source, target: e.data.target })));
      positions = layOut(layout === "trace" ? "trace" : "cluster", bare, links, cy.width() / cy.height());
      viewport = viewportFor(bounds(positions, sizes));
      labels.prepare(viewport.zoom);
    }
    const t2 = now();
    let added;
    cy.batch(() => {
      if (fast) cy.edges().not(".fast").addClass("fast");
      added = cy.add(boxes.concat(newNodes.map((n) => (positions && positions.has(n.data.id)
        ? { ...n, position: positions.get(n.data.id) } : n)), newEdges));
      for (const [id, parent] of Object.entries(parents)) {
        const node = cy.getElementById(id);
        if (node.nonempty() && node.data("parent") !== parent && node.isChildless()) node.move({ parent });
      }
      // What was drawn before: its new classes, scores, sizes and places.
      cy.nodes().not(":parent").forEach((n) => {
        if (added.contains(n)) return;
        (classOf.get(n.id()) || []).forEach((c) => n.addClass(c));
        if (Object.hasOwn(scores, n.id())) n.data("score", scores[n.id()]);
        const next = sizeAndRank(n.data(), n.classes(), degree.get(n.id()) || 0, top, bySize);
        if (n.data("size") !== next.size || n.data("rank") !== next.rank) n.data(next);
        if (positions && positions.has(n.id())) n.position(positions.get(n.id()));
      });
    });
    if (viewport) {
      cy.viewport(viewport);
      labels.refresh();
    }
    const t3 = now();
    timings.lastDraw = {
      add: t1 - t0 + (t3 - t2), layout: t2 - t1, total: t3 - t0,
      nodes: cy.nodes().not(".group").not(":parent").length, edges: cy.edges().length,
      labels: { ...labels.stats },
    };
    return added;
  }

  /** Re-size every node (Settings: size by) and re-rank them. */
  function decorate() {
    const degree = new Map();
    const bySize = options.sizeBy();
    let top = 0;
    cy.nodes().forEach((n) => { top = Math.max(top, n.data("score") || 0); degree.set(n.id(), n.degree(false)); });
    cy.batch(() => cy.nodes().not(":parent").not(".group").forEach((n) => {
      n.data(sizeAndRank(n.data(), n.classes(), degree.get(n.id()), top, bySize));
    }));
  }

  /** Lay the drawn view out again: "trace" or "cluster". */
  function arrange(layout) {
    if (big.on) {
      renderGroups();
      return;
    }
    const positions = layOut(layout, cy.nodes().map((n) => (n.isParent() ? { id: n.id() }
      : { id: n.id(), size: n.data("size"), ...(n.data("parent") ? { parent: n.data("parent") } : {}) })),
    cy.edges().map((e) => ({ id: e.id(), source: e.data("source"), target: e.data("target") })),
    cy.width() / cy.height());
    cy.batch(() => cy.nodes().not(":parent").forEach((n) => n.position(positions.get(n.id()))));
    fitView();
  }

  /** Draw into the grouped view (``big``): from now on every element is kept there. */
  function drawGrouped(fresh, freshEdges, classes) {
    if (!big.on) {
      cy.nodes().not(":parent").forEach((n) => {
        const data = { ...n.data() };
        delete data.parent;
        big.nodes.set(n.id(), { group: "nodes", data, classes: n.classes().join(" ") });
      });
      cy.edges().forEach((e) => big.edges.set(e.id(), { group: "edges", data: { ...e.data() }, classes: e.classes().join(" ") }));
      big.on = true;
    }
    fresh.forEach((n) => big.nodes.set(n.data.id, { ...n }));
    freshEdges.forEach((e) => big.edges.set(e.data.id, { ...e }));
    for (const [cls, ids] of Object.entries(classes)) {
      ids.forEach((id) => {
        const el = big.nodes.get(id);
        if (el) el.classes = `${el.classes || ""} ${cls}`;
      });
    }
    return renderGroups();
  }

  /** Draw the grouped view from ``big``: closed groups, open groups' members, counts. */
  function renderGroups() {
    const groups = new Map();
    for (const n of big.nodes.values()) {
      const key = `group:${groupKey(n.data)}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(n);
    }
    const shown = new Map(); // entity id -> the id drawn for it (itself, or its group)
    const els = [];
    const items = [];
    for (const [gid, members] of groups) {
      const open = big.open.has(gid) && members.length <= OPEN_MAX;
      els.push({
        group: "nodes", classes: open ? "group open" : "group",
        data: {
          id: gid, group: true, count: members.length, kind: "GROUP", marking: "CLEAR",
          label: `${gid.slice(6)} (${members.length.toLocaleString()})`, confidence: 0,
          fill: "#eef1f6", border: "#8892a6", shape: "round-rectangle",
        },
      });
      if (open) {
        members.forEach((m) => {
          els.push({ ...m, data: { ...m.data, parent: gid } });
          shown.set(m.data.id, m.data.id);
          items.push({ id: m.data.id, bucket: gid });
        });
      } else {
        members.forEach((m) => shown.set(m.data.id, gid));
        items.push({ id: gid, bucket: gid });
      }
    }
    const counted = new Map();
    for (const e of big.edges.values()) {
      const s = shown.get(e.data.source);
      const t = shown.get(e.data.target);
      if (!s || !t) continue;
      if (s === e.data.source && t === e.data.target) els.push(e);
      else if (s !== t) counted.set(`${s}\u0000${t}`, (counted.get(`${s}\u0000${t}`) || 0) + 1);
    }
    for (const [key, count] of counted) {
      const [s, t] = key.split("\u0000");
      els.push({
        group: "edges", classes: "meta",
        data: { id: `meta:${key}`, source: s, target: t, count, label: `${count.toLocaleString()} relations`,
          line: "#8892a6", marking: "CLEAR", confidence: 0.5, kind: "GROUPED" },
      });
    }
    const positions = groupedPositions(items, (item) => item.bucket);
    const points = Object.values(positions);
    const viewport = points.length ? viewportForPoints(points) : null;
    if (viewport) labels.prepare(viewport.zoom); // styled once, at its label size
    let added;
    cy.batch(() => {
      cy.elements().remove();
      added = cy.add(els.map((el) => (el.group === "nodes" && positions[el.data.id]
        ? { ...el, position: positions[el.data.id] } : el)));
    });
    if (viewport) cy.viewport(viewport);
    labels.refresh();
    const openCount = [...big.open].filter((g) => groups.has(g)).length;
    setStatus("group", `${big.nodes.size.toLocaleString()} entities and `
      + `${big.edges.size.toLocaleString()} relations: grouped by ${options.groupBy()} `
      + `(compound nodes) to stay usable; double-click a group to open it `
      + `(up to ${OPEN_MAX.toLocaleString()} members)${openCount ? `, ${openCount} open` : ""}`);
    return added;
  }

  function toggleGroup(gid) {
    const members = [...big.nodes.values()].filter((n) => `group:${groupKey(n.data)}` === gid).length;
    if (big.open.has(gid)) big.open.delete(gid);
    else if (members > OPEN_MAX) {
      setStatus("error", `${gid.slice(6)} has ${members.toLocaleString()} members: too many to draw; `
        + "narrow the search, or group by region");
      return;
    } else big.open.add(gid);
    renderGroups();
  }

  /** What the view holds: every loaded element when grouped, else what is drawn. */
  function viewElements() {
    if (big.on) {
      return { nodes: [...big.nodes.values()].map((n) => ({ ...n.data, ...(cy.getElementById(n.data.id).position() || {}) })),
        edges: [...big.edges.values()].map((e) => e.data) };
    }
    return { nodes: cy.nodes().map((n) => ({ ...n.data(), ...n.position() })), edges: cy.edges().map((e) => e.data()) };
  }

  /** New neighbours on a circle around the node they were expanded from: no relayout. */
  function placeAround(added) {
    const anchorId = added.anchor;
    const anchor = cy.getElementById(anchorId);
    const fresh = added.nodes().filter((n) => n.id() !== anchorId);
    if (anchor.empty() || fresh.empty()) return;
    const centre = anchor.position();
    const r = Math.max(110, fresh.length * 9);
    cy.batch(() => {
      fresh.forEach((n, i) => {
        const angle = (2 * Math.PI * i) / fresh.length;
        n.position({ x: centre.x + r * Math.cos(angle), y: centre.y + r * Math.sin(angle) });
      });
    });
    if (cy.nodes().length <= fresh.length + 1) fitView();
    else cy.animate({ center: { eles: anchor } }, { duration: 0 });
  }

  /**
   * Warm the layouts' code once, off screen, while the user reads the page: the
   * first real trace or cluster layout then runs compiled code (about 1.2 s -> 0.7 s
   * for a 500-node trace).
   */
  function warmUp() {
    if (warmed) return;
    warmed = true;
    warmLayouts();
  }

  return {
    big, draw, decorate, renderGroups, toggleGroup, arrange, resetView, viewElements,
    placeAround, fitView, warmUp,
  };
}
