// Drawing: API answers -> Cytoscape elements, TLP colours, the stylesheet, GraphML.

import { BADGES, IMAGE_H, IMAGE_W, SHAPES, nodeImage } from "./kinds.js";

export const MARKINGS = ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"];

// TLP 2.0 colours. CLEAR is white with a grey border (grey on an edge, where white
// would not show); AMBER+STRICT is amber with a distinct (double, dark) border.
export const TLP = {
  CLEAR: { fill: "#FFFFFF", border: "#8C8C8C", line: "#9A9A9A" },
  GREEN: { fill: "#33FF00", border: "#1E9600", line: "#33FF00" },
  AMBER: { fill: "#FFC000", border: "#A67C00", line: "#FFC000" },
  AMBER_STRICT: { fill: "#FFC000", border: "#3B1F00", line: "#FFC000" },
  RED: { fill: "#FF2B2B", border: "#A30000", line: "#FF2B2B" },
};

// Beyond this many drawn entities, nodes are grouped into compound nodes.
export const GROUP_AT = 1500;

export const FONT = "Helvetica, Arial, sans-serif";
export const LABEL_PX = 11; // a node label's height on screen when zoomed out
export const LABEL_CHARS = 26;

/** The most restrictive marking among an element's visible assertions. */
export function strictest(assertions) {
  let best = 0;
  for (const a of assertions || []) best = Math.max(best, MARKINGS.indexOf(a.marking));
  return MARKINGS[best];
}

/** An entity's full name as a reader would call it (the id when it has no name). */
export function entityName(e) {
  let text = e.name;
  if (!text && e.kind === "IDENTIFIER") text = `${e.identifierKind || "ID"} ${e.value || "(value hidden)"}`;
  return text || e.id;
}

const short = (text) => (text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text);

export function nodeData(e) {
  const marking = strictest(e.assertions);
  const name = entityName(e);
  return {
    id: e.id, label: short(name), fullName: name, kind: e.kind, name: e.name || "",
    region: e.region || "", status: e.status || "", confidence: e.confidence ?? 0, marking,
    fill: TLP[marking].fill, border: TLP[marking].border, shape: SHAPES[e.kind] || "ellipse",
    image: nodeImage(e.kind, e.status), badge: Object.hasOwn(BADGES, e.status || ""),
    size: 24, rank: 0, score: 0, bex: 0,
  };
}

/** An edge; ``walkFrom`` lays it out along a walk (a trace goes LISTS backwards). */
export function edgeData(r, walkFrom = r.from.id) {
  const marking = strictest(r.assertions);
  const reversed = walkFrom !== r.from.id;
  return {
    id: r.id, source: reversed ? r.to.id : r.from.id, target: reversed ? r.from.id : r.to.id,
    relFrom: r.from.id, relTo: r.to.id, reversed, kind: r.kind, confidence: r.confidence,
    marking, line: TLP[marking].line, label: `${r.kind} ${r.confidence.toFixed(2)}`,
  };
}

/** Node label size in model units at ``zoom``: LABEL_PX on screen when zoomed out. */
export const labelSize = (zoom) => LABEL_PX / Math.min(1, Math.max(zoom, 0.02));

/**
 * The stylesheet, for labels of ``fontSize`` model units. Edge labels show only on
 * hover and on selected paths; node labels only where the culling put them ("named").
 */
