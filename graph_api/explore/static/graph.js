// Drawing: API answers -> Cytoscape elements, TLP colours, layouts, grouping, GraphML.

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

// Beyond this many drawn elements, nodes are grouped into compound nodes.
export const GROUP_AT = 3000;

const SHAPES = {
  SELLER: "ellipse", STOREFRONT: "round-rectangle", LISTING: "rectangle",
  WAREHOUSE: "barrel", FACTORY: "hexagon", RING: "star", IDENTIFIER: "diamond",
  BRAND: "tag",
};

/** The most restrictive marking among an element's visible assertions. */
export function strictest(assertions) {
  let best = 0;
  for (const a of assertions || []) best = Math.max(best, MARKINGS.indexOf(a.marking));
  return MARKINGS[best];
}

function entityLabel(e) {
  let text = e.name;
  if (!text && e.kind === "IDENTIFIER") text = `${e.identifierKind || "ID"} ${e.value || "(value hidden)"}`;
  text = text || e.id;
  return text.length > 40 ? `${text.slice(0, 38)}…` : text;
}

export function nodeData(e) {
  const marking = strictest(e.assertions);
  return {
    id: e.id, label: entityLabel(e), kind: e.kind, name: e.name || "", region: e.region || "",
    status: e.status || "", confidence: e.confidence ?? 0, marking,
    fill: TLP[marking].fill, border: TLP[marking].border, shape: SHAPES[e.kind] || "ellipse",
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

export const STYLE = [
  { selector: "node", style: {
    "background-color": "data(fill)", "border-color": "data(border)", "border-width": 2,
    shape: "data(shape)", width: 26, height: 26, label: "data(label)", "font-size": 10,
    "text-valign": "bottom", "text-margin-y": 3, "text-outline-color": "#fff",
    "text-outline-width": 2, "min-zoomed-font-size": 7, color: "#1d2330",
  } },
  { selector: "node[marking = 'AMBER_STRICT']", style: {
    "border-style": "double", "border-width": 7 } },
  { selector: "edge", style: {
    "line-color": "data(line)", "target-arrow-color": "data(line)",
    "source-arrow-color": "data(line)", "target-arrow-shape": "triangle",
    "curve-style": "bezier", width: "mapData(confidence, 0, 1, 1, 5)", label: "data(label)",
    "font-size": 8, "text-rotation": "autorotate", "text-background-color": "#fff",
    "text-background-opacity": 0.85, "text-background-padding": 1, "min-zoomed-font-size": 8,
    "arrow-scale": 0.9, color: "#444",
  } },
  { selector: "edge[marking = 'AMBER_STRICT']", style: { "line-style": "dashed" } },
  { selector: "edge[?reversed]", style: {
    "source-arrow-shape": "triangle", "target-arrow-shape": "none" } },
  { selector: "node.origin", style: {
    "border-color": "#1d2330", "border-width": 5, width: 36, height: 36 } },
  { selector: "node.source", style: { width: 36, height: 36, "font-weight": "bold" } },
  { selector: "node.member", style: { width: 32, height: 32 } },
  { selector: "node.key", style: {
    "border-color": "#7B2CBF", "border-width": 7, width: 48, height: 48,
    "font-weight": "bold", "font-size": 12, "z-index": 5 } },
  { selector: "node.group", style: {
    "background-color": "#eef1f6", "border-color": "#8892a6", "border-width": 2,
    shape: "round-rectangle", width: "mapData(count, 1, 5000, 60, 220)",
    height: "mapData(count, 1, 5000, 60, 220)", label: "data(label)", "text-valign": "center",
    "font-size": 16, "font-weight": "bold", "min-zoomed-font-size": 0 } },
  { selector: "edge.meta", style: {
    width: "mapData(count, 1, 2000, 2, 14)", "line-color": "#8892a6", "target-arrow-color": "#8892a6",
    label: "data(label)", "font-size": 12, "min-zoomed-font-size": 0, "line-style": "solid" } },
  { selector: ":parent", style: {
    "background-color": "#eef1f6", "background-opacity": 0.5, "border-color": "#b8bfcc",
    "border-width": 1, "border-style": "solid", shape: "round-rectangle",
    label: "data(label)", "text-valign": "top", "font-size": 28, "font-weight": "bold",
    "min-zoomed-font-size": 4, padding: 20 } },
  // Selection shows behind an element (underlay), so its TLP colour stays true.
  { selector: "node:selected", style: {
    "underlay-color": "#2346a8", "underlay-opacity": 0.45, "underlay-padding": 9,
    "underlay-shape": "ellipse" } },
  { selector: "edge:selected", style: {
    "underlay-color": "#2346a8", "underlay-opacity": 0.35, "underlay-padding": 5 } },
  { selector: ".faded", style: { opacity: 0.15 } },
  { selector: "edge.fast", style: {
    "curve-style": "haystack", "haystack-radius": 0, "target-arrow-shape": "none",
    "source-arrow-shape": "none", width: 1 } },
];

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
    if (d.group) continue;
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
