// The drawn view: adding elements, layouts, fitting, and grouping large views.

import { GROUP_AT, STYLE, groupedPositions } from "./graph.js";

const now = () => performance.now();
let warmed = false;

/**
 * The view over ``cy``. ``options``: setStatus(key, text), timings (an object the
 * view writes its measurements to), keep() and groupBy() (the Settings box).
 */
export function createView(cy, options) {
  const { setStatus, timings } = options;

  /** Fit known positions without measuring every element (cy.fit takes a second at 8,000). */
  function fitPositions(points) {
    if (!points.length) return;
    let [x1, x2, y1, y2] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const p of points) {
      x1 = Math.min(x1, p.x); x2 = Math.max(x2, p.x); y1 = Math.min(y1, p.y); y2 = Math.max(y2, p.y);
    }
    [x1, x2, y1, y2] = [x1 - 150, x2 + 150, y1 - 150, y2 + 150];
    const zoom = Math.min(1.4, cy.width() / (x2 - x1), cy.height() / (y2 - y1));
    cy.viewport({ zoom, pan: { x: (cy.width() - zoom * (x1 + x2)) / 2, y: (cy.height() - zoom * (y1 + y2)) / 2 } });
  }

  /** Fit the view, but never zoom a small graph in past 1.4. */
  function fitView(eles) {
    cy.fit(eles, 30);
    if (cy.zoom() > 1.4) {
      cy.zoom(1.4);
      cy.center(eles);
    }
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
   * Add nodes and edges (element JSON) to the view, or replace it. Past GROUP_AT
   * elements the view is grouped (see ``big``).
   */
  function draw(nodes, edges, { replace = !options.keep(), layout = "fcose", classes = {} } = {}) {
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
    const drawn = big.on ? big.nodes.size + big.edges.size : cy.elements().length;
    let added;
    if (big.on || drawn + fresh.length + freshEdges.length > GROUP_AT) {
      if (!big.on) {
        cy.nodes().forEach((n) => big.nodes.set(n.id(), { group: "nodes", data: { ...n.data() }, classes: n.classes().join(" ") }));
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
      added = renderGroups();
    } else {
      cy.batch(() => {
        added = cy.add(fresh.concat(freshEdges));
        for (const [cls, ids] of Object.entries(classes)) {
          ids.forEach((id) => cy.getElementById(id).addClass(cls));
        }
      });
    }
    const t1 = now();
    if (!big.on) arrange(layout);
    timings.lastDraw = { add: t1 - t0, layout: now() - t1, nodes: cy.nodes().not(".group").length };
    return added;
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
    let added;
    cy.batch(() => {
      cy.elements().remove();
      added = cy.add(els.map((el) => (el.group === "nodes" && positions[el.data.id]
        ? { ...el, position: positions[el.data.id] } : el)));
    });
    fitPositions(Object.values(positions));
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

  function arrange(layout) {
    if (big.on) {
      renderGroups();
      return;
    }
    if (layout === "trace") {
      // network-simplex ranks more compactly; longest-path is 2-4 times quicker.
      cy.layout({
        name: "dagre", rankDir: "RL", nodeSep: 18, rankSep: 110, edgeSep: 8,
        ranker: cy.nodes().length > 150 ? "longest-path" : "network-simplex",
        fit: false, animate: false,
      }).run();
      fitView();
    } else if (layout === "fcose") {
      const n = cy.nodes().length;
      cy.layout({
        name: "fcose", quality: n > 800 ? "draft" : "default", randomize: true,
        animate: false, fit: false, nodeRepulsion: 6000, idealEdgeLength: 90,
        numIter: n > 800 ? 800 : 2500,
      }).run();
      fitView();
    }
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
   * Lay out a throwaway 300-node tree off screen once, while the user reads the page:
   * the first real trace then runs compiled code (about 1.2 s -> 0.7 s for 500 nodes).
   */
  function warmUp() {
    if (warmed) return;
    warmed = true;
    const els = [];
    for (let i = 0; i < 300; i++) {
      els.push({ data: { id: `w${i}`, label: `w${i}`, fill: "#fff", border: "#000", shape: "ellipse", marking: "CLEAR", confidence: 1 } });
      if (i) els.push({ data: { id: `we${i}`, source: `w${(i - 1) >> 2}`, target: `w${i}`, line: "#000", marking: "CLEAR", confidence: 1, label: "" } });
    }
    const scratch = cytoscape({ headless: true, styleEnabled: true, style: STYLE, elements: els });
    scratch.layout({ name: "dagre", rankDir: "RL", ranker: "longest-path", animate: false }).run();
    scratch.destroy();
  }

  return {
    big, draw, renderGroups, toggleGroup, arrange, resetView, viewElements, placeAround,
    fitView, warmUp,
  };
}