export function styleFor(fontSize = LABEL_PX) {
  const k = fontSize / LABEL_PX;
  return [
    { selector: "node", style: {
      "background-color": "data(fill)", "border-color": "data(border)", "border-width": 2,
      shape: "data(shape)", width: "data(size)", height: "data(size)", "z-index": 1,
      "background-image": "data(image)", "background-width": `${IMAGE_W * 100}%`,
      "background-height": `${IMAGE_H * 100}%`, "background-clip": "none",
      "background-image-containment": "over",
      "bounds-expansion": "data(bex)", // a badge's reach (view.js sizeAndRank)
    } },
    // Only the labels culling chose ("named"; labels.js) are drawn, and a hovered
    // node's. A named node is drawn over unnamed ones, so none hides its label.
    { selector: "node.named, node.hover", style: {
      label: "data(label)", "font-family": FONT, "font-size": fontSize, "text-valign": "bottom",
      "text-margin-y": 2 * k, "text-outline-color": "#fff", "text-outline-width": 1.5 * k,
      color: "#1d2330", "z-index": 10 } },
    { selector: "node[marking = 'AMBER_STRICT']", style: {
      "border-style": "double", "border-width": 7 } },
    { selector: "edge", style: {
      "line-color": "data(line)", "target-arrow-color": "data(line)",
      "source-arrow-color": "data(line)", "target-arrow-shape": "triangle",
      "curve-style": "bezier", width: "mapData(confidence, 0, 1, 1, 4)", "arrow-scale": 0.8,
    } },
    // Edge labels (and their text style) only where a reader looks.
    { selector: "edge.hover, edge:selected, edge.path", style: {
      label: "data(label)", "z-index": 20, "font-family": FONT, "font-size": 9 * k,
      "text-rotation": "autorotate", "text-background-color": "#fff",
      "text-background-opacity": 0.9, "text-background-padding": 1,
      "min-zoomed-font-size": 6, color: "#333" } },
    { selector: "edge[marking = 'AMBER_STRICT']", style: { "line-style": "dashed" } },
    { selector: "edge[?reversed]", style: {
      "source-arrow-shape": "triangle", "target-arrow-shape": "none" } },
    { selector: "node.origin", style: { "border-color": "#1d2330", "border-width": 5 } },
    { selector: "node.source", style: { "font-weight": "bold" } },
    { selector: "node.key", style: {
      "border-color": "#7B2CBF", "border-width": 6, "font-weight": "bold" } },
    { selector: "node.plan", style: {
      "overlay-color": "#d7263d", "overlay-opacity": 0.22, "overlay-padding": 8,
      "border-color": "#d7263d", "border-width": 6 } },
    { selector: "node.cut", style: { opacity: 0.35 } },
    { selector: "node.removed", style: {
      opacity: 0.55, "border-style": "dashed", "border-color": "#d7263d", "border-width": 4 } },
    { selector: "node.hover", style: { "text-opacity": 1, "z-index": 30 } },
    { selector: "node.group", style: {
      "background-color": "#eef1f6", "border-color": "#8892a6", "border-width": 2,
      "background-image": "none", shape: "round-rectangle",
      width: "mapData(count, 1, 5000, 60, 220)", height: "mapData(count, 1, 5000, 60, 220)",
      label: "data(label)", "text-valign": "center", "font-size": 16 * k, "font-weight": "bold",
      "min-zoomed-font-size": 0 } },
    { selector: "edge.meta", style: {
      width: "mapData(count, 1, 2000, 2, 14)", "line-color": "#8892a6", "target-arrow-color": "#8892a6",
      label: "data(label)", "font-size": 12 * k, "min-zoomed-font-size": 0, "line-style": "solid" } },
    { selector: ":parent", style: {
      "background-color": "#eef1f6", "background-opacity": 0.45, "border-color": "#b8bfcc",
      "border-width": 1, "border-style": "solid", shape: "round-rectangle", "background-image": "none",
      label: "data(label)", "text-valign": "top", "text-halign": "center", "font-size": 13 * k,
      "font-weight": "bold", "text-margin-y": -2 * k, "min-zoomed-font-size": 0, padding: 14,
      "compound-sizing-wrt-labels": "exclude" } }, // members' labels (shown or not) may overhang
    { selector: "node.untitled", style: { label: "" } }, // labels.js: it would meet another
    { selector: "node.ring-group", style: {
      "background-color": "#f3ecfa", "border-color": "#7B2CBF", "border-width": 2,
      "border-style": "dashed", color: "#4a1a75" } },
    // Selection shows behind an element (underlay), so its TLP colour stays true.
    { selector: "node:selected", style: {
      "underlay-color": "#2346a8", "underlay-opacity": 0.45, "underlay-padding": 7,
      "underlay-shape": "ellipse", "z-index": 25 } },
    { selector: "edge:selected", style: {
      "underlay-color": "#2346a8", "underlay-opacity": 0.35, "underlay-padding": 4 } },
    { selector: ".faded", style: { opacity: 0.15 } },
    // Views of many relations: straight lines without arrows (haystack, the quickest
    // edges to draw), arrows back on the ones hovered or selected.
    { selector: "edge.fast", style: {
      "curve-style": "haystack", "haystack-radius": 0, "target-arrow-shape": "none",
      "source-arrow-shape": "none", width: 1 } },
    { selector: "edge.fast.hover, edge.fast:selected, edge.fast.path", style: {
      "curve-style": "straight", "target-arrow-shape": "triangle", width: 2 } },
    { selector: "edge.fast[?reversed].hover, edge.fast[?reversed]:selected, edge.fast[?reversed].path",
      style: { "source-arrow-shape": "triangle", "target-arrow-shape": "none" } },
  ];
}

export const STYLE = styleFor();

/** Positions in a grid per group, the groups side by side: linear, for any size. */
export function groupedPositions(nodes, groupOf) {
  const groups = new Map();
  nodes.forEach((n) => {
    const g = groupOf(n);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(n);
  });
  const step = 60;
  const positions = {};
  let x0 = 0;
  let y0 = 0;
  let rowHeight = 0;
  const rowWidth = Math.sqrt(nodes.length) * step * 1.6;
  for (const members of [...groups.values()].sort((a, b) => b.length - a.length)) {
    const cols = Math.ceil(Math.sqrt(members.length));
    const width = cols * step;
    const height = Math.ceil(members.length / cols) * step;
    if (x0 > 0 && x0 + width > rowWidth) {
      x0 = 0;
      y0 += rowHeight + step * 2;
      rowHeight = 0;
    }
    members.forEach((n, i) => {
      positions[n.id] = { x: x0 + (i % cols) * step, y: y0 + Math.floor(i / cols) * step };
    });
    x0 += width + step * 2;
    rowHeight = Math.max(rowHeight, height);
  }
  return positions;
}

const xml = (s) => String(s).replace(/[<>&"']/g, (c) => (
  { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" }[c]));

const NODE_KEYS = [
  ["kind", "string"], ["name", "string"], ["label", "string"], ["region", "string"],
  ["status", "string"], ["marking", "string"], ["confidence", "double"],
  ["x", "double"], ["y", "double"],
];
const EDGE_KEYS = [["kind", "string"], ["marking", "string"], ["confidence", "double"]];

/**
 * GraphML of the view's entities and relations, in their true directions (a trace
 * draws LISTS backwards). ``view`` is {nodes: [data + x, y], edges: [data]}.
 */
export function toGraphML(view) {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    + 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    + 'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    + 'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">'];
  for (const [k, t] of NODE_KEYS) out.push(`<key id="n_${k}" for="node" attr.name="${k}" attr.type="${t}"/>`);
  for (const [k, t] of EDGE_KEYS) out.push(`<key id="e_${k}" for="edge" attr.name="${k}" attr.type="${t}"/>`);
  out.push('<graph id="explore" edgedefault="directed">');
  for (const d of view.nodes) {
    if (d.group || d.compound) continue; // groups and ring boxes are not entities
    out.push(`<node id="${xml(d.id)}">`);
    for (const [k] of NODE_KEYS) {
      if (d[k] !== "" && d[k] !== undefined && d[k] !== null) out.push(`<data key="n_${k}">${xml(d[k])}</data>`);
    }
    out.push("</node>");
  }
  for (const d of view.edges) {
    if (!d.relFrom) continue; // counts between groups are not relations
    out.push(`<edge id="${xml(d.id)}" source="${xml(d.relFrom)}" target="${xml(d.relTo)}">`);
    for (const [k] of EDGE_KEYS) out.push(`<data key="e_${k}">${xml(d[k])}</data>`);
    out.push("</edge>");
  }
  out.push("</graph>", "</graphml>");
  return `${out.join("\n")}\n`;
}
